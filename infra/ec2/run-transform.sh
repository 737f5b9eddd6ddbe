#!/usr/bin/env bash
# The scheduled dbt build on the warehouse, run by the stack's SSM document (EventBridge -> Run Command, as root):
# `clickstream transform` as the `transformer` role, one build at a time, recorded in ops.transform_runs, its
# output appended to the log file the CloudWatch agent ships. The exit code is the transform's, so a failed build
# fails the command (and its alarm).
#
# Everything comes from the environment file bootstrap.sh writes (DW_PG_* with DW_PG_PASSWORD_PARAM, the dbt
# project, the metric namespace); the variables below only let a test point it elsewhere.
set -euo pipefail

ENV_FILE="${CLICKSTREAM_TRANSFORM_ENV:-/etc/clickstream/transform.env}"
if [ ! -r "$ENV_FILE" ]; then
    echo "run-transform: $ENV_FILE is missing: run infra/ec2/bootstrap.sh first" >&2
    exit 2
fi
set -a
# shellcheck source=/dev/null
. "$ENV_FILE"
set +a

: "${CLICKSTREAM_BIN:=/opt/clickstream/venv/bin/clickstream}"
: "${TRANSFORM_LOG:=/var/log/clickstream/transform.log}"
: "${TRANSFORM_TRIGGER:=ssm}"

# Root (Run Command) hands the build to the unprivileged service user; it owns dbt's target directory.
if [ "$(id -u)" -eq 0 ] && id clickstream >/dev/null 2>&1 && [ -z "${RUN_TRANSFORM_AS_SELF:-}" ]; then
    exec runuser -u clickstream -- env RUN_TRANSFORM_AS_SELF=1 TRANSFORM_TRIGGER="$TRANSFORM_TRIGGER" "$0" "$@"
fi

args=(transform --trigger "$TRANSFORM_TRIGGER")
if [ -n "${DBT_TARGET_PATH:-}" ]; then
    args+=(--target-path "$DBT_TARGET_PATH")
fi

mkdir -p "$(dirname "$TRANSFORM_LOG")"
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) run-transform: start (trigger $TRANSFORM_TRIGGER)" >>"$TRANSFORM_LOG"
status=0
# The shop's database first, when the stack names one (SHOP_PG_*): the build then sees its latest rows. A failed
# extract is recorded (ops.shop_extract_runs) and fails the command, but the build still runs on what landed.
if [ -n "${SHOP_PG_HOST:-}${SHOP_DATABASE_URL:-}" ]; then
    "$CLICKSTREAM_BIN" extract-shop --trigger "$TRANSFORM_TRIGGER" 2>&1 | tee -a "$TRANSFORM_LOG" || status=$?
fi
transform_status=0
"$CLICKSTREAM_BIN" "${args[@]}" "$@" 2>&1 | tee -a "$TRANSFORM_LOG" || transform_status=$?
# The build's own failure wins: its exit code is what the alarms and the tests read.
[ "$transform_status" -eq 0 ] || status=$transform_status
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) run-transform: exit $status" >>"$TRANSFORM_LOG"
exit "$status"
