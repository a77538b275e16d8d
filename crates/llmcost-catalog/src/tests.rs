//! Resolution rules on a small hand-written catalog.

use super::*;

const SCHED: &str = r#"
[[schedule]]
name = "offpeak"
kind = "off_peak_windows"
windows_utc = ["16:30-00:30"]
source = "https://example.com/s"
"#;

const PROV: &str = r#"
provider = "acme"

[[model]]
id = "acme-chat"
retired = "2026-01-01T00:00:00Z"
successor = "acme-2"

[[model.price]]
from = "2025-01-01T00:00:00Z"
until = "2025-06-01T00:00:00Z"
currency = "USD"
input = "1"
output = "2"
source = "https://example.com/p"
confidence = "A"

[[model.price]]
from = "2025-01-01T00:00:00Z"
until = "2025-09-01T00:00:00Z"
currency = "CNY"
input = "7"
output = "14"
source = "https://example.com/p-cn"

[[model.price]]
from = "2025-06-01T00:00:00Z"
until = "2025-09-01T00:00:00Z"
currency = "USD"
input = "2"
output = "4"
source = "https://example.com/p2"
[model.price.off_peak]
schedule = "offpeak"
input = "1"
output = "2"

[[model]]
id = "acme-2"
aliases = ["acme-2-2026"]
[[model.price]]
from = "2025-09-01T00:00:00Z"
currency = "USD"
input = "3"
output = "6"
source = "https://example.com/p3"

[[alias]]
name = "acme-chat"
target = "acme-2"
from = "2025-09-01T00:00:00Z"
until = "2026-01-01T00:00:00Z"
source = "https://example.com/a"

[[alias]]
name = "acme-latest"
target = "acme-chat"
from = "2025-01-01T00:00:00Z"
source = "https://example.com/a"
"#;

fn cat() -> Catalog {
    Catalog::from_files(&[("schedules.toml", SCHED), ("acme.toml", PROV)]).expect("valid")
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

#[test]
fn own_rows_win_then_timed_alias_then_retirement() {
    let c = cat();
    let r = c
        .resolve("acme-chat", ts("2025-03-01T00:00:00Z"), None)
        .expect("priced");
    assert_eq!(r.model.id, "acme-chat");
    assert_eq!(r.row.spec().rates.input, Some(1.into()));
    assert_eq!(r.confidence, Some("A"));
    let r = c
        .resolve("acme-chat", ts("2025-10-01T00:00:00Z"), None)
        .expect("aliased");
    assert_eq!(r.model.id, "acme-2");
    assert_eq!(r.via.len(), 1);
    let e = c
        .resolve("acme-chat", ts("2026-02-01T00:00:00Z"), Some(Currency::USD))
        .expect_err("retired");
    assert!(
        matches!(e, LookupError::Retired { ref successor, .. } if successor.as_deref() == Some("acme-2")),
        "{e}"
    );
    assert!(e.to_string().contains("successor is `acme-2`"));
}

#[test]
fn prefix_case_and_chained_alias() {
    let c = cat();
    let r = c
        .resolve("ACME/Acme-2-2026", ts("2025-10-01T00:00:00Z"), None)
        .expect("prefixed");
    assert_eq!(r.model.id, "acme-2");
    let r = c
        .resolve("acme-latest", ts("2025-10-01T00:00:00Z"), None)
        .expect("chain");
    assert_eq!(r.model.id, "acme-2");
    assert_eq!(r.via.len(), 2);
}

#[test]
fn currency_lists_are_separate() {
    let c = cat();
    let at = ts("2025-03-01T00:00:00Z");
    let r = c
        .resolve("acme-chat", at, Some(Currency::CNY))
        .expect("cny");
    assert_eq!(r.row.spec().rates.input, Some(7.into()));
    let e = c
        .resolve("acme-chat", at, Some(Currency::EUR))
        .expect_err("eur");
    assert!(matches!(e, LookupError::Currency { .. }), "{e}");
    // Default prefers USD.
    assert_eq!(
        c.resolve("acme-chat", at, None)
            .expect("usd")
            .row
            .spec()
            .currency,
        Currency::USD
    );
}

#[test]
fn unknown_and_before_first_price() {
    let c = cat();
    let e = c
        .resolve("acme-chta", ts("2025-03-01T00:00:00Z"), None)
        .expect_err("unknown");
    match e {
        LookupError::UnknownModel { suggestions, .. } => assert_eq!(suggestions[0], "acme-chat"),
        other => panic!("{other}"),
    }
    let e = c
        .resolve("acme-2", ts("2024-03-01T00:00:00Z"), None)
        .expect_err("early");
    assert!(matches!(e, LookupError::BeforeFirstPrice { .. }), "{e}");
}

#[test]
fn off_peak_rows_use_their_schedule() {
    let c = cat();
    let r = c
        .resolve("acme-chat", ts("2025-07-01T17:00:00Z"), Some(Currency::USD))
        .expect("row");
    assert!(r.row.is_off_peak(ts("2025-07-01T17:00:00Z")));
    assert!(!r.row.is_off_peak(ts("2025-07-01T12:00:00Z")));
}

#[test]
fn errors_name_file_line_and_field() {
    let bad = PROV.replace("input = \"7\"", "input = \"-7\"");
    let e = Catalog::from_files(&[("schedules.toml", SCHED), ("acme.toml", &bad)])
        .expect_err("negative");
    assert_eq!(e.file, "acme.toml");
    assert_eq!(e.line, 22, "{e}");
    assert!(e.message.contains("negative"), "{e}");

    let overlap = PROV.replace(
        "until = \"2025-06-01T00:00:00Z\"",
        "until = \"2025-07-01T00:00:00Z\"",
    );
    let e = Catalog::from_files(&[("schedules.toml", SCHED), ("acme.toml", &overlap)])
        .expect_err("overlap");
    assert!(e.message.contains("overlap"), "{e}");

    let float = PROV.replace("input = \"3\"", "input = 3.0");
    let e = Catalog::from_files(&[("schedules.toml", SCHED), ("acme.toml", &float)])
        .expect_err("float");
    assert!(e.line > 0, "{e}");

    let unsourced = PROV.replace("source = \"https://example.com/p3\"", "source = \"\"");
    assert!(Catalog::from_files(&[("schedules.toml", SCHED), ("acme.toml", &unsourced)]).is_err());

    let dangling = PROV.replace("target = \"acme-2\"", "target = \"acme-9\"");
    let e = Catalog::from_files(&[("schedules.toml", SCHED), ("acme.toml", &dangling)])
        .expect_err("dangling");
    assert!(e.message.contains("acme-9"), "{e}");
}

const MODAL: &str = r#"
provider = "acme"

[[model]]
id = "acme-voice"
[[model.price]]
from = "2025-01-01T00:00:00Z"
currency = "USD"
input = "0.30"
cache_read = "0.03"
output = "2.50"
input_audio = "1.00"
cache_read_audio = "0.10"
output_audio = "10"
input_image = "0.40"
output_image = "30"
source = "https://example.com/voice"
[model.price.batch]
input = "0.15"
output = "1.25"
input_audio = "0.50"
[model.price.long_context]
threshold = 200000
basis = "prompt"
input = "0.60"
output = "5"
output_audio = "20"
"#;

#[test]
fn modality_rates_load_price_and_fall_back() {
    let cat =
        Catalog::from_files(&[("schedules.toml", SCHED), ("acme.toml", MODAL)]).expect("valid");
    let at = ts("2025-06-01T00:00:00Z");
    let u = llmcost_core::Usage {
        input: 1_000,
        input_audio: 1_000,
        cache_read_audio: 1_000,
        input_image: 1_000,
        output_audio: 1_000,
        output_image: 1_000,
        ..llmcost_core::Usage::default()
    };
    // 1000 × (0.30 + 1.00 + 0.10 + 0.40 + 10 + 30) = 1000 × 41.8 = 41800 per 1M.
    let total = cat
        .price_total(
            "acme-voice",
            at,
            Currency::USD,
            &u,
            llmcost_core::ServiceTier::Standard,
        )
        .expect("priced");
    assert_eq!(
        total,
        "0.0418".parse::<llmcost_core::Decimal>().expect("decimal")
    );
    // Batch table: audio 0.50; cache_read_audio, image in → input 0.15;
    // audio and image out → output 1.25.
    // 1000 × (0.15 + 0.50 + 0.15 + 0.15 + 1.25 + 1.25) = 1000 × 3.45 = 3450 per 1M.
    let batch = cat
        .price_total(
            "acme-voice",
            at,
            Currency::USD,
            &u,
            llmcost_core::ServiceTier::Batch,
        )
        .expect("priced");
    assert_eq!(
        batch,
        "0.00345".parse::<llmcost_core::Decimal>().expect("decimal")
    );
    // Long context (250000 prompt tokens): input 0.60 for text, audio and image,
    // audio cache read → input 0.60; audio output 20; image output → output 5.
    let long = llmcost_core::Usage {
        input: 100_000,
        input_audio: 150_000,
        output_audio: 1_000,
        output_image: 1_000,
        ..llmcost_core::Usage::default()
    };
    // 250000×0.60 + 1000×20 + 1000×5 = 150000 + 20000 + 5000 = 175000 per 1M.
    let lc = cat
        .price_total(
            "acme-voice",
            at,
            Currency::USD,
            &long,
            llmcost_core::ServiceTier::Standard,
        )
        .expect("priced");
    assert_eq!(
        lc,
        "0.175".parse::<llmcost_core::Decimal>().expect("decimal")
    );
}

#[test]
fn negative_modality_rate_names_its_field() {
    let bad = MODAL.replace("input_audio = \"0.50\"", "input_audio = \"-0.50\"");
    let e = Catalog::from_files(&[("schedules.toml", SCHED), ("acme.toml", &bad)])
        .expect_err("negative");
    assert!(e.message.contains("batch.input_audio"), "{e}");
    assert!(e.line > 0, "{e}");
    let unknown = MODAL.replace("output_image = \"30\"", "output_video = \"30\"");
    assert!(Catalog::from_files(&[("schedules.toml", SCHED), ("acme.toml", &unknown)]).is_err());
}
