#!/usr/bin/env bash
# Quick PostgreSQL figures (issue 13): import of the 1M tree, reports and ledger copy on a
# throwaway local cluster. Paths are this machine's: BIN (release llmcost), TREE (claude-1m),
# SRC (a 1M-record SQLite ledger). Run as root (the cluster runs as the postgres user).
set -u
BIN=${BIN:-target/release/llmcost}
TREE=${TREE:-$HOME/.cache/llmcost-anchors/data/claude-1m}
SRC=${SRC:-$HOME/.cache/llmcost-bench/paired/la/l.db}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDIR=$(mktemp -d /tmp/llmcost-pgb.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chown postgres "$PGDIR"; AS="runuser -u postgres --"
$AS "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >/dev/null
$AS "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB -c max_wal_size=4GB" start >/dev/null
trap '$AS "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null; rm -rf "$PGDIR"' EXIT
echo "PostgreSQL $($PGBIN/postgres --version)"
for db in imp cp; do $AS "$PGBIN/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -c "CREATE DATABASE $db" postgres; done
U="postgres://postgres@127.0.0.1:$PORT"
# The inputs are read once first: this machine's page cache drops cold files, and a timing
# should not depend on whether the 2 GB tree happened to be cached.
find "$TREE/projects" -type f -exec cat {} + > /dev/null; cat "$SRC"* > /dev/null
/usr/bin/time -f "import 1M into PostgreSQL: %e s wall, %U+%S s CPU, %M KB" $BIN import $TREE/projects --ledger $U/imp --quiet --format json | python3 -c 'import json,sys; o=json.load(sys.stdin); print("records_new", o.get("records_new"))'
for i in 1 2 3; do /usr/bin/time -f "report monthly from PostgreSQL: %e s, %M KB" $BIN report monthly --ledger $U/imp --format json > /tmp/pgm.json; done
python3 -c 'import json; t=json.load(open("/tmp/pgm.json"))["totals"]; print("totals", t["records"], t["cost"])'
for i in 1 2 3; do /usr/bin/time -f "report daily --breakdown from PostgreSQL: %e s, %M KB" $BIN report daily --breakdown --ledger $U/imp --format json > /dev/null; done
$BIN report monthly --ledger $U/imp --format json --verbose 2>&1 >/dev/null | head -2
# The import's dirty pages are written out first, so the copy is not timed with them.
$AS "$PGBIN/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -c CHECKPOINT postgres
/usr/bin/time -f "ledger copy 1M SQLite->PostgreSQL: %e s wall, %U+%S s CPU" $BIN ledger copy --from $SRC --to $U/cp --quiet
/usr/bin/time -f "ledger copy again: %e s" $BIN ledger copy --from $SRC --to $U/cp --quiet
