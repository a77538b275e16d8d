#!/usr/bin/env bash
# The dashboard over a 1M-record ledger (issue 14): the overview's server response (curl,
# median of 20), first contentful paint in headless chromium (median of 5), the serving
# process's resident memory (VmHWM after the runs), and a live event's delay (the browser
# test's call through `proxy --dashboard`).
#
# usage: bash bench/web.sh [LEDGER]        (LLMCOST_BIN=path: use that release binary)
# LEDGER: an existing 1M-record ledger; else one is imported from the anchors' claude-1m tree
# (${LLMCOST_ANCHORS_HOME:-~/.cache/llmcost-anchors}/data/claude-1m) under
# ${LLMCOST_BENCH_WORK:-~/.cache/llmcost-bench}/web/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
if [ -n "${LLMCOST_BIN:-}" ]; then
  BIN=$LLMCOST_BIN      # a release binary built already
else
  cargo build --release -q -p llmcost-cli
  BIN="$CARGO_TARGET_DIR/release/llmcost"
fi
WORK=${LLMCOST_BENCH_WORK:-$HOME/.cache/llmcost-bench}/web
mkdir -p "$WORK"
LEDGER=${1:-$WORK/ledger-1m.db}
if [ ! -f "$LEDGER" ]; then
  TREE=${LLMCOST_ANCHORS_HOME:-$HOME/.cache/llmcost-anchors}/data/claude-1m
  [ -d "$TREE" ] || { echo "no ledger and no $TREE: give a ledger" >&2; exit 2; }
  echo "== importing $TREE into $LEDGER"
  /usr/bin/time -f "import: %e s, %M KB max RSS" "$BIN" import "$TREE/projects" --quiet --ledger "$LEDGER" > /dev/null
fi
echo "== $("$BIN" report monthly --ledger "$LEDGER" --format json | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["records"], "records,", t["cost"], t["currency"])')"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --ledger "$LEDGER" --listen "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/assets/style.css" > /dev/null && break; sleep 0.1; done
for Q in "" "?since=2025-09-01&until=2025-09-30" "?period=monthly" "?model=claude-sonnet-4-20250514"; do
  python3 - "http://127.0.0.1:$PORT/$Q" <<'PY'
import statistics, subprocess, sys
url = sys.argv[1]
t = []
for i in range(21):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_starttransfer} %{time_total}", url], capture_output=True, text=True).stdout.split()
    assert out[0] == "200", out
    if i: t.append(float(out[2]) * 1000)
print(f"overview {url}: median {statistics.median(t):.1f} ms (min {min(t):.1f}, max {max(t):.1f}) over {len(t)} requests")
PY
done
grep -E "VmHWM|VmRSS" /proc/$PID/status | tr -s ' \t' ' '
LLMCOST_WEB_URL="http://127.0.0.1:$PORT/" cargo test -q -p llmcost-cli --features browser-tests --test browser -- --ignored --nocapture measure_overview 2>&1 | grep -E "overview|panicked|error" || true
grep -E "VmHWM" /proc/$PID/status | tr -s ' \t' ' ' | sed 's/^/after chromium: /'
LLMCOST_BIN="$BIN" cargo test -q -p llmcost-cli --features browser-tests --test browser -- --nocapture a_call_through_the_proxy 2>&1 | grep -E "^live:|panicked" || true
