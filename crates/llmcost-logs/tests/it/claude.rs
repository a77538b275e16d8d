//! Claude Code logs: content-block copies, side-chain replays, malformed and truncated lines.

use std::io::Write;

use llmcost_core::ServiceTier;
use llmcost_logs::SourceKind;

use super::{entries, fixture, scan, sum, u};

#[test]
fn content_blocks_keep_the_largest_snapshot_and_replays_are_dropped() {
    let (r, o) = scan(
        &fixture("claude/projects/proj-a/sess-1.jsonl"),
        SourceKind::ClaudeCode,
        0,
    );
    // msg_A (two content blocks: output 10 then 50 -> 50), msg_B, msg_C (a real side chain);
    // the `<synthetic>` line, the side-chain replay of msg_A and the tool result's "usage" are not counted.
    let keys: Vec<&str> = r.iter().map(|x| x.dedup_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "claude:msg_A:req_A",
            "claude:msg_B:req_B",
            "claude:msg_C:req_C"
        ]
    );
    assert_eq!(r[0].usage, u(100, 1000, 200, 0, 50, 0));
    assert_eq!(r[0].line, Some(3), "the line of the kept (largest) copy");
    // 300 written: 100 for 5 minutes, 200 for 1 hour
    assert_eq!(r[1].usage, u(5, 0, 100, 200, 20, 0));
    assert_eq!(r[1].model, "claude-opus-4-20250514");
    assert_eq!(r[1].at.to_string(), "2025-09-01T23:30:00Z");
    assert_eq!(r[2].tags, ["sidechain"]);
    assert_eq!(sum(&r), u(106, 1000, 300, 200, 72, 0));
    assert_eq!(r[0].project.as_deref(), Some("proj-a"));
    assert_eq!(r[0].session.as_deref(), Some("sess-1"));
    assert_eq!(r[0].source, "claude-code");
    assert_eq!(r[0].provider.as_deref(), Some("anthropic"));
    assert_eq!(r[0].service_tier, ServiceTier::Standard);
    assert!(
        r[0].raw_usage
            .as_deref()
            .is_some_and(|x| x.contains("\"output_tokens\":50"))
    );
    assert!(
        r[0].origin
            .as_deref()
            .is_some_and(|x| x.ends_with("sess-1.jsonl"))
    );
    // line 9 is malformed; line 10 has no newline and is cut: not consumed
    assert_eq!(o.records, 3);
    assert_eq!(o.lines, 9);
    assert_eq!(o.issue_count, 1);
    assert_eq!(o.issues[0].line, 9);
    // The cut line is a note (a log still being written), not an issue.
    assert_eq!(o.notes.len(), 1);
    assert_eq!(o.notes[0].line, 10);
    assert!(o.notes[0].message.contains("left to be read when complete"));
    assert!(
        o.issues[0].message.contains("malformed JSON"),
        "{}",
        o.issues[0].message
    );
    assert_eq!(o.end_offset, 3185, "the end of line 9");
}

#[test]
fn a_growing_log_is_read_again_from_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sess.jsonl");
    std::fs::copy(fixture("claude/projects/proj-a/sess-1.jsonl"), &p).unwrap();
    let (_, first) = scan(&p, SourceKind::ClaudeCode, 0);
    assert_eq!(first.end_offset, 3185);
    let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(b"0:00.000Z\"}\n").unwrap();
    drop(f);
    let (r, o) = scan(&p, SourceKind::ClaudeCode, first.end_offset);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].dedup_key, "claude:msg_E:req_E");
    assert_eq!(r[0].line, Some(10));
    assert_eq!(r[0].usage, u(1_000_000, 0, 0, 0, 1_000_000, 0));
    assert_eq!(o.issue_count, 0);
    assert_eq!(o.lines, 1);
    assert_eq!(o.end_offset, std::fs::metadata(&p).unwrap().len());
}

#[test]
fn side_chain_copies_carry_the_parent_message_for_cross_file_dedup() {
    let a = entries(
        &fixture("claude/projects/proj-a/sess-1.jsonl"),
        SourceKind::ClaudeCode,
    );
    let b = entries(
        &fixture("claude/projects/proj-b/sess-2.jsonl"),
        SourceKind::ClaudeCode,
    );
    assert_eq!(b.len(), 3);
    // the /btw replay of msg_B in another file: same message, other request
    assert!(b[0].sidechain);
    assert_eq!(b[0].parent, a[1].parent);
    assert_ne!(b[0].key, a[1].key);
    // the copy of msg_C has the same (message, request) key
    assert_eq!(b[1].key, a[2].key);
    assert!(!b[2].sidechain);
    assert_eq!(&*b[2].model, "claude-mystery-9");
}

#[test]
fn the_anchor_minimal_line_reads() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.jsonl");
    std::fs::write(&p, r#"{"timestamp":"2026-01-09T10:00:00.000Z","sessionId":"session-alpha","message":{"role":"assistant","id":"msg-alpha-1","model":"claude-sonnet-4-20250514","usage":{"input_tokens":100,"output_tokens":50,"cache_creation_input_tokens":25,"cache_read_input_tokens":10,"speed":"fast"}},"requestId":"req-alpha-1","costUSD":0.12,"version":"1.0.0"}"#).unwrap();
    // complete JSON without a trailing newline: consumed
    let (r, o) = scan(&p, SourceKind::ClaudeCode, 0);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].usage, u(100, 10, 25, 0, 50, 0));
    assert_eq!(r[0].service_tier, ServiceTier::Priority, "speed: fast");
    assert_eq!(o.end_offset, std::fs::metadata(&p).unwrap().len());
}
