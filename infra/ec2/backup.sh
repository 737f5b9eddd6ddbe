#!/usr/bin/env bash
# Nightly (clickstream-backup.timer): a custom-format pg_dump of the warehouse, streamed to the ops bucket's
# backups/ (expired by the bucket's lifecycle). Runs as `postgres` (peer authentication), so it needs no password.
set -euo pipefail
: "${OPS_BUCKET:?}" "${DW_DATABASE:=clickstream_dw}"
key="backups/$DW_DATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --compress=6 "$DW_DATABASE" | aws s3 cp --only-show-errors - "s3://$OPS_BUCKET/$key"
echo "backup: s3://$OPS_BUCKET/$key"
