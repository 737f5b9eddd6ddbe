"""The raw bucket on Amazon S3 (or anything that speaks its API, such as moto's server in tests)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from raw_store.base import ObjectInfo, StorageError

# Retries with backoff inside the SDK, so one slow or throttled PUT does not cost the client a 503; short
# timeouts, so a stalled endpoint fails the request in seconds instead of holding the Lambda for minutes.
_BOTO_CONFIG = Config(
    retries={"max_attempts": 4, "mode": "standard"},
    connect_timeout=2,
    read_timeout=10,
    max_pool_connections=32,
)


class S3Store:
    """Objects in `bucket` under an optional key `prefix`, written with server-side encryption.

    boto3 reads its endpoint from ``AWS_ENDPOINT_URL_S3`` when set, which is how tests point it at moto.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        sse: str = "AES256",
        kms_key_id: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        self._sse = sse
        self._kms_key_id = kms_key_id
        self._client = client or boto3.client("s3", config=_BOTO_CONFIG)

    @property
    def client(self) -> Any:
        """The boto3 S3 client it works through (its endpoint, its event hooks)."""
        return self._client

    def put(self, key: str, data: bytes, content_type: str = "application/x-ndjson") -> ObjectInfo:
        extra: dict[str, str] = {"ServerSideEncryption": self._sse}
        if self._sse == "aws:kms" and self._kms_key_id:
            extra["SSEKMSKeyId"] = self._kms_key_id
        try:
            response = self._client.put_object(
                Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType=content_type, **extra
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot write s3://{self.bucket}/{self.prefix}{key}: {exc}") from exc
        return ObjectInfo(
            key=key,
            size=len(data),
            etag=response["ETag"].strip('"'),
            last_modified=datetime.now(UTC),
        )

    def get(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            return response["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot read s3://{self.bucket}/{self.prefix}{key}: {exc}") from exc

    def stream(self, key: str, chunk_bytes: int = 1 << 20) -> Iterator[bytes]:
        """The object's streaming body, chunk by chunk: a connection that breaks midway is a StorageError too."""
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            body = response["Body"]
            try:
                yield from body.iter_chunks(chunk_bytes)
            finally:
                body.close()
        except (BotoCoreError, ClientError, OSError) as exc:
            raise StorageError(f"cannot read s3://{self.bucket}/{self.prefix}{key}: {exc}") from exc

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield ObjectInfo(
                        key=item["Key"][len(self.prefix) :],
                        size=item["Size"],
                        etag=item["ETag"].strip('"'),
                        last_modified=item["LastModified"],
                    )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot list s3://{self.bucket}/{self.prefix}{prefix}: {exc}") from exc
