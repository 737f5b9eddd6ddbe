#!/usr/bin/env bash
# The shop owner's summary on the warehouse, run each morning by the stack's SSM document (EventBridge -> Run
# Command, as root): `clickstream report --period day|week` as the read-only `dashboard` role, which e-mails it with
# SES when REPORT_FROM_ADDRESS and REPORT_TO_ADDRESSES are set (else writes it to REPORT_OUTPUT_DIR) and publishes
# the orders alert to REPORT_ALERT_TOPIC_ARN. Its output is appended to the report log; the exit code is the
# report's, so a failed report fails the command (and its alarm).
#
# The warehouse connection comes from the dashboard's environment file (bootstrap.sh writes it); REPORT_* from the
# document's command line; the variables below only let a test point it elsewhere.
set -euo pipefail

ENV_FILE="${CLICKSTREAM_REPORT_ENV:-/etc/clickstream/dashboard.env}"
if [ ! -r "$ENV_FILE" ]; then
    echo "run-report: $ENV_FILE is missing: run infra/ec2/bootstrap.sh first" >&2
    exit 2
fi
period="${1:-day}"
case "$period" in
    day | week) ;;
    *) echo "run-report: the period is day or week, not '$period'" >&2; exit 2 ;;
esac

# Root (Run Command) hands the report to the unprivileged service user, with the document's settings.
if [ "$(id -u)" -eq 0 ] && id clickstream >/dev/null 2>&1 && [ -z "${RUN_REPORT_AS_SELF:-}" ]; then
    exec runuser -u clickstream -- env RUN_REPORT_AS_SELF=1 \
        REPORT_FROM_ADDRESS="${REPORT_FROM_ADDRESS:-}" REPORT_TO_ADDRESSES="${REPORT_TO_ADDRESSES:-}" \
        REPORT_ALERT_TOPIC_ARN="${REPORT_ALERT_TOPIC_ARN:-}" REPORT_ALERT_BELOW_PERCENT="${REPORT_ALERT_BELOW_PERCENT:-50}" \
        "$0" "$@"
fi

set -a
# shellcheck source=/dev/null
. "$ENV_FILE"
set +a

: "${CLICKSTREAM_BIN:=/opt/clickstream/venv/bin/clickstream}"
: "${REPORT_LOG:=/var/log/clickstream/report.log}"
: "${REPORT_OUTPUT_DIR:=/var/lib/clickstream/reports}"
# boto3 reads the region from AWS_DEFAULT_REGION; the env file names it AWS_REGION.
: "${AWS_DEFAULT_REGION:=${AWS_REGION:-}}"
export REPORT_OUTPUT_DIR AWS_DEFAULT_REGION

mkdir -p "$(dirname "$REPORT_LOG")"
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) run-report: start ($period)" >>"$REPORT_LOG"
status=0
"$CLICKSTREAM_BIN" report --period "$period" 2>&1 | tee -a "$REPORT_LOG" || status=$?
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) run-report: exit $status" >>"$REPORT_LOG"
exit "$status"
