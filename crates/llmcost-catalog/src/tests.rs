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

const SNAP: &str = r#"
provider = "snap"

[[model]]
id = "m-5.4"
[[model.price]]
from = "2026-03-05T00:00:00Z"
currency = "USD"
input = "1"
output = "2"
source = "https://example.com/m"

[[model]]
id = "m-5.4-2026-04-01"
[[model.price]]
from = "2026-04-01T00:00:00Z"
currency = "USD"
input = "9"
output = "9"
source = "https://example.com/m-dated"

[[model]]
id = "m-old"
[[model.price]]
from = "2024-01-01T00:00:00Z"
currency = "USD"
input = "5"
output = "5"
source = "https://example.com/old"

[[model]]
id = "g-3-flash-preview"
[[model.price]]
from = "2025-12-17T00:00:00Z"
currency = "USD"
input = "0.5"
output = "3"
source = "https://example.com/g"

[[alias]]
name = "m-moving"
target = "m-old"
from = "2024-01-01T00:00:00Z"
source = "https://example.com/a"
"#;

fn snap() -> Catalog {
    Catalog::from_files(&[("schedules.toml", SCHED), ("snap.toml", SNAP)]).expect("valid")
}

#[test]
fn dated_snapshot_names_resolve_to_their_base() {
    let c = snap();
    let at = ts("2026-03-20T00:00:00Z");
    for name in [
        "m-5.4-2026-03-05",
        "m-5.4-20260305",
        "SNAP/M-5.4-2026-03-17",
    ] {
        let r = c.resolve(name, at, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.model.id, "m-5.4", "{name}");
        assert!(c.knows(name), "{name}");
    }
    assert_eq!(
        c.model("m-5.4-2026-03-05").map(|m| m.id.as_str()),
        Some("m-5.4")
    );
    // Gemini style: -preview-MM-YYYY keeps `-preview` in the base.
    let r = c
        .resolve(
            "g-3-flash-preview-12-2025",
            ts("2025-12-20T00:00:00Z"),
            None,
        )
        .expect("gemini");
    assert_eq!(r.model.id, "g-3-flash-preview");
}

#[test]
fn dated_snapshot_rule_never_overrides_a_real_model() {
    let c = snap();
    // A dated id with its own rows keeps them.
    let r = c
        .resolve("m-5.4-2026-04-01", ts("2026-05-01T00:00:00Z"), None)
        .expect("own");
    assert_eq!(r.model.id, "m-5.4-2026-04-01");
    // Before the date a snapshot is named after, it is not priced.
    let e = c
        .resolve("m-5.4-2026-03-17", ts("2026-03-16T23:59:59Z"), None)
        .expect_err("early");
    assert!(
        matches!(e, LookupError::BeforeFirstPrice { first, .. } if first == ts("2026-03-17T00:00:00Z")),
        "{e}"
    );
    // A timed alias is not a base (it may point at another snapshot).
    assert!(!c.knows("m-moving-2026-01-01"));
    // Not a date, or an impossible one: unknown.
    for name in [
        "m-5.4-2026-02-30",
        "m-5.4-20261301",
        "m-5.4-1999-01-01",
        "m-5.4-0613",
        "m-5.4-2026-03-0é",
        "mé-2026-03-05",
    ] {
        let e = c
            .resolve(name, ts("2026-05-01T00:00:00Z"), None)
            .expect_err(name);
        assert!(matches!(e, LookupError::UnknownModel { .. }), "{name}: {e}");
    }
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

const CAL_SCHED: &str = r#"
[[schedule]]
name = "peak"
kind = "peak_windows"
windows_utc = ["01:00-04:00"]
calendar_utc_offset = "+08:00"
holidays = "hol"
source = "https://example.com/s"

[[calendar]]
name = "hol"
source = "https://example.com/c"
covers_until = "2026-12-31"
dates = ["2026-10-01"]
"#;

#[test]
fn calendars_declare_the_last_date_they_cover() {
    let cat = Catalog::from_files(&[("schedules.toml", CAL_SCHED)]).expect("valid");
    let s = cat.schedule("peak").expect("schedule");
    assert_eq!(s.calendar_until(), Some(jiff::civil::date(2026, 12, 31)));
    // 2027-01-01 00:00 at UTC+08:00 = 2026-12-31T16:00:00Z.
    assert_eq!(
        s.calendar_end(),
        Some("2026-12-31T16:00:00Z".parse().expect("ts"))
    );
    assert_eq!(cat.schedules().len(), 1);

    // Missing: an error naming the key.
    let missing = CAL_SCHED.replace("covers_until = \"2026-12-31\"\n", "");
    let e = Catalog::from_files(&[("schedules.toml", &missing)]).expect_err("no covers_until");
    assert!(e.to_string().contains("covers_until"), "{e}");
    assert!(e.to_string().contains("schedules.toml:11"), "{e}");

    // A holiday after the declared end.
    let after = CAL_SCHED.replace("[\"2026-10-01\"]", "[\"2026-10-01\", \"2027-01-01\"]");
    let e = Catalog::from_files(&[("schedules.toml", &after)]).expect_err("date past end");
    assert!(
        e.to_string()
            .contains("after the calendar's `covers_until`"),
        "{e}"
    );

    // Not a date.
    let bad = CAL_SCHED.replace(
        "covers_until = \"2026-12-31\"",
        "covers_until = \"2026-13-01\"",
    );
    let e = Catalog::from_files(&[("schedules.toml", &bad)]).expect_err("bad date");
    assert!(e.to_string().contains("is not a date"), "{e}");
}
