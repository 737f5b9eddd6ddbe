"""The warehouse EC2's dbt runner (ships to AWS): one guarded, recorded ``dbt build`` of the project.

In AWS, EventBridge runs it through SSM Run Command (``infra/ec2/run-transform.sh`` calls ``clickstream
transform``). ``settings`` (env vars), ``ledger`` (``ops.transform_runs``; the lock two builds share and the ledger
row's life are warehouse/advisory_lock.py and warehouse/run_ledger.py), ``dbt_build`` (dbt in-process and what its
results say), ``freshness`` (the CloudWatch metric), ``run`` (the steps in order) and ``command`` (the click command).
"""
