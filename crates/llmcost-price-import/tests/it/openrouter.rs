//! OpenRouter pricing strings onto the price model.

use llmcost_price_import::Format;

use crate::{d, fixture, load, rates, run};

#[test]
fn pricing_strings_become_rates_per_million() {
    let i = run(&fixture("openrouter_small.json"), Format::OpenRouter);
    let c = load(&i.toml);
    let r = rates(&c, "openai/gpt-4o");
    assert_eq!(
        (r.input, r.cache_read, r.output, r.reasoning),
        (Some(d("2.5")), Some(d("1.25")), Some(d("10")), None)
    );
    let r = rates(&c, "anthropic/claude-3.5-sonnet");
    assert_eq!(
        (r.input, r.cache_read, r.cache_write, r.output),
        (Some(d("3")), Some(d("0.3")), Some(d("3.75")), Some(d("15")))
    );
    let r = rates(&c, "mistralai/mistral-nemo");
    assert_eq!((r.input, r.output), (Some(d("0.0075")), Some(d("0.01"))));
    let r = rates(&c, "google/gemini-2.5-flash");
    assert_eq!(
        (r.cache_read, r.cache_write),
        (Some(d("0.075")), Some(d("0.3833")))
    );
    // A zero reasoning price means "billed as output"; a price means its own bucket.
    assert_eq!(
        rates(&c, "thinking/priced-reasoning").reasoning,
        Some(d("3"))
    );
    // Free variants are free.
    let r = rates(&c, "meta-llama/llama-3.3-70b-instruct:free");
    assert_eq!((r.input, r.output), (Some(d("0")), Some(d("0"))));
    let r = rates(&c, "weird/float-noise");
    assert_eq!((r.input, r.output), (Some(d("3")), Some(d("15"))));
    assert_eq!(i.rounded.len(), 2);
    let m = c.model("qwen/qwen3-235b-a22b").expect("model");
    assert_eq!(m.provider, "qwen");
    assert_eq!(m.name.as_deref(), Some("Qwen: Qwen3 235B A22B"));
}

#[test]
fn fees_and_router_models_are_listed() {
    let i = run(&fixture("openrouter_small.json"), Format::OpenRouter);
    let listed: Vec<(&str, &str)> = i
        .unmapped
        .iter()
        .map(|u| (u.model.as_str(), u.field.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("openai/gpt-4o", "image"),
            ("anthropic/claude-3.5-sonnet", "image"),
            ("openai/o3", "image"),
            ("openai/o3", "web_search"),
            ("perplexity/sonar-pro", "web_search"),
            ("google/gemini-2.5-flash", "audio"),
            ("google/gemini-2.5-flash", "image"),
            ("mistralai/mistral-nemo", "discount"),
        ]
    );
    let skipped: Vec<&str> = i.skipped.iter().map(|s| s.model.as_str()).collect();
    assert_eq!(skipped, ["openrouter/auto", "nopricing/model"]);
    assert!(i.skipped[0].reason.contains("variable"));
    assert_eq!(i.models, 16 - 2);
}
