//! Fleet budgets: the spend of budget accounts shared by every proxy on one
//! database. `budget_spend` holds the spend of stored records (kept in the
//! insert's transaction, new records only); `budget_holds` each proxy's
//! reservations of calls in flight and spend not stored yet. An admission
//! (`llmcost_budget_admit`, one round trip) serialises per account with an
//! advisory lock, so two proxies never both take the last room.

use llmcost_core::Decimal;
use llmcost_ledger::{BudgetAsk, FleetBudgets, FleetSpend, HoldDelta, LedgerError, Result};
use postgres::{Client, Statement};

use crate::{Connector, backend, micros_text, split_time};

/// Seconds after which a proxy that has not shown itself no longer counts.
pub const STALE_SECS: f64 = 15.0;

fn at_text(t: llmcost_core::Timestamp) -> String {
    micros_text(split_time(t).0)
}

/// A connection for fleet budgets.
pub(crate) struct PgFleet {
    connector: Connector,
    client: Option<(Client, Statement)>,
}

impl PgFleet {
    pub(crate) fn new(connector: Connector) -> Result<Self> {
        let mut f = PgFleet {
            connector,
            client: None,
        };
        f.client()?;
        Ok(f)
    }

    /// The connection, reconnecting if the server went away.
    fn client(&mut self) -> Result<&mut (Client, Statement)> {
        if self.client.as_ref().is_none_or(|(c, _)| c.is_closed()) {
            self.client = None;
            let mut c = self.connector.connect()?;
            let admit = c
                .prepare(
                    "SELECT refused, spent::text, pending::text, reserved::text, calls \
                     FROM llmcost_budget_admit($1, $2::text[], $3::text[]::timestamptz[], \
                     $4::text[]::numeric[], $5::text[]::numeric[], $6)",
                )
                .map_err(backend)?;
            self.client = Some((c, admit));
        }
        self.client
            .as_mut()
            .ok_or_else(|| LedgerError::Conflict("no connection".into()))
    }
}

fn dec(s: &str) -> Result<Decimal> {
    s.parse()
        .map_err(|_| LedgerError::Conflict(format!("budget amount `{s}` is not an exact decimal")))
}

impl FleetBudgets for PgFleet {
    fn admit(&mut self, proxy: &str, asks: &[BudgetAsk]) -> Result<Vec<FleetSpend>> {
        let accounts: Vec<&str> = asks.iter().map(|a| a.account.as_str()).collect();
        let starts: Vec<String> = asks.iter().map(|a| at_text(a.period_start)).collect();
        let limits: Vec<String> = asks.iter().map(|a| a.limit.to_string()).collect();
        let ests: Vec<String> = asks.iter().map(|a| a.estimate.to_string()).collect();
        let (client, admit) = self.client()?;
        let rows = client
            .query(
                &*admit,
                &[&proxy, &accounts, &starts, &limits, &ests, &STALE_SECS],
            )
            .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let text = |i: usize| -> Result<Decimal> {
                    let s: &str = r.try_get(i).map_err(backend)?;
                    dec(s)
                };
                Ok(FleetSpend {
                    refused: r.try_get(0).map_err(backend)?,
                    spent: text(1)?,
                    pending: text(2)?,
                    reserved: text(3)?,
                    calls: r.try_get(4).map_err(backend)?,
                })
            })
            .collect()
    }

    fn settle(&mut self, proxy: &str, deltas: &[HoldDelta]) -> Result<()> {
        let accounts: Vec<&str> = deltas.iter().map(|d| d.account.as_str()).collect();
        let starts: Vec<String> = deltas.iter().map(|d| at_text(d.period_start)).collect();
        let reserved: Vec<String> = deltas.iter().map(|d| d.reserved.to_string()).collect();
        let pending: Vec<String> = deltas.iter().map(|d| d.pending.to_string()).collect();
        let calls: Vec<i64> = deltas.iter().map(|d| d.calls).collect();
        let (client, _) = self.client()?;
        let mut tx = client.transaction().map_err(backend)?;
        if !deltas.is_empty() {
            tx.execute(
                "INSERT INTO budget_holds AS h (account, period_start, proxy, reserved, pending, calls, seen) \
                 SELECT a, s::timestamptz, $1, r::numeric, p::numeric, c, clock_timestamp() \
                 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) AS u(a, s, r, p, c) \
                 ORDER BY a, s \
                 ON CONFLICT (account, period_start, proxy) DO UPDATE SET \
                   reserved = h.reserved + excluded.reserved, pending = h.pending + excluded.pending, \
                   calls = h.calls + excluded.calls, seen = excluded.seen",
                &[&proxy, &accounts, &starts, &reserved, &pending, &calls],
            )
            .map_err(backend)?;
        }
        // Alive: every hold of this proxy; holds of proxies long gone are dropped.
        tx.execute(
            "UPDATE budget_holds SET seen = clock_timestamp() WHERE proxy = $1",
            &[&proxy],
        )
        .map_err(backend)?;
        tx.execute(
            "DELETE FROM budget_holds WHERE seen < clock_timestamp() - interval '1 day'",
            &[],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn release(&mut self, proxy: &str) -> Result<()> {
        let (client, _) = self.client()?;
        client
            .execute("DELETE FROM budget_holds WHERE proxy = $1", &[&proxy])
            .map_err(backend)?;
        Ok(())
    }
}
