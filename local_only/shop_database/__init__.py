"""The shop's own operational database (Next.js + Prisma, per the design notes) as the demo and tests need it.

The shop's database is the shop's, not the warehouse's: only the demo and the tests create one. Its DDL is the
Prisma migration under ``prisma/`` (what ``prisma migrate`` would write for ``prisma/schema.prisma``); ``clickstream
generate --shop-database`` fills it consistently with the traffic (writer.py).
"""
