"""`clickstream demo`'s steps on a tiny dataset and a clean data folder, against the suite's PostgreSQL (DW_PG_*):
generate, backfill, first build, hourly replays; then the real command again, which reuses everything and serves
the dashboard, the demo shop and its collector; then the hourly command the demo prints brings an event sent to that
collector into the marts."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from support.dashboard_kit import CLICKSTREAM, wait_until_answering
from support.loader_kit import Probe

from local_only.demo import SIZES, Demo
from local_only.postgres import Connection, free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")


def test_the_demo_builds_the_marts_and_a_second_run_reuses_everything(  # noqa: PLR0915 (one journey, two runs)
    warehouse: Connection, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    said: list[str] = []
    probe = Probe(warehouse.dsn())

    Demo(data, echo=said.append).run_pipeline(SIZES["tiny"], seed=3, replay_hours=2)

    objects, refusals = _stored_objects(data / "raw")
    assert probe.rows("select count(*), count(*) filter (where source = 'rejected') from raw.load_manifest") == [
        (objects, refusals)
    ]
    assert probe.scalar("select count(*) from marts.sessions") > 0
    assert probe.scalar("select count(*) from marts.funnel_steps_daily") > 0
    # No cloudfront-viewer-country in the generated traffic: the ingest placed every visitor by its address, so the
    # Acquisition page's country table (marts.sessions_daily) has countries and no "(not set)".
    assert probe.rows(
        "select count(*) filter (where country is null), count(distinct country) >= 5 from marts.sessions_daily"
    ) == [(0, True)]
    runs = probe.rows("select status, trigger, db_user, rows_added from ops.transform_runs order by started_at")
    assert [run[:3] for run in runs] == [("success", "demo", "transformer")] * 3
    # The first build filled the marts; the replays added what their hours brought.
    assert runs[0][3]["marts.sessions"] > 0
    assert sum(run[3]["marts.clickstream_events"] for run in runs) == probe.scalar(
        "select count(*) from marts.clickstream_events"
    )
    replayed = [line for line in said if line.startswith("hourly cycle for")]
    assert len(replayed) == 2
    assert any(line.startswith("pipeline ready in") for line in said)
    env_file = data / "warehouse.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert "DW_TRANSFORMER_PASSWORD=" in env_file.read_text()
    # The shop's own database, generated with the traffic and extracted (as shop_reader) before each build: the
    # shop's marts have its orders, some of them untracked, and `make hourly` will extract too (warehouse.env).
    assert "SHOP_DATABASE_URL=postgresql://shop_reader:" in env_file.read_text()
    assert (
        probe.rows("select status, trigger, db_user from ops.shop_extract_runs")
        == [("success", "demo", "transformer")] * 3
    )
    classes = dict(probe.rows("select reconciliation_class, count(*) from marts.order_reconciliation group by 1"))
    assert classes.get("matched", 0) > 0 and classes.get("backend_only", 0) > 0, classes
    assert probe.scalar("select count(*) from marts.product_margin_daily where margin is not null") > 0

    # `make demo` again, as the real command: it reuses everything, then serves the dashboard as `dashboard`.
    port, shop_port, collector_port = free_port(), free_port(), free_port()
    shop = f"http://127.0.0.1:{shop_port}"
    log = tmp_path / "demo.log"
    env = {**os.environ, **warehouse.env(), "CLICKSTREAM_DATA_DIR": str(data)}
    ports = ["--port", str(port), "--shop-port", str(shop_port), "--collector-port", str(collector_port)]
    with log.open("wb") as output:
        again = subprocess.Popen(
            [str(CLICKSTREAM), "demo", "--size", "tiny", "--seed", "3", "--replay-hours", "1", *ports],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/", again, log, seconds=300)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode()
        # The shop, told where its collector is; the collector, allowing the shop's origin and storing what it gets.
        with urllib.request.urlopen(f"{shop}/cart", timeout=10) as response:
            shop_page = response.read().decode()
        visit = _post_event(f"http://127.0.0.1:{collector_port}/clickstream", shop)
    finally:
        again.send_signal(signal.SIGINT)  # Ctrl+C, as the user stops it
        again.wait(timeout=30)

    said_again = log.read_text()
    assert "Clickstream" in page and "shiny" in page.lower()  # the app's own page, not an error
    assert "reusing" in said_again and "generating" not in said_again
    assert "succeeded: 0 objects loaded" in said_again
    assert f"dashboard on http://127.0.0.1:{port}/" in said_again
    _assert_the_owners_summary_is_written(said_again, data)
    assert "Traceback" not in said_again
    assert probe.scalar("select count(*) from raw.load_manifest") == objects
    assert probe.scalar("select count(*) from ops.transform_runs where status = 'success'") == 5
    assert f'"endpoint": "http://127.0.0.1:{collector_port}/clickstream"' in shop_page
    assert f'<script src="http://127.0.0.1:{collector_port}/clickstream.js" defer>' in shop_page
    assert f"demo shop on {shop}/" in said_again

    _run_the_printed_hourly_command(said_again, cwd=tmp_path)
    # The second run extracted before its first build and its one replay, the printed hourly command once more.
    assert probe.scalar("select count(*) from ops.shop_extract_runs where status = 'success'") == 6
    assert probe.rows(
        "select client_id, page_path from marts.clickstream_events where event_id = %s", (visit["eventId"],)
    ) == [(visit["clientId"], "/cart")]


def _assert_the_owners_summary_is_written(said: str, data: Path) -> None:
    """The demo writes yesterday's summary e-mail (clickstream report) into the data folder and says where."""
    summary = re.search(r"owner's summary of yesterday \(clickstream report\): (\S+\.html)", said)
    assert summary is not None, said
    html = Path(summary.group(1))
    assert html.parent == data / "reports"
    assert "Top products by revenue" in html.read_text()
    assert html.with_suffix(".txt").is_file()


def _stored_objects(raw: Path) -> tuple[int, int]:
    """Objects the loader lands, and of them the ingest's refusals (rejected/, into raw.ingest_refusals)."""
    refusals = sum(1 for _ in (raw / "rejected").rglob("*.json"))
    assert refusals > 0, "the generated traffic holds refused events"
    return sum(1 for _ in (raw / "events").rglob("*.json")) + refusals, refusals


def _run_the_printed_hourly_command(said: str, cwd: Path) -> None:
    """ "To see your own visit": the command the demo printed, in a fresh shell (no DW_PG_*), loads this hour and
    builds."""
    printed = re.search(r"\(or: (source .*?)\) and reload the dashboard", said)
    assert printed is not None, said
    fresh_shell = {name: value for name, value in os.environ.items() if not name.startswith("DW_PG_")}
    hourly = subprocess.run(
        ["bash", "-c", printed.group(1)], cwd=cwd, env=fresh_shell, capture_output=True, text=True, timeout=900,
        check=False,
    )  # fmt: skip
    assert hourly.returncode == 0, hourly.stdout[-3000:] + hourly.stderr[-3000:]


def _post_event(endpoint: str, shop: str) -> dict[str, str]:
    """One page view, posted as the shop's tracker posts it (text/plain, from the shop's origin); answered 200
    with the shop's origin allowed."""
    event = {
        "eventName": "page_view",
        "eventId": str(uuid.uuid4()),
        "eventTimestamp": datetime.now(UTC).isoformat(),
        "clientId": f"demo-visitor-{uuid.uuid4()}",
        "sessionId": str(uuid.uuid4()),
        "pageUrl": f"{shop}/cart",
        "pageTitle": "Your Cart | Example Tech Shop",
    }
    request = urllib.request.Request(
        endpoint,
        data=json.dumps({"events": [event]}).encode(),
        headers={"Content-Type": "text/plain", "Origin": shop},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == shop
        assert json.loads(response.read())["accepted"] == 1
    return event


def test_another_dataset_in_the_same_folder_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "generated.json").write_text(
        '{"days": 14, "events_per_day": 21000, "seed": 7, "start": "2025-03-01", "events_sent": 300000}'
    )

    with pytest.raises(click.ClickException, match="already holds another dataset"):
        Demo(data, echo=lambda line: None).generate(SIZES["tiny"], seed=7)


def test_the_readme_by_hand_build_leaves_the_marts_readable_and_the_next_transform_working(
    warehouse: Connection, tmp_path: Path
) -> None:
    """After the demo, the README's `source .data/warehouse.env && .venv/bin/dbt build --profiles-dir dbt_project`
    (a fresh shell: no DW_PG_* but the file's) builds as transformer: the dashboard reads every mart and the next
    scheduled build replaces what the by-hand one made."""
    data = tmp_path / "data"
    demo = Demo(data, echo=lambda line: None)
    dw = demo.prepare_warehouse()
    demo.first_transform(dw)  # the marts as `make demo` leaves them (an empty raw layer: quick)
    env_file = data / "warehouse.env"
    exported = dict(
        line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines() if line.strip()
    )
    assert exported["DW_PG_USER"] == "transformer"
    assert exported["DW_PG_PASSWORD"] == dw.passwords["transformer"]

    fresh_shell = {name: value for name, value in os.environ.items() if not name.startswith("DW_PG_")}
    target = tmp_path / "by-hand"
    # The README's command; the target and log paths only keep dbt's files out of the checkout.
    by_hand = subprocess.run(
        [
            "bash", "-c",
            'source "$1" && "$2" build --profiles-dir dbt_project --target-path "$3" --log-path "$3/logs" --quiet',
            "by-hand", str(env_file), str(DBT), str(target),
        ],
        cwd=REPO, env=fresh_shell, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert by_hand.returncode == 0, by_hand.stdout[-3000:] + by_hand.stderr[-3000:]

    probe = Probe(warehouse.dsn())
    owned = probe.rows(
        """
        select n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('staging', 'intermediate', 'marts') and c.relkind in ('r', 'v', 'p')
        """
    )
    assert [relation for relation, owner in owned if owner != "transformer"] == []
    dashboard = Probe(
        Connection(warehouse.host, warehouse.port, "dashboard", dw.passwords["dashboard"], warehouse.database).dsn()
    )
    marts = sorted(relation for relation, _ in owned if relation.startswith("marts."))
    assert len(marts) >= 10, marts
    for relation in marts:
        assert dashboard.scalar(f"select count(*) from {relation}") == 0, relation

    # The next build as the schedule runs it (`clickstream transform` as transformer) replaces every table.
    assert demo.first_transform(dw).status == "success"


def test_a_shell_that_sourced_warehouse_env_is_told_how_to_run_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """warehouse.env names the transformer, which may not migrate: the demo says so instead of failing mid-way."""
    monkeypatch.setenv("DW_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("DW_PG_USER", "transformer")
    monkeypatch.setenv("DW_PG_PASSWORD", "from-warehouse-env")

    with pytest.raises(click.ClickException, match=r"DW_PG_USER is transformer.*unset DW_PG_HOST"):
        Demo(tmp_path / "data", echo=lambda line: None).prepare_warehouse()
