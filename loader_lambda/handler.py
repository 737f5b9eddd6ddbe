"""EventBridge (or a test event) in, a load summary out: the loader Lambda's thin entry point."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loader_lambda.loader import run_load
from loader_lambda.services import get_services
from loader_lambda.window import plan_from_event

logger = Logger(service="clickstream-loader")
# CloudWatch metrics as structured log lines (EMF): the template's LoaderObjectsFailedAlarm watches them.
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Clickstream", service="clickstream-loader"
)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Loads the previous full UTC hour (plus the lookback) on the schedule, or the hours the input names.

    Bad input and an unreachable warehouse raise, so the invocation fails loudly and EventBridge's retry (then the
    dead-letter queue) takes over; nothing was marked loaded, so a retry is safe. A `partial` run (an object that
    could not be read, or that changed after loading) returns normally and publishes LoaderObjectsFailed.
    """
    services = get_services()
    plan = plan_from_event(event, datetime.now(UTC), services.settings.lookback_hours)
    summary = run_load(plan, services.store, services.settings, services.warehouse, now=datetime.now(UTC))
    metrics.add_metric(name="LoaderObjectsFailed", unit=MetricUnit.Count, value=summary.failed)
    metrics.add_metric(name="LoaderRowsLoaded", unit=MetricUnit.Count, value=summary.rows)
    log = logger.warning if summary.problems else logger.info
    log("load finished", extra=summary.as_dict())
    return summary.as_dict()
