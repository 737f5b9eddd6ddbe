"""Where the shop's database is and how to extract it, read once from the environment into a typed object.

``SHOP_DATABASE_URL`` (``postgresql://user:password@host:port/db``) or ``SHOP_PG_HOST/PORT/USER/PASSWORD/DATABASE/
SSL``; in AWS the password comes from the SecureString parameter ``SHOP_PG_PASSWORD_PARAM`` instead. The extract
is configured when either ``SHOP_DATABASE_URL`` or ``SHOP_PG_HOST`` is set (``shop_configured``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

# The shop's tables as Prisma names them, each extracted by its primary key "id" and cursor "updatedAt".
SHOP_TABLES = ("User", "Product", "Inventory", "Order", "OrderItem", "Refund")


def shop_configured(environ: Mapping[str, str] | None = None) -> bool:
    """True when the environment names a shop database to extract (the hourly cycle runs the extract only then)."""
    env = os.environ if environ is None else environ
    return bool(env.get("SHOP_DATABASE_URL") or env.get("SHOP_PG_HOST"))


class ShopExtractSettings(BaseSettings):
    """``SHOP_*``: the shop's database (read-only role) and the extract's own knobs."""

    model_config = SettingsConfigDict(env_prefix="SHOP_", case_sensitive=False, frozen=True)

    database_url: str | None = Field(default=None, repr=False)
    pg_host: str | None = None
    pg_port: int = Field(default=5432, gt=0, lt=65536)
    pg_user: str = "shop_reader"
    pg_password: str | None = Field(default=None, repr=False)
    pg_password_param: str | None = None
    pg_database: str = "shop"
    pg_ssl: bool = False
    pg_schema: str = "public"
    # Rows whose updatedAt is up to this far behind the newest one already extracted are read again: Prisma sets
    # updatedAt when the statement runs, so a transaction that commits later than a newer one would be skipped.
    extract_lag_seconds: int = Field(default=900, ge=0)
    # How dlt reads the shop: "pyarrow" fetches rows into Arrow tables and loads them by COPY of CSV files;
    # "sqlalchemy" (dlt's default) goes row by row through dlt's normalizer and INSERT statements: 3.3x the CPU and
    # 2.3x the wall time of a first run at 1M orders (docs/benchmarks.md, "Shop extract"). Both land the same
    # columns and values.
    extract_backend: Literal["pyarrow", "sqlalchemy"] = "pyarrow"
    # Another extract holds the lock: wait this long, then record lock_timeout (0: do not wait).
    extract_lock_timeout_seconds: float = Field(default=900, ge=0)
    # dlt's working directory (its load packages between extract and load); the state itself lives in raw_shop.
    extract_workdir: Path = Path.home() / ".local" / "share" / "clickstream" / "shop-extract"
    connect_timeout: int = Field(default=10, gt=0)

    @model_validator(mode="after")
    def _names_a_database(self) -> ShopExtractSettings:
        if self.database_url is None and self.pg_host is None:
            raise ValueError("set SHOP_DATABASE_URL, or SHOP_PG_HOST (with SHOP_PG_USER, SHOP_PG_DATABASE, ...)")
        if self.database_url is not None:
            url = make_url(self.database_url)
            if url.get_backend_name() != "postgresql":
                raise ValueError(f"SHOP_DATABASE_URL must be a postgresql:// URL, not {url.drivername}://")
        elif self.pg_password is None and self.pg_password_param is None:
            raise ValueError("set SHOP_PG_PASSWORD, or SHOP_PG_PASSWORD_PARAM naming an SSM SecureString parameter")
        return self

    def resolve_password(self) -> str | None:
        if self.pg_password is not None:
            return self.pg_password
        if self.pg_password_param is None:
            return None
        import boto3

        reply = boto3.client("ssm").get_parameter(Name=self.pg_password_param, WithDecryption=True)
        return str(reply["Parameter"]["Value"])

    def url(self) -> URL:
        """The SQLAlchemy URL of the shop's database, password resolved (psycopg2 driver)."""
        if self.database_url is not None:
            url = make_url(self.database_url).set(drivername="postgresql+psycopg2")
            if url.password is None and (password := self.resolve_password()) is not None:
                url = url.set(password=password)
            return url
        query = {"sslmode": "require" if self.pg_ssl else "prefer"}
        return URL.create(
            "postgresql+psycopg2",
            username=self.pg_user,
            password=self.resolve_password(),
            host=self.pg_host,
            port=self.pg_port,
            database=self.pg_database,
            query=query,
        )

    def engine_kwargs(self) -> dict[str, Any]:
        # Read-only on our side too: every transaction the extract opens refuses writes, whatever the role may do.
        options = "-c default_transaction_read_only=on -c application_name=clickstream-shop-extract"
        return {"connect_args": {"options": options, "connect_timeout": self.connect_timeout}}

    def where(self) -> str:
        """host:port/database, for messages (no password, no SSM call)."""
        if self.database_url is not None:
            url = make_url(self.database_url)
            return f"{url.host}:{url.port or 5432}/{url.database}"
        return f"{self.pg_host}:{self.pg_port}/{self.pg_database}"
