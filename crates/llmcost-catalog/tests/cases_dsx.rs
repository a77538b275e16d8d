//! DeepSeek, xAI and Mistral rows brought to 2026-12-03: every price change and
//! retirement added is checked one second before and at its instant, every
//! long-context threshold at and one token above it, and the DeepSeek peak /
//! off-peak windows. Expected totals are worked out by hand from the source
//! the row cites (rates are per 1M tokens).
#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on a bad fixture"
)]

use llmcost_catalog::{Catalog, LookupError, PriceError};
use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};

fn cat() -> &'static Catalog {
    Catalog::builtin().unwrap_or_else(|e| panic!("built-in catalog invalid: {e}"))
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn usage(input: u64, cache_read: u64, output: u64) -> Usage {
    Usage {
        input,
        cache_read,
        output,
        ..Usage::default()
    }
}

const M: u64 = 1_000_000;

/// 1M uncached input + 1M cache reads + 1M output: the total is the sum of the
/// three rates (a model without a cache rate bills cache reads at input).
fn one_m_each() -> Usage {
    usage(M, M, M)
}

/// 80,000 input + 20,000 cache reads + 10,000 output: below every long-context
/// threshold (100,000 prompt, 110,000 total). Total = 0.08 i + 0.02 c + 0.01 o.
fn small() -> Usage {
    usage(80_000, 20_000, 10_000)
}

/// What a name prices to at an instant.
#[derive(Debug, PartialEq)]
enum Expect {
    /// This exact total.
    Total(Decimal),
    /// Refused as retired, naming this successor.
    Retired(&'static str),
    /// No price then (before the first row, or in a gap).
    Unpriced,
}

fn total(s: &str) -> Expect {
    Expect::Total(d(s))
}

fn price(name: &str, at: Timestamp, cur: Currency, u: &Usage, tier: ServiceTier) -> Expect {
    match cat().price_total(name, at, cur, u, tier) {
        Ok(t) => Expect::Total(t),
        Err(PriceError::Lookup(LookupError::Retired { successor, .. })) => {
            let s = successor.expect("a retired model names its successor");
            Expect::Retired(
                [
                    "grok-4.3",
                    "grok-4.7",
                    "mistral-medium-2604",
                    "codestral-2508",
                    "ministral-14b-2512",
                ]
                .into_iter()
                .find(|k| *k == s)
                .unwrap_or_else(|| panic!("{name}: unexpected successor {s}")),
            )
        }
        Err(PriceError::Lookup(
            LookupError::BeforeFirstPrice { .. } | LookupError::NoPriceAt { .. },
        )) => Expect::Unpriced,
        Err(e) => panic!("{name} at {at}: {e}"),
    }
}

/// Checks a change one second before its instant and at it.
fn edge(name: &str, at: &str, cur: Currency, u: &Usage, before: Expect, after: Expect) {
    let at = ts(at);
    let one_before = Timestamp::from_second(at.as_second() - 1).expect("instant");
    assert_eq!(
        price(name, one_before, cur, u, ServiceTier::Standard),
        before,
        "{name} one second before {at}"
    );
    assert_eq!(
        price(name, at, cur, u, ServiceTier::Standard),
        after,
        "{name} at {at}"
    );
}

fn at(name: &str, t: &str, cur: Currency, u: &Usage) -> Expect {
    price(name, ts(t), cur, u, ServiceTier::Standard)
}

// ---------------------------------------------------------------------------------------------
// DeepSeek

#[test]
fn v4_flash_cny_peak_list_starts_2026_08_16_1600_utc() {
    // Before: zh-cn copy (July 2026) 1 / 0.02 / 2 -> 1 + 0.02 + 2 = 3.02 CNY.
    // At 16:00 UTC = Monday 2026-08-17 00:00 Beijing, off-peak: half of 3.0 / 0.10 / 9.0
    // (issue 10) = 1.5 + 0.05 + 4.5 = 6.05 CNY.
    edge(
        "deepseek-v4-flash",
        "2026-08-16T16:00:00Z",
        Currency::CNY,
        &one_m_each(),
        total("3.02"),
        total("6.05"),
    );
    // The USD list changes at the same instant: 0.14 + 0.0028 + 0.28 = 0.4228 before;
    // off-peak 0.22 + 0.007 + 0.66 = 0.887 at.
    edge(
        "deepseek-v4-flash",
        "2026-08-16T16:00:00Z",
        Currency::USD,
        &one_m_each(),
        total("0.4228"),
        total("0.887"),
    );
}

#[test]
fn v4_flash_cny_peak_and_off_peak_windows() {
    let u = one_m_each();
    let f = |t: &str| at("deepseek-v4-flash", t, Currency::CNY, &u);
    // Peak 3.0 + 0.10 + 9.0 = 12.1 CNY; off-peak 1.5 + 0.05 + 4.5 = 6.05 CNY.
    // Monday 2026-08-17: the 01:00-04:00 UTC window (09:00-12:00 Beijing).
    assert_eq!(f("2026-08-17T00:59:59Z"), total("6.05"));
    assert_eq!(f("2026-08-17T01:00:00Z"), total("12.1"));
    assert_eq!(f("2026-08-17T03:59:59Z"), total("12.1"));
    assert_eq!(f("2026-08-17T04:00:00Z"), total("6.05"));
    // The 06:00-10:00 UTC window (14:00-18:00 Beijing).
    assert_eq!(f("2026-08-17T05:59:59Z"), total("6.05"));
    assert_eq!(f("2026-08-17T06:00:00Z"), total("12.1"));
    assert_eq!(f("2026-08-17T09:59:59Z"), total("12.1"));
    assert_eq!(f("2026-08-17T10:00:00Z"), total("6.05"));
    // Saturday 2026-08-22 10:00 Beijing: windows still applied every day -> peak.
    assert_eq!(f("2026-08-22T02:00:00Z"), total("12.1"));
    // Sunday 2026-08-23 10:00 Beijing: weekends off-peak from then.
    assert_eq!(f("2026-08-23T02:00:00Z"), total("6.05"));
}

#[test]
fn v4_flash_becomes_deepseek_flash_2026_09_10_0400_utc() {
    // Thursday 2026-09-10 11:59:59 Beijing is peak: 3.0 + 0.10 + 9.0 = 12.1 CNY.
    // At 04:00 UTC (12:00 Beijing, off-peak) the legacy name bills as deepseek-flash:
    // half of 2 / 0.04 / 8 = 1 + 0.02 + 4 = 5.02 CNY.
    edge(
        "deepseek-v4-flash",
        "2026-09-10T04:00:00Z",
        Currency::CNY,
        &one_m_each(),
        total("12.1"),
        total("5.02"),
    );
}

#[test]
fn cn_holidays_are_off_peak_and_2027_is_not_in_the_calendar() {
    let u = one_m_each();
    let f = |t: &str| at("deepseek-flash", t, Currency::CNY, &u);
    // Thursday 2026-10-01 10:00 Beijing, 国庆节: off-peak 1 + 0.02 + 4 = 5.02 CNY.
    assert_eq!(f("2026-10-01T02:00:00Z"), total("5.02"));
    // Thursday 2026-10-08 10:00 Beijing, a working day: peak 2 + 0.04 + 8 = 10.04 CNY.
    assert_eq!(f("2026-10-08T02:00:00Z"), total("10.04"));
    // Known gap (catalog/schedules.toml): the calendar ends 2026-12-31, so Friday 2027-01-01
    // 10:00 Beijing (元旦 by law) is priced at PEAK until the 2027 notice is added.
    assert_eq!(f("2027-01-01T02:00:00Z"), total("10.04"));
}

/// Schedules whose holiday calendar is known to end within a year of the newest
/// row using it: (schedule, last covered Beijing year, why). Each entry must
/// still be needed, so it is removed when the calendar is extended.
const KNOWN_CALENDAR_GAPS: &[(&str, i16, &str)] = &[(
    "deepseek-peak-2026",
    2026,
    "2027 State Council holiday notice not in the stored sources (checked 2026-12-03)",
)];

#[test]
fn holiday_calendars_cover_a_year_past_the_newest_row() {
    const DAY: i64 = 86_400;
    let mut checked = 0;
    let mut schedules: Vec<(String, Timestamp)> = Vec::new();
    for m in cat().models() {
        for r in &m.rows {
            let s = r.spec();
            if let Some(o) = &s.off_peak {
                match schedules.iter_mut().find(|(n, _)| *n == o.schedule.name) {
                    Some((_, newest)) => *newest = (*newest).max(s.from),
                    None => schedules.push((o.schedule.name.clone(), s.from)),
                }
            }
        }
    }
    for (name, newest) in schedules {
        let sched = cat().schedule(&name).expect("schedule");
        // The calendar ends where the catalog says (`covers_until`).
        let (Some(ends), Some(until)) = (sched.calendar_end(), sched.calendar_until()) else {
            continue;
        };
        checked += 1;
        let last_year = until.year();
        let needed = Timestamp::from_second(newest.as_second() + 365 * DAY).expect("instant");
        let known = KNOWN_CALENDAR_GAPS.iter().find(|(n, _, _)| *n == name);
        if ends < needed {
            let (_, year, why) = known.unwrap_or_else(|| {
                panic!(
                    "schedule `{name}`: its holiday calendar covers only dates before {ends}, less than \
                     a year after its newest row ({newest}); add the next year's holidays"
                )
            });
            assert_eq!(
                *year, last_year,
                "schedule `{name}`: known gap ({why}) names year {year}, the calendar ends {last_year}"
            );
        } else {
            assert!(
                known.is_none(),
                "schedule `{name}` now covers a year past its newest row: remove it from KNOWN_CALENDAR_GAPS"
            );
        }
    }
    assert!(
        checked >= 1,
        "no schedule with a holiday calendar was checked"
    );
}

// ---------------------------------------------------------------------------------------------
// xAI: the 2026-05-15 retirement at 12:00 PT = 19:00 UTC

const MAY15: &str = "2026-05-15T19:00:00Z";

#[test]
fn may_15_retirements_bill_as_grok_4_3_from_1900_utc() {
    // After: grok-4.3 1.25 / 0.20 / 2.50 -> 0.08*1.25 + 0.02*0.20 + 0.01*2.50 = 0.1 + 0.004 + 0.025.
    let after = "0.129";
    for (name, before) in [
        // grok-3 3 / 0.75 / 15: 0.24 + 0.015 + 0.15.
        ("grok-3", "0.405"),
        ("grok-3-latest", "0.405"),
        // grok-4-0709 3 / 0.75 / 15 (110,000 total tokens, below the 128K tier).
        ("grok-4-0709", "0.405"),
        ("grok-4", "0.405"),
        // Grok 4 Fast / 4.1 Fast 0.20 / 0.05 / 0.50: 0.016 + 0.001 + 0.005.
        ("grok-4-fast-reasoning", "0.022"),
        ("grok-4-fast", "0.022"),
        ("grok-4-fast-non-reasoning", "0.022"),
        ("grok-4-1-fast-reasoning", "0.022"),
        ("grok-4-1-fast", "0.022"),
        ("grok-4-1-fast-non-reasoning", "0.022"),
        // grok-code-fast-1 keeps 0.20 / 0.02 / 1.50 until then: 0.016 + 0.0004 + 0.015.
        ("grok-code-fast-1", "0.0314"),
        ("grok-code-fast", "0.0314"),
    ] {
        edge(
            name,
            MAY15,
            Currency::USD,
            &small(),
            total(before),
            total(after),
        );
    }
}

#[test]
fn grok_3_variants_without_a_billing_successor_are_refused_from_1900_utc() {
    for (name, before) in [
        // 5 / 1.25 / 25: 0.4 + 0.025 + 0.25.
        ("grok-3-fast", "0.675"),
        // 0.30 / 0.075 / 0.50: 0.024 + 0.0015 + 0.005.
        ("grok-3-mini", "0.0305"),
        // 0.60 / 0.15 / 4.00: 0.048 + 0.003 + 0.04.
        ("grok-3-mini-fast", "0.091"),
    ] {
        edge(
            name,
            MAY15,
            Currency::USD,
            &small(),
            total(before),
            Expect::Retired("grok-4.3"),
        );
    }
}

#[test]
fn new_grok_models_start_at_their_launch() {
    for (name, launch, price) in [
        // grok-4.3 1.25 / 0.20 / 2.50 (docs.x.ai): 0.129.
        ("grok-4.3", "2026-04-30T00:00:00Z", "0.129"),
        // grok-4.20 launch 2 / 0.20 / 6: 0.16 + 0.004 + 0.06.
        ("grok-4.20-0309-reasoning", "2026-03-09T00:00:00Z", "0.224"),
        ("grok-4.20", "2026-03-09T00:00:00Z", "0.224"),
        ("grok-4.20-non-reasoning", "2026-03-09T00:00:00Z", "0.224"),
        // Multi-agent 1.25 / 0.20 / 2.50 (reseller, C): 0.129.
        ("grok-4.20-multi-agent", "2026-05-06T00:00:00Z", "0.129"),
        // Grok 4.5 / 4.6 / 4.7 2 / 0.50 / 6: 0.16 + 0.01 + 0.06.
        ("grok-4.5", "2026-07-08T00:00:00Z", "0.23"),
        ("grok-4.6", "2026-08-07T00:00:00Z", "0.23"),
        ("grok-4.7", "2026-09-21T00:00:00Z", "0.23"),
        // grok-build-0.1 1 / 0.20 / 2: 0.08 + 0.004 + 0.02.
        ("grok-build-0.1", MAY15, "0.104"),
    ] {
        edge(
            name,
            launch,
            Currency::USD,
            &small(),
            Expect::Unpriced,
            total(price),
        );
    }
}

#[test]
fn grok_4_20_cut_to_the_grok_4_3_price() {
    // 2 / 0.20 / 6 -> 0.224 before; 1.25 / 0.20 / 2.50 -> 0.129 from 2026-05-06.
    for name in ["grok-4.20-0309-reasoning", "grok-4.20-0309-non-reasoning"] {
        edge(
            name,
            "2026-05-06T00:00:00Z",
            Currency::USD,
            &small(),
            total("0.224"),
            total("0.129"),
        );
    }
}

#[test]
fn grok_build_end_of_life_2026_11_19_0000_pt() {
    // 00:00 PST = 08:00 UTC. Before: 0.104 (above); after: refused, successor grok-4.7.
    edge(
        "grok-build-0.1",
        "2026-11-19T08:00:00Z",
        Currency::USD,
        &small(),
        total("0.104"),
        Expect::Retired("grok-4.7"),
    );
}

/// Prompt tokens (input + cache reads) of 199,999 / 200,000 / 200,001 with 10,000
/// output: the xAI pages bill "prompt reaches 200k" at the higher rate for all tokens.
fn prompts() -> [Usage; 3] {
    [
        usage(150_000, 49_999, 10_000),
        usage(150_000, 50_000, 10_000),
        usage(150_001, 50_000, 10_000),
    ]
}

#[test]
fn grok_200k_prompt_threshold() {
    let t = "2026-10-01T00:00:00Z";
    for (name, below, at_, above) in [
        // Standard 1.25 / 0.20 / 2.50: 0.1875 + 49,999*0.20/1M (0.0099998) + 0.025 = 0.2224998.
        // Long 2.50 / 0.40 / 5.00: 0.375 + 0.02 + 0.05 = 0.445; one more input token +0.0000025.
        ("grok-4.3", "0.2224998", "0.445", "0.4450025"),
        ("grok-4.20", "0.2224998", "0.445", "0.4450025"),
        ("grok-4.20-non-reasoning", "0.2224998", "0.445", "0.4450025"),
        // Standard 2 / 0.50 / 6: 0.3 + 0.0249995 + 0.06 = 0.3849995.
        // Long 4 / 1 / 12: 0.6 + 0.05 + 0.12 = 0.77; one more input token +0.000004.
        ("grok-4.5", "0.3849995", "0.77", "0.770004"),
        ("grok-4.6", "0.3849995", "0.77", "0.770004"),
        ("grok-4.7", "0.3849995", "0.77", "0.770004"),
    ] {
        let [b, a, o] = prompts();
        assert_eq!(
            at(name, t, Currency::USD, &b),
            total(below),
            "{name} 199,999"
        );
        assert_eq!(at(name, t, Currency::USD, &a), total(at_), "{name} 200,000");
        assert_eq!(
            at(name, t, Currency::USD, &o),
            total(above),
            "{name} 200,001"
        );
    }
    // Grok 4.20 before the cut: standard 2 / 0.20 / 6 = 0.3 + 0.0099998 + 0.06 = 0.3699998;
    // long 4 / 0.40 / 12 = 0.6 + 0.02 + 0.12 = 0.74; +1 input token at 4 = 0.740004.
    let t = "2026-04-01T00:00:00Z";
    let [b, a, o] = prompts();
    assert_eq!(at("grok-4.20", t, Currency::USD, &b), total("0.3699998"));
    assert_eq!(at("grok-4.20", t, Currency::USD, &a), total("0.74"));
    assert_eq!(at("grok-4.20", t, Currency::USD, &o), total("0.740004"));
}

#[test]
fn grok_4_3_batch_is_20_percent_off() {
    // 0.129 * 0.8 = 0.1032.
    assert_eq!(
        price(
            "grok-4.3",
            ts("2026-10-01T00:00:00Z"),
            Currency::USD,
            &small(),
            ServiceTier::Batch
        ),
        total("0.1032")
    );
}

// ---------------------------------------------------------------------------------------------
// Mistral

#[test]
fn mistral_small_4_starts_2026_03_16() {
    // 0.15 / 0.60, no cache rate: 0.15 + 0.15 + 0.60 = 0.90.
    edge(
        "mistral-small-2603",
        "2026-03-16T00:00:00Z",
        Currency::USD,
        &one_m_each(),
        Expect::Unpriced,
        total("0.90"),
    );
    // mistral-small-latest: Small 3 (0.10 / 0.30) = 0.1 + 0.1 + 0.3 = 0.5 before.
    edge(
        "mistral-small-latest",
        "2026-03-16T00:00:00Z",
        Currency::USD,
        &one_m_each(),
        total("0.5"),
        total("0.90"),
    );
}

#[test]
fn mistral_medium_latest_moves_to_3_5() {
    // 2508 0.40 / 2.00 -> 0.4 + 0.4 + 2 = 2.8; 2604 1.50 / 7.50 -> 1.5 + 1.5 + 7.5 = 10.5.
    edge(
        "mistral-medium-latest",
        "2026-04-29T00:00:00Z",
        Currency::USD,
        &one_m_each(),
        total("2.8"),
        total("10.5"),
    );
    // After the 2508 retirement it still prices, at Medium 3.5.
    assert_eq!(
        at(
            "mistral-medium-latest",
            "2026-09-01T00:00:00Z",
            Currency::USD,
            &one_m_each()
        ),
        total("10.5")
    );
}

#[test]
fn mistral_medium_3_and_3_1_retire_2026_08_31_paris() {
    // 2026-08-31 00:00 CEST = 2026-08-30 22:00 UTC. Before: 2.8 (above); then refused.
    for name in [
        "mistral-medium-2505",
        "mistral-medium-2508",
        "mistral-medium-3.1",
    ] {
        edge(
            name,
            "2026-08-30T22:00:00Z",
            Currency::USD,
            &one_m_each(),
            total("2.8"),
            Expect::Retired("mistral-medium-2604"),
        );
    }
}

#[test]
fn ministral_3_and_its_latest_aliases() {
    let t = "2025-12-02T00:00:00Z";
    let u = one_m_each();
    // 3b: 2410 0.04 x 3 = 0.12 before; 2512 0.10 x 3 = 0.30 at.
    edge(
        "ministral-3b-latest",
        t,
        Currency::USD,
        &u,
        total("0.12"),
        total("0.30"),
    );
    // 8b: 2410 0.10 x 3 = 0.30 before; 2512 0.15 x 3 = 0.45 at.
    edge(
        "ministral-8b-latest",
        t,
        Currency::USD,
        &u,
        total("0.30"),
        total("0.45"),
    );
    // 14b: new; 0.20 x 3 = 0.60.
    edge(
        "ministral-14b-latest",
        t,
        Currency::USD,
        &u,
        Expect::Unpriced,
        total("0.60"),
    );
    for (name, price) in [
        ("ministral-3b-2512", "0.30"),
        ("ministral-8b-2512", "0.45"),
        ("ministral-14b-2512", "0.60"),
    ] {
        edge(name, t, Currency::USD, &u, Expect::Unpriced, total(price));
    }
}

#[test]
fn new_mistral_models_start_at_their_launch() {
    let u = one_m_each();
    for (name, launch, price) in [
        // Devstral 2 0.40 / 2.00: 0.4 + 0.4 + 2 = 2.8.
        ("devstral-2512", "2025-12-09T00:00:00Z", "2.8"),
        ("devstral-latest", "2025-12-09T00:00:00Z", "2.8"),
        ("devstral-medium-2507", "2025-07-10T00:00:00Z", "2.8"),
        // Voxtral Small text tokens 0.10 / 0.30: 0.1 + 0.1 + 0.3 = 0.5.
        ("voxtral-small-2507", "2025-07-15T00:00:00Z", "0.5"),
        // Magistral Small 0.50 / 1.50: 0.5 + 0.5 + 1.5 = 2.5.
        ("magistral-small-2509", "2025-06-10T00:00:00Z", "2.5"),
        ("magistral-small-2507", "2025-06-10T00:00:00Z", "2.5"),
    ] {
        edge(
            name,
            launch,
            Currency::USD,
            &u,
            Expect::Unpriced,
            total(price),
        );
    }
    // Embeddings bill input only: 1M x 0.10 = 0.10.
    edge(
        "mistral-embed",
        "2023-12-11T00:00:00Z",
        Currency::USD,
        &usage(M, 0, 0),
        Expect::Unpriced,
        total("0.10"),
    );
    // Large 3 by its gateway name: 0.50 / 1.50 -> 0.5 + 0.5 + 1.5 = 2.5.
    assert_eq!(
        at("mistral-large-3", "2026-10-01T00:00:00Z", Currency::USD, &u),
        total("2.5")
    );
}

#[test]
fn codestral_2501_and_pixtral_12b_retire_on_mistral_dates() {
    let u = one_m_each();
    // codestral-2501 0.30 / 0.90: 0.3 + 0.3 + 0.9 = 1.5 until 2025-11-30 00:00 CET
    // (2025-11-29 23:00 UTC); then refused, successor Codestral 25.08.
    edge(
        "codestral-2501",
        "2025-11-29T23:00:00Z",
        Currency::USD,
        &u,
        total("1.5"),
        Expect::Retired("codestral-2508"),
    );
    // codestral-latest keeps pricing, on 2508 at the same 1.5.
    edge(
        "codestral-latest",
        "2025-11-29T23:00:00Z",
        Currency::USD,
        &u,
        total("1.5"),
        total("1.5"),
    );
    // pixtral-12b-2409 0.15 / 0.15: 0.45 until 2025-12-31 00:00 CET (2025-12-30 23:00 UTC).
    for name in ["pixtral-12b-2409", "pixtral-12b-latest"] {
        edge(
            name,
            "2025-12-30T23:00:00Z",
            Currency::USD,
            &u,
            total("0.45"),
            Expect::Retired("ministral-14b-2512"),
        );
    }
}

#[test]
fn first_open_mistral_models_and_saba() {
    let u = one_m_each();
    for (name, launch, price) in [
        // March 2024 page: open-mistral-7b 0.25 / 0.25 -> 0.75; open-mixtral-8x7b 0.7 x 3 = 2.1.
        ("open-mistral-7b", "2023-12-11T00:00:00Z", "0.75"),
        ("mistral-tiny", "2023-12-11T00:00:00Z", "0.75"),
        ("open-mixtral-8x7b", "2023-12-11T00:00:00Z", "2.1"),
        // Saba 0.20 / 0.60 (C): 0.2 + 0.2 + 0.6 = 1.0.
        ("mistral-saba-latest", "2025-02-17T00:00:00Z", "1.0"),
    ] {
        edge(
            name,
            launch,
            Currency::USD,
            &u,
            Expect::Unpriced,
            total(price),
        );
    }
}

#[test]
fn open_mixtral_8x22b_launch() {
    // 2.00 / 6.00, no cache rate: 2 + 2 + 6 = 10.
    edge(
        "open-mixtral-8x22b",
        "2024-04-17T00:00:00Z",
        Currency::USD,
        &one_m_each(),
        Expect::Unpriced,
        total("10"),
    );
}
