"""SHOP_* parsed once into ShopExtractSettings; the password from SSM in AWS (moto's SSM here)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from pydantic import ValidationError

from shop_extract.settings import ShopExtractSettings, shop_configured

pytestmark = pytest.mark.unit


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        boto3.client("ssm").put_parameter(
            Name="/clickstream/shop/reader-password", Value="from-ssm p@ss", Type="SecureString"
        )
        yield


def test__settings__from_shop_pg_variables_with_the_password_from_ssm(
    ssm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_PG_HOST", "shop-db.internal")
    monkeypatch.setenv("SHOP_PG_DATABASE", "shop")
    monkeypatch.setenv("SHOP_PG_PASSWORD_PARAM", "/clickstream/shop/reader-password")
    monkeypatch.setenv("SHOP_PG_SSL", "true")
    settings = ShopExtractSettings()
    url = settings.url()
    assert (url.host, url.port, url.database, url.username) == ("shop-db.internal", 5432, "shop", "shop_reader")
    assert url.password == "from-ssm p@ss"
    assert url.query["sslmode"] == "require"
    assert "from-ssm" not in repr(settings)
    assert settings.where() == "shop-db.internal:5432/shop"


def test__settings__a_url_without_a_password_takes_it_from_ssm(ssm: None) -> None:
    settings = ShopExtractSettings(
        database_url="postgresql://shop_reader@db:6543/shop", pg_password_param="/clickstream/shop/reader-password"
    )
    assert settings.url().password == "from-ssm p@ss"
    assert settings.url().port == 6543


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "set SHOP_DATABASE_URL, or SHOP_PG_HOST"),
        ({"pg_host": "db"}, "SHOP_PG_PASSWORD_PARAM"),
        ({"database_url": "mysql://u:p@db/shop"}, "must be a postgresql:// URL"),
        ({"database_url": "postgresql://u:p@db/shop", "extract_lag_seconds": -1}, "greater than or equal to 0"),
    ],
)
def test__settings__bad_configuration_is_refused_with_what_to_set(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ShopExtractSettings(**values)  # type: ignore[arg-type]


def test__shop_configured__only_when_the_shop_database_is_named() -> None:
    assert not shop_configured({})
    assert shop_configured({"SHOP_PG_HOST": "db"})
    assert shop_configured({"SHOP_DATABASE_URL": "postgresql://u:p@db/shop"})
