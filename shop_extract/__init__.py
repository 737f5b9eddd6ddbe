"""The shop's own database into the warehouse's ``raw_shop`` schema, incrementally (dlt's ``sql_database`` source).

Runs on the warehouse EC2, in the hourly cycle before dbt and as ``clickstream extract-shop``; docs/shop-database.md
says what it reads, how often, with which role, and why dlt.
"""
