#!/usr/bin/env bash
# `llmcost cost --usage` over 1,000,000 provider response bodies (JSON Lines), end to end,
# against LiteLLM 1.74.9 pricing the same bodies (cost_per_token, one thread), in one run.
# Checks llmcost's total against the exact total computed independently by gen_bodies.py.
#
# usage: bash bench/usage_file.sh [N=1000000] [LITELLM_LIMIT=50000]
# needs: python3; LiteLLM comes from ../shared/anchors/lib/ensure_litellm.sh (installs it
#        under ~/.cache/llmcost-anchors on first use). Set LITELLM=0 to skip LiteLLM.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
LIMIT=${2:-50000}
WORK=${LLMCOST_BENCH_WORK:-$HOME/.cache/llmcost-bench}
mkdir -p "$WORK"
DATA="$WORK/bodies-$N.jsonl"
[ -s "$DATA" ] || python3 bench/gen_bodies.py "$N" "$DATA" >/dev/null
EXP="${DATA%.jsonl}.expected.json"
cargo build --release -q -p llmcost-cli
BIN="$PWD/target/release/llmcost"
echo "== data: $N bodies, $(du -h "$DATA" | cut -f1), $(nproc) cores"

echo "== llmcost cost --usage (whole process, 1 warm-up + 5 runs)"
rm -f "$WORK/llmcost-bench.jsonl"
python3 ../shared/anchors/lib/bench.py -n 5 --warmup 1 --label "llmcost cost --usage $N" --bytes "$(stat -c %s "$DATA")" \
  --json-out "$WORK/llmcost-bench.jsonl" --stdout "$WORK/llmcost-out.json" -- "$BIN" cost --usage "$DATA" --format json
python3 - "$WORK/llmcost-out.json" "$EXP" <<'PY'
import json, sys
o = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[2]))
ok = o["total"] == e["total"] and o["usage"]["total_tokens"] == e["total_tokens"] and o["records"] == e["records"]
print(f"check: llmcost total {o['total']} vs exact {e['total']}: {'EXACT' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
PY

if [ "${LITELLM:-1}" != 0 ]; then
  PY="$(bash ../shared/anchors/lib/ensure_litellm.sh)"
  echo "== LiteLLM cost_per_token on the first $LIMIT of the same bodies (1 thread)"
  "$PY" bench/litellm_bodies.py "$DATA" --limit "$LIMIT" | tee "$WORK/litellm.json"
  echo "llmcost exact total of the same $LIMIT records: $(head -n "$LIMIT" "$DATA" | "$BIN" cost --usage - --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
  python3 - "$WORK/llmcost-bench.jsonl" "$WORK/litellm.json" "$N" <<'PY'
import json, sys
rec = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
lit = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
n = int(sys.argv[3])
wall = rec["a"]["wall_s"]["median"]; cpu = rec["a"]["cpu_s"]["median"]
ours = n / wall
print(f"llmcost: {n:,} records in {wall:.3f} s wall (median), {cpu:.3f} s CPU: {ours:,.0f} records/s end to end, "
      f"{n / cpu:,.0f} records per CPU-second")
print(f"LiteLLM: {lit['records_per_s']:,} records/s (parse + cost_per_token, 1 thread; float total of its "
      f"{lit['records']:,} records: {lit['float_total']})")
print(f"ratio: llmcost end to end is {ours / lit['records_per_s']:,.0f}x LiteLLM's rate "
      f"({(n / cpu) / lit['records_per_s']:,.0f}x per CPU-second)")
PY
fi
