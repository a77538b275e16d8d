#!/usr/bin/env python3
"""Writes N provider response bodies as JSON Lines, and the exact expected total.

Bodies are what the APIs return (OpenAI chat completions, DeepSeek with cache hit/miss,
Mistral, Anthropic Messages with cache reads/writes), with `created` spread over
2025-06-01..2025-08-31 UTC so DeepSeek's 16:30-00:30 UTC off-peak window applies to
part of them. The expected total is computed here with Python's decimal module from
the list prices in shared/reference/prices.md, independently of llmcost.

usage: gen_bodies.py N OUT.jsonl   (writes OUT.jsonl and OUT.expected.json)
"""
import json
import random
import sys
from decimal import Decimal as D

N = int(sys.argv[1])
OUT = sys.argv[2]
rnd = random.Random(42)
START = 1748736000  # 2025-06-01T00:00:00Z
SPAN = 92 * 86400
ANSWER = ("The parser now streams the input file line by line, keeps a running total per "
          "day, and prints the report as JSON when --json is given.")
M = D(1_000_000)

# (input miss, cache read, cache write 5m, output) per 1M, USD, valid over the whole window.
PRICES = {
    "gpt-4o-2024-08-06": (D("2.50"), D("1.25"), None, D("10.00")),
    "mistral-large-2411": (D("2"), None, None, D("6")),
    "claude-3-5-sonnet-20241022": (D("3"), D("0.30"), D("3.75"), D("15")),
    "deepseek-chat": (D("0.27"), D("0.07"), None, D("1.10")),
}
DEEPSEEK_OFF = (D("0.135"), D("0.035"), None, D("0.55"))


def off_peak(t):
    s = t % 86400
    return s >= 16 * 3600 + 1800 or s < 1800


totals = {m: D(0) for m in PRICES}
tokens = 0
with open(OUT, "w") as f:
    for i in range(N):
        m = ("gpt-4o-2024-08-06", "mistral-large-2411", "claude-3-5-sonnet-20241022", "deepseek-chat")[i % 4]
        t = START + rnd.randrange(SPAN)
        prompt = rnd.randrange(200, 4000)
        out = rnd.randrange(20, 900)
        cached = (rnd.randrange(0, prompt) // 64) * 64 if i % 3 else 0
        rid = f"r{i:08d}"
        if m == "claude-3-5-sonnet-20241022":
            write = rnd.randrange(0, 2000) if i % 5 == 0 else 0
            body = {"id": "msg_" + rid, "type": "message", "role": "assistant", "model": m,
                    "content": [{"type": "text", "text": ANSWER}], "stop_reason": "end_turn",
                    "stop_sequence": None, "created_at": t,
                    "usage": {"input_tokens": prompt, "cache_creation_input_tokens": write,
                              "cache_read_input_tokens": cached, "output_tokens": out}}
            pi, pc, pw, po = PRICES[m]
            cost = prompt * pi + cached * pc + write * pw + out * po
            tokens += prompt + cached + write + out
        else:
            usage = {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out}
            if m == "deepseek-chat":
                usage["prompt_cache_hit_tokens"] = cached
                usage["prompt_cache_miss_tokens"] = prompt - cached
                usage["prompt_tokens_details"] = {"cached_tokens": cached}
            elif m == "gpt-4o-2024-08-06":
                usage["prompt_tokens_details"] = {"cached_tokens": cached, "audio_tokens": 0}
                usage["completion_tokens_details"] = {"reasoning_tokens": 0, "audio_tokens": 0,
                                                      "accepted_prediction_tokens": 0,
                                                      "rejected_prediction_tokens": 0}
            else:
                cached = 0
            body = {"id": "chatcmpl-" + rid, "object": "chat.completion", "created": t, "model": m,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER},
                                 "finish_reason": "stop"}], "usage": usage,
                    "system_fingerprint": "fp_5f20662549"}
            pi, pc, pw, po = DEEPSEEK_OFF if (m == "deepseek-chat" and off_peak(t)) else PRICES[m]
            cost = (prompt - cached) * pi + cached * (pc if pc is not None else pi) + out * po
            tokens += prompt + out
        totals[m] += cost
        f.write(json.dumps(body, separators=(",", ":")) + "\n")

exp = {"records": N, "total_tokens": tokens,
       "total": str((sum(totals.values()) / M).normalize()),
       "models": {m: str((v / M).normalize()) for m, v in totals.items()}}
with open(OUT.rsplit(".", 1)[0] + ".expected.json", "w") as f:
    json.dump(exp, f, indent=1)
print(json.dumps(exp))
