//! Bill files for `reconcile --billed FILE`: CSV or JSON text into bill lines.
//!
//! Pure (no I/O) and self-contained (external crates only), so the fuzz
//! target `bill` compiles this file as it is.

use llmcost_core::civil::epoch_day;
use llmcost_core::{Currency, Decimal};
use llmcost_logs::csv_fields;
use serde_json::Value;

/// A bill that cannot be read: where (file, line or item) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillError(String);

impl std::fmt::Display for BillError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BillError {}

impl BillError {
    /// A bill error with this message.
    pub fn new(message: impl Into<String>) -> BillError {
        BillError(message.into())
    }
}

/// Result with [`BillError`].
type Result<T, E = BillError> = std::result::Result<T, E>;

/// A [`BillError`] from a format string (like `anyhow::anyhow!`).
macro_rules! anyhow {
    ($($t:tt)*) => {
        BillError(format!($($t)*))
    };
}

/// Returns a [`BillError`] (like `anyhow::bail!`).
macro_rules! bail {
    ($($t:tt)*) => {
        return Err(anyhow!($($t)*))
    };
}

/// First day a bill may name (1970-01-01), as days since the epoch.
pub const FIRST_DAY: i64 = 0;
/// Day after the last day a bill may name (2200-01-01).
pub const END_DAY: i64 = 84_006;

/// One line of a bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    /// Days since the epoch, in [`FIRST_DAY`, `END_DAY`).
    pub day: i64,
    /// The model billed (`None`: the whole day).
    pub model: Option<String>,
    /// The amount billed.
    pub amount: Decimal,
    /// Its currency, when the bill says.
    pub currency: Option<Currency>,
}

/// Days since 1970-01-01 of a date, or of the date part of an RFC 3339 time.
fn day_of_text(s: &str) -> Option<i64> {
    let t = s.trim();
    let head = t.get(..10).unwrap_or(t);
    let d: jiff::civil::Date = head.parse().ok()?;
    in_range(epoch_day(d))
}

fn in_range(day: i64) -> Option<i64> {
    (FIRST_DAY..END_DAY).contains(&day).then_some(day)
}

fn dec_of(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s
            .trim()
            .trim_start_matches('$')
            .replace(',', "")
            .parse()
            .ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        Value::Object(o) => o.get("value").or_else(|| o.get("amount")).and_then(dec_of),
        _ => None,
    }
}

/// Reads a bill's text (`name` is the file, for messages): JSON when it
/// starts with `{` or `[`, else CSV. A leading byte-order mark is ignored.
///
/// # Errors
/// The first line or item that cannot be read, with its position and what to do.
pub fn parse(name: &str, text: &str) -> Result<Vec<BillLine>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.trim_start().chars().next();
    let lines = if matches!(first, Some('{' | '[')) {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            anyhow!(
                "{name}:{}:{}: not valid JSON ({e})\n\
                 hint: a bill is a CSV with a `date,amount` header, or JSON (see `llmcost reconcile --help`)",
                e.line(),
                e.column()
            )
        })?;
        json(&v).map_err(|e| anyhow!("{name}: not a bill: {e:#}"))?
    } else {
        csv(text).map_err(|e| anyhow!("{name}:{e:#}"))?
    };
    if lines.is_empty() {
        bail!("{name}: the bill has no lines\nhint: give at least one `date,amount` line");
    }
    Ok(lines)
}

fn csv(text: &str) -> Result<Vec<BillLine>> {
    let mut rows = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, head) = rows.next().ok_or_else(|| {
        anyhow!(
            "1: empty file\nhint: a CSV bill needs a header such as `date,model,amount,currency`"
        )
    })?;
    let names: Vec<String> = csv_fields(head)
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |keys: &[&str]| names.iter().position(|n| keys.contains(&n.as_str()));
    let date = col(&["date", "day", "time", "timestamp"]).ok_or_else(|| {
        anyhow!("1: the header has no `date` column\nhint: name the columns, e.g. `date,model,amount,currency`")
    })?;
    let amount = col(&["amount", "cost", "billed"]).ok_or_else(|| {
        anyhow!("1: the header has no `amount` column (or `cost`, `billed`)\nhint: name the columns, e.g. `date,model,amount,currency`")
    })?;
    let model = col(&["model"]);
    let currency = col(&["currency"]);
    let mut out = Vec::new();
    for (i, r) in rows {
        let f = csv_fields(r);
        let line = i + 1;
        if f.len() < names.len() {
            bail!(
                "{line}: {} fields where the header has {}\nhint: fill in every column (leave optional ones empty)",
                f.len(),
                names.len()
            );
        }
        let get = |c: usize| f.get(c).map_or("", |s| s.trim());
        let day = day_of_text(get(date)).ok_or_else(|| {
            anyhow!(
                "{line}: date: `{}` is not a date between 1970 and 2199\nhint: write dates as 2025-09-01",
                get(date)
            )
        })?;
        let a = get(amount);
        let amount: Decimal = a
            .trim_start_matches('$')
            .replace(',', "")
            .parse()
            .map_err(|_| {
                anyhow!(
                    "{line}: amount: `{a}` is not a decimal number\nhint: write amounts as 12.34"
                )
            })?;
        let currency = match currency.map(get).filter(|s| !s.is_empty()) {
            Some(c) => Some(Currency::new(c).map_err(|e| {
                anyhow!("{line}: currency: {e}\nhint: use an ISO code such as USD")
            })?),
            None => None,
        };
        out.push(BillLine {
            day,
            model: model.map(get).filter(|s| !s.is_empty()).map(str::to_string),
            amount,
            currency,
        });
    }
    Ok(out)
}

fn json(v: &Value) -> Result<Vec<BillLine>> {
    let mut out = Vec::new();
    // A provider page: data[] of buckets with results[].
    if let Some(data) = v.get("data").and_then(Value::as_array)
        && data.iter().any(|b| b.get("results").is_some())
    {
        for (bi, b) in data.iter().enumerate() {
            let day = b
                .get("start_time")
                .and_then(Value::as_i64)
                .map(|t| t.div_euclid(86_400))
                .and_then(in_range)
                .or_else(|| {
                    b.get("starting_at")
                        .and_then(Value::as_str)
                        .and_then(day_of_text)
                })
                .ok_or_else(|| {
                    anyhow!(
                        "data[{bi}]: no `start_time` / `starting_at` between 1970 and 2199\nhint: pass the provider's cost page as downloaded"
                    )
                })?;
            let anthropic = b.get("starting_at").is_some();
            for r in b
                .get("results")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(raw) = r.get("amount").and_then(dec_of) else {
                    continue;
                };
                // Anthropic's cost report gives amounts in cents.
                let amount = if anthropic && r.get("amount").is_some_and(Value::is_string) {
                    raw / Decimal::ONE_HUNDRED
                } else {
                    raw
                };
                let currency = r
                    .get("amount")
                    .and_then(|a| a.get("currency"))
                    .or_else(|| r.get("currency"))
                    .and_then(Value::as_str)
                    .map(|c| Currency::new(&c.to_ascii_uppercase()))
                    .transpose()
                    .map_err(|e| anyhow!("data[{bi}]: currency: {e}"))?;
                let model = r
                    .get("model")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        r.get("line_item")
                            .and_then(Value::as_str)
                            .map(|l| l.split(',').next().unwrap_or(l).trim().to_string())
                    })
                    .filter(|m| !m.is_empty());
                out.push(BillLine {
                    day,
                    model,
                    amount: amount.normalize(),
                    currency,
                });
            }
        }
        return Ok(out);
    }
    let items = match v {
        Value::Array(a) => a,
        _ => v
            .get("items")
            .or_else(|| v.get("rows"))
            .or_else(|| v.get("lines"))
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("expected a list of {{date, model, amount, currency}}, `items`, or a provider cost page"))?,
    };
    for (i, it) in items.iter().enumerate() {
        let n = i + 1;
        let date = it
            .get("date")
            .or_else(|| it.get("day"))
            .and_then(Value::as_str)
            .and_then(day_of_text)
            .ok_or_else(|| {
                anyhow!(
                    "item {n}: no `date` between 1970 and 2199\nhint: write dates as \"2025-09-01\""
                )
            })?;
        let amount = it
            .get("amount")
            .or_else(|| it.get("cost"))
            .or_else(|| it.get("billed"))
            .and_then(dec_of)
            .ok_or_else(|| {
                anyhow!("item {n}: no decimal `amount`\nhint: write amounts as \"12.34\"")
            })?;
        let currency = it
            .get("currency")
            .and_then(Value::as_str)
            .map(Currency::new)
            .transpose()
            .map_err(|e| anyhow!("item {n}: currency: {e}"))?;
        out.push(BillLine {
            day: date,
            model: it.get("model").and_then(Value::as_str).map(str::to_string),
            amount,
            currency,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn csv_and_json_bills() {
        let lines = parse(
            "b.csv",
            "date,model,amount,currency\n2025-09-01,gpt-4o,\"1,234.5\",USD\n2025-09-02,,2,\n",
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].amount, d("1234.5"));
        // 2025-09-01 is 20332 days after 1970-01-01 (55 years, 14 leap days, + 243 days).
        assert_eq!(lines[0].day, 20_332);
        assert_eq!(lines[1].model, None);
        let l = parse("o.json", r#"{"object":"page","data":[{"object":"bucket","start_time":1756684800,"results":[{"object":"organization.costs.result","amount":{"value":0.06,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, input"}]}]}"#).unwrap();
        assert_eq!(l[0].model.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(l[0].amount, d("0.06"));
        assert_eq!(l[0].currency, Some(Currency::USD));
        // 1756684800 / 86400 = 20332: 2025-09-01.
        assert_eq!(l[0].day, 20_332);
        let l = parse("a.json", r#"{"data":[{"starting_at":"2025-09-01T00:00:00Z","results":[{"currency":"USD","amount":"123.5","model":"claude-sonnet-4-20250514","cost_type":"tokens"}]}]}"#).unwrap();
        // 123.5 cents = 1.235 USD
        assert_eq!(l[0].amount, d("1.235"));
    }

    #[test]
    fn bad_bills_say_where() {
        let e = |name: &str, text: &str| format!("{:#}", parse(name, text).unwrap_err());
        assert!(
            e("b.csv", "date,amount\n2025-09-01,1\n2025-13-01,2\n").starts_with("b.csv:3: date:")
        );
        assert!(e("b.csv", "date,amount\n2025-09-01,x\n").starts_with("b.csv:2: amount:"));
        assert!(e("b.csv", "date,model,amount\n2025-09-01,1\n").starts_with("b.csv:2: 2 fields"));
        assert!(e("b.csv", "when,amount\n").contains("no `date` column"));
        assert!(e("b.csv", "date,amount\n").contains("no lines"));
        assert!(e("b.json", "{\"a\":").starts_with("b.json:1:5: not valid JSON"));
        assert!(e("b.json", r#"[{"date":"2301-01-01","amount":"1"}]"#).contains("item 1"));
        // The smallest start_time must not overflow a day count later.
        assert!(
            e(
                "b.json",
                r#"{"data":[{"start_time":-9223372036854775808,"results":[]}]}"#
            )
            .contains("data[0]")
        );
        // A byte-order mark and CRLF line ends are fine.
        let l = parse("b.csv", "\u{feff}date,amount\r\n2025-09-01,1.5\r\n").unwrap();
        assert_eq!(l[0].amount, d("1.5"));
    }
}
