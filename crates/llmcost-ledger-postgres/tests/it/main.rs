//! The PostgreSQL ledger against a real throwaway cluster: the conformance
//! story, then what only PostgreSQL can be asked.

mod admin;
mod cluster;
mod fleet;
mod tls;

use std::str::FromStr;

use cluster::{PASSWORD, cluster};
use llmcost_core::{Currency, Decimal, Timestamp, Usage};
use llmcost_ledger::rollup::{self, Dim, RollupQuery};
use llmcost_ledger::{FileProgress, Filter, Ledger, LedgerError, UsageRecord};
use llmcost_ledger_postgres::{PgLedger, SCHEMA_VERSION};
use llmcost_ledger_tests::{all, dec, record, run_concurrent_story, run_rollup_story, run_story};

#[test]
fn story() {
    let c = cluster();
    run_story(|| c.ledger());
}

#[test]
fn rollups_sum_like_a_scan() {
    let c = cluster();
    run_rollup_story(|| c.ledger());
}

#[test]
fn a_version_1_ledger_gets_devices_and_its_rollups() {
    let c = cluster();
    let url = c.url(&c.create_db());
    let mut l = PgLedger::open(&url).expect("open");
    let records: Vec<UsageRecord> = (0..50u64)
        .map(|i| {
            let mut r = record(
                &format!("v1:{i}"),
                &format!(
                    "2025-0{}-0{}T{:02}:{:02}:00Z",
                    1 + i % 3,
                    1 + i % 7,
                    i % 24,
                    i
                ),
                if i % 2 == 0 {
                    "gpt-4o"
                } else {
                    "deepseek-chat"
                },
                i * 10,
                i,
            );
            r.tags = if i % 5 == 0 {
                vec!["a".into(), "b".into()]
            } else {
                Vec::new()
            };
            r.project = (i % 4 != 0).then(|| format!("p{}", i % 3));
            r.origin = Some(format!("/logs/{}.jsonl", i % 4));
            if i % 6 != 0 {
                r.cost = Some(Decimal::new(i64::try_from(i).expect("small") * 7, 6));
                r.currency = Some(Currency::USD);
                r.price_ref = Some(format!("ref {}", i % 2));
            }
            r
        })
        .collect();
    l.insert(&records).expect("insert");
    // Back to schema 1: no strings (origins and price references as text),
    // keys as text, no rollups, no device column, no fleet budgets, keys
    // with surrogate ids, an index of keys on records, ids from records_id_seq.
    l.client()
        .expect("client")
        .batch_execute(
            "UPDATE records SET origin = (SELECT value FROM strings WHERE string_id = origin_id), \
                 price_ref = (SELECT value FROM strings WHERE string_id = price_ref_id); \
             ALTER TABLE records DROP COLUMN origin_id, DROP COLUMN price_ref_id; \
             DROP TABLE strings, record_keys; \
             CREATE TABLE record_keys (dedup_key text NOT NULL UNIQUE, at timestamptz NOT NULL); \
             INSERT INTO record_keys SELECT dedup_key, at FROM records; \
             DROP TABLE rollups, rollups_model; ALTER TABLE records DROP COLUMN device; \
             DROP TABLE budget_spend, budget_holds; DROP FUNCTION llmcost_budget_admit; \
             DROP SEQUENCE llmcost_record_batches; \
             ALTER TABLE record_keys ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY; \
             CREATE INDEX records_dedup_key ON records (dedup_key); \
             UPDATE records SET id = nextval('records_id_seq'); \
             DELETE FROM schema_version WHERE version >= 2",
        )
        .expect("downgrade");
    drop(l);
    let mut l = PgLedger::open(&url).expect("migrate");
    assert_eq!(l.count().expect("count"), 50);
    // Records stored after the migration come after the old ones at the same
    // instant (ids above every old id), and old keys are still known.
    let mut again = records[0].clone();
    again.dedup_key = "s:after".into();
    let s = l
        .insert(&[records[0].clone(), again])
        .expect("insert after migration");
    assert_eq!((s.inserted, s.duplicates), (1, 1));
    let same: Vec<String> = all(&l, &Filter::default())
        .into_iter()
        .filter(|r| r.at == records[0].at)
        .map(|r| r.dedup_key)
        .collect();
    assert_eq!(same, [records[0].dedup_key.clone(), "s:after".to_string()]);
    // A record stored before the migration is found by its key and repriced.
    let n = l
        .update_costs(&[(
            records[1].dedup_key.clone(),
            Some(Decimal::new(123, 2)),
            Some(Currency::USD),
            Some("test".into()),
        )])
        .expect("reprice an old record");
    assert_eq!(n, 1);
    let repriced = all(&l, &Filter::default())
        .into_iter()
        .find(|r| r.dedup_key == records[1].dedup_key)
        .expect("still there");
    assert_eq!(repriced.cost, Some(Decimal::new(123, 2)));
    assert_eq!(repriced.price_ref.as_deref(), Some("test"));
    // Origins and price references stored as text before schema 5 read back,
    // like those of records stored after it (through `strings`).
    let read = all(&l, &Filter::default());
    for r in &records[2..] {
        let back = read
            .iter()
            .find(|b| b.dedup_key == r.dedup_key)
            .expect("an old record");
        assert_eq!((&back.origin, &back.price_ref), (&r.origin, &r.price_ref));
    }
    let mut fresh = record("s:fresh", "2025-02-02T00:00:00Z", "gpt-4o", 1, 1);
    fresh.origin = Some("/logs/1.jsonl".into());
    fresh.price_ref = Some("ref 0".into());
    l.insert(&[fresh.clone()]).expect("insert a new one");
    let back = all(&l, &Filter::default())
        .into_iter()
        .find(|b| b.dedup_key == "s:fresh")
        .expect("stored");
    assert_eq!(
        (back.origin, back.price_ref),
        (fresh.origin, fresh.price_ref)
    );
    assert_eq!((back.usage, back.tags), (fresh.usage, Vec::<String>::new()));
    {
        let mut client = l.client().expect("client");
        let text: i64 = client
            .query_one(
                "SELECT count(*) FROM records WHERE dedup_key = 's:fresh' \
                 AND origin IS NULL AND price_ref IS NULL \
                 AND origin_id IS NOT NULL AND price_ref_id IS NOT NULL \
                 AND input_audio IS NULL AND tags IS NULL",
                &[],
            )
            .expect("count")
            .get(0);
        assert_eq!(
            text, 1,
            "a new record names its strings by id, and stores no zero count or empty tags"
        );
        let keys: i64 = client
            .query_one("SELECT count(*) FROM record_keys", &[])
            .expect("keys")
            .get(0);
        assert_eq!(
            keys, 52,
            "every old key was hashed, and the two new ones added"
        );
    }
    rollups_match_a_scan(
        &l,
        &[&[], &[Dim::Hour, Dim::Model], &[Dim::Tag, Dim::Project]],
    );
    let rows = all(&l, &Filter::default());
    assert!(
        rows.iter().all(|r| r.device.is_none()),
        "old records name no device"
    );
}

#[test]
fn a_reader_sees_what_the_writer_stored() {
    let c = cluster();
    let mut l = c.ledger();
    let reader = l.reader().expect("a second handle");
    l.insert(&[record("r:1", "2025-06-01T00:00:00Z", "m", 1, 1)])
        .expect("insert");
    assert_eq!(reader.count().expect("count"), 1);
}

#[test]
fn a_held_key_in_a_batch_of_new_ones_is_found_and_the_rest_stored() {
    // The first batch's keys are all new (claimed by a plain insert); the
    // second holds one stored key among new ones (the plain insert fails and
    // is rolled back, `ON CONFLICT` finds it); the third is new again.
    let c = cluster();
    let mut l = c.ledger();
    let at = |i: usize| format!("2025-06-01T00:{:02}:{:02}Z", i / 60, i % 60);
    let batch = |keys: &[usize]| -> Vec<UsageRecord> {
        keys.iter()
            .map(|i| record(&format!("h:{i}"), &at(*i), "m", 1, 1))
            .collect()
    };
    let first = l.insert(&batch(&[1, 2, 3])).expect("first");
    assert_eq!((first.inserted, first.duplicates), (3, 0));
    let second = l.insert(&batch(&[4, 2, 5])).expect("second");
    assert_eq!((second.inserted, second.duplicates), (2, 1));
    let third = l.insert(&batch(&[6, 7])).expect("third");
    assert_eq!((third.inserted, third.duplicates), (2, 0));
    let keys: Vec<String> = all(&l, &Filter::default())
        .into_iter()
        .map(|r| r.dedup_key)
        .collect();
    assert_eq!(keys, ["h:1", "h:2", "h:3", "h:4", "h:5", "h:6", "h:7"]);
    let mut client = l.client().expect("client");
    let held: i64 = client
        .query_one("SELECT count(*) FROM record_keys", &[])
        .expect("count")
        .get(0);
    assert_eq!(held, 7);
}

#[test]
fn progress_rows_are_stored_together_and_the_last_of_a_path_wins() {
    let c = cluster();
    let mut l = c.ledger();
    let p = |path: &str, offset: u64| FileProgress {
        path: path.into(),
        offset,
        head_hash: format!("h{offset}"),
        lines: offset / 10,
    };
    let rows = [p("/a", 100), p("/b", 50), p("/a", 200)];
    let s = l
        .insert_with_progresses(&[record("p:1", "2025-06-01T00:00:00Z", "m", 1, 1)], &rows)
        .expect("insert");
    assert_eq!(s.inserted, 1);
    assert_eq!(l.file_progress("/a").expect("a"), Some(p("/a", 200)));
    assert_eq!(l.file_progress("/b").expect("b"), Some(p("/b", 50)));
    // Stored again: the rows are updated.
    l.insert_with_progresses(&[], &[p("/b", 70)])
        .expect("again");
    assert_eq!(l.file_progress("/b").expect("b"), Some(p("/b", 70)));
    // Read together (one query): in the order asked, unknown paths as None,
    // a path asked twice answered twice.
    assert_eq!(
        l.files_progress(&["/b", "/x", "/a", "/b"])
            .expect("together"),
        [
            Some(p("/b", 70)),
            None,
            Some(p("/a", 200)),
            Some(p("/b", 70))
        ]
    );
    assert_eq!(l.files_progress(&[]).expect("none"), []);
}

#[test]
fn concurrent_writers_never_duplicate() {
    let c = cluster();
    let url = c.url(&c.create_db());
    run_concurrent_story(|| PgLedger::open(&url).expect("open"));
}

#[test]
fn money_is_numeric_and_exact_to_28_digits() {
    let c = cluster();
    let mut l = c.ledger();
    let costs = [
        "1234567890.123456789012345678",  // 28 significant digits
        "0.0000000000000000000000000001", // the smallest step Decimal has (scale 28)
        "79228162514264337593543950335",  // Decimal::MAX, 29 digits
        "-0.5000",                        // refunds are negative; the scale stays
        "0.00000000",                     // a zero keeps its scale too
    ];
    let records: Vec<UsageRecord> = costs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut r = record(
                &format!("n:{i}"),
                &format!("2025-06-0{}T00:00:00Z", i + 1),
                "m",
                1,
                1,
            );
            r.cost = Some(dec(c));
            r.currency = Some(Currency::USD);
            r.billed = Some(dec(c));
            r.billed_currency = Some(Currency::EUR);
            // Binary COPY of arrays, quotes, braces and non-ASCII text.
            r.tags = vec!["team:\"a\"".into(), "ünï".into(), "x,{y}".into()];
            r.status = Some(503);
            r
        })
        .collect();
    l.insert(&records).expect("insert");
    let got = all(&l, &Filter::default());
    assert_eq!(got, records);
    let texts: Vec<String> = got
        .iter()
        .filter_map(|r| r.cost.map(|d| d.to_string()))
        .collect();
    assert_eq!(texts, costs);

    let mut client = l.client().expect("client");
    let ty: String = client
        .query_one("SELECT pg_typeof(cost)::text FROM records LIMIT 1", &[])
        .expect("type")
        .get(0);
    assert_eq!(ty, "numeric");
    // The sum PostgreSQL computes is exact too (worked by hand, aligning 28 decimals):
    //   1234567890.1234567890123456780000000000
    // + 0.0000000000000000000000000001
    // - 0.5
    // = 1234567889.6234567890123456780000000001 (38 digits: more than Decimal holds)
    let sum: String = client
        .query_one(
            "SELECT sum(cost)::text FROM records WHERE dedup_key <> 'n:2'",
            &[],
        )
        .expect("sum")
        .get(0);
    assert_eq!(sum, "1234567889.6234567890123456780000000001");
}

#[test]
#[expect(clippy::print_stderr, reason = "the test reports the COPY timing")]
fn copy_imports_100k_records_once() {
    const N: u64 = 100_000;
    let c = cluster();
    let mut l = c.ledger();
    // Three months: Jan, Feb and Mar 2025 (one record a minute from 2025-01-01).
    let start = 1_735_689_600; // 2025-01-01T00:00:00Z
    let records: Vec<UsageRecord> = (0..N)
        .map(|i| {
            let at = Timestamp::from_second(start + i64::try_from(i).expect("small") * 60)
                .expect("time");
            let mut r = UsageRecord::new(
                format!("bulk:{i}"),
                at,
                "jsonl",
                "gpt-4o",
                Usage {
                    input: i,
                    output: 1,
                    ..Usage::default()
                },
            );
            r.cost = Some(Decimal::new(i64::try_from(i).expect("small"), 6));
            r.currency = Some(Currency::USD);
            r.tags = vec![format!("t{}", i % 3), "tab\there".into()];
            r.origin = Some("C:\\logs\\new\nline.jsonl".into());
            r
        })
        .collect();
    let t0 = std::time::Instant::now();
    let s = l.insert(&records).expect("bulk insert");
    let first = t0.elapsed();
    assert_eq!((s.inserted, s.duplicates), (N, 0));
    let s = l.insert(&records).expect("again");
    assert_eq!((s.inserted, s.duplicates), (0, N));
    assert_eq!(l.count().expect("count"), N);
    eprintln!("COPY of {N} records: {first:?}");

    let mut client = l.client().expect("client");
    let row = client
        .query_one(
            "SELECT sum(input)::text, sum(cost)::text, count(DISTINCT tableoid) FROM records",
            &[],
        )
        .expect("sums");
    // sum(0..N) = N(N-1)/2 = 4_999_950_000; costs are the same in millionths: 4999.950000.
    assert_eq!(row.get::<_, String>(0), "4999950000");
    assert_eq!(row.get::<_, String>(1), "4999.950000");
    // 100 000 minutes = 69.4 days from Jan 1: January, February and March.
    assert_eq!(row.get::<_, i64>(2), 3);
    let parts: Vec<String> = client
        .query(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = 'records'::regclass ORDER BY 1",
            &[],
        )
        .expect("partitions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        parts,
        ["records_y2025m01", "records_y2025m02", "records_y2025m03"]
    );
    drop(client);
    // Escaped text and arrays come back as written.
    let feb = Filter {
        since: Some("2025-02-01T00:00:00Z".parse().expect("t")),
        until: Some("2025-02-01T00:01:00Z".parse().expect("t")),
        ..Filter::default()
    };
    let got = all(&l, &feb);
    assert_eq!(got.len(), 1);
    // 31 days * 1440 minutes = 44 640.
    assert_eq!(got[0], records[44_640]);
}

/// A batch big enough to be written in two halves on two connections: repeats
/// inside the batch, keys stored before, one instant shared across the halves.
#[test]
fn a_big_batch_in_two_halves_stores_each_record_once_in_order() {
    const N: i64 = 40_000;
    let c = cluster();
    let mut l = c.ledger();
    let start = 1_735_689_600; // 2025-01-01T00:00:00Z
    let rec = |i: i64, key: String| {
        // Ten records a second; every record from 19 990 to 20 009 at one instant.
        let second = if (19_990..20_010).contains(&i) {
            1_999
        } else {
            i / 10
        };
        let mut r = UsageRecord::new(
            key,
            Timestamp::from_second(start + second).expect("time"),
            "jsonl",
            if i % 2 == 0 {
                "gpt-4o"
            } else {
                "deepseek-chat"
            },
            Usage {
                input: u64::try_from(i).expect("small"),
                output: 2,
                ..Usage::default()
            },
        );
        if i % 7 != 0 {
            r.cost = Some(Decimal::new(i, 6));
            r.currency = Some(Currency::USD);
        }
        r.tags = if i % 3 == 0 {
            vec!["a".into(), "b".into()]
        } else {
            Vec::new()
        };
        r
    };
    // 100 keys stored before (every 400th record).
    let before: Vec<UsageRecord> = (0..N)
        .step_by(400)
        .map(|i| rec(i, format!("big:{i}")))
        .collect();
    assert_eq!(l.insert(&before).expect("before").inserted, 100);
    // The batch: N records, then 500 repeats of the first 500 keys.
    let mut batch: Vec<UsageRecord> = (0..N).map(|i| rec(i, format!("big:{i}"))).collect();
    batch.extend((0..500).map(|i| {
        let mut r = rec(i, format!("big:{i}"));
        r.model = "repeat-must-not-be-stored".into();
        r
    }));
    let s = l.insert(&batch).expect("big batch");
    // 40 000 + 500 sent; 100 were stored before and 500 repeat a key of the batch.
    assert_eq!((s.inserted, s.duplicates), (39_900, 600));
    assert_eq!(l.count().expect("count"), 40_000);
    let stored = all(&l, &Filter::default());
    assert!(
        stored
            .iter()
            .all(|r| r.model != "repeat-must-not-be-stored")
    );
    // The shared instant reads back in insertion order: big:20000 (stored
    // before), then 19 990..20 009 without it, across the halves' split (at
    // record 20 000 of the 40 000 distinct keys sent).
    let at = Timestamp::from_second(start + 1_999).expect("time");
    let same: Vec<String> = stored
        .iter()
        .filter(|r| r.at == at)
        .map(|r| r.dedup_key.clone())
        .collect();
    let want: Vec<String> = std::iter::once(20_000)
        .chain((19_990..20_010).filter(|i| *i != 20_000))
        .map(|i| format!("big:{i}"))
        .collect();
    assert_eq!(same, want);
    // sum(0..40 000) = 799 980 000 input tokens; rollups agree with a scan.
    let input: u64 = stored.iter().map(|r| r.usage.input).sum();
    assert_eq!(input, 799_980_000);
    rollups_match_a_scan(&l, &[&[], &[Dim::Hour, Dim::Model], &[Dim::Tag]]);
}

#[test]
fn a_month_is_dropped_whole() {
    let c = cluster();
    let mut l = c.ledger();
    l.insert(&[
        record("p:1", "2025-01-15T00:00:00Z", "m", 1, 0),
        record("p:2", "2025-02-15T00:00:00Z", "m", 2, 0),
    ])
    .expect("insert");
    l.client()
        .expect("client")
        .batch_execute("DROP TABLE records_y2025m01")
        .expect("drop partition");
    let keys: Vec<String> = all(&l, &Filter::default())
        .into_iter()
        .map(|r| r.dedup_key)
        .collect();
    assert_eq!(keys, ["p:2"]);
    // The same ledger writes to that month again: the partition is made anew.
    let s = l
        .insert(&[record("p:3", "2025-01-20T00:00:00Z", "m", 3, 0)])
        .expect("insert into the dropped month");
    assert_eq!(s.inserted, 1);
    assert_eq!(l.count().expect("count"), 2);
}

#[test]
fn sub_microsecond_times_survive() {
    let c = cluster();
    let mut l = c.ledger();
    let a = record("t:a", "2025-01-01T00:00:00.000000999Z", "m", 1, 0);
    let b = record("t:b", "2025-01-01T00:00:00.000001001Z", "m", 1, 0);
    let before = record("t:0", "1969-12-31T23:59:59.999999999Z", "m", 1, 0);
    l.insert(&[b.clone(), a.clone(), before.clone()])
        .expect("insert");
    assert_eq!(
        all(&l, &Filter::default()),
        vec![before, a.clone(), b.clone()]
    );
    let f = Filter {
        since: Some("2025-01-01T00:00:00.000000999Z".parse().expect("t")),
        until: Some("2025-01-01T00:00:00.000001001Z".parse().expect("t")),
        ..Filter::default()
    };
    assert_eq!(all(&l, &f), vec![a]);
}

#[test]
fn records_at_the_same_instant_keep_insertion_order() {
    let c = cluster();
    let mut l = c.ledger();
    let z = record("z", "2025-01-01T00:00:00Z", "m", 1, 0);
    let a = record("a", "2025-01-01T00:00:00Z", "m", 2, 0);
    let m = record("m", "2025-01-01T00:00:00Z", "m", 3, 0);
    l.insert(&[z.clone(), a.clone()]).expect("insert");
    l.insert(std::slice::from_ref(&m)).expect("insert");
    assert_eq!(all(&l, &Filter::default()), vec![z, a, m]);
}

#[test]
fn a_read_callback_using_the_ledger_gets_an_error_not_a_deadlock() {
    let c = cluster();
    let mut l = c.ledger();
    l.insert(&[record("r:1", "2025-01-01T00:00:00Z", "m", 1, 0)])
        .expect("insert");
    let mut inner = None;
    l.for_each(&Filter::default(), &mut |_| {
        inner = Some(l.count());
        Ok(())
    })
    .expect("outer read");
    assert!(
        matches!(inner, Some(Err(LedgerError::Conflict(_)))),
        "{inner:?}"
    );
    assert_eq!(l.count().expect("count after"), 1);
}

#[test]
fn migrations_are_versioned_and_a_newer_schema_is_refused() {
    let c = cluster();
    let url = c.url(&c.create_db());
    let mut l = PgLedger::open(&url).expect("open");
    l.insert_with_progress(
        &[record("s:1", "2025-01-01T00:00:00Z", "m", 1, 0)],
        &FileProgress {
            path: "/a".into(),
            offset: 10,
            head_hash: "h".into(),
            lines: 1,
        },
    )
    .expect("insert");
    let versions = |l: &PgLedger| -> Vec<i64> {
        l.client()
            .expect("client")
            .query("SELECT version FROM schema_version ORDER BY version", &[])
            .expect("versions")
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    // 1: records; 2: devices and rollups; 3: fleet budgets; 4: leaner writes;
    // 5: compact records.
    assert_eq!(versions(&l), [1, 2, 3, 4, 5]);
    assert_eq!(SCHEMA_VERSION, 5);
    // Opening again migrates nothing and keeps the data.
    let again = PgLedger::open(&url).expect("reopen");
    assert_eq!(versions(&again), [1, 2, 3, 4, 5]);
    assert_eq!(again.count().expect("count"), 1);
    // A newer llmcost moved the schema on: this build refuses it, typed.
    l.client()
        .expect("client")
        .batch_execute("INSERT INTO schema_version (version) VALUES (7)")
        .expect("bump");
    match PgLedger::open(&url) {
        Err(LedgerError::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (7, 5));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn passwords_never_appear_in_errors() {
    let c = cluster();
    let secret = "Sup3r-s3cret-pw";
    let wrong = format!("postgres://postgres:{secret}@127.0.0.1:{}/postgres", c.port);
    let closed = format!(
        "postgresql://postgres:{secret}@127.0.0.1:{}/postgres?connect_timeout=5",
        cluster::free_port()
    );
    let tls = format!(
        "postgres://postgres:{secret}@127.0.0.1:{}/postgres?sslmode=require",
        c.port
    );
    let bad = format!("postgres://postgres:{secret}@127.0.0.1:99999/postgres");
    for url in [wrong, closed, tls, bad] {
        let err = PgLedger::open(&url).expect_err("must fail");
        let text = format!("{err} | {err:?}");
        assert!(!text.contains(secret), "password leaked: {text}");
        assert!(text.contains("***") || text.contains("sslmode"), "{text}");
    }
    // The right password works.
    PgLedger::open(&c.url("postgres")).expect("right password");
}

#[test]
fn password_from_pgpassword_or_pgpass() {
    let c = cluster();
    let db = c.create_db();
    let url = format!("postgres://postgres@127.0.0.1:{}/{db}", c.port);
    let env = |k: &str| (k == "PGPASSWORD").then(|| PASSWORD.to_string());
    PgLedger::open_with_env(&url, &env).expect("PGPASSWORD");

    let dir = tempfile::tempdir().expect("tmp");
    let pgpass = dir.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!(
            "# other\nelsewhere:*:*:*:nope\n127.0.0.1:{}:*:postgres:{PASSWORD}\n",
            c.port
        ),
    )
    .expect("write pgpass");
    let path = pgpass.to_string_lossy().into_owned();
    let env = |k: &str| (k == "PGPASSFILE").then(|| path.clone());
    PgLedger::open_with_env(&url, &env).expect("pgpass");
    let none = |_: &str| None;
    assert!(
        PgLedger::open_with_env(&url, &none).is_err(),
        "no password, no login"
    );
}

#[test]
fn missing_postgresql_fails_loudly_with_the_install_command() {
    let empty = tempfile::tempdir().expect("tmp");
    let err = std::panic::catch_unwind(|| cluster::find_bin_in(empty.path()))
        .expect_err("no initdb must fail, not skip");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("apt-get install postgresql"), "{msg}");
}

#[test]
fn decimal_text_is_what_rust_decimal_parses() {
    // Guards the text route: NUMERIC's output form is Decimal's input form.
    assert_eq!(Decimal::from_str("0.10").expect("d").to_string(), "0.10");
}

/// The ledger's rollup answers equal a scan's, for each grouping.
#[expect(
    clippy::expect_used,
    reason = "a test helper: a failed expectation is a failed test"
)]
fn rollups_match_a_scan(l: &PgLedger, groupings: &[&[Dim]]) {
    for group_by in groupings {
        let q = RollupQuery {
            group_by: group_by.to_vec(),
            ..RollupQuery::default()
        };
        assert_eq!(
            l.rollup(&q).expect("rollup"),
            Some(rollup::scan(l, &q).expect("scan")),
            "{q:?}"
        );
    }
}
