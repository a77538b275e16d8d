#!/usr/bin/env bash
# `llmcost ledger copy` of a SQLite ledger into PostgreSQL (COPY, 50,000 records per
# transaction), then a second push (nothing new), on a throwaway cluster started here.
# The SQLite ledger is made by `llmcost import` of the 1M-entry Claude Code tree
# (bench/import.sh's; regenerated with ../shared/anchors/gen_claude_logs.py if missing).
#
# usage: bash bench/ledger_copy.sh          (N=1000000 RUNS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
RUNS=${RUNS:-3}
ANCHORS=${LLMCOST_ANCHORS_HOME:-$HOME/.cache/llmcost-anchors}
WORK=${LLMCOST_BENCH_WORK:-$HOME/.cache/llmcost-bench}/copy
mkdir -p "$WORK"
cargo build --release -q -p llmcost-cli
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/llmcost"
[ "${BIN:0:1}" = / ] || BIN="$PWD/$BIN"
SHORT=$([ "$N" = 1000000 ] && echo 1m || echo "$((N / 1000))k")
TREE="$ANCHORS/data/claude-$SHORT"
if [ ! -f "$TREE/expected.json" ]; then
  TREE="$WORK/claude-$N"
  [ -f "$TREE/expected.json" ] || python3 ../shared/anchors/gen_claude_logs.py --entries "$N" --out "$TREE" --force >/dev/null
fi
SRC="$WORK/laptop-$N.db"
if [ ! -f "$SRC" ]; then
  "$BIN" import "$TREE/projects" --ledger "$SRC" --quiet >/dev/null
fi
echo "== source: $SRC ($("$BIN" ledger init "$SRC"))"

# A throwaway cluster on a free port (as the postgres user when run as root).
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDIR=$(mktemp -d /tmp/llmcost-copy-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AS=""
if [ "$(id -u)" = 0 ]; then chown postgres "$PGDIR"; AS="runuser -u postgres --"; fi
$AS "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >/dev/null
$AS "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB -c max_wal_size=4GB" start >/dev/null
trap '$AS "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null; rm -rf "$PGDIR"' EXIT

for i in $(seq 1 "$RUNS"); do
  DB="copy$i"
  psql_url="postgres://postgres@127.0.0.1:$PORT/postgres"
  $AS "$PGBIN/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -c "CREATE DATABASE $DB" postgres
  URL="postgres://postgres@127.0.0.1:$PORT/$DB"
  "$BIN" ledger init "$URL" >/dev/null
  S=$(date +%s.%N); OUT1=$("$BIN" ledger copy --from "$SRC" --to "$URL"); E=$(date +%s.%N)
  S2=$(date +%s.%N); OUT2=$("$BIN" ledger copy --from "$SRC" --to "$URL"); E2=$(date +%s.%N)
  python3 -c 'import sys; a,b,c,d=map(float,sys.argv[1:5]); print(f"run {sys.argv[5]}: first push {b-a:.2f} s, second push {d-c:.2f} s")' "$S" "$E" "$S2" "$E2" "$i"
  echo "   $OUT1"; echo "   $OUT2"
done
