"""`clickstream transform` against a real PostgreSQL with real dbt: the build lock, the ledger, exit codes."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from support.loader_kit import Probe
from support.transform_kit import CLICKSTREAM, REPO, RoleWarehouse, dbt_options, migrated

from local_only.postgres import Connection
from transform_runner.run import EXIT_FAILED, EXIT_LOCK_TIMEOUT, run_transform
from transform_runner.settings import TransformSettings
from warehouse.advisory_lock import BUILD_LOCK

pytestmark = pytest.mark.integration

# One view and its data tests: a real build, short enough to keep the test quick.
SMALL_SELECTION = ("stg_clickstream__load_manifest",)


@pytest.fixture
def roles(warehouse: Connection) -> RoleWarehouse:
    return migrated(warehouse)


@pytest.fixture
def probe(warehouse: Connection) -> Probe:
    return Probe(warehouse.dsn())


def test_a_second_transform_waits_then_fails_clearly_and_both_are_recorded(
    roles: RoleWarehouse, probe: Probe, tmp_path: Path
) -> None:
    """While one build holds the lock, `clickstream transform` in another process waits its timeout and exits 3."""
    second: dict[str, object] = {}

    def start_second_while_locked() -> None:
        # The first build holds the lock from here until its ledger row is closed.
        assert (
            probe.scalar(
                "select count(*) from pg_locks where locktype = 'advisory' and granted and objid = %s",
                (BUILD_LOCK.key,),
            )
            == 1
        )
        started = time.perf_counter()
        second["process"] = subprocess.run(
            [CLICKSTREAM, "transform", "--lock-timeout", "1.5", "--trigger", "second", "--quiet"],
            env=roles.env("transformer"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        second["seconds"] = time.perf_counter() - started

    first = run_transform(
        dbt_options(tmp_path, select=SMALL_SELECTION),
        roles.settings("transformer"),
        TransformSettings(),
        trigger="first",
        on_locked=start_second_while_locked,
    )

    process = second["process"]
    assert isinstance(process, subprocess.CompletedProcess)
    assert process.returncode == EXIT_LOCK_TIMEOUT, process.stderr
    assert "another transform holds the build lock" in process.stderr
    assert "gave up after waiting 1.5 s" in process.stderr
    seconds = second["seconds"]
    assert isinstance(seconds, float) and seconds >= 1.5
    assert first.status == "success", first.error
    assert first.ending.models_built == 1
    rows = probe.rows(
        "select trigger, status, locked_at is not null, models_built, error, db_user, "
        "finished_at - started_at >= interval '1.5 seconds' from ops.transform_runs order by started_at"
    )
    assert [row[:4] for row in rows] == [("first", "success", True, 1), ("second", "lock_timeout", False, 0)]
    assert rows[0][4] is None
    assert "another transform holds the build lock" in rows[1][4]
    assert {row[5] for row in rows} == {"transformer"}
    assert rows[1][6], "the second attempt gave up before its timeout"


def test_the_lock_is_free_again_after_a_build(roles: RoleWarehouse, probe: Probe, tmp_path: Path) -> None:
    """Two builds one after the other both build: the first released the lock."""
    options = dbt_options(tmp_path, select=SMALL_SELECTION)
    outcomes = [
        run_transform(options, roles.settings("transformer"), TransformSettings(), lock_timeout_seconds=0)
        for _ in range(2)
    ]

    assert [outcome.status for outcome in outcomes] == ["success", "success"]
    assert (
        probe.scalar("select count(*) from pg_locks where locktype = 'advisory' and objid = %s", (BUILD_LOCK.key,)) == 0
    )


def _broken_project(tmp_path: Path) -> Path:
    """A copy of the project whose load-manifest staging model names a column that does not exist."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO / "dbt_project.yml", project / "dbt_project.yml")
    shutil.copytree(REPO / "dbt_project", project / "dbt_project", ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "dbt_project" / "models" / "staging" / "stg_clickstream__load_manifest.sql"
    model.write_text(model.read_text().replace("s3_key,", "no_such_column as s3_key,", 1))
    return project


def test_a_failing_model_exits_non_zero_with_a_failed_row(roles: RoleWarehouse, probe: Probe, tmp_path: Path) -> None:
    project = _broken_project(tmp_path)

    process = subprocess.run(
        [CLICKSTREAM, "transform", "--select", SMALL_SELECTION[0], "--target-path", str(tmp_path / "target")],
        env=roles.env("transformer", DBT_PROJECT_DIR=str(project)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert process.returncode == EXIT_FAILED, process.stdout + process.stderr
    status, error, finished, models_built = probe.rows(
        "select status, error, finished_at is not null, models_built from ops.transform_runs"
    )[0]
    assert (status, finished, models_built) == ("failed", True, 0)
    assert "model.clickstream_warehouse.stg_clickstream__load_manifest: error" in error
    assert "no_such_column" in error
    assert "no_such_column" in process.stderr


def test_an_unmigrated_warehouse_is_a_clear_error(warehouse: Connection, tmp_path: Path) -> None:
    process = subprocess.run(
        [CLICKSTREAM, "transform", "--target-path", str(tmp_path / "target")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert process.returncode == 1
    assert "run `clickstream db migrate`" in process.stderr


def test_an_unreachable_warehouse_exits_4(tmp_path: Path) -> None:
    env = {
        **RoleWarehouse(Connection("127.0.0.1", 1, "transformer", "x", "dw"), {"transformer": "x"}).env("transformer")
    }

    process = subprocess.run(
        [CLICKSTREAM, "transform"], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert process.returncode == 4
    assert "cannot reach the warehouse at 127.0.0.1:1/dw" in process.stderr


def test_sigterm_during_a_build_closes_its_row_and_frees_the_lock(
    roles: RoleWarehouse, probe: Probe, tmp_path: Path
) -> None:
    """SSM Run Command's timeout (or systemd) stops a build with SIGTERM: the row says so, the lock is free."""
    process = subprocess.Popen(
        [CLICKSTREAM, "transform", "--quiet", "--target-path", str(tmp_path / "target")],
        env=roles.env("transformer"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not probe.scalar("select count(*) from ops.transform_runs where status = 'running'"):
        assert time.monotonic() < deadline and process.poll() is None, "the build never started"
        time.sleep(0.05)

    process.terminate()
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 130, stderr
    assert probe.rows("select status, error from ops.transform_runs") == [("failed", "interrupted during the build")]
    held = probe.scalar("select count(*) from pg_locks where locktype = 'advisory' and objid = %s", (BUILD_LOCK.key,))
    assert held == 0
