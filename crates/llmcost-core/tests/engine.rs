//! Cost engine rules, on rows built by hand from the provider docs
//! (pricing-rules.md) and the seed scenarios. Expected values are worked out by hand.

#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly"
)]

use std::sync::Arc;

use llmcost_core::*;
use proptest::prelude::*;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

fn rates(input: &str, cache_read: Option<&str>, output: &str) -> Rates {
    Rates {
        input: Some(d(input)),
        cache_read: cache_read.map(d),
        output: Some(d(output)),
        ..Rates::default()
    }
}

fn row(currency: Currency, r: Rates) -> PriceRowSpec {
    PriceRowSpec {
        from: ts("2024-01-01T00:00:00Z"),
        until: None,
        currency,
        rates: r,
        off_peak: None,
        long_context: None,
        service_tiers: vec![],
        thinking_output: false,
        source: "https://example.com/pricing".into(),
        note: None,
    }
}

fn at() -> Timestamp {
    ts("2025-01-15T12:00:00Z")
}

#[test]
fn s1_deepseek_day_with_cache_cny() {
    // 946,816 × 0.1 + 2,753,752 × 1 + 3,100,977 × 2, per 1M = 9.0503876 CNY.
    let r = PriceRow::new(row(Currency::CNY, rates("1", Some("0.1"), "2"))).unwrap();
    let u = Usage {
        input: 2_753_752,
        cache_read: 946_816,
        output: 3_100_977,
        ..Usage::default()
    };
    let c = r.price(&u, at(), ServiceTier::Standard).unwrap();
    assert_eq!(c.total, d("9.0503876"));
    assert_eq!(c.currency, Currency::CNY);
    let items: Vec<_> = c.items.iter().map(|i| (i.bucket, i.cost)).collect();
    assert_eq!(
        items,
        vec![
            (Bucket::Input, d("2.753752")),
            (Bucket::CacheRead, d("0.0946816")),
            (Bucket::Output, d("6.201954")),
        ]
    );
    // The fast path agrees.
    assert_eq!(
        r.total(&u, at(), ServiceTier::Standard).unwrap(),
        d("9.0503876")
    );
    // Same usage at the 2025-02-09 prices (0.5 / 2 / 8): 30.788728 CNY.
    let r2 = PriceRow::new(row(Currency::CNY, rates("2", Some("0.5"), "8"))).unwrap();
    assert_eq!(
        r2.total(&u, at(), ServiceTier::Standard).unwrap(),
        d("30.788728")
    );
}

#[test]
fn s3_s8_plain_input_output() {
    let large = PriceRow::new(row(Currency::USD, rates("2", None, "6"))).unwrap();
    let u = Usage {
        input: 297_429,
        output: 474_855,
        ..Usage::default()
    };
    let c = large.price(&u, at(), ServiceTier::Standard).unwrap();
    assert_eq!(c.total, d("3.443988"));
    assert_eq!(c.items[0].cost, d("0.594858"));
    assert_eq!(c.items[1].cost, d("2.84913"));
    let grok = PriceRow::new(row(Currency::USD, rates("2", None, "10"))).unwrap();
    let u = Usage {
        input: 1_000_000,
        output: 100_000,
        ..Usage::default()
    };
    assert_eq!(grok.total(&u, at(), ServiceTier::Standard).unwrap(), d("3"));
}

#[test]
fn cache_without_price_bills_as_input_and_says_so() {
    // Mistral published no cached price: cache reads are plain input.
    let r = PriceRow::new(row(Currency::USD, rates("2", None, "6"))).unwrap();
    let u = Usage {
        cache_read: 1_000_000,
        ..Usage::default()
    };
    let c = r.price(&u, at(), ServiceTier::Standard).unwrap();
    assert_eq!(c.total, d("2"));
    assert_eq!(c.items[0].rate_of, Bucket::Input);
}

#[test]
fn anthropic_cache_writes_by_ttl() {
    // Sonnet 4: input 3, 5m write 3.75, 1h write 6, read 0.30, output 15.
    let mut r = rates("3", Some("0.30"), "15");
    r.cache_write = Some(d("3.75"));
    r.cache_write_1h = Some(d("6"));
    let row = PriceRow::new(row(Currency::USD, r)).unwrap();
    // The docs' example: 248 written = 148 (5m) + 100 (1h).
    let u = Usage {
        input: 9,
        cache_write: 148,
        cache_write_1h: 100,
        cache_read: 66_360,
        output: 5_120,
        ..Usage::default()
    };
    // 9×3 + 148×3.75 + 100×6 + 66360×0.3 + 5120×15 = 27 + 555 + 600 + 19908 + 76800 = 97890 per 1M.
    assert_eq!(
        row.total(&u, at(), ServiceTier::Standard).unwrap(),
        d("0.09789")
    );
}

#[test]
fn one_hour_write_without_its_price_bills_at_five_minute_rate() {
    let mut r = rates("1", Some("0.1"), "5");
    r.cache_write = Some(d("1.25"));
    let row = PriceRow::new(row(Currency::USD, r)).unwrap();
    let u = Usage {
        cache_write_1h: 1_000_000,
        ..Usage::default()
    };
    let c = row.price(&u, at(), ServiceTier::Standard).unwrap();
    assert_eq!(c.total, d("1.25"));
    assert_eq!(c.items[0].rate_of, Bucket::CacheWrite);
}

#[test]
fn reasoning_bills_at_output_rate_unless_priced_apart() {
    let row = PriceRow::new(row(Currency::USD, rates("1.25", Some("0.2"), "2.5"))).unwrap();
    // xAI example: (10120−128)×1.25 + 128×0.20 + (1499+2809)×2.50 per 1M = 0.0232856 USD.
    let u = Usage {
        input: 9_992,
        cache_read: 128,
        output: 1_499,
        reasoning: 2_809,
        ..Usage::default()
    };
    assert_eq!(
        row.total(&u, at(), ServiceTier::Standard).unwrap(),
        d("0.0232856")
    );
}

#[test]
fn gemini_preview_thinking_output_price() {
    let mut r = rates("0.15", Some("0.0375"), "0.60");
    r.reasoning = Some(d("3.50"));
    let mut spec = row(Currency::USD, r);
    spec.thinking_output = true;
    let row = PriceRow::new(spec).unwrap();
    let no_thinking = Usage {
        output: 1_000_000,
        ..Usage::default()
    };
    assert_eq!(
        row.total(&no_thinking, at(), ServiceTier::Standard)
            .unwrap(),
        d("0.6")
    );
    let thinking = Usage {
        output: 1_000_000,
        reasoning: 1_000_000,
        ..Usage::default()
    };
    // All output at the thinking price when the response used thinking.
    assert_eq!(
        row.total(&thinking, at(), ServiceTier::Standard).unwrap(),
        d("7")
    );
    assert_eq!(
        row.price(&thinking, at(), ServiceTier::Standard)
            .unwrap()
            .total,
        d("7")
    );
}

fn sonnet_long_context() -> PriceRow {
    let mut base = rates("3", Some("0.30"), "15");
    base.cache_write = Some(d("3.75"));
    base.cache_write_1h = Some(d("6"));
    let mut lc = rates("6", Some("0.60"), "22.50");
    lc.cache_write = Some(d("7.50"));
    lc.cache_write_1h = Some(d("12"));
    let mut spec = row(Currency::USD, base);
    spec.long_context = Some(LongContext {
        threshold: 200_000,
        basis: TierBasis::Prompt,
        rates: lc,
    });
    spec.service_tiers = vec![(ServiceTier::Batch, TierPricing::Multiplier(d("0.5")))];
    PriceRow::new(spec).unwrap()
}

#[test]
fn long_context_reprices_the_whole_request_and_200k_is_standard() {
    let row = sonnet_long_context();
    // Exactly 200,000 input-side tokens (reads and writes count): standard.
    let at_threshold = Usage {
        input: 100_000,
        cache_read: 50_000,
        cache_write: 50_000,
        output: 1_000,
        ..Usage::default()
    };
    let c = row
        .price(&at_threshold, at(), ServiceTier::Standard)
        .unwrap();
    assert!(!c.regime.long_context);
    // 100000×3 + 50000×0.3 + 50000×3.75 + 1000×15 = 300000+15000+187500+15000 = 517500 per 1M.
    assert_eq!(c.total, d("0.5175"));
    // One more token: every bucket at the >200K rates, output included.
    let over = Usage {
        input: 100_001,
        ..at_threshold
    };
    let c = row.price(&over, at(), ServiceTier::Standard).unwrap();
    assert!(c.regime.long_context);
    // 100001×6 + 50000×0.6 + 50000×7.5 + 1000×22.5 = 600006+30000+375000+22500 = 1027506.
    assert_eq!(c.total, d("1.027506"));
    // Output alone never tips the tier.
    let out_heavy = Usage {
        input: 1_000,
        output: 500_000,
        ..Usage::default()
    };
    assert!(
        !row.price(&out_heavy, at(), ServiceTier::Standard)
            .unwrap()
            .regime
            .long_context
    );
}

#[test]
fn batch_multiplier_stacks_with_long_context_and_cache() {
    let row = sonnet_long_context();
    let over = Usage {
        input: 250_000,
        cache_read: 1_000,
        output: 2_000,
        ..Usage::default()
    };
    // (250000×6 + 1000×0.6 + 2000×22.5) × 0.5 / 1M = (1500000+600+45000)/2/1M = 0.7728.
    assert_eq!(
        row.total(&over, at(), ServiceTier::Batch).unwrap(),
        d("0.7728")
    );
    assert!(matches!(
        row.total(&over, at(), ServiceTier::Flex),
        Err(Error::NoServiceTier { .. })
    ));
}

#[test]
fn explicit_batch_table_and_no_long_context_batch() {
    let mut spec = row(Currency::USD, rates("2.5", Some("1.25"), "10"));
    spec.service_tiers = vec![(
        ServiceTier::Batch,
        TierPricing::Rates(rates("1.25", None, "5")),
    )];
    let r = PriceRow::new(spec).unwrap();
    let u = Usage {
        input: 1_000_000,
        output: 1_000_000,
        ..Usage::default()
    };
    assert_eq!(r.total(&u, at(), ServiceTier::Batch).unwrap(), d("6.25"));
}

#[test]
fn deepseek_2025_off_peak_window_prices() {
    let sched = Arc::new(Schedule {
        name: "deepseek-offpeak-2025".into(),
        kind: ScheduleKind::OffPeakWindows(vec![DayWindow::parse("16:30-00:30").unwrap()]),
    });
    let mut spec = row(Currency::USD, rates("0.55", Some("0.14"), "2.19"));
    spec.off_peak = Some(OffPeak {
        schedule: sched,
        rates: rates("0.135", Some("0.035"), "0.550"),
    });
    let r = PriceRow::new(spec).unwrap();
    let u = Usage {
        input: 1_000_000,
        cache_read: 1_000_000,
        output: 1_000_000,
        ..Usage::default()
    };
    let peak = r
        .price(&u, ts("2025-03-10T10:00:00Z"), ServiceTier::Standard)
        .unwrap();
    assert!(!peak.regime.off_peak);
    assert_eq!(peak.total, d("2.88"));
    let night = r
        .price(&u, ts("2025-03-10T18:00:00Z"), ServiceTier::Standard)
        .unwrap();
    assert!(night.regime.off_peak);
    assert_eq!(night.total, d("0.72"));
}

#[test]
fn missing_rate_is_an_error_not_zero() {
    let r = PriceRow::new(row(
        Currency::USD,
        Rates {
            input: Some(d("0.1")),
            ..Rates::default()
        },
    ))
    .unwrap();
    let u = Usage {
        output: 5,
        ..Usage::default()
    };
    assert!(matches!(
        r.total(&u, at(), ServiceTier::Standard),
        Err(Error::MissingRate {
            bucket: Bucket::Output,
            tokens: 5
        })
    ));
}

#[test]
fn invalid_rows_are_refused() {
    let mut neg = row(Currency::USD, rates("-1", None, "2"));
    assert!(PriceRow::new(neg.clone()).is_err());
    neg.rates = rates("1", None, "2");
    neg.until = Some(neg.from);
    assert!(PriceRow::new(neg.clone()).is_err());
    neg.until = None;
    neg.source = " ".into();
    assert!(PriceRow::new(neg).is_err());
}

#[test]
fn sub_micro_rates_are_exact() {
    // DeepSeek V4-Pro cache hit 0.003625 per 1M: 1 token costs 3.625e-9.
    let r = PriceRow::new(row(Currency::USD, rates("0.435", Some("0.003625"), "0.87"))).unwrap();
    let u = Usage {
        cache_read: 1,
        ..Usage::default()
    };
    assert_eq!(
        r.total(&u, at(), ServiceTier::Standard).unwrap(),
        d("0.000000003625")
    );
}

fn usage_strategy() -> impl Strategy<Value = Usage> {
    (
        0u64..1 << 40,
        0u64..1 << 40,
        0u64..1 << 40,
        0u64..1 << 40,
        0u64..1 << 40,
        0u64..1 << 40,
    )
        .prop_map(|(a, b, c, e, f, g)| Usage {
            input: a,
            cache_read: b,
            cache_write: c,
            cache_write_1h: e,
            output: f,
            reasoning: g,
            ..Usage::default()
        })
}

fn modal_strategy() -> impl Strategy<Value = Usage> {
    (usage_strategy(), proptest::array::uniform5(0u64..1 << 40)).prop_map(|(u, m)| Usage {
        input_audio: m[0],
        cache_read_audio: m[1],
        output_audio: m[2],
        input_image: m[3],
        output_image: m[4],
        ..u
    })
}

/// gemini-2.5-flash (prices.md row "current"): text/image/video 0.30, audio 1.00,
/// cache read 0.03 (audio 0.10), output 2.50.
fn gemini_flash_audio() -> Rates {
    let mut r = rates("0.30", Some("0.03"), "2.50");
    r.input_audio = Some(d("1.00"));
    r.cache_read_audio = Some(d("0.10"));
    r
}

#[test]
fn audio_input_bills_at_its_own_rate() {
    let r = PriceRow::new(row(Currency::USD, gemini_flash_audio())).unwrap();
    let u = Usage {
        input: 1_000,
        input_audio: 10_000,
        cache_read: 2_000,
        cache_read_audio: 4_000,
        output: 500,
        ..Usage::default()
    };
    // 1000×0.30 + 10000×1.00 + 2000×0.03 + 4000×0.10 + 500×2.50
    // = 300 + 10000 + 60 + 400 + 1250 = 12010 per 1M = 0.01201 USD.
    let c = r.price(&u, at(), ServiceTier::Standard).unwrap();
    assert_eq!(c.total, d("0.01201"));
    assert_eq!(
        r.total(&u, at(), ServiceTier::Standard).unwrap(),
        d("0.01201")
    );
    let audio = c
        .items
        .iter()
        .find(|i| i.bucket == Bucket::InputAudio)
        .unwrap();
    assert_eq!((audio.rate_of, audio.cost), (Bucket::InputAudio, d("0.01")));
}

#[test]
fn modality_without_its_rate_bills_at_the_text_rate_of_its_direction() {
    // Only text rates: 2 in, 0.5 cache read, 8 out.
    let r = PriceRow::new(row(Currency::USD, rates("2", Some("0.5"), "8"))).unwrap();
    let one = |b: Bucket| {
        let mut u = Usage::default();
        u.set(b, 1_000_000);
        let c = r.price(&u, at(), ServiceTier::Standard).unwrap();
        (c.total, c.items[0].rate_of)
    };
    assert_eq!(one(Bucket::InputAudio), (d("2"), Bucket::Input));
    assert_eq!(one(Bucket::InputImage), (d("2"), Bucket::Input));
    assert_eq!(one(Bucket::CacheReadAudio), (d("0.5"), Bucket::CacheRead));
    assert_eq!(one(Bucket::OutputAudio), (d("8"), Bucket::Output));
    assert_eq!(one(Bucket::OutputImage), (d("8"), Bucket::Output));
    // No cache-read rate either: an audio cache read bills as input.
    let plain = PriceRow::new(row(Currency::USD, rates("2", None, "8"))).unwrap();
    let u = Usage {
        cache_read_audio: 1_000_000,
        ..Usage::default()
    };
    let c = plain.price(&u, at(), ServiceTier::Standard).unwrap();
    assert_eq!((c.total, c.items[0].rate_of), (d("2"), Bucket::Input));
}

#[test]
fn audio_output_and_image_output_rates() {
    // gpt-realtime-style row: text 4 / 16, audio 32 in / 64 out, image in 5;
    // image output 30 (as an image model would publish).
    let mut rt = rates("4", Some("0.4"), "16");
    rt.input_audio = Some(d("32"));
    rt.cache_read_audio = Some(d("0.4"));
    rt.output_audio = Some(d("64"));
    rt.input_image = Some(d("5"));
    rt.output_image = Some(d("30"));
    let r = PriceRow::new(row(Currency::USD, rt)).unwrap();
    let u = Usage {
        input: 100,
        input_audio: 200,
        cache_read_audio: 1_000,
        input_image: 300,
        output: 50,
        output_audio: 400,
        output_image: 10,
        ..Usage::default()
    };
    // 100×4 + 200×32 + 1000×0.4 + 300×5 + 50×16 + 400×64 + 10×30
    // = 400 + 6400 + 400 + 1500 + 800 + 25600 + 300 = 35400 per 1M = 0.0354.
    assert_eq!(
        r.total(&u, at(), ServiceTier::Standard).unwrap(),
        d("0.0354")
    );
    assert_eq!(
        r.price(&u, at(), ServiceTier::Standard).unwrap().total,
        d("0.0354")
    );
}

#[test]
fn modality_rates_in_long_context_and_tiers() {
    let mut base = gemini_flash_audio();
    base.output_audio = Some(d("10"));
    let mut lc = rates("0.60", Some("0.06"), "5");
    lc.input_audio = Some(d("2"));
    let mut spec = row(Currency::USD, base);
    spec.long_context = Some(LongContext {
        threshold: 200_000,
        basis: TierBasis::Prompt,
        rates: lc,
    });
    let mut batch = rates("0.15", None, "1.25");
    batch.input_audio = Some(d("0.50"));
    spec.service_tiers = vec![
        (ServiceTier::Batch, TierPricing::Rates(batch)),
        (ServiceTier::Flex, TierPricing::Multiplier(d("0.5"))),
    ];
    let r = PriceRow::new(spec).unwrap();
    // Audio counts toward the prompt threshold: 150000 text + 50001 audio > 200000.
    let u = Usage {
        input: 150_000,
        input_audio: 50_001,
        output_audio: 1_000,
        ..Usage::default()
    };
    let c = r.price(&u, at(), ServiceTier::Standard).unwrap();
    assert!(c.regime.long_context);
    // 150000×0.60 + 50001×2 + 1000×5 (no audio-output rate in the tier: output)
    // = 90000 + 100002 + 5000 = 195002 per 1M.
    assert_eq!(c.total, d("0.195002"));
    let small = Usage {
        input: 1_000,
        input_audio: 2_000,
        output_audio: 100,
        ..Usage::default()
    };
    // Batch table: 1000×0.15 + 2000×0.50 + 100×1.25 = 150 + 1000 + 125 = 1275 per 1M.
    assert_eq!(
        r.total(&small, at(), ServiceTier::Batch).unwrap(),
        d("0.001275")
    );
    // Flex halves the standard rates: (1000×0.30 + 2000×1 + 100×10)/2 = 1650 per 1M.
    assert_eq!(
        r.total(&small, at(), ServiceTier::Flex).unwrap(),
        d("0.00165")
    );
}

#[test]
fn negative_modality_rate_is_refused() {
    let mut r = rates("1", None, "2");
    r.output_image = Some(d("-1"));
    assert!(matches!(
        PriceRow::new(row(Currency::USD, r)),
        Err(Error::InvalidRow(m)) if m.contains("output_image")
    ));
}

proptest! {
    #[test]
    fn cost_is_additive_and_never_negative(a in usage_strategy(), b in usage_strategy()) {
        let mut r = rates("3", Some("0.30"), "15");
        r.cache_write = Some(d("3.75"));
        r.cache_write_1h = Some(d("6"));
        let row = PriceRow::new(row(Currency::USD, r)).unwrap();
        let ca = row.total(&a, at(), ServiceTier::Standard).unwrap();
        let cb = row.total(&b, at(), ServiceTier::Standard).unwrap();
        let cab = row.total(&(a + b), at(), ServiceTier::Standard).unwrap();
        prop_assert_eq!(ca + cb, cab);
        prop_assert!(ca >= Decimal::ZERO);
        // Items sum to the total.
        let c = row.price(&a, at(), ServiceTier::Standard).unwrap();
        prop_assert_eq!(c.items.iter().map(|i| i.cost).sum::<Decimal>(), c.total);
        prop_assert_eq!(c.total, ca);
    }

    #[test]
    fn modal_cost_is_additive_and_items_sum(a in modal_strategy(), b in modal_strategy()) {
        let mut r = gemini_flash_audio();
        r.output_image = Some(d("30"));
        let row = PriceRow::new(row(Currency::USD, r)).unwrap();
        let ca = row.total(&a, at(), ServiceTier::Standard).unwrap();
        let cb = row.total(&b, at(), ServiceTier::Standard).unwrap();
        prop_assert_eq!(ca + cb, row.total(&(a + b), at(), ServiceTier::Standard).unwrap());
        let c = row.price(&a, at(), ServiceTier::Standard).unwrap();
        prop_assert_eq!(c.items.iter().map(|i| i.cost).sum::<Decimal>(), c.total);
        prop_assert_eq!(c.total, ca);
    }

    #[test]
    fn decimal_json_round_trip(m in 0i64..i64::MAX, scale in 0u32..12) {
        let x = Decimal::new(m, scale);
        let money = Money::new(x, Currency::CNY);
        let j = serde_json::to_string(&money).unwrap();
        let back: Money = serde_json::from_str(&j).unwrap();
        prop_assert_eq!(back, money);
    }
}
