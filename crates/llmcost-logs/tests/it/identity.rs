//! Record identity: ids that identify nothing, rows keyed by content, times
//! out of range, a wrong `--source`, and files that cannot be read.

use std::collections::HashSet;
use std::path::Path;

use llmcost_logs::SourceKind;

use super::{entries, scan, u};

/// Four DeepSeek bodies: two reuse the id `chatcmpl-123`, two have an empty
/// id; times and usage differ (2025-01-10T10:00Z + 0, 1, 2, 3 min).
pub const DEEPSEEK_FOUR: &str = concat!(
    r#"{"id":"chatcmpl-123","object":"chat.completion","created":1736503200,"model":"deepseek-chat","usage":{"prompt_tokens":10000,"completion_tokens":2000,"prompt_cache_hit_tokens":4000,"prompt_cache_miss_tokens":6000}}"#,
    "\n",
    r#"{"id":"chatcmpl-123","object":"chat.completion","created":1736503260,"model":"deepseek-chat","usage":{"prompt_tokens":20000,"completion_tokens":5000,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":20000}}"#,
    "\n",
    r#"{"id":"","object":"chat.completion","created":1736503320,"model":"deepseek-chat","usage":{"prompt_tokens":30000,"completion_tokens":1000,"prompt_cache_hit_tokens":10000,"prompt_cache_miss_tokens":20000}}"#,
    "\n",
    r#"{"id":"","object":"chat.completion","created":1736503380,"model":"deepseek-chat","usage":{"prompt_tokens":5000,"completion_tokens":10000,"prompt_cache_hit_tokens":5000,"prompt_cache_miss_tokens":0}}"#,
    "\n",
);

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    p
}

#[test]
fn responses_sharing_or_lacking_an_id_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "ds.jsonl", DEEPSEEK_FOUR);
    let (r, o) = scan(&p, SourceKind::Jsonl, 0);
    assert_eq!(o.issue_count, 0);
    assert_eq!(r.len(), 4);
    // miss = input, hit = cache read, completion = output
    assert_eq!(r[0].usage, u(6000, 4000, 0, 0, 2000, 0));
    assert_eq!(r[3].usage, u(0, 5000, 0, 0, 10000, 0));
    let keys: HashSet<&str> = r.iter().map(|r| r.dedup_key.as_str()).collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(r[0].dedup_key.starts_with("jsonl:id:chatcmpl-123:"));
    assert!(
        r[2].dedup_key.starts_with("jsonl:row:"),
        "an empty id is no id"
    );
    // The in-memory identities of the reports agree.
    let e = entries(&p, SourceKind::Jsonl);
    let keys: HashSet<u64> = e.iter().map(|e| e.key).collect();
    assert_eq!(keys.len(), 4);
}

#[test]
fn the_same_response_logged_twice_is_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let line = DEEPSEEK_FOUR.lines().next().unwrap();
    let p = write(dir.path(), "twice.jsonl", &format!("{line}\n{line}\n"));
    let (r, _) = scan(&p, SourceKind::Jsonl, 0);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].dedup_key, r[1].dedup_key, "same id, same content");
}

const HEADER: &str = "date,model,input_tokens,output_tokens\n";
const ROWS: [&str; 3] = [
    "2025-03-01,gpt-4o,1000000,100000\n",
    "2025-03-02,gpt-4o,1000000,100000\n",
    "2025-03-03,gpt-4o,1000000,100000\n",
];

fn keys_of(p: &Path) -> Vec<String> {
    scan(p, SourceKind::Csv, 0)
        .0
        .into_iter()
        .map(|r| r.dedup_key)
        .collect()
}

#[test]
fn a_re_exported_csv_keeps_the_keys_of_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "export.csv",
        &format!("{HEADER}{}{}", ROWS[0], ROWS[1]),
    );
    let before: HashSet<String> = keys_of(&p).into_iter().collect();
    // Newest first, one row more, same path.
    write(
        dir.path(),
        "export.csv",
        &format!("{HEADER}{}{}{}", ROWS[2], ROWS[1], ROWS[0]),
    );
    let after: HashSet<String> = keys_of(&p).into_iter().collect();
    assert_eq!(after.len(), 3);
    assert!(before.is_subset(&after), "{before:?} ⊄ {after:?}");
    // A copy under another name holds the same records.
    let copy = write(
        dir.path(),
        "copy.csv",
        &format!("{HEADER}{}{}", ROWS[1], ROWS[0]),
    );
    assert!(
        keys_of(&copy)
            .into_iter()
            .collect::<HashSet<_>>()
            .is_subset(&after)
    );
}

#[test]
fn identical_rows_in_one_file_stay_distinct_and_resume_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEADER}{}{}", ROWS[0], ROWS[0]);
    let p = write(dir.path(), "rep.csv", &text);
    let (r, o) = scan(&p, SourceKind::Csv, 0);
    assert_eq!(r.len(), 2);
    assert_ne!(r[0].dedup_key, r[1].dedup_key);
    assert!(r[1].dedup_key.ends_with(":1"));
    // One more identical row appended: read from where the last scan ended,
    // it is the third of its kind, not a copy of the first.
    std::fs::write(&p, format!("{text}{}", ROWS[0])).unwrap();
    let (r2, _) = scan(&p, SourceKind::Csv, o.end_offset);
    assert_eq!(r2.len(), 1);
    assert!(r2[0].dedup_key.ends_with(":2"), "{}", r2[0].dedup_key);
    // The same for id-less JSON Lines.
    let line = DEEPSEEK_FOUR.lines().nth(2).unwrap();
    let j = write(dir.path(), "rep.jsonl", &format!("{line}\n{line}\n"));
    let (r, o) = scan(&j, SourceKind::Jsonl, 0);
    assert_ne!(r[0].dedup_key, r[1].dedup_key);
    std::fs::write(&j, format!("{line}\n{line}\n{line}\n")).unwrap();
    let (r3, _) = scan(&j, SourceKind::Jsonl, o.end_offset);
    assert_eq!(r3.len(), 1);
    assert!(r3[0].dedup_key.ends_with(":2"), "{}", r3[0].dedup_key);
}

#[test]
fn csv_rows_with_missing_or_extra_fields_are_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bad.csv",
        &format!(
            "{HEADER}2025-03-01,gpt-4o,1000\n2025-03-01,gpt-4o,1,2,3\n{}",
            ROWS[0]
        ),
    );
    let (r, o) = scan(&p, SourceKind::Csv, 0);
    assert_eq!(r.len(), 1);
    assert_eq!(o.issue_count, 2);
    assert_eq!((o.issues[0].line, o.issues[1].line), (2, 3));
    assert!(
        o.issues[0]
            .message
            .contains("the row has 3 fields but the header has 4"),
        "{}",
        o.issues[0].message
    );
    assert!(o.issues[1].message.contains("has 5 fields"));
    // An empty cell is a zero, not a missing field.
    let p = write(
        dir.path(),
        "empty.csv",
        &format!("{HEADER}2025-03-01,gpt-4o,,5\n"),
    );
    let (r, o) = scan(&p, SourceKind::Csv, 0);
    assert_eq!((r.len(), o.issue_count), (1, 0));
    assert_eq!(r[0].usage, u(0, 0, 0, 0, 5, 0));
}

#[test]
fn times_outside_1970_to_2199_are_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "future.csv",
        &format!("{HEADER}2300-01-01,gpt-4o,1,1\n2199-12-31,gpt-4o,1,1\n1969-12-31,gpt-4o,1,1\n"),
    );
    let (r, o) = scan(&p, SourceKind::Csv, 0);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].at.to_string(), "2199-12-31T00:00:00Z");
    assert_eq!(o.issue_count, 2);
    assert_eq!((o.issues[0].line, o.issues[1].line), (2, 4));
    assert!(o.issues[0].message.contains("outside 1970–2199"));
    // `created` in milliseconds by mistake: year 5138.
    let j = write(
        dir.path(),
        "ms.jsonl",
        "{\"id\":\"a1\",\"created\":99999999999999,\"model\":\"gpt-4o\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n",
    );
    let (r, o) = scan(&j, SourceKind::Jsonl, 0);
    assert_eq!((r.len(), o.issue_count), (0, 1));
    assert_eq!(o.issues[0].line, 1);
}

#[test]
fn a_file_of_another_kind_says_the_source_may_be_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "ds.jsonl", DEEPSEEK_FOUR);
    let (r, o) = scan(&p, SourceKind::Codex, 0);
    assert!(r.is_empty());
    assert_eq!(o.issue_count, 1);
    assert_eq!(o.issues[0].line, 0);
    assert!(
        o.issues[0]
            .message
            .contains("no Codex CLI record in 4 lines")
            && o.issues[0].message.contains("`jsonl`")
            && o.issues[0].message.contains("--source"),
        "{}",
        o.issues[0].message
    );
}

#[test]
fn empty_claude_ids_do_not_merge_messages() {
    let dir = tempfile::tempdir().unwrap();
    let line = |ts: &str, out: u64| {
        format!(
            r#"{{"parentUuid":null,"sessionId":"s","requestId":"","timestamp":"{ts}","message":{{"id":"","model":"claude-sonnet-4-20250514","usage":{{"input_tokens":10,"output_tokens":{out}}}}}}}"#
        )
    };
    let p = write(
        dir.path(),
        "s.jsonl",
        &format!(
            "{}\n{}\n",
            line("2025-09-01T10:00:00Z", 5),
            line("2025-09-01T11:00:00Z", 7)
        ),
    );
    let (r, _) = scan(&p, SourceKind::ClaudeCode, 0);
    assert_eq!(r.len(), 2);
}

#[cfg(unix)]
#[test]
fn unreadable_folders_and_symlink_loops_are_skipped_and_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "good.jsonl", DEEPSEEK_FOUR);
    let locked = root.join("locked");
    std::fs::create_dir(&locked).unwrap();
    write(&locked, "hidden.jsonl", DEEPSEEK_FOUR);
    std::os::unix::fs::symlink(root, root.join("loop")).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read_dir(&locked).is_ok(); // root reads anyway
    let found = llmcost_logs::find(&[root.to_path_buf()], None);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let found = found.unwrap();
    let names: Vec<String> = found
        .files
        .iter()
        .map(|(p, _)| p.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert!(names.contains(&"good.jsonl".to_string()), "{names:?}");
    let skipped: Vec<String> = found
        .skipped
        .iter()
        .map(|i| format!("{}: {}", i.path.display(), i.message))
        .collect();
    assert!(
        skipped.iter().any(|s| s.contains("symlink loop")),
        "{skipped:?}"
    );
    if !readable {
        assert!(
            skipped
                .iter()
                .any(|s| s.contains("locked") && s.contains("skipped")),
            "{skipped:?}"
        );
    }
}
