#!/usr/bin/env bash
# Issue 5: importing a full-size LiteLLM price file into catalog TOML (target: under 100 ms).
# The file is LiteLLM 1.74.9's model_prices_and_context_window_backup.json (1,250 entries,
# ~623 KB), from the anchors' LiteLLM venv. Usage, from the repository root:
#   bash bench/prices_import.sh            (LITELLM_PRICES=FILE to use another file)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(bash ../shared/anchors/lib/ensure_litellm.sh)"
F="${LITELLM_PRICES:-$("$PY" -c 'import litellm, os; print(os.path.join(os.path.dirname(litellm.__file__), "model_prices_and_context_window_backup.json"))')}"
echo "file: $F ($(wc -c <"$F") bytes)"

# In-process: convert (JSON text -> TOML), and convert + load as a catalog layer.
LITELLM_PRICES="$F" cargo bench -p llmcost-price-import --bench import_litellm -- \
  --warm-up-time 2 --measurement-time 5

# Whole process, release binary.
cargo build --release -p llmcost-cli
B="${CARGO_TARGET_DIR:-target}/release/llmcost"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
for _ in 1 2 3 4 5; do
  /usr/bin/time -f "llmcost prices import (whole process): %e s, max RSS %M KB" \
    "$B" prices import "$F" --output "$T/litellm.toml" --no-user-catalog >/dev/null
done
for _ in 1 2 3; do
  /usr/bin/time -f "llmcost cost with the imported file layered on: %e s, max RSS %M KB" \
    "$B" cost --no-user-catalog --catalog "$T/litellm.toml" --model groq/llama-3.1-8b-instant \
    --input 1000 --output 100 >/dev/null
done
for _ in 1 2 3; do
  /usr/bin/time -f "llmcost cost, built-in catalog only: %e s, max RSS %M KB" \
    "$B" cost --no-user-catalog --model gpt-4o --input 1000 --output 100 >/dev/null
done

# Reference: what LiteLLM itself does with the file at `import litellm` (json.load).
"$PY" - "$F" <<'PYEOF'
import json, sys, time
n = 20
t = time.perf_counter()
for _ in range(n):
    with open(sys.argv[1]) as f:
        json.load(f)
print(f"python json.load of the same file (LiteLLM's own load): {(time.perf_counter() - t) / n * 1000:.1f} ms")
PYEOF
