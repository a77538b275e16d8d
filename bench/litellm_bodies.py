#!/usr/bin/env python3
"""LiteLLM pricing the same response bodies as `llmcost cost --usage` (one thread).

Reads the first --limit lines of a JSON Lines file written by gen_bodies.py, parses each
body and prices it with litellm.cost_per_token (cache reads and writes passed where the
body has them, as a LiteLLM user would), and prints one JSON line: records, seconds
(parse + price), records/s, and LiteLLM's float total next to the exact expected total of
those records. Run it with the python of the anchors' LiteLLM venv
(../shared/anchors/lib/ensure_litellm.sh prints it). Offline: LITELLM_LOCAL_MODEL_COST_MAP.
"""
import argparse
import json
import os
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
import litellm  # noqa: E402

NAMES = {
    "gpt-4o-2024-08-06": "gpt-4o-2024-08-06",
    "mistral-large-2411": "mistral/mistral-large-2411",
    "claude-3-5-sonnet-20241022": "claude-3-5-sonnet-20241022",
    "deepseek-chat": "deepseek/deepseek-chat",
}

ap = argparse.ArgumentParser()
ap.add_argument("file")
ap.add_argument("--limit", type=int, default=50_000)
a = ap.parse_args()

lines = []
with open(a.file, "rb") as f:
    for i, line in enumerate(f):
        if i >= a.limit:
            break
        lines.append(line)

t0 = time.perf_counter()
total = 0.0
for line in lines:
    b = json.loads(line)
    u = b["usage"]
    m = NAMES[b["model"]]
    if "input_tokens" in u:  # Anthropic: input excludes cache reads and writes
        p, c = litellm.cost_per_token(
            model=m,
            prompt_tokens=u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"],
            completion_tokens=u["output_tokens"],
            cache_read_input_tokens=u["cache_read_input_tokens"],
            cache_creation_input_tokens=u["cache_creation_input_tokens"],
        )
    else:
        cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
        p, c = litellm.cost_per_token(
            model=m, prompt_tokens=u["prompt_tokens"], completion_tokens=u["completion_tokens"],
            cache_read_input_tokens=cached,
        )
    total += p + c
dt = time.perf_counter() - t0
print(json.dumps({"tool": "litellm", "version": litellm.__version__ if hasattr(litellm, "__version__") else "1.74.9",
                  "records": len(lines), "seconds": round(dt, 3), "records_per_s": round(len(lines) / dt),
                  "float_total": repr(total)}))
