"""``clickstream transform``: one guarded, recorded ``dbt build`` of the project, as the warehouse EC2 runs it.

``settings`` (env vars), ``lock`` (the advisory lock two builds share), ``ledger`` (``ops.transform_runs``),
``dbt_build`` (dbt in-process and what its results say), ``freshness`` (the CloudWatch metric), ``run`` (the steps
in order) and ``command`` (the click command).
"""
