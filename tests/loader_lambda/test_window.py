"""The loader's input → plan: which hours a run loads, and a clear error naming the field for bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clickstream.load_command import load_command
from loader_lambda.window import MAX_BACKFILL_HOURS, LoaderInputError, plan_backfill, plan_from_event, plan_scheduled
from local_only.lambda_context import LocalLambdaContext

pytestmark = pytest.mark.unit

NOW = datetime(2025, 12, 6, 7, 23, 45, tzinfo=UTC)
LOOKBACK = 2


def hours(*values: int, day: int = 6) -> tuple[datetime, ...]:
    return tuple(datetime(2025, 12, day, value, tzinfo=UTC) for value in values)


# -- good input -------------------------------------------------------------------------------------------------


def test_scheduled_event_loads_the_previous_full_hour_and_two_lookback_hours() -> None:
    event = {"detail-type": "Scheduled Event", "source": "aws.events", "time": "2025-12-06T06:05:00Z"}

    plan = plan_from_event(event, NOW, LOOKBACK)

    assert plan.trigger == "schedule"
    assert plan.source == "events"
    assert plan.hours == hours(3, 4, 5)
    assert plan.window == (datetime(2025, 12, 6, 3, tzinfo=UTC), datetime(2025, 12, 6, 6, tzinfo=UTC))


def test_scheduled_event_uses_its_own_time_not_the_clock() -> None:
    late_delivery = NOW + timedelta(hours=5)
    event = {"detail-type": "Scheduled Event", "source": "aws.events", "time": "2025-12-06T00:05:00Z"}

    assert plan_from_event(event, late_delivery, LOOKBACK).hours == (
        datetime(2025, 12, 5, 21, tzinfo=UTC),
        datetime(2025, 12, 5, 22, tzinfo=UTC),
        datetime(2025, 12, 5, 23, tzinfo=UTC),
    )


@pytest.mark.parametrize("event", [None, {}])
def test_no_selector_is_the_schedule_on_the_clock(event: Any) -> None:
    assert plan_from_event(event, NOW, LOOKBACK).hours == hours(4, 5, 6)


def test_hours_back_one_ends_with_the_previous_hour() -> None:
    plan = plan_from_event({"hoursBack": 1}, NOW, LOOKBACK)

    assert plan.trigger == "hoursBack"
    assert plan.hours[-1] == datetime(2025, 12, 6, 6, tzinfo=UTC)


def test_hours_back_one_is_the_previous_hour_and_its_lookback() -> None:
    """Like every run, hoursBack re-lists the LOOKBACK_HOURS before the hour it names (docs/loader.md)."""
    assert plan_from_event({"hoursBack": 1}, NOW, LOOKBACK).hours == hours(4, 5, 6)
    assert plan_from_event({"hoursBack": 1}, NOW, 0).hours == hours(6)


def test_a_misspelled_input_key_is_refused_not_ignored() -> None:
    with pytest.raises(LoaderInputError, match="hoursback"):
        plan_from_event({"hoursback": 1}, NOW, LOOKBACK)


def test_target_hour_is_that_hour_alone_floored_and_in_utc() -> None:
    assert plan_from_event({"targetUtcHour": "2025-12-06T05:00:00Z"}, NOW, LOOKBACK).hours == hours(5)
    assert plan_from_event({"targetUtcHour": "2025-12-06T07:59:59+02:00"}, NOW, LOOKBACK).hours == hours(5)


def test_override_prefix_is_that_hour_and_prefix() -> None:
    plan = plan_from_event({"overridePrefix": "events/2025/12/06/05/"}, NOW, LOOKBACK)

    assert (plan.trigger, plan.hours, plan.prefix) == ("overridePrefix", hours(5), "events/2025/12/06/05/")


def test_backfill_covers_both_ends() -> None:
    plan = plan_from_event({"fromHour": "2025-12-05T22:00:00Z", "toHour": "2025-12-06T01:00:00Z"}, NOW, LOOKBACK)

    assert plan.trigger == "backfill"
    assert plan.hours == (*hours(22, 23, day=5), *hours(0, 1))


def test_backfill_at_the_limit_is_accepted() -> None:
    start = datetime(2025, 10, 1, tzinfo=UTC)
    end = start + timedelta(hours=MAX_BACKFILL_HOURS - 1)

    plan = plan_from_event({"fromHour": start.isoformat(), "toHour": end.isoformat()}, NOW, LOOKBACK)

    assert len(plan.hours) == MAX_BACKFILL_HOURS


def test_compacted_source_is_kept() -> None:
    plan = plan_from_event({"targetUtcHour": "2025-12-06T05:00:00Z", "source": "compacted"}, NOW, LOOKBACK)

    assert plan.source == "compacted"


# -- bad input: a LoaderInputError naming the field -------------------------------------------------------------

BAD_INPUT = [
    pytest.param({"hoursBack": -1}, "hoursBack", id="hoursBack-negative"),
    pytest.param({"hoursBack": "x"}, "hoursBack", id="hoursBack-text"),
    pytest.param({"hoursBack": True}, "hoursBack", id="hoursBack-bool"),
    pytest.param({"hoursBack": 1.5}, "hoursBack", id="hoursBack-float"),
    pytest.param({"hoursBack": MAX_BACKFILL_HOURS + 1}, "hoursBack", id="hoursBack-too-far"),
    pytest.param({"targetUtcHour": "yesterday"}, "targetUtcHour", id="targetUtcHour-words"),
    pytest.param({"targetUtcHour": 1733461200}, "targetUtcHour", id="targetUtcHour-number"),
    pytest.param({"overridePrefix": "foo/"}, "overridePrefix", id="overridePrefix-outside-layout"),
    pytest.param({"overridePrefix": "events/2025/12/06/"}, "overridePrefix", id="overridePrefix-a-day"),
    pytest.param({"overridePrefix": "rejected/2025/12/06/05/"}, "overridePrefix", id="overridePrefix-other-kind"),
    pytest.param({"fromHour": "2025-12-06T05:00:00Z"}, "toHour", id="fromHour-without-toHour"),
    pytest.param({"toHour": "2025-12-06T05:00:00Z"}, "fromHour", id="toHour-without-fromHour"),
    pytest.param(
        {"fromHour": "2025-12-06T05:00:00Z", "toHour": "2025-12-06T04:00:00Z"}, "toHour", id="toHour-before-fromHour"
    ),
    pytest.param({"fromHour": "then", "toHour": "2025-12-06T04:00:00Z"}, "fromHour", id="fromHour-not-a-time"),
    pytest.param({"hoursBack": 1, "targetUtcHour": "2025-12-06T05:00:00Z"}, "hoursBack", id="two-selectors"),
    pytest.param(
        {"targetUtcHour": "2025-12-06T05:00:00Z", "fromHour": "2025-12-06T05:00:00Z", "toHour": "2025-12-06T06:00Z"},
        "targetUtcHour",
        id="selector-and-backfill",
    ),
    pytest.param({"targetUtcHour": "2025-12-06T05:00:00Z", "source": "s3"}, "source", id="source-s3"),
    pytest.param({"detail-type": "Scheduled Event", "time": "soon"}, "time", id="schedule-bad-time"),
]


@pytest.mark.parametrize(("event", "field"), BAD_INPUT)
def test_bad_input_is_an_error_naming_the_field(event: dict[str, Any], field: str) -> None:
    with pytest.raises(LoaderInputError) as caught:
        plan_from_event(event, NOW, LOOKBACK)

    assert field in str(caught.value)


def test_two_selectors_are_both_named() -> None:
    with pytest.raises(LoaderInputError, match="hoursBack") as caught:
        plan_from_event({"hoursBack": 1, "overridePrefix": "events/2025/12/06/05/"}, NOW, LOOKBACK)

    assert "overridePrefix" in str(caught.value)


def test_not_an_object_is_an_error() -> None:
    with pytest.raises(LoaderInputError, match="JSON object"):
        plan_from_event(["hoursBack", 1], NOW, LOOKBACK)


def test_backfill_over_the_limit_is_refused() -> None:
    start = datetime(2025, 10, 1, tzinfo=UTC)
    end = start + timedelta(hours=MAX_BACKFILL_HOURS)

    with pytest.raises(LoaderInputError, match=f"at most {MAX_BACKFILL_HOURS} hours"):
        plan_from_event({"fromHour": start.isoformat(), "toHour": end.isoformat()}, NOW, LOOKBACK)


def test_backfill_over_the_limit_names_the_fields() -> None:
    start = datetime(2025, 10, 1, tzinfo=UTC)
    end = start + timedelta(hours=MAX_BACKFILL_HOURS)

    with pytest.raises(LoaderInputError) as caught:
        plan_from_event({"fromHour": start.isoformat(), "toHour": end.isoformat()}, NOW, LOOKBACK)

    assert "fromHour" in str(caught.value) and "toHour" in str(caught.value)


# -- the entry points: bad input fails before anything is touched ------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A complete configuration, so that only the option under test can be wrong; the warehouse is never reached."""
    for name, value in {"DW_PG_HOST": "127.0.0.1", "DW_PG_PORT": "1", "DW_PG_PASSWORD": "unused"}.items():
        monkeypatch.setenv(name, value)
    return (tmp_path / "raw").as_uri()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--hours-back", "-1"], "hoursBack"),
        (["--target-hour", "yesterday"], "targetUtcHour"),
        (["--prefix", "foo/"], "overridePrefix"),
        (["--from-hour", "2025-12-06T05:00:00Z"], "toHour"),
        (["--from-hour", "2025-12-06T05:00:00Z", "--to-hour", "2025-12-06T04:00:00Z"], "toHour"),
        (["--hours-back", "1", "--target-hour", "2025-12-06T05:00:00Z"], "targetUtcHour"),
    ],
)
def test_cli_bad_input_is_a_usage_error(args: list[str], field: str, cli_env: str) -> None:
    result = CliRunner().invoke(load_command, [*args, "--store", cli_env, "--quiet"])

    assert result.exit_code == 2, result.output
    assert "Error" in result.stderr and field in result.stderr
    assert "cannot reach the warehouse" not in result.output


def test_cli_bad_source_is_a_usage_error(cli_env: str) -> None:
    result = CliRunner().invoke(load_command, ["--source", "s3", "--store", cli_env])

    assert result.exit_code == 2
    assert "--source" in result.stderr


def test_cli_bad_store_url_is_a_usage_error(cli_env: str) -> None:
    result = CliRunner().invoke(load_command, ["--store", "ftp://host/raw", "--quiet"])

    assert result.exit_code == 2
    assert "ftp://host/raw" in result.stderr


def test_handler_bad_input_raises_naming_the_field(tmp_path: Path) -> None:
    from loader_lambda.handler import handler
    from loader_lambda.services import build_services, override_services
    from loader_lambda.settings import LoaderSettings
    from warehouse.connection import WarehouseSettings

    settings = LoaderSettings(raw_store_url=(tmp_path / "raw").as_uri())
    services = build_services(settings, WarehouseSettings(port=1, password="unused"))
    with (
        override_services(services),
        pytest.raises(LoaderInputError, match="targetUtcHour"),
    ):
        handler({"targetUtcHour": "yesterday"}, LocalLambdaContext(function_name="clickstream-loader-test"))


def test_the_scheduled_plan_is_what_eventbridge_firing_the_hour_after_decodes_to() -> None:
    """EventBridge fires at HOUR+1:05; the loader turns that into HOUR and its lookback, as the hourly cycle asks."""
    hour = datetime(2025, 12, 6, 5, tzinfo=UTC)
    fired = (hour + timedelta(hours=1, minutes=5)).isoformat()
    event = {"detail-type": "Scheduled Event", "source": "aws.events", "time": fired}

    plan = plan_scheduled(hour + timedelta(minutes=30), 2)

    assert plan == plan_from_event(event, NOW + timedelta(days=3), 2)
    assert plan.trigger == "schedule"
    assert plan.hours == (hour - timedelta(hours=2), hour - timedelta(hours=1), hour)


def test_a_typed_backfill_is_what_its_input_decodes_to() -> None:
    first, last = datetime(2025, 12, 5, 22, 10, tzinfo=UTC), datetime(2025, 12, 6, 1, tzinfo=UTC)
    event = {"fromHour": first.isoformat(), "toHour": last.isoformat()}

    assert plan_backfill(first, last) == plan_from_event(event, NOW, LOOKBACK)
    assert len(plan_backfill(first, last).hours) == 4
    with pytest.raises(LoaderInputError, match="before"):
        plan_backfill(last, first)
