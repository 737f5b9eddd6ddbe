"""The dbt project on Spark, the engine docs/scaling.md picks: it compiles, and staging and sessions agree.

Spark runs here from PyPI (pyspark, Java 17) in its own environment, .venv-spark (`make spark-venv`), which the dev
lock does not carry; tests/support/spark_dbt.py runs dbt there with dbt-spark's `session` method and the profile's
`spark` target. Both tests are in the slow tier (CLICKSTREAM_SLOW=1: a Spark session takes half a minute to start,
a build minutes) and skip, saying how to get it, when .venv-spark or Java is absent.

- Every model compiles for Spark (so every `spark__` macro of macros/cross_db/ renders), and Spark's own parser
  reads the compiled SQL of every model, the marts included since their contract casts go through
  dbt.type_string() and type_timestamptz() (docs/scaling.md).
- Generated traffic is loaded into PostgreSQL by the real loader, which also writes the compacted Parquet; Spark
  builds stg_clickstream__events and int_events_sessionized from that Parquet, and their rows equal PostgreSQL's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from support.dbt_invoke import Dbt, prepare_warehouse

from local_only.postgres import Connection

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.environ.get("CLICKSTREAM_SLOW") != "1", reason="Spark builds (minutes): CLICKSTREAM_SLOW=1"),
]

REPO = Path(__file__).resolve().parents[2]
SPARK_PYTHON = REPO / ".venv-spark" / "bin" / "python"
RUNNER = REPO / "tests" / "support" / "spark_dbt.py"

# Compared between the engines: every column but staged_at (when it was staged) and the raw payload's copies.
STAGED_COLUMNS = (
    "event_id, visitor_id, client_id, user_id, session_id, event_name, is_first_visit, is_sanitized, page_url, "
    "page_host, page_path, referrer_host, utm_source, utm_medium, utm_campaign, product_id, product_price, "
    "order_id, order_revenue, order_currency, search_query, device_type, country, event_timestamp, received_at, "
    "s3_key, line_no"
)
SESSIONIZED_COLUMNS = "event_id, session_key, visitor_id, is_session_start, event_timestamp"


@pytest.fixture
def spark_python() -> Path:
    if not SPARK_PYTHON.exists():
        pytest.skip(".venv-spark is absent: make spark-venv (pyspark, dbt-spark; docs/scaling.md)")
    if shutil.which("java") is None:
        pytest.skip("no java on PATH: Spark needs Java 17")
    return SPARK_PYTHON


def _dbt_args(work: Path, command: str, *extra: str) -> list[str]:
    return [
        command,
        "--project-dir",
        str(REPO),
        "--profiles-dir",
        str(REPO / "dbt_project"),
        "--target",
        "spark",
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--no-version-check",
        "--no-partial-parse",
        *extra,
    ]


def _run_spark(python: Path, work: Path, **job: Any) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    job_file = work / "job.json"
    job_file.write_text(json.dumps({"work": str(work), **job}), encoding="utf-8")
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    finished = subprocess.run(
        # -I: the script's folder is not on sys.path (dbt imports every dbt_* module there as a plugin).
        [str(python), "-I", str(RUNNER), str(job_file)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-5000:]
    result: dict[str, Any] = json.loads((work / "result.json").read_text(encoding="utf-8"))
    for invocation in result["invocations"]:
        assert invocation["success"], (invocation["args"][0], invocation["exception"], invocation["problems"])
    return result


def test_the_project_compiles_for_spark_and_spark_parses_the_ported_models(spark_python: Path, tmp_path: Path) -> None:
    work = tmp_path / "spark"
    compiled = work / "target" / "compiled" / "clickstream_warehouse" / "dbt_project" / "models"
    result = _run_spark(
        spark_python,
        work,
        invocations=[_dbt_args(work, "compile", "--select", "resource_type:model")],
        parse_compiled=str(compiled),
    )
    parsed = {Path(name).stem for name in result["parsed"]}
    unparsed = {Path(name).stem: error for name, error in result["unparsed"].items()}
    models = {path.stem for path in (REPO / "dbt_project" / "models").rglob("*.sql")}
    assert parsed | set(unparsed) == models, sorted(models ^ (parsed | set(unparsed)))
    assert {"stg_clickstream__events", "int_events_sessionized", "int_visitors_touched", "sessions"} <= parsed
    assert unparsed == {}


def _normal(value: Any) -> Any:
    """A cell as both engines can be compared: instants in UTC to the microsecond, numbers without trailing zeros."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return _normal(moment)
        try:
            return str(Decimal(value).normalize())
        except ArithmeticError:
            return value
    return value


def _rows(rows: list[list[Any]] | list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted((tuple(_normal(cell) for cell in row) for row in rows), key=repr)


def test_staging_and_sessions_built_on_spark_from_the_compacted_parquet_equal_postgres(
    spark_python: Path, warehouse: Connection, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from loader_lambda.loader import run_load
    from loader_lambda.settings import LoaderSettings
    from loader_lambda.window import plan_from_event
    from local_only.simulator.run import generate
    from raw_store import open_store

    # A day of generated shop traffic, loaded into PostgreSQL by the loader, which compacts each hour it loaded.
    raw_root = tmp_path / "raw"
    store_url = raw_root.as_uri() + "?fsync=false"
    summary = generate(store_url, days=1, start=date(2025, 3, 7), seed=7, events_per_day=2_000, workers=1)
    assert summary.errors == 0, summary.error_samples
    loader = prepare_warehouse(warehouse, monkeypatch)
    settings = LoaderSettings(raw_store_url=store_url, compact=True, lock_timeout_seconds=60)
    event = {"fromHour": "2025-03-07T00:00:00Z", "toHour": "2025-03-08T23:00:00Z"}
    now = datetime.now(UTC)
    loaded = run_load(
        plan_from_event(event, now, settings.lookback_hours), open_store(store_url), settings, loader, now=now
    )
    assert loaded.status == "succeeded", loaded.problems
    compacted = sorted(raw_root.glob("compacted/**/events.parquet"))
    assert compacted, "the loader compacted no hour"

    Dbt(tmp_path / "pg").build("--select", "+int_events_sessionized", data_tests=False)
    with psycopg2.connect(warehouse.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(f"select {STAGED_COLUMNS} from staging.stg_clickstream__events")
        postgres_staged = _rows(cursor.fetchall())
        cursor.execute(f"select {SESSIONIZED_COLUMNS} from intermediate.int_events_sessionized")
        postgres_sessionized = _rows(cursor.fetchall())
    assert len(postgres_staged) > 1_000

    work = tmp_path / "spark"
    result = _run_spark(
        spark_python,
        work,
        compacted=str(raw_root / "compacted" / "*" / "*" / "*" / "*" / "events.parquet"),
        invocations=[
            _dbt_args(
                work,
                "build",
                *("--select", "+int_events_sessionized", "--exclude-resource-type", "test", "unit_test"),
                # No Iceberg here (its jars are not on PyPI): plain parquet tables, right for this first build.
                *("--vars", '{"spark_file_format": "parquet"}'),
            )
        ],
        export={
            "staged": f"select {STAGED_COLUMNS} from staging.stg_clickstream__events",
            "sessionized": f"select {SESSIONIZED_COLUMNS} from intermediate.int_events_sessionized",
        },
    )
    spark_staged, spark_sessionized = _rows(result["tables"]["staged"]), _rows(result["tables"]["sessionized"])
    assert len(spark_staged) == len(postgres_staged)
    assert [row for row in spark_staged if row not in set(postgres_staged)][:5] == []
    assert spark_sessionized == postgres_sessionized
