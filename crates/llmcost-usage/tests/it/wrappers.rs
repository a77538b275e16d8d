use llmcost_core::{ServiceTier, Usage};
use llmcost_usage::Shape;

use crate::{ex, extract_fixture};

#[test]
fn responses_completed_event() {
    let e = extract_fixture("openai_responses_completed_event.json");
    assert_eq!(e.shape, Shape::OpenAiResponses);
    assert_eq!(
        e.usage,
        Usage {
            input: 1024,
            cache_read: 3072,
            output: 476,
            reasoning: 1024,
            ..Usage::default()
        }
    );
    assert_eq!(e.model.as_deref(), Some("gpt-5-2025-08-07"));
    assert_eq!(e.request_id.as_deref(), Some("resp_123abc"));
    assert_eq!(e.service_tier, Some(ServiceTier::Standard));
    assert_eq!(e.at.map(|t| t.as_second()), Some(1_740_855_869));
}

#[test]
fn anthropic_message_start_event() {
    let e = extract_fixture("anthropic_message_start.json");
    assert_eq!(e.shape, Shape::Anthropic);
    assert_eq!(
        e.usage,
        Usage {
            input: 472,
            cache_read: 2048,
            output: 2,
            ..Usage::default()
        }
    );
    assert_eq!(e.model.as_deref(), Some("claude-opus-4-1-20250805"));
    assert_eq!(e.service_tier, Some(ServiceTier::Priority));
}

#[test]
fn anthropic_message_delta_event() {
    let e = extract_fixture("anthropic_message_delta.json");
    assert_eq!(e.shape, Shape::Anthropic);
    assert_eq!(
        e.usage,
        Usage {
            input: 472,
            cache_read: 2048,
            output: 503,
            ..Usage::default()
        }
    );
    assert_eq!(e.model, None);
    // An older delta carries only the output count.
    let e = ex(
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#,
    );
    assert_eq!(e.shape, Shape::Anthropic);
    assert_eq!(
        e.usage,
        Usage {
            output: 15,
            ..Usage::default()
        }
    );
}

#[test]
fn log_line_with_timestamp_and_model() {
    let e = extract_fixture("log_wrapper_deepseek.json");
    assert_eq!(e.shape, Shape::DeepSeek);
    assert_eq!(
        e.usage,
        Usage {
            input: 6,
            output: 92,
            ..Usage::default()
        }
    );
    assert_eq!(e.model.as_deref(), Some("deepseek-chat"));
    assert_eq!(e.request_id.as_deref(), Some("d1"));
    assert_eq!(
        e.at.map(|t| t.to_string()).as_deref(),
        Some("2025-03-10T18:00:00Z")
    );
}

#[test]
fn wrapper_model_fills_in_when_the_body_has_none() {
    let e = ex(
        r#"{"timestamp":"2025-03-10T18:00:00Z","model":"deepseek-chat",
        "response":{"usage":{"prompt_tokens":10,"completion_tokens":1}}}"#,
    );
    assert_eq!(e.model.as_deref(), Some("deepseek-chat"));
    assert_eq!(e.shape, Shape::DeepSeek);
}

#[test]
fn the_echoed_model_wins_over_the_wrapper() {
    let e = ex(
        r#"{"model":"gpt-4o","body":{"model":"gpt-4o-2024-08-06","usage":{"prompt_tokens":10,"completion_tokens":1}}}"#,
    );
    assert_eq!(e.model.as_deref(), Some("gpt-4o-2024-08-06"));
}

#[test]
fn body_wrapper_and_json_in_a_string() {
    let e = ex(r#"{"body":{"usage":{"input_tokens":5,"output_tokens":6}}}"#);
    assert_eq!(
        e.usage,
        Usage {
            input: 5,
            output: 6,
            ..Usage::default()
        }
    );
    let e = ex(
        r#"{"model":"gpt-4o","body":"{\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":8}}"}"#,
    );
    assert_eq!(
        e.usage,
        Usage {
            input: 7,
            output: 8,
            ..Usage::default()
        }
    );
    assert_eq!(e.model.as_deref(), Some("gpt-4o"));
}

#[test]
fn non_object_wrapper_fields_are_ignored() {
    let e = ex(
        r#"{"message":"request done","response":{"usage":{"prompt_tokens":1,"completion_tokens":2}}}"#,
    );
    assert_eq!(
        e.usage,
        Usage {
            input: 1,
            output: 2,
            ..Usage::default()
        }
    );
}

#[test]
fn openai_batch_output_line_is_batch_tier() {
    let e = extract_fixture("openai_batch_output_line.json");
    assert_eq!(e.shape, Shape::OpenAiChat);
    assert_eq!(
        e.usage,
        Usage {
            input: 24,
            output: 15,
            ..Usage::default()
        }
    );
    assert_eq!(e.service_tier, Some(ServiceTier::Batch));
    assert_eq!(e.request_id.as_deref(), Some("chatcmpl-9758Iw"));
    assert_eq!(e.model.as_deref(), Some("gpt-4o-mini"));
}

#[test]
fn anthropic_batch_result_line_is_batch_tier() {
    let e = extract_fixture("anthropic_batch_result_line.json");
    assert_eq!(e.shape, Shape::Anthropic);
    assert_eq!(
        e.usage,
        Usage {
            input: 11,
            output: 36,
            ..Usage::default()
        }
    );
    assert_eq!(e.service_tier, Some(ServiceTier::Batch));
    assert_eq!(
        e.request_id.as_deref(),
        Some("msg_014VwiXbi91y3JMjcpyGBHX5")
    );
}

#[test]
fn claude_code_log_line() {
    let e = extract_fixture("claude_code_line.json");
    assert_eq!(e.shape, Shape::Anthropic);
    assert_eq!(
        e.usage,
        Usage {
            input: 4,
            cache_read: 66360,
            cache_write: 32435,
            output: 5120,
            ..Usage::default()
        }
    );
    assert_eq!(
        e.at.map(|t| t.to_string()).as_deref(),
        Some("2025-07-01T12:34:56.789Z")
    );
    assert_eq!(e.model.as_deref(), Some("claude-opus-4-1-20250805"));
}

#[test]
fn usage_beats_a_wrapped_body() {
    let e = ex(
        r#"{"usage":{"prompt_tokens":1,"completion_tokens":1},"response":{"usage":{"prompt_tokens":9,"completion_tokens":9}}}"#,
    );
    assert_eq!(e.usage.input, 1);
}

#[test]
fn double_encoded_document() {
    let e = ex(r#""{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}""#);
    assert_eq!(
        e.usage,
        Usage {
            input: 3,
            output: 4,
            ..Usage::default()
        }
    );
}
