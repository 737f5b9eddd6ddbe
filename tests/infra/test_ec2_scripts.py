"""The warehouse EC2's scripts against the suite's PostgreSQL, with SSM parameters in moto's server.

bootstrap.sh runs its warehouse steps (passwords from SSM, database, `clickstream db migrate`, env files, units)
twice in a throwaway root: the second run changes nothing. Then run-transform.sh, the script the stack's SSM
document runs, reads the env file bootstrap wrote (the transformer's password by its parameter name, as on AWS) and
builds the marts from generated traffic loaded by the loader role. The dnf, initdb, venv and systemd steps need an
Amazon Linux machine and are left out (SKIP_STEPS); shellcheck covers every script.

The project step (the venv from the bundle's wheelhouse, no index) runs too, with the x86_64 bundle that `make
package` builds for an x86 instance type: this machine's architecture, so pip really installs it and the later
steps run the `clickstream` it installed. The arm64 bundle is checked in test_warehouse_bundle.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import boto3
import psycopg2
import pytest

from infra.package import build_warehouse_bundle, locked_versions, target_environment
from local_only.postgres import Connection, LocalPostgres
from warehouse.rows import one_row

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
EC2 = REPO / "infra" / "ec2"
VENV = REPO / ".venv"
PREFIX = "/clickstream/test"
PASSWORDS = {"loader": "loader=pw 1", "transformer": "transformer'pw\"2", "dashboard": "dashboard pw 3"}
SKIP = "packages postgres project services"


def test_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed (apt-get install shellcheck; .ci/run does)"
    scripts = sorted(EC2.glob("*.sh"))
    assert {path.name for path in scripts} >= {"bootstrap.sh", "run-transform.sh", "run-report.sh", "backup.sh"}
    result = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env
    # moto's backends are per process: leave no parameter behind for the next test.
    urllib.request.urlopen(urllib.request.Request(f"{env['AWS_ENDPOINT_URL']}/moto-api/reset", method="POST"))
    server.stop()


@pytest.fixture
def stack(warehouse: Connection, aws: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """stack.env as the user data writes it, the parameters as the shop creates them, and the bundle's scripts."""
    ssm = boto3.client("ssm")
    for role, password in {**PASSWORDS, "admin": warehouse.password}.items():
        ssm.put_parameter(Name=f"{PREFIX}/dw/{role}-password", Value=password, Type="SecureString", Overwrite=True)
    root = tmp_path / "root"
    bundle = root / "opt" / "clickstream" / "bundle"
    shutil.copytree(EC2, bundle / "infra" / "ec2")
    (root / "etc" / "clickstream").mkdir(parents=True)
    (root / "etc" / "clickstream" / "stack.env").write_text(
        f"AWS_REGION=eu-west-1\nSTACK_NAME=test\nOPS_BUCKET=ops-bucket\nPARAMETER_PREFIX={PREFIX}\n"
        "TRANSFORM_LOG_GROUP=/clickstream/test/transform\nFRESHNESS_METRIC_NAMESPACE=\n"
    )
    return {
        **os.environ,
        **aws,
        "BOOTSTRAP_ROOT": str(root),
        "SKIP_STEPS": SKIP,
        "VENV": str(VENV),
        "DBT_PROJECT_DIR": str(REPO),
        "DW_DATABASE": warehouse.database,
        "PG_PORT": str(warehouse.port),
        "PG_PEER": "0",
        "PGHOST": warehouse.host,
        "PGPORT": str(warehouse.port),
        "PGUSER": warehouse.user,
        "PGPASSWORD": warehouse.password,
    }


def _bootstrap(env: dict[str, str]) -> str:
    result = subprocess.run(["bash", str(EC2 / "bootstrap.sh")], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _files(root: Path) -> dict[str, tuple[str, int, int]]:
    return {
        str(path.relative_to(root)): (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path.stat().st_mtime_ns,
            path.stat().st_mode,
        )
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _login(warehouse: Connection, role: str) -> str:
    conn = psycopg2.connect(
        host=warehouse.host, port=warehouse.port, user=role, password=PASSWORDS[role], dbname=warehouse.database
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute("select current_user")
            return one_row(cursor)[0]
    finally:
        conn.close()


def _migrations(warehouse: Connection) -> list[tuple[int, str]]:
    conn = psycopg2.connect(warehouse.dsn())
    try:
        with conn.cursor() as cursor:
            cursor.execute("select version, checksum from ops.schema_migrations order by version")
            return cursor.fetchall()
    finally:
        conn.close()


def test_bootstrap_twice_changes_nothing_the_second_time(
    stack: dict[str, str], warehouse: Connection, postgres_server: LocalPostgres
) -> None:
    root = Path(stack["BOOTSTRAP_ROOT"])
    first = _bootstrap(stack)
    assert "applied 0001_raw_layer" in first
    assert "logins set for loader, transformer, dashboard" in first
    files, migrations = _files(root), _migrations(warehouse)
    assert {role: _login(warehouse, role) for role in PASSWORDS} == {role: role for role in PASSWORDS}

    second = _bootstrap(stack)
    assert second.strip().endswith("done; 0 files changed"), second
    assert "applied" not in second
    assert _files(root) == files
    assert _migrations(warehouse) == migrations
    assert {role: _login(warehouse, role) for role in PASSWORDS} == {role: role for role in PASSWORDS}

    # What is on disk names the parameters, never a password.
    written = "\n".join(path.read_text() for path in root.rglob("*") if path.is_file() and path.suffix != ".sh")
    assert not [password for password in [*PASSWORDS.values(), warehouse.password] if password in written]
    transform_env = (root / "etc/clickstream/transform.env").read_text().splitlines()
    assert "DW_PG_USER=transformer" in transform_env
    assert f"DW_PG_PASSWORD_PARAM={PREFIX}/dw/transformer-password" in transform_env
    assert (root / "etc/clickstream/transform.env").stat().st_mode & 0o777 == 0o640
    unit = (root / "etc/systemd/system/clickstream-dashboard.service").read_text()
    assert "clickstream dashboard --host 127.0.0.1 --port 3838" in unit
    timer = (root / "etc/systemd/system/clickstream-backup.timer").read_text()
    assert "OnCalendar=*-*-* 03:30:00 UTC" in timer
    # The path the stack's SSM document runs.
    assert os.access(root / "opt/clickstream/bin/run-transform.sh", os.X_OK)
    assert os.access(root / "opt/clickstream/bin/run-report.sh", os.X_OK)


def test_bootstrap_refuses_without_its_parameters(stack: dict[str, str]) -> None:
    boto3.client("ssm").delete_parameter(Name=f"{PREFIX}/dw/dashboard-password")
    result = subprocess.run(["bash", str(EC2 / "bootstrap.sh")], env=stack, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert f"missing SecureString parameters: {PREFIX}/dw/dashboard-password" in result.stderr


def test_run_transform_builds_the_marts_as_the_transformer_and_run_report_reads_them(
    stack: dict[str, str], warehouse: Connection, tmp_path: Path
) -> None:
    from loader_lambda.loader import run_load
    from loader_lambda.settings import LoaderSettings
    from loader_lambda.window import plan_from_event
    from local_only.simulator.run import generate
    from raw_store import open_store
    from warehouse.connection import WarehouseSettings

    root = Path(stack["BOOTSTRAP_ROOT"])
    _bootstrap(stack)
    store_url = (tmp_path / "raw").as_uri()
    summary = generate(store_url + "?fsync=false", days=1, start=date(2025, 3, 7), seed=3, events_per_day=1_500)
    assert summary.errors == 0, summary.error_samples
    loader = WarehouseSettings(
        host=warehouse.host,
        port=warehouse.port,
        user="loader",
        database=warehouse.database,
        # As the Lambda has it: no password in the environment, only its parameter's name.
        password=None,
        password_param=f"{PREFIX}/dw/loader-password",
    )
    settings = LoaderSettings(raw_store_url=store_url, compact=False)
    now = datetime.now(UTC)
    plan = plan_from_event({"fromHour": "2025-03-07T00:00:00Z", "toHour": "2025-03-08T05:00:00Z"}, now, 0)
    loaded = run_load(plan, open_store(store_url), settings, loader, now=now)
    assert loaded.status == "succeeded", loaded.problems
    assert loaded.rows > 1_000

    env = {
        key: value for key, value in stack.items() if not key.startswith(("DW_PG_", "PG")) and key != "DBT_PROJECT_DIR"
    }
    env["CLICKSTREAM_TRANSFORM_ENV"] = str(root / "etc/clickstream/transform.env")
    env["TRANSFORM_TRIGGER"] = "test"
    result = subprocess.run(
        [str(root / "opt/clickstream/bin/run-transform.sh")], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    conn = psycopg2.connect(warehouse.dsn())
    try:
        with conn.cursor() as cursor:
            cursor.execute("select count(*), count(distinct visitor_id) from marts.sessions")
            sessions, visitors = one_row(cursor)
            cursor.execute("select count(*) from marts.clickstream_events")
            events = one_row(cursor)[0]
            cursor.execute("select status, trigger from ops.transform_runs order by started_at")
            runs = cursor.fetchall()
    finally:
        conn.close()
    assert sessions > 100
    assert visitors > 50
    assert events > 1_000
    assert runs == [("success", "test")]
    log = Path(root / "var/log/clickstream/transform.log").read_text()
    assert "run-transform: exit 0" in log

    # The morning after, the stack's report document runs run-report.sh: the summary of those marts, read as the
    # dashboard role (its password from SSM), e-mailed through SES (moto, where AWS_ENDPOINT_URL points).
    boto3.client("sesv2").create_email_identity(EmailIdentity="shop.example.com")
    report_env = {
        **env,
        "CLICKSTREAM_REPORT_ENV": str(root / "etc/clickstream/dashboard.env"),
        "CLICKSTREAM_BIN": str(VENV / "bin" / "clickstream"),
        "REPORT_LOG": str(root / "var/log/clickstream/report.log"),
        "REPORT_OUTPUT_DIR": str(tmp_path / "reports"),
        "REPORT_FROM_ADDRESS": "report@shop.example.com",
        "REPORT_TO_ADDRESSES": "owner@shop.example.com",
        "DASHBOARD_NOW": "2025-03-08T07:00:00Z",
        "DASHBOARD_REPORTING_TIMEZONE": "UTC",
    }
    result = subprocess.run(
        [str(root / "opt/clickstream/bin/run-report.sh"), "day"],
        env=report_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.startswith("Shop summary Fri 7 Mar 2025: revenue ")
    assert "e-mailed to owner@shop.example.com (SES message " in result.stdout
    assert not (tmp_path / "reports").exists()
    assert "run-report: exit 0" in Path(root / "var/log/clickstream/report.log").read_text()


@pytest.fixture(scope="module")
def x86_64_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = Path(os.environ.get("PIP_CACHE_DIR", Path.home() / ".cache" / "pip"))
    return build_warehouse_bundle(tmp_path_factory.mktemp("dist"), "x86_64", cache).path


def test_bootstrap_installs_the_project_offline_from_the_bundle(
    stack: dict[str, str], warehouse: Connection, x86_64_bundle: Path
) -> None:
    assert shutil.which("python3.11"), "bootstrap.sh makes its venv with python3.11 (Debian's python3 is 3.11)"
    root = Path(stack["BOOTSTRAP_ROOT"])
    with tarfile.open(x86_64_bundle) as archive:
        archive.extractall(root / "opt" / "clickstream" / "bundle", filter="data")
    env = {key: value for key, value in stack.items() if key != "VENV"}
    # The bundle alone: none of this machine's pip configuration (extra indexes, find-links).
    env |= {"SKIP_STEPS": "packages postgres services", "PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": ""}
    first = _bootstrap(env)
    assert "installed clickstream_warehouse-" in first, first
    assert "applied 0001_raw_layer" in first
    venv = root / "opt" / "clickstream" / "venv"
    # The step after it ran the installed command, and the dashboard's and dbt's imports resolve in that venv.
    check = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import dashboard, dbt.cli.main, loader_lambda.handler, pyarrow, sass; from importlib.metadata import "
            "version; print(version('setuptools'), version('pip'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr[-3000:]
    # The lock's setuptools and pip, not those python3.11's ensurepip put in the venv.
    locked = locked_versions(target_environment("3.11"))
    assert check.stdout.split() == [locked["setuptools"].version, locked["pip"].version]
    assert {role: _login(warehouse, role) for role in PASSWORDS} == {role: role for role in PASSWORDS}

    second = _bootstrap(env)
    assert second.strip().endswith("done; 0 files changed"), second
    assert "installed" not in second


@pytest.mark.parametrize(
    ("shop", "extract_exit", "transform_exit", "calls", "status"),
    [
        (False, 0, 0, ["transform"], 0),
        (True, 0, 0, ["extract-shop", "transform"], 0),
        # a failed extract still lets the build run, and fails the command
        (True, 1, 0, ["extract-shop", "transform"], 1),
        # the build's own failure is the exit code
        (True, 1, 4, ["extract-shop", "transform"], 4),
    ],
)
def test_run_transform_extracts_the_shop_database_first_when_the_stack_names_one(
    tmp_path: Path, shop: bool, extract_exit: int, transform_exit: int, calls: list[str], status: int
) -> None:
    called = tmp_path / "called"
    fake = tmp_path / "clickstream"
    fake.write_text(
        f'#!/bin/bash\necho "$1 $3" >>{called}\n[ "$1" = extract-shop ] && exit {extract_exit}\nexit {transform_exit}\n'
    )
    fake.chmod(0o755)
    env_file = tmp_path / "transform.env"
    env_file.write_text(
        f"CLICKSTREAM_BIN={fake}\nTRANSFORM_LOG={tmp_path / 'transform.log'}\n"
        + ("SHOP_PG_HOST=shop-db.internal\n" if shop else "")
    )
    env = {
        "PATH": os.environ["PATH"],
        "CLICKSTREAM_TRANSFORM_ENV": str(env_file),
        "TRANSFORM_TRIGGER": "test",
        "RUN_TRANSFORM_AS_SELF": "1",
    }
    result = subprocess.run(
        ["bash", str(EC2 / "run-transform.sh")], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == status, result.stderr
    assert called.read_text().split("\n")[:-1] == [f"{call} test" for call in calls]
