#!/usr/bin/env bash
# Issue 13: how long the proxy takes at start to read its budgets' current spend, from a 1M-record
# SQLite ledger: the scan of every record since the earliest period start (what `Proxy::start` did
# before) against the hourly rollups with only the edges scanned (`Budgets::preload_ledger`).
# The ledger: the records of SRC (default: a copy of the paired benchmark's 1M-record ledger, never
# the original) as proxy records of 2026-12-01..03 (8 keys, tag sets), read at 2026-12-03T18:20Z
# by five budgets (global month and day, each key per day, tag:ci per month, global per day in
# Asia/Kolkata). Also times both reads on SRC itself (no proxy records in any period).
#
# usage: bash bench/budget_preload.sh        (RUNS=7 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
ORIG=${SRC:-$HOME/.cache/llmcost-bench/paired/la/l.db}
WORK=${WORK:-/tmp/llmcost-budget-preload}
mkdir -p "$WORK"
cargo build --release -q -p llmcost-proxy --example preload
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/preload"
[ "${BIN:0:1}" = / ] || BIN="$PWD/$BIN"
echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -f "$WORK/src.db" ] || cp "$ORIG" "$WORK/src.db"
if [ ! -f "$WORK/proxy.db" ]; then
  "$BIN" build "$WORK/src.db" "$WORK/proxy.db"
fi
echo "== proxy ledger (1M proxy records in the current month)"
"$BIN" time "$WORK/proxy.db" "$RUNS"
echo "== source ledger as it is (no proxy records in the periods)"
"$BIN" time "$WORK/src.db" "$RUNS"
echo "== load $(cut -d' ' -f1-3 /proc/loadavg)"
