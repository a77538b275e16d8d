use llmcost_core::Usage;
use llmcost_usage::{Error, Shape, extract_with_hint};

#[test]
fn forcing_xai_on_an_unknown_model() {
    let body = br#"{"model":"my-proxy-model","usage":{"prompt_tokens":100,"completion_tokens":10,
        "completion_tokens_details":{"reasoning_tokens":50}}}"#;
    let e = extract_with_hint(body, Some(Shape::Xai)).expect("extracts");
    assert_eq!(e.shape, Shape::Xai);
    assert_eq!(
        e.usage,
        Usage {
            input: 100,
            output: 10,
            reasoning: 50,
            ..Usage::default()
        }
    );
    // Auto-detection reads it as OpenAI, where 50 reasoning tokens cannot fit in 10.
    assert!(matches!(
        extract_with_hint(body, None),
        Err(Error::SubsetTooLarge { .. })
    ));
}

#[test]
fn forcing_deepseek_on_a_wrapped_body() {
    let body = br#"{"response":{"usage":{"prompt_tokens":100,"completion_tokens":1,"prompt_cache_hit_tokens":60,"prompt_cache_miss_tokens":40}}}"#;
    let e = extract_with_hint(body, Some(Shape::DeepSeek)).expect("extracts");
    assert_eq!(
        e.usage,
        Usage {
            input: 40,
            cache_read: 60,
            output: 1,
            ..Usage::default()
        }
    );
}

#[test]
fn forcing_anthropic_or_responses_on_input_tokens() {
    let body = br#"{"usage":{"input_tokens":100,"output_tokens":10}}"#;
    for shape in [Shape::Anthropic, Shape::OpenAiResponses] {
        let e = extract_with_hint(body, Some(shape)).expect("extracts");
        assert_eq!(e.shape, shape);
        assert_eq!(
            e.usage,
            Usage {
                input: 100,
                output: 10,
                ..Usage::default()
            }
        );
    }
}

#[test]
fn a_forced_shape_without_its_fields_is_an_error() {
    let body = br#"{"usage":{"prompt_tokens":100,"completion_tokens":10}}"#;
    let e = extract_with_hint(body, Some(Shape::Gemini)).expect_err("mismatch");
    assert_eq!(
        e.to_string(),
        "the usage is not Google Gemini usage: expected `usageMetadata.promptTokenCount` / `usageMetadata.candidatesTokenCount`"
    );
    assert!(matches!(
        extract_with_hint(body, Some(Shape::Anthropic)),
        Err(Error::ShapeMismatch {
            shape: Shape::Anthropic,
            ..
        })
    ));
}
