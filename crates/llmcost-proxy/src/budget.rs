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
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use llmcost_core::{Currency, Decimal};
use llmcost_ledger::{BudgetAsk, FleetBudgets, FleetSpend, HoldDelta, SpendDelta, UsageRecord};

use crate::error::ProxyError;

mod preload;
pub use preload::{CostOf, PreloadReport};

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
    /// The period containing `at`, in UTC: `[start, end)`.
    #[must_use]
    pub fn bounds(self, at: Timestamp) -> (Timestamp, Timestamp) {
        self.bounds_in(at, &TimeZone::UTC)
    }

    /// The period containing `at` in the time zone `tz`: from its first
    /// instant (midnight, or the first instant after a DST gap) to the next's.
    #[must_use]
    pub fn bounds_in(self, at: Timestamp, tz: &TimeZone) -> (Timestamp, Timestamp) {
        let date = at.to_zoned(tz.clone()).date();
        let (start, end) = match self {
            Period::Day => (date, date.tomorrow().ok()),
            Period::Month => {
                let s = date.first_of_month();
                (s, s.checked_add(1.month()).ok())
            }
        };
        let ts = |d: jiff::civil::Date| {
            d.to_zoned(tz.clone())
                .and_then(|z| z.start_of_day())
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

/// What calls get while fleet budgets cannot be checked (the database is unreachable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BudgetFail {
    /// Admit on the local view: this proxy's spend and the fleet's last seen (default).
    #[default]
    Open,
    /// Refuse with 503 until the database answers again.
    Closed,
}

impl std::str::FromStr for BudgetFail {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(BudgetFail::Open),
            "closed" => Ok(BudgetFail::Closed),
            other => Err(format!(
                "budget-fail `{other}`: expected `open` or `closed`"
            )),
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
    /// The time zone the periods follow (`None`: UTC).
    pub tz: Option<TimeZone>,
}

impl BudgetRule {
    /// The period containing `at` in the budget's time zone: `[start, end)`.
    #[must_use]
    pub fn bounds(&self, at: Timestamp) -> (Timestamp, Timestamp) {
        match &self.tz {
            Some(tz) => self.period.bounds_in(at, tz),
            None => self.period.bounds(at),
        }
    }

    /// `@Europe/Paris` for a budget in a time zone, else nothing.
    fn zone_suffix(&self) -> String {
        self.tz
            .as_ref()
            .map(|z| format!("@{}", z.iana_name().unwrap_or("UTC")))
            .unwrap_or_default()
    }
}

impl fmt::Display for BudgetRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={}{}/{}{}",
            self.scope,
            self.limit.normalize(),
            self.currency,
            self.period.per(),
            self.zone_suffix()
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
    fleet: Option<Fleet>,
}

/// A request to an admission thread.
enum Job {
    Admit(
        Vec<BudgetAsk>,
        std::sync::mpsc::SyncSender<llmcost_ledger::Result<Vec<FleetSpend>>>,
    ),
    Release(std::sync::mpsc::SyncSender<llmcost_ledger::Result<()>>),
}

/// The shared side of fleet budgets.
struct Fleet {
    /// Admission threads, each with its own connection (a blocking database
    /// client cannot run on the serving threads' async runtimes).
    slots: Vec<Mutex<Sender<Job>>>,
    next: std::sync::atomic::AtomicUsize,
    /// This proxy instance (its records' key stem).
    proxy: String,
    fail: BudgetFail,
    /// While the database is unreachable, when to try it again.
    retry_at: Mutex<Option<Instant>>,
    /// Finished calls' hold changes, to the settling thread (`None` once closed).
    settle: Mutex<Option<Sender<Vec<HoldDelta>>>>,
    settler: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("proxy", &self.proxy)
            .field("fail", &self.fail)
            .finish_non_exhaustive()
    }
}

impl Fleet {
    /// Sends a job to the next admission thread and waits for its answer.
    fn ask<T>(
        &self,
        job: impl FnOnce(std::sync::mpsc::SyncSender<llmcost_ledger::Result<T>>) -> Job,
    ) -> llmcost_ledger::Result<T> {
        let gone = || llmcost_ledger::LedgerError::Conflict("the admission thread stopped".into());
        let n = self.slots.len();
        if n == 0 {
            return Err(gone());
        }
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % n;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.slots[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job(tx))
            .map_err(|_| gone())?;
        rx.recv().map_err(|_| gone())?
    }
}

/// How long an unreachable database is left alone before admissions try it again.
const FLEET_RETRY: Duration = Duration::from_millis(500);

/// The shared account of `rule` for `subject`: who, currency and period. Two
/// rules over the same calls (`key` and `key:FP`) share an account.
fn account_name(rule: &BudgetRule, subject: Option<&str>) -> String {
    let who = match (&rule.scope, subject) {
        (Scope::Global, _) => "global".to_string(),
        (Scope::Tag(t), _) => format!("tag:{t}"),
        (Scope::EachKey | Scope::Key(_), Some(k)) => format!("key:{k}"),
        (Scope::EachKey, None) => "key".to_string(),
        (Scope::Key(k), None) => format!("key:{k}"),
    };
    format!(
        "{who}|{}|{}{}",
        rule.currency,
        rule.period.per(),
        rule.zone_suffix()
    )
}

/// What a call holds while in flight; give it back with [`Budgets::commit`].
#[derive(Debug, Default)]
pub struct Reservation {
    entries: Vec<(AccountKey, Decimal)>,
    model: String,
    /// Fleet accounts (deduplicated) and the estimate held in each; empty
    /// when the fleet did not admit the call (local budgets, or a database outage).
    fleet: Vec<(String, Timestamp, Decimal, Currency)>,
    /// Fleet mode: finished calls settle their pending spend there.
    fleet_accounts: Vec<(String, Timestamp, Currency)>,
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
            fleet: None,
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
    /// [`ProxyError::BudgetExceeded`]; [`ProxyError::Unavailable`] when fleet
    /// budgets cannot be checked and `--budget-fail closed`.
    pub fn admit(
        &self,
        at: Timestamp,
        key_fp: Option<&str>,
        tags: &[String],
        model: &str,
    ) -> Result<Reservation, ProxyError> {
        let mut res = Reservation {
            model: model.to_string(),
            ..Reservation::default()
        };
        if self.rules.is_empty() {
            return Ok(res);
        }
        // The accounts and estimates, under the local lock.
        let mut wanted: Vec<(AccountKey, Decimal, Timestamp)> = Vec::new();
        {
            let inner = self.lock();
            for (i, subject) in self.applicable(key_fp, tags) {
                let rule = &self.rules[i];
                let (start, end) = rule.bounds(at);
                let est = inner
                    .estimates
                    .get(&(model.to_string(), rule.currency))
                    .copied()
                    .unwrap_or_default();
                wanted.push((
                    AccountKey {
                        rule: i,
                        subject,
                        start,
                    },
                    est,
                    end,
                ));
            }
        }
        if let Some(fleet) = &self.fleet {
            res.fleet_accounts = self.fleet_accounts(&wanted);
            match self.admit_fleet(fleet, &wanted, at) {
                Ok(held) => {
                    res.fleet = held;
                    let mut inner = self.lock();
                    for (key, est, _) in wanted {
                        let a = inner.accounts.entry(key.clone()).or_default();
                        a.reserved += est;
                        a.in_flight += 1;
                        res.entries.push((key, est));
                    }
                    return Ok(res);
                }
                Err(FleetRefusal::Refused(e)) => return Err(e),
                Err(FleetRefusal::Down(why)) => {
                    if fleet.fail == BudgetFail::Closed {
                        return Err(ProxyError::Unavailable(format!(
                            "budgets cannot be checked: {why} (--budget-fail closed refuses calls until the ledger database answers)"
                        )));
                    }
                    // Open: the local view decides below.
                }
            }
        }
        let mut inner = self.lock();
        for (key, est, end) in &wanted {
            let rule = &self.rules[key.rule];
            let acct = inner.accounts.get(key).cloned().unwrap_or_default();
            let over = acct.spent >= rule.limit;
            let crowded = acct.in_flight > 0 && acct.spent + acct.reserved + *est > rule.limit;
            if over || crowded {
                return Err(refusal(rule, key, &acct, over, at, *end));
            }
        }
        for (key, est, _) in wanted {
            let a = inner.accounts.entry(key.clone()).or_default();
            a.reserved += est;
            a.in_flight += 1;
            res.entries.push((key, est));
        }
        Ok(res)
    }

    /// The fleet accounts of a call (deduplicated).
    fn fleet_accounts(
        &self,
        wanted: &[(AccountKey, Decimal, Timestamp)],
    ) -> Vec<(String, Timestamp, Currency)> {
        let mut out: Vec<(String, Timestamp, Currency)> = Vec::new();
        for (key, _, _) in wanted {
            let rule = &self.rules[key.rule];
            let name = account_name(rule, key.subject.as_deref());
            if !out.iter().any(|(n, s, _)| *n == name && *s == key.start) {
                out.push((name, key.start, rule.currency));
            }
        }
        out
    }

    /// One round trip: the fleet admits the call (holding its estimates) or refuses it.
    fn admit_fleet(
        &self,
        fleet: &Fleet,
        wanted: &[(AccountKey, Decimal, Timestamp)],
        at: Timestamp,
    ) -> Result<Vec<(String, Timestamp, Decimal, Currency)>, FleetRefusal> {
        {
            let mut retry = fleet
                .retry_at
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match *retry {
                Some(t) if Instant::now() < t => {
                    return Err(FleetRefusal::Down(
                        "the ledger database is unreachable".into(),
                    ));
                }
                Some(_) => *retry = None,
                None => {}
            }
        }
        // One ask per account (the smallest limit of the rules sharing it), sorted:
        // admissions lock accounts in one order.
        let mut asks: Vec<(BudgetAsk, Vec<usize>, Currency)> = Vec::new();
        for (i, (key, est, _)) in wanted.iter().enumerate() {
            let rule = &self.rules[key.rule];
            let name = account_name(rule, key.subject.as_deref());
            match asks
                .iter_mut()
                .find(|(a, _, _)| a.account == name && a.period_start == key.start)
            {
                Some((a, idx, _)) => {
                    a.limit = a.limit.min(rule.limit);
                    a.estimate = a.estimate.max(*est);
                    idx.push(i);
                }
                None => asks.push((
                    BudgetAsk {
                        account: name,
                        period_start: key.start,
                        limit: rule.limit,
                        estimate: *est,
                    },
                    vec![i],
                    rule.currency,
                )),
            }
        }
        asks.sort_by(|a, b| {
            (&a.0.account, a.0.period_start).cmp(&(&b.0.account, b.0.period_start))
        });
        let plain: Vec<BudgetAsk> = asks.iter().map(|(a, _, _)| a.clone()).collect();
        let n = plain.len();
        let answer = fleet.ask(|reply| Job::Admit(plain, reply));
        let states = match answer {
            Ok(s) if s.len() == n => s,
            Ok(_) => {
                return Err(FleetRefusal::Down(
                    "a short answer from the database".into(),
                ));
            }
            Err(e) => {
                tracing::warn!(error = %e, "fleet budgets: the ledger database is unreachable");
                *fleet
                    .retry_at
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + FLEET_RETRY);
                return Err(FleetRefusal::Down(e.to_string()));
            }
        };
        // The local view follows the fleet's (used while the database is unreachable).
        {
            let mut inner = self.lock();
            for ((_, idx, _), st) in asks.iter().zip(&states) {
                for &i in idx {
                    let a = inner.accounts.entry(wanted[i].0.clone()).or_default();
                    a.spent = a.spent.max(st.spent + st.pending);
                }
            }
        }
        for ((ask, idx, _), st) in asks.iter().zip(&states) {
            if st.refused {
                let (key, _, end) = &wanted[idx[0]];
                let rule = &self.rules[key.rule];
                let acct = Account {
                    spent: st.spent + st.pending,
                    reserved: st.reserved,
                    in_flight: u32::try_from(st.calls).unwrap_or(u32::MAX),
                };
                let over = acct.spent >= ask.limit;
                let mut rule = rule.clone();
                rule.limit = ask.limit;
                return Err(FleetRefusal::Refused(refusal(
                    &rule, key, &acct, over, at, *end,
                )));
            }
        }
        Ok(asks
            .into_iter()
            .map(|(a, _, cur)| (a.account, a.period_start, a.estimate, cur))
            .collect())
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
        for (cur, cost) in &costs {
            if let Some(c) = cost
                && *c > Decimal::ZERO
            {
                inner.estimates.insert((res.model.clone(), *cur), *c);
            }
        }
        drop(inner);
        if let Some(fleet) = &self.fleet {
            let cost_of = |cur: Currency| {
                costs
                    .iter()
                    .find(|(c, _)| *c == cur)
                    .and_then(|(_, v)| *v)
                    .unwrap_or_default()
            };
            let mut deltas: Vec<HoldDelta> = Vec::new();
            for (account, start, cur) in &res.fleet_accounts {
                let held = res
                    .fleet
                    .iter()
                    .find(|(a, s, _, _)| a == account && s == start);
                deltas.push(HoldDelta {
                    account: account.clone(),
                    period_start: *start,
                    reserved: held.map_or(Decimal::ZERO, |h| -h.2),
                    pending: cost_of(*cur),
                    calls: if held.is_some() { -1 } else { 0 },
                });
            }
            if let Some(tx) = fleet
                .settle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
            {
                let _ = tx.send(deltas);
            }
        }
    }

    /// Turns on fleet budgets: admissions go through `slots` (connections to
    /// the shared ledger) for proxy instance `proxy`; finished calls' holds are
    /// settled by a thread of their own, started here on `settler`, until
    /// [`Budgets::close_fleet`].
    ///
    /// # Errors
    /// The thread cannot be started.
    pub fn set_fleet(
        &mut self,
        slots: Vec<Box<dyn FleetBudgets>>,
        settler: Box<dyn FleetBudgets>,
        proxy: String,
        fail: BudgetFail,
    ) -> std::io::Result<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        let who = proxy.clone();
        let handle = std::thread::Builder::new()
            .name("llmcost-budget-settle".into())
            .spawn(move || settle_loop(settler, &who, &rx))?;
        let mut senders = Vec::new();
        for mut conn in slots {
            let (jtx, jrx) = std::sync::mpsc::channel::<Job>();
            let who = proxy.clone();
            std::thread::Builder::new()
                .name("llmcost-budget-admit".into())
                .spawn(move || {
                    // Ends when the budgets (and their senders) are dropped.
                    for job in jrx {
                        match job {
                            Job::Admit(asks, reply) => {
                                let _ = reply.send(conn.admit(&who, &asks));
                            }
                            Job::Release(reply) => {
                                let _ = reply.send(conn.release(&who));
                            }
                        }
                    }
                })?;
            senders.push(Mutex::new(jtx));
        }
        self.fleet = Some(Fleet {
            slots: senders,
            next: std::sync::atomic::AtomicUsize::new(0),
            proxy,
            fail,
            retry_at: Mutex::new(None),
            settle: Mutex::new(Some(tx)),
            settler: Mutex::new(Some(handle)),
        });
        Ok(())
    }

    /// Whether budgets are shared by a fleet.
    #[must_use]
    pub fn is_fleet(&self) -> bool {
        self.fleet.is_some()
    }

    /// At shutdown, after the writer stopped: applies the queued hold changes
    /// and, with `release` (nothing left unstored), drops this proxy's holds.
    pub fn close_fleet(&self, release: bool) {
        let Some(fleet) = &self.fleet else {
            return;
        };
        drop(
            fleet
                .settle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let handle = fleet
            .settler
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(h) = handle {
            let _ = h.join();
        }
        if release && let Err(e) = fleet.ask(Job::Release) {
            tracing::warn!(error = %e, "fleet budgets: holds not released (they expire)");
        }
    }

    /// What a stored record spends in each fleet account (for the writer's
    /// insert transaction). `cost_in` prices it in a budget's currency.
    pub fn spend_of(
        &self,
        index: usize,
        r: &UsageRecord,
        cost_in: &dyn Fn(Currency) -> Option<Decimal>,
        out: &mut Vec<SpendDelta>,
    ) {
        let holder = r
            .dedup_key
            .strip_prefix("seq:proxy-")
            .and_then(|k| k.rsplit_once(':'))
            .map(|(stem, _)| stem.to_string());
        let first = out.len();
        for (i, subject) in self.applicable(r.key_fingerprint.as_deref(), &r.tags) {
            let rule = &self.rules[i];
            let (start, _) = rule.bounds(r.at);
            let account = account_name(rule, subject.as_deref());
            if out[first..]
                .iter()
                .any(|d| d.account == account && d.period_start == start)
            {
                continue;
            }
            if let Some(amount) = cost_in(rule.currency) {
                out.push(SpendDelta {
                    record: index,
                    account,
                    period_start: start,
                    amount,
                    holder: holder.clone(),
                });
            }
        }
    }

    /// Fleet mode: records this proxy finished that will never be stored
    /// (dropped by a full writer queue, lost by the writer). Their pending
    /// spend is released as their insert would have released it (the same
    /// amounts, [`Budgets::spend_of`]), without adding it to the stored
    /// spend, so the fleet stops counting it. Records held by another proxy
    /// instance (an earlier run's spill file) are left alone. Does nothing
    /// without fleet budgets.
    pub fn unstored(
        &self,
        records: &[UsageRecord],
        cost_in: &dyn Fn(&UsageRecord, Currency) -> Option<Decimal>,
    ) {
        let Some(fleet) = &self.fleet else {
            return;
        };
        let mut spend = Vec::new();
        for (i, r) in records.iter().enumerate() {
            self.spend_of(i, r, &|cur| cost_in(r, cur), &mut spend);
        }
        let mut deltas: Vec<HoldDelta> = Vec::new();
        for d in spend {
            if d.holder.as_deref() != Some(fleet.proxy.as_str()) || d.amount.is_zero() {
                continue;
            }
            merge(
                &mut deltas,
                vec![HoldDelta {
                    account: d.account,
                    period_start: d.period_start,
                    reserved: Decimal::ZERO,
                    pending: -d.amount,
                    calls: 0,
                }],
            );
        }
        if deltas.is_empty() {
            return;
        }
        if let Some(tx) = fleet
            .settle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            let _ = tx.send(deltas);
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
            let (start, _) = rule.bounds(now);
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
        self.rules.iter().map(|r| r.bounds(now).0).min()
    }

    /// Current spend of every account of the current periods at `now`.
    #[must_use]
    pub fn spend(&self, now: Timestamp) -> Vec<Spend> {
        let inner = self.lock();
        let mut out: Vec<Spend> = inner
            .accounts
            .iter()
            .filter(|(k, _)| self.rules[k.rule].bounds(now).0 == k.start)
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

enum FleetRefusal {
    Refused(ProxyError),
    Down(String),
}

/// How long finished calls' hold changes gather before they are sent.
const SETTLE_GATHER: Duration = Duration::from_millis(2);
/// How often a proxy shows it is alive (its holds count while it does).
const HEARTBEAT: Duration = Duration::from_secs(1);

/// Applies finished calls' hold changes in small batches, and shows the
/// proxy alive; keeps what the database refused and tries again.
fn settle_loop(mut conn: Box<dyn FleetBudgets>, proxy: &str, rx: &Receiver<Vec<HoldDelta>>) {
    let mut pending: Vec<HoldDelta> = Vec::new();
    let mut last_beat = Instant::now();
    let mut retry_at: Option<Instant> = None;
    let mut open = true;
    while open || !pending.is_empty() {
        let wait = if pending.is_empty() {
            HEARTBEAT
        } else {
            FLEET_RETRY
        };
        match rx.recv_timeout(wait) {
            Ok(d) => merge(&mut pending, d),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => open = false,
        }
        if open {
            std::thread::sleep(SETTLE_GATHER);
        }
        loop {
            match rx.try_recv() {
                Ok(d) => merge(&mut pending, d),
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        let due = pending.is_empty() && last_beat.elapsed() >= HEARTBEAT;
        if (pending.is_empty() && !due) || retry_at.is_some_and(|t| Instant::now() < t && open) {
            continue;
        }
        match conn.settle(proxy, &pending) {
            Ok(()) => {
                pending.clear();
                last_beat = Instant::now();
                retry_at = None;
            }
            Err(e) => {
                if !open {
                    tracing::warn!(error = %e, "fleet budgets: holds not settled at exit (they expire)");
                    return;
                }
                tracing::warn!(error = %e, "fleet budgets: cannot settle holds; retrying");
                retry_at = Some(Instant::now() + FLEET_RETRY);
            }
        }
    }
}

fn merge(into: &mut Vec<HoldDelta>, add: Vec<HoldDelta>) {
    for d in add {
        match into
            .iter_mut()
            .find(|x| x.account == d.account && x.period_start == d.period_start)
        {
            Some(x) => {
                x.reserved += d.reserved;
                x.pending += d.pending;
                x.calls += d.calls;
            }
            None => into.push(d),
        }
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
            "budget `{}`{who} of {} {} per {}{} {state}; it resets at {end}",
            rule.scope,
            rule.limit.normalize(),
            rule.currency,
            rule.period.per(),
            rule.tz
                .as_ref()
                .map(|z| format!(" ({})", z.iana_name().unwrap_or("UTC")))
                .unwrap_or_default(),
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
            tz: None,
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
    fn periods_follow_the_budget_time_zone_across_dst() {
        let paris = TimeZone::get("Europe/Paris").expect("tz");
        // 2026-03-29: Paris moves from +01:00 to +02:00 at 02:00; the day is 23 hours long.
        // Its midnight is 2026-03-28T23:00Z, the next midnight 2026-03-29T22:00Z.
        assert_eq!(
            Period::Day.bounds_in(ts("2026-03-29T12:00:00Z"), &paris),
            (ts("2026-03-28T23:00:00Z"), ts("2026-03-29T22:00:00Z"))
        );
        // 23:30Z on March 31 is already April 1 in Paris (+02:00): April's month.
        assert_eq!(
            Period::Month.bounds_in(ts("2026-03-31T23:30:00Z"), &paris),
            (ts("2026-03-31T22:00:00Z"), ts("2026-04-30T22:00:00Z"))
        );
        let mut r = rule(Scope::Global, "1", Period::Day);
        r.tz = Some(paris);
        assert_eq!(r.to_string(), "global=1USD/day@Europe/Paris");
        assert_eq!(account_name(&r, None), "global|USD|day@Europe/Paris");
        let b = Budgets::new(vec![r]);
        // Spent at 22:30Z on March 29, i.e. 00:30 on March 30 in Paris:
        let late = ts("2026-03-29T22:30:00Z");
        let res = b.admit(late, None, &[], "m").expect("admitted");
        b.commit(res, &|_| Some(d("1")));
        let e = b.admit(late, None, &[], "m").expect_err("spent");
        assert!(e.to_string().contains("per day (Europe/Paris)"), "{e}");
        assert!(
            e.to_string().contains("resets at 2026-03-30T22:00:00Z"),
            "{e}"
        );
        // ... so a call at 21:59Z on March 29 (23:59 in Paris) belongs to the day before.
        assert!(b.admit(ts("2026-03-29T21:59:00Z"), None, &[], "m").is_ok());
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
    fn fleet_accounts_name_who_currency_and_period() {
        let each = rule(Scope::EachKey, "1", Period::Day);
        let one = rule(Scope::Key("abc".into()), "2", Period::Day);
        // `key` and `key:abc` count the same spend: one account.
        assert_eq!(account_name(&each, Some("abc")), "key:abc|USD|day");
        assert_eq!(account_name(&one, Some("abc")), "key:abc|USD|day");
        assert_eq!(
            account_name(
                &rule(Scope::Tag("ci".into()), "1", Period::Month),
                Some("ci")
            ),
            "tag:ci|USD|month"
        );
        let b = Budgets::new(vec![each, one, rule(Scope::Global, "5", Period::Day)]);
        let mut r = UsageRecord::new(
            "seq:proxy-18f-2a:7",
            ts("2026-11-23T10:00:00Z"),
            "proxy",
            "m",
            llmcost_core::Usage::default(),
        );
        r.key_fingerprint = Some("abc".into());
        let mut out = Vec::new();
        b.spend_of(3, &r, &|_| Some(d("0.5")), &mut out);
        let got: Vec<(&str, usize, Option<&str>)> = out
            .iter()
            .map(|x| (x.account.as_str(), x.record, x.holder.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("key:abc|USD|day", 3, Some("18f-2a")),
                ("global|USD|day", 3, Some("18f-2a"))
            ]
        );
        assert_eq!(out[0].period_start, ts("2026-11-23T00:00:00Z"));
        assert_eq!("closed".parse::<BudgetFail>(), Ok(BudgetFail::Closed));
        assert!("shut".parse::<BudgetFail>().is_err());
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

    /// A fleet that admits every call and keeps its hold changes.
    struct FakeFleet(std::sync::Arc<Mutex<Vec<HoldDelta>>>);

    impl FleetBudgets for FakeFleet {
        fn admit(
            &mut self,
            _proxy: &str,
            asks: &[BudgetAsk],
        ) -> llmcost_ledger::Result<Vec<FleetSpend>> {
            // An admission adds the estimate and one call to the proxy's holds.
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(asks.iter().map(|a| HoldDelta {
                    account: a.account.clone(),
                    period_start: a.period_start,
                    reserved: a.estimate,
                    pending: Decimal::ZERO,
                    calls: 1,
                }));
            Ok(vec![FleetSpend::default(); asks.len()])
        }
        fn settle(&mut self, _proxy: &str, deltas: &[HoldDelta]) -> llmcost_ledger::Result<()> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(deltas);
            Ok(())
        }
        fn release(&mut self, _proxy: &str) -> llmcost_ledger::Result<()> {
            Ok(())
        }
    }

    /// Two calls of 0.5 through a fake fleet; the second record is dropped
    /// (`unstored` when `release`). Returns the net hold change per account:
    /// (reserved, pending, calls).
    fn drop_second(release: bool) -> Vec<(String, (Decimal, Decimal, i64))> {
        let settled = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut b = Budgets::new(vec![
            rule(Scope::Global, "5", Period::Day),
            rule(Scope::Tag("ci".into()), "5", Period::Day),
        ]);
        b.set_fleet(
            vec![Box::new(FakeFleet(settled.clone()))],
            Box::new(FakeFleet(settled.clone())),
            "18f-2a".into(),
            BudgetFail::Open,
        )
        .expect("fleet");
        let now = ts("2026-11-23T10:00:00Z");
        let ci = vec!["ci".to_string()];
        let mut records = Vec::new();
        for n in 0..2 {
            let res = b.admit(now, None, &ci, "m").expect("admitted");
            b.commit(res, &|_| Some(d("0.5")));
            let mut r = UsageRecord::new(
                format!("seq:proxy-18f-2a:{n}"),
                now,
                "proxy",
                "m",
                llmcost_core::Usage::default(),
            );
            r.tags.clone_from(&ci);
            records.push(r);
        }
        if release {
            // A record of another proxy instance (an earlier run's spill) is
            // not this one's to release: ignored.
            let mut other = records[0].clone();
            other.dedup_key = "seq:proxy-99-1:0".into();
            b.unstored(&[records[1].clone(), other], &|_, _| Some(d("0.5")));
        }
        b.close_fleet(false);
        let settled = settled.lock().unwrap_or_else(PoisonError::into_inner);
        let day = ts("2026-11-23T00:00:00Z");
        assert!(settled.iter().all(|h| h.period_start == day));
        let mut net: Vec<(String, (Decimal, Decimal, i64))> = Vec::new();
        for h in settled.iter() {
            match net.iter_mut().find(|(a, _)| *a == h.account) {
                Some((_, (r, p, c))) => {
                    *r += h.reserved;
                    *p += h.pending;
                    *c += h.calls;
                }
                None => net.push((h.account.clone(), (h.reserved, h.pending, h.calls))),
            }
        }
        net.sort();
        net
    }

    #[test]
    fn a_record_never_stored_releases_its_pending_fleet_spend() {
        // Per account: reservations 0 + 0.5 (learnt from the first call) made
        // and taken back, calls +2 - 2; pending 0.5 + 0.5 - 0.5 (released) =
        // 0.5: the stored record's, which its insert takes off.
        let half = (Decimal::ZERO, d("0.5"), 0);
        assert_eq!(
            drop_second(true),
            [
                ("global|USD|day".to_string(), half),
                ("tag:ci|USD|day".to_string(), half)
            ]
        );
        // Without the release the dropped call's 0.5 stayed pending: 1.0.
        let whole = (Decimal::ZERO, d("1.0"), 0);
        assert_eq!(
            drop_second(false),
            [
                ("global|USD|day".to_string(), whole),
                ("tag:ci|USD|day".to_string(), whole)
            ]
        );
    }
}
