//! OpenAI, Anthropic and Google rows added for issue 10: for every price
//! change, launch and retirement, a case one second before and one at the
//! instant; and cases at and one token above every long-context threshold.
//! Each expected total is worked out by hand from the cited source, per 1M
//! tokens: `0.1M x 5` is 100,000 tokens at $5 per million.
#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on a bad fixture"
)]

use llmcost_catalog::{Catalog, LookupError, PriceError};
use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};

fn cat() -> &'static Catalog {
    Catalog::builtin().unwrap_or_else(|e| panic!("built-in catalog invalid: {e}"))
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

fn price(name: &str, at: &str, u: Usage) -> Result<Decimal, PriceError> {
    cat().price_total(name, ts(at), Currency::USD, &u, ServiceTier::Standard)
}

/// The standard-tier USD total of `u` for `name` at `at` is `want`.
fn priced(name: &str, at: &str, u: Usage, want: &str) {
    let got = price(name, at, u).unwrap_or_else(|e| panic!("{name} at {at}: {e}"));
    let want: Decimal = want.parse().expect("decimal");
    assert_eq!(got, want, "{name} at {at}");
}

/// `name` has no price yet at `at` (the second before its first row).
fn not_yet(name: &str, at: &str) {
    match price(name, at, Usage::default()) {
        Err(PriceError::Lookup(LookupError::BeforeFirstPrice { .. })) => {}
        other => panic!("{name} at {at}: expected no price yet, got {other:?}"),
    }
}

/// `name` is refused at `at` as retired, naming `successor`.
fn retired(name: &str, at: &str, successor: &str) {
    match cat().resolve(name, ts(at), Some(Currency::USD)) {
        Err(LookupError::Retired { successor: s, .. }) => {
            assert_eq!(s.as_deref(), Some(successor), "{name} at {at}");
        }
        other => panic!("{name} at {at}: expected retired, got {other:?}"),
    }
}

/// A name whose (timed) alias ended at `at` is no longer priced.
fn gone(name: &str, at: &str) {
    match price(name, at, Usage::default()) {
        Err(PriceError::Lookup(LookupError::NoPriceAt { .. })) => {}
        other => panic!("{name} at {at}: expected no price, got {other:?}"),
    }
}

#[test]
fn anthropic_launches_changes_and_retirements() {
    // claude-opus-4-6 launch: not priced one second before
    not_yet("claude-opus-4-6", "2026-02-04T23:59:59Z");
    // claude-opus-4-6 launch (anthropic pricing (genai-prices anthropic.yml @47df840)):
    // 0.1M x 5 + 0.03M x 0.50 + 0.01M x 6.25 + 0.01M x 10 + 0.02M x 25 = 1.1775
    priced(
        "claude-opus-4-6",
        "2026-02-05T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "1.1775",
    );
    // claude-opus-4-6 before the change at 2026-03-13T00:00:00Z (claude.com/blog/1m-context-ga: surcharge removed 2026-03-13 (genai-prices)):
    // 0.25M x 10 + 0.01M x 37.50 = 2.875
    priced(
        "claude-opus-4-6",
        "2026-03-12T23:59:59Z",
        Usage {
            input: 250_000,
            output: 10_000,
            ..Usage::default()
        },
        "2.875",
    );
    // claude-opus-4-6 change at 2026-03-13T00:00:00Z (claude.com/blog/1m-context-ga: surcharge removed 2026-03-13 (genai-prices)):
    // 0.25M x 5 + 0.01M x 25 = 1.5
    priced(
        "claude-opus-4-6",
        "2026-03-13T00:00:00Z",
        Usage {
            input: 250_000,
            output: 10_000,
            ..Usage::default()
        },
        "1.5",
    );
    // claude-sonnet-4-6 launch: not priced one second before
    not_yet("claude-sonnet-4-6", "2026-02-16T23:59:59Z");
    // claude-sonnet-4-6 launch (anthropic pricing (genai-prices anthropic.yml @47df840)):
    // 0.1M x 3 + 0.03M x 0.30 + 0.01M x 3.75 + 0.01M x 6 + 0.02M x 15 = 0.7065
    priced(
        "claude-sonnet-4-6",
        "2026-02-17T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.7065",
    );
    // claude-sonnet-4-6 before the change at 2026-03-13T00:00:00Z (claude.com/blog/1m-context-ga (genai-prices)):
    // 0.25M x 6 + 0.01M x 22.50 = 1.725
    priced(
        "claude-sonnet-4-6",
        "2026-03-12T23:59:59Z",
        Usage {
            input: 250_000,
            output: 10_000,
            ..Usage::default()
        },
        "1.725",
    );
    // claude-sonnet-4-6 change at 2026-03-13T00:00:00Z (claude.com/blog/1m-context-ga (genai-prices)):
    // 0.25M x 3 + 0.01M x 15 = 0.9
    priced(
        "claude-sonnet-4-6",
        "2026-03-13T00:00:00Z",
        Usage {
            input: 250_000,
            output: 10_000,
            ..Usage::default()
        },
        "0.9",
    );
    // claude-opus-4-7 launch: not priced one second before
    not_yet("claude-opus-4-7", "2026-04-15T23:59:59Z");
    // claude-opus-4-7 launch (anthropic pricing (genai-prices anthropic.yml @47df840)):
    // 0.1M x 5 + 0.03M x 0.50 + 0.01M x 6.25 + 0.01M x 10 + 0.02M x 25 = 1.1775
    priced(
        "claude-opus-4-7",
        "2026-04-16T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "1.1775",
    );
    // claude-opus-4-8 launch: not priced one second before
    not_yet("claude-opus-4-8", "2026-05-27T23:59:59Z");
    // claude-opus-4-8 launch (anthropic pricing (genai-prices anthropic.yml @47df840)):
    // 0.1M x 5 + 0.03M x 0.50 + 0.01M x 6.25 + 0.01M x 10 + 0.02M x 25 = 1.1775
    priced(
        "claude-opus-4-8",
        "2026-05-28T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "1.1775",
    );
    // claude-fable-5 launch: not priced one second before
    not_yet("claude-fable-5", "2026-06-08T23:59:59Z");
    // claude-fable-5 launch (anthropic pricing (genai-prices anthropic.yml @47df840)):
    // 0.1M x 10 + 0.03M x 1 + 0.01M x 12.50 + 0.01M x 20 + 0.02M x 50 = 2.355
    priced(
        "claude-fable-5",
        "2026-06-09T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "2.355",
    );
    // claude-sonnet-5 launch: not priced one second before
    not_yet("claude-sonnet-5", "2026-06-29T23:59:59Z");
    // claude-sonnet-5 launch (anthropic pricing (genai-prices anthropic.yml @47df840)):
    // 0.1M x 2 + 0.03M x 0.20 + 0.01M x 2.50 + 0.01M x 4 + 0.02M x 10 = 0.471
    priced(
        "claude-sonnet-5",
        "2026-06-30T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.471",
    );
    // claude-sonnet-5 around 2026-09-01, when the announced rise to $3 / $15 was cancelled
    // (claudit v1.8.1 from the live pricing page; PromptFuel v1.0.22; the model page keeps $2 / $10):
    // 0.1M x 2 + 0.03M x 0.20 + 0.01M x 2.50 + 0.01M x 4 + 0.02M x 10 = 0.471
    priced(
        "claude-sonnet-5",
        "2026-08-31T23:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.471",
    );
    // At 2026-09-01 still 2 / 0.20 / 2.50 / 4 / 10 (not the peer's stale $3 / $15 = 0.7065): 0.471
    priced(
        "claude-sonnet-5",
        "2026-09-01T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.471",
    );
    // claude-opus-5 launch: not priced one second before
    not_yet("claude-opus-5", "2026-07-23T23:59:59Z");
    // claude-opus-5 launch (anthropic pricing (genai-prices anthropic.yml @47df840)):
    // 0.1M x 5 + 0.03M x 0.50 + 0.01M x 6.25 + 0.01M x 10 + 0.02M x 25 = 1.1775
    priced(
        "claude-opus-5",
        "2026-07-24T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "1.1775",
    );
    // claude-3-haiku-20240307 before retirement (retired 2026-04-20, 00:00 PDT = 07:00 UTC):
    // 0.1M x 0.25 + 0.03M x 0.03 + 0.01M x 0.30 + 0.01M x 0.50 + 0.02M x 1.25 = 0.0589
    priced(
        "claude-3-haiku-20240307",
        "2026-04-20T06:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.0589",
    );
    // claude-3-haiku-20240307 retired: refused at the instant, successor named
    retired(
        "claude-3-haiku-20240307",
        "2026-04-20T07:00:00Z",
        "claude-haiku-4-5-20251001",
    );
    // claude-sonnet-4-20250514 before retirement (retired 2026-06-15 00:00 PDT):
    // 0.1M x 3 + 0.03M x 0.30 + 0.01M x 3.75 + 0.01M x 6 + 0.02M x 15 = 0.7065
    priced(
        "claude-sonnet-4-20250514",
        "2026-06-15T06:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.7065",
    );
    // claude-sonnet-4-20250514 retired: refused at the instant, successor named
    retired(
        "claude-sonnet-4-20250514",
        "2026-06-15T07:00:00Z",
        "claude-sonnet-4-6",
    );
    // claude-sonnet-4-0 before retirement (alias retires with its snapshot):
    // 0.1M x 3 + 0.03M x 0.30 + 0.01M x 3.75 + 0.01M x 6 + 0.02M x 15 = 0.7065
    priced(
        "claude-sonnet-4-0",
        "2026-06-15T06:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.7065",
    );
    // claude-sonnet-4-0 retired: refused at the instant, successor named
    retired(
        "claude-sonnet-4-0",
        "2026-06-15T07:00:00Z",
        "claude-sonnet-4-6",
    );
    // claude-opus-4-20250514 before retirement (retired 2026-06-15 00:00 PDT):
    // 0.1M x 15 + 0.03M x 1.50 + 0.01M x 18.75 + 0.01M x 30 + 0.02M x 75 = 3.5325
    priced(
        "claude-opus-4-20250514",
        "2026-06-15T06:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "3.5325",
    );
    // claude-opus-4-20250514 retired: refused at the instant, successor named
    retired(
        "claude-opus-4-20250514",
        "2026-06-15T07:00:00Z",
        "claude-opus-4-8",
    );
    // claude-sonnet-4-5-20250929 before retirement (retires 2026-11-30 00:00 PST = 08:00 UTC):
    // 0.1M x 3 + 0.03M x 0.30 + 0.01M x 3.75 + 0.01M x 6 + 0.02M x 15 = 0.7065
    priced(
        "claude-sonnet-4-5-20250929",
        "2026-11-30T07:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.7065",
    );
    // claude-sonnet-4-5-20250929 retired: refused at the instant, successor named
    retired(
        "claude-sonnet-4-5-20250929",
        "2026-11-30T08:00:00Z",
        "claude-sonnet-5-5",
    );
}

#[test]
fn openai_launches_and_changes() {
    // gpt-5.4-mini launch: not priced one second before
    not_yet("gpt-5.4-mini", "2026-03-16T23:59:59Z");
    // gpt-5.4-mini launch (developers.openai.com pricing / model pages):
    // 0.1M x 0.75 + 0.05M x 0.075 + 0.02M x 4.50 = 0.16875
    priced(
        "gpt-5.4-mini",
        "2026-03-17T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.16875",
    );
    // gpt-5.4-nano launch: not priced one second before
    not_yet("gpt-5.4-nano", "2026-03-16T23:59:59Z");
    // gpt-5.4-nano launch (developers.openai.com pricing / model pages):
    // 0.1M x 0.20 + 0.05M x 0.02 + 0.02M x 1.25 = 0.046
    priced(
        "gpt-5.4-nano",
        "2026-03-17T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.046",
    );
    // gpt-5.3-chat-latest launch: not priced one second before
    not_yet("gpt-5.3-chat-latest", "2026-05-06T23:59:59Z");
    // gpt-5.3-chat-latest launch (developers.openai.com pricing / model pages):
    // 0.1M x 1.75 + 0.05M x 0.175 + 0.02M x 14 = 0.46375
    priced(
        "gpt-5.3-chat-latest",
        "2026-05-07T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.46375",
    );
    // gpt-5.3-codex launch: not priced one second before
    not_yet("gpt-5.3-codex", "2026-02-04T23:59:59Z");
    // gpt-5.3-codex launch (genai-prices):
    // 0.1M x 1.75 + 0.05M x 0.175 + 0.02M x 14 = 0.46375
    priced(
        "gpt-5.3-codex",
        "2026-02-05T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.46375",
    );
    // gpt-5.4-pro launch: not priced one second before
    not_yet("gpt-5.4-pro", "2026-03-04T23:59:59Z");
    // gpt-5.4-pro launch (genai-prices):
    // 0.1M x 30 + 0.02M x 180 = 6.6
    priced(
        "gpt-5.4-pro",
        "2026-03-05T00:00:00Z",
        Usage {
            input: 100_000,
            output: 20_000,
            ..Usage::default()
        },
        "6.6",
    );
    // gpt-5.5-pro launch: not priced one second before
    not_yet("gpt-5.5-pro", "2026-04-22T23:59:59Z");
    // gpt-5.5-pro launch (genai-prices, venice):
    // 0.1M x 30 + 0.02M x 180 = 6.6
    priced(
        "gpt-5.5-pro",
        "2026-04-23T00:00:00Z",
        Usage {
            input: 100_000,
            output: 20_000,
            ..Usage::default()
        },
        "6.6",
    );
    // gpt-5.6-luna launch: not priced one second before
    not_yet("gpt-5.6-luna", "2026-06-25T23:59:59Z");
    // gpt-5.6-luna launch (GPT-5.6 announcement 2026-06-26, cache writes 1.25x input):
    // 0.1M x 1 + 0.03M x 0.10 + 0.02M x 1.25 + 0.02M x 6 = 0.248
    priced(
        "gpt-5.6-luna",
        "2026-06-26T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.248",
    );
    // gpt-5.6-luna before the change at 2026-07-30T00:00:00Z (-80% on 2026-07-30 (OpenAI changelog)):
    // 0.1M x 1 + 0.03M x 0.10 + 0.02M x 1.25 + 0.02M x 6 = 0.248
    priced(
        "gpt-5.6-luna",
        "2026-07-29T23:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.248",
    );
    // gpt-5.6-luna change at 2026-07-30T00:00:00Z (-80% on 2026-07-30 (OpenAI changelog)):
    // 0.1M x 0.20 + 0.03M x 0.02 + 0.02M x 0.25 + 0.02M x 1.20 = 0.0496
    priced(
        "gpt-5.6-luna",
        "2026-07-30T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.0496",
    );
    // gpt-5.6-terra launch: not priced one second before
    not_yet("gpt-5.6-terra", "2026-06-25T23:59:59Z");
    // gpt-5.6-terra launch (GPT-5.6 announcement):
    // 0.1M x 2.50 + 0.03M x 0.25 + 0.02M x 3.125 + 0.02M x 15 = 0.62
    priced(
        "gpt-5.6-terra",
        "2026-06-26T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.62",
    );
    // gpt-5.6-terra before the change at 2026-07-30T00:00:00Z (-20% on 2026-07-30):
    // 0.1M x 2.50 + 0.03M x 0.25 + 0.02M x 3.125 + 0.02M x 15 = 0.62
    priced(
        "gpt-5.6-terra",
        "2026-07-29T23:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.62",
    );
    // gpt-5.6-terra change at 2026-07-30T00:00:00Z (-20% on 2026-07-30):
    // 0.1M x 2 + 0.03M x 0.20 + 0.02M x 2.50 + 0.02M x 12 = 0.496
    priced(
        "gpt-5.6-terra",
        "2026-07-30T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.496",
    );
    // gpt-5.6-sol launch: not priced one second before
    not_yet("gpt-5.6-sol", "2026-06-25T23:59:59Z");
    // gpt-5.6-sol launch (GPT-5.6 announcement):
    // 0.1M x 5 + 0.03M x 0.50 + 0.02M x 6.25 + 0.02M x 30 = 1.24
    priced(
        "gpt-5.6-sol",
        "2026-06-26T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "1.24",
    );
    // gpt-5.6-sol before the change at 2026-08-21T00:00:00Z (promotion from 2026-08-21 (OpenAI changelog via laozhang)):
    // 0.1M x 5 + 0.03M x 0.50 + 0.02M x 6.25 + 0.02M x 30 = 1.24
    priced(
        "gpt-5.6-sol",
        "2026-08-20T23:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "1.24",
    );
    // gpt-5.6-sol change at 2026-08-21T00:00:00Z (promotion from 2026-08-21 (OpenAI changelog via laozhang)):
    // 0.1M x 4 + 0.03M x 0.40 + 0.02M x 5 + 0.02M x 20 = 0.912
    priced(
        "gpt-5.6-sol",
        "2026-08-21T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.912",
    );
    // gpt-5.6 before the change at 2026-08-21T00:00:00Z (gpt-5.6 routes to Sol (OpenAI model page)):
    // 0.1M x 5 + 0.03M x 0.50 + 0.02M x 6.25 + 0.02M x 30 = 1.24
    priced(
        "gpt-5.6",
        "2026-08-20T23:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "1.24",
    );
    // gpt-5.6 change at 2026-08-21T00:00:00Z (gpt-5.6 routes to Sol (OpenAI model page)):
    // 0.1M x 4 + 0.03M x 0.40 + 0.02M x 5 + 0.02M x 20 = 0.912
    priced(
        "gpt-5.6",
        "2026-08-21T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 20_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.912",
    );
    // text-embedding-3-small launch: not priced one second before
    not_yet("text-embedding-3-small", "2024-01-24T23:59:59Z");
    // text-embedding-3-small launch (openai.com/index/new-embedding-models-and-api-updates):
    // 1M x 0.02 = 0.02
    priced(
        "text-embedding-3-small",
        "2024-01-25T00:00:00Z",
        Usage {
            input: 1_000_000,
            ..Usage::default()
        },
        "0.02",
    );
    // text-embedding-3-large launch: not priced one second before
    not_yet("text-embedding-3-large", "2024-01-24T23:59:59Z");
    // text-embedding-3-large launch (openai.com/index/new-embedding-models-and-api-updates):
    // 1M x 0.13 = 0.13
    priced(
        "text-embedding-3-large",
        "2024-01-25T00:00:00Z",
        Usage {
            input: 1_000_000,
            ..Usage::default()
        },
        "0.13",
    );
    // text-embedding-ada-002 launch: not priced one second before
    not_yet("text-embedding-ada-002", "2024-01-24T23:59:59Z");
    // text-embedding-ada-002 launch (openai.com/index/new-embedding-models-and-api-updates):
    // 1M x 0.10 = 0.1
    priced(
        "text-embedding-ada-002",
        "2024-01-25T00:00:00Z",
        Usage {
            input: 1_000_000,
            ..Usage::default()
        },
        "0.1",
    );
}

#[test]
fn dated_snapshot_names() {
    // gpt-5.4-2026-03-05 launch: not priced one second before
    not_yet("gpt-5.4-2026-03-05", "2026-03-04T23:59:59Z");
    // gpt-5.4-2026-03-05 launch (snapshot of gpt-5.4):
    // 0.1M x 2.50 + 0.05M x 0.25 + 0.02M x 15 = 0.5625
    priced(
        "gpt-5.4-2026-03-05",
        "2026-03-05T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.5625",
    );
    // gpt-5.4-mini-2026-03-17 launch: not priced one second before
    not_yet("gpt-5.4-mini-2026-03-17", "2026-03-16T23:59:59Z");
    // gpt-5.4-mini-2026-03-17 launch (snapshot of gpt-5.4-mini):
    // 0.1M x 0.75 + 0.05M x 0.075 + 0.02M x 4.50 = 0.16875
    priced(
        "gpt-5.4-mini-2026-03-17",
        "2026-03-17T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.16875",
    );
    // claude-sonnet-4-6-20260217 launch: not priced one second before
    not_yet("claude-sonnet-4-6-20260217", "2026-02-16T23:59:59Z");
    // claude-sonnet-4-6-20260217 launch (snapshot of claude-sonnet-4-6):
    // 0.1M x 3 + 0.03M x 0.30 + 0.01M x 3.75 + 0.01M x 6 + 0.02M x 15 = 0.7065
    priced(
        "claude-sonnet-4-6-20260217",
        "2026-02-17T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 30_000,
            cache_write: 10_000,
            cache_write_1h: 10_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.7065",
    );
}

#[test]
fn google_launches_changes_and_shutdowns() {
    // gemini-3-pro-preview launch: not priced one second before
    not_yet("gemini-3-pro-preview", "2025-11-17T23:59:59Z");
    // gemini-3-pro-preview launch (ai.google.dev pricing / deprecations / changelog):
    // 0.1M x 2 + 0.05M x 0.20 + 0.02M x 12 = 0.45
    priced(
        "gemini-3-pro-preview",
        "2025-11-18T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.45",
    );
    // gemini-3-pro-preview before retirement (shut down 2026-03-09 00:00 PDT):
    // 0.1M x 2 + 0.05M x 0.20 + 0.02M x 12 = 0.45
    priced(
        "gemini-3-pro-preview",
        "2026-03-09T06:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.45",
    );
    // gemini-3-pro-preview retired: refused at the instant, successor named
    retired(
        "gemini-3-pro-preview",
        "2026-03-09T07:00:00Z",
        "gemini-3.1-pro-preview",
    );
    // gemini-3.1-pro-preview launch: not priced one second before
    not_yet("gemini-3.1-pro-preview", "2026-02-18T23:59:59Z");
    // gemini-3.1-pro-preview launch (ai.google.dev pricing / deprecations / changelog):
    // 0.1M x 2 + 0.05M x 0.20 + 0.02M x 12 = 0.45
    priced(
        "gemini-3.1-pro-preview",
        "2026-02-19T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.45",
    );
    // gemini-3-flash-preview launch: not priced one second before
    not_yet("gemini-3-flash-preview", "2025-12-16T23:59:59Z");
    // gemini-3-flash-preview launch (ai.google.dev pricing / deprecations / changelog):
    // 0.1M x 0.50 + 0.05M x 0.05 + 0.02M x 3 = 0.1125
    priced(
        "gemini-3-flash-preview",
        "2025-12-17T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.1125",
    );
    // gemini-3.1-flash-lite-preview launch: not priced one second before
    not_yet("gemini-3.1-flash-lite-preview", "2026-03-02T23:59:59Z");
    // gemini-3.1-flash-lite-preview launch (ai.google.dev pricing / deprecations / changelog):
    // 0.1M x 0.25 + 0.05M x 0.025 + 0.02M x 1.50 = 0.05625
    priced(
        "gemini-3.1-flash-lite-preview",
        "2026-03-03T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.05625",
    );
    // gemini-3.1-flash-lite-preview before retirement (shut down 2026-05-25 00:00 PDT):
    // 0.1M x 0.25 + 0.05M x 0.025 + 0.02M x 1.50 = 0.05625
    priced(
        "gemini-3.1-flash-lite-preview",
        "2026-05-25T06:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.05625",
    );
    // gemini-3.1-flash-lite-preview retired: refused at the instant, successor named
    retired(
        "gemini-3.1-flash-lite-preview",
        "2026-05-25T07:00:00Z",
        "gemini-3.1-flash-lite",
    );
    // gemini-3.1-flash-lite launch: not priced one second before
    not_yet("gemini-3.1-flash-lite", "2026-05-06T23:59:59Z");
    // gemini-3.1-flash-lite launch (ai.google.dev pricing / deprecations / changelog):
    // 0.1M x 0.25 + 0.05M x 0.025 + 0.02M x 1.50 = 0.05625
    priced(
        "gemini-3.1-flash-lite",
        "2026-05-07T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.05625",
    );
    // gemini-3.5-flash launch: not priced one second before
    not_yet("gemini-3.5-flash", "2026-05-18T23:59:59Z");
    // gemini-3.5-flash launch (ai.google.dev pricing / deprecations / changelog):
    // 0.1M x 1.50 + 0.05M x 0.15 + 0.02M x 9 = 0.3375
    priced(
        "gemini-3.5-flash",
        "2026-05-19T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.3375",
    );
    // gemini-3.5-flash-lite launch: not priced one second before
    not_yet("gemini-3.5-flash-lite", "2026-07-20T23:59:59Z");
    // gemini-3.5-flash-lite launch (ai.google.dev pricing / deprecations / changelog):
    // 0.1M x 0.30 + 0.05M x 0.03 + 0.02M x 2.50 = 0.0815
    priced(
        "gemini-3.5-flash-lite",
        "2026-07-21T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.0815",
    );
    // gemini-3.6-flash launch: not priced one second before
    not_yet("gemini-3.6-flash", "2026-07-20T23:59:59Z");
    // gemini-3.6-flash launch (ai.google.dev pricing / deprecations / changelog):
    // 0.1M x 0.75 + 0.05M x 0.075 + 0.02M x 3.75 = 0.15375
    priced(
        "gemini-3.6-flash",
        "2026-07-21T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.15375",
    );
    // gemini-3.6-flash before the change at 2027-01-01T00:00:00Z ("$1.50 starting January 1, 2027"):
    // 0.1M x 0.75 + 0.05M x 0.075 + 0.02M x 3.75 = 0.15375
    priced(
        "gemini-3.6-flash",
        "2026-12-31T23:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.15375",
    );
    // gemini-3.6-flash change at 2027-01-01T00:00:00Z ("$1.50 starting January 1, 2027"):
    // 0.1M x 1.50 + 0.05M x 0.15 + 0.02M x 7.50 = 0.3075
    priced(
        "gemini-3.6-flash",
        "2027-01-01T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.3075",
    );
    // gemini-3.7-flash launch: not priced one second before
    not_yet("gemini-3.7-flash", "2026-08-12T23:59:59Z");
    // gemini-3.7-flash launch (ai.google.dev pricing / deprecations / changelog):
    // 0.1M x 0.75 + 0.05M x 0.075 + 0.02M x 3.75 = 0.15375
    priced(
        "gemini-3.7-flash",
        "2026-08-13T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.15375",
    );
    // gemini-2.0-flash before retirement (shut down 2026-06-01 00:00 PDT):
    // 0.1M x 0.10 + 0.05M x 0.025 + 0.02M x 0.40 = 0.01925
    priced(
        "gemini-2.0-flash",
        "2026-06-01T06:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.01925",
    );
    // gemini-2.0-flash retired: refused at the instant, successor named
    retired(
        "gemini-2.0-flash",
        "2026-06-01T07:00:00Z",
        "gemini-3.5-flash",
    );
    // gemini-2.0-flash-lite before retirement (shut down 2026-06-01 00:00 PDT):
    // 0.1M x 0.075 + 0.02M x 0.30 = 0.0135
    priced(
        "gemini-2.0-flash-lite",
        "2026-06-01T06:59:59Z",
        Usage {
            input: 100_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.0135",
    );
    // gemini-2.0-flash-lite retired: refused at the instant, successor named
    retired(
        "gemini-2.0-flash-lite",
        "2026-06-01T07:00:00Z",
        "gemini-3.1-flash-lite",
    );
    // gemini-2.5-flash-preview-09-2025 before shutdown (priced as gemini-2.5-flash):
    // 0.1M x 0.30 + 0.05M x 0.03 + 0.02M x 2.50 = 0.0815
    priced(
        "gemini-2.5-flash-preview-09-2025",
        "2026-02-17T07:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.0815",
    );
    // gemini-2.5-flash-preview-09-2025 shut down: no price from the shutdown instant
    gone("gemini-2.5-flash-preview-09-2025", "2026-02-17T08:00:00Z");
    // gemini-2.5-pro-preview-03-25 before shutdown (priced as gemini-2.5-pro):
    // 0.1M x 1.25 + 0.05M x 0.125 + 0.02M x 10 = 0.33125
    priced(
        "gemini-2.5-pro-preview-03-25",
        "2025-12-02T07:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.33125",
    );
    // gemini-2.5-pro-preview-03-25 shut down: no price from the shutdown instant
    gone("gemini-2.5-pro-preview-03-25", "2025-12-02T08:00:00Z");
    // gemini-2.5-pro-preview-05-06 before shutdown (priced as gemini-2.5-pro):
    // 0.1M x 1.25 + 0.05M x 0.125 + 0.02M x 10 = 0.33125
    priced(
        "gemini-2.5-pro-preview-05-06",
        "2025-12-02T07:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.33125",
    );
    // gemini-2.5-pro-preview-05-06 shut down: no price from the shutdown instant
    gone("gemini-2.5-pro-preview-05-06", "2025-12-02T08:00:00Z");
    // gemini-2.5-pro-preview-06-05 before shutdown (priced as gemini-2.5-pro):
    // 0.1M x 1.25 + 0.05M x 0.125 + 0.02M x 10 = 0.33125
    priced(
        "gemini-2.5-pro-preview-06-05",
        "2025-12-02T07:59:59Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            output: 20_000,
            ..Usage::default()
        },
        "0.33125",
    );
    // gemini-2.5-pro-preview-06-05 shut down: no price from the shutdown instant
    gone("gemini-2.5-pro-preview-06-05", "2025-12-02T08:00:00Z");
}

#[test]
fn long_context_thresholds() {
    // gpt-5.4 at the 272000 threshold (input > 272K: whole request 2x input, 1.5x output):
    // 0.272M x 2.50 + 0.1M x 15 = 2.18
    priced(
        "gpt-5.4",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 272_000,
            output: 100_000,
            ..Usage::default()
        },
        "2.18",
    );
    // gpt-5.4 one token above 272000 (input > 272K: whole request 2x input, 1.5x output):
    // 0.272001M x 5 + 0.1M x 22.50 = 3.610005
    priced(
        "gpt-5.4",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 272_001,
            output: 100_000,
            ..Usage::default()
        },
        "3.610005",
    );
    // gpt-5.5 at the 272000 threshold (input > 272K):
    // 0.272M x 5 + 0.1M x 30 = 4.36
    priced(
        "gpt-5.5",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 272_000,
            output: 100_000,
            ..Usage::default()
        },
        "4.36",
    );
    // gpt-5.5 one token above 272000 (input > 272K):
    // 0.272001M x 10 + 0.1M x 45 = 7.22001
    priced(
        "gpt-5.5",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 272_001,
            output: 100_000,
            ..Usage::default()
        },
        "7.22001",
    );
    // gpt-5.4-pro at the 272000 threshold (input > 272K):
    // 0.272M x 30 + 0.1M x 180 = 26.16
    priced(
        "gpt-5.4-pro",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 272_000,
            output: 100_000,
            ..Usage::default()
        },
        "26.16",
    );
    // gpt-5.4-pro one token above 272000 (input > 272K):
    // 0.272001M x 60 + 0.1M x 270 = 43.32006
    priced(
        "gpt-5.4-pro",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 272_001,
            output: 100_000,
            ..Usage::default()
        },
        "43.32006",
    );
    // gpt-5.6-sol at the 272000 threshold (input incl. cache > 272K):
    // 0.172M x 4 + 0.05M x 0.40 + 0.05M x 5 + 0.1M x 20 = 2.958
    priced(
        "gpt-5.6-sol",
        "2026-12-01T00:00:00Z",
        Usage {
            input: 172_000,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "2.958",
    );
    // gpt-5.6-sol one token above 272000 (input incl. cache > 272K):
    // 0.172001M x 8 + 0.05M x 0.80 + 0.05M x 10 + 0.1M x 30 = 4.916008
    priced(
        "gpt-5.6-sol",
        "2026-12-01T00:00:00Z",
        Usage {
            input: 172_001,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "4.916008",
    );
    // gpt-5.6-luna at the 272000 threshold (input incl. cache > 272K):
    // 0.172M x 0.20 + 0.05M x 0.02 + 0.05M x 0.25 + 0.1M x 1.20 = 0.1679
    priced(
        "gpt-5.6-luna",
        "2026-12-01T00:00:00Z",
        Usage {
            input: 172_000,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "0.1679",
    );
    // gpt-5.6-luna one token above 272000 (input incl. cache > 272K):
    // 0.172001M x 0.40 + 0.05M x 0.04 + 0.05M x 0.50 + 0.1M x 1.80 = 0.2758004
    priced(
        "gpt-5.6-luna",
        "2026-12-01T00:00:00Z",
        Usage {
            input: 172_001,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "0.2758004",
    );
    // gpt-5.6-terra at the 272000 threshold (input incl. cache > 272K):
    // 0.172M x 2 + 0.05M x 0.20 + 0.05M x 2.50 + 0.1M x 12 = 1.679
    priced(
        "gpt-5.6-terra",
        "2026-12-01T00:00:00Z",
        Usage {
            input: 172_000,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "1.679",
    );
    // gpt-5.6-terra one token above 272000 (input incl. cache > 272K):
    // 0.172001M x 4 + 0.05M x 0.40 + 0.05M x 5 + 0.1M x 18 = 2.758004
    priced(
        "gpt-5.6-terra",
        "2026-12-01T00:00:00Z",
        Usage {
            input: 172_001,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "2.758004",
    );
    // claude-sonnet-4-5-20250929 at the 200000 threshold (Anthropic: input + cache reads + writes > 200K):
    // 0.1M x 3 + 0.05M x 0.30 + 0.05M x 3.75 + 0.1M x 15 = 2.0025
    priced(
        "claude-sonnet-4-5-20250929",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "2.0025",
    );
    // claude-sonnet-4-5-20250929 one token above 200000 (Anthropic: input + cache reads + writes > 200K):
    // 0.100001M x 6 + 0.05M x 0.60 + 0.05M x 7.50 + 0.1M x 22.50 = 3.255006
    priced(
        "claude-sonnet-4-5-20250929",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 100_001,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "3.255006",
    );
    // claude-sonnet-4-6 at the 200000 threshold (Sonnet 4.6 before the 2026-03-13 removal):
    // 0.1M x 3 + 0.05M x 0.30 + 0.05M x 3.75 + 0.1M x 15 = 2.0025
    priced(
        "claude-sonnet-4-6",
        "2026-03-01T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "2.0025",
    );
    // claude-sonnet-4-6 one token above 200000 (Sonnet 4.6 before the 2026-03-13 removal):
    // 0.100001M x 6 + 0.05M x 0.60 + 0.05M x 7.50 + 0.1M x 22.50 = 3.255006
    priced(
        "claude-sonnet-4-6",
        "2026-03-01T00:00:00Z",
        Usage {
            input: 100_001,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "3.255006",
    );
    // claude-opus-4-6 at the 200000 threshold (Opus 4.6 before the 2026-03-13 removal):
    // 0.1M x 5 + 0.05M x 0.50 + 0.05M x 6.25 + 0.1M x 25 = 3.3375
    priced(
        "claude-opus-4-6",
        "2026-03-01T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "3.3375",
    );
    // claude-opus-4-6 one token above 200000 (Opus 4.6 before the 2026-03-13 removal):
    // 0.100001M x 10 + 0.05M x 1 + 0.05M x 12.50 + 0.1M x 37.50 = 5.42501
    priced(
        "claude-opus-4-6",
        "2026-03-01T00:00:00Z",
        Usage {
            input: 100_001,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "5.42501",
    );
    // claude-sonnet-4-6 at the 200000 threshold (flat after 2026-03-13):
    // 0.1M x 3 + 0.05M x 0.30 + 0.05M x 3.75 + 0.1M x 15 = 2.0025
    priced(
        "claude-sonnet-4-6",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 100_000,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "2.0025",
    );
    // claude-sonnet-4-6 one token above 200000 (flat after 2026-03-13):
    // 0.100001M x 3 + 0.05M x 0.30 + 0.05M x 3.75 + 0.1M x 15 = 2.002503
    priced(
        "claude-sonnet-4-6",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 100_001,
            cache_read: 50_000,
            cache_write: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "2.002503",
    );
    // gemini-3.1-pro-preview at the 200000 threshold (prompt incl. cached <= 200k standard):
    // 0.15M x 2 + 0.05M x 0.20 + 0.1M x 12 = 1.51
    priced(
        "gemini-3.1-pro-preview",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 150_000,
            cache_read: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "1.51",
    );
    // gemini-3.1-pro-preview one token above 200000 (prompt > 200k: input, cached, output switch):
    // 0.150001M x 4 + 0.05M x 0.40 + 0.1M x 18 = 2.420004
    priced(
        "gemini-3.1-pro-preview",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 150_001,
            cache_read: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "2.420004",
    );
    // gemini-3-pro-preview at the 200000 threshold (prompt incl. cached <= 200k standard):
    // 0.15M x 2 + 0.05M x 0.20 + 0.1M x 12 = 1.51
    priced(
        "gemini-3-pro-preview",
        "2026-01-01T00:00:00Z",
        Usage {
            input: 150_000,
            cache_read: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "1.51",
    );
    // gemini-3-pro-preview one token above 200000 (prompt > 200k: input, cached, output switch):
    // 0.150001M x 4 + 0.05M x 0.40 + 0.1M x 18 = 2.420004
    priced(
        "gemini-3-pro-preview",
        "2026-01-01T00:00:00Z",
        Usage {
            input: 150_001,
            cache_read: 50_000,
            output: 100_000,
            ..Usage::default()
        },
        "2.420004",
    );
}

#[test]
fn peer_dataset_names_resolve_today() {
    // The unknown names of the peer's recorded bodies, priced on 2026-12-03.
    for (name, model) in [
        ("gemini-3-flash-preview", "gemini-3-flash-preview"),
        ("gpt-5.4-2026-03-05", "gpt-5.4"),
        ("claude-sonnet-4-6", "claude-sonnet-4-6"),
        ("gpt-5.4-mini-2026-03-17", "gpt-5.4-mini"),
        ("claude-sonnet-5", "claude-sonnet-5"),
        ("models/gemini-3-flash-preview", "gemini-3-flash-preview"),
        ("anthropic/claude-sonnet-4-6-20260217", "claude-sonnet-4-6"),
    ] {
        let r = cat()
            .resolve(name, ts("2026-12-03T12:00:00Z"), Some(Currency::USD))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.model.id, model, "{name}");
    }
}

#[test]
fn priority_and_batch_tiers() {
    let u = Usage {
        input: 100_000,
        cache_read: 50_000,
        output: 20_000,
        ..Usage::default()
    };
    let at = ts("2026-06-01T00:00:00Z");
    // gpt-5.4 priority 5 / 0.50 / 30 (openai.com/api-priority-processing):
    // 0.1M x 5 + 0.05M x 0.50 + 0.02M x 30 = 0.5 + 0.025 + 0.6 = 1.125
    let got = cat()
        .price_total("gpt-5.4", at, Currency::USD, &u, ServiceTier::Priority)
        .expect("priority");
    assert_eq!(got, "1.125".parse::<Decimal>().expect("decimal"));
    // claude-opus-4-8 batch is 50% of 5 / 0.50 / 25 (Anthropic batch -50%):
    // (0.1M x 5 + 0.05M x 0.50 + 0.02M x 25) / 2 = (0.5 + 0.025 + 0.5) / 2 = 0.5125
    let got = cat()
        .price_total("claude-opus-4-8", at, Currency::USD, &u, ServiceTier::Batch)
        .expect("batch");
    assert_eq!(got, "0.5125".parse::<Decimal>().expect("decimal"));
}

#[test]
fn retired_models_have_no_row_in_force_after_retirement() {
    for m in cat().models() {
        if let Some(r) = m.retired {
            assert!(
                m.rows
                    .iter()
                    .all(|row| row.spec().until.is_some_and(|u| u <= r)),
                "{}: a row outlives its retirement at {r}",
                m.id
            );
        }
    }
}

#[test]
fn claude_sonnet_5_5_launch() {
    let u = Usage {
        input: 100_000,
        cache_read: 30_000,
        cache_write: 10_000,
        cache_write_1h: 10_000,
        output: 20_000,
        ..Usage::default()
    };
    // Released 2026-09-28 (runware.ai docs; Anthropic model page for the prices).
    not_yet("claude-sonnet-5-5", "2026-09-27T23:59:59Z");
    // 2 / 0.20 / 2.50 / 4 / 10 (platform.claude.com models/sonnet-5-5):
    // 0.1M x 2 + 0.03M x 0.20 + 0.01M x 2.50 + 0.01M x 4 + 0.02M x 10
    // = 0.2 + 0.006 + 0.025 + 0.04 + 0.2 = 0.471
    priced("claude-sonnet-5-5", "2026-09-28T00:00:00Z", u, "0.471");
}

#[test]
fn claude_fable_5_1_launch() {
    let u = Usage {
        input: 100_000,
        cache_read: 30_000,
        cache_write: 10_000,
        cache_write_1h: 10_000,
        output: 20_000,
        ..Usage::default()
    };
    // Released 2026-09-01 (Anthropic announcement as cited by Magi-Server#16).
    not_yet("claude-fable-5-1", "2026-08-31T23:59:59Z");
    // 10 / 0.25 / 12.50 / 20 / 50 ($10 / $50 on the model pages; cache rates per claudit v1.8.1):
    // 0.1M x 10 + 0.03M x 0.25 + 0.01M x 12.50 + 0.01M x 20 + 0.02M x 50
    // = 1 + 0.0075 + 0.125 + 0.2 + 1 = 2.3325
    priced("claude-fable-5-1", "2026-09-01T00:00:00Z", u, "2.3325");
}

#[test]
fn gemini_3_8_flash_launch_and_2027_price() {
    let u = Usage {
        input: 100_000,
        cache_read: 50_000,
        output: 20_000,
        ..Usage::default()
    };
    // Released 2026-09-02 (ai.google.dev deprecations page).
    not_yet("gemini-3.8-flash", "2026-09-01T23:59:59Z");
    // '$0.75 through December 31, 2026', output $3.75; no cached price, so cache reads bill at input:
    // 0.1M x 0.75 + 0.05M x 0.75 + 0.02M x 3.75 = 0.075 + 0.0375 + 0.075 = 0.1875
    priced("gemini-3.8-flash", "2026-09-02T00:00:00Z", u, "0.1875");
    priced("gemini-3.8-flash", "2026-12-31T23:59:59Z", u, "0.1875");
    // '$1.50 starting January 1, 2027', output $7.50:
    // 0.1M x 1.50 + 0.05M x 1.50 + 0.02M x 7.50 = 0.15 + 0.075 + 0.15 = 0.375
    priced("gemini-3.8-flash", "2027-01-01T00:00:00Z", u, "0.375");
}

#[test]
fn gpt_6_launches_and_long_context() {
    let u = Usage {
        input: 100_000,
        cache_read: 30_000,
        cache_write: 20_000,
        output: 20_000,
        ..Usage::default()
    };
    // gpt-6-sol 2 / 0.20 / 2.50 / 10 (model page), from 2026-09-22:
    // 0.1M x 2 + 0.03M x 0.20 + 0.02M x 2.50 + 0.02M x 10 = 0.2 + 0.006 + 0.05 + 0.2 = 0.456
    not_yet("gpt-6-sol", "2026-09-21T23:59:59Z");
    priced("gpt-6-sol", "2026-09-22T00:00:00Z", u, "0.456");
    // gpt-6.1-sol (DevDay 2026-09-29) and gpt-6.2-sol (2026-11-17): cached 0.10:
    // 0.2 + 0.03M x 0.10 + 0.05 + 0.2 = 0.453
    not_yet("gpt-6.1-sol", "2026-09-28T23:59:59Z");
    priced("gpt-6.1-sol", "2026-09-29T00:00:00Z", u, "0.453");
    not_yet("gpt-6.2-sol", "2026-11-16T23:59:59Z");
    priced("gpt-6.2-sol", "2026-11-17T00:00:00Z", u, "0.453");
    // gpt-6-luna 0.10 / 0.01 / 0.125 / 0.50 (PromptFuel), from 2026-09-22:
    // 0.01 + 0.0003 + 0.0025 + 0.01 = 0.0228
    not_yet("gpt-6-luna", "2026-09-21T23:59:59Z");
    priced("gpt-6-luna", "2026-09-22T00:00:00Z", u, "0.0228");
    // gpt-6.1-sol at the 272K threshold (input + cache read + cache write = 272,000):
    // 0.172M x 2 + 0.05M x 0.10 + 0.05M x 2.50 + 0.1M x 10 = 0.344 + 0.005 + 0.125 + 1 = 1.474
    let at = |input| Usage {
        input,
        cache_read: 50_000,
        cache_write: 50_000,
        output: 100_000,
        ..Usage::default()
    };
    priced("gpt-6.1-sol", "2026-12-01T00:00:00Z", at(172_000), "1.474");
    // One token above: the whole request at 4 / 0.20 / 5 / 15:
    // 0.172001M x 4 + 0.05M x 0.20 + 0.05M x 5 + 0.1M x 15 = 0.688004 + 0.01 + 0.25 + 1.5 = 2.448004
    priced(
        "gpt-6.1-sol",
        "2026-12-01T00:00:00Z",
        at(172_001),
        "2.448004",
    );
}

#[test]
fn gemini_billing_successors_from_2026_10_08() {
    let u = Usage {
        input: 100_000,
        cache_read: 50_000,
        output: 20_000,
        ..Usage::default()
    };
    // Changelog 2026-10-08 (00:00 PDT = 07:00 UTC): gemini-3.5-flash routed to gemini-3.6-flash.
    // Before: 3.5 Flash 1.50 / 0.15 / 9: 0.1M x 1.50 + 0.05M x 0.15 + 0.02M x 9 = 0.15 + 0.0075 + 0.18 = 0.3375
    priced("gemini-3.5-flash", "2026-10-08T06:59:59Z", u, "0.3375");
    // At: 3.6 Flash 0.75 / 0.075 / 3.75: 0.075 + 0.00375 + 0.075 = 0.15375
    priced("gemini-3.5-flash", "2026-10-08T07:00:00Z", u, "0.15375");
    // gemini-3.7-flash routed to gemini-3.8-flash.
    // Before: 0.75 / 0.075 / 3.75 = 0.15375
    priced("gemini-3.7-flash", "2026-10-08T06:59:59Z", u, "0.15375");
    // At: 3.8 Flash 0.75 / (no cached price: input 0.75) / 3.75: 0.075 + 0.0375 + 0.075 = 0.1875
    priced("gemini-3.7-flash", "2026-10-08T07:00:00Z", u, "0.1875");
    let r = cat()
        .resolve(
            "gemini-3.7-flash",
            ts("2026-12-03T00:00:00Z"),
            Some(Currency::USD),
        )
        .expect("routed");
    assert_eq!(r.model.id, "gemini-3.8-flash");
    assert_eq!(r.via.len(), 1);
}

#[test]
fn more_long_context_thresholds() {
    let u = |input, cache_read, cache_write| Usage {
        input,
        cache_read,
        cache_write,
        output: 100_000,
        ..Usage::default()
    };
    // claude-sonnet-4-20250514, input + cache read + cache write = 200,000 (not above 200K):
    // 0.1M x 3 + 0.05M x 0.30 + 0.05M x 3.75 + 0.1M x 15 = 0.3 + 0.015 + 0.1875 + 1.5 = 2.0025
    priced(
        "claude-sonnet-4-20250514",
        "2026-01-01T00:00:00Z",
        u(100_000, 50_000, 50_000),
        "2.0025",
    );
    // One token above: every token at 6 / 0.60 / 7.50 / 22.50:
    // 0.100001M x 6 + 0.05M x 0.60 + 0.05M x 7.50 + 0.1M x 22.50
    // = 0.600006 + 0.03 + 0.375 + 2.25 = 3.255006
    priced(
        "claude-sonnet-4-20250514",
        "2026-01-01T00:00:00Z",
        u(100_001, 50_000, 50_000),
        "3.255006",
    );
    // gpt-6-sol at 272,000 prompt tokens: 0.172M x 2 + 0.05M x 0.20 + 0.05M x 2.50 + 0.1M x 10
    // = 0.344 + 0.01 + 0.125 + 1 = 1.479
    priced(
        "gpt-6-sol",
        "2026-10-01T00:00:00Z",
        u(172_000, 50_000, 50_000),
        "1.479",
    );
    // One above, 4 / 0.40 / 5 / 15: 0.688004 + 0.02 + 0.25 + 1.5 = 2.458004
    priced(
        "gpt-6-sol",
        "2026-10-01T00:00:00Z",
        u(172_001, 50_000, 50_000),
        "2.458004",
    );
    // gpt-6.2-sol, same rates as 6.1 (model page): 1.474 at the threshold, 2.448004 above.
    priced(
        "gpt-6.2-sol",
        "2026-12-01T00:00:00Z",
        u(172_000, 50_000, 50_000),
        "1.474",
    );
    priced(
        "gpt-6.2-sol",
        "2026-12-01T00:00:00Z",
        u(172_001, 50_000, 50_000),
        "2.448004",
    );
}

#[test]
fn modality_rates_launches_and_changes() {
    // gemini-2.5-flash at 2026-06-01T00:00:00Z (text 0.30, audio 1.00, cached 0.03 / audio 0.10, output 2.50):
    // 0.1M x 0.30 + 0.1M x 1.00 + 0.02M x 0.03 + 0.02M x 0.10 + 0.01M x 2.50 = 0.1576
    priced(
        "gemini-2.5-flash",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 100_000,
            input_audio: 100_000,
            cache_read: 20_000,
            cache_read_audio: 20_000,
            output: 10_000,
            ..Usage::default()
        },
        "0.1576",
    );
    // gemini-2.0-flash at 2026-01-01T00:00:00Z (audio input 0.70):
    // 0.1M x 0.10 + 0.1M x 0.70 + 0.01M x 0.40 = 0.084
    priced(
        "gemini-2.0-flash",
        "2026-01-01T00:00:00Z",
        Usage {
            input: 100_000,
            input_audio: 100_000,
            output: 10_000,
            ..Usage::default()
        },
        "0.084",
    );
    // gemini-2.5-flash-lite at 2025-07-21T23:59:59Z (preview audio 0.50):
    // 0.1M x 0.10 + 0.1M x 0.50 + 0.01M x 0.40 = 0.064
    priced(
        "gemini-2.5-flash-lite",
        "2025-07-21T23:59:59Z",
        Usage {
            input: 100_000,
            input_audio: 100_000,
            output: 10_000,
            ..Usage::default()
        },
        "0.064",
    );
    // gemini-2.5-flash-lite at 2025-07-22T00:00:00Z (GA 2025-07-22 audio 0.30):
    // 0.1M x 0.10 + 0.1M x 0.30 + 0.01M x 0.40 = 0.044
    priced(
        "gemini-2.5-flash-lite",
        "2025-07-22T00:00:00Z",
        Usage {
            input: 100_000,
            input_audio: 100_000,
            output: 10_000,
            ..Usage::default()
        },
        "0.044",
    );
    // gemini-3-flash-preview at 2026-06-01T00:00:00Z (audio 1.00, cached audio 0.10):
    // 0.1M x 0.50 + 0.1M x 1.00 + 0.02M x 0.10 + 0.01M x 3 = 0.182
    priced(
        "gemini-3-flash-preview",
        "2026-06-01T00:00:00Z",
        Usage {
            input: 100_000,
            input_audio: 100_000,
            cache_read_audio: 20_000,
            output: 10_000,
            ..Usage::default()
        },
        "0.182",
    );
    not_yet("gpt-realtime", "2025-08-27T23:59:59Z");
    // gpt-realtime at 2025-08-28T00:00:00Z (text 4 / 0.40 / 16, audio 32 / 0.40 / 64):
    // 0.01M x 4 + 0.005M x 0.40 + 0.1M x 32 + 0.05M x 0.40 + 0.005M x 16 + 0.1M x 64 = 9.742
    priced(
        "gpt-realtime",
        "2025-08-28T00:00:00Z",
        Usage {
            input: 10_000,
            cache_read: 5_000,
            input_audio: 100_000,
            cache_read_audio: 50_000,
            output: 5_000,
            output_audio: 100_000,
            ..Usage::default()
        },
        "9.742",
    );
    not_yet("gpt-realtime-mini", "2025-10-05T23:59:59Z");
    // gpt-realtime-mini at 2025-10-06T00:00:00Z (text 0.60 / 0.06 / 2.40, audio 10 / 0.30 / 20):
    // 0.01M x 0.60 + 0.005M x 0.06 + 0.1M x 10 + 0.05M x 0.30 + 0.005M x 2.40 + 0.1M x 20 = 3.0333
    priced(
        "gpt-realtime-mini",
        "2025-10-06T00:00:00Z",
        Usage {
            input: 10_000,
            cache_read: 5_000,
            input_audio: 100_000,
            cache_read_audio: 50_000,
            output: 5_000,
            output_audio: 100_000,
            ..Usage::default()
        },
        "3.0333",
    );
    not_yet("gpt-4o-transcribe", "2025-03-19T23:59:59Z");
    // gpt-4o-transcribe at 2025-03-20T00:00:00Z (text 2.50, audio 6, output 10):
    // 5e-05M x 2.50 + 0.01M x 6 + 0.0002M x 10 = 0.062125
    priced(
        "gpt-4o-transcribe",
        "2025-03-20T00:00:00Z",
        Usage {
            input: 50,
            input_audio: 10_000,
            output: 200,
            ..Usage::default()
        },
        "0.062125",
    );
    not_yet("gpt-4o-mini-transcribe", "2025-03-19T23:59:59Z");
    // gpt-4o-mini-transcribe at 2025-03-20T00:00:00Z (text 1.25, audio 3, output 5):
    // 5e-05M x 1.25 + 0.01M x 3 + 0.0002M x 5 = 0.0310625
    priced(
        "gpt-4o-mini-transcribe",
        "2025-03-20T00:00:00Z",
        Usage {
            input: 50,
            input_audio: 10_000,
            output: 200,
            ..Usage::default()
        },
        "0.0310625",
    );
    not_yet("gpt-audio", "2025-08-27T23:59:59Z");
    // gpt-audio at 2025-08-28T00:00:00Z (2.50 / 10, audio 32 / 64):
    // 0.001M x 2.50 + 0.01M x 32 + 0.0005M x 10 + 0.02M x 64 = 1.6075
    priced(
        "gpt-audio",
        "2025-08-28T00:00:00Z",
        Usage {
            input: 1_000,
            input_audio: 10_000,
            output: 500,
            output_audio: 20_000,
            ..Usage::default()
        },
        "1.6075",
    );
    not_yet("gpt-audio-mini", "2025-10-05T23:59:59Z");
    // gpt-audio-mini at 2025-10-06T00:00:00Z (0.60 / 2.40, audio 10 / 20):
    // 0.001M x 0.60 + 0.01M x 10 + 0.0005M x 2.40 + 0.02M x 20 = 0.5018
    priced(
        "gpt-audio-mini",
        "2025-10-06T00:00:00Z",
        Usage {
            input: 1_000,
            input_audio: 10_000,
            output: 500,
            output_audio: 20_000,
            ..Usage::default()
        },
        "0.5018",
    );
    not_yet("gpt-image-1", "2025-04-22T23:59:59Z");
    // gpt-image-1 at 2025-04-23T00:00:00Z (text 5, image in 10, image out 40):
    // 0.0001M x 5 + 0.001M x 10 + 0.00416M x 40 = 0.1769
    priced(
        "gpt-image-1",
        "2025-04-23T00:00:00Z",
        Usage {
            input: 100,
            input_image: 1_000,
            output_image: 4_160,
            ..Usage::default()
        },
        "0.1769",
    );
    not_yet("gemini-3-pro-image-preview", "2025-11-19T23:59:59Z");
    // gemini-3-pro-image-preview at 2025-11-20T00:00:00Z (2 / 12, image output 120):
    // 0.001M x 2 + 0.0005M x 12 + 0.00112M x 120 = 0.1424
    priced(
        "gemini-3-pro-image-preview",
        "2025-11-20T00:00:00Z",
        Usage {
            input: 1_000,
            output: 500,
            output_image: 1_120,
            ..Usage::default()
        },
        "0.1424",
    );
    // gemini-3-pro-image-preview shut down 2026-06-25 00:00 PDT
    // gemini-3-pro-image-preview at 2026-06-25T06:59:59Z (last second):
    // 0.001M x 2 + 0.0005M x 12 + 0.00112M x 120 = 0.1424
    priced(
        "gemini-3-pro-image-preview",
        "2026-06-25T06:59:59Z",
        Usage {
            input: 1_000,
            output: 500,
            output_image: 1_120,
            ..Usage::default()
        },
        "0.1424",
    );
    retired(
        "gemini-3-pro-image-preview",
        "2026-06-25T07:00:00Z",
        "gemini-3-pro-image",
    );
    not_yet("gemini-3-pro-image", "2026-05-27T23:59:59Z");
    // gemini-3-pro-image at 2026-05-28T00:00:00Z (GA; image output 120):
    // 0.001M x 2 + 0.0005M x 12 + 0.00112M x 120 = 0.1424
    priced(
        "gemini-3-pro-image",
        "2026-05-28T00:00:00Z",
        Usage {
            input: 1_000,
            output: 500,
            output_image: 1_120,
            ..Usage::default()
        },
        "0.1424",
    );
    not_yet("gemini-3.1-flash-image-preview", "2026-02-25T23:59:59Z");
    // gemini-3.1-flash-image-preview at 2026-02-26T00:00:00Z (0.50 / 3, image output 60):
    // 0.001M x 0.50 + 0.0005M x 3 + 0.00112M x 60 = 0.0692
    priced(
        "gemini-3.1-flash-image-preview",
        "2026-02-26T00:00:00Z",
        Usage {
            input: 1_000,
            output: 500,
            output_image: 1_120,
            ..Usage::default()
        },
        "0.0692",
    );
    // gemini-3.1-flash-image-preview at 2026-06-25T06:59:59Z (last second):
    // 0.001M x 0.50 + 0.0005M x 3 + 0.00112M x 60 = 0.0692
    priced(
        "gemini-3.1-flash-image-preview",
        "2026-06-25T06:59:59Z",
        Usage {
            input: 1_000,
            output: 500,
            output_image: 1_120,
            ..Usage::default()
        },
        "0.0692",
    );
    retired(
        "gemini-3.1-flash-image-preview",
        "2026-06-25T07:00:00Z",
        "gemini-3.1-flash-image",
    );
    not_yet("gemini-3.1-flash-image", "2026-05-27T23:59:59Z");
    // gemini-3.1-flash-image at 2026-05-28T00:00:00Z (GA):
    // 0.001M x 0.50 + 0.0005M x 3 + 0.00112M x 60 = 0.0692
    priced(
        "gemini-3.1-flash-image",
        "2026-05-28T00:00:00Z",
        Usage {
            input: 1_000,
            output: 500,
            output_image: 1_120,
            ..Usage::default()
        },
        "0.0692",
    );
    not_yet("gemini-2.5-flash-image", "2025-10-01T23:59:59Z");
    // gemini-2.5-flash-image at 2025-10-02T00:00:00Z (image output 30):
    // 0.001M x 0.30 + 0.0001M x 2.50 + 0.00129M x 30 = 0.03925
    priced(
        "gemini-2.5-flash-image",
        "2025-10-02T00:00:00Z",
        Usage {
            input: 1_000,
            output: 100,
            output_image: 1_290,
            ..Usage::default()
        },
        "0.03925",
    );
    not_yet("gemini-embedding-2", "2026-04-21T23:59:59Z");
    // gemini-embedding-2 at 2026-04-22T00:00:00Z (text 0.20, image 0.45, audio 6.50):
    // 0.001M x 0.20 + 0.001M x 0.45 + 0.001M x 6.50 = 0.00715
    priced(
        "gemini-embedding-2",
        "2026-04-22T00:00:00Z",
        Usage {
            input: 1_000,
            input_image: 1_000,
            input_audio: 1_000,
            ..Usage::default()
        },
        "0.00715",
    );
}

#[test]
fn claude_opus_5_5_launch() {
    let u = Usage {
        input: 100_000,
        cache_read: 30_000,
        cache_write: 10_000,
        cache_write_1h: 10_000,
        output: 20_000,
        ..Usage::default()
    };
    // Effective 2026-09-22 (PromptFuel v1.0.21; claudit priced it from the page on 2026-09-23).
    not_yet("claude-opus-5-5", "2026-09-21T23:59:59Z");
    // 4 / 0.20 / 5 / 8 / 20: 0.1M x 4 + 0.03M x 0.20 + 0.01M x 5 + 0.01M x 8 + 0.02M x 20
    // = 0.4 + 0.006 + 0.05 + 0.08 + 0.4 = 0.936
    priced("claude-opus-5-5", "2026-09-22T00:00:00Z", u, "0.936");
}

#[test]
fn gpt_6_astra_launches_and_long_context() {
    let u = |input| Usage {
        input,
        cache_read: 50_000,
        cache_write: 50_000,
        output: 100_000,
        ..Usage::default()
    };
    // gpt-6-astra from 2026-09-03 at 10 / 1 / 12.50 / 50 (model page via litellm and codex-token-meter):
    // 0.172M x 10 + 0.05M x 1 + 0.05M x 12.50 + 0.1M x 50 = 1.72 + 0.05 + 0.625 + 5 = 7.395
    not_yet("gpt-6-astra", "2026-09-02T23:59:59Z");
    priced("gpt-6-astra", "2026-09-03T00:00:00Z", u(172_000), "7.395");
    // One token above 272K: 20 / 2 / 25 / 75 for the whole request:
    // 0.172001M x 20 + 0.05M x 2 + 0.05M x 25 + 0.1M x 75 = 3.44002 + 0.1 + 1.25 + 7.5 = 12.29002
    priced(
        "gpt-6-astra",
        "2026-09-03T00:00:00Z",
        u(172_001),
        "12.29002",
    );
    // gpt-6.2-astra from 2026-11-17 at 8 / 40, no cache prices (cache tokens bill at input 8):
    // 0.1M x 8 + 0.05M x 8 + 0.05M x 8 + 0.1M x 40 = 0.8 + 0.4 + 0.4 + 4 = 5.6
    not_yet("gpt-6.2-astra", "2026-11-16T23:59:59Z");
    priced("gpt-6.2-astra", "2026-11-17T00:00:00Z", u(100_000), "5.6");
}

#[test]
fn claude_5_5_cache_cut_and_haiku_5_5_prompt_tier() {
    let u = Usage {
        input: 100_000,
        cache_read: 30_000,
        cache_write: 10_000,
        cache_write_1h: 10_000,
        output: 20_000,
        ..Usage::default()
    };
    // Sonnet 5.5 cache read 0.20 -> 0.10 on 2026-10-07 (claudit v1.9.2, PromptFuel v1.0.23):
    // before: 0.2 + 0.03M x 0.20 + 0.025 + 0.04 + 0.2 = 0.471
    priced("claude-sonnet-5-5", "2026-10-06T23:59:59Z", u, "0.471");
    // at: 0.2 + 0.03M x 0.10 + 0.025 + 0.04 + 0.2 = 0.468
    priced("claude-sonnet-5-5", "2026-10-07T00:00:00Z", u, "0.468");
    // Haiku 5.5 from 2026-10-07; prompt (input + cache reads + writes) of exactly 100,000:
    // 0.05M x 0.10 + 0.025M x 0.01 + 0.025M x 0.125 + 0.01M x 0.50
    // = 0.005 + 0.00025 + 0.003125 + 0.005 = 0.013375
    let h = |input| Usage {
        input,
        cache_read: 25_000,
        cache_write: 25_000,
        output: 10_000,
        ..Usage::default()
    };
    not_yet("claude-haiku-5-5", "2026-10-06T23:59:59Z");
    priced(
        "claude-haiku-5-5",
        "2026-10-07T00:00:00Z",
        h(50_000),
        "0.013375",
    );
    // One token above 100K: every token at 0.50 / 0.05 / 0.625 / 2.50:
    // 0.050001M x 0.50 + 0.025M x 0.05 + 0.025M x 0.625 + 0.01M x 2.50
    // = 0.0250005 + 0.00125 + 0.015625 + 0.025 = 0.0668755
    priced(
        "claude-haiku-5-5",
        "2026-10-07T00:00:00Z",
        h(50_001),
        "0.0668755",
    );
}

#[test]
fn gpt_5_6_sol_promotion_end() {
    let u = Usage {
        input: 100_000,
        cache_read: 30_000,
        cache_write: 20_000,
        output: 20_000,
        ..Usage::default()
    };
    // Promotion 4 / 0.40 / 5 (writes) / 20 through 2026-11-30 (docs.laozhang.ai, docs.apiyi.com),
    // taken to end at 2026-12-01 00:00 PST = 08:00 UTC:
    // 0.1M x 4 + 0.03M x 0.40 + 0.02M x 5 + 0.02M x 20 = 0.4 + 0.012 + 0.1 + 0.4 = 0.912
    priced("gpt-5.6-sol", "2026-12-01T07:59:59Z", u, "0.912");
    // List price again, 5 / 0.50 / 6.25 / 30:
    // 0.1M x 5 + 0.03M x 0.50 + 0.02M x 6.25 + 0.02M x 30 = 0.5 + 0.015 + 0.125 + 0.6 = 1.24
    priced("gpt-5.6-sol", "2026-12-01T08:00:00Z", u, "1.24");
    priced("gpt-5.6", "2026-12-03T12:00:00Z", u, "1.24");
}

#[test]
fn gemini_4_launch_and_december_price() {
    let u = Usage {
        input: 100_000,
        cache_read: 50_000,
        output: 20_000,
        ..Usage::default()
    };
    // Launch 2 / 0.10 / 10 (litellm discussion 46238, TokenMeter, blockrun):
    // 0.1M x 2 + 0.05M x 0.10 + 0.02M x 10 = 0.2 + 0.005 + 0.2 = 0.405
    not_yet("gemini-4-argon", "2026-09-29T23:59:59Z");
    priced("gemini-4-argon", "2026-09-30T00:00:00Z", u, "0.405");
    not_yet("gemini-4-carbon", "2026-11-09T23:59:59Z");
    priced("gemini-4-carbon", "2026-11-10T00:00:00Z", u, "0.405");
    priced("gemini-4-argon", "2026-12-01T07:59:59Z", u, "0.405");
    priced("gemini-4-carbon", "2026-12-01T07:59:59Z", u, "0.405");
    // From 2026-12-01 00:00 PST, 4 / 0.20 / 20: 0.4 + 0.01 + 0.4 = 0.81
    priced("gemini-4-argon", "2026-12-01T08:00:00Z", u, "0.81");
    priced("gemini-4-carbon", "2026-12-01T08:00:00Z", u, "0.81");
}

#[test]
fn gpt_4o_audio_previews() {
    // Model pages (developers.openai.com/api/docs/models/gpt-4o-audio-preview and
    // gpt-4o-mini-audio-preview): text 2.50 / 10 and audio 40 / 80; mini text 0.15 / 0.60 and
    // audio 10 / 20. The first snapshot (-2024-10-01) billed audio at 100 / 200 (grade C).
    let u = || Usage {
        input: 10_000,
        input_audio: 100_000,
        output: 5_000,
        output_audio: 50_000,
        ..Usage::default()
    };
    not_yet("gpt-4o-audio-preview", "2024-12-16T23:59:59Z");
    // 0.01M x 2.50 + 0.1M x 40 + 0.005M x 10 + 0.05M x 80 = 0.025 + 4 + 0.05 + 4 = 8.075
    priced("gpt-4o-audio-preview", "2024-12-17T00:00:00Z", u(), "8.075");
    priced(
        "gpt-4o-audio-preview-2024-12-17",
        "2024-12-17T00:00:00Z",
        u(),
        "8.075",
    );
    // The 2025-06-03 snapshot resolves to the base from its date, at the same rates.
    not_yet("gpt-4o-audio-preview-2025-06-03", "2025-06-02T23:59:59Z");
    priced(
        "gpt-4o-audio-preview-2025-06-03",
        "2025-06-03T00:00:00Z",
        u(),
        "8.075",
    );
    not_yet("gpt-4o-audio-preview-2024-10-01", "2024-09-30T23:59:59Z");
    // 0.01M x 2.50 + 0.1M x 100 + 0.005M x 10 + 0.05M x 200 = 0.025 + 10 + 0.05 + 10 = 20.075
    priced(
        "gpt-4o-audio-preview-2024-10-01",
        "2024-10-01T00:00:00Z",
        u(),
        "20.075",
    );
    // Still its own price after the 2024-12-17 snapshot appeared.
    priced(
        "gpt-4o-audio-preview-2024-10-01",
        "2025-01-15T00:00:00Z",
        u(),
        "20.075",
    );
    not_yet("gpt-4o-mini-audio-preview", "2024-12-16T23:59:59Z");
    // 0.01M x 0.15 + 0.1M x 10 + 0.005M x 0.60 + 0.05M x 20 = 0.0015 + 1 + 0.003 + 1 = 2.0045
    priced(
        "gpt-4o-mini-audio-preview",
        "2024-12-17T00:00:00Z",
        u(),
        "2.0045",
    );
    priced(
        "gpt-4o-mini-audio-preview-2024-12-17",
        "2024-12-17T00:00:00Z",
        u(),
        "2.0045",
    );
}

#[test]
fn anthropic_3x_retirements() {
    // Retirement dates are date-only on Anthropic's deprecations page; they take effect at
    // 00:00 America/Los_Angeles: 2025-10-22 (PDT) = 07:00 UTC, 2026-02-19 (PST) = 08:00 UTC.
    let u = || Usage {
        input: 100_000,
        output: 10_000,
        ..Usage::default()
    };
    // Sonnet 3.5 (3 / 15): 0.1M x 3 + 0.01M x 15 = 0.30 + 0.15 = 0.45
    for m in ["claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022"] {
        priced(m, "2025-10-22T06:59:59Z", u(), "0.45");
        retired(m, "2025-10-22T07:00:00Z", "claude-sonnet-4-5-20250929");
    }
    // Sonnet 3.7 (3 / 15): 0.45 as above
    for m in ["claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest"] {
        priced(m, "2026-02-19T07:59:59Z", u(), "0.45");
        retired(m, "2026-02-19T08:00:00Z", "claude-sonnet-4-6");
    }
    // Haiku 3.5 (0.80 / 4): 0.1M x 0.80 + 0.01M x 4 = 0.08 + 0.04 = 0.12
    for m in ["claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"] {
        priced(m, "2026-02-19T07:59:59Z", u(), "0.12");
        retired(m, "2026-02-19T08:00:00Z", "claude-haiku-4-5-20251001");
    }
}
