//! Answers that follow the clock: forecasts spread over the hours of their days,
//! weekly averages in `blend` and `compare`, the regime named by `cost`,
//! `estimate` and `prices`.
//!
//! Hand figures (catalog/deepseek.toml, schedules.toml): deepseek-v4-pro USD from
//! 2026-08-16 16:00 UTC, peak 1.32 in / 3.96 out, off-peak half (0.66 / 1.98);
//! peak 01:00–04:00 and 06:00–10:00 UTC (7 h) on Beijing weekdays that are not
//! CN statutory holidays. 1,000 requests × (10,000 in + 1,000 out) a day:
//! a whole day at peak = 10M × 1.32 + 1M × 3.96 = 17.16, off-peak 8.58.

use crate::{llmcost, s};

const V4: &[&str] = &[
    "forecast",
    "--model",
    "deepseek-v4-pro",
    "--requests-per-day",
    "1000",
    "--input",
    "10000",
    "--output",
    "1000",
    "--currency",
    "USD",
];

fn forecast(extra: &[&str]) -> serde_json::Value {
    let mut a = V4.to_vec();
    a.extend(extra);
    a.extend(["--format", "json"]);
    llmcost(&a).json()
}

fn rates(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["rates"]
        .as_array()
        .expect("rates")
        .iter()
        .map(|r| {
            (
                s(r, "regime").to_string(),
                s(r, "share").to_string(),
                s(r, "day_cost").to_string(),
            )
        })
        .collect()
}

fn own(x: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    x.iter()
        .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
        .collect()
}

#[test]
fn contract_week_of_2026_10_12_utc() {
    // Mon 2026-10-12 .. Sun 10-18, no CN holiday. A weekday: 7 h peak, 17 h
    // off-peak → 8.58 × (2×7 + 17)/24 = 11.0825; a weekend day 8.58.
    // 5 × 11.0825 + 2 × 8.58 = 55.4125 + 17.16 = 72.5725; peak share 35/168 = 5/24.
    let v = forecast(&["--from", "2026-10-12", "--days", "7"]);
    assert_eq!(s(&v, "period_total"), "72.5725");
    assert_eq!(s(&v, "period_total_fraction"), "29029/400");
    assert_eq!(v["exact"], true);
    // 72.5725 / 7 = 10.3675.
    assert_eq!(s(&v, "daily_total"), "10.3675");
    assert_eq!(s(&v, "currency"), "USD");
    assert_eq!(v["time_of_day"], true);
    assert_eq!(s(&v, "from"), "2026-10-12");
    assert_eq!(s(&v, "to"), "2026-10-18");
    assert_eq!(
        rates(&v),
        own(&[("peak", "5/24", "17.16"), ("off_peak", "19/24", "8.58")])
    );
}

#[test]
fn contract_office_hours_in_paris() {
    // 09:00–17:00 Paris in October 2026 is CEST (UTC+2) → 07:00–15:00 UTC; peak
    // 07–10 = 3 of 8 h: a weekday 8.58 × (2×3 + 5)/8 = 11.7975, a weekend day 8.58.
    // 5 × 11.7975 + 2 × 8.58 = 58.9875 + 17.16 = 76.1475; peak share 15/56.
    let v = forecast(&[
        "--from",
        "2026-10-12",
        "--days",
        "7",
        "--hours",
        "09:00-17:00",
        "--tz",
        "Europe/Paris",
    ]);
    assert_eq!(s(&v, "period_total"), "76.1475");
    assert_eq!(v["exact"], true);
    assert_eq!(s(&v, "at"), "2026-10-12T07:00:00Z");
    assert_eq!(
        rates(&v),
        own(&[("peak", "15/56", "17.16"), ("off_peak", "41/56", "8.58")])
    );
    // The daily average 76.1475 / 7 = 10.878214285714... has no finite decimal form.
    assert_eq!(s(&v, "daily_total_fraction"), "30459/2800");
}

#[test]
fn national_day_fortnight_with_make_up_workday() {
    // Beijing days 2026-09-28 (Mon) .. 10-11 (Sun). Peak on 09-28, 09-29, 09-30
    // and 10-08, 10-09 only: 10-01..10-07 are holidays, and 10-10 (Sat) is a
    // make-up working day (调休) that DeepSeek's Monday–Friday rule leaves
    // off-peak. 5 × 7 h of 336 h → peak 35/336 = 5/48.
    // Per day 8.58 × (2×5 + 43)/48 = 9.47375; 14 days = 132.6325.
    let v = forecast(&["--from", "2026-09-28", "--days", "14", "--tz", "+08:00"]);
    assert_eq!(s(&v, "period_total"), "132.6325");
    assert_eq!(
        rates(&v),
        own(&[("peak", "5/48", "17.16"), ("off_peak", "43/48", "8.58")])
    );
    // The holiday week alone (Thu 10-01 .. Wed 10-07) is off-peak throughout: 7 × 8.58.
    let v = forecast(&["--from", "2026-10-01", "--days", "7", "--tz", "+08:00"]);
    assert_eq!(s(&v, "period_total"), "60.06");
    assert_eq!(rates(&v), own(&[("off_peak", "1/1", "8.58")]));
}

#[test]
fn price_change_inside_the_period() {
    // 2026-08-14 (Fri) .. 08-17 (Mon), UTC days. Until 2026-08-16 16:00 the flat
    // row 0.435 / 0.87: a day = 4.35 + 0.87 = 5.22. From then peak/off-peak; the
    // weekend rule starts only 2026-08-22 16:00, so Monday 08-17 has 7 peak hours.
    //   08-14: 5.22; 08-15: 5.22; 08-16: 16/24 × 5.22 + 8/24 × 8.58 = 3.48 + 2.86 = 6.34;
    //   08-17: 8.58 × 31/24 = 11.0825. Total 27.8625.
    // Shares: standard (2 + 16/24)/4 = 2/3; peak (7/24)/4 = 7/96; off-peak (8/24 + 17/24)/4 = 25/96.
    let v = forecast(&["--from", "2026-08-14", "--days", "4"]);
    assert_eq!(s(&v, "period_total"), "27.8625");
    assert_eq!(
        rates(&v),
        own(&[
            ("standard", "2/3", "5.22"),
            ("peak", "7/96", "17.16"),
            ("off_peak", "25/96", "8.58"),
        ])
    );
}

#[test]
fn non_terminating_total_is_given_as_a_fraction() {
    // One request a day of one cache-read token: peak 0.044, off-peak 0.022 per 1M.
    // Monday 2026-10-12: (7 × 0.044 + 17 × 0.022)/24 per 1M = 0.682/24 /1M
    // = 0.000000682/24 = 341/12000000000, which has no finite decimal expansion.
    let v = llmcost(&[
        "forecast",
        "--model",
        "deepseek-v4-pro",
        "--requests-per-day",
        "1",
        "--input",
        "1",
        "--output",
        "0",
        "--cache-hit-rate",
        "1",
        "--from",
        "2026-10-12",
        "--days",
        "1",
        "--currency",
        "USD",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(v["exact"], false);
    assert_eq!(s(&v, "period_total_fraction"), "341/12000000000");
    assert_eq!(s(&v, "period_total"), "0.0000000284166666666666666667");
}

#[test]
fn blend_and_compare_average_a_week_from_a_bare_date() {
    // 3:1 blend, peak (3 × 1.32 + 3.96)/4 = 1.98, off-peak 0.99; the week from
    // Mon 2026-10-12: 1.98 × 5/24 + 0.99 × 19/24 = 0.99 × 29/24 = 1.19625.
    let v = llmcost(&[
        "blend",
        "--model",
        "deepseek-v4-pro",
        "--ratio",
        "3:1",
        "--at",
        "2026-10-12",
        "--format",
        "json",
    ])
    .json();
    let row = &v["rows"][0];
    assert_eq!(s(row, "price_per_million"), "1.19625");
    assert_eq!(s(row, "regime"), "weekly_average");
    assert_eq!(s(&v, "average_from"), "2026-10-12");
    assert_eq!(s(&row["by_regime"][0], "regime"), "peak");
    assert_eq!(s(&row["by_regime"][0], "value"), "1.98");
    assert_eq!(s(&row["by_regime"][1], "share"), "19/24");
    assert_eq!(s(&row["by_regime"][1], "value"), "0.99");
    // compare: 3M in + 1M out: peak 7.92, off-peak 3.96 → 3.96 × 29/24 = 4.785.
    let v = llmcost(&[
        "compare",
        "--model",
        "deepseek-v4-pro",
        "grok-4.3",
        "--input",
        "3000000",
        "--output",
        "1000000",
        "--at",
        "2026-10-12",
        "--currency",
        "USD",
        "--format",
        "json",
    ])
    .json();
    let rows = v["rows"].as_array().expect("rows");
    let pro = rows
        .iter()
        .find(|r| r["model"] == "deepseek-v4-pro")
        .expect("row");
    assert_eq!(s(pro, "total"), "4.785");
    assert_eq!(s(pro, "regime"), "weekly_average");
    // grok-4.3 (no time-of-day rule; a 3M-token prompt is above its 200K
    // long-context threshold: 2.50 / 5.00): 3 × 2.5 + 5 = 12.5, at one instant.
    let mm = rows.iter().find(|r| r["model"] == "grok-4.3").expect("row");
    assert_eq!(s(mm, "total"), "12.5");
    assert_eq!(s(mm, "regime"), "standard");
    assert!(mm.get("by_regime").is_none());
}

#[test]
fn prices_blend_and_cost_agree_on_the_regime_at_an_instant() {
    // Mon 2026-10-12 02:00 UTC is peak, 05:00 off-peak; Thu 2026-10-01 02:00 is a holiday.
    for (at, regime, blend) in [
        ("2026-10-12T02:00:00Z", "peak", "1.98"),
        ("2026-10-12T05:00:00Z", "off_peak", "0.99"),
        ("2026-10-01T02:00:00Z", "off_peak", "0.99"),
    ] {
        let p = llmcost(&["prices", "deepseek-v4-pro", "--at", at, "--format", "json"]).json();
        let usd = p["models"][0]["current"]
            .as_array()
            .expect("current")
            .iter()
            .find(|r| r["currency"] == "USD")
            .expect("USD row")
            .clone();
        assert_eq!(s(&usd, "rate_regime"), regime, "{at}");
        let b = llmcost(&[
            "blend",
            "--model",
            "deepseek-v4-pro",
            "--ratio",
            "3:1",
            "--at",
            at,
            "--format",
            "json",
        ])
        .json();
        assert_eq!(s(&b["rows"][0], "regime"), regime, "{at}");
        assert_eq!(s(&b["rows"][0], "price_per_million"), blend, "{at}");
        let c = llmcost(&[
            "cost",
            "--model",
            "deepseek-v4-pro",
            "--input",
            "1000000",
            "--at",
            at,
            "--format",
            "json",
        ])
        .json();
        assert_eq!(s(&c, "rate_regime"), regime, "{at}");
        let e = llmcost(&[
            "estimate",
            "--model",
            "deepseek-v4-pro",
            "--total-tokens",
            "1000000",
            "--input-share",
            "1",
            "--at",
            at,
            "--format",
            "json",
        ])
        .json();
        assert_eq!(s(&e, "rate_regime"), regime, "{at}");
    }
}

#[test]
fn prices_by_provider_current_first() {
    let v = llmcost(&[
        "prices",
        "--provider",
        "deepseek",
        "--at",
        "2026-10-12T02:00:00Z",
        "--format",
        "json",
    ])
    .json();
    let models = v["models"].as_array().expect("models");
    assert!(models.iter().all(|m| m["provider"] == "deepseek"));
    let current: Vec<bool> = models
        .iter()
        .map(|m| !m["current"].as_array().expect("current").is_empty())
        .collect();
    // Every model with a price in force comes before every model without.
    let first_ended = current.iter().position(|c| !c).unwrap_or(current.len());
    assert!(current[first_ended..].iter().all(|c| !c), "{current:?}");
    assert!(first_ended >= 2);
    let r = llmcost(&["prices", "--provider", "nosuch"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("deepseek"), "{}", r.stderr);
}

#[test]
fn time_of_day_footnote_only_where_a_window_applies() {
    let r = llmcost(&[
        "prices",
        "--provider",
        "xai",
        "--at",
        "2026-10-12T02:00:00Z",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("depends on the hour"), "{}", r.stdout);
    let r = llmcost(&[
        "prices",
        "--provider",
        "deepseek",
        "--at",
        "2026-10-12T02:00:00Z",
    ]);
    assert!(r.stdout.contains("depends on the hour"), "{}", r.stdout);
    // A mistral forecast has no time-of-day note; a DeepSeek one has.
    let r = llmcost(&[
        "forecast",
        "--model",
        "mistral-medium-3.1",
        "--requests-per-day",
        "10",
        "--input",
        "10",
        "--output",
        "10",
        "--from",
        "2025-10-01",
        "--days",
        "2",
    ]);
    assert!(!r.stdout.contains("time of day"), "{}", r.stdout);
}

#[test]
fn forecast_tables() {
    let mut a = V4.to_vec();
    a.extend(["--from", "2026-10-12", "--days", "7"]);
    let r = llmcost(&a);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("forecast_week_table", r.stdout);
    a.extend([
        "--hours",
        "09:00-17:00",
        "--tz",
        "Europe/Paris",
        "--format",
        "json",
    ]);
    let r = llmcost(&a);
    insta::assert_snapshot!("forecast_paris_json", r.stdout);
    let r = llmcost(&[
        "forecast",
        "--model",
        "deepseek-v4-flash",
        "--requests-per-day",
        "1000",
        "--input",
        "10000",
        "--output",
        "1000",
        "--from",
        "2026-09-07",
        "--days",
        "7",
        "--currency",
        "USD",
    ]);
    insta::assert_snapshot!("forecast_two_rows_table", r.stdout);
    let r = llmcost(&[
        "blend",
        "--model",
        "deepseek-v4-pro",
        "deepseek-flash",
        "grok-4.3",
        "--ratio",
        "3:1",
        "--at",
        "2026-10-12",
    ]);
    insta::assert_snapshot!("blend_week_table", r.stdout);
    let r = llmcost(&[
        "prices",
        "--provider",
        "deepseek",
        "--at",
        "2026-10-12T05:00:00Z",
    ]);
    insta::assert_snapshot!("prices_deepseek_off_peak_table", r.stdout);
}

#[test]
fn bad_clock_flags() {
    let mut a = V4.to_vec();
    a.extend(["--from", "2026-13-01"]);
    let r = llmcost(&a);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("--from"), "{}", r.stderr);
    let mut a = V4.to_vec();
    a.extend(["--from", "2026-10-12", "--tz", "Mars/Olympus"]);
    let r = llmcost(&a);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("--tz"), "{}", r.stderr);
    let mut a = V4.to_vec();
    a.extend(["--from", "2026-10-12", "--hours", "9-17"]);
    let r = llmcost(&a);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("--hours"), "{}", r.stderr);
    let mut a = V4.to_vec();
    a.extend(["--from", "2026-10-12", "--at", "2026-10-12"]);
    let r = llmcost(&a);
    assert_ne!(r.code, 0);
}

#[test]
fn legacy_name_moves_to_its_successor_inside_the_period() {
    // deepseek-v4-flash is billed as deepseek-flash from 2026-09-10 04:00 UTC.
    // Old row peak 0.44 / 1.32 → a day 4.4 + 1.32 = 5.72, off-peak 2.86;
    // deepseek-flash peak 0.30 / 1.20 → 3 + 1.2 = 4.2, off-peak 2.1.
    // Mon 09-07 .. Sun 09-13 (UTC days), 168 h:
    //   old peak: 3 × 7 h (Mon–Wed) + 3 h (Thu 01–04)            = 24 h → 1/7
    //   old off-peak: 3 × 17 h + 1 h (Thu 00–01)                 = 52 h → 13/42
    //   new peak: 4 h (Thu 06–10) + 7 h (Fri)                    = 11 h → 11/168
    //   new off-peak: 16 h (Thu) + 17 h (Fri) + 48 h (weekend)   = 81 h → 27/56
    // Total 5.72 × 24/24 + 2.86 × 52/24 + 4.2 × 11/24 + 2.1 × 81/24
    //     = (137.28 + 148.72 + 46.2 + 170.1)/24 = 502.3/24 = 5023/240 (20.929166…).
    let v = llmcost(&[
        "forecast",
        "--model",
        "deepseek-v4-flash",
        "--requests-per-day",
        "1000",
        "--input",
        "10000",
        "--output",
        "1000",
        "--from",
        "2026-09-07",
        "--days",
        "7",
        "--currency",
        "USD",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v, "period_total_fraction"), "5023/240");
    assert_eq!(v["exact"], false);
    let got: Vec<(String, String, String, String)> = v["rates"]
        .as_array()
        .expect("rates")
        .iter()
        .map(|r| {
            (
                s(r, "model").to_string(),
                s(r, "regime").to_string(),
                s(r, "share").to_string(),
                s(r, "day_cost").to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String, String, String)> = [
        ("deepseek-v4-flash", "peak", "1/7", "5.72"),
        ("deepseek-v4-flash", "off_peak", "13/42", "2.86"),
        ("deepseek-flash", "peak", "11/168", "4.2"),
        ("deepseek-flash", "off_peak", "27/56", "2.1"),
    ]
    .iter()
    .map(|(a, b, c, d)| ((*a).into(), (*b).into(), (*c).into(), (*d).into()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn a_period_past_a_retirement_says_where_it_stops() {
    let r = llmcost(&[
        "forecast",
        "--model",
        "deepseek-chat",
        "--requests-per-day",
        "1000",
        "--input",
        "10000",
        "--output",
        "1000",
        "--from",
        "2026-07-20",
        "--days",
        "7",
    ]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("reaches 2026-07-24 16:00 UTC") && r.stderr.contains("retired"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_period_past_the_holiday_calendar_is_flagged() {
    // cn-statutory lists 2026 only: a week from 2026-12-28 reaches 2027, whose
    // holidays (元旦 2027-01-01) are not in the catalog.
    let mut a = V4.to_vec();
    a.extend(["--from", "2026-12-28", "--days", "7", "--format", "json"]);
    let v = llmcost(&a).json();
    let w = v["warnings"][0].as_str().expect("a warning");
    assert!(w.contains("ends 2026-12-31"), "{w}");
    // The week inside 2026 has none.
    let v = forecast(&["--from", "2026-10-12", "--days", "7"]);
    assert!(v.get("warnings").is_none());
    let v = llmcost(&[
        "blend",
        "--model",
        "deepseek-v4-pro",
        "--ratio",
        "3:1",
        "--at",
        "2026-12-28",
        "--format",
        "json",
    ])
    .json();
    assert!(
        v["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("ends 2026-12-31"))
    );
}

#[test]
fn a_bare_date_says_it_was_priced_at_midnight_utc() {
    // 2026-10-12 00:00 UTC is 08:00 Beijing: off-peak. 1,000 input tokens × 0.66 /1M.
    let r = llmcost(&[
        "cost",
        "--model",
        "deepseek-v4-pro",
        "--input",
        "1000",
        "--at",
        "2026-10-12",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("0.00066"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("a date alone is priced at 00:00 UTC (off-peak for this model)"),
        "{}",
        r.stdout
    );
    // No hint where no window applies.
    let r = llmcost(&[
        "cost",
        "--model",
        "grok-4.3",
        "--input",
        "1000",
        "--at",
        "2026-10-12",
    ]);
    assert!(!r.stdout.contains("hint:"), "{}", r.stdout);
}
