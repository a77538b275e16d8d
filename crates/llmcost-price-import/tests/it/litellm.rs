//! LiteLLM fields onto the price model, exact decimals, what is listed.

use llmcost_catalog::Layer;
use llmcost_core::{Currency, ServiceTier, TierBasis, TierPricing, Usage};
use llmcost_price_import::{Format, ImportOptions, import};

use crate::{IMPORTED, d, fixture, load, rates, run, ts};

#[test]
fn standard_cache_and_batch_rates_are_exact_per_million() {
    let i = run(&fixture("litellm_small.json"), Format::LiteLlm);
    let c = load(&i.toml);
    let r = rates(&c, "gpt-4o");
    assert_eq!(
        (r.input, r.cache_read, r.output),
        (Some(d("2.5")), Some(d("1.25")), Some(d("10")))
    );
    let row = c
        .resolve("gpt-4o", ts("2026-11-24T00:00:00Z"), None)
        .expect("row");
    match row.row.service_tier(ServiceTier::Batch) {
        Some(TierPricing::Rates(b)) => {
            assert_eq!((b.input, b.output), (Some(d("1.25")), Some(d("5"))));
        }
        other => panic!("batch: {other:?}"),
    }
    assert_eq!(row.origin().layer, Layer::Imported);
    assert_eq!(row.model.provider, "openai");
    assert_eq!(row.row.spec().source, "litellm.json");
    assert_eq!(row.row.spec().currency, Currency::USD);
    // 3.625e-09 per token is 0.003625 per million, exactly.
    let r = rates(&c, "tiny-float-model");
    assert_eq!(
        (r.input, r.output),
        (Some(d("0.003625")), Some(d("0.0145")))
    );
    // DeepSeek: cache hits, and a zero cache-write price kept as zero.
    let r = rates(&c, "deepseek/deepseek-chat");
    assert_eq!(
        (r.input, r.cache_read, r.cache_write, r.output),
        (
            Some(d("0.27")),
            Some(d("0.07")),
            Some(d("0")),
            Some(d("1.1"))
        )
    );
    // The id without LiteLLM's routing prefix is an alias (logs say `qwen-max`).
    assert_eq!(rates(&c, "qwen-max").input, Some(d("1.6")));
    assert_eq!(
        rates(&c, "meta-llama/Llama-3.3-70B-Instruct-Turbo").output,
        Some(d("0.88"))
    );
    // ...but never takes an id of the file: `azure/gpt-4o` keeps `gpt-4o` for the OpenAI row.
    assert_eq!(rates(&c, "gpt-4o").cache_read, Some(d("1.25")));
    assert_eq!(c.model("gpt-4o").expect("model").provider, "openai");
    let r = rates(&c, "deepseek/deepseek-reasoner-hit-only");
    assert_eq!(r.cache_read, Some(d("0.14")));
    // 1-hour cache writes.
    let r = rates(&c, "claude-opus-4-1m");
    assert_eq!(
        (r.cache_write, r.cache_write_1h),
        (Some(d("18.75")), Some(d("30")))
    );
    // Flex and priority tables; a bucket the tier leaves out takes the standard rate.
    let row = c
        .resolve("o3", ts("2026-11-24T00:00:00Z"), None)
        .expect("row");
    match row.row.service_tier(ServiceTier::Flex) {
        Some(TierPricing::Rates(f)) => assert_eq!(
            (f.input, f.cache_read, f.output),
            (Some(d("1")), Some(d("0.25")), Some(d("4")))
        ),
        other => panic!("flex: {other:?}"),
    }
    match row.row.service_tier(ServiceTier::Priority) {
        Some(TierPricing::Rates(p)) => assert_eq!(
            (p.input, p.cache_read, p.output),
            (Some(d("3.5")), Some(d("0.5")), Some(d("14")))
        ),
        other => panic!("priority: {other:?}"),
    }
}

#[test]
fn long_context_tiers() {
    let i = run(&fixture("litellm_small.json"), Format::LiteLlm);
    let c = load(&i.toml);
    let at = ts("2026-11-24T00:00:00Z");
    let r = c
        .resolve("claude-sonnet-4-20250514", at, None)
        .expect("row");
    let lc = r.row.spec().long_context.clone().expect("long context");
    assert_eq!((lc.threshold, lc.basis), (200_000, TierBasis::Prompt));
    assert_eq!(
        (
            lc.rates.input,
            lc.rates.cache_write,
            lc.rates.cache_read,
            lc.rates.output
        ),
        (
            Some(d("6")),
            Some(d("7.5")),
            Some(d("0.6")),
            Some(d("22.5"))
        )
    );
    // 250,000 input tokens cross 200K: 0.25 × 6 + 0.001 × 22.5 = 1.5225.
    let usage = Usage {
        input: 250_000,
        output: 1_000,
        ..Usage::default()
    };
    let (total, _) = c
        .price_usage(
            "claude-sonnet-4-20250514",
            at,
            Currency::USD,
            &usage,
            ServiceTier::Standard,
        )
        .expect("cost");
    assert_eq!(total, d("1.5225"));
    // Two tiers: the 128K tier is mapped (output falls back to standard);
    // the 200K fields are listed, not dropped.
    let r = c.resolve("gemini-2.5-pro-tiers", at, None).expect("row");
    let lc = r.row.spec().long_context.clone().expect("long context");
    assert_eq!(lc.threshold, 128_000);
    assert_eq!(
        (lc.rates.input, lc.rates.output),
        (Some(d("2")), Some(d("10")))
    );
    assert_eq!(r.row.spec().rates.reasoning, Some(d("10")));
    let listed: Vec<&str> = i
        .unmapped
        .iter()
        .filter(|u| u.model == "gemini-2.5-pro-tiers")
        .map(|u| u.field.as_str())
        .collect();
    assert_eq!(
        listed,
        [
            "input_cost_per_token_above_200k_tokens",
            "output_cost_per_token_above_200k_tokens"
        ]
    );
    let r = c.resolve("gemini/gemini-1.5-pro", at, None).expect("row");
    let lc = r.row.spec().long_context.clone().expect("long context");
    assert_eq!(
        (lc.threshold, lc.rates.input, lc.rates.output),
        (128_000, Some(d("2.5")), Some(d("10")))
    );
}

#[test]
fn what_cannot_be_mapped_is_listed() {
    let i = run(&fixture("litellm_small.json"), Format::LiteLlm);
    let fields = |m: &str| -> Vec<String> {
        i.unmapped
            .iter()
            .filter(|u| u.model == m)
            .map(|u| u.field.clone())
            .collect()
    };
    assert_eq!(
        fields("gpt-4o-audio-preview"),
        ["input_cost_per_audio_token", "output_cost_per_audio_token"]
    );
    assert_eq!(
        fields("gemini/gemini-1.5-pro"),
        [
            "input_cost_per_character",
            "input_cost_per_image",
            "input_cost_per_image_above_128k_tokens"
        ]
    );
    assert_eq!(
        fields("claude-sonnet-4-20250514"),
        ["search_context_cost_per_query"]
    );
    assert_eq!(fields("rerank-english-v3.0"), ["input_cost_per_query"]);
    assert_eq!(fields("string-price-model"), ["output_cost_per_token"]);
    assert_eq!(fields("negative-model"), ["input_cost_per_token"]);
    assert!(
        i.unmapped
            .iter()
            .any(|u| u.model == "negative-model" && u.reason.contains("negative"))
    );
    let skipped: Vec<&str> = i.skipped.iter().map(|s| s.model.as_str()).collect();
    assert_eq!(
        skipped,
        ["dall-e-3", "whisper-1", "no-price-model", "Azure/GPT-4O"],
        "{:?}",
        i.skipped
    );
    assert!(i.skipped[0].reason.contains("input_cost_per_pixel"));
    // Every listed field is also in the file.
    assert!(
        i.toml
            .contains("gpt-4o-audio-preview: input_cost_per_audio_token = 4e-05")
    );
    assert!(
        i.toml
            .contains("not priced: input_cost_per_audio_token, output_cost_per_audio_token")
    );
    // 31 entries: sample_spec is not a model, 3 have no token price, 1 duplicate.
    assert_eq!(i.models, 31 - 1 - 3 - 1);
}

#[test]
fn float_noise_is_rounded_and_reported() {
    let i = run(&fixture("litellm_small.json"), Format::LiteLlm);
    let c = load(&i.toml);
    let r = rates(&c, "float-noise-model");
    assert_eq!((r.input, r.output), (Some(d("3")), Some(d("15"))));
    let rounded: Vec<(&str, &str)> = i
        .rounded
        .iter()
        .map(|r| (r.written.as_str(), r.per_million.as_str()))
        .collect();
    assert_eq!(
        rounded,
        [
            ("2.9999999999999997e-06", "3"),
            ("1.5000000000000002e-05", "15")
        ]
    );
    // A string holding a number is read the same way.
    assert_eq!(rates(&c, "string-price-model").input, Some(d("1")));
}

#[test]
fn imported_rows_start_at_the_import_unless_told() {
    let text = fixture("litellm_small.json");
    let c = load(&run(&text, Format::LiteLlm).toml);
    let e = c
        .resolve("zai/glm-4.5", ts("2026-11-23T09:59:59Z"), None)
        .expect_err("no history before the import");
    assert!(e.to_string().contains("no price before"), "{e}");
    assert!(c.resolve("zai/glm-4.5", ts(IMPORTED), None).is_ok());
    assert_eq!(c.imports()[0].1.imported, ts(IMPORTED));
    let i = import(
        &text,
        &ImportOptions {
            format: Format::LiteLlm,
            source: "litellm.json".into(),
            imported: ts(IMPORTED),
            from: Some(ts("2025-01-01T00:00:00Z")),
        },
    )
    .expect("imports");
    let c = load(&i.toml);
    assert!(
        c.resolve("zai/glm-4.5", ts("2025-06-01T00:00:00Z"), None)
            .is_ok()
    );
}

#[test]
fn not_a_litellm_file() {
    let e = import(
        "[1, 2]",
        &ImportOptions {
            format: Format::LiteLlm,
            source: "x".into(),
            imported: ts(IMPORTED),
            from: None,
        },
    )
    .expect_err("array");
    assert!(e.to_string().contains("not a litellm price file"), "{e}");
    assert_eq!(
        Format::detect(&fixture("litellm_small.json")),
        Some(Format::LiteLlm)
    );
    assert_eq!(
        Format::detect(&fixture("openrouter_small.json")),
        Some(Format::OpenRouter)
    );
    assert_eq!(Format::detect("[]"), None);
}

/// Found by the `price_import` fuzz target: an entry with an empty key was
/// written as a model with an empty id, and the whole file did not load.
#[test]
fn an_empty_model_id_is_skipped() {
    let text = r#"{
        "": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "litellm_provider": "cohere"},
        "my-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "litellm_provider": "openai"}
    }"#;
    let i = run(text, Format::LiteLlm);
    assert_eq!(i.models, 1);
    assert!(
        i.skipped
            .iter()
            .any(|s| s.model.is_empty() && s.reason == "empty model id"),
        "{:?}",
        i.skipped
    );
    // 1e-06 per token = 1 per 1M tokens
    assert_eq!(rates(&load(&i.toml), "my-model").input, Some(d("1")));
}
