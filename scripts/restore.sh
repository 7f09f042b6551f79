#!/usr/bin/env bash
# Restores a pg_dump custom-format FILE into an environment's database (Local mode, while the AppHost runs):
# every table in the dump is dropped and recreated from it, in one transaction (all or nothing), owned by the
# database's owner (the application's role); then the api's Redis cache is emptied (its cached lists describe the
# data before the restore).
#   scripts/restore.sh ENVIRONMENT [FILE]
# FILE: default the newest dump in the environment's backups folder (as the dashboard's "Restore latest").
# The connection comes from the AppHost's settings and secrets (scripts/db-connection.py); PG* variables override it.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: scripts/restore.sh Development|Testing|Production [FILE]" >&2
    exit 2
fi
environment="$1"
connection="$(/usr/bin/python3 "$repo/scripts/db-connection.py" "$environment")" # exits here on a bad environment
eval "$connection"
file="${2:-$(ls -1 "$BACKUP_DIR/$PGDATABASE"-*.dump 2>/dev/null | sort | tail -n 1 || true)}"
if [[ ! -f "$file" ]]; then
    if [[ $# -eq 2 ]]; then what="no such file: $2"; else what="no backup of $PGDATABASE in $BACKUP_DIR"; fi
    echo "restore: $what. Make one with scripts/backup.sh $environment (or the dashboard's \"Back up\" on postgres)." >&2
    exit 2
fi
# As the database's owner (the application's role): restored objects belong to it, never to the superuser.
owner="$(psql -XAt --dbname "$PGDATABASE" -c 'SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()')" || {
    echo "restore: cannot reach $PGDATABASE on $PGHOST:$PGPORT (nothing was changed): is the $environment stack running (scripts/run.sh --environment $environment)?" >&2
    exit 1
}
pg_restore --clean --if-exists --no-owner --role "$owner" --single-transaction --exit-on-error --dbname "$PGDATABASE" "$file" || {
    echo "restore: pg_restore of $file into $PGDATABASE on $PGHOST:$PGPORT failed (nothing was changed): is the $environment stack running?" >&2
    exit 1
}
echo "restore: $file -> $PGDATABASE ($environment)"
if [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" FLUSHDB 2>&1)" != OK ]]; then
    echo "restore: could not empty the Redis cache on port $REDIS_PORT: cached lists may be up to 5 minutes old." >&2
fi
