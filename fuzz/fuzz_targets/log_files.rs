//! Usage files as `import` and `report` read them (`llmcost_logs::scan_file`):
//! Claude Code and Codex logs, JSON Lines, OpenAI and Anthropic usage pages.
//! The first byte picks the format. Never a panic; the end offset stays in
//! the file; reading again from it finds nothing new.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmcost_logs::{SourceKind, scan_file};

#[path = "common_file.rs"]
mod common_file;

const KINDS: [SourceKind; 5] = [
    SourceKind::ClaudeCode,
    SourceKind::Codex,
    SourceKind::Jsonl,
    SourceKind::OpenAiUsage,
    SourceKind::AnthropicUsage,
];

fuzz_target!(|data: &[u8]| {
    let Some((&k, body)) = data.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(k) % KINDS.len()];
    let path = common_file::write(body, "session.jsonl");
    let mut n = 0u64;
    let Ok(out) = scan_file(&path, kind, 0, &mut |_r| n += 1) else {
        return;
    };
    assert_eq!(out.records, n);
    assert!(out.end_offset <= body.len() as u64);
    if matches!(kind, SourceKind::ClaudeCode | SourceKind::Codex | SourceKind::Jsonl) {
        let mut again = 0u64;
        if let Ok(o2) = scan_file(&path, kind, out.end_offset, &mut |_r| again += 1) {
            assert_eq!(again, 0, "records after the end offset");
            assert_eq!(o2.end_offset, out.end_offset);
        }
    }
});
