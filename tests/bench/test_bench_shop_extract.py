"""The shop extract benchmark at a tiny size, so it cannot rot: its own PostgreSQL with pg_stat_statements, the
filled shop, a first run and an hourly run each way, every row landed once (the bench checks that itself), and the
shop's load it reports is the extract's own statements."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.bench_shop_extract import run_bench
from bench.shop_workload import ShopSize

pytestmark = pytest.mark.integration


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Outside pytest's tmp (private to root), so the unprivileged server user can reach the cluster's directory.
    root = Path(tempfile.mkdtemp(prefix="clickstream-bench-shop-test-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_bench_runs_at_a_tiny_size(workdir: Path) -> None:
    result = run_bench(workdir, ShopSize(300), repeat=1, hours=1, extra_env={})

    medians = result["medians"]
    # 300 orders, 900 items, 90 users, 20 products and their stock, 18 refunds
    everything = 300 + 900 + 90 + 20 + 20 + 18
    assert medians["first/dlt"]["rows"] == medians["first/copy"]["rows"] == everything
    # the hour changed 1% of the orders (3, with their items) and added one order: far fewer rows than everything
    assert 0 < medians["hourly/dlt"]["rows"] < everything / 4
    assert medians["hourly/dlt"]["rows"] == medians["hourly/copy"]["rows"]
    assert medians["first/dlt"]["peak_rss_mb"] > 50
    assert 0 < medians["first/dlt"]["cpu_seconds"] < medians["first/dlt"]["seconds"] * 2
    # where the time went: dlt's steps, and the warehouse's side of each way
    assert {"dlt_extract_s", "dlt_normalize_s", "dlt_load_s"} <= medians["first/dlt"].keys()
    assert medians["first/dlt"]["warehouse_ms"] > 0
    assert medians["first/copy"]["warehouse_ms"] > 0

    statements = result["shop_statements_of_the_last_runs"]
    # what the shop saw is what each way asked of it: dlt's cursors over the incremental query, the floor's COPYs
    dlt_hourly = " ".join(group["query"] for group in statements["hourly/dlt"])
    assert 'public."OrderItem"."updatedAt" >=' in dlt_hourly
    copies = [group for group in statements["first/copy"] if group["query"].startswith("COPY")]
    assert len(copies) == 6
    assert sum(group["rows"] for group in copies) == everything
    assert medians["first/dlt"]["shop_rows"] >= everything
