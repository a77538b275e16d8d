#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's test fixtures (idempotent).
set -euo pipefail
cd "$(dirname "$0")"
R=..
C=corpus
mkdir -p $C/{usage_body,claude_walkers,log_files,csv_file,sse,bill,catalog_toml,price_import}
n=0
put() { # put TARGET PREFIX FILE: the file's bytes after a prefix (printf format)
    local f="$C/$1/seed-$(basename "$3")-$n"
    n=$((n + 1))
    { printf "$2"; cat "$3"; } > "$f"
}
for f in $R/crates/llmcost-usage/tests/fixtures/*.json $R/crates/llmcost-cli/tests/fixtures/import/responses.jsonl; do
    put usage_body "" "$f"
done
i=0
head -c 4000 $R/crates/llmcost-logs/tests/fixtures/jsonl/responses.jsonl | while IFS= read -r l; do
    i=$((i + 1))
    printf '%s' "$l" > "$C/usage_body/seed-line-$i"
done
for f in $(find $R/crates/llmcost-logs/tests/fixtures/claude $R/crates/llmcost-cli/tests/fixtures/report/claude -name '*.jsonl'); do
    put claude_walkers "" "$f"
    put log_files '\x00' "$f"
done
for f in $(find $R/crates/llmcost-logs/tests/fixtures/codex -name '*.jsonl'); do put log_files '\x01' "$f"; done
for f in $R/crates/llmcost-logs/tests/fixtures/jsonl/*.jsonl $R/crates/llmcost-cli/tests/fixtures/*.jsonl \
    $R/crates/llmcost-cli/tests/fixtures/report/*.jsonl; do put log_files '\x02' "$f"; done
put log_files '\x03' $R/crates/llmcost-logs/tests/fixtures/exports/openai-usage.json
put log_files '\x04' $R/crates/llmcost-logs/tests/fixtures/exports/anthropic-usage.json
put csv_file "" $R/crates/llmcost-logs/tests/fixtures/csv/usage.csv
put bill "" $R/crates/llmcost-cli/tests/fixtures/report/bill.csv
printf '%s' '[{"date":"2025-09-01","model":"gpt-4o","amount":"1.5","currency":"USD"}]' > $C/bill/seed-items.json
printf '%s' '{"object":"page","data":[{"object":"bucket","start_time":1756684800,"results":[{"amount":{"value":0.06,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, input"}]}]}' > $C/bill/seed-openai.json
printf '%s' '{"data":[{"starting_at":"2025-09-01T00:00:00Z","results":[{"currency":"USD","amount":"123.5","model":"claude-sonnet-4-20250514"}]}]}' > $C/bill/seed-anthropic.json
for f in $R/catalog/*.toml; do put catalog_toml "" "$f"; done
printf '[[model]]\nid = "my-private-model"\nprice = [{ input = "0.5", output = "1.5" }]\n' > $C/catalog_toml/seed-mine.toml
put price_import '\x00' $R/crates/llmcost-price-import/tests/fixtures/litellm_small.json
put price_import '\x01' $R/crates/llmcost-price-import/tests/fixtures/openrouter_small.json
# SSE: two bytes of split point, then a stream (OpenAI chat, Anthropic, Responses).
printf '\x10\x00data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":2}}}\n\ndata: [DONE]\n\n' > $C/sse/seed-chat
printf '\x40\x00event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":9,"cache_creation_input_tokens":100,"cache_read_input_tokens":200,"output_tokens":1}}}\n\nevent: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":57}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n' > $C/sse/seed-anthropic
printf '\x08\x01event: response.completed\r\ndata: {"type":"response.completed","response":{"id":"resp_1","model":"gpt-5","usage":{"input_tokens":10,"output_tokens":4,"input_tokens_details":{"cached_tokens":0},"output_tokens_details":{"reasoning_tokens":1}}}}\r\n\r\n' > $C/sse/seed-responses
printf '\x02\x00data: {"candidates":[],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"thoughtsTokenCount":2},"modelVersion":"gemini-2.5-pro"}\n\n' > $C/sse/seed-gemini
