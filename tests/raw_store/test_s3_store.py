"""The S3 store (raw_store/s3_store.py) against moto's S3 server over real HTTP."""

from __future__ import annotations

import hashlib
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer

from raw_store import RawStore, StorageError, open_store
from raw_store.s3_store import S3Store

pytestmark = pytest.mark.integration

HOUR_05 = "events/2025/12/06/05/"
HOUR_06 = "events/2025/12/06/06/"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 over HTTP on a free port, for the whole session."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield endpoint
    finally:
        server.stop()


def _point_aws_at(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    # Nothing from the developer's machine may leak in: no profile, no session, no other endpoint.
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> str:
    """The environment a Lambda would have, pointing at moto; monkeypatch restores it after each test."""
    _point_aws_at(monkeypatch, moto_endpoint)
    return moto_endpoint


@pytest.fixture
def s3(aws_env: str) -> Any:
    return boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"raw-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def store(bucket: str) -> S3Store:
    opened = open_store(f"s3://{bucket}/prefix")
    assert isinstance(opened, S3Store)
    return opened


def test_open_store_reads_the_endpoint_from_the_environment(store: S3Store, aws_env: str) -> None:
    assert store.client.meta.endpoint_url == aws_env
    assert store.url.endswith("/prefix/")


def test_put_get_round_trip(store: S3Store, s3: Any, bucket: str) -> None:
    data = b'{"eventName":"click"}\n'
    info = store.put(HOUR_05 + "event-a.json", data)
    assert info.key == HOUR_05 + "event-a.json"
    assert info.size == len(data)
    assert info.etag == hashlib.md5(data).hexdigest()
    assert store.get(HOUR_05 + "event-a.json") == data
    # Stored under the prefix, with the content type the ingest writes.
    head = s3.head_object(Bucket=bucket, Key="prefix/" + HOUR_05 + "event-a.json")
    assert head["ContentType"] == "application/x-ndjson"


def test_objects_are_encrypted_at_rest(store: S3Store, s3: Any, bucket: str) -> None:
    store.put(HOUR_05 + "event-a.json", b"x")
    head = s3.head_object(Bucket=bucket, Key="prefix/" + HOUR_05 + "event-a.json")
    assert head["ServerSideEncryption"] == "AES256"


def test_list_strips_the_prefix_and_keeps_to_the_hour(store: S3Store, s3: Any, bucket: str) -> None:
    for key in [HOUR_05 + "event-b.json", HOUR_06 + "event-a.json", HOUR_05 + "event-a.json"]:
        store.put(key, key.encode())
    # Outside the store's prefix: not the store's object even though the rest of the key matches.
    s3.put_object(Bucket=bucket, Key=HOUR_05 + "event-0.json", Body=b"x")
    listed = list(store.list(HOUR_05))
    assert [info.key for info in listed] == [HOUR_05 + "event-a.json", HOUR_05 + "event-b.json"]
    assert listed[0].size == len(HOUR_05 + "event-a.json")
    assert listed[0].etag == hashlib.md5((HOUR_05 + "event-a.json").encode()).hexdigest()
    assert listed[0].last_modified.tzinfo is not None


def test_store_without_prefix_lists_whole_keys(bucket: str) -> None:
    store = open_store(f"s3://{bucket}")
    store.put("events/k.json", b"x")
    assert [info.key for info in store.list("events/")] == ["events/k.json"]
    assert store.get("events/k.json") == b"x"


def test_list_paginates_past_1000_objects(store: S3Store, bucket: str) -> None:
    # S3 returns at most 1000 keys a page. 1000 objects are seeded straight into moto's in-process backend
    # (1005 PUTs over HTTP cost ~7 s under the GIL); 5 more go through the store, and all 1005 are listed
    # over HTTP, across the page boundary.
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    keys = [f"{HOUR_05}event-{i:05d}.json" for i in range(1005)]
    for key in keys[:1000]:
        backend.put_object(bucket, "prefix/" + key, b"{}\n")
    for key in keys[1000:]:
        store.put(key, b"{}\n")
    pages: list[int] = []
    store.client.meta.events.register(
        "after-call.s3.ListObjectsV2", lambda parsed, **_: pages.append(len(parsed.get("Contents", [])))
    )
    listed = list(store.list(HOUR_05))
    assert pages == [1000, 5]
    assert len(listed) == 1005
    assert [info.key for info in listed] == keys
    assert {info.size for info in listed} == {3}


def test_get_of_a_missing_key_is_a_storage_error(store: S3Store) -> None:
    with pytest.raises(StorageError, match="cannot read"):
        store.get(HOUR_05 + "missing.json")


def test_missing_bucket_is_a_storage_error(aws_env: str) -> None:
    store = open_store(f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}")
    with pytest.raises(StorageError, match="cannot write"):
        store.put("k.json", b"x")
    with pytest.raises(StorageError, match="cannot list"):
        list(store.list(""))


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        pytest.param(lambda store: store.get("k.json"), "cannot read", id="get"),
        pytest.param(lambda store: store.put("k.json", b"x"), "cannot write", id="put"),
        pytest.param(lambda store: list(store.list("events/")), "cannot list", id="list"),
    ],
)
def test_unreachable_endpoint_is_a_storage_error(
    monkeypatch: pytest.MonkeyPatch,
    operation: Callable[[RawStore], object],
    message: str,
) -> None:
    _point_aws_at(monkeypatch, f"http://127.0.0.1:{_free_port()}")  # nothing listens there
    store = open_store("s3://bucket/prefix")
    started = time.monotonic()
    with pytest.raises(StorageError, match=message) as caught:
        operation(store)
    # A connection refused is retried by the SDK (4 attempts), but must not hang.
    assert time.monotonic() - started < 30
    assert "Could not connect" in str(caught.value)


def test_stream_reads_an_object_in_chunks_and_a_missing_one_fails(store: S3Store) -> None:
    data = bytes(range(256)) * 5000
    store.put(HOUR_05 + "event-big.json", data)

    chunks = list(store.stream(HOUR_05 + "event-big.json", chunk_bytes=64 * 1024))

    assert b"".join(chunks) == data
    assert len(chunks) > 1 and max(len(chunk) for chunk in chunks) <= 64 * 1024
    with pytest.raises(StorageError, match="cannot read"):
        list(store.stream(HOUR_05 + "missing.json"))
