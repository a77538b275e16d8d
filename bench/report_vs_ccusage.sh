#!/usr/bin/env bash
# `llmcost report daily|monthly PATH --format json` beside ccusage 20 (`daily|monthly --json
# --offline`) on the synthetic Claude Code trees of ../shared/anchors (10k, 100k, 1M entries;
# the 1M tree is 2 GB and takes ~3 min to generate once), then beside the raw-read floors
# (`cat`, line count, a 2-thread serde_json parse-and-sum). Every llmcost report is checked
# against the generator's expected.json (tokens exact, cost exact) by the kit.
#
# usage: bash bench/report_vs_ccusage.sh                 (SIZES="10000 100000 1000000")
#        SIZES="10000 100000" RUNS=5 bash bench/report_vs_ccusage.sh
#        RAW=0 bash bench/report_vs_ccusage.sh             (skip the raw-read floors)
# Builds llmcost with `cargo build --release -p llmcost-cli` into ${CARGO_TARGET_DIR:-target}.
# Results: ${LLMCOST_ANCHORS_HOME:-~/.cache/llmcost-anchors}/results/{ccusage,rawread}.jsonl;
# print tables with `python3 ../shared/anchors/lib/summarize.py --only ccusage` (or rawread).
set -euo pipefail
cd "$(dirname "$0")/.."
export SIZES="${SIZES:-10000 100000 1000000}"
RAW="${RAW:-1}"
cargo build --release -q -p llmcost-cli
BIN="${CARGO_TARGET_DIR:-target}/release/llmcost"
[ "${BIN:0:1}" = / ] || BIN="$PWD/$BIN"
[ -x "$BIN" ] || { echo "no llmcost binary at $BIN" >&2; exit 2; }
echo "== llmcost: $BIN ($("$BIN" --version))"
status=0
LLMCOST_CMD="$BIN report {period} {projects} --format json" \
  ../shared/anchors/run_ccusage_bench.sh || status=$?
if [ "$RAW" = 1 ]; then
  JQ="${JQ:-0}" LLMCOST_CMD="$BIN report daily {projects} --format json" \
    ../shared/anchors/run_raw_read.sh || status=$?
fi
python3 ../shared/anchors/lib/summarize.py --only ccusage || true
[ "$RAW" = 1 ] && { python3 ../shared/anchors/lib/summarize.py --only rawread || true; }
exit "$status"
