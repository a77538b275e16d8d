#!/usr/bin/env bash
# Metering-proxy overhead: llmcost proxy beside direct-to-mock and LiteLLM's proxy,
# with ../shared/anchors/run_proxy_bench.sh (nginx mock upstream, wrk), then a
# count of the ledger records each run left (no record may be lost).
#
# Usage (from the repository root):   bash bench/proxy.sh
# Env:  CONCURRENCY ("1 16 64"), DURATION (15), MODES ("json sse"), LITELLM (1; 0 skips
#       LiteLLM, whose install is ~480 MB), BUILD (1; 0 uses the existing binary),
#       CARGO_TARGET_DIR (target), LLMCOST_ANCHORS_HOME (~/.cache/llmcost-anchors).
# The proxy runs with its defaults (flush interval 50 ms, queue 65,536) and writes
# a fresh SQLite ledger per mode.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
ANCHORS="$(cd "$ROOT/../shared/anchors" && pwd)"
H="${LLMCOST_ANCHORS_HOME:-$HOME/.cache/llmcost-anchors}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -p llmcost-cli
fi
BIN="$TARGET/release/llmcost"
[ -x "$BIN" ] || { echo "no $BIN: build it first (cargo build --release -p llmcost-cli)" >&2; exit 1; }

status=0
for mode in ${MODES:-json sse}; do
  log="$(mktemp)"
  # One anchors run per mode, so that each mode's ledger can be counted before the next
  # run empties the scratch folder.
  LLMCOST_PROXY_CMD="$BIN proxy --listen {host}:{port} --upstream {upstream} --ledger {work}/ledger.db" \
    MODES="$mode" LITELLM="${LITELLM:-1}" \
    bash "$ANCHORS/run_proxy_bench.sh" 2>&1 | tee "$log" || status=1
  run_id="$(sed -n 's/.*(run_id \([0-9TZ]*\)).*/\1/p' "$log" | tail -1)"
  rm -f "$log"
  python3 - "$H" "$mode" "$run_id" <<'EOF' || status=1
import json, re, sqlite3, sys
home, mode, run_id = sys.argv[1:]
db = f"{home}/scratch/llmcost-proxy/ledger.db"
con = sqlite3.connect(db)
try:
    rows = con.execute(
        "select count(*), sum(incomplete), count(distinct dedup_key) from records").fetchone()
except sqlite3.OperationalError:
    # Ledger schema 3+: keys are stored hashed (key_hash unique; NULL for a collided key).
    rows = con.execute(
        "select count(*), sum(incomplete), count(distinct key_hash) + sum(key_hash is null) "
        "from entries").fetchone()
served = [json.loads(l) for l in open(f"{home}/results/proxy.jsonl")]
served = [r for r in served if r["run_id"] == run_id and r["target"] == "llmcost"]
wrk = sum(r["requests"] for r in served)
log = open(f"{home}/proxy/llmcost-{mode}.log").read()
m = re.search(r"(\d+) records written, (\d+) dropped \(queue full\), (\d+) failed", log)
written, dropped, failed = (int(x) for x in m.groups()) if m else (None, None, None)
# Every response wrk counted (plus warm-ups and the check request) must be in the ledger;
# the proxy's own tally must agree with the table and show nothing dropped or failed.
ok = m is not None and rows[0] == written and dropped == 0 and failed == 0 and rows[0] >= wrk + 1
print(f"ledger check ({mode}, run {run_id}): {rows[0]} records ({rows[1] or 0} incomplete, "
      f"{rows[2]} distinct keys); wrk counted {wrk} responses in the timed runs "
      f"(+ warm-ups and 1 check); proxy: written {written}, dropped {dropped}, failed {failed} "
      f"-> {'OK, no record lost' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
EOF
done
exit "$status"
