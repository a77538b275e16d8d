#!/usr/bin/env bash
# The long runs recorded in docs/reliability.md: each target in turn, one job,
# at the lowest priority, up to RUNS executions or MAX seconds. Built without
# a sanitizer (-s none: the crates deny unsafe code) but with debug assertions
# and overflow checks (-a), for speed on a shared machine.
# Usage: fuzz/long.sh [RUNS] [MAX_SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")"
RUNS=${1:-10000000}
MAX=${2:-3600}
shift 2 || true
export RUSTC_BOOTSTRAP=1
unset CARGO_TARGET_DIR
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=($(cargo fuzz list))
mkdir -p logs
for t in "${targets[@]}"; do
    echo "$(date -u +%FT%TZ) start $t" >> logs/summary.txt
    start=$(date +%s)
    nice -n 19 cargo fuzz run -O -s none -a "$t" -- -runs="$RUNS" -max_total_time="$MAX" \
        -print_final_stats=1 > "logs/$t.log" 2>&1
    rc=$?
    end=$(date +%s)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    echo "$(date -u +%FT%TZ) $t rc=$rc execs=${execs:-?} exec/s=${rate:-?} seconds=$((end - start))" >> logs/summary.txt
done
