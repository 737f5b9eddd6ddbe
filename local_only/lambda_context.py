"""A stand-in for the Lambda runtime's context object, for calling the real handlers in-process."""

from __future__ import annotations

import uuid

from aws_lambda_powertools.utilities.typing import LambdaContext


class LocalLambdaContext(LambdaContext):
    """The context type the handlers are annotated with (powertools' ``LambdaContext``, whose attributes are
    read-only properties over underscored fields), filled in as a local function would be."""

    def __init__(
        self,
        function_name: str = "clickstream-local",
        function_version: str = "$LATEST",
        memory_limit_in_mb: int = 512,
        aws_request_id: str | None = None,
        log_group_name: str = "/local/clickstream",
        log_stream_name: str = "local",
    ) -> None:
        self._function_name = function_name
        self._function_version = function_version
        self._memory_limit_in_mb = memory_limit_in_mb
        self._aws_request_id = aws_request_id or str(uuid.uuid4())
        self._log_group_name = log_group_name
        self._log_stream_name = log_stream_name
        self._invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 900_000
