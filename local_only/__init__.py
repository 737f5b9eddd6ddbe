"""What runs only on a developer's machine or in CI, never in AWS: nothing under ``ingest_lambda``,
``loader_lambda``, ``raw_store``, ``warehouse``, ``transform_runner`` or ``dashboard`` imports it (the import-linter
contract in pyproject.toml checks).

- ``simulator``: seeded synthetic shop traffic, sent through the real ingest handler (``clickstream generate``).
- ``serve`` and ``bounded_server``: the ingest handler behind a local HTTP server, standing in for API Gateway.
- ``hourly`` and ``schedule``: the hourly cycle (load, then transform) and its clock, standing in for EventBridge.
- ``demo``: ``make demo``, the whole pipeline on the embedded default.
- ``postgres``: the local PostgreSQL server the demo and the tests start; ``paths``: the ``.data/`` folder.
- ``salt`` and ``lambda_context``: the local stand-ins for SSM's salt and the Lambda runtime's context.
"""
