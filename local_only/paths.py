"""Where the embedded default keeps its data: ``.data/`` in the working directory, or ``CLICKSTREAM_DATA_DIR``."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    return Path(os.environ.get("CLICKSTREAM_DATA_DIR", ".data")).resolve()


def default_store_url() -> str:
    """The local directory standing in for the raw S3 bucket, unless ``RAW_STORE_URL`` names another store."""
    return os.environ.get("RAW_STORE_URL") or (data_dir() / "raw").as_uri()
