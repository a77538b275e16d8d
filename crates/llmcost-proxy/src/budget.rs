//! Spending limits with reserve/commit accounting.
//!
//! A budget is a limit per UTC day or month, in a currency, over a scope: every
//! call (`global`), calls carrying a tag (`tag:NAME`), each key fingerprint on
//! its own (`key`) or one fingerprint (`key:FP`).
//!
//! * A budget is **spent** when a call's cost is recorded (at the end of its
//!   response, before the client sees the end of it).
//! * A call is **refused** before it is forwarded when the spend of the current
//!   period has reached the limit.
//! * While calls are in flight, each holds a **reservation**: the last recorded
//!   cost of a call to the same model (zero for a model not seen yet). A call is
//!   also refused when, with other calls in flight, spend + reservations + its own
//!   estimate would pass the limit. So concurrent calls overspend a budget by at
//!   most what the calls in flight cost beyond their estimates; a lone call is
//!   refused only once the spend has reached the limit.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use llmcost_core::{Currency, Decimal};

use crate::error::ProxyError;

/// Who a budget covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// Every metered call.
    Global,
    /// Calls carrying this tag (`x-llmcost-tag`).
    Tag(String),
    /// Each key fingerprint on its own (calls without a key are not covered).
    EachKey,
    /// One key fingerprint.
    Key(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Global => f.write_str("global"),
            Scope::Tag(t) => write!(f, "tag:{t}"),
            Scope::EachKey => f.write_str("key"),
            Scope::Key(k) => write!(f, "key:{k}"),
        }
    }
}

/// A budget period: a UTC calendar day or month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// 00:00 UTC to 00:00 UTC.
    Day,
    /// The first of the month 00:00 UTC to the first of the next.
    Month,
}

impl Period {
    /// The period containing `at`: `[start, end)`.
    #[must_use]
    pub fn bounds(self, at: Timestamp) -> (Timestamp, Timestamp) {
        let date = at.to_zoned(TimeZone::UTC).date();
        let (start, end) = match self {
            Period::Day => (date, date.tomorrow().ok()),
            Period::Month => {
                let s = date.first_of_month();
                (s, s.checked_add(1.month()).ok())
            }
        };
        let ts = |d: jiff::civil::Date| {
            d.to_zoned(TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::MAX)
        };
        (ts(start), end.map_or(Timestamp::MAX, ts))
    }

    fn per(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Month => "month",
        }
    }
}

/// One budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetRule {
    /// Who it covers.
    pub scope: Scope,
    /// The limit.
    pub limit: Decimal,
    /// Currency of the limit.
    pub currency: Currency,
    /// Day or month.
    pub period: Period,
}

impl fmt::Display for BudgetRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={}{}/{}",
            self.scope,
            self.limit.normalize(),
            self.currency,
            self.period.per()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AccountKey {
    rule: usize,
    subject: Option<String>,
    start: Timestamp,
}

#[derive(Debug, Clone, Default)]
struct Account {
    spent: Decimal,
    reserved: Decimal,
    in_flight: u32,
}

#[derive(Debug, Default)]
struct Inner {
    accounts: HashMap<AccountKey, Account>,
    /// Last recorded cost per (model, currency): the reservation of the next call.
    estimates: HashMap<(String, Currency), Decimal>,
}

/// The budgets of a proxy and their current spend.
#[derive(Debug, Default)]
pub struct Budgets {
    rules: Vec<BudgetRule>,
    inner: Mutex<Inner>,
}

/// What a call holds while in flight; give it back with [`Budgets::commit`].
#[derive(Debug, Default)]
pub struct Reservation {
    entries: Vec<(AccountKey, Decimal)>,
    model: String,
}

impl Reservation {
    /// True when no budget covers the call.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The spend of one budget account, for reports and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spend {
    /// The budget.
    pub rule: BudgetRule,
    /// The tag or key fingerprint for `tag:`/`key` budgets.
    pub subject: Option<String>,
    /// Start of the period.
    pub since: Timestamp,
    /// Recorded spend in the period.
    pub spent: Decimal,
}

impl Budgets {
    /// Budgets with nothing spent.
    #[must_use]
    pub fn new(rules: Vec<BudgetRule>) -> Budgets {
        Budgets {
            rules,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The rules.
    #[must_use]
    pub fn rules(&self) -> &[BudgetRule] {
        &self.rules
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn applicable<'a>(
        &'a self,
        key_fp: Option<&'a str>,
        tags: &'a [String],
    ) -> impl Iterator<Item = (usize, Option<String>)> + 'a {
        self.rules
            .iter()
            .enumerate()
            .filter_map(move |(i, r)| match &r.scope {
                Scope::Global => Some((i, None)),
                Scope::Tag(t) => tags.iter().any(|x| x == t).then(|| (i, Some(t.clone()))),
                Scope::EachKey => key_fp.map(|k| (i, Some(k.to_string()))),
                Scope::Key(k) => (key_fp == Some(k.as_str())).then(|| (i, Some(k.clone()))),
            })
    }

    /// Admits a call at `at` or refuses it (429 naming the budget and when it resets).
    ///
    /// # Errors
    /// [`ProxyError::BudgetExceeded`].
    pub fn admit(
        &self,
        at: Timestamp,
        key_fp: Option<&str>,
        tags: &[String],
        model: &str,
    ) -> Result<Reservation, ProxyError> {
        let mut res = Reservation {
            entries: Vec::new(),
            model: model.to_string(),
        };
        if self.rules.is_empty() {
            return Ok(res);
        }
        let mut inner = self.lock();
        let Inner {
            accounts,
            estimates,
        } = &mut *inner;
        for (i, subject) in self.applicable(key_fp, tags) {
            let rule = &self.rules[i];
            let (start, end) = rule.period.bounds(at);
            let key = AccountKey {
                rule: i,
                subject,
                start,
            };
            let est = estimates
                .get(&(model.to_string(), rule.currency))
                .copied()
                .unwrap_or_default();
            let acct = accounts.get(&key).cloned().unwrap_or_default();
            let over = acct.spent >= rule.limit;
            let crowded = acct.in_flight > 0 && acct.spent + acct.reserved + est > rule.limit;
            if over || crowded {
                return Err(refusal(rule, &key, &acct, over, at, end));
            }
            res.entries.push((key, est));
        }
        for (key, est) in &res.entries {
            let a = accounts.entry(key.clone()).or_default();
            a.reserved += *est;
            a.in_flight += 1;
        }
        Ok(res)
    }

    /// Records the cost of a call admitted with `res`: `cost_in(currency)` is its
    /// cost in a budget's currency (`None`: unpriced, which spends nothing).
    pub fn commit(&self, res: Reservation, cost_in: &dyn Fn(Currency) -> Option<Decimal>) {
        if res.entries.is_empty() {
            return;
        }
        let mut inner = self.lock();
        let mut costs: Vec<(Currency, Option<Decimal>)> = Vec::new();
        for (key, est) in res.entries {
            let cur = self.rules[key.rule].currency;
            let cost = match costs.iter().find(|(c, _)| *c == cur) {
                Some((_, v)) => *v,
                None => {
                    let v = cost_in(cur);
                    costs.push((cur, v));
                    v
                }
            };
            let a = inner.accounts.entry(key).or_default();
            a.reserved = (a.reserved - est).max(Decimal::ZERO);
            a.in_flight = a.in_flight.saturating_sub(1);
            if let Some(c) = cost {
                a.spent += c;
            }
        }
        for (cur, cost) in costs {
            if let Some(c) = cost
                && c > Decimal::ZERO
            {
                inner.estimates.insert((res.model.clone(), cur), c);
            }
        }
    }

    /// Adds recorded spend read from the ledger at start: a record at `at` with
    /// `key_fp` and `tags`, costing `cost_in(currency)`.
    pub fn preload(
        &self,
        at: Timestamp,
        now: Timestamp,
        key_fp: Option<&str>,
        tags: &[String],
        model: &str,
        cost_in: &dyn Fn(Currency) -> Option<Decimal>,
    ) {
        let mut inner = self.lock();
        for (i, subject) in self.applicable(key_fp, tags) {
            let rule = &self.rules[i];
            let (start, _) = rule.period.bounds(now);
            if at < start {
                continue;
            }
            if let Some(c) = cost_in(rule.currency) {
                inner
                    .accounts
                    .entry(AccountKey {
                        rule: i,
                        subject,
                        start,
                    })
                    .or_default()
                    .spent += c;
                if c > Decimal::ZERO {
                    inner
                        .estimates
                        .insert((model.to_string(), rule.currency), c);
                }
            }
        }
    }

    /// The earliest period start of any budget at `now` (what to read at start).
    #[must_use]
    pub fn earliest_start(&self, now: Timestamp) -> Option<Timestamp> {
        self.rules.iter().map(|r| r.period.bounds(now).0).min()
    }

    /// Current spend of every account of the current periods at `now`.
    #[must_use]
    pub fn spend(&self, now: Timestamp) -> Vec<Spend> {
        let inner = self.lock();
        let mut out: Vec<Spend> = inner
            .accounts
            .iter()
            .filter(|(k, _)| self.rules[k.rule].period.bounds(now).0 == k.start)
            .map(|(k, a)| Spend {
                rule: self.rules[k.rule].clone(),
                subject: k.subject.clone(),
                since: k.start,
                spent: a.spent,
            })
            .collect();
        out.sort_by(|a, b| (a.rule.to_string(), &a.subject).cmp(&(b.rule.to_string(), &b.subject)));
        out
    }
}

fn refusal(
    rule: &BudgetRule,
    key: &AccountKey,
    acct: &Account,
    over: bool,
    now: Timestamp,
    end: Timestamp,
) -> ProxyError {
    let who = match (&rule.scope, &key.subject) {
        (Scope::EachKey, Some(fp)) => format!(" for key {fp}"),
        _ => String::new(),
    };
    let state = if over {
        format!(
            "is spent: {} {} spent since {}",
            acct.spent.normalize(),
            rule.currency,
            key.start
        )
    } else {
        format!(
            "would be exceeded by the requests in flight: {} {} spent and {} reserved since {}",
            acct.spent.normalize(),
            rule.currency,
            acct.reserved.normalize(),
            key.start
        )
    };
    let secs = end.duration_since(now).as_secs().max(1);
    ProxyError::BudgetExceeded {
        message: format!(
            "budget `{}`{who} of {} {} per {} {state}; it resets at {end}",
            rule.scope,
            rule.limit.normalize(),
            rule.currency,
            rule.period.per(),
        ),
        retry_after_s: u64::try_from(secs).unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn rule(scope: Scope, limit: &str, period: Period) -> BudgetRule {
        BudgetRule {
            scope,
            limit: d(limit),
            currency: Currency::USD,
            period,
        }
    }

    #[test]
    fn period_bounds_are_utc_calendar_periods() {
        let at = ts("2026-02-28T23:59:59Z");
        assert_eq!(
            Period::Day.bounds(at),
            (ts("2026-02-28T00:00:00Z"), ts("2026-03-01T00:00:00Z"))
        );
        assert_eq!(
            Period::Month.bounds(at),
            (ts("2026-02-01T00:00:00Z"), ts("2026-03-01T00:00:00Z"))
        );
        assert_eq!(
            Period::Month.bounds(ts("2026-12-31T12:00:00Z")).1,
            ts("2027-01-01T00:00:00Z")
        );
    }

    #[test]
    fn sequential_calls_are_refused_once_spend_reaches_the_limit() {
        let b = Budgets::new(vec![rule(Scope::Global, "1", Period::Day)]);
        let now = ts("2026-11-23T10:00:00Z");
        for _ in 0..3 {
            let r = b.admit(now, None, &[], "m").expect("admitted");
            b.commit(r, &|_| Some(d("0.4")));
        }
        // 1.2 spent >= 1: refused, with the budget and the reset time named.
        let e = b.admit(now, None, &[], "m").expect_err("refused");
        let msg = e.to_string();
        assert!(
            msg.contains("budget `global` of 1 USD per day is spent: 1.2 USD"),
            "{msg}"
        );
        assert!(msg.contains("resets at 2026-11-24T00:00:00Z"), "{msg}");
        assert!(matches!(
            e,
            ProxyError::BudgetExceeded {
                retry_after_s: 50400,
                ..
            }
        ));
        // The next day starts afresh.
        assert!(b.admit(ts("2026-11-24T00:00:00Z"), None, &[], "m").is_ok());
    }

    #[test]
    fn reservations_bound_concurrent_overspend() {
        let b = Budgets::new(vec![rule(Scope::Global, "1", Period::Day)]);
        let now = ts("2026-11-23T10:00:00Z");
        // One call teaches the estimate: 0.25 per call.
        let r = b.admit(now, None, &[], "m").expect("admitted");
        b.commit(r, &|_| Some(d("0.25")));
        // 0.75 left: three more fit while in flight, the fourth is refused.
        let held: Vec<_> = (0..3)
            .map(|_| b.admit(now, None, &[], "m").expect("fits"))
            .collect();
        let e = b.admit(now, None, &[], "m").expect_err("crowded");
        assert!(e.to_string().contains("in flight"), "{e}");
        for r in held {
            b.commit(r, &|_| Some(d("0.25")));
        }
        assert_eq!(b.spend(now)[0].spent, d("1"));
        assert!(b.admit(now, None, &[], "m").is_err());
    }

    #[test]
    fn scopes_select_their_calls() {
        let b = Budgets::new(vec![
            rule(Scope::Tag("ci".into()), "1", Period::Month),
            rule(Scope::EachKey, "1", Period::Day),
        ]);
        let now = ts("2026-11-23T10:00:00Z");
        let ci = vec!["ci".to_string()];
        let r = b.admit(now, Some("aaa"), &ci, "m").expect("ok");
        b.commit(r, &|_| Some(d("1")));
        // tag ci spent; key aaa spent; key bbb without the tag still fine.
        assert!(b.admit(now, Some("bbb"), &[], "m").is_ok());
        let e = b.admit(now, Some("bbb"), &ci, "m").expect_err("tag spent");
        assert!(e.to_string().contains("`tag:ci`"), "{e}");
        let e = b.admit(now, Some("aaa"), &[], "m").expect_err("key spent");
        assert!(e.to_string().contains("for key aaa"), "{e}");
        // No key: not covered by `key`.
        assert!(b.admit(now, None, &[], "m").is_ok());
    }

    #[test]
    fn preload_counts_only_the_current_period() {
        let b = Budgets::new(vec![rule(Scope::Global, "1", Period::Day)]);
        let now = ts("2026-11-23T10:00:00Z");
        b.preload(ts("2026-11-22T23:00:00Z"), now, None, &[], "m", &|_| {
            Some(d("5"))
        });
        b.preload(ts("2026-11-23T01:00:00Z"), now, None, &[], "m", &|_| {
            Some(d("0.5"))
        });
        assert_eq!(b.spend(now)[0].spent, d("0.5"));
        assert!(b.admit(now, None, &[], "m").is_ok());
        assert_eq!(b.earliest_start(now), Some(ts("2026-11-23T00:00:00Z")));
    }
}
