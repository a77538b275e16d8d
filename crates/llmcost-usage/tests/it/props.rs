use llmcost_usage::{extract, extract_ref};
use proptest::prelude::*;

proptest! {
    /// OpenAI-style usage: the buckets add back up to the reported totals.
    #[test]
    fn openai_buckets_add_up(prompt in 0u64..10_000_000, cached_frac in 0u64..=100, completion in 0u64..1_000_000, reasoning_frac in 0u64..=100) {
        let cached = prompt * cached_frac / 100;
        let reasoning = completion * reasoning_frac / 100;
        let body = format!(
            r#"{{"model":"gpt-5","usage":{{"prompt_tokens":{prompt},"completion_tokens":{completion},
            "prompt_tokens_details":{{"cached_tokens":{cached}}},"completion_tokens_details":{{"reasoning_tokens":{reasoning}}}}}}}"#
        );
        let u = extract(body.as_bytes()).expect("valid").usage;
        prop_assert_eq!(u.prompt_tokens(), u128::from(prompt));
        prop_assert_eq!(u.completion_tokens(), u128::from(completion));
        prop_assert_eq!(u.cache_read, cached);
        prop_assert_eq!(u.reasoning, reasoning);
    }

    /// Anthropic usage: every reported token lands in exactly one bucket.
    #[test]
    fn anthropic_buckets_add_up(input in 0u64..1_000_000, read in 0u64..1_000_000, m5 in 0u64..100_000, h1 in 0u64..100_000, output in 0u64..100_000) {
        let body = format!(
            r#"{{"type":"message","usage":{{"input_tokens":{input},"cache_read_input_tokens":{read},
            "cache_creation_input_tokens":{},"cache_creation":{{"ephemeral_5m_input_tokens":{m5},"ephemeral_1h_input_tokens":{h1}}},
            "output_tokens":{output}}}}}"#,
            m5 + h1
        );
        let u = extract(body.as_bytes()).expect("valid").usage;
        prop_assert_eq!(u.prompt_tokens(), u128::from(input + read + m5 + h1));
        prop_assert_eq!((u.cache_write, u.cache_write_1h, u.output), (m5, h1, output));
    }

    /// Arbitrary input is an error or a result, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = extract_ref(&bytes);
    }

    /// Arbitrary JSON-ish text around usage keys never panics either.
    #[test]
    fn arbitrary_usage_values_never_panic(
        key in prop::sample::select(vec!["prompt_tokens", "cached_tokens", "input_tokens", "promptTokenCount", "cache_creation", "cost", "created", "service_tier", "response", "body"]),
        value in prop::sample::select(vec!["-1", "1.5", "1e400", "\"7\"", "null", "true", "[]", "{}", "{\"cached_tokens\":3}", "18446744073709551615", "\"{\\\"usage\\\":{}}\""]),
    ) {
        let body = format!(r#"{{"usage":{{"prompt_tokens":5,"{key}":{value}}},"{key}":{value}}}"#);
        let _ = extract(body.as_bytes());
    }
}
