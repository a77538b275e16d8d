//! Layered catalogs: user and imported files on a small built-in catalog,
//! precedence, provenance, patterns, aliases and file:line errors.
#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on a bad fixture"
)]

use llmcost_catalog::{Catalog, CatalogFile, Layer, LookupError, Prefer, RowOutcome};
use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};

const BASE: &str = r#"
provider = "acme"

[[model]]
id = "acme-chat"

[[model.price]]
from = "2025-01-01T00:00:00Z"
until = "2025-09-01T00:00:00Z"
currency = "USD"
input = "1"
output = "2"
source = "https://example.com/p"
confidence = "A"

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
name = "acme-latest"
target = "acme-2"
from = "2025-09-01T00:00:00Z"
source = "https://example.com/a"
"#;

fn base() -> Catalog {
    Catalog::from_files(&[("acme.toml", BASE)]).expect("valid base")
}

fn file(name: &str, text: &str) -> CatalogFile {
    CatalogFile {
        name: name.to_string(),
        text: text.to_string(),
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

const IMPORTED: &str = r#"
provider = "litellm"

[import]
format = "litellm"
source = "model_prices.json"
imported = "2026-01-01T00:00:00Z"

[[model]]
id = "acme-2"
[[model.price]]
from = "2026-01-01T00:00:00Z"
currency = "USD"
input = "2.5"
output = "5"
source = "model_prices.json"

[[model]]
id = "acme/acme-chat"
[[model.price]]
from = "2025-06-01T00:00:00Z"
currency = "USD"
input = "0.9"
output = "1.8"
source = "model_prices.json"

[[model]]
id = "acme-latest"
[[model.price]]
from = "2026-01-01T00:00:00Z"
currency = "USD"
input = "100"
output = "100"
source = "model_prices.json"

[[model]]
id = "qwen-max"
provider = "dashscope"
[[model.price]]
from = "2026-01-01T00:00:00Z"
currency = "USD"
input = "1.6"
output = "6.4"
source = "model_prices.json"
"#;

#[test]
fn three_lines_of_my_own_price_an_unknown_model() {
    let mine =
        "[[model]]\nid = \"my-private-model\"\nprice = [{ input = \"0.5\", output = \"1.5\" }]\n";
    let cat = base()
        .with_layers(&[file("mine.toml", mine)], Prefer::Curated)
        .expect("valid user file");
    let at = ts("2025-03-01T00:00:00Z");
    let r = cat.resolve("my-private-model", at, None).expect("priced");
    assert_eq!(r.origin().layer, Layer::User);
    assert_eq!(r.origin().label(), "user:mine.toml");
    assert_eq!(r.row.spec().currency, Currency::USD);
    assert_eq!(r.row.spec().source, "user:mine.toml");
    let usage = Usage {
        input: 1_000_000,
        output: 2_000_000,
        ..Usage::default()
    };
    // 1M × 0.5 + 2M × 1.5 = 3.5
    let (total, _) = cat
        .price_usage(
            "my-private-model",
            at,
            Currency::USD,
            &usage,
            ServiceTier::Standard,
        )
        .expect("cost");
    assert_eq!(total, d("3.5"));
    // The built-in rows still say where they come from.
    let r = cat
        .resolve("acme-2", ts("2025-10-01T00:00:00Z"), None)
        .expect("built-in");
    assert_eq!(r.origin().label(), "built-in");
}

#[test]
fn built_in_beats_imported_and_imported_fills_the_gaps() {
    let cat = base()
        .with_layers(&[file("imp.toml", IMPORTED)], Prefer::Curated)
        .expect("valid import");
    // acme-2: built-in is open-ended, so the imported row never applies.
    let r = cat
        .resolve("acme-2", ts("2026-03-01T00:00:00Z"), None)
        .expect("row");
    assert_eq!(r.row.spec().rates.input, Some(d("3")));
    assert_eq!(r.origin().layer, Layer::BuiltIn);
    let rows = cat.layer_rows("acme-2");
    let imported = rows
        .iter()
        .find(|r| r.origin.layer == Layer::Imported)
        .expect("imported row kept for explanation");
    assert!(
        matches!(imported.outcome, RowOutcome::Shadowed { .. }),
        "{:?}",
        imported.outcome
    );

    // acme/acme-chat joins the built-in acme-chat (known provider prefix); the
    // imported row applies only after the built-in row ends.
    let r = cat
        .resolve("acme-chat", ts("2025-07-01T00:00:00Z"), None)
        .expect("row");
    assert_eq!(r.row.spec().rates.input, Some(d("1")));
    let r = cat
        .resolve("acme-chat", ts("2025-10-01T00:00:00Z"), None)
        .expect("row");
    assert_eq!(r.row.spec().rates.input, Some(d("0.9")));
    assert_eq!(r.origin().label(), "imported:imp.toml");
    assert_eq!(r.row.spec().from, ts("2025-09-01T00:00:00Z"));
    let rows = cat.layer_rows("acme-chat");
    assert!(
        rows.iter()
            .any(|r| matches!(r.outcome, RowOutcome::Partly { .. }))
    );

    // acme-latest is a built-in alias from 2025-09-01: it beats the imported model.
    let r = cat
        .resolve("acme-latest", ts("2026-03-01T00:00:00Z"), None)
        .expect("alias");
    assert_eq!(r.model.id, "acme-2");
    assert_eq!(r.via.len(), 1);

    // A model only the import knows.
    let r = cat
        .resolve("qwen-max", ts("2026-03-01T00:00:00Z"), None)
        .expect("new");
    assert_eq!(r.model.provider, "dashscope");
    assert_eq!(r.origin().label(), "imported:imp.toml");
    // ...with no history before the import date.
    let e = cat
        .resolve("qwen-max", ts("2025-12-31T00:00:00Z"), None)
        .expect_err("before import");
    assert!(matches!(e, LookupError::BeforeFirstPrice { .. }), "{e}");
    assert_eq!(cat.imports().len(), 1);
    assert_eq!(cat.imports()[0].1.format, "litellm");
}

const OVERRIDE: &str = r#"
[[model]]
id = "acme-2"
[[model.price]]
from = "2025-10-01"
until = "2025-11-01"
input = "9"
output = "18"
source = "our contract"
override = true

[[model.price]]
from = "2026-01-01"
input = "1"
output = "1"
"#;

#[test]
fn a_user_override_wins_for_its_period_only() {
    let cat = base()
        .with_layers(&[file("contract.toml", OVERRIDE)], Prefer::Curated)
        .expect("valid");
    let at = |s: &str| {
        let r = cat.resolve("acme-2", ts(s), None).expect("row");
        (r.row.spec().rates.input, r.origin().label())
    };
    assert_eq!(
        at("2025-09-15T00:00:00Z"),
        (Some(d("3")), "built-in".into())
    );
    assert_eq!(
        at("2025-10-15T00:00:00Z"),
        (Some(d("9")), "user:contract.toml".into())
    );
    assert_eq!(
        at("2025-11-01T00:00:00Z"),
        (Some(d("3")), "built-in".into())
    );
    // The row without `override` loses to the built-in row...
    assert_eq!(
        at("2026-02-01T00:00:00Z"),
        (Some(d("3")), "built-in".into())
    );
    // ...unless the user prefers their own rows.
    let cat = base()
        .with_layers(&[file("contract.toml", OVERRIDE)], Prefer::User)
        .expect("valid");
    let r = cat
        .resolve("acme-2", ts("2026-02-01T00:00:00Z"), None)
        .expect("row");
    assert_eq!(r.row.spec().rates.input, Some(d("1")));
    assert_eq!(r.origin().label(), "user:contract.toml");
}

#[test]
fn patterns_and_user_aliases() {
    let text = r#"
[[model]]
id = "my-finetune"
patterns = ["my-finetune-*"]
aliases = ["ft-default"]
price = [{ input = "0.3", output = "1.2", source = "finance sheet" }]

[[alias]]
name = "cheap"
target = "acme-2"
"#;
    let cat = base()
        .with_layers(&[file("ft.toml", text)], Prefer::Curated)
        .expect("valid");
    let at = ts("2025-10-01T00:00:00Z");
    let r = cat
        .resolve("my-finetune-v3-2025", at, None)
        .expect("pattern");
    assert_eq!(r.model.id, "my-finetune");
    assert_eq!(r.via[0].name, "my-finetune-*");
    assert_eq!(r.row.spec().rates.output, Some(d("1.2")));
    assert!(cat.knows("my-finetune-x"));
    let r = cat.resolve("ft-default", at, None).expect("alias");
    assert_eq!(r.model.id, "my-finetune");
    let r = cat.resolve("cheap", at, None).expect("timed alias");
    assert_eq!(r.model.id, "acme-2");
    assert_eq!(r.via[0].origin.label(), "user:ft.toml");
    // An exact name always beats a pattern.
    let cat = base()
        .with_layers(
            &[file(
                "p.toml",
                "[[model]]\nid = \"any\"\npatterns = [\"acme-*\"]\nprice = [{ input = \"50\" }]\n",
            )],
            Prefer::Curated,
        )
        .expect("valid");
    assert_eq!(
        cat.resolve("acme-2", at, None).expect("exact").model.id,
        "acme-2"
    );
    assert_eq!(
        cat.resolve("acme-3", at, None).expect("glob").model.id,
        "any"
    );
}

#[test]
fn invalid_user_files_name_file_line_and_field() {
    let bad = "[[model]]\nid = \"m\"\n\n[[model.price]]\ninput = \"-1\"\noutput = \"2\"\n";
    let e = base()
        .with_layers(&[file("bad.toml", bad)], Prefer::Curated)
        .expect_err("negative");
    assert_eq!((e.file.as_str(), e.line), ("bad.toml", 5), "{e}");
    assert!(e.message.contains("field `input`"), "{e}");

    let typo = "[[model]]\nid = \"m\"\n\n[[model.price]]\ninput = \"1\"\nouptut = \"2\"\n";
    let e = base()
        .with_layers(&[file("typo.toml", typo)], Prefer::Curated)
        .expect_err("unknown field");
    assert_eq!(e.line, 6, "{e}");
    assert!(e.message.contains("ouptut"), "{e}");

    let dangling = "\n[[alias]]\nname = \"x\"\ntarget = \"nope\"\n";
    let e = base()
        .with_layers(&[file("a.toml", dangling)], Prefer::Curated)
        .expect_err("dangling");
    assert_eq!((e.file.as_str(), e.line), ("a.toml", 3), "{e}");
    assert!(e.message.contains("field `target`"), "{e}");

    let pattern = "[[model]]\nid = \"m\"\npatterns = [\"plain\"]\nprice = [{ input = \"1\" }]\n";
    let e = base()
        .with_layers(&[file("p.toml", pattern)], Prefer::Curated)
        .expect_err("no star");
    assert_eq!(e.line, 3, "{e}");

    let cur = "[[model]]\nid = \"m\"\nprice = [{ input = \"1\", currency = \"dollars\" }]\n";
    let e = base()
        .with_layers(&[file("c.toml", cur)], Prefer::Curated)
        .expect_err("currency");
    assert!(e.message.contains("field `currency`"), "{e}");

    // The built-in catalog keeps every field required.
    let e = Catalog::from_files(&[(
        "x.toml",
        "provider = \"x\"\n[[model]]\nid = \"m\"\nprice = [{ input = \"1\" }]\n",
    )])
    .expect_err("built-in needs from");
    assert!(e.message.contains("`from`"), "{e}");
}

#[test]
fn the_real_built_in_catalog_takes_layers() {
    let cat = Catalog::layered(&[file("imp.toml", IMPORTED)], Prefer::Curated).expect("layered");
    let r = cat
        .resolve(
            "deepseek-chat",
            ts("2025-01-15T12:00:00Z"),
            Some(Currency::CNY),
        )
        .expect("built-in row");
    assert_eq!(r.origin().label(), "built-in");
    let r = cat
        .resolve("qwen-max", ts("2026-03-01T00:00:00Z"), None)
        .expect("imported");
    assert_eq!(r.origin().layer, Layer::Imported);
    // An imported price does not revive a model the curated catalog retired.
    let stale = r#"
[import]
format = "litellm"
source = "old.json"
imported = "2026-11-01T00:00:00Z"

[[model]]
id = "deepseek/deepseek-chat"
[[model.price]]
from = "2026-11-01T00:00:00Z"
currency = "USD"
input = "0.27"
output = "1.1"
source = "old.json"
"#;
    let cat = Catalog::layered(&[file("old.toml", stale)], Prefer::Curated).expect("layered");
    let e = cat
        .resolve("deepseek-chat", ts("2026-11-23T00:00:00Z"), None)
        .expect_err("retired");
    assert!(matches!(e, LookupError::Retired { .. }), "{e}");
}
