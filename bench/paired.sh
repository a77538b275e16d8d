#!/usr/bin/env bash
# Paired before/after runs of a restructure (issue 12): two llmcost release binaries, run in
# turn (A B A B ...) by ../shared/anchors/lib/bench.py, which reports the median of the
# pair-by-pair wall ratios (meaningful on a noisy machine) beside the medians.
#   1. `report daily` over the 1M-entry Claude Code tree, and ccusage on the same tree;
#   2. `import` of the same tree into a fresh ledger;
#   3. `cost --usage` over 1M provider response bodies;
#   4. the proxy at concurrency 64 (bench/proxy_paired.sh, the `load` examples of each build).
#
# usage: bash bench/paired.sh BEFORE_DIR AFTER_DIR
#        (each DIR holds `llmcost` and `load` from `cargo build --release -p llmcost-cli` and
#         `cargo build --release -p llmcost-proxy --example load` of that commit)
# env:   RUNS (3), STEPS ("report import usage proxy"), LLMCOST_ANCHORS_HOME, LLMCOST_BENCH_WORK
# The 1M tree comes from ../shared/anchors/gen_claude_logs.py (seed 42, 2 GB); the bodies from
# bench/gen_bodies.py. Each answer is checked equal between the two builds.
set -euo pipefail
cd "$(dirname "$0")/.."
B="$(cd "$1" && pwd)"
A="$(cd "$2" && pwd)"
RUNS="${RUNS:-3}"
STEPS="${STEPS:-report import usage proxy}"
H="${LLMCOST_ANCHORS_HOME:-$HOME/.cache/llmcost-anchors}"
W="${LLMCOST_BENCH_WORK:-$HOME/.cache/llmcost-bench}/paired"
K=../shared/anchors
BENCH="python3 $K/lib/bench.py"
TREE="$H/data/claude-1m"
mkdir -p "$W"
[ -s "$TREE/expected.json" ] || python3 $K/gen_claude_logs.py --entries 1000000 --seed 42 --out "$TREE"
echo "== before: $B/llmcost ($("$B/llmcost" --version)); after: $A/llmcost ($("$A/llmcost" --version)); $(nproc) cores"

same() {  # same FILE_A FILE_B LABEL: the two builds' JSON answers agree
  if python3 - "$1" "$2" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
key = lambda o: (o.get("totals") or o.get("total") or o.get("records_new"))
sys.exit(0 if key(a) == key(b) else 1)
PY
  then echo "  check $3: the same answer before and after"; else echo "  check $3: ANSWERS DIFFER"; fi
}

for step in $STEPS; do
  case "$step" in
  report)
    echo "== report daily over 1M entries: after vs before"
    $BENCH -n "$RUNS" --warmup 1 --label "report daily 1M after/before" \
      --stdout "$W/report-after.json" --vs-stdout "$W/report-before.json" \
      --vs "$B/llmcost report daily $TREE/projects --format json" -- \
      "$A/llmcost" report daily "$TREE/projects" --format json
    same "$W/report-after.json" "$W/report-before.json" "report daily"
    CC="$(ls "$H"/npm/ccusage/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage 2>/dev/null || true)"
    if [ -n "$CC" ]; then
      chmod +x "$CC"
      echo "== report daily over 1M entries: after vs ccusage $("$CC" --version) (daily --json --offline)"
      mkdir -p "$W/home"
      $BENCH -n "$RUNS" --warmup 0 --timeout 300 --label "report daily 1M after/ccusage" \
        --vs "env HOME=$W/home TZ=UTC CLAUDE_CONFIG_DIR=$TREE $CC daily --json --offline" -- \
        "$A/llmcost" report daily "$TREE/projects" --format json
    else
      echo "  (ccusage not installed: run ../shared/anchors/run_ccusage_bench.sh once)"
    fi
    ;;
  import)
    echo "== import of 1M entries into a fresh ledger: after vs before"
    $BENCH -n "$RUNS" --warmup 0 --label "import 1M after/before" \
      --stdout "$W/import-after.json" --vs-stdout "$W/import-before.json" \
      --vs "sh -c 'rm -rf $W/lb && mkdir -p $W/lb && exec $B/llmcost import $TREE/projects --ledger $W/lb/l.db --quiet --format json'" -- \
      sh -c "rm -rf $W/la && mkdir -p $W/la && exec $A/llmcost import $TREE/projects --ledger $W/la/l.db --quiet --format json"
    same "$W/import-after.json" "$W/import-before.json" "import"
    ;;
  usage)
    BODIES="$W/bodies-1000000.jsonl"
    [ -s "$BODIES" ] || python3 bench/gen_bodies.py 1000000 "$BODIES" >/dev/null
    echo "== cost --usage over 1M bodies: after vs before"
    $BENCH -n "$RUNS" --warmup 1 --label "cost --usage 1M after/before" \
      --stdout "$W/usage-after.json" --vs-stdout "$W/usage-before.json" \
      --vs "$B/llmcost cost --usage $BODIES --format json" -- \
      "$A/llmcost" cost --usage "$BODIES" --format json
    same "$W/usage-after.json" "$W/usage-before.json" "cost --usage"
    ;;
  proxy)
    echo "== proxy at concurrency 64: before and after, alternating"
    CONCURRENCY=64 ROUNDS="$RUNS" bash bench/proxy_paired.sh "$B/load" "$A/load"
    ;;
  esac
done
