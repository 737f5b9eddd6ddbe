"""The warehouse EC2's dbt runner (ships to AWS): one guarded, recorded ``dbt build`` of the project.

In AWS, EventBridge runs it through SSM Run Command (``infra/ec2/run-transform.sh`` calls ``clickstream
transform``). ``settings`` (env vars), ``lock`` (the advisory lock two builds share), ``ledger``
(``ops.transform_runs``), ``dbt_build`` (dbt in-process and what its results say), ``freshness`` (the CloudWatch
metric), ``run`` (the steps in order) and ``command`` (the click command).
"""
