//! Prices one usage record `n` times (lookup by model and time included each time),
//! for the anchors' records/s runner:
//! `price_many --model M --input 1200 --output 350 -n 1000000`.

use std::process::ExitCode;

use llmcost_catalog::Catalog;
use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};

#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line example"
)]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let model = get("--model").unwrap_or_else(|| "deepseek-chat".into());
    let input: u64 = get("--input").and_then(|s| s.parse().ok()).unwrap_or(1200);
    let output: u64 = get("--output").and_then(|s| s.parse().ok()).unwrap_or(350);
    let n: u64 = get("-n").and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let at: Timestamp = get("--at").and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        "2025-06-01T12:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH)
    });
    let cat = match Catalog::builtin() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut sum = Decimal::ZERO;
    for i in 0..n {
        // Vary the tokens so the work cannot be hoisted out of the loop.
        let u = Usage {
            input: input + (i & 1),
            output,
            ..Usage::default()
        };
        match cat.price_total(&model, at, Currency::USD, &u, ServiceTier::Standard) {
            Ok(t) => sum += t,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{n} records priced, total {} USD", sum.normalize());
    ExitCode::SUCCESS
}
