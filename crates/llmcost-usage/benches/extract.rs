//! Records per second of `extract` on realistic response bodies.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use llmcost_usage::{extract, extract_ref};

/// A chat completion (779 bytes), as one JSON line.
const OPENAI_CHAT: &str = r#"{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion","created":1741569952,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"The capital of France is Paris. It has been the political, economic and cultural centre of the country for centuries, and it is home to landmarks such as the Eiffel Tower and the Louvre.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_fc9f1d7035"}"#;

/// An Anthropic message (740 bytes), as one JSON line.
const ANTHROPIC: &str = r#"{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"thinking","thinking":"The user wants a summary of the cached document; list the three key findings.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},{"type":"text","text":"Here is the summary of the document you cached earlier: revenue grew, costs fell and margins widened."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":21,"cache_creation_input_tokens":248,"cache_read_input_tokens":1800,"cache_creation":{"ephemeral_5m_input_tokens":148,"ephemeral_1h_input_tokens":100},"output_tokens":503,"server_tool_use":{"web_search_requests":0},"service_tier":"standard"}}"#;

/// A log line wrapping a DeepSeek body (616 bytes).
const WRAPPED_DEEPSEEK: &str = r#"{"timestamp":"2025-03-10T18:00:00Z","model":"deepseek-chat","response":{"id":"930c60df-bf64-41c9-a88e-3ec75f81e00e","object":"chat.completion","created":1741629600,"model":"deepseek-chat","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today? I can answer questions, write code or summarise documents."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1500,"completion_tokens":92,"total_tokens":1592,"prompt_tokens_details":{"cached_tokens":1280},"prompt_cache_hit_tokens":1280,"prompt_cache_miss_tokens":220},"system_fingerprint":"fp_5417b77867_prod0225"}}"#;

// Baselines: what serde_json alone costs on the same bytes, skipping
// everything (`IgnoredAny`) or reading the few fields a chat completion needs
// into a derived struct. `extract` cannot be faster than the first and should
// stay close to the second.

#[derive(serde::Deserialize)]
#[expect(dead_code, reason = "baseline")]
struct DerivedDetails {
    cached_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
}

#[derive(serde::Deserialize)]
#[expect(dead_code, reason = "baseline")]
struct DerivedUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    total_tokens: Option<u64>,
    prompt_tokens_details: Option<DerivedDetails>,
    completion_tokens_details: Option<DerivedDetails>,
}

#[derive(serde::Deserialize)]
#[expect(dead_code, reason = "baseline")]
struct DerivedChat<'a> {
    #[serde(borrow)]
    id: Option<&'a str>,
    #[serde(borrow)]
    model: Option<&'a str>,
    created: Option<i64>,
    #[serde(borrow)]
    service_tier: Option<&'a str>,
    usage: Option<DerivedUsage>,
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("extract");
    g.throughput(Throughput::Elements(1));
    for (name, body) in [
        ("openai_chat", OPENAI_CHAT),
        ("anthropic_message", ANTHROPIC),
        ("wrapped_deepseek", WRAPPED_DEEPSEEK),
    ] {
        assert!(extract(body.as_bytes()).is_ok(), "{name} must extract");
        g.bench_function(name, |b| b.iter(|| extract(black_box(body.as_bytes()))));
        g.bench_function(format!("{name}/serde_json_skip_baseline"), |b| {
            b.iter(|| {
                serde_json::from_slice::<serde::de::IgnoredAny>(black_box(body.as_bytes())).is_ok()
            })
        });
        g.bench_function(format!("{name}/serde_derive_baseline"), |b| {
            b.iter(|| serde_json::from_slice::<DerivedChat<'_>>(black_box(body.as_bytes())).is_ok())
        });
        g.bench_function(format!("{name}/borrowed"), |b| {
            b.iter(|| extract_ref(black_box(body.as_bytes())).map(|e| e.usage))
        });
    }
    g.finish();

    // A stream of mixed lines, as the CLI reads a JSON Lines file.
    let lines: Vec<&[u8]> = [OPENAI_CHAT, ANTHROPIC, WRAPPED_DEEPSEEK]
        .iter()
        .cycle()
        .take(999)
        .map(|s| s.as_bytes())
        .collect();
    let mut g = c.benchmark_group("extract_lines");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("mixed_999", |b| {
        b.iter(|| {
            lines
                .iter()
                .filter_map(|l| extract(black_box(l)).ok())
                .map(|e| e.usage.total())
                .sum::<u128>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
