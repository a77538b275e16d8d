//! Discovery, kind names and file heads.

use llmcost_logs::SourceKind;

use super::fixture;

#[test]
fn discover_tells_every_kind() {
    let found = llmcost_logs::discover(&[fixture("")], None).unwrap();
    let names: Vec<(String, SourceKind)> = found
        .iter()
        .map(|(p, k)| {
            (
                p.strip_prefix(fixture("")).unwrap().display().to_string(),
                *k,
            )
        })
        .collect();
    let want = [
        (
            "claude/projects/proj-a/sess-1.jsonl",
            SourceKind::ClaudeCode,
        ),
        (
            "claude/projects/proj-b/sess-2.jsonl",
            SourceKind::ClaudeCode,
        ),
        ("codex/exec.jsonl", SourceKind::Codex),
        (
            "codex/sessions/2025/09/01/rollout-2025-09-01T10-00-00-parent.jsonl",
            SourceKind::Codex,
        ),
        (
            "codex/sessions/2025/09/01/rollout-2025-09-01T11-00-00-fork.jsonl",
            SourceKind::Codex,
        ),
        (
            "codex/sessions/2025/09/01/rollout-2025-09-01T12-00-00-subagent.jsonl",
            SourceKind::Codex,
        ),
        ("csv/usage.csv", SourceKind::Csv),
        ("exports/anthropic-usage.json", SourceKind::AnthropicUsage),
        ("exports/openai-usage.json", SourceKind::OpenAiUsage),
        ("jsonl/responses.jsonl", SourceKind::Jsonl),
    ];
    let want: Vec<(String, SourceKind)> =
        want.iter().map(|(p, k)| ((*p).to_string(), *k)).collect();
    assert_eq!(names, want);
}

#[test]
fn a_missing_path_is_an_error() {
    let e = llmcost_logs::discover(&[fixture("nope")], None).unwrap_err();
    assert!(e.to_string().ends_with("does not exist"), "{e}");
}

#[test]
fn kind_names_round_trip() {
    for k in SourceKind::ALL {
        assert_eq!(k.to_string().parse::<SourceKind>().unwrap(), k);
    }
    assert_eq!(
        "claude-code".parse::<SourceKind>().unwrap(),
        SourceKind::ClaudeCode
    );
    assert!("xml".parse::<SourceKind>().is_err());
}

#[test]
fn head_hash_is_stable() {
    let h = llmcost_logs::head_hash(&fixture("csv/usage.csv")).unwrap();
    assert_eq!(h.len(), 16);
    assert_eq!(
        h,
        llmcost_logs::head_hash(&fixture("csv/usage.csv")).unwrap()
    );
}

/// Found by the `csv_file` fuzz target: a Unix time of `i64::MIN` in a CSV
/// date overflowed taking its absolute value (a panic with overflow checks).
/// It is a bad line like any other time outside the ledger's range.
#[test]
fn the_smallest_unix_time_is_a_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("usage.csv");
    std::fs::write(
        &p,
        "date,model,input,output\n-9223372036854775808,gpt-4o,1,1\n2025-09-01,gpt-4o,2,2\n",
    )
    .unwrap();
    let (records, out) = super::scan(&p, SourceKind::Csv, 0);
    assert_eq!(records.len(), 1);
    assert_eq!(out.issue_count, 1);
    assert_eq!(out.issues[0].line, 2);
}
