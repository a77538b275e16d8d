//! Bytes per second of reading Claude Code log lines (prefilter + walk, no
//! file I/O, one thread): the line index against the plain walker.
//!
//! The lines follow the shape of ../shared/anchors/gen_claude_logs.py: user
//! lines without usage, assistant lines with a text or tool-use block and a
//! usage object, ~900 bytes each.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use llmcost_logs::bench_claude_lines;

fn lines(n: usize) -> Vec<u8> {
    let words = [
        "usage", "token", "cache", "model", "report", "daily", "crate", "session", "price",
        "stream", "config", "function", "output", "input", "error", "parse",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let text = |len: usize, next: &mut dyn FnMut() -> u64| {
        let mut t = String::new();
        while t.len() < len {
            t.push(' ');
            t.push_str(words[(next() % words.len() as u64) as usize]);
        }
        t
    };
    let uuid = |next: &mut dyn FnMut() -> u64| {
        let (a, b) = (next(), next());
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            a & 0xffff,
            b >> 48,
            b & 0xffff,
            b >> 16 & 0xffff_ffff_ffff
        )
    };
    let mut out = String::new();
    for i in 0..n {
        let head = format!(
            r#""parentUuid":"{}","isSidechain":false,"userType":"external","cwd":"/home/dev/src/project-7","sessionId":"{}","version":"1.0.64","gitBranch":"main""#,
            uuid(&mut next),
            uuid(&mut next)
        );
        if i % 2 == 0 {
            let t = text(200 + (next() % 400) as usize, &mut next);
            out.push_str(&format!(
                r#"{{{head},"type":"user","message":{{"role":"user","content":"{t}"}},"uuid":"{}","timestamp":"2025-06-03T10:38:07.917Z"}}"#,
                uuid(&mut next)
            ));
        } else {
            let t = text(50 + (next() % 400) as usize, &mut next);
            out.push_str(&format!(
                r#"{{{head},"message":{{"id":"msg_01obfmckIDQSDeAI4UEH{i:06}","type":"message","role":"assistant","model":"claude-opus-4-20250514","content":[{{"type":"text","text":"{t}"}}],"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{},"cache_creation_input_tokens":{},"cache_read_input_tokens":{},"output_tokens":{},"service_tier":"standard"}}}},"requestId":"req_011CBRu8VQtYmWEB4{i:05}","type":"assistant","uuid":"{}","timestamp":"2025-06-03T10:41:29.770Z"}}"#,
                next() % 5000,
                next() % 20000,
                next() % 50000,
                next() % 2000,
                uuid(&mut next)
            ));
        }
        out.push('\n');
    }
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    let text = lines(20_000);
    let (n, _) = bench_claude_lines(&text, false, false);
    assert_eq!(n, 10_000);
    assert_eq!(
        bench_claude_lines(&text, true, false),
        bench_claude_lines(&text, false, false)
    );
    let mut g = c.benchmark_group("claude_lines");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("indexed", |b| {
        b.iter(|| bench_claude_lines(black_box(&text), false, false))
    });
    g.bench_function("plain", |b| {
        b.iter(|| bench_claude_lines(black_box(&text), true, false))
    });
    g.bench_function("prefilter_and_index_only", |b| {
        b.iter(|| bench_claude_lines(black_box(&text), false, true))
    });
    g.bench_function("line_split_only", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&text)).count())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
