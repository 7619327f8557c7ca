#!/bin/sh
# Back up the bot's database into BACKUP_DIR and drop backups older than BACKUP_KEEP_DAYS.
# PostgreSQL: `pg_dump --format=custom` (restore with pg_restore); SQLite: the sqlite3 online
# backup API (a consistent copy while the bot runs). docs/DEPLOY.md, "Backup and restore".
#
#   BACKUP_ONCE=1 backup.sh   one backup, then exit (the systemd timer, cron, tests)
#   backup.sh                 one backup every BACKUP_INTERVAL_SECONDS (the compose service)
#   backup.sh check           exit 0 if the newest backup is younger than two intervals
#
# Which database: the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) when
# PGDATABASE is set, else the bot's own DATABASE_URL (read with python3, so the password
# never appears on a command line).
set -eu

dir="${BACKUP_DIR:-/backups}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
every="${BACKUP_INTERVAL_SECONDS:-86400}"

if [ "${1:-}" = check ]; then
    newest="$(find "$dir" -maxdepth 1 -type f -name 'exercise-bot-*' -mmin "-$((2 * every / 60 + 1))" | head -n 1)"
    [ -n "$newest" ] || { echo "backup: none in the last $((2 * every / 60)) minutes in $dir" >&2; exit 1; }
    exit 0
fi

sqlite_path=""
if [ -z "${PGDATABASE:-}" ]; then
    [ -n "${DATABASE_URL:-}" ] || { echo "backup: set PGDATABASE (and PGHOST...) or DATABASE_URL" >&2; exit 2; }
    # shellcheck disable=SC2016  # the Python program is meant to be literal
    settings="$(python3 -c '
import os, shlex, sys
from urllib.parse import unquote, urlsplit
url = os.environ["DATABASE_URL"]
scheme, _, rest = url.partition("://")
if scheme.startswith("sqlite"):
    print("sqlite_path=" + shlex.quote(rest[1:] if rest.startswith("/") else rest))
    sys.exit(0)
if not scheme.startswith(("postgresql", "postgres")):
    sys.exit("backup: DATABASE_URL is neither SQLite nor PostgreSQL")
parts = urlsplit("postgresql://" + rest)
values = {
    "PGHOST": parts.hostname, "PGPORT": parts.port, "PGUSER": unquote(parts.username or ""),
    "PGPASSWORD": unquote(parts.password or ""), "PGDATABASE": unquote(parts.path.lstrip("/")),
}
for name, value in values.items():
    if value:
        print(f"export {name}={shlex.quote(str(value))}")
')"
    eval "$settings"
fi

mkdir -p "$dir"
umask 077

backup_once() {
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"
    if [ -n "$sqlite_path" ]; then
        name="$dir/exercise-bot-$stamp.sqlite3"
        if ! python3 -c '
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
source.close(); target.close()
' "$sqlite_path" "$name.partial"; then
            rm -f "$name.partial"
            echo "backup: FAILED (sqlite $sqlite_path)" >&2
            return 1
        fi
    else
        name="$dir/exercise-bot-$stamp.dump"
        if ! pg_dump --format=custom --no-owner --no-privileges --file="$name.partial"; then
            rm -f "$name.partial"
            echo "backup: FAILED (pg_dump ${PGDATABASE:-})" >&2
            return 1
        fi
    fi
    mv "$name.partial" "$name"
    echo "backup: wrote $name"
    find "$dir" -maxdepth 1 -type f -name 'exercise-bot-*' -mtime "+$keep_days" -exec rm -f {} +
}

if [ "${BACKUP_ONCE:-0}" = 1 ]; then
    backup_once
    exit
fi
while :; do
    backup_once || true  # logged; `backup.sh check` (the compose health check) notices
    sleep "$every"
done
