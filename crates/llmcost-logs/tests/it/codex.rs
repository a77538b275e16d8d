//! Codex CLI sessions: cumulative snapshots, repeated events, forks, sub-agents, resuming.

use std::io::Write;

use llmcost_logs::SourceKind;

use super::{fixture, scan, sum, u};

const DIR: &str = "codex/sessions/2025/09/01";

#[test]
fn cumulative_totals_become_deltas_and_repeats_add_nothing() {
    let (r, o) = scan(
        &fixture(&format!("{DIR}/rollout-2025-09-01T10-00-00-parent.jsonl")),
        SourceKind::Codex,
        0,
    );
    // event 1: 1000 in (200 cached), 100 out (40 reasoning); event 2 repeats it;
    // event 3: total 2500/1200/300/100 - previous = 1500/1000/200/60
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].usage, u(800, 200, 0, 0, 60, 40));
    assert_eq!(r[1].usage, u(500, 1000, 0, 0, 140, 60));
    assert_eq!(sum(&r), u(1300, 1200, 0, 0, 200, 100));
    assert_eq!(r[0].model, "gpt-5");
    assert_eq!(r[0].session.as_deref(), Some("parent-session"));
    assert_eq!(
        r[0].dedup_key,
        "codex:2025-09-01T10:00:10.000Z:1000:200:100:40:1100"
    );
    assert_eq!(o.issue_count, 1, "line 8 is cut");
    assert_eq!(o.issues[0].line, 8);
}

#[test]
fn a_fork_replays_the_parent_under_the_same_keys() {
    let (p, _) = scan(
        &fixture(&format!("{DIR}/rollout-2025-09-01T10-00-00-parent.jsonl")),
        SourceKind::Codex,
        0,
    );
    let (f, _) = scan(
        &fixture(&format!("{DIR}/rollout-2025-09-01T11-00-00-fork.jsonl")),
        SourceKind::Codex,
        0,
    );
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].dedup_key, p[0].dedup_key);
    assert_eq!(f[1].dedup_key, p[1].dedup_key);
    assert_eq!(f[1].usage, p[1].usage);
    // the fork's own turn: 3000/1500/400/120 - 2500/1200/300/100
    assert_eq!(f[2].usage, u(200, 300, 0, 0, 80, 20));
}

#[test]
fn a_sub_agent_skips_the_history_replayed_in_its_first_second() {
    let (r, _) = scan(
        &fixture(&format!("{DIR}/rollout-2025-09-01T12-00-00-subagent.jsonl")),
        SourceKind::Codex,
        0,
    );
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].usage, u(400, 0, 0, 0, 50, 0));
}

#[test]
fn exec_json_turns() {
    let (r, o) = scan(&fixture("codex/exec.jsonl"), SourceKind::Codex, 0);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].model, "gpt-5-codex");
    assert_eq!(r[0].usage, u(200, 100, 0, 0, 30, 0));
    assert_eq!(o.issue_count, 1, "a turn without a timestamp");
}

#[test]
fn resuming_keeps_the_previous_total() {
    let src = std::fs::read_to_string(fixture(&format!(
        "{DIR}/rollout-2025-09-01T10-00-00-parent.jsonl"
    )))
    .unwrap();
    let lines: Vec<&str> = src.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rollout.jsonl");
    std::fs::write(&p, lines[..4].join("\n") + "\n").unwrap();
    let (a, first) = scan(&p, SourceKind::Codex, 0);
    assert_eq!(a.len(), 1);
    let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all((lines[4..7].join("\n") + "\n").as_bytes())
        .unwrap();
    drop(f);
    let (b, o) = scan(&p, SourceKind::Codex, first.end_offset);
    // the repeat on line 5 adds nothing; line 7 is total - previous total (read before the offset)
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].usage, u(500, 1000, 0, 0, 140, 60));
    assert_eq!(b[0].line, Some(7));
    assert_eq!(o.lines, 3);
    assert_eq!(o.issue_count, 0);
}

/// A complete last line without a newline is read; resuming at the end offset reads
/// nothing again, and once the writer ends that line only the lines after it are new.
#[test]
fn resuming_after_an_unterminated_last_line_reads_nothing_again() {
    let src = std::fs::read_to_string(fixture(&format!(
        "{DIR}/rollout-2025-09-01T10-00-00-parent.jsonl"
    )))
    .unwrap();
    let lines: Vec<&str> = src.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rollout.jsonl");
    // Line 5 repeats line 4's snapshot, and has no newline yet.
    std::fs::write(&p, lines[..5].join("\n")).unwrap();
    let (a, first) = scan(&p, SourceKind::Codex, 0);
    assert_eq!(a.len(), 1);
    assert_eq!(first.end_offset, std::fs::metadata(&p).unwrap().len());
    let (b, o) = scan(&p, SourceKind::Codex, first.end_offset);
    assert!(b.is_empty(), "{b:?}");
    assert_eq!(o.end_offset, first.end_offset);
    // The writer finishes the line and adds the next ones: only line 7 is new.
    let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(("\n".to_string() + &lines[5..7].join("\n") + "\n").as_bytes())
        .unwrap();
    drop(f);
    let (c, _) = scan(&p, SourceKind::Codex, first.end_offset);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].usage, u(500, 1000, 0, 0, 140, 60));
    assert_eq!(c[0].line, Some(7));
}

/// Found by the `log_files` fuzz target (tests/fuzz-regressions/codex-resume.jsonl, damaged lines
/// included): its complete last line has no newline, and resuming at the end offset used
/// to read it again as a line of its own, with no previous total, adding a record.
#[test]
fn resuming_at_the_end_offset_of_a_damaged_log_finds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("session.jsonl");
    let crash = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions/codex-resume.jsonl");
    std::fs::copy(crash, &p).unwrap();
    let (a, first) = scan(&p, SourceKind::Codex, 0);
    let (b, again) = scan(&p, SourceKind::Codex, first.end_offset);
    assert!(
        b.is_empty(),
        "read {} then {} more: {b:?}",
        a.len(),
        b.len()
    );
    assert_eq!(again.end_offset, first.end_offset);
}
