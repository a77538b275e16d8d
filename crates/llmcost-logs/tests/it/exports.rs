//! Provider usage exports and CSV.

use llmcost_core::{Currency, Decimal, ServiceTier};
use llmcost_logs::SourceKind;

use super::{fixture, scan, sum, u};

#[test]
fn openai_usage_pages() {
    let (r, o) = scan(
        &fixture("exports/openai-usage.json"),
        SourceKind::OpenAiUsage,
        0,
    );
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].model, "gpt-4o-2024-08-06");
    assert_eq!(r[0].usage, u(4000, 1000, 0, 0, 700, 0));
    assert_eq!(r[0].at.to_string(), "2025-09-01T00:00:00Z");
    assert_eq!(r[1].service_tier, ServiceTier::Batch);
    assert_eq!(r[2].model, "unknown");
    assert_eq!(o.issue_count, 1, "results without a model are reported");
    // content keys: reading twice gives the same keys
    let (again, _) = scan(
        &fixture("exports/openai-usage.json"),
        SourceKind::OpenAiUsage,
        0,
    );
    assert_eq!(again[0].dedup_key, r[0].dedup_key);
    assert!(
        r[0].dedup_key
            .starts_with("openai-usage:openai:1756684800:gpt-4o-2024-08-06:")
    );
}

#[test]
fn anthropic_usage_report() {
    let (r, o) = scan(
        &fixture("exports/anthropic-usage.json"),
        SourceKind::AnthropicUsage,
        0,
    );
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].usage, u(1500, 200, 500, 1000, 500, 0));
    assert_eq!(r[1].service_tier, ServiceTier::Batch);
    assert_eq!(sum(&r), u(1540, 200, 500, 1000, 560, 0));
    assert_eq!(o.issue_count, 0);
}

#[test]
fn csv_with_named_columns() {
    let p = fixture("csv/usage.csv");
    let (r, o) = scan(&p, SourceKind::Csv, 0);
    assert_eq!(r.len(), 3, "rows 2, 3 and 6 (the last, without a newline)");
    assert_eq!(r[0].usage, u(1_000_000, 500_000, 0, 0, 200_000, 0));
    assert_eq!(r[0].billed, Some("0.87".parse::<Decimal>().unwrap()));
    assert_eq!(r[0].billed_currency, Some(Currency::USD));
    assert_eq!(r[1].at.to_string(), "2025-09-02T18:00:00Z");
    assert_eq!(r[2].line, Some(6));
    assert_eq!(o.issue_count, 2);
    assert_eq!((o.issues[0].line, o.issues[1].line), (4, 5));
    assert_eq!(o.end_offset, std::fs::metadata(&p).unwrap().len());
}

#[test]
fn csv_without_the_needed_columns_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.csv");
    std::fs::write(&p, "when,tokens\n2025-01-01,5\n").unwrap();
    let e = llmcost_logs::scan_file(&p, SourceKind::Csv, 0, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("needs a time column"), "{e}");
}
