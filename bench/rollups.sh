#!/usr/bin/env bash
# Issue 13: reports from the hourly rollups. Imports the 1M-entry Claude Code tree into a fresh
# SQLite ledger (records/s, with rollups kept in the insert transaction), then times whole
# `llmcost report` processes over that ledger: `monthly` and `daily --breakdown` (answered from
# rollups), `project` and `device` (rollups), and `monthly --tz Asia/Kolkata` (a :30 zone: every
# record is read) for comparison. Checks that the rollup answer equals the full scan's.
#
# usage: bash bench/rollups.sh              (RUNS=5 by default)
# Tree: ${LLMCOST_ANCHORS_HOME:-~/.cache/llmcost-anchors}/data/claude-1m (as bench/import.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
ANCHORS=${LLMCOST_ANCHORS_HOME:-$HOME/.cache/llmcost-anchors}
WORK=${LLMCOST_BENCH_WORK:-$HOME/.cache/llmcost-bench}/rollups
BENCH=${BENCH:-../shared/anchors/lib/bench.py}
TREE="$ANCHORS/data/claude-1m/projects"
mkdir -p "$WORK"
cargo build --release -q -p llmcost-cli
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/llmcost"
[ "${BIN:0:1}" = / ] || BIN="$PWD/$BIN"
LDIR="$WORK/ledger"
echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$BENCH" -n "${IMPORT_RUNS:-3}" --warmup 0 --reset-dir "$LDIR" --label "import 1M (rollups kept)" \
  --stdout "$WORK/import.json" -- env LLMCOST_LEDGER="$LDIR/ledger.db" "$BIN" import "$TREE" --quiet --format json
python3 -c 'import json,sys; print("  records_new:", json.load(open(sys.argv[1]))["records_new"])' "$WORK/import.json"
sqlite3 "$LDIR/ledger.db" "SELECT 'rollup rows: ' || count(*) FROM rollups" 2>/dev/null || true
L=(--ledger "$LDIR/ledger.db")
for args in "monthly" "daily --breakdown" "project" "device" "monthly --tz Asia/Kolkata"; do
  # shellcheck disable=SC2086
  python3 "$BENCH" -n "$RUNS" --warmup 1 --label "report $args" -- "$BIN" report $args "${L[@]}" --format json
done
# The rollup answer equals the full scan's: the totals of `monthly` (rollups) and of `session`
# (sessions are not in rollups: every record is read) must be identical.
"$BIN" report monthly "${L[@]}" --format json > "$WORK/monthly.json"
"$BIN" report session "${L[@]}" --format json > "$WORK/session.json"
python3 - "$WORK/monthly.json" "$WORK/session.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["totals"]; b = json.load(open(sys.argv[2]))["totals"]
same = a == b
print(f"  monthly (rollups) totals == session (every record) totals: {same}: {a['cost']} USD, {a['records']} records")
sys.exit(0 if same else 1)
PY
