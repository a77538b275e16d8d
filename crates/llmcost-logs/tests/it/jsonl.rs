//! JSON Lines of provider response bodies.

use llmcost_core::{Currency, Decimal};
use llmcost_logs::SourceKind;

use super::{fixture, scan, u};

#[test]
fn bodies_of_every_shape_with_their_time_and_model() {
    let p = fixture("jsonl/responses.jsonl");
    let (r, o) = scan(&p, SourceKind::Jsonl, 0);
    assert_eq!(
        r.len(),
        5,
        "lines 1-4 and 7; line 5 is cut, line 6 has no usage"
    );
    // OpenAI: prompt 1000 of which 200 cached
    assert_eq!(r[0].usage, u(800, 200, 0, 0, 100, 0));
    // The id with the digest of time, model, usage and tier.
    assert!(
        r[0].dedup_key.starts_with("jsonl:id:chatcmpl-1:"),
        "{}",
        r[0].dedup_key
    );
    assert_eq!(
        r[2].dedup_key, r[0].dedup_key,
        "the same response logged twice"
    );
    assert_eq!(r[0].at.to_string(), "2025-09-01T10:00:00Z");
    assert_eq!(r[0].provider.as_deref(), Some("openai"));
    // Anthropic inside a wrapper with a timestamp
    assert_eq!(r[1].usage, u(50, 500, 100, 0, 25, 0));
    assert_eq!(r[1].at.to_string(), "2025-09-01T12:00:00Z");
    assert_eq!(
        r[1].raw_usage.as_deref(),
        Some(
            r#"{"input_tokens":50,"cache_read_input_tokens":500,"cache_creation_input_tokens":100,"output_tokens":25}"#
        )
    );
    // DeepSeek, no id: keyed by its content, the first of its kind in the file
    assert_eq!(r[4].usage, u(200, 100, 0, 0, 30, 0));
    assert!(r[4].dedup_key.starts_with("jsonl:row:"));
    assert!(r[4].dedup_key.ends_with(":0"), "{}", r[4].dedup_key);
    assert_eq!(o.issue_count, 1);
    assert_eq!(o.issues[0].line, 5);
}

#[test]
fn xai_reported_cost_is_kept_as_billed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.jsonl");
    std::fs::write(&p, "{\"id\":\"x1\",\"created\":1756720800,\"model\":\"grok-4\",\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"cost_in_usd_ticks\":1500000}}\n").unwrap();
    let (r, _) = scan(&p, SourceKind::Jsonl, 0);
    assert_eq!(r[0].billed, Some("0.00015".parse::<Decimal>().unwrap()));
    assert_eq!(r[0].billed_currency, Some(Currency::USD));
}
