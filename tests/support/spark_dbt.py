"""dbt on a local Spark, run by .venv-spark's Python (make spark-venv): the Spark port check (docs/scaling.md).

``python tests/support/spark_dbt.py JOB`` reads JOB (JSON): a work directory, optional raw tables to make from the
compacted Parquet, the dbt invocations, and the tables to export. It starts one Spark session in this process
(local, two cores, session zone UTC, its warehouse and metastore in the work directory), which dbt-spark's
``session`` method then uses, and writes ``result.json`` in the work directory: whether each invocation
succeeded (with its error), and each exported table's rows.

It runs in .venv-spark, not in the dev venv (which has no pyspark): it imports nothing of the project.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

# The raw layer the loader lands in PostgreSQL, made from the compacted Parquet instead (docs/loader.md: one row per
# raw line, its object's key and its bytes): the line parsed as a VARIANT, received_at from its receivedAt,
# loaded_at the file's time. Lines that are no JSON object are left out, as the loader rejects them.
RAW_EVENTS = """
create or replace view raw.raw_events as
select
    parsed.payload,
    parsed.s3_key,
    parsed.line_no,
    cast(variant_get(parsed.payload, '$.receivedAt', 'string') as timestamp) as received_at,
    parsed.loaded_at
from (
    select
        try_parse_json(cast(compacted.line as string)) as payload,
        compacted.s3_key,
        cast(compacted.line_no as int) as line_no,
        cast(compacted._metadata.file_modification_time as timestamp) as loaded_at
    from parquet.`{path}` as compacted
) as parsed
where schema_of_variant(parsed.payload) like 'OBJECT%'
"""

# The loader's ledger, empty: the first build reads no run from it.
LOADER_RUNS = """
create table if not exists raw.loader_runs (
    run_id string, trigger string, source string, status string, error string,
    window_start timestamp, window_end timestamp,
    objects_listed int, objects_loaded int, objects_skipped int, objects_failed int,
    rows_loaded bigint, lines_rejected bigint, started_at timestamp, finished_at timestamp
)
"""


def _session(work: Path) -> Any:
    sql = importlib.import_module("pyspark.sql")
    return (
        sql.SparkSession.builder.master("local[2]")
        .appName("clickstream-spark-port")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(work / "spark-warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={work / 'derby'}")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .enableHiveSupport()
        .getOrCreate()
    )


def _plain(value: Any) -> Any:
    """A cell as JSON: decimals and times as text (compared as text by the test), the rest as is."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _parse_compiled(spark: Any, folder: str | None) -> tuple[list[str], dict[str, str]]:
    """The compiled models under `folder` Spark's SQL parser reads, and the first line of its error for the others."""
    parse_error = importlib.import_module("pyspark.errors").ParseException
    parsed, unparsed = [], {}
    for path in sorted(Path(folder).rglob("*.sql")) if folder else []:
        if path.parent.name.endswith(".yml"):  # a unit or data test compiled beside the model
            continue
        # EXPLAIN parses the statement and never runs it; a plan it cannot analyse (no such table here) is only
        # described in its answer. What Spark's parser refuses raises ParseException.
        try:
            spark.sql("explain " + path.read_text(encoding="utf-8"))
        except parse_error as error:
            unparsed[str(path)] = str(error).strip().splitlines()[0][:300]
        else:
            parsed.append(str(path))
    return parsed, unparsed


def main(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    work = Path(job["work"])
    spark = _session(work)
    if job.get("compacted"):
        spark.sql("create database if not exists raw")
        spark.sql(RAW_EVENTS.format(path=job["compacted"]))
        spark.sql(LOADER_RUNS)
    runner = importlib.import_module("dbt.cli.main").dbtRunner()
    invocations = []
    for args in job["invocations"]:
        outcome = runner.invoke(args)
        problems = [
            f"{result.node.unique_id}: {result.status}: {result.message}"
            for result in (outcome.result or [])
            if hasattr(result, "node") and str(result.status) not in ("success", "pass", "skipped")
        ]
        invocations.append(
            {"args": args, "success": outcome.success, "exception": str(outcome.exception or ""), "problems": problems}
        )
        if not outcome.success:
            break
    parsed, unparsed = _parse_compiled(spark, job.get("parse_compiled"))
    exports = job.get("export", {}) if all(invocation["success"] for invocation in invocations) else {}
    tables = {
        name: [[_plain(cell) for cell in row] for row in spark.sql(query).collect()] for name, query in exports.items()
    }
    (work / "result.json").write_text(
        json.dumps({"invocations": invocations, "tables": tables, "parsed": parsed, "unparsed": unparsed}),
        encoding="utf-8",
    )
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1])
