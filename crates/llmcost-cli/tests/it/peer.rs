//! Issue 10, the peer dataset: real response bodies recorded by pydantic-ai's tests
//! (fixtures/peer/bodies.jsonl), each priced by pydantic/genai-prices once, offline
//! (bench/peer_prices.py). Every body must be priced by llmcost at its instant, and
//! every difference from the peer must be listed, with its reason, in the section
//! "Peer dataset" of docs/catalog-audit.md.

use std::collections::{BTreeMap, BTreeSet};

use crate::{fixture, llmcost};

/// Why llmcost and the peer disagree on one body, as the test can see it.
fn kind(peer: &serde_json::Value, ours: Option<&str>) -> Option<&'static str> {
    match (peer["total"].as_str(), ours) {
        (_, None) => Some("ours unknown"),
        (None, Some(_)) => Some("peer unknown"),
        (Some(p), Some(o)) => {
            let same = match (
                p.parse::<rust_decimal::Decimal>(),
                o.parse::<rust_decimal::Decimal>(),
            ) {
                (Ok(p), Ok(o)) => p == o,
                _ => false,
            };
            (!same).then_some("rate")
        }
    }
}

/// `(model, difference) → verdict` rows of the table in the "Peer dataset" section.
fn explained() -> BTreeMap<(String, String), String> {
    let path = format!("{}/../../docs/catalog-audit.md", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(&path).expect("docs/catalog-audit.md");
    let section = doc
        .split("\n## Peer dataset")
        .nth(1)
        .expect("a section `## Peer dataset` in docs/catalog-audit.md");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            // | `model` | difference | bodies | verdict | source |
            let model = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((
                (model.to_owned(), (*cells.get(2)?).to_owned()),
                (*cells.get(4)?).to_owned(),
            ))
        })
        .collect()
}

struct Body {
    line: usize,
    model: String,
    at: String,
    source: String,
    peer: serde_json::Value,
    body: String,
}

fn bodies() -> Vec<Body> {
    let text = std::fs::read_to_string(fixture("peer/bodies.jsonl")).expect("peer dataset");
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l).expect("dataset line is JSON");
            let b = &v["body"];
            let model = b["model"]
                .as_str()
                .or_else(|| b["modelVersion"].as_str())
                .unwrap_or("?")
                .to_owned();
            Body {
                line: i + 1,
                model,
                at: v["at"].as_str().expect("at").to_owned(),
                source: v["source"].as_str().expect("source").to_owned(),
                peer: v["peer"].clone(),
                body: b.to_string(),
            }
        })
        .collect()
}

/// llmcost's total for one body at its instant, or why it has none.
fn ours(dir: &std::path::Path, b: &Body) -> Result<String, String> {
    let file = dir.join(format!("{}.json", b.line));
    std::fs::write(&file, &b.body).expect("write body");
    let r = llmcost(&[
        "cost",
        "--usage",
        file.to_str().expect("utf-8 path"),
        "--at",
        &b.at,
        "--currency",
        "USD",
        "--format",
        "json",
    ]);
    if r.code != 0 {
        return Err(r.stderr.lines().next().unwrap_or("").to_owned());
    }
    let v: serde_json::Value = serde_json::from_str(&r.stdout).map_err(|e| e.to_string())?;
    v["total"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no total in {v}"))
}

#[expect(clippy::print_stdout, reason = "the test reports the dataset's tally")]
#[test]
fn every_recorded_body_is_priced_and_every_difference_from_the_peer_is_explained() {
    let list = explained();
    let all = bodies();
    assert!(all.len() > 500, "the dataset holds {} bodies", all.len());
    let dir = tempfile::tempdir().expect("tempdir");
    // Two workers: one process per body, each at its own instant.
    let results: Vec<Result<String, String>> = std::thread::scope(|s| {
        let (a, b) = all.split_at(all.len() / 2);
        let d = dir.path();
        let h = s.spawn(move || a.iter().map(|x| ours(d, x)).collect::<Vec<_>>());
        let mut second: Vec<_> = b.iter().map(|x| ours(d, x)).collect();
        let mut first = h.join().expect("worker");
        first.append(&mut second);
        first
    });

    let (mut same, mut explained_n, mut open_n) = (0, 0, 0);
    let mut unexplained = Vec::new();
    let mut used = BTreeSet::new();
    for (b, r) in all.iter().zip(&results) {
        let Some(k) = kind(&b.peer, r.as_ref().ok().map(String::as_str)) else {
            same += 1;
            continue;
        };
        let key = (b.model.clone(), k.to_owned());
        match list.get(&key) {
            Some(verdict) => {
                used.insert(key);
                if verdict.starts_with("ours, open") {
                    open_n += 1;
                } else {
                    explained_n += 1;
                }
            }
            None => unexplained.push(format!(
                "line {} {} `{}` at {}: {k}: ours {:?}, peer {}",
                b.line, b.source, b.model, b.at, r, b.peer
            )),
        }
    }
    let stale: Vec<_> = list.keys().filter(|k| !used.contains(*k)).collect();
    println!(
        "peer dataset: {} bodies, {same} same, {explained_n} explained, {open_n} open (ours), {} unexplained",
        all.len(),
        unexplained.len()
    );
    if !stale.is_empty() {
        println!("explanations no longer needed (remove them): {stale:?}");
    }
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences (add the fix, or a row to `## Peer dataset` in docs/catalog-audit.md):\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
