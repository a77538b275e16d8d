//! Cheaper, dearer, changed, new, gone between two catalogs.

use llmcost_price_import::{Change, Format, diff};

use crate::{fixture, load, run, ts};

#[test]
fn two_imports_compared() {
    let before = fixture("litellm_small.json");
    let after = before
        // gpt-4o cheaper on every rate it has
        .replace(
            "\"input_cost_per_token\": 2.5e-06,\n        \"output_cost_per_token\": 1e-05,\n        \"input_cost_per_token_batches\"",
            "\"input_cost_per_token\": 2e-06,\n        \"output_cost_per_token\": 8e-06,\n        \"input_cost_per_token_batches\"",
        )
        // glm dearer
        .replace("\"output_cost_per_token\": 2.2e-06", "\"output_cost_per_token\": 2.5e-06")
        // qwen gone, a new model
        .replace("\"dashscope/qwen-max\"", "\"dashscope/qwen-max-2026\"");
    assert_ne!(before, after);
    let a = load(&run(&before, Format::LiteLlm).toml);
    let b = load(&run(&after, Format::LiteLlm).toml);
    let rows = diff(&a, &b, ts("2026-11-24T00:00:00Z"));
    let changed: Vec<(&str, Change)> = rows
        .iter()
        .filter(|r| r.change != Change::Same)
        .map(|r| (r.model.as_str(), r.change))
        .collect();
    assert_eq!(
        changed,
        [
            ("dashscope/qwen-max", Change::Gone),
            ("dashscope/qwen-max-2026", Change::New),
            ("gpt-4o", Change::Cheaper),
            ("zai/glm-4.5", Change::Dearer),
        ]
    );
    let same = rows.iter().filter(|r| r.change == Change::Same).count();
    assert_eq!(same + 4, rows.len());
}
