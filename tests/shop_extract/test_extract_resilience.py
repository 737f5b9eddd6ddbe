"""``clickstream extract-shop`` as separate processes: killed with SIGKILL mid-run, and two at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from support.shop_databases import Shop, seed_orders
from support.waiting import wait_until

from local_only.roles import RoleWarehouse
from shop_extract.pipeline import PIPELINE_NAME
from shop_extract.run import run_extract
from shop_extract.settings import ShopExtractSettings

pytestmark = pytest.mark.integration

CLICKSTREAM = str(Path(sys.executable).with_name("clickstream"))
# enough rows that extracting and loading them takes a moment to catch the process in
MORE_ORDERS = 30_000


def _query(roles: RoleWarehouse, statement: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(roles.admin.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(statement)
        rows = cursor.fetchall()
    conn.close()
    return rows


def _ids_once(roles: RoleWarehouse, table: str) -> set[tuple[Any, ...]]:
    rows = _query(roles, f'select id, updated_at from raw_shop."{table}"')
    assert len(rows) == len(set(rows)), f"raw_shop.{table} holds a row twice"
    return set(rows)


def _start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLICKSTREAM, "extract-shop", "--trigger", "test"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _running(roles: RoleWarehouse) -> bool:
    return bool(_query(roles, "select 1 from ops.shop_extract_runs where status = 'running'"))


def _loading(workdir: Path) -> bool:
    # dlt's package sits in load/normalized/ from the end of normalize until the load has committed
    normalized = workdir / PIPELINE_NAME / "load" / "normalized"
    return normalized.is_dir() and any(normalized.iterdir())


@pytest.mark.parametrize("moment", ["extracting", "loading"])
def test__extract__killed_mid_run_then_run_again_lands_every_row_once(
    moment: str,
    shop: Shop,
    roles: RoleWarehouse,
    settings: ShopExtractSettings,
    extract_env: dict[str, str],
) -> None:
    seed_orders(shop, 1_000, MORE_ORDERS, at_seconds=3_600)
    process = _start(extract_env)
    workdir = Path(extract_env["SHOP_EXTRACT_WORKDIR"])
    try:
        if moment == "extracting":
            wait_until(lambda: _running(roles) or process.poll() is not None, "the extract to start", 60)
        else:
            wait_until(lambda: _loading(workdir) or process.poll() is not None, "the extract to load", 120)
        if process.poll() is not None:
            pytest.fail(f"the extract ended before it could be killed: {process.communicate()[0][-3000:]}")
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(30)
    assert process.returncode == -signal.SIGKILL

    outcome = run_extract(settings, roles.settings("transformer"))

    assert outcome.status == "success", outcome.error
    assert _ids_once(roles, "order") == shop.rows("Order")
    assert _ids_once(roles, "order_item") == shop.rows("OrderItem")
    statuses = _query(roles, "select status, error from ops.shop_extract_runs order by started_at")
    assert statuses[0][0] == "failed"
    assert statuses[0][1].startswith("abandoned")
    assert statuses[-1] == ("success", None)


def test__extract__two_runs_at_once_take_turns_and_land_every_row_once(
    shop: Shop, roles: RoleWarehouse, extract_env: dict[str, str]
) -> None:
    seed_orders(shop, 1_000, MORE_ORDERS // 3, at_seconds=3_600)
    first, second = _start(extract_env), _start(extract_env)
    outputs = [process.communicate(timeout=300)[0] for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert _ids_once(roles, "order") == shop.rows("Order")
    assert _ids_once(roles, "order_item") == shop.rows("OrderItem")
    runs = _query(roles, "select status, locked_at, finished_at from ops.shop_extract_runs order by locked_at")
    assert [run[0] for run in runs] == ["success", "success"]
    # the lock kept them apart: the second took it only once the first had finished
    assert runs[1][1] >= runs[0][2]
