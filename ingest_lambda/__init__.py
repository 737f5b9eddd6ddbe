"""``POST /clickstream``: the ingest Lambda (ships to AWS). ``handler`` is the thin entry point; the domain modules
beside it parse, validate, enrich and store each event in the raw layer."""
