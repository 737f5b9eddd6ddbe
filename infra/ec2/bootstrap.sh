#!/usr/bin/env bash
# The warehouse EC2's set-up (Amazon Linux 2023), run by the user data from the unpacked warehouse bundle, and safe
# to run again at any time (e.g. after uploading a new bundle): every step checks before it changes anything, and
# the last line says how many files changed (0 on a second run).
#
# Steps, in order (SKIP_STEPS="a b" leaves some out; the tests run the warehouse steps against their own
# PostgreSQL in a throwaway BOOTSTRAP_ROOT):
#   packages  dnf: PostgreSQL 15, Python 3.11, the CloudWatch agent (repositories reached through the S3 endpoint)
#   postgres  initdb, listen for the loader's subnet with scram passwords and TLS, start
#   project   the project into a venv from the bundle's wheelhouse at bundle.lock's versions (no route to PyPI)
#   database  the database, and the admin password from SSM
#   migrate   `clickstream db migrate` with the three roles' passwords from SSM (the command `make demo` runs)
#   files     env files (parameter names, never passwords), scripts, systemd units, the agent's config
#   services  systemd: dashboard on 127.0.0.1:3838, nightly pg_dump to S3, the CloudWatch agent
set -euo pipefail

ROOT="${BOOTSTRAP_ROOT:-}"
STACK_ENV="${STACK_ENV:-$ROOT/etc/clickstream/stack.env}"
SKIP_STEPS="${SKIP_STEPS:-}"
CHANGED=0

log() { echo "bootstrap: $*"; }
die() { echo "bootstrap: error: $*" >&2; exit 1; }
wanted() { case " $SKIP_STEPS " in *" $1 "*) return 1 ;; *) return 0 ;; esac; }

# Write stdin to $1 with mode $2 (owner $3 when root) only if the content differs; counts what changed.
install_if_changed() {
    local target="$1" mode="$2" owner="${3:-}" tmp
    mkdir -p "$(dirname "$target")"
    tmp="$(mktemp "$(dirname "$target")/.bootstrap.XXXXXX")"
    cat >"$tmp"
    chmod "$mode" "$tmp"
    if [ -n "$owner" ] && [ "$(id -u)" -eq 0 ] && [ -z "$ROOT" ]; then chown "$owner" "$tmp"; fi
    if [ -f "$target" ] && cmp -s "$tmp" "$target"; then
        rm -f "$tmp"
        return 1
    fi
    mv -f "$tmp" "$target"
    CHANGED=$((CHANGED + 1))
    log "wrote $target"
}

load_config() {
    [ -r "$STACK_ENV" ] || die "$STACK_ENV is missing (the user data writes it)"
    set -a
    # shellcheck source=/dev/null
    . "$STACK_ENV"
    set +a
    : "${PARAMETER_PREFIX:?set in stack.env}" "${OPS_BUCKET:?set in stack.env}"
    : "${DW_DATABASE:=clickstream_dw}" "${PG_PORT:=5432}" "${LOADER_SUBNET_CIDR:=10.0.3.0/24}"
    : "${BUNDLE_DIR:=$ROOT/opt/clickstream/bundle}" "${VENV:=$ROOT/opt/clickstream/venv}"
    : "${DBT_PROJECT_DIR:=$BUNDLE_DIR}" "${BIN_DIR:=$ROOT/opt/clickstream/bin}"
    : "${STATE_DIR:=$ROOT/var/lib/clickstream}" "${LOG_DIR:=$ROOT/var/log/clickstream}"
    : "${FRESHNESS_METRIC_NAMESPACE:=}" "${TRANSFORM_LOG_GROUP:=}"
    PG_DATA="${PG_DATA:-$ROOT/var/lib/pgsql/data}"
    # Local PostgreSQL by peer authentication as `postgres`; PG_PEER=0 uses PGHOST/PGUSER/PGPASSWORD instead.
    PG_PEER="${PG_PEER:-1}"
}

psql_admin() {
    if [ "$PG_PEER" = 1 ]; then
        runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
    else
        psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
    fi
}

step_packages() {
    dnf install -y -q postgresql15-server postgresql15 python3.11 amazon-cloudwatch-agent openssl
    # A dependency PyPI has no wheel of for this architecture (libsass on arm64) is in the wheelhouse as an sdist,
    # which pip compiles offline in the project step.
    if compgen -G "$BUNDLE_DIR/wheelhouse/*.tar.gz" >/dev/null; then
        dnf install -y -q gcc gcc-c++ make python3.11-devel
    fi
    id clickstream >/dev/null 2>&1 || useradd --system --home-dir /var/lib/clickstream --shell /sbin/nologin clickstream
}

step_postgres() {
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
        postgresql-setup --initdb
    fi
    if [ ! -f "$PG_DATA/server.key" ]; then
        # Self-signed: the loader requires TLS (DW_PG_SSL) for encryption; the password is scram either way.
        openssl req -new -x509 -days 3650 -nodes -subj "/CN=clickstream-warehouse" \
            -keyout "$PG_DATA/server.key" -out "$PG_DATA/server.crt" 2>/dev/null
        chown postgres:postgres "$PG_DATA/server.key" "$PG_DATA/server.crt"
        chmod 600 "$PG_DATA/server.key"
    fi
    local before=$CHANGED
    install_if_changed "$PG_DATA/conf.d/clickstream.conf" 0644 postgres:postgres <<EOF || true
listen_addresses = '*'
port = $PG_PORT
ssl = on
password_encryption = 'scram-sha-256'
EOF
    if ! grep -q "^include_dir = 'conf.d'" "$PG_DATA/postgresql.conf"; then
        echo "include_dir = 'conf.d'" >>"$PG_DATA/postgresql.conf"
        CHANGED=$((CHANGED + 1))
    fi
    install_if_changed "$PG_DATA/pg_hba.conf" 0600 postgres:postgres <<EOF || true
# Written by infra/ec2/bootstrap.sh.
local   all             postgres                                peer
host    all             all             127.0.0.1/32            scram-sha-256
hostssl $DW_DATABASE    loader          $LOADER_SUBNET_CIDR     scram-sha-256
EOF
    systemctl enable --now postgresql
    if [ "$CHANGED" -ne "$before" ]; then systemctl restart postgresql; fi
}

step_project() {
    local wheel
    wheel="$(find "$BUNDLE_DIR/wheelhouse" -maxdepth 1 -name 'clickstream_warehouse-*.whl' | head -n 1)"
    [ -n "$wheel" ] || die "no clickstream_warehouse wheel in $BUNDLE_DIR/wheelhouse (make package builds it)"
    # The lock's versions for this instance (make package writes it from requirements/dev.lock).
    [ -r "$BUNDLE_DIR/bundle.lock" ] || die "no bundle.lock in $BUNDLE_DIR (a bundle from an older make package?)"
    [ -x "$VENV/bin/python" ] || python3.11 -m venv "$VENV"
    if [ "$(cat "$VENV/.bundle-wheel" 2>/dev/null)" != "$(basename "$wheel")" ]; then
        local pip_offline=(--quiet --no-index --find-links "$BUNDLE_DIR/wheelhouse" --constraint "$BUNDLE_DIR/bundle.lock")
        # The locked pip installs the bundle, and the locked setuptools replaces the one ensurepip left (3.11's
        # carries CVE-2022-40897 and later ones); it also builds whatever the wheelhouse holds as an sdist.
        "$VENV/bin/python" -m pip install "${pip_offline[@]}" --upgrade pip setuptools wheel
        "$VENV/bin/python" -m pip install "${pip_offline[@]}" "$wheel"
        basename "$wheel" >"$VENV/.bundle-wheel"
        CHANGED=$((CHANGED + 1))
        log "installed $(basename "$wheel")"
    fi
}

# Reads the passwords into this shell only: they are never written to disk.
fetch_passwords() {
    local name value
    while IFS='=' read -r name value; do
        case "$name" in
            admin) ADMIN_PASSWORD="$value" ;;
            loader) DW_LOADER_PASSWORD="$value" ;;
            transformer) DW_TRANSFORMER_PASSWORD="$value" ;;
            dashboard) DW_DASHBOARD_PASSWORD="$value" ;;
        esac
    done < <(PARAMETER_PREFIX="$PARAMETER_PREFIX" "$VENV/bin/python" - <<'PY'
import os
import sys

import boto3

prefix = os.environ["PARAMETER_PREFIX"] + "/dw/"
names = {f"{prefix}{role}-password": role for role in ("admin", "loader", "transformer", "dashboard")}
found = boto3.client("ssm").get_parameters(Names=list(names), WithDecryption=True)
if found["InvalidParameters"]:
    sys.exit("missing SecureString parameters: " + ", ".join(sorted(found["InvalidParameters"])))
for parameter in found["Parameters"]:
    if "\n" in parameter["Value"]:
        sys.exit(f"{parameter['Name']} holds a line break")
    print(f"{names[parameter['Name']]}={parameter['Value']}")
PY
    )
    [ -n "${ADMIN_PASSWORD:-}" ] || die "could not read the passwords under $PARAMETER_PREFIX/dw/"
    export DW_LOADER_PASSWORD DW_TRANSFORMER_PASSWORD DW_DASHBOARD_PASSWORD
}

step_database() {
    if [ "$(psql_admin -tAc "select 1 from pg_database where datname = '$DW_DATABASE'")" != 1 ]; then
        psql_admin -c "create database \"$DW_DATABASE\""
        log "created database $DW_DATABASE"
    fi
    # Through stdin so psql substitutes the variable and the password never appears in a process list.
    printf '%s\n' "alter role postgres password :'pw';" | psql_admin -v pw="$ADMIN_PASSWORD"
}

step_migrate() {
    DW_PG_HOST=127.0.0.1 DW_PG_PORT="$PG_PORT" DW_PG_USER=postgres DW_PG_PASSWORD="$ADMIN_PASSWORD" \
        DW_PG_DATABASE="$DW_DATABASE" "$VENV/bin/clickstream" db migrate
}

# The shop extract's settings (shop_extract/settings.py) when the stack names a shop database; nothing otherwise.
shop_extract_env() {
    [ -n "${SHOP_PG_HOST:-}" ] || return 0
    cat <<EOF
SHOP_PG_HOST=$SHOP_PG_HOST
SHOP_PG_PORT=${SHOP_PG_PORT:-5432}
SHOP_PG_DATABASE=${SHOP_PG_DATABASE:-shop}
SHOP_PG_USER=${SHOP_PG_USER:-shop_reader}
SHOP_PG_PASSWORD_PARAM=$PARAMETER_PREFIX/shop/reader-password
SHOP_PG_SSL=true
SHOP_EXTRACT_WORKDIR=$STATE_DIR/shop-extract
EOF
}

step_files() {
    local common
    common="DW_PG_HOST=127.0.0.1
DW_PG_PORT=$PG_PORT
DW_PG_DATABASE=$DW_DATABASE
AWS_REGION=${AWS_REGION:-}
DBT_PROJECT_DIR=$DBT_PROJECT_DIR"
    install_if_changed "$ROOT/etc/clickstream/transform.env" 0640 root:clickstream <<EOF || true
$common
DW_PG_USER=transformer
DW_PG_PASSWORD_PARAM=$PARAMETER_PREFIX/dw/transformer-password
FRESHNESS_METRIC_NAMESPACE=$FRESHNESS_METRIC_NAMESPACE
DBT_TARGET_PATH=$STATE_DIR/dbt-target
TRANSFORM_LOG=$LOG_DIR/transform.log
CLICKSTREAM_BIN=$VENV/bin/clickstream
$(shop_extract_env)
EOF
    install_if_changed "$ROOT/etc/clickstream/dashboard.env" 0640 root:clickstream <<EOF || true
$common
DW_PG_USER=dashboard
DW_PG_PASSWORD_PARAM=$PARAMETER_PREFIX/dw/dashboard-password
EOF
    install_if_changed "$BIN_DIR/run-transform.sh" 0755 <"$BUNDLE_DIR/infra/ec2/run-transform.sh" || true
    install_if_changed "$BIN_DIR/backup.sh" 0755 <"$BUNDLE_DIR/infra/ec2/backup.sh" || true
    install_if_changed "$BIN_DIR/run-report.sh" 0755 <"$BUNDLE_DIR/infra/ec2/run-report.sh" || true
    install_if_changed "$ROOT/etc/systemd/system/clickstream-dashboard.service" 0644 <<EOF || true
[Unit]
Description=Clickstream dashboard (127.0.0.1:3838; open it through an SSM port-forward)
After=network-online.target postgresql.service

[Service]
User=clickstream
EnvironmentFile=/etc/clickstream/dashboard.env
ExecStart=$VENV/bin/clickstream dashboard --host 127.0.0.1 --port 3838
Restart=on-failure
NoNewPrivileges=true
ProtectSystem=strict
PrivateTmp=true

[Install]
WantedBy=multi-user.target
EOF
    install_if_changed "$ROOT/etc/systemd/system/clickstream-backup.service" 0644 <<EOF || true
[Unit]
Description=pg_dump of the warehouse to s3://$OPS_BUCKET/backups/

[Service]
Type=oneshot
User=postgres
Environment=OPS_BUCKET=$OPS_BUCKET DW_DATABASE=$DW_DATABASE
ExecStart=$BIN_DIR/backup.sh
EOF
    install_if_changed "$ROOT/etc/systemd/system/clickstream-backup.timer" 0644 <<EOF || true
[Unit]
Description=Nightly warehouse backup

[Timer]
OnCalendar=*-*-* 03:30:00 UTC
RandomizedDelaySec=15min
Persistent=true

[Install]
WantedBy=timers.target
EOF
    install_if_changed "$ROOT/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json" 0644 <<EOF || true
{
  "agent": {"run_as_user": "root"},
  "logs": {"logs_collected": {"files": {"collect_list": [
    {"file_path": "$LOG_DIR/transform.log", "log_group_name": "$TRANSFORM_LOG_GROUP",
     "log_stream_name": "{instance_id}", "timestamp_format": "%Y-%m-%dT%H:%M:%SZ"}
  ]}}}
}
EOF
    mkdir -p "$STATE_DIR" "$LOG_DIR"
    if [ "$(id -u)" -eq 0 ] && [ -z "$ROOT" ]; then chown clickstream: "$STATE_DIR" "$LOG_DIR"; fi
}

step_services() {
    systemctl daemon-reload
    systemctl enable --now clickstream-dashboard.service clickstream-backup.timer
    systemctl restart clickstream-dashboard.service
    /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
        -c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json >/dev/null
}

main() {
    load_config
    if wanted packages; then step_packages; fi
    if wanted postgres; then step_postgres; fi
    if wanted project; then step_project; fi
    fetch_passwords
    if wanted database; then step_database; fi
    if wanted migrate; then step_migrate; fi
    if wanted files; then step_files; fi
    if wanted services; then step_services; fi
    log "done; $CHANGED files changed"
}

main "$@"
