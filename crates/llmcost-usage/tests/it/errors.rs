use llmcost_usage::{Error, extract};

use crate::{err, fixture};

#[test]
fn cached_larger_than_prompt() {
    assert_eq!(
        err(
            r#"{"usage":{"prompt_tokens":100,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":120}}}"#
        ),
        "field `usage.prompt_tokens_details.cached_tokens` (120) is larger than `usage.prompt_tokens` (100)"
    );
}

#[test]
fn cached_plus_writes_larger_than_prompt() {
    assert_eq!(
        err(
            r#"{"usage":{"prompt_tokens":100,"prompt_tokens_details":{"cached_tokens":60,"cache_write_tokens":50}}}"#
        ),
        "fields `usage.prompt_tokens_details.cached_tokens` + `usage.prompt_tokens_details.cache_write_tokens` add up to 110, more than `usage.prompt_tokens` (100)"
    );
}

#[test]
fn reasoning_larger_than_completion() {
    assert_eq!(
        err(
            r#"{"response":{"usage":{"input_tokens":1,"output_tokens":5,"output_tokens_details":{"reasoning_tokens":6},"total_tokens":6}}}"#
        ),
        "field `response.usage.output_tokens_details.reasoning_tokens` (6) is larger than `response.usage.output_tokens` (5)"
    );
}

#[test]
fn gemini_cached_larger_than_prompt() {
    assert_eq!(
        err(r#"{"usageMetadata":{"promptTokenCount":10,"cachedContentTokenCount":11}}"#),
        "field `usageMetadata.cachedContentTokenCount` (11) is larger than `usageMetadata.promptTokenCount` (10)"
    );
}

#[test]
fn deepseek_hit_larger_than_prompt() {
    assert_eq!(
        err(
            r#"{"usage":{"prompt_tokens":10,"prompt_cache_hit_tokens":11,"prompt_cache_miss_tokens":0}}"#
        ),
        "field `usage.prompt_cache_hit_tokens` (11) is larger than `usage.prompt_tokens` (10)"
    );
}

#[test]
fn anthropic_split_larger_than_total() {
    assert_eq!(
        err(
            r#"{"usage":{"input_tokens":1,"cache_creation_input_tokens":100,"cache_creation":{"ephemeral_5m_input_tokens":80,"ephemeral_1h_input_tokens":30},"output_tokens":1}}"#
        ),
        "fields `usage.cache_creation.ephemeral_5m_input_tokens` + `usage.cache_creation.ephemeral_1h_input_tokens` add up to 110, more than `usage.cache_creation_input_tokens` (100)"
    );
}

#[test]
fn part_without_its_total() {
    assert_eq!(
        err(r#"{"usage":{"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":5}}}"#),
        "field `usage.prompt_tokens_details.cached_tokens` is 5 but `usage.prompt_tokens` is missing"
    );
}

#[test]
fn negative_and_fractional_counts_name_the_field() {
    assert_eq!(
        err(r#"{"usage":{"prompt_tokens":-5,"completion_tokens":1}}"#),
        "field `usage.prompt_tokens` is not a valid token count: negative (-5)"
    );
    assert_eq!(
        err(r#"{"usage":{"prompt_tokens":5,"completion_tokens":1.5}}"#),
        "field `usage.completion_tokens` is not a valid token count: not an integer (1.5)"
    );
    assert_eq!(
        err(r#"{"usage":{"prompt_tokens":"many"}}"#),
        "field `usage.prompt_tokens` is not a valid token count: a string, expected a non-negative integer"
    );
    assert_eq!(
        err(
            r#"{"message":{"usage":{"input_tokens":5,"cache_creation":{"ephemeral_1h_input_tokens":-1}}}}"#
        ),
        "field `message.usage.cache_creation.ephemeral_1h_input_tokens` is not a valid token count: negative (-1)"
    );
    assert_eq!(
        err(r#"{"usage_metadata":{"prompt_token_count":5,"candidates_token_count":-2}}"#),
        "field `usage_metadata.candidates_token_count` is not a valid token count: negative (-2)"
    );
    assert_eq!(
        err(r#"{"prompt_tokens":5,"total_tokens":2.5}"#),
        "field `total_tokens` is not a valid token count: not an integer (2.5)"
    );
}

#[test]
fn no_usage_lists_the_accepted_shapes() {
    let m = err(r#"{"id":"x","choices":[]}"#);
    assert!(
        m.starts_with("no token usage found: expected an OpenAI Chat Completions"),
        "{m}"
    );
    for needle in [
        "`usage.prompt_tokens`",
        "`usage.input_tokens`",
        "`usageMetadata.promptTokenCount`",
        "`message_start`",
        "`response.completed`",
        "bare usage object",
    ] {
        assert!(m.contains(needle), "{needle} missing from {m}");
    }
    assert!(matches!(
        extract(br#"{"usage":{}}"#),
        Err(Error::NoUsage { null_usage: None })
    ));
    assert!(matches!(
        extract(br#"{"usage":{"total_tokens":5}}"#),
        Err(Error::NoUsage { .. })
    ));
}

#[test]
fn null_usage_says_where() {
    match extract(&fixture("openai_chat_stream_chunk_no_usage.json")) {
        Err(e @ Error::NoUsage { .. }) => {
            assert!(
                e.to_string()
                    .starts_with("no token usage found: `usage` is null"),
                "{e}"
            );
        }
        other => panic!("expected NoUsage, got {other:?}"),
    }
    match extract(br#"{"type":"response.created","response":{"id":"resp_1","usage":null}}"#) {
        Err(Error::NoUsage { null_usage }) => {
            assert_eq!(null_usage.as_deref(), Some("response.usage"))
        }
        other => panic!("expected NoUsage, got {other:?}"),
    }
}

#[test]
fn not_json_or_not_an_object() {
    assert!(matches!(extract(b"{\"usage\":"), Err(Error::Json(_))));
    assert!(matches!(extract(b"{} trailing"), Err(Error::Json(_))));
    assert!(matches!(extract(b""), Err(Error::Empty)));
    assert_eq!(
        extract(b"[1,2]").expect_err("array").to_string(),
        "expected a JSON object, found an array"
    );
    assert_eq!(
        extract(b"42").expect_err("number").to_string(),
        "expected a JSON object, found a number"
    );
}

#[test]
fn bad_reported_cost() {
    assert_eq!(
        err(r#"{"usage":{"prompt_tokens":1,"completion_tokens":1,"cost_in_usd_ticks":1.5}}"#),
        "field `usage.cost_in_usd_ticks` is not a valid cost: not an integer (1.5)"
    );
    assert_eq!(
        err(r#"{"usage":{"prompt_tokens":1,"completion_tokens":1,"cost":"free"}}"#),
        "field `usage.cost` is not a valid cost: a string, expected a number"
    );
}

#[test]
fn overflow_is_an_error_not_a_wrap() {
    let m = err(
        r#"{"usageMetadata":{"promptTokenCount":18446744073709551615,"toolUsePromptTokenCount":1}}"#,
    );
    assert_eq!(
        m,
        "token counts overflow 64 bits at `usageMetadata.toolUsePromptTokenCount`"
    );
}

#[test]
fn api_error_bodies_say_so() {
    assert_eq!(
        err(
            r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#
        ),
        r#"the document is an API error, not a response with usage: "Rate limit reached""#
    );
    // A batch line whose request failed.
    assert!(matches!(
        extract(br#"{"id":"batch_req_1","custom_id":"r1","response":null,"error":{"code":"x","message":"boom"}}"#),
        Err(Error::ApiError { message }) if message == "boom"
    ));
    // `"error": null` next to usage is no error.
    assert!(extract(br#"{"error":null,"usage":{"input_tokens":1,"output_tokens":1}}"#).is_ok());
}
