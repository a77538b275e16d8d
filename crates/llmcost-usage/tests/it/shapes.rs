use llmcost_core::{ServiceTier, Usage};
use llmcost_usage::{Shape, extract, extract_value};

use crate::{ex, extract_fixture, fixture};

fn usage(
    input: u64,
    cache_read: u64,
    cache_write: u64,
    cache_write_1h: u64,
    output: u64,
    reasoning: u64,
) -> Usage {
    Usage {
        input,
        cache_read,
        cache_write,
        cache_write_1h,
        output,
        reasoning,
        ..Usage::default()
    }
}

#[test]
fn openai_chat_cached_is_a_subset_of_prompt() {
    let e = extract_fixture("openai_chat.json");
    assert_eq!(e.shape, Shape::OpenAiChat);
    assert_eq!(e.usage, usage(86, 1920, 0, 0, 300, 0));
    assert_eq!(e.model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert_eq!(
        e.request_id.as_deref(),
        Some("chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG")
    );
    assert_eq!(e.service_tier, Some(ServiceTier::Standard));
    assert_eq!(e.at.map(|t| t.as_second()), Some(1_741_569_952));
    assert_eq!(e.reported_cost_usd_ticks, None);
    assert_eq!(e.usage.prompt_tokens(), 2006);
}

#[test]
fn openai_chat_reasoning_is_a_subset_of_completion_and_rejected_predictions_stay() {
    let e = extract_fixture("openai_chat_reasoning.json");
    assert_eq!(e.shape, Shape::OpenAiChat);
    assert_eq!(e.usage, usage(1200, 0, 0, 0, 260, 640));
    assert_eq!(e.usage.completion_tokens(), 900);
    assert_eq!(e.service_tier, Some(ServiceTier::Flex));
}

#[test]
fn openai_chat_cache_write_tokens_leave_input() {
    let e = ex(
        r#"{"model":"gpt-5.6","usage":{"prompt_tokens":5000,"completion_tokens":10,
        "prompt_tokens_details":{"cached_tokens":1024,"cache_write_tokens":3000}}}"#,
    );
    assert_eq!(e.usage, usage(976, 1024, 3000, 0, 10, 0));
}

#[test]
fn openai_chat_final_stream_chunk() {
    let e = extract_fixture("openai_chat_stream_usage_chunk.json");
    assert_eq!(e.shape, Shape::OpenAiChat);
    assert_eq!(e.usage, usage(14, 0, 0, 0, 9, 0));
}

#[test]
fn openai_responses_subsets() {
    let e = extract_fixture("openai_responses.json");
    assert_eq!(e.shape, Shape::OpenAiResponses);
    assert_eq!(e.usage, usage(30, 6, 0, 0, 75, 12));
    assert_eq!(e.model.as_deref(), Some("gpt-4.1-2025-04-14"));
    assert_eq!(e.service_tier, Some(ServiceTier::Priority));
    assert_eq!(e.at.map(|t| t.as_second()), Some(1_741_476_542));
    assert_eq!(
        e.request_id.as_deref(),
        Some("resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b")
    );
}

#[test]
fn deepseek_hit_and_miss() {
    let e = extract_fixture("deepseek_chat.json");
    assert_eq!(e.shape, Shape::DeepSeek);
    assert_eq!(e.usage, usage(220, 1280, 0, 0, 11, 81));
    assert_eq!(e.model.as_deref(), Some("deepseek-reasoner"));
}

#[test]
fn deepseek_by_model_falls_back_to_cached_tokens_then_to_all_input() {
    let e = ex(
        r#"{"model":"deepseek-chat","usage":{"prompt_tokens":100,"completion_tokens":5,
        "prompt_tokens_details":{"cached_tokens":64}}}"#,
    );
    assert_eq!(e.shape, Shape::DeepSeek);
    assert_eq!(e.usage, usage(36, 64, 0, 0, 5, 0));

    let e = ex(r#"{"model":"deepseek-chat","usage":{"prompt_tokens":100,"completion_tokens":5}}"#);
    assert_eq!(e.shape, Shape::DeepSeek);
    assert_eq!(e.usage, usage(100, 0, 0, 0, 5, 0));
}

#[test]
fn deepseek_hit_without_miss_leaves_the_rest_as_input() {
    let e =
        ex(r#"{"usage":{"prompt_tokens":100,"completion_tokens":5,"prompt_cache_hit_tokens":64}}"#);
    assert_eq!(e.shape, Shape::DeepSeek);
    assert_eq!(e.usage, usage(36, 64, 0, 0, 5, 0));
}

#[test]
fn anthropic_cache_fields_are_added_and_split_by_ttl() {
    let e = extract_fixture("anthropic_message.json");
    assert_eq!(e.shape, Shape::Anthropic);
    assert_eq!(e.usage, usage(21, 1800, 148, 100, 503, 0));
    assert_eq!(e.usage.prompt_tokens(), 21 + 1800 + 248);
    assert_eq!(e.service_tier, Some(ServiceTier::Standard));
    assert_eq!(e.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
    assert_eq!(
        e.request_id.as_deref(),
        Some("msg_01XFDUDYJgAACzvnptvVoYEL")
    );
    assert_eq!(e.at, None);
}

#[test]
fn anthropic_without_split_bills_all_writes_at_5m() {
    let e = ex(
        r#"{"type":"message","model":"claude-3-5-sonnet-20241022","usage":{"input_tokens":9,
        "cache_creation_input_tokens":32435,"cache_read_input_tokens":66360,"output_tokens":5120}}"#,
    );
    assert_eq!(e.usage, usage(9, 66360, 32435, 0, 5120, 0));
}

#[test]
fn anthropic_split_short_of_the_total_bills_the_rest_at_5m() {
    let e = ex(
        r#"{"usage":{"input_tokens":1,"cache_creation_input_tokens":300,
        "cache_creation":{"ephemeral_1h_input_tokens":100},"output_tokens":1}}"#,
    );
    assert_eq!(e.usage, usage(1, 0, 200, 100, 1, 0));
}

#[test]
fn anthropic_thinking_stays_in_output() {
    let e = ex(
        r#"{"model":"claude-opus-4-1","usage":{"input_tokens":10,"output_tokens":5120,
        "output_tokens_details":{"thinking_tokens":1710}}}"#,
    );
    assert_eq!(e.shape, Shape::Anthropic);
    assert_eq!(e.usage, usage(10, 0, 0, 0, 5120, 0));
}

#[test]
fn gemini_cached_subset_of_prompt() {
    let e = extract_fixture("gemini.json");
    assert_eq!(e.shape, Shape::Gemini);
    assert_eq!(e.usage, usage(262_960 - 257_955, 257_955, 0, 0, 1744, 0));
    assert_eq!(e.model.as_deref(), Some("gemini-2.5-pro"));
    assert_eq!(e.request_id.as_deref(), Some("mAitaLmkHPPlz7IPvtfUqQ4"));
    assert_eq!(e.usage.prompt_tokens(), 262_960);
}

#[test]
fn gemini_thoughts_and_tool_use_are_added() {
    let e = extract_fixture("gemini_thinking_tools.json");
    assert_eq!(e.usage, usage(1200 - 1024 + 300, 1024, 0, 0, 40, 850));
    assert_eq!(e.usage.total(), 2390);
}

#[test]
fn gemini_python_genai_snake_case() {
    let e = extract_fixture("gemini_python_genai.json");
    assert_eq!(e.shape, Shape::Gemini);
    assert_eq!(e.usage, usage(1952, 2048, 0, 0, 120, 33));
    assert_eq!(e.model.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(e.request_id.as_deref(), Some("py-genai-1"));
    assert_eq!(e.service_tier, Some(ServiceTier::Flex));
}

#[test]
fn vertex_traffic_type_is_the_tier() {
    let e = extract_fixture("vertex_gemini.json");
    assert_eq!(e.usage, usage(10, 0, 0, 0, 2, 0));
    assert_eq!(e.service_tier, Some(ServiceTier::Priority));
    let e =
        ex(r#"{"usageMetadata":{"promptTokenCount":1,"trafficType":"PROVISIONED_THROUGHPUT"}}"#);
    assert_eq!(e.service_tier, None);
}

#[test]
fn bare_usage_metadata_content() {
    let e = ex(
        r#"{"promptTokenCount":100,"cachedContentTokenCount":40,"candidatesTokenCount":7,"thoughtsTokenCount":3}"#,
    );
    assert_eq!(e.shape, Shape::Gemini);
    assert_eq!(e.usage, usage(60, 40, 0, 0, 7, 3));
}

#[test]
fn xai_reasoning_is_added_to_completion() {
    let e = extract_fixture("xai_chat.json");
    assert_eq!(e.shape, Shape::Xai);
    assert_eq!(e.usage, usage(9992, 128, 0, 0, 1499, 2809));
    assert_eq!(e.reported_cost_usd_ticks, Some(232_856_000));
    assert_eq!(e.usage.total(), 14428);
}

#[test]
fn xai_detected_by_model_alone() {
    let e = ex(
        r#"{"model":"x-ai/grok-3-mini","usage":{"prompt_tokens":14,"completion_tokens":1,
        "total_tokens":399,"completion_tokens_details":{"reasoning_tokens":384}}}"#,
    );
    assert_eq!(e.shape, Shape::Xai);
    assert_eq!(e.usage, usage(14, 0, 0, 0, 1, 384));
}

#[test]
fn xai_responses_api() {
    // Read like OpenAI Responses (reasoning ⊂ output) ...
    let e = ex(
        r#"{"object":"response","model":"grok-4-1-fast-reasoning","usage":{"input_tokens":199,
        "input_tokens_details":{"cached_tokens":163},"output_tokens":300,
        "output_tokens_details":{"reasoning_tokens":250},"total_tokens":499}}"#,
    );
    assert_eq!(e.shape, Shape::Xai);
    assert_eq!(e.usage, usage(36, 163, 0, 0, 50, 250));
    // ... unless `total_tokens` shows reasoning was counted apart.
    let e = ex(
        r#"{"object":"response","model":"grok-4","usage":{"input_tokens":199,
        "output_tokens":50,"output_tokens_details":{"reasoning_tokens":250},"total_tokens":499}}"#,
    );
    assert_eq!(e.usage, usage(199, 0, 0, 0, 50, 250));
}

#[test]
fn mistral_by_model_prefix() {
    let e = extract_fixture("mistral_chat.json");
    assert_eq!(e.shape, Shape::Mistral);
    assert_eq!(e.usage, usage(12, 0, 0, 0, 30, 0));
    for model in [
        "magistral-medium-2506",
        "codestral-latest",
        "open-mixtral-8x7b",
        "mistralai/devstral-small",
        "Pixtral-12B",
    ] {
        let body =
            format!(r#"{{"model":"{model}","usage":{{"prompt_tokens":1,"completion_tokens":1}}}}"#);
        assert_eq!(ex(&body).shape, Shape::Mistral, "{model}");
    }
}

#[test]
fn mistral_optional_cached_and_reasoning_details() {
    let e = ex(
        r#"{"model":"magistral-small-2509","usage":{"prompt_tokens":100,"completion_tokens":50,
        "prompt_tokens_details":{"cached_tokens":20},"completion_tokens_details":{"reasoning_tokens":30}}}"#,
    );
    assert_eq!(e.usage, usage(80, 20, 0, 0, 20, 30));
    let e = ex(
        r#"{"model":"mistral-medium-2508","usage":{"prompt_tokens":100,"completion_tokens":50,"num_cached_tokens":40}}"#,
    );
    assert_eq!(e.usage, usage(60, 40, 0, 0, 50, 0));
}

#[test]
fn openrouter_cost_and_cache_writes() {
    let e = extract_fixture("openrouter_chat.json");
    assert_eq!(e.shape, Shape::OpenRouter);
    assert_eq!(e.usage, usage(94, 0, 100, 0, 2, 0));
    assert_eq!(e.reported_cost_usd_ticks, Some(9_500_000_000));
    assert_eq!(e.model.as_deref(), Some("anthropic/claude-sonnet-4"));
}

#[test]
fn openrouter_small_costs_are_exact() {
    let e = ex(r#"{"usage":{"prompt_tokens":10,"completion_tokens":2,"cost":0.0001407}}"#);
    assert_eq!(e.shape, Shape::OpenRouter);
    assert_eq!(e.reported_cost_usd_ticks, Some(1_407_000));
}

#[test]
fn anthropic_openai_compatible_endpoint_uses_subset_rules() {
    let e = ex(
        r#"{"object":"chat.completion","model":"claude-sonnet-4-5","usage":{"prompt_tokens":3000,
        "completion_tokens":20,"prompt_tokens_details":{"cached_tokens":2048}}}"#,
    );
    assert_eq!(e.shape, Shape::OpenAiChat);
    assert_eq!(e.usage, usage(952, 2048, 0, 0, 20, 0));
}

#[test]
fn bare_usage_objects() {
    let e = ex(
        r#"{"prompt_tokens":2006,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":1920}}"#,
    );
    assert_eq!(e.shape, Shape::OpenAiChat);
    assert_eq!(e.usage, usage(86, 1920, 0, 0, 300, 0));

    let e = ex(
        r#"{"input_tokens":36,"input_tokens_details":{"cached_tokens":6},"output_tokens":87,
        "output_tokens_details":{"reasoning_tokens":12},"total_tokens":123}"#,
    );
    assert_eq!(e.shape, Shape::OpenAiResponses);
    assert_eq!(e.usage, usage(30, 6, 0, 0, 75, 12));

    let e = ex(r#"{"input_tokens":9,"cache_read_input_tokens":100,"output_tokens":3}"#);
    assert_eq!(e.shape, Shape::Anthropic);
    assert_eq!(e.usage, usage(9, 100, 0, 0, 3, 0));
}

#[test]
fn integral_floats_and_digit_strings_are_counts() {
    let e = ex(r#"{"usage":{"prompt_tokens":12.0,"completion_tokens":"30"}}"#);
    assert_eq!(e.usage, usage(12, 0, 0, 0, 30, 0));
}

#[test]
fn value_and_bytes_agree_on_every_fixture() {
    for name in [
        "openai_chat.json",
        "openai_chat_reasoning.json",
        "openai_responses.json",
        "openai_responses_completed_event.json",
        "deepseek_chat.json",
        "anthropic_message.json",
        "anthropic_message_start.json",
        "anthropic_message_delta.json",
        "gemini.json",
        "gemini_python_genai.json",
        "vertex_gemini.json",
        "xai_chat.json",
        "mistral_chat.json",
        "openrouter_chat.json",
        "log_wrapper_deepseek.json",
        "openai_batch_output_line.json",
        "anthropic_batch_result_line.json",
        "claude_code_line.json",
        "openai_realtime_response_done.json",
        "openai_chat_audio.json",
        "openai_responses_cache_write.json",
        "gemini_audio_input.json",
        "gemini_image_output.json",
        "xai_chat_modalities.json",
        "openai_images_gpt_image_1.json",
    ] {
        let bytes = fixture(name);
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert_eq!(
            extract(&bytes).expect("bytes"),
            extract_value(&v).expect("value"),
            "{name}"
        );
    }
}
