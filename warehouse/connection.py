"""How to reach the warehouse (the ``DW_PG_*`` variables, parsed once: docs/loader.md) and what it means when it
cannot be reached."""

from __future__ import annotations

from typing import Any

import psycopg2
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class WarehouseUnreachable(RuntimeError):
    """The warehouse could not be reached (or refused the connection): nothing was done there.

    The loader, the transform runner and the dashboard all raise this one; its message says where and why.
    """


class WarehouseSettings(BaseSettings):
    """``DW_PG_HOST/PORT/USER/PASSWORD/DATABASE/SSL``; in AWS the password comes from the SecureString parameter
    ``DW_PG_PASSWORD_PARAM`` instead of the environment."""

    model_config = SettingsConfigDict(env_prefix="DW_PG_", case_sensitive=False, frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=5432, gt=0, lt=65536)
    user: str = "postgres"
    password: str | None = Field(default=None, repr=False)
    password_param: str | None = None
    database: str = "clickstream_dw"
    ssl: bool = False
    connect_timeout: int = Field(default=10, gt=0)

    @model_validator(mode="after")
    def _has_password(self) -> WarehouseSettings:
        if self.password is None and self.password_param is None:
            raise ValueError("set DW_PG_PASSWORD, or DW_PG_PASSWORD_PARAM naming an SSM SecureString parameter")
        return self

    def resolve_password(self) -> str:
        if self.password is not None:
            return self.password
        if self.password_param is None:  # _has_password refuses settings without either
            raise ValueError("set DW_PG_PASSWORD, or DW_PG_PASSWORD_PARAM naming an SSM SecureString parameter")
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_parameter(self.password_param, decrypt=True, max_age=300))

    def connect_kwargs(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.resolve_password(),
            "dbname": self.database,
            "sslmode": "require" if self.ssl else "prefer",
            "connect_timeout": self.connect_timeout,
            "application_name": "clickstream",
        }

    def connect(self, **overrides: Any) -> psycopg2.extensions.connection:
        return psycopg2.connect(**{**self.connect_kwargs(), **overrides})

    def where(self) -> str:
        return f"{self.host}:{self.port}/{self.database}"

    def connect_or_unreachable(self, **overrides: Any) -> psycopg2.extensions.connection:
        """`connect`, with a failure to connect raised as WarehouseUnreachable naming the server."""
        try:
            return self.connect(**overrides)
        except psycopg2.OperationalError as exc:
            raise WarehouseUnreachable(f"cannot reach the warehouse at {self.where()}: {str(exc).strip()}") from exc
