"""The local directory store (raw_store/file_store.py) and opening stores from URLs (raw_store/url.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from raw_store import StorageError, open_store
from raw_store.file_store import FileStore
from raw_store.s3_store import S3Store

pytestmark = pytest.mark.unit

HOUR_05 = "events/2025/12/06/05/"
HOUR_06 = "events/2025/12/06/06/"


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "raw")


def test_put_get_round_trip(store: FileStore) -> None:
    data = b'{"eventName":"click"}\n{"eventName":"page_view"}\n'
    info = store.put(HOUR_05 + "event-a.json", data)
    assert store.get(HOUR_05 + "event-a.json") == data
    assert info.key == HOUR_05 + "event-a.json"
    assert info.size == len(data)
    assert abs(info.last_modified - datetime.now(UTC)) < timedelta(minutes=1)


def test_objects_are_plain_files_under_the_root(store: FileStore, tmp_path: Path) -> None:
    store.put(HOUR_05 + "event-a.json", b"x")
    assert (tmp_path / "raw" / "events/2025/12/06/05/event-a.json").read_bytes() == b"x"


def test_put_overwrites(store: FileStore) -> None:
    store.put("k.json", b"first")
    store.put("k.json", b"second")
    assert store.get("k.json") == b"second"
    assert [info.key for info in store.list("")] == ["k.json"]


def test_etag_is_stable_until_the_object_is_rewritten(store: FileStore) -> None:
    data = b"some bytes\n" * 100
    info = store.put("a/b.json", data)
    (listed,) = store.list("a/")
    assert listed.etag == info.etag
    assert listed.size == len(data)
    (again,) = store.list("a/")
    assert again.etag == info.etag
    rewritten = store.put("a/b.json", data)
    assert rewritten.etag != info.etag


def test_list_returns_what_was_put(store: FileStore) -> None:
    store.put(HOUR_05 + "event-a.json", b"aa")
    listed = list(store.list(HOUR_05))
    assert [(info.key, info.size) for info in listed] == [(HOUR_05 + "event-a.json", 2)]


def test_list_by_hour_prefix_returns_only_that_hour_in_key_order(store: FileStore) -> None:
    for key in [
        HOUR_05 + "event-c.json",
        HOUR_06 + "event-a.json",
        HOUR_05 + "event-a.json",
        "rejected/2025/12/06/05/rejected-a.json",
        HOUR_05 + "event-b.json",
        "events/2025/12/06/050.json",
    ]:
        store.put(key, key.encode())
    assert [info.key for info in store.list(HOUR_05)] == [
        HOUR_05 + "event-a.json",
        HOUR_05 + "event-b.json",
        HOUR_05 + "event-c.json",
    ]


def test_list_by_partial_prefix_filters_names(store: FileStore) -> None:
    store.put(HOUR_05 + "event-a.json", b"1")
    store.put(HOUR_05 + "rejected-a.json", b"2")
    assert [info.key for info in store.list(HOUR_05 + "event-")] == [HOUR_05 + "event-a.json"]


def test_list_of_a_day_spans_its_hours_in_order(store: FileStore) -> None:
    store.put(HOUR_06 + "event-a.json", b"1")
    store.put(HOUR_05 + "event-z.json", b"2")
    assert [info.key for info in store.list("events/2025/12/06/")] == [
        HOUR_05 + "event-z.json",
        HOUR_06 + "event-a.json",
    ]


def test_list_of_a_missing_prefix_is_empty(store: FileStore) -> None:
    assert list(store.list(HOUR_05)) == []
    store.put(HOUR_06 + "event-a.json", b"1")
    assert list(store.list(HOUR_05)) == []


def test_leftover_temp_files_are_never_listed(store: FileStore, tmp_path: Path) -> None:
    store.put(HOUR_05 + "event-a.json", b"1")
    (tmp_path / "raw" / HOUR_05 / ".tmp-xyz").write_bytes(b"half an obj")
    assert [info.key for info in store.list(HOUR_05)] == [HOUR_05 + "event-a.json"]
    assert [info.key for info in store.list("")] == [HOUR_05 + "event-a.json"]


def test_put_leaves_no_temp_file_behind(store: FileStore, tmp_path: Path) -> None:
    store.put(HOUR_05 + "event-a.json", b"1")
    assert sorted(os.listdir(tmp_path / "raw" / HOUR_05)) == ["event-a.json"]


@pytest.mark.parametrize("key", ["../x", "a/../../x", "events/../../outside.json", "/etc/passwd", "", ".."])
def test_path_traversal_and_bad_keys_are_storage_errors(store: FileStore, tmp_path: Path, key: str) -> None:
    with pytest.raises(StorageError, match="invalid object key"):
        store.put(key, b"x")
    with pytest.raises(StorageError):
        store.get(key)
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "outside.json").exists()


def test_get_of_a_missing_key_is_a_storage_error(store: FileStore) -> None:
    with pytest.raises(StorageError, match="cannot read"):
        store.get(HOUR_05 + "missing.json")


def test_unwritable_root_is_a_storage_error(tmp_path: Path) -> None:
    # A root below a regular file cannot be created, even by root (chmod would not stop uid 0).
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"")
    store = FileStore(blocker / "raw")
    with pytest.raises(StorageError, match="cannot write"):
        store.put(HOUR_05 + "event-a.json", b"x")


def test_fsync_off_writes_the_same_bytes(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "raw", fsync=False)
    store.put("k.json", b"data")
    assert store.get("k.json") == b"data"


def test_list_is_in_key_string_order_like_s3(store: FileStore) -> None:
    keys = ["a/b.json", "a.b/c.json", "a-b/c.json", "ab/c.json"]
    for key in keys:
        store.put(key, b"x")
    assert [info.key for info in store.list("")] == sorted(keys)


def test_list_never_leaves_the_root(store: FileStore, tmp_path: Path) -> None:
    store.put("k.json", b"x")
    (tmp_path / "outside.txt").write_bytes(b"not part of the store")
    try:
        keys = [info.key for info in store.list("../")]
    except StorageError:
        keys = []
    assert keys == []


# --- open_store -----------------------------------------------------------------------------------------------


def test_open_store_file_url(tmp_path: Path) -> None:
    store = open_store(tmp_path.as_uri())
    assert isinstance(store, FileStore)
    assert store.root == tmp_path.resolve()
    assert store.fsync is True
    store.put("k.json", b"x")
    assert (tmp_path / "k.json").read_bytes() == b"x"


@pytest.mark.parametrize("value", ["false", "0", "no", "FALSE"])
def test_open_store_fsync_off(tmp_path: Path, value: str) -> None:
    store = open_store(f"file://{tmp_path}?fsync={value}")
    assert isinstance(store, FileStore)
    assert store.fsync is False
    assert store.root == tmp_path.resolve()


def test_open_store_localhost_and_percent_encoded_path(tmp_path: Path) -> None:
    target = tmp_path / "with space"
    store = open_store(f"file://localhost{tmp_path}/with%20space")
    assert isinstance(store, FileStore)
    assert store.root == target.resolve()


def test_open_store_s3_url_without_touching_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    store = open_store("s3://bucket/some/prefix/", sse="aws:kms", kms_key_id="key-1")
    assert isinstance(store, S3Store)
    assert store.bucket == "bucket"
    assert store.prefix == "some/prefix/"
    assert store.url == "s3://bucket/some/prefix/"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("file://relative/dir", "must be file:///absolute/dir", id="file-host"),
        pytest.param("file:relative/dir", "must name an absolute directory", id="relative-path"),
        pytest.param("ftp://host/dir", "unsupported store URL", id="unknown-scheme"),
        pytest.param("/abs/dir", "unsupported store URL", id="no-scheme"),
        pytest.param("s3://", "names no bucket", id="s3-empty"),
        pytest.param("s3:///prefix", "names no bucket", id="s3-without-bucket"),
    ],
)
def test_bad_store_urls_raise_value_error_naming_the_problem(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        open_store(url)
    assert repr(url) in str(caught.value)


def test_stream_reads_an_object_in_chunks_and_a_missing_one_fails(store: FileStore) -> None:
    data = bytes(range(256)) * 5000
    store.put("events/2025/12/06/05/event-big.json", data)

    chunks = list(store.stream("events/2025/12/06/05/event-big.json", chunk_bytes=64 * 1024))

    assert b"".join(chunks) == data
    assert len(chunks) > 1 and max(len(chunk) for chunk in chunks) <= 64 * 1024
    with pytest.raises(StorageError, match="cannot read"):
        list(store.stream("events/2025/12/06/05/missing.json"))


def test_put_into_an_hour_removed_since_the_last_write_makes_it_again(store: FileStore, tmp_path: Path) -> None:
    # The store remembers the directories it made; one deleted behind its back (a cleaned-up hour) is made again.
    store.put(HOUR_05 + "event-a.json", b"1")
    for name in os.listdir(tmp_path / "raw" / HOUR_05):
        os.unlink(tmp_path / "raw" / HOUR_05 / name)
    os.rmdir(tmp_path / "raw" / HOUR_05)
    store.put(HOUR_05 + "event-b.json", b"2")
    assert [(info.key, store.get(info.key)) for info in store.list(HOUR_05)] == [(HOUR_05 + "event-b.json", b"2")]
