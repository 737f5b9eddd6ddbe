"""The raw layer's storage: one interface for S3 and a local directory, and the key layout both Lambdas share."""

from raw_store.base import ObjectInfo, RawStore, StorageError, StreamingStore
from raw_store.keys import KeyKind, hour_prefix, new_object_key, parse_object_hour
from raw_store.url import open_store

__all__ = [
    "KeyKind",
    "ObjectInfo",
    "RawStore",
    "StorageError",
    "StreamingStore",
    "hour_prefix",
    "new_object_key",
    "open_store",
    "parse_object_hour",
]
