//! `cost --usage`: bodies detected by shape, normalised, priced at their own time.

use crate::{fixture, llmcost, llmcost_stdin, s};

#[test]
fn openai_chat_body_with_cached_tokens() {
    // prompt 2006 ⊇ cached 1920; 300 completion; gpt-4o-2024-08-06 on 2024-11-01: 2.5 / 1.25 / 10.
    let body = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1730419200,"model":"gpt-4o-2024-08-06",
      "usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920}}}"#;
    let v = llmcost_stdin(&["cost", "--usage", "-", "--format", "json"], Some(body)).json();
    // 86×2.5 + 1920×1.25 + 300×10 = 215 + 2400 + 3000 = 5615 per 1M.
    assert_eq!(s(&v, "total"), "0.005615");
    assert_eq!(v["usage"]["input"], 86);
    assert_eq!(v["usage"]["cache_read"], 1920);
    assert_eq!(s(&v, "at"), "2024-11-01T00:00:00Z");
}

#[test]
fn anthropic_message_with_ttl_split() {
    let body = r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
      "usage":{"input_tokens":9,"cache_creation_input_tokens":248,"cache_read_input_tokens":66360,
      "cache_creation":{"ephemeral_5m_input_tokens":148,"ephemeral_1h_input_tokens":100},"output_tokens":5120}}"#;
    let v = llmcost_stdin(
        &[
            "cost",
            "--usage",
            "-",
            "--at",
            "2025-07-01T00:00:00Z",
            "--format",
            "json",
        ],
        Some(body),
    )
    .json();
    // 9×3 + 148×3.75 + 100×6 + 66360×0.3 + 5120×15 = 97890 per 1M.
    assert_eq!(s(&v, "total"), "0.09789");
}

#[test]
fn json_lines_total_and_per_model_with_a_bad_line() {
    let path = fixture("mixed.jsonl");
    let r = llmcost(&["cost", "--usage", &path, "--format", "json"]);
    // One malformed line: reported with its line, everything else priced, exit 1.
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("mixed.jsonl:3:"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["errors"]["count"], 1);
    assert_eq!(v["errors"]["first"][0]["line"], 3);
    assert_eq!(v["records"], 4);
    // gpt-4o-mini 2025-01-01: 1000×0.15 + 500×0.6 = 450 per 1M → twice = 0.0009.
    // grok-2-1212 2025-01-01: 1000×2 + 500×10 = 7000 per 1M = 0.007.
    // an unknown model is listed as unpriced with its tokens, not counted.
    assert_eq!(s(&v, "total"), "0.0079");
    let models: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| s(m, "model"))
        .collect();
    assert_eq!(models, vec!["gpt-4o-mini", "grok-2-1212"]);
    assert_eq!(s(&v["unpriced"][0], "model"), "my-private-model");
    assert_eq!(v["unpriced"][0]["tokens"], 1500);
}

#[test]
fn json_array_of_bodies() {
    let body = r#"[
      {"created":1735689600,"model":"gpt-4o-mini","usage":{"prompt_tokens":1000,"completion_tokens":500}},
      {"created":1735689600,"model":"gpt-4o-mini","usage":{"prompt_tokens":1000,"completion_tokens":500}}
    ]"#;
    let v = llmcost_stdin(&["cost", "--usage", "-", "--format", "json"], Some(body)).json();
    assert_eq!(s(&v, "total"), "0.0009");
    assert_eq!(v["records"], 2);
}

#[test]
fn json_lines_larger_than_one_block_are_streamed_with_exact_line_numbers() {
    // 70,000 lines (> 8 MiB, so the streamed path runs), one malformed at line 50,001.
    let good = r#"{"id":"c","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"padding padding padding padding"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}"#;
    let mut text = String::new();
    for i in 1..=70_000 {
        if i == 50_001 {
            text.push_str("{\"id\":\"broken\",\"usage\":\n");
        } else {
            text.push_str(good);
            text.push('\n');
        }
    }
    assert!(text.len() > 8 << 20);
    let dir = std::env::temp_dir().join(format!("llmcost-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("big.jsonl");
    std::fs::write(&path, &text).expect("write");
    let r = llmcost(&[
        "cost",
        "--usage",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("big.jsonl:50001:"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["records"], 69_999);
    assert_eq!(v["errors"]["count"], 1);
    // 69,999 × (1000 × 0.15 + 500 × 0.6) / 1M = 69,999 × 0.00045
    assert_eq!(s(&v, "total"), "31.49955");
}

/// Issue 11: three buckets of u64::MAX showed a total of u64::MAX. Totals are
/// exact (u128); a per-bucket sum over records that leaves 64 bits is refused.
#[test]
fn token_totals_never_saturate() {
    const MAX: u64 = u64::MAX;
    let one = format!(
        r#"{{"type":"message","model":"claude-sonnet-4-5","usage":{{"input_tokens":{MAX},"cache_read_input_tokens":{MAX},"output_tokens":{MAX}}}}}"#
    );
    let two = format!("{one}\n{one}\n");
    // One record: the table's total is 3 × (2^64 − 1) = 55,340,232,221,128,654,845.
    let r = llmcost_stdin(&["cost", "--usage", "-", "--at", "2026-01-01"], Some(&one));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("55,340,232,221,128,654,845"),
        "{}",
        r.stdout
    );
    // Two records: each bucket's sum is 2 × (2^64 − 1), refused with the bucket named.
    let r = llmcost_stdin(
        &[
            "cost",
            "--usage",
            "-",
            "--at",
            "2026-01-01",
            "--format",
            "json",
        ],
        Some(&two),
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("`input` tokens"), "{}", r.stderr);
    assert!(r.stderr.contains("2^64"), "{}", r.stderr);
    // Modality buckets appear in JSON only when non-zero, and count in total_tokens.
    // gpt-4o has no audio rates: audio bills at the text rates (2.50 / 10), so
    // 2 × (1500 × 2.5 + 1200 × 10) = 2 × 15750 = 31500 per 1M = 0.0315 USD.
    let audio = concat!(
        r#"{"model":"gpt-4o","usage":{"prompt_tokens":1500,"completion_tokens":1200,"#,
        r#""prompt_tokens_details":{"audio_tokens":1000},"completion_tokens_details":{"audio_tokens":1000}}}"#
    );
    let lines = format!("{audio}\n{audio}\n");
    let r = llmcost_stdin(
        &[
            "cost",
            "--usage",
            "-",
            "--at",
            "2026-01-01",
            "--format",
            "json",
        ],
        Some(&lines),
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let u = &v["usage"];
    assert_eq!(
        (u["input"].as_u64(), u["input_audio"].as_u64()),
        (Some(1000), Some(2000))
    );
    assert_eq!(
        (u["output"].as_u64(), u["output_audio"].as_u64()),
        (Some(400), Some(2000))
    );
    assert!(u.get("input_image").is_none(), "{u}");
    assert_eq!(u["total_tokens"].as_u64(), Some(5400));
    assert_eq!(crate::s(&v, "total"), "0.0315");
}

/// The modality flags of `cost`, priced by a user row with audio and image
/// rates (gemini-2.5-flash's: 0.30 / audio 1.00 / cached 0.03, audio 0.10 /
/// 2.50) and an image-output rate of 30.
#[test]
fn modality_flags_price_at_their_own_rates() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("voice.toml");
    std::fs::write(
        &file,
        "[[model]]\nid = \"my-voice\"\n[[model.price]]\ninput = \"0.30\"\ncache_read = \"0.03\"\n\
         output = \"2.50\"\ninput_audio = \"1.00\"\ncache_read_audio = \"0.10\"\noutput_image = \"30\"\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    let v = llmcost(&[
        "cost",
        "--model",
        "my-voice",
        "--catalog",
        path,
        "--input",
        "1000",
        "--input-audio",
        "10000",
        "--cache-read-audio",
        "4000",
        "--output-audio",
        "500",
        "--output-image",
        "1290",
        "--format",
        "json",
    ])
    .json();
    // 1000×0.30 + 10000×1.00 + 4000×0.10 + 500×2.50 (no audio-output rate: output)
    // + 1290×30 = 300 + 10000 + 400 + 1250 + 38700 = 50650 per 1M = 0.05065 USD.
    assert_eq!(s(&v, "total"), "0.05065");
    let items = v["items"].as_array().expect("items");
    let audio_out = items
        .iter()
        .find(|i| i["bucket"] == "output_audio")
        .expect("output_audio item");
    assert_eq!(audio_out["rate_of"], "output");
    assert_eq!(v["usage"]["input_audio"], 10000);
    // Modality flags and --usage exclude each other.
    let r = llmcost(&["cost", "--usage", "-", "--input-audio", "1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
