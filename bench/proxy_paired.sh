#!/usr/bin/env bash
# Paired before/after runs of the proxy's hot path where the anchors kit (nginx, wrk,
# ../shared/anchors/run_proxy_bench.sh) is not installed: the `load` example of
# llmcost-proxy runs a fixed-answer upstream, the proxy (2 serving threads, a fresh
# SQLite ledger, default writer) and a keep-alive load generator as three processes.
#
# Usage: bash bench/proxy_paired.sh BEFORE_BIN AFTER_BIN
#        (each: a release build of `cargo build --release -p llmcost-proxy --example load`)
# Env:   CONCURRENCY (64), SECS (8), ROUNDS (3). Runs alternate before/after, ROUNDS times.
set -euo pipefail
BEFORE="$1"
AFTER="$2"
C="${CONCURRENCY:-64}"
S="${SECS:-8}"
W="$(mktemp -d)"
UP=18280
PX=14280
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
"$AFTER" upstream "$UP" &
PIDS+=($!)
sleep 0.5
one() {
  local name="$1" bin="$2" round="$3"
  rm -f "$W"/ledger.db*
  "$bin" proxy "$PX" "http://127.0.0.1:$UP" "$W/ledger.db" "$((S + 3))" >"$W/proxy.out" &
  local pid=$!
  sleep 0.7
  local r
  r="$("$AFTER" run "http://127.0.0.1:$PX" "$C" "$S")"
  wait "$pid"
  local rows
  rows="$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('select count(*) from entries').fetchone()[0])" "$W/ledger.db" 2>/dev/null || echo '?')"
  echo "round $round $name c=$C: $r | ledger rows $rows | $(cat "$W/proxy.out")"
}
for i in $(seq 1 "${ROUNDS:-3}"); do
  one before "$BEFORE" "$i"
  one after "$AFTER" "$i"
done
