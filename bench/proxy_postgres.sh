#!/usr/bin/env bash
# Issue 13: the proxy's throughput with a PostgreSQL ledger against the same proxy with a
# SQLite ledger, side by side in one run. `load upstream` (the llmcost-proxy `load` example)
# answers every call at once; `llmcost proxy --ledger ...` meters it; `load run` keeps
# CONCURRENCY keep-alive clients calling for SECS seconds. Rounds alternate SQLite and
# PostgreSQL (a fresh ledger each: a new file, a new database on a throwaway local cluster).
# Prints calls/s per round, the ratio of medians, and the records each ledger stored.
#
# usage: bash bench/proxy_postgres.sh      (as root: the cluster runs as the postgres user)
# env:   BIN (release llmcost), LOAD (release `load` example), CONCURRENCY (64), SECS (8),
#        ROUNDS (3), THREADS (proxy serving threads, 2)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/llmcost}
LOAD=${LOAD:-target/release/examples/load}
C=${CONCURRENCY:-64}
S=${SECS:-8}
T=${THREADS:-2}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
W=$(mktemp -d /tmp/llmcost-proxy-pg.XXXXXX)
chown postgres "$W"
AS="runuser -u postgres --"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
UP=$(free_port)
PX=$(free_port)
$AS "$PGBIN/initdb" -D "$W/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >/dev/null
$AS "$PGBIN/pg_ctl" -D "$W/data" -l "$W/log" -w -o "-p $PORT -k $W -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  $AS "$PGBIN/pg_ctl" -D "$W/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $($PGBIN/postgres --version), c=$C, ${S}s, $T proxy threads"
"$LOAD" upstream "$UP" &
PIDS+=($!)
sleep 0.5
U="postgres://postgres@127.0.0.1:$PORT"
one() {
  local kind=$1 round=$2 ledger
  if [ "$kind" = sqlite ]; then
    ledger="$W/r$round.db"
  else
    $AS "$PGBIN/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -c "CREATE DATABASE r$round" postgres
    ledger="$U/r$round"
    "$BIN" ledger init "$ledger" >/dev/null
  fi
  "$BIN" proxy --listen "127.0.0.1:$PX" --upstream "openai=http://127.0.0.1:$UP" --ledger "$ledger" \
    --threads "$T" --no-user-catalog --quiet &
  local pid=$!
  for _ in $(seq 50); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $PX), 0.2)" 2>/dev/null && break
    sleep 0.1
  done
  local r
  r=$("$LOAD" run "http://127.0.0.1:$PX/openai" "$C" "$S")
  kill -INT "$pid"
  wait "$pid" || true
  local rows
  rows=$("$BIN" report monthly --ledger "$ledger" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["records"])')
  echo "round $round $kind: $r | records stored $rows"
}
for i in $(seq 1 "${ROUNDS:-3}"); do
  one sqlite "$i" | tee -a "$W/out"
  one postgres "$i" | tee -a "$W/out"
done
python3 - "$W/out" <<'EOF'
import re, statistics, sys
rates = {"sqlite": [], "postgres": []}
for line in open(sys.argv[1]):
    m = re.match(r"round \d+ (\w+): .*?req/s ([0-9.]+)", line)
    if m:
        rates[m.group(1)].append(float(m.group(2)))
s, p = statistics.median(rates["sqlite"]), statistics.median(rates["postgres"])
print(f"median calls/s: SQLite {s:,.0f}, PostgreSQL {p:,.0f}; PostgreSQL / SQLite = {p / s:.2f}")
EOF
