//! The durable outbox. Every delivery an event causes (a trigger record to an SNS topic or a
//! Lambda function, an EventBridge event, a webhook post) is a row of `event_outbox`, recorded
//! before the write that caused it is acknowledged. The deliverer (`events::deliver`) sends
//! pending rows in the background and marks them; after a restart it resumes from the rows
//! still pending, so delivery is at least once.
//!
//! A write pays for one small insert whatever it causes: what it did goes into one
//! `event_writes` row, which the deliverer (or a listing, or a restart) renders into
//! `event_outbox` rows and queues, in batches ([`writes`]).
//!
//! Rows form streams — one per repository and destination — and each stream is delivered in
//! order: a row waits until the one before it was delivered or given up. A dead destination
//! therefore holds back only its own stream. The pending rows are mirrored in memory (the
//! deliverer never scans the table); their number is capped, and past the cap the oldest are
//! dropped with a warning. Finished rows are kept as history for `GET /_events`, pruned to the
//! newest `history`.

use crate::config::DeliveryConfig;
use crate::error::ApiResult;
use crate::store::Store;
use parking_lot::Mutex;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod writes;

pub use writes::insert_recipe;

/// Where a row goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Sns,
    Lambda,
    EventBridge,
    Webhook,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Sns => "sns",
            Target::Lambda => "lambda",
            Target::EventBridge => "eventbridge",
            Target::Webhook => "webhook",
        }
    }

    fn parse(s: &str) -> Target {
        match s {
            "sns" => Target::Sns,
            "lambda" => Target::Lambda,
            "webhook" => Target::Webhook,
            _ => Target::EventBridge,
        }
    }

    /// How many consecutive rows of one stream go in one call (PutEvents and SNS
    /// PublishBatch take up to 10 entries).
    fn batch_size(self) -> usize {
        match self {
            Target::EventBridge | Target::Sns => 10,
            _ => 1,
        }
    }
}

/// A delivery to record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRow {
    pub account: String,
    pub region: String,
    pub repository_id: Option<String>,
    pub repository_name: Option<String>,
    /// `trigger` (a trigger record) or `eventbridge` (an EventBridge-shaped event).
    pub format: Cow<'static, str>,
    pub target: Target,
    /// The topic or function ARN, `default` (the account's default event bus) or the webhook
    /// URL.
    pub destination: String,
    /// `ReferenceChanges`, `referenceCreated`, `pullRequestCreated`, …
    pub event_name: String,
    pub payload: String,
}

/// A row waiting for delivery.
#[derive(Debug, Clone)]
pub struct Pending {
    pub seq: i64,
    pub target: Target,
    pub destination: Arc<str>,
    pub region: Arc<str>,
    pub repository_name: Option<Arc<str>>,
    pub payload: Arc<str>,
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamKey {
    account: Arc<str>,
    region: Arc<str>,
    /// Repository id (or name where only a name is known); empty for account-wide events.
    repository: Arc<str>,
    target: Target,
    destination: Arc<str>,
}

#[derive(Default)]
struct Stream {
    rows: VecDeque<Pending>,
    /// The first `in_flight` rows are being delivered.
    in_flight: usize,
    retry_at: Option<Instant>,
}

#[derive(Default)]
struct Queues {
    streams: HashMap<StreamKey, Stream>,
    /// Every pending row by sequence number: the oldest is dropped first past the cap.
    order: BTreeMap<i64, StreamKey>,
}

/// Consecutive rows of one stream handed to the deliverer.
#[derive(Debug, Clone)]
pub struct Batch {
    pub key: StreamKey,
    pub rows: Vec<Pending>,
    generation: u64,
}

impl Batch {
    pub fn target(&self) -> Target {
        self.key.target
    }
}

/// What a delivery attempt of a batch achieved.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How many rows, from the first, were delivered.
    pub delivered: usize,
    /// Why the next row was not.
    pub failure: Option<Failure>,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    /// A dead or overloaded endpoint (try again later) rather than a refusal (give up).
    pub retryable: bool,
}

pub struct Outbox {
    queues: Mutex<Queues>,
    wake: tokio::sync::Notify,
    max_pending: usize,
    history: usize,
    max_attempts: u32,
    backoff_initial: Duration,
    backoff_max: Duration,
    /// Which targets have an endpoint; rows for the others are recorded as not delivered.
    deliverable: [bool; 4],
    warned_undeliverable: [AtomicBool; 4],
    /// Finished rows (delivered, given up, dropped, undeliverable) in the table.
    finished: AtomicUsize,
    /// Delivery attempts' statuses not written yet. The deliverer records them in batches
    /// ([`Self::flush_records`]); lost in a crash, their rows come back as pending and are
    /// delivered again.
    unrecorded: Mutex<Unrecorded>,
    /// Bumped by `clear`, so deliveries started before a reset do not touch the new queues.
    generation: AtomicU64,
    /// The sequence number of the next row (rows are numbered when their write is spread,
    /// in the order of the writes).
    next_seq: AtomicI64,
    /// `event_writes` rows not spread into `event_outbox` yet, and since when the oldest
    /// waits.
    unexpanded: Mutex<(usize, Option<Instant>)>,
    /// `--webhook`: ref moves' events are posted there too.
    webhook: Option<String>,
    /// Held while recorded writes are read, rendered and spread: by one caller at a time.
    spreading: Mutex<()>,
}

const STATUS_PENDING: &str = "pending";

/// Row statuses decided in memory and not written yet.
#[derive(Default)]
struct Unrecorded {
    /// Delivery attempts' outcomes, in the order they happened.
    marks: Vec<Mark>,
    since: Option<Instant>,
}

struct Mark {
    seq: i64,
    status: &'static str,
    attempts: u32,
    error: Option<String>,
    delivered: Option<f64>,
}

/// Unrecorded statuses are written once this many wait, or once the oldest has waited this
/// long.
const RECORD_BATCH: usize = 256;
const RECORD_WAIT: Duration = Duration::from_millis(100);

/// `event_writes` rows are spread into `event_outbox` (and queued for delivery) once this many
/// wait, or once the oldest has waited `EXPAND_WAIT`: a write's deliveries start at most that
/// much later, and a burst of writes wakes the deliverer once per batch.
const EXPAND_BATCH: usize = 64;
const EXPAND_WAIT: Duration = Duration::from_millis(10);

/// Recorded writes spread per transaction (with ten triggers, 88 rows).
const SPREAD_CHUNK: usize = 8;

fn target_index(t: Target) -> usize {
    match t {
        Target::Sns => 0,
        Target::Lambda => 1,
        Target::EventBridge => 2,
        Target::Webhook => 3,
    }
}

impl Outbox {
    /// Opens the outbox and reloads what was still pending when the server last stopped.
    pub fn open(store: &Store, config: &DeliveryConfig) -> ApiResult<Outbox> {
        let outbox = Outbox {
            queues: Mutex::new(Queues::default()),
            wake: tokio::sync::Notify::new(),
            max_pending: config.max_pending.max(1),
            history: config.history,
            max_attempts: config.max_attempts.max(1),
            backoff_initial: config.backoff_initial,
            backoff_max: config.backoff_max,
            deliverable: [
                config.sns_endpoint.is_some(),
                config.lambda_endpoint.is_some(),
                config.eventbridge_endpoint.is_some(),
                config.webhook.is_some(),
            ],
            warned_undeliverable: Default::default(),
            finished: AtomicUsize::new(0),
            unrecorded: Mutex::new(Unrecorded::default()),
            generation: AtomicU64::new(0),
            next_seq: AtomicI64::new(1),
            unexpanded: Mutex::new((0, None)),
            webhook: config.webhook.as_ref().map(|h| h.url.clone()),
            spreading: Mutex::new(()),
        };
        // Numbering continues past every number ever given (AUTOINCREMENT's record keeps
        // those of pruned rows).
        let last = store.read(|conn| {
            let max: Option<i64> =
                conn.query_row("SELECT max(seq) FROM event_outbox", [], |row| row.get(0))?;
            let recorded: Option<i64> = conn
                .query_row(
                    "SELECT seq FROM sqlite_sequence WHERE name = 'event_outbox'",
                    [],
                    |row| row.get(0),
                )
                .ok();
            Ok(max.unwrap_or(0).max(recorded.unwrap_or(0)))
        })?;
        outbox.next_seq.store(last + 1, Ordering::Relaxed);
        let finished = store.read(|conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM event_outbox WHERE status != 'pending'",
                [],
                |row| row.get::<_, i64>(0),
            )?)
        })?;
        outbox
            .finished
            .store(usize::try_from(finished).unwrap_or(0), Ordering::Relaxed);
        let rows = store.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT seq, account, region, repository_id, repository_name, target, destination,
                        payload, attempts
                 FROM event_outbox WHERE status = 'pending' ORDER BY seq",
            )?;
            let rows = stmt
                .query_map([], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        NewRow {
                            account: row.get(1)?,
                            region: row.get(2)?,
                            repository_id: row.get(3)?,
                            repository_name: row.get(4)?,
                            format: "".into(),
                            target: Target::parse(&row.get::<_, String>(5)?),
                            destination: row.get(6)?,
                            event_name: String::new(),
                            payload: row.get(7)?,
                        },
                        row.get::<_, u32>(8)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        {
            let mut q = outbox.queues.lock();
            for (seq, row, attempts) in rows {
                push(&mut q, seq, &row, attempts);
            }
        }
        // Then what writes recorded before the stop, after those rows.
        outbox.spread_all(store, &outbox.prepare(store)?)?;
        let pending = outbox.pending();
        if pending > 0 {
            tracing::info!(
                pending,
                "resuming delivery of events recorded before the restart"
            );
        }
        Ok(outbox)
    }

    fn is_deliverable(&self, t: Target) -> bool {
        self.deliverable[target_index(t)]
    }

    fn warn_undeliverable(&self, t: Target) {
        if !self.warned_undeliverable[target_index(t)].swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target = t.as_str(),
                "events are recorded (GET /_events) but not delivered: {}",
                undeliverable_reason(t)
            );
        }
    }

    /// Wakes the deliverer (new rows, a finished delivery).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub async fn notified(&self) {
        self.wake.notified().await;
    }

    /// Up to `max` batches that may be delivered now (the head rows of streams that are
    /// neither being delivered nor waiting to retry), and when the next retry is due.
    pub fn take_ready(&self, now: Instant, max: usize) -> (Vec<Batch>, Option<Instant>) {
        let generation = self.generation.load(Ordering::Relaxed);
        let mut q = self.queues.lock();
        let mut batches = Vec::new();
        let mut next_due: Option<Instant> = None;
        for (key, stream) in q.streams.iter_mut() {
            if stream.in_flight > 0 || stream.rows.is_empty() {
                continue;
            }
            if let Some(at) = stream.retry_at {
                if at > now {
                    next_due = Some(next_due.map_or(at, |d| d.min(at)));
                    continue;
                }
                stream.retry_at = None;
            }
            if batches.len() >= max {
                continue;
            }
            let n = key.target.batch_size().min(stream.rows.len());
            stream.in_flight = n;
            batches.push(Batch {
                key: key.clone(),
                rows: stream.rows.iter().take(n).cloned().collect(),
                generation,
            });
        }
        (batches, next_due)
    }

    /// Records what a delivery attempt achieved: delivered rows are marked and leave the
    /// queue; a failed row is retried later with backoff, or given up when the endpoint
    /// refused it or it ran out of attempts.
    ///
    /// The new statuses are written later, many in one transaction ([`Self::flush_records`]):
    /// with one transaction per delivery, the deliverer held the database's write lock
    /// eleven times per write that caused deliveries, and the writes waited for it. A crash
    /// before they are written delivers those rows again, which at-least-once allows.
    pub fn finish(&self, batch: &Batch, outcome: &Outcome) {
        let now = crate::api::now_epoch();
        let delivered = &batch.rows[..outcome.delivered.min(batch.rows.len())];
        let failed = outcome
            .failure
            .as_ref()
            .and_then(|f| batch.rows.get(delivered.len()).map(|row| (row, f)));
        let gave_up =
            failed.is_some_and(|(row, f)| !f.retryable || row.attempts + 1 >= self.max_attempts);
        {
            let mut u = self.unrecorded.lock();
            u.since.get_or_insert_with(Instant::now);
            for row in delivered {
                u.marks.push(Mark {
                    seq: row.seq,
                    status: "delivered",
                    attempts: row.attempts + 1,
                    error: None,
                    delivered: Some(now),
                });
            }
            if let Some((row, f)) = failed {
                u.marks.push(Mark {
                    seq: row.seq,
                    status: if gave_up { "failed" } else { STATUS_PENDING },
                    attempts: row.attempts + 1,
                    error: Some(f.message.clone()),
                    delivered: None,
                });
            }
        }
        if let Some((row, f)) = failed {
            if gave_up {
                tracing::warn!(
                    target = batch.key.target.as_str(),
                    destination = %batch.key.destination,
                    attempts = row.attempts + 1,
                    error = %f.message,
                    "event delivery failed; giving up on this event"
                );
            } else {
                tracing::debug!(
                    target = batch.key.target.as_str(),
                    destination = %batch.key.destination,
                    attempts = row.attempts + 1,
                    error = %f.message,
                    "event delivery failed; will retry"
                );
            }
        }
        let finished_rows = delivered.len() + usize::from(gave_up);
        self.finished.fetch_add(finished_rows, Ordering::Relaxed);
        if batch.generation != self.generation.load(Ordering::Relaxed) {
            return; // reset meanwhile: the queues are new
        }
        let mut q = self.queues.lock();
        let Queues { streams, order } = &mut *q;
        if let Some(stream) = streams.get_mut(&batch.key) {
            for row in delivered {
                if stream.rows.front().is_some_and(|r| r.seq == row.seq) {
                    stream.rows.pop_front();
                    order.remove(&row.seq);
                }
            }
            if let Some((row, _)) = failed
                && let Some(front) = stream.rows.front_mut()
                && front.seq == row.seq
            {
                if gave_up {
                    stream.rows.pop_front();
                    order.remove(&row.seq);
                } else {
                    front.attempts += 1;
                    stream.retry_at = Some(Instant::now() + self.backoff(front.attempts));
                }
            }
            stream.in_flight = 0;
            if stream.rows.is_empty() {
                streams.remove(&batch.key);
            }
        }
        drop(q);
        self.wake.notify_one();
    }

    /// The wait before attempt `attempts + 1`: doubling from the initial backoff, capped.
    fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(20));
        self.backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max)
    }

    /// How many rows wait for delivery (in memory).
    /// Recorded writes not spread yet count as one each (they are spread within
    /// `EXPAND_WAIT`), so "nothing pending" means every write's deliveries were made.
    pub fn pending(&self) -> usize {
        self.queues.lock().order.len() + self.unexpanded.lock().0
    }

    /// Whether the recorded writes should be spread and the unrecorded statuses written
    /// now, and if not, when.
    pub fn records_due(&self, now: Instant) -> (bool, Option<Instant>) {
        let u = self.unrecorded.lock();
        let (writes, writes_since) = *self.unexpanded.lock();
        let due = [
            u.since.map(|at| at + RECORD_WAIT),
            writes_since.map(|at| at + EXPAND_WAIT),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(due) = due else {
            return (false, None);
        };
        if u.marks.len() >= RECORD_BATCH || writes >= EXPAND_BATCH || now >= due {
            (true, None)
        } else {
            (false, Some(due))
        }
    }

    /// Writes, in one transaction, the recorded writes' rows (queued for delivery) and the
    /// delivery outcomes decided since the last time. False when they could not be written.
    pub fn flush_records(&self, store: &Store) -> bool {
        let _spreading = self.spreading.lock();
        let prepared = self.prepare_waiting(store);
        let spread = match &prepared {
            Some(p) => self.spread_all(store, p),
            None => Ok(()),
        };
        if spread.is_err() {
            // The recorded writes not spread are spread by a later call.
            self.unspread((1, Some(Instant::now())));
        }
        // The outcomes follow the rows they mark (a delivery's row was queued by a spread).
        // A row that failed and waited to retry may have been dropped past the cap by the
        // spread just written: its retry mark must not make it pending again.
        let Unrecorded { marks, .. } = std::mem::take(&mut *self.unrecorded.lock());
        let written = spread.and_then(|()| {
            if marks.is_empty() {
                return Ok(());
            }
            store.write_after_ref_move(|tx| {
                let mut mark = tx.prepare_cached(
                    "UPDATE event_outbox SET status = ?2, attempts = ?3, last_error = ?4,
                         delivered = ?5 WHERE seq = ?1 AND status <> 'dropped'",
                )?;
                for m in &marks {
                    mark.execute(params![m.seq, m.status, m.attempts, m.error, m.delivered])?;
                }
                Ok(())
            })
        });
        if let Err(e) = &written {
            // The rows stay pending on disk: after a restart they are delivered again, which
            // at-least-once allows.
            tracing::warn!(error = %e, "could not record event deliveries");
        }
        written.is_ok()
    }

    /// Whether the history has grown enough past `history` rows to prune it now.
    pub fn wants_prune(&self) -> bool {
        self.finished.load(Ordering::Relaxed) >= self.history + (self.history / 10).max(64)
    }

    /// Keeps the newest `history` finished rows. The oldest rows go first, so the scan starts
    /// where they are and stops as soon as it has them (pending rows are never pruned).
    pub fn prune(&self, store: &Store) {
        let excess = self
            .finished
            .load(Ordering::Relaxed)
            .saturating_sub(self.history);
        if excess == 0 {
            return;
        }
        // The statuses the count assumes are written first.
        self.flush_records(store);
        let pruned = store.write_after_ref_move(|tx| self.prune_in(tx));
        match pruned {
            Ok(n) => self.pruned(n),
            Err(e) => tracing::warn!(error = %e, "could not prune the event history"),
        }
    }

    /// Deletes the oldest finished rows past the history, in the caller's transaction; how
    /// many. Only rows finished on disk go (a delivery whose status is not written yet stays),
    /// so a count ahead of the disk prunes less, never a pending row.
    pub(super) fn prune_in(&self, tx: &rusqlite::Transaction<'_>) -> ApiResult<usize> {
        let excess = self
            .finished
            .load(Ordering::Relaxed)
            .saturating_sub(self.history);
        if excess == 0 {
            return Ok(0);
        }
        Ok(tx.execute(
            "DELETE FROM event_outbox WHERE seq IN (
                 SELECT seq FROM event_outbox WHERE status != 'pending'
                 ORDER BY seq LIMIT ?1)",
            params![excess as i64],
        )?)
    }

    /// Counts rows [`Self::prune_in`] deleted, once their transaction is committed.
    pub(super) fn pruned(&self, n: usize) {
        let _ = self
            .finished
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| {
                Some(f.saturating_sub(n))
            });
    }

    /// Forgets every queued row (the `/reset` endpoint; the rows are gone already).
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        *self.queues.lock() = Queues::default();
        self.finished.store(0, Ordering::Relaxed);
        *self.unrecorded.lock() = Unrecorded::default();
        *self.unexpanded.lock() = (0, None);
    }

    /// Recent rows, oldest first, for `GET /_events`.
    pub fn list(&self, store: &Store, filter: &ListFilter) -> ApiResult<Vec<Value>> {
        // What the listing shows is what happened: recorded writes and statuses first.
        self.flush_records(store);
        store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, created, account, region, repository_id, repository_name, format,
                        target, destination, event_name, payload, status, attempts, last_error,
                        delivered
                 FROM event_outbox
                 WHERE (?1 IS NULL OR repository_name = ?1) AND (?2 IS NULL OR account = ?2)
                   AND (?3 IS NULL OR region = ?3) AND (?4 IS NULL OR status = ?4)
                   AND (?5 IS NULL OR target = ?5)
                 ORDER BY seq DESC LIMIT ?6",
            )?;
            let rows = stmt
                .query_map(
                    params![
                        filter.repository,
                        filter.account,
                        filter.region,
                        filter.status,
                        filter.target,
                        filter.limit as i64
                    ],
                    |row| {
                        let payload: String = row.get(10)?;
                        Ok(json!({
                            "id": row.get::<_, i64>(0)?,
                            "recorded": row.get::<_, f64>(1)?,
                            "account": row.get::<_, String>(2)?,
                            "region": row.get::<_, String>(3)?,
                            "repositoryId": row.get::<_, Option<String>>(4)?,
                            "repositoryName": row.get::<_, Option<String>>(5)?,
                            "format": row.get::<_, String>(6)?,
                            "target": row.get::<_, String>(7)?,
                            "destination": row.get::<_, String>(8)?,
                            "event": row.get::<_, String>(9)?,
                            "payload": serde_json::from_str::<Value>(&payload)
                                .unwrap_or(Value::String(payload)),
                            "status": row.get::<_, String>(11)?,
                            "attempts": row.get::<_, u32>(12)?,
                            "lastError": row.get::<_, Option<String>>(13)?,
                            "delivered": row.get::<_, Option<f64>>(14)?,
                        }))
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().rev().collect())
        })
    }
}

/// Filters of `GET /_events` (all optional).
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub repository: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub status: Option<String>,
    pub target: Option<String>,
    pub limit: usize,
}

fn undeliverable_reason(t: Target) -> &'static str {
    match t {
        Target::Webhook => "no webhook is configured (--webhook)",
        _ => "no AWS endpoint is configured (--aws-endpoint-url or AWS_ENDPOINT_URL)",
    }
}

/// Queues a row; true when it is the only row of its stream (deliverable at once).
fn push(q: &mut Queues, seq: i64, r: &NewRow, attempts: u32) -> bool {
    let repository = r
        .repository_id
        .as_deref()
        .or(r.repository_name.as_deref())
        .unwrap_or("");
    // Queued rows live long: they share their stream's strings rather than allocate their
    // own (with glibc, every small long-lived allocation made on a request's thread kept the
    // freed memory around it from being reused).
    let probe = StreamKey {
        account: r.account.as_str().into(),
        region: r.region.as_str().into(),
        repository: repository.into(),
        target: r.target,
        destination: r.destination.as_str().into(),
    };
    let key = match q.streams.get_key_value(&probe) {
        Some((k, _)) => k.clone(),
        None => probe,
    };
    let stream = q.streams.entry(key.clone()).or_default();
    let repository_name = match stream.rows.back() {
        Some(last) if last.repository_name.as_deref() == r.repository_name.as_deref() => {
            last.repository_name.clone()
        }
        _ => r.repository_name.as_deref().map(Arc::from),
    };
    stream.rows.push_back(Pending {
        seq,
        target: r.target,
        destination: key.destination.clone(),
        region: key.region.clone(),
        repository_name,
        payload: r.payload.as_str().into(),
        attempts,
    });
    let head = stream.rows.len() == 1;
    q.order.insert(seq, key);
    head
}

/// Removes up to `n` of the oldest pending rows that are not being delivered.
fn take_oldest(q: &mut Queues, n: usize) -> Vec<i64> {
    let mut taken = Vec::with_capacity(n);
    let candidates: Vec<(i64, StreamKey)> = q
        .order
        .iter()
        .map(|(s, k)| (*s, k.clone()))
        .take(n + q.streams.len() * Target::EventBridge.batch_size())
        .collect();
    for (seq, key) in candidates {
        if taken.len() >= n {
            break;
        }
        let Some(stream) = q.streams.get_mut(&key) else {
            continue;
        };
        let Some(pos) = stream.rows.iter().position(|r| r.seq == seq) else {
            continue;
        };
        if pos < stream.in_flight {
            continue;
        }
        stream.rows.remove(pos);
        if stream.rows.is_empty() {
            q.streams.remove(&key);
        }
        q.order.remove(&seq);
        taken.push(seq);
    }
    taken
}

#[cfg(test)]
mod tests;
