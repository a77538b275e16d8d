#!/usr/bin/env bash
# Fleet budgets: three `llmcost proxy` instances (in one test process) on one throwaway
# PostgreSQL cluster, 64 concurrent clients spread over them, a mock upstream on 127.0.0.1,
# a global budget of 100 calls (0.075 USD at 0.00075 USD per call). Runs the cluster test
# `fleet::three_proxies_hold_one_budget_across_the_fleet_and_restarts` RUNS times (20) and
# reports each run's calls served and overspend against the documented bound: the calls in
# flight, at most 64 calls = 0.048 USD. Needs PostgreSQL (apt-get install postgresql).
#
# usage: bash bench/fleet_budget.sh        (RUNS=20)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
OUT=$(mktemp)
cargo test -q -p llmcost-ledger-postgres --features cluster-tests --test it --no-run 2>/dev/null
for i in $(seq 1 "$RUNS"); do
  cargo test -q -p llmcost-ledger-postgres --features cluster-tests --test it \
    fleet::three_proxies -- --nocapture 2>&1 | grep '^fleet budget:' | tee -a "$OUT"
done
python3 - "$OUT" "$RUNS" <<'PY'
import re, sys
from decimal import Decimal
rows = [re.search(r"(\d+) calls served, spend ([\d.]+) USD, limit ([\d.]+), overspend ([\d.-]+)", l)
        for l in open(sys.argv[1])]
rows = [r for r in rows if r]
bound = Decimal("0.00075") * 64
over = [Decimal(r.group(4)) for r in rows]
served = [int(r.group(1)) for r in rows]
print(f"{len(rows)}/{sys.argv[2]} runs: calls served {min(served)}..{max(served)} for a 100-call budget; "
      f"overspend max {max(over)} USD = {max(over) / Decimal('0.00075'):.0f} calls "
      f"(bound: 64 calls in flight = {bound} USD): {'WITHIN' if max(over) <= bound else 'EXCEEDED'}")
sys.exit(0 if len(rows) == int(sys.argv[2]) and max(over) <= bound else 1)
PY
