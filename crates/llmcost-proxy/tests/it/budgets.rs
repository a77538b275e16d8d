//! Budgets: refused before forwarding with a 429 naming the budget and its
//! reset; concurrent calls bounded by reserve/commit; tag and key scopes; the
//! period's spend read from the ledger at start.

use std::sync::Arc;

use jiff::{Timestamp, ToSpan};
use llmcost_core::Usage;
use llmcost_ledger::UsageRecord;
use llmcost_proxy::config::parse_budget_arg;

use crate::mock;
use crate::{CHAT_COST, Harness, MemLedger, USD, client, dec, send, settings_for};

fn with_budgets(up: &str, budgets: &[&str]) -> llmcost_proxy::Settings {
    let mut s = settings_for(up);
    s.budgets = budgets
        .iter()
        .map(|b| parse_budget_arg(b, USD).expect("budget"))
        .collect();
    s
}

const BODY: &str = r#"{"model":"gpt-4o-mini-2024-07-18"}"#;

#[tokio::test]
async fn a_spent_global_budget_refuses_before_forwarding() {
    let (up, mock) = mock::start().await;
    // Three calls' worth: 3 × 0.0000399.
    let h = Harness::start(with_budgets(&up, &["global=0.0001197USD/day"])).await;
    let c = client();
    let url = format!("{}/v1/chat/completions", h.url);
    for _ in 0..3 {
        assert_eq!(crate::post(&c, &url, BODY).await.status, 200);
    }
    let g = crate::post(&c, &url, BODY).await;
    assert_eq!(g.status, 429);
    let e = g.json();
    assert_eq!(e["error"]["code"], "budget_exceeded");
    assert_eq!(e["error"]["type"], "insufficient_quota");
    let msg = e["error"]["message"].as_str().expect("message");
    let (_, end) = llmcost_proxy::Period::Day.bounds(Timestamp::now());
    assert!(
        msg.starts_with(
            "budget `global` of 0.0001197 USD per day is spent: 0.0001197 USD spent since"
        ),
        "{msg}"
    );
    assert!(msg.ends_with(&format!("it resets at {end}")), "{msg}");
    assert!(g.headers.contains_key("retry-after"));
    assert_eq!(
        mock.seen().len(),
        3,
        "the refused call never reached the upstream"
    );
    assert_eq!(h.ledger.wait_for(3).await.len(), 3);
    assert!(
        h.state
            .metrics_text()
            .contains("llmcost_proxy_budget_refused_total 1")
    );
    h.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_calls_do_not_overspend_once_the_cost_is_known() {
    let (up, mock) = mock::start().await;
    // Ten calls' worth.
    let h = Harness::start(with_budgets(&up, &["global=0.000399USD/day"])).await;
    let url = Arc::new(format!("{}/v1/chat/completions", h.url));
    let slow = r#"{"model":"slow-budget"}"#;
    let c = client();
    assert_eq!(crate::post(&c, &url, slow).await.status, 200);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            let url = url.clone();
            tokio::spawn(async move { crate::post(&c, &url, slow).await.status.as_u16() })
        })
        .collect();
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.expect("task") {
            200 => ok += 1,
            429 => refused += 1,
            s => panic!("unexpected status {s}"),
        }
    }
    // Each call costs exactly the reservation (the last recorded cost), so the
    // budget admits exactly the nine calls that fit after the first.
    assert_eq!((ok, refused), (9, 41));
    assert_eq!(mock.seen().len(), 10);
    let recs = h.ledger.wait_for(10).await;
    let spent: llmcost_core::Decimal = recs.iter().filter_map(|r| r.cost).sum();
    assert_eq!(spent, dec("0.000399"));
    h.stop().await;
}

#[tokio::test]
async fn concurrent_overspend_is_bounded_by_the_calls_in_flight() {
    let (up, _mock) = mock::start().await;
    // Two calls' worth, and no cost known yet: nothing is reserved.
    let h = Harness::start(with_budgets(&up, &["global=0.0000798USD/day"])).await;
    let url = Arc::new(format!("{}/v1/chat/completions", h.url));
    let c = client();
    let slow = r#"{"model":"slow-budget"}"#;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            let url = url.clone();
            tokio::spawn(async move { crate::post(&c, &url, slow).await.status.as_u16() })
        })
        .collect();
    let mut ok = 0u32;
    for t in tasks {
        if t.await.expect("task") == 200 {
            ok += 1;
        }
    }
    let recs = h.ledger.wait_for(ok as usize).await;
    let spent: llmcost_core::Decimal = recs.iter().filter_map(|r| r.cost).sum();
    assert_eq!(spent, dec(CHAT_COST) * llmcost_core::Decimal::from(ok));
    // spend <= limit + what the 50 calls in flight could add.
    assert!(spent <= dec("0.0000798") + dec(CHAT_COST) * llmcost_core::Decimal::from(50));
    // Once recorded, the budget is spent: the next call is refused.
    assert_eq!(crate::post(&c, &url, BODY).await.status, 429);
    h.stop().await;
}

#[tokio::test]
async fn tag_and_key_budgets_cover_only_their_calls() {
    let (up, _mock) = mock::start().await;
    let h = Harness::start(with_budgets(
        &up,
        &["tag:ci=0.0000399USD/month", "key=0.0000399USD/day"],
    ))
    .await;
    let c = client();
    let url = format!("{}/v1/chat/completions", h.url);
    let call = |key: &'static str, tag: Option<&'static str>| {
        let c = c.clone();
        let url = url.clone();
        async move {
            let mut hs = vec![("authorization", key)];
            if let Some(t) = tag {
                hs.push(("x-llmcost-tag", t));
            }
            send(&c, "POST", &url, &hs, BODY).await
        }
    };
    assert_eq!(call("Bearer sk-a", Some("ci")).await.status, 200);
    h.ledger.wait_for(1).await;
    // Tag ci is spent (for every key); key a is spent (with or without the tag).
    let g = call("Bearer sk-b", Some("ci")).await;
    assert_eq!(g.status, 429);
    assert!(
        g.json()["error"]["message"]
            .as_str()
            .expect("m")
            .contains("`tag:ci`")
    );
    let g = call("Bearer sk-a", None).await;
    assert_eq!(g.status, 429);
    let fp = h.state.key_fingerprint("sk-a");
    assert!(
        g.json()["error"]["message"]
            .as_str()
            .expect("m")
            .contains(&format!("for key {fp}"))
    );
    // Key b without the tag is still fine, once; then its own budget is spent.
    assert_eq!(call("Bearer sk-b", None).await.status, 200);
    h.ledger.wait_for(2).await;
    assert_eq!(call("Bearer sk-b", None).await.status, 429);
    h.stop().await;
}

#[tokio::test]
async fn the_periods_spend_is_read_from_the_ledger_at_start() {
    let (up, mock) = mock::start().await;
    let ledger = MemLedger::default();
    let now = Timestamp::now();
    let (start, _) = llmcost_proxy::Period::Day.bounds(now);
    let mut today = UsageRecord::new(
        "proxy:old-1",
        start,
        "proxy",
        "gpt-4o-mini",
        Usage::default(),
    );
    today.cost = Some(dec("0.6"));
    today.currency = Some(USD);
    let mut yesterday = today.clone();
    yesterday.dedup_key = "proxy:old-0".into();
    yesterday.at = start - 1.hour();
    yesterday.cost = Some(dec("5"));
    let mut imported = today.clone();
    imported.dedup_key = "jsonl:x".into();
    imported.source = "jsonl".into();
    ledger
        .records
        .lock()
        .expect("lock")
        .extend([yesterday, today, imported]);
    let h = Harness::with_ledger(with_budgets(&up, &["global=1USD/day"]), ledger).await;
    // 0.6 of 1 spent today (yesterday's 5 and the imported record do not count).
    let spend = h.state.budgets().spend(now);
    assert_eq!(spend.len(), 1);
    assert_eq!(spend[0].spent, dec("0.6"));
    assert_eq!(
        crate::post(&client(), &format!("{}/v1/chat/completions", h.url), BODY)
            .await
            .status,
        200
    );
    h.stop().await;

    let ledger = MemLedger::default();
    let mut spent = UsageRecord::new("proxy:old-2", now, "proxy", "gpt-4o-mini", Usage::default());
    spent.cost = Some(dec("1"));
    spent.currency = Some(USD);
    ledger.records.lock().expect("lock").push(spent);
    let h = Harness::with_ledger(with_budgets(&up, &["global=1USD/day"]), ledger).await;
    let g = crate::post(&client(), &format!("{}/v1/chat/completions", h.url), BODY).await;
    assert_eq!(g.status, 429);
    assert_eq!(mock.seen().len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn the_start_reads_a_sqlite_ledgers_rollups_as_its_records() {
    use llmcost_ledger::Ledger;
    let (up, _mock) = mock::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("l.db");
    let now = Timestamp::now();
    let (start, _) = llmcost_proxy::Period::Day.bounds(now);
    // The first hour of today: a whole hour (read from rollups) unless the
    // test runs before 01:00 UTC (then every record is read: the same spend).
    let mut tagged = UsageRecord::new(
        "seq:proxy-old:1",
        start,
        "proxy",
        "gpt-4o-mini",
        Usage::default(),
    );
    tagged.cost = Some(dec("0.6"));
    tagged.currency = Some(USD);
    tagged.tags = vec!["ci".into(), "nightly".into()];
    // Recorded in EUR: repriced from its usage for USD budgets. gpt-4o-mini
    // input is 0.15 USD per million tokens (catalog/openai.toml): 1M tokens = 0.15.
    let mut eur = UsageRecord::new(
        "seq:proxy-old:2",
        start + 10.minutes(),
        "proxy",
        "gpt-4o-mini",
        Usage {
            input: 1_000_000,
            ..Usage::default()
        },
    );
    eur.cost = Some(dec("9"));
    eur.currency = Some(llmcost_core::Currency::new("EUR").expect("EUR"));
    let mut yesterday = tagged.clone();
    yesterday.dedup_key = "seq:proxy-old:0".into();
    yesterday.at = start - 1.hour();
    yesterday.cost = Some(dec("5"));
    {
        let mut l = llmcost_ledger_sqlite::SqliteLedger::open(&path).expect("ledger");
        let records = [yesterday, tagged, eur];
        l.insert(&records).expect("insert");
        // Inserted twice: nothing more.
        assert_eq!(l.insert(&records).expect("again").duplicates, 3);
    }
    let ledger = llmcost_ledger_sqlite::SqliteLedger::open(&path).expect("ledger");
    let h = Harness::with_any(
        with_budgets(
            &up,
            &["global=1USD/day", "tag:ci=1USD/day", "tag:nightly=1USD/day"],
        ),
        Box::new(ledger),
    )
    .await;
    let spend = h.state.budgets().spend(now);
    let of = |rule: &str| {
        spend
            .iter()
            .find(|s| s.rule.to_string() == rule)
            .map(|s| s.spent)
            .expect("account")
    };
    // global: 0.6 + 0.15 = 0.75 (yesterday's 5 is another day)
    assert_eq!(of("global=1USD/day"), dec("0.75"));
    // The record tagged ci and nightly counts once in each: 0.6.
    assert_eq!(of("tag:ci=1USD/day"), dec("0.6"));
    assert_eq!(of("tag:nightly=1USD/day"), dec("0.6"));
    h.stop().await;
}
