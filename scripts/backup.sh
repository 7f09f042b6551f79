#!/usr/bin/env bash
# Backs up an environment's database (Local mode, while the AppHost runs) with pg_dump's custom format.
#   scripts/backup.sh [ENVIRONMENT] [FILE]
# ENVIRONMENT: Development (default), Testing or Production. FILE: default <database>-<UTC time>.dump in the
# environment's backups folder, the one the dashboard's "Back up" and "Restore latest" commands use.
# The connection comes from the AppHost's settings and secrets (scripts/db-connection.py); PG* variables override it.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
environment="${1:-Development}"
connection="$(/usr/bin/python3 "$repo/scripts/db-connection.py" "$environment")" # exits here on a bad environment
eval "$connection"
file="${2:-$BACKUP_DIR/$PGDATABASE-$(date -u +%Y%m%d-%H%M%S-%3N).dump}"
umask 077 # dumps hold every row: owner only
mkdir -p "$(dirname "$file")"
pg_dump --format=custom --file "$file" || {
    echo "backup: pg_dump of $PGDATABASE on $PGHOST:$PGPORT failed: is the $environment stack running (scripts/run.sh --environment $environment)?" >&2
    exit 1
}
echo "backup: $PGDATABASE ($environment) -> $file"
