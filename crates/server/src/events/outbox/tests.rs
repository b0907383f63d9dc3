use super::*;
use crate::events::record::Recipe;

/// What a write does (records its rows) followed by what the deliverer does next (spreads
/// them into the outbox and queues them).
trait Enqueue {
    fn enqueue(&self, store: &Store, rows: Vec<NewRow>) -> ApiResult<()>;
}

impl Enqueue for Outbox {
    fn enqueue(&self, store: &Store, rows: Vec<NewRow>) -> ApiResult<()> {
        self.record(store, &Recipe::Rows(rows))?;
        assert!(self.records_due(Instant::now() + EXPAND_WAIT).0);
        self.flush_records(store);
        Ok(())
    }
}

fn config(max_pending: usize) -> DeliveryConfig {
    DeliveryConfig {
        sns_endpoint: Some("http://127.0.0.1:9".into()),
        eventbridge_endpoint: Some("http://127.0.0.1:9".into()),
        max_pending,
        history: 5,
        backoff_initial: Duration::from_millis(10),
        ..DeliveryConfig::default()
    }
}

fn row(repo: &str, target: Target, payload: &str) -> NewRow {
    NewRow {
        account: "000000000000".into(),
        region: "us-east-1".into(),
        repository_id: Some(repo.into()),
        repository_name: Some(repo.into()),
        format: "eventbridge".into(),
        target,
        destination: "default".into(),
        event_name: "referenceCreated".into(),
        payload: payload.into(),
    }
}

fn open(dir: &std::path::Path, max_pending: usize) -> (Store, Outbox) {
    let store = Store::open(&dir.join("m.db")).unwrap();
    let outbox = Outbox::open(&store, &config(max_pending)).unwrap();
    (store, outbox)
}

/// The newest 100 rows, oldest first, as `GET /_events` lists them.
fn listed(store: &Store, outbox: &Outbox) -> Vec<Value> {
    outbox
        .list(
            store,
            &ListFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .unwrap()
}

fn statuses(store: &Store, outbox: &Outbox) -> Vec<(String, String)> {
    listed(store, outbox)
        .iter()
        .map(|v| {
            (
                v["payload"].as_str().unwrap_or_default().to_owned(),
                v["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn streams_deliver_in_order_and_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (store, outbox) = open(dir.path(), 100);
    let rows: Vec<NewRow> = (0..12)
        .map(|i| row("r1", Target::EventBridge, &format!("e{i}")))
        .chain([row("r2", Target::Sns, "s0"), row("r2", Target::Sns, "s1")])
        .collect();
    outbox.enqueue(&store, rows).unwrap();
    let (batches, _) = outbox.take_ready(Instant::now(), 10);
    assert_eq!(batches.len(), 2);
    let eb = batches
        .iter()
        .find(|b| b.target() == Target::EventBridge)
        .unwrap();
    assert_eq!(eb.rows.len(), 10);
    assert_eq!(&*eb.rows[0].payload, "e0");
    let sns = batches.iter().find(|b| b.target() == Target::Sns).unwrap();
    assert_eq!(&*sns.rows[0].payload, "s0");
    // Nothing else is ready while both streams are in flight.
    assert!(outbox.take_ready(Instant::now(), 10).0.is_empty());
    // Three EventBridge rows delivered, the fourth failed retryably: the stream resumes at it.
    outbox.finish(
        eb,
        &Outcome {
            delivered: 3,
            failure: Some(Failure {
                message: "boom".into(),
                retryable: true,
            }),
        },
    );
    outbox.finish(
        sns,
        &Outcome {
            delivered: 1,
            failure: None,
        },
    );
    let (batches, _) = outbox.take_ready(Instant::now(), 10);
    assert_eq!(
        batches.len(),
        1,
        "the EventBridge stream waits for its retry"
    );
    assert_eq!(&*batches[0].rows[0].payload, "s1");
    std::thread::sleep(Duration::from_millis(15));
    let (batches, _) = outbox.take_ready(Instant::now(), 10);
    let eb = batches
        .iter()
        .find(|b| b.target() == Target::EventBridge)
        .unwrap();
    assert_eq!(&*eb.rows[0].payload, "e3");
    assert_eq!(eb.rows[0].attempts, 1);
    let s = statuses(&store, &outbox);
    assert_eq!(s[0], ("e0".into(), "delivered".into()));
    assert_eq!(s[3], ("e3".into(), "pending".into()));
    assert_eq!(s[12], ("s0".into(), "delivered".into()));
}

#[test]
fn refusals_give_up_and_pending_rows_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, outbox) = open(dir.path(), 100);
        outbox
            .enqueue(
                &store,
                vec![row("r", Target::Sns, "a"), row("r", Target::Sns, "b")],
            )
            .unwrap();
        let (batches, _) = outbox.take_ready(Instant::now(), 10);
        outbox.finish(
            &batches[0],
            &Outcome {
                delivered: 0,
                failure: Some(Failure {
                    message: "NotFound: Topic does not exist".into(),
                    retryable: false,
                }),
            },
        );
        assert_eq!(outbox.pending(), 1);
        outbox.flush_records(&store);
    }
    let (store, outbox) = open(dir.path(), 100);
    assert_eq!(outbox.pending(), 1);
    let (batches, _) = outbox.take_ready(Instant::now(), 10);
    assert_eq!(&*batches[0].rows[0].payload, "b");
    let s = statuses(&store, &outbox);
    assert_eq!(s[0], ("a".into(), "failed".into()));
}

#[test]
fn the_cap_drops_the_oldest_and_undeliverable_rows_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (store, outbox) = open(dir.path(), 3);
    // p2 heads a stream of its own; p3 and p4 share one (delivered as one batch).
    let rows: Vec<NewRow> = (0..5)
        .map(|i| {
            row(
                if i == 2 { "a" } else { "r" },
                Target::Sns,
                &format!("p{i}"),
            )
        })
        .collect();
    outbox.enqueue(&store, rows).unwrap();
    assert_eq!(outbox.pending(), 3);
    // A Lambda row without a Lambda endpoint is recorded but never queued.
    outbox
        .enqueue(&store, vec![row("r", Target::Lambda, "l")])
        .unwrap();
    let s = statuses(&store, &outbox);
    assert_eq!(s[0].1, "dropped");
    assert_eq!(s[1].1, "dropped");
    assert_eq!(s[2], ("p2".into(), "pending".into()));
    assert_eq!(s[5], ("l".into(), "undeliverable".into()));
    let (batches, _) = outbox.take_ready(Instant::now(), 10);
    assert_eq!(batches.len(), 2);
    let (first, rest): (Vec<&Batch>, Vec<&Batch>) = batches
        .iter()
        .partition(|b| b.rows[0].payload.as_ref() == "p2");
    assert_eq!(first.len(), 1);
    assert_eq!(rest[0].rows.len(), 2);
    // p3 and p4 failed and wait to be tried again: they are not being delivered.
    outbox.finish(
        rest[0],
        &Outcome {
            delivered: 0,
            failure: Some(Failure {
                message: "try later".into(),
                retryable: true,
            }),
        },
    );
    // Past the cap again: the oldest rows not being delivered (p3, p4) make room; until the
    // write is spread it counts as pending, and the spreading is due within EXPAND_WAIT.
    outbox
        .record(
            &store,
            &Recipe::Rows(vec![row("r", Target::Sns, "q"), row("r", Target::Sns, "s")]),
        )
        .unwrap();
    assert_eq!(outbox.pending(), 4);
    let (due, later) = outbox.records_due(Instant::now());
    assert!(!due && later.is_some());
    assert!(outbox.records_due(Instant::now() + EXPAND_WAIT).0);
    outbox.flush_records(&store);
    assert_eq!(outbox.pending(), 3);
    let s = statuses(&store, &outbox);
    assert_eq!(s[2], ("p2".into(), "pending".into()));
    assert_eq!(s[3], ("p3".into(), "dropped".into()));
    assert_eq!(s[4], ("p4".into(), "dropped".into()));
    assert_eq!(s[6], ("q".into(), "pending".into()));
    assert_eq!(outbox.records_due(Instant::now()), (false, None));
}

#[test]
fn recorded_writes_become_rows_after_a_crash_and_numbering_continues() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, outbox) = open(dir.path(), 100);
        outbox
            .record(
                &store,
                &Recipe::Rows(vec![
                    row("r", Target::Sns, "a"),
                    row("r", Target::Lambda, "l"),
                ]),
            )
            .unwrap();
        outbox
            .record(&store, &Recipe::Rows(vec![row("r", Target::Sns, "b")]))
            .unwrap();
        // Nothing touched event_outbox: the writes are one row each, and the outbox is
        // dropped as a crash would leave it.
        let rows: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM event_outbox", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(rows, 0);
    }
    let (store, outbox) = open(dir.path(), 100);
    assert_eq!(outbox.pending(), 2);
    let (batches, _) = outbox.take_ready(Instant::now(), 10);
    assert_eq!(&*batches[0].rows[0].payload, "a");
    assert_eq!(batches[0].rows[0].seq, 1);
    outbox
        .record(&store, &Recipe::Rows(vec![row("r", Target::Sns, "c")]))
        .unwrap();
    let listed = listed(&store, &outbox);
    let ids: Vec<i64> = listed.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    assert_eq!(listed[1]["status"], "undeliverable");
    assert_eq!(listed[3]["payload"], "c");
    let (due, later) = outbox.records_due(Instant::now());
    assert!(!due && later.is_none(), "the listing spread every write");
}

#[test]
fn history_is_pruned_to_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let (store, outbox) = open(dir.path(), 100);
    outbox
        .enqueue(
            &store,
            (0..8)
                .map(|i| row("r", Target::Lambda, &format!("l{i}")))
                .collect(),
        )
        .unwrap();
    outbox.prune(&store);
    let s = statuses(&store, &outbox);
    assert_eq!(s.len(), 5);
    assert_eq!(s[0].0, "l3");
}

#[test]
fn writes_recorded_by_the_previous_version_are_spread_with_their_numbers() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _outbox) = open(dir.path(), 100);
        let mut parts = Vec::new();
        writes::encode_part(&mut parts, &row("r", Target::Sns, "old-a"), "pending", None);
        writes::encode_part(
            &mut parts,
            &row("r", Target::Lambda, "old-l"),
            "undeliverable",
            Some("no endpoint"),
        );
        store
            .write_after_ref_move(|tx| {
                tx.execute(
                    "INSERT INTO event_writes (first_seq, created, parts) VALUES (7, 1.5, ?1)",
                    params![parts],
                )?;
                Ok(())
            })
            .unwrap();
    }
    let (store, outbox) = open(dir.path(), 100);
    assert_eq!(outbox.pending(), 1);
    let (batches, _) = outbox.take_ready(Instant::now(), 10);
    assert_eq!(&*batches[0].rows[0].payload, "old-a");
    assert_eq!(batches[0].rows[0].seq, 7);
    outbox
        .enqueue(&store, vec![row("r", Target::Sns, "new")])
        .unwrap();
    let listed = listed(&store, &outbox);
    let ids: Vec<i64> = listed.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [7, 8, 9], "numbering continues after the old rows");
    assert_eq!(listed[1]["status"], "undeliverable");
    assert_eq!(listed[2]["payload"], "new");
}

#[test]
fn past_the_cap_the_history_is_pruned_as_writes_are_spread() {
    let dir = tempfile::tempdir().unwrap();
    let (store, outbox) = open(dir.path(), 3);
    let rows: Vec<NewRow> = (0..80)
        .map(|i| row("r", Target::Sns, &format!("p{i}")))
        .collect();
    outbox.record(&store, &Recipe::Rows(rows)).unwrap();
    outbox.flush_records(&store);
    // The three newest wait; of the 77 dropped only the newest five (the history) are kept,
    // pruned in the transaction that dropped them.
    let s = statuses(&store, &outbox);
    assert_eq!(s.len(), 8, "{s:?}");
    assert_eq!(s[0], ("p72".into(), "dropped".into()));
    assert_eq!(s[4], ("p76".into(), "dropped".into()));
    assert_eq!(s[5], ("p77".into(), "pending".into()));
    assert_eq!(outbox.pending(), 3);
}
