#!/usr/bin/env bash
# A short run of every fuzz target (SECONDS each, default 5) from the seed
# corpora. Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); libFuzzer
# needs nightly features, so RUSTC_BOOTSTRAP=1 lets the stable toolchain build it.
# Not part of the required CI path. Exit status non-zero on the first crash.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-5}
export RUSTC_BOOTSTRAP=1
unset CARGO_TARGET_DIR
./seed.sh
cargo fuzz build -O -s none -a
mkdir -p logs
for t in $(cargo fuzz list); do
    echo "== $t (${SECONDS_EACH}s)"
    rc=0
    cargo fuzz run -O -s none -a "$t" -- -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
        > "logs/smoke-$t.log" 2>&1 || rc=$?
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "logs/smoke-$t.log" || true
    if [ "$rc" -ne 0 ]; then
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "logs/smoke-$t.log" || true
        echo "fuzz target $t failed (fuzz/logs/smoke-$t.log)"
        exit 1
    fi
done
