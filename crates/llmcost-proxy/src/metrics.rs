//! Prometheus metrics, rendered as text at `/metrics`.
//!
//! Counters are plain atomics; per-model figures sit behind one short mutex per
//! upstream, taken once when a call is finalised.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use llmcost_core::{Bucket, Currency, Decimal, Usage};

/// Upper bounds of the upstream latency histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0, 120.0,
];
const LATENCY_BUCKETS_US: [u64; 14] = [
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    10_000_000,
    30_000_000,
    120_000_000,
];

#[derive(Debug, Default)]
struct ModelStats {
    requests: BTreeMap<u16, u64>,
    tokens: [u64; Bucket::ALL.len()],
    cost: BTreeMap<Currency, Decimal>,
    incomplete: u64,
}

#[derive(Debug)]
struct UpstreamStats {
    name: String,
    models: Mutex<BTreeMap<String, ModelStats>>,
    latency: [AtomicU64; 15],
    latency_sum_us: AtomicU64,
    errors: AtomicU64,
}

/// Every metric of a proxy.
#[derive(Debug)]
pub struct Metrics {
    upstreams: Vec<UpstreamStats>,
    /// Records waiting for the writer.
    pub queue_depth: AtomicI64,
    /// Records dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Records written to the ledger.
    pub written: AtomicU64,
    /// Records whose insert failed.
    pub ledger_errors: AtomicU64,
    /// Calls refused by a budget.
    pub budget_refused: AtomicU64,
    /// Calls for paths no upstream serves.
    pub no_upstream: AtomicU64,
    /// Records written to the spill file because the ledger failed.
    pub spilled: AtomicU64,
    /// Records replayed from the spill file into the ledger.
    pub replayed: AtomicU64,
    /// Calls refused because records could be neither written nor spilled.
    pub ledger_refused: AtomicU64,
    /// The ledger's state, for `/health`.
    pub health: Health,
}

/// The ledger's state as the writer last saw it.
#[derive(Debug, Default)]
pub struct Health {
    /// Why the ledger cannot be written (`None`: it can).
    pub reason: Mutex<Option<String>>,
    /// Records in the spill file, waiting to be replayed.
    pub spill_backlog: AtomicU64,
    /// Bytes of records in the spill file.
    pub spill_bytes: AtomicU64,
    /// Records held in memory, neither written nor spilled (the spill is full or failing).
    pub held: AtomicU64,
    /// New calls are refused until the held records are written or spilled.
    pub refusing: std::sync::atomic::AtomicBool,
}

impl Health {
    /// The reason the ledger is degraded, if it is.
    #[must_use]
    pub fn reason(&self) -> Option<String> {
        self.reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_reason(&self, r: Option<String>) {
        *self.reason.lock().unwrap_or_else(PoisonError::into_inner) = r;
    }
}

impl Metrics {
    /// Metrics for these upstream names.
    #[must_use]
    pub fn new(names: impl IntoIterator<Item = String>) -> Metrics {
        Metrics {
            upstreams: names
                .into_iter()
                .map(|name| UpstreamStats {
                    name,
                    models: Mutex::new(BTreeMap::new()),
                    latency: std::array::from_fn(|_| AtomicU64::new(0)),
                    latency_sum_us: AtomicU64::new(0),
                    errors: AtomicU64::new(0),
                })
                .collect(),
            queue_depth: AtomicI64::new(0),
            dropped: AtomicU64::new(0),
            written: AtomicU64::new(0),
            ledger_errors: AtomicU64::new(0),
            budget_refused: AtomicU64::new(0),
            no_upstream: AtomicU64::new(0),
            spilled: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
            ledger_refused: AtomicU64::new(0),
            health: Health::default(),
        }
    }

    /// Counts a finished call.
    #[expect(
        clippy::too_many_arguments,
        reason = "one flat call per finished request"
    )]
    pub fn observe(
        &self,
        upstream: usize,
        model: &str,
        status: u16,
        usage: &Usage,
        cost: Option<(Decimal, Currency)>,
        incomplete: bool,
        upstream_latency: Option<Duration>,
        failed: bool,
    ) {
        let Some(u) = self.upstreams.get(upstream) else {
            return;
        };
        if let Some(lat) = upstream_latency {
            let us = u64::try_from(lat.as_micros()).unwrap_or(u64::MAX);
            let i = LATENCY_BUCKETS_US
                .iter()
                .position(|&b| us <= b)
                .unwrap_or(LATENCY_BUCKETS_US.len());
            u.latency[i].fetch_add(1, Relaxed);
            u.latency_sum_us.fetch_add(us, Relaxed);
        }
        if failed {
            u.errors.fetch_add(1, Relaxed);
        }
        let mut models = u.models.lock().unwrap_or_else(PoisonError::into_inner);
        let m = match models.get_mut(model) {
            Some(m) => m,
            None => models.entry(model.to_string()).or_default(),
        };
        *m.requests.entry(status).or_default() += 1;
        for (i, b) in Bucket::ALL.iter().enumerate() {
            m.tokens[i] = m.tokens[i].saturating_add(usage.get(*b));
        }
        if let Some((c, cur)) = cost {
            *m.cost.entry(cur).or_default() += c;
        }
        if incomplete {
            m.incomplete += 1;
        }
    }

    /// The Prometheus text exposition.
    #[must_use]
    pub fn render(&self) -> String {
        let mut o = String::with_capacity(4096);
        let mut req = String::new();
        let mut tok = String::new();
        let mut cost = String::new();
        let mut inc = String::new();
        let mut lat = String::new();
        let mut err = String::new();
        for u in &self.upstreams {
            let up = esc(&u.name);
            let models = u.models.lock().unwrap_or_else(PoisonError::into_inner);
            for (model, m) in models.iter() {
                let model = esc(model);
                for (status, n) in &m.requests {
                    let _ = writeln!(
                        req,
                        "llmcost_proxy_requests_total{{upstream=\"{up}\",model=\"{model}\",status=\"{status}\"}} {n}"
                    );
                }
                for (i, b) in Bucket::ALL.iter().enumerate() {
                    if m.tokens[i] > 0 {
                        let _ = writeln!(
                            tok,
                            "llmcost_proxy_tokens_total{{upstream=\"{up}\",model=\"{model}\",bucket=\"{}\"}} {}",
                            b.key(),
                            m.tokens[i]
                        );
                    }
                }
                for (cur, c) in &m.cost {
                    let _ = writeln!(
                        cost,
                        "llmcost_proxy_cost_total{{upstream=\"{up}\",model=\"{model}\",currency=\"{cur}\"}} {}",
                        c.normalize()
                    );
                }
                if m.incomplete > 0 {
                    let _ = writeln!(
                        inc,
                        "llmcost_proxy_incomplete_total{{upstream=\"{up}\",model=\"{model}\"}} {}",
                        m.incomplete
                    );
                }
            }
            drop(models);
            let total: u64 = u.latency.iter().map(|c| c.load(Relaxed)).sum();
            if total == 0 {
                continue;
            }
            let mut cum = 0;
            for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
                cum += u.latency[i].load(Relaxed);
                let _ = writeln!(
                    lat,
                    "llmcost_proxy_upstream_latency_seconds_bucket{{upstream=\"{up}\",le=\"{b}\"}} {cum}"
                );
            }
            cum += u.latency[LATENCY_BUCKETS.len()].load(Relaxed);
            let _ = writeln!(
                lat,
                "llmcost_proxy_upstream_latency_seconds_bucket{{upstream=\"{up}\",le=\"+Inf\"}} {cum}"
            );
            let sum_us = u.latency_sum_us.load(Relaxed);
            let _ = writeln!(
                lat,
                "llmcost_proxy_upstream_latency_seconds_sum{{upstream=\"{up}\"}} {}.{:06}",
                sum_us / 1_000_000,
                sum_us % 1_000_000
            );
            let _ = writeln!(
                lat,
                "llmcost_proxy_upstream_latency_seconds_count{{upstream=\"{up}\"}} {cum}"
            );
            let e = u.errors.load(Relaxed);
            if e > 0 {
                let _ = writeln!(
                    err,
                    "llmcost_proxy_upstream_errors_total{{upstream=\"{up}\"}} {e}"
                );
            }
        }
        let sections: [(&str, &str, &str, &str); 6] = [
            (
                "llmcost_proxy_requests_total",
                "counter",
                "Calls forwarded, by upstream, model and HTTP status.",
                &req,
            ),
            (
                "llmcost_proxy_tokens_total",
                "counter",
                "Tokens recorded, by upstream, model and bucket.",
                &tok,
            ),
            (
                "llmcost_proxy_cost_total",
                "counter",
                "Cost recorded (exact decimal), by upstream, model and currency.",
                &cost,
            ),
            (
                "llmcost_proxy_incomplete_total",
                "counter",
                "Calls recorded as incomplete (client disconnect, broken stream, no usage).",
                &inc,
            ),
            (
                "llmcost_proxy_upstream_latency_seconds",
                "histogram",
                "Time from forwarding a call to the end of the upstream response.",
                &lat,
            ),
            (
                "llmcost_proxy_upstream_errors_total",
                "counter",
                "Calls whose upstream could not be reached or failed mid-response.",
                &err,
            ),
        ];
        for (name, ty, help, body) in sections {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {ty}");
            o.push_str(body);
        }
        let h = &self.health;
        let scalars: [(&str, &str, &str, i128); 12] = [
            (
                "llmcost_proxy_ledger_queue_depth",
                "gauge",
                "Records waiting for the ledger writer.",
                i128::from(self.queue_depth.load(Relaxed)),
            ),
            (
                "llmcost_proxy_ledger_dropped_total",
                "counter",
                "Records dropped because the writer queue was full.",
                i128::from(self.dropped.load(Relaxed)),
            ),
            (
                "llmcost_proxy_ledger_written_total",
                "counter",
                "Records written to the ledger.",
                i128::from(self.written.load(Relaxed)),
            ),
            (
                "llmcost_proxy_ledger_errors_total",
                "counter",
                "Records whose ledger insert failed.",
                i128::from(self.ledger_errors.load(Relaxed)),
            ),
            (
                "llmcost_proxy_budget_refused_total",
                "counter",
                "Calls refused before forwarding because a budget was spent.",
                i128::from(self.budget_refused.load(Relaxed)),
            ),
            (
                "llmcost_proxy_no_upstream_total",
                "counter",
                "Calls for paths no upstream serves.",
                i128::from(self.no_upstream.load(Relaxed)),
            ),
            (
                "llmcost_proxy_ledger_degraded",
                "gauge",
                "1 while the ledger cannot be written (records go to the spill file).",
                i128::from(h.reason().is_some()),
            ),
            (
                "llmcost_proxy_ledger_spilled_total",
                "counter",
                "Records written to the spill file because the ledger could not be written.",
                i128::from(self.spilled.load(Relaxed)),
            ),
            (
                "llmcost_proxy_ledger_replayed_total",
                "counter",
                "Records replayed from the spill file into the ledger.",
                i128::from(self.replayed.load(Relaxed)),
            ),
            (
                "llmcost_proxy_spill_backlog",
                "gauge",
                "Records in the spill file waiting to be replayed.",
                i128::from(h.spill_backlog.load(Relaxed)),
            ),
            (
                "llmcost_proxy_ledger_held",
                "gauge",
                "Records held in memory, neither written nor spilled.",
                i128::from(h.held.load(Relaxed)),
            ),
            (
                "llmcost_proxy_ledger_refused_total",
                "counter",
                "Calls refused (503) because records could be neither written nor spilled.",
                i128::from(self.ledger_refused.load(Relaxed)),
            ),
        ];
        for (name, ty, help, v) in scalars {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {ty}\n{name} {v}");
        }
        o
    }
}

fn esc(s: &str) -> String {
    if s.bytes().any(|b| b == b'"' || b == b'\\' || b == b'\n') {
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    } else {
        s.to_string()
    }
}
