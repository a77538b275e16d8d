#!/usr/bin/env bash
# `llmcost import` of synthetic Claude Code log trees into a fresh ledger (records/s), then
# `llmcost report monthly --ledger` from that ledger (when the command exists), and a second
# import of the unchanged tree (nothing new: every file is skipped by its recorded progress).
# Checks the ledger's record count, token totals and exact cost against the generator's
# expected.json.
#
# usage: bash bench/import.sh            (SIZES="100000 1000000" RUNS=3 by default)
#        SIZES=100000 RUNS=5 bash bench/import.sh
# Trees: reuses ${LLMCOST_ANCHORS_HOME:-~/.cache/llmcost-anchors}/data/claude-<100k|1m> (the
# anchors' own trees) when its expected.json matches, else generates one with ../shared/anchors/gen_claude_logs.py under
# ${LLMCOST_BENCH_WORK:-~/.cache/llmcost-bench}/import/ (2 GB at 1M entries).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"100000 1000000"}
RUNS=${RUNS:-3}
ANCHORS=${LLMCOST_ANCHORS_HOME:-$HOME/.cache/llmcost-anchors}
WORK=${LLMCOST_BENCH_WORK:-$HOME/.cache/llmcost-bench}/import
BENCH=../shared/anchors/lib/bench.py
mkdir -p "$WORK"
cargo build --release -q -p llmcost-cli
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/llmcost"
[ "${BIN:0:1}" = / ] || BIN="$PWD/$BIN"
echo "== $(nproc) cores; results appended to $WORK/results.jsonl"

for N in $SIZES; do
  SHORT=$(python3 -c 'import sys; n=int(sys.argv[1]); print(f"{n//1000000}m" if n % 1000000 == 0 else f"{n//1000}k")' "$N")
  DIR=""
  for D in "$ANCHORS/data/claude-$SHORT" "$ANCHORS/data/claude-$N" "$WORK/claude-$N"; do
    if python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["params"]["entries"] != int(sys.argv[2]))' \
        "$D/expected.json" "$N" 2>/dev/null; then DIR="$D"; break; fi
  done
  if [ -z "$DIR" ]; then
    DIR="$WORK/claude-$N"
    python3 ../shared/anchors/gen_claude_logs.py --entries "$N" --out "$DIR" --force >/dev/null
  fi
  BYTES=$(du -sb "$DIR/projects" | cut -f1)
  LDIR="$WORK/ledger-$N"
  mkdir -p "$LDIR"
  echo "== $N entries: $DIR ($((BYTES / 1000000)) MB)"
  python3 "$BENCH" -n "$RUNS" --warmup 0 --reset-dir "$LDIR" --label "llmcost import $N (fresh ledger)" \
    --bytes "$BYTES" --json-out "$WORK/results.jsonl" --stdout "$WORK/import-$N.json" -- \
    env LLMCOST_LEDGER="$LDIR/ledger.db" "$BIN" import "$DIR/projects" --quiet --format json
  python3 - "$WORK/results.jsonl" "$WORK/import-$N.json" "$LDIR/ledger.db" "$DIR/expected.json" <<'PY'
import decimal, json, sqlite3, sys
rec = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
out = json.load(open(sys.argv[2])); exp = json.load(open(sys.argv[4]))
wall = rec["a"]["wall_s"]["median"]
print(f"  {out['records_new']:,} new records in {wall:.2f} s (median): {out['records_new'] / wall:,.0f} records/s")
db = sqlite3.connect(sys.argv[3])
rows = db.execute("SELECT cost, input, output, cache_write, cache_read FROM records").fetchall()
t = exp["totals"]
got = (len(rows), sum(decimal.Decimal(r[0]) for r in rows),
       sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows), sum(r[4] for r in rows))
want = (t["entries"], decimal.Decimal(t["totalCostExact"]), t["inputTokens"], t["outputTokens"],
        t["cacheCreationTokens"], t["cacheReadTokens"])
print(f"  check: ledger {got[0]:,} records, {got[1]} USD vs expected {want[0]:,}, {want[1]}: "
      f"{'EXACT' if got == want else 'MISMATCH ' + repr((got, want))}")
sys.exit(0 if got == want else 1)
PY
  python3 "$BENCH" -n "$RUNS" --warmup 0 --label "llmcost import $N again (nothing new)" \
    --json-out "$WORK/results.jsonl" -- \
    env LLMCOST_LEDGER="$LDIR/ledger.db" "$BIN" import "$DIR/projects" --quiet --format json
  if "$BIN" report --help >/dev/null 2>&1; then
    python3 "$BENCH" -n "$RUNS" --warmup 1 --label "llmcost report monthly --ledger ($N records)" \
      --json-out "$WORK/results.jsonl" --stdout "$WORK/report-$N.json" -- \
      "$BIN" report monthly --ledger "$LDIR/ledger.db" --format json
  else
    echo "  (no \`llmcost report\` in this build: report timing skipped)"
  fi
  ls -l "$LDIR/ledger.db" | awk '{printf "  ledger file: %.0f MB\n", $5 / 1e6}'
done
