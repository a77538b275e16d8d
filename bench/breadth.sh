#!/usr/bin/env bash
# Issue 10: the breadth layer's cost. Lookup + price with the breadth layer loaded (criterion),
# `llmcost cost` as a whole process (farm-bench), binary size. From the repository root:
#   bash bench/breadth.sh [BEFORE_BINARY]
# BEFORE_BINARY: a release `llmcost` built from a commit without the breadth layer, for the
# before/after lines (build it with `git archive <commit> | tar -x -C DIR` and
# `cargo build --release -p llmcost-cli` there).
set -euo pipefail
cd "$(dirname "$0")/.."
nice cargo bench -p llmcost-catalog --bench price_batch -- --warm-up-time 1 --measurement-time 4
nice cargo build --release -p llmcost-cli
B="${CARGO_TARGET_DIR:-target}/release/llmcost"
A="${1:-}"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
for bin in "$B" ${A:+"$A"}; do
  strip -o "$T/stripped" "$bin"
  echo "$bin: $(stat -c %s "$bin") bytes, stripped $(stat -c %s "$T/stripped") bytes"
done
cd "$T"
run() { farm-bench -n 21 --warmup 3 -- "$@"; }
# A curated model: the breadth data is never parsed.
run "$B" cost --no-user-catalog --model gpt-4o --input 1000 --output 100
# A name only the breadth layer knows: the breadth data is parsed once (lazily).
run "$B" cost --no-user-catalog --model kimi-k2 --input 1000 --output 100
# An unknown name: the error's suggestions search the breadth names too.
run "$B" cost --no-user-catalog --model no-such-model-x --input 1000 --output 100 || true
if [ -n "$A" ]; then
  run "$A" cost --no-user-catalog --model gpt-4o --input 1000 --output 100
fi
