//! The durable outbox. Every delivery an event causes (a trigger record to an SNS topic or a
//! Lambda function, an EventBridge event, a webhook post) is a row of `event_outbox`, recorded
//! before the write that caused it is acknowledged. The deliverer (`events::deliver`) sends
//! pending rows in the background and marks them; after a restart it resumes from the rows
//! still pending, so delivery is at least once.
//!
//! A write pays for one insert whatever it causes: its rows, numbered already, go into one
//! `event_writes` row, and whoever next touches `event_outbox` (the deliverer marking a
//! delivery, a listing, a restart) first spreads those into `event_outbox` rows, in the same
//! transaction ([`Outbox::expand`]). In memory the rows are queued at once.
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
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Where a row goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    /// How many consecutive rows of one stream go in one call (PutEvents takes up to 10
    /// entries).
    fn batch_size(self) -> usize {
        match self {
            Target::EventBridge => 10,
            _ => 1,
        }
    }
}

/// A delivery to record.
#[derive(Debug, Clone)]
pub struct NewRow {
    pub account: String,
    pub region: String,
    pub repository_id: Option<String>,
    pub repository_name: Option<String>,
    /// `trigger` (a trigger record) or `eventbridge` (an EventBridge-shaped event).
    pub format: &'static str,
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
    /// Statuses not written yet: of pending rows dropped past the cap (the write that dropped
    /// them does not pay for it) and of delivery attempts. The deliverer records them in
    /// batches ([`Self::flush_records`]); lost in a crash, their rows come back as pending
    /// and are dropped or delivered again.
    unrecorded: Mutex<Unrecorded>,
    /// Bumped by `clear`, so deliveries started before a reset do not touch the new queues.
    generation: AtomicU64,
    /// The sequence number of the next row (rows are numbered by the write that records
    /// them, under the queues' lock, so numbers follow the order of writes).
    next_seq: AtomicI64,
    /// `event_writes` rows not spread into `event_outbox` yet, and since when the oldest
    /// waits.
    unexpanded: Mutex<(usize, Option<Instant>)>,
}

const STATUS_PENDING: &str = "pending";

/// Row statuses decided in memory and not written yet.
#[derive(Default)]
struct Unrecorded {
    /// Pending rows dropped past the cap.
    drops: Vec<i64>,
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

/// `event_writes` rows are spread into `event_outbox` once this many wait (or with the
/// statuses, after `RECORD_WAIT`).
const EXPAND_BATCH: usize = 64;

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
        };
        // What writes recorded before the stop becomes rows first; numbering continues past
        // every number ever given (AUTOINCREMENT's record keeps those of pruned rows).
        let last = store.write_after_ref_move(|tx| {
            expand(tx)?;
            let max: Option<i64> =
                tx.query_row("SELECT max(seq) FROM event_outbox", [], |row| row.get(0))?;
            let recorded: Option<i64> = tx
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
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, String>(5)?,
                        row.get::<_, String>(6)?,
                        row.get::<_, String>(7)?,
                        row.get::<_, u32>(8)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        {
            let mut q = outbox.queues.lock();
            for (
                seq,
                account,
                region,
                repo_id,
                repo_name,
                target,
                destination,
                payload,
                attempts,
            ) in rows
            {
                let row = NewRow {
                    account,
                    region,
                    repository_id: repo_id,
                    repository_name: repo_name,
                    format: "",
                    target: Target::parse(&target),
                    destination,
                    event_name: String::new(),
                    payload,
                };
                push(&mut q, seq, &row, attempts);
            }
            if !q.order.is_empty() {
                tracing::info!(
                    pending = q.order.len(),
                    "resuming delivery of events recorded before the restart"
                );
            }
        }
        Ok(outbox)
    }

    fn is_deliverable(&self, t: Target) -> bool {
        self.deliverable[target_index(t)]
    }

    /// Records deliveries durably (before the caller acknowledges the write that caused them)
    /// and hands them to the deliverer.
    pub fn enqueue(&self, store: &Store, rows: Vec<NewRow>) -> ApiResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let now = crate::api::now_epoch();
        let mut q = self.queues.lock();
        let queued = rows
            .iter()
            .filter(|r| self.is_deliverable(r.target))
            .count();
        // Past the cap, the oldest pending rows make room (never those being delivered); when
        // there are not enough of them, the oldest of these new rows are dropped too.
        let overflow = (q.order.len() + queued).saturating_sub(self.max_pending);
        let dropped = if overflow > 0 {
            take_oldest(&mut q, overflow)
        } else {
            Vec::new()
        };
        let mut drop_new = overflow - dropped.len();
        let statuses: Vec<&'static str> = rows
            .iter()
            .map(|r| {
                if !self.is_deliverable(r.target) {
                    "undeliverable"
                } else if drop_new > 0 {
                    drop_new -= 1;
                    "dropped"
                } else {
                    STATUS_PENDING
                }
            })
            .collect();
        let max_pending = self.max_pending;
        let drop_reason = format!(
            "dropped undelivered: more than {max_pending} events were waiting for delivery"
        );
        let first_seq = self.next_seq.load(Ordering::Relaxed);
        let mut parts = Vec::with_capacity(rows.iter().map(|r| r.payload.len() + 160).sum());
        for (r, status) in rows.iter().zip(&statuses) {
            let error = match *status {
                "undeliverable" => Some(undeliverable_reason(r.target)),
                "dropped" => Some(drop_reason.as_str()),
                _ => None,
            };
            encode_part(&mut parts, r, status, error);
        }
        store.write_after_ref_move(|tx| {
            tx.prepare_cached(
                "INSERT INTO event_writes (first_seq, created, parts) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![first_seq, now, parts])?;
            Ok(())
        })?;
        self.next_seq
            .store(first_seq + rows.len() as i64, Ordering::Relaxed);
        // The deliverer hears of the first write it has to spread (to set its timer) and of
        // a full batch: at most one wake-up per batch of writes.
        let mut wake = {
            let mut u = self.unexpanded.lock();
            let first = u.1.is_none();
            u.0 += 1;
            u.1.get_or_insert_with(Instant::now);
            first || u.0 == EXPAND_BATCH
        };
        let seqs = first_seq..;
        if !dropped.is_empty() {
            let mut u = self.unrecorded.lock();
            u.drops.extend_from_slice(&dropped);
            u.since.get_or_insert_with(Instant::now);
        }
        let mut finished = dropped.len();
        for ((r, seq), status) in rows.iter().zip(seqs).zip(&statuses) {
            match *status {
                STATUS_PENDING => wake |= push(&mut q, seq, r, 0),
                "undeliverable" => {
                    finished += 1;
                    self.warn_undeliverable(r.target);
                }
                _ => finished += 1,
            }
        }
        let dropped = overflow;
        drop(q);
        if dropped > 0 {
            tracing::warn!(
                dropped,
                max_pending = self.max_pending,
                "event outbox full: the oldest undelivered events were dropped"
            );
        }
        self.finished.fetch_add(finished, Ordering::Relaxed);
        // Only a row that starts a stream can be taken at once: a stream that already had
        // rows is being delivered or waits to retry, and the deliverer comes back to it
        // then. Waking it for nothing cost a thread wake-up on every write (with a dead
        // endpoint, all of them).
        if wake {
            self.wake.notify_one();
        }
        Ok(())
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
    pub fn pending(&self) -> usize {
        self.queues.lock().order.len()
    }

    /// Whether the unrecorded statuses should be written now, and if not, when.
    pub fn records_due(&self, now: Instant) -> (bool, Option<Instant>) {
        let u = self.unrecorded.lock();
        let (writes, writes_since) = *self.unexpanded.lock();
        let since = match (u.since, writes_since) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(at) => at,
                None => return (false, None),
            },
        };
        if u.drops.len() + u.marks.len() >= RECORD_BATCH
            || writes >= EXPAND_BATCH
            || now >= since + RECORD_WAIT
        {
            (true, None)
        } else {
            (false, Some(since + RECORD_WAIT))
        }
    }

    /// Writes, in one transaction, the recorded writes' rows and the statuses decided since
    /// the last time: delivery outcomes, then the rows dropped past the cap.
    pub fn flush_records(&self, store: &Store) {
        let Unrecorded { drops, marks, .. } = std::mem::take(&mut *self.unrecorded.lock());
        let max_pending = self.max_pending;
        let reason = format!(
            "dropped undelivered: more than {max_pending} events were waiting for delivery"
        );
        let written = store.write_after_ref_move(|tx| {
            self.expand_in(tx)?;
            if !marks.is_empty() {
                let mut mark = tx.prepare_cached(
                    "UPDATE event_outbox SET status = ?2, attempts = ?3, last_error = ?4,
                         delivered = ?5 WHERE seq = ?1",
                )?;
                for m in &marks {
                    mark.execute(params![m.seq, m.status, m.attempts, m.error, m.delivered])?;
                }
            }
            if !drops.is_empty() {
                let mut stmt = tx.prepare_cached(
                    "UPDATE event_outbox SET status = 'dropped', last_error = ?2
                     WHERE seq = ?1 AND status = 'pending'",
                )?;
                for seq in &drops {
                    stmt.execute(params![seq, reason])?;
                }
            }
            Ok(())
        });
        if let Err(e) = written {
            // The rows stay pending on disk: after a restart they are delivered again, which
            // at-least-once allows.
            tracing::warn!(error = %e, "could not record event deliveries");
        }
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
        let pruned = store.write_after_ref_move(|tx| {
            Ok(tx.execute(
                "DELETE FROM event_outbox WHERE seq IN (
                     SELECT seq FROM event_outbox WHERE status != 'pending'
                     ORDER BY seq LIMIT ?1)",
                params![excess as i64],
            )?)
        });
        match pruned {
            Ok(n) => {
                let _ = self
                    .finished
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| {
                        Some(f.saturating_sub(n))
                    });
            }
            Err(e) => tracing::warn!(error = %e, "could not prune the event history"),
        }
    }

    /// Forgets every queued row (the `/reset` endpoint; the rows are gone already).
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        *self.queues.lock() = Queues::default();
        self.finished.store(0, Ordering::Relaxed);
        *self.unrecorded.lock() = Unrecorded::default();
        *self.unexpanded.lock() = (0, None);
    }

    /// [`expand`] inside the caller's transaction (which the caller commits or rolls back as
    /// one: on a rollback the writes stay recorded and are spread by a later call).
    fn expand_in(&self, tx: &rusqlite::Transaction<'_>) -> ApiResult<()> {
        let taken = std::mem::take(&mut *self.unexpanded.lock());
        if taken.1.is_none() {
            return Ok(());
        }
        let result = expand(tx);
        if result.is_err() {
            let mut u = self.unexpanded.lock();
            u.0 += taken.0;
            u.1 = u.1.min(taken.1).or(taken.1);
        }
        result
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

/// Appends one row to a write's `parts`: its strings length-prefixed (u32, little endian;
/// `u32::MAX` for none), in the order [`expand`] reads them.
fn encode_part(out: &mut Vec<u8>, r: &NewRow, status: &str, error: Option<&str>) {
    let mut put = |s: Option<&str>| match s {
        Some(s) => {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    };
    put(Some(&r.account));
    put(Some(&r.region));
    put(r.repository_id.as_deref());
    put(r.repository_name.as_deref());
    put(Some(r.format));
    put(Some(r.target.as_str()));
    put(Some(&r.destination));
    put(Some(&r.event_name));
    put(Some(&r.payload));
    put(Some(status));
    put(error);
}

/// The strings of one part, or `None` where the bytes end early or are not UTF-8.
fn decode_part<'a>(bytes: &mut &'a [u8]) -> Option<[Option<&'a str>; PART_FIELDS]> {
    let mut fields = [None; PART_FIELDS];
    for field in &mut fields {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len);
        if len == u32::MAX {
            *bytes = rest;
            continue;
        }
        let len = len as usize;
        if rest.len() < len {
            return None;
        }
        *field = Some(std::str::from_utf8(&rest[..len]).ok()?);
        *bytes = &rest[len..];
    }
    Some(fields)
}

const PART_FIELDS: usize = 11;

/// Moves every recorded write into `event_outbox` rows, numbered from the write's first
/// sequence number.
fn expand(tx: &rusqlite::Transaction<'_>) -> ApiResult<()> {
    let writes: Vec<(i64, f64, Vec<u8>)> = {
        let mut stmt =
            tx.prepare_cached("SELECT first_seq, created, parts FROM event_writes ORDER BY 1")?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    if writes.is_empty() {
        return Ok(());
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO event_outbox (seq, created, account, region, repository_id,
             repository_name, format, target, destination, event_name, payload, status,
             last_error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    for (first_seq, created, parts) in &writes {
        let mut bytes = parts.as_slice();
        let mut seq = *first_seq;
        while !bytes.is_empty() {
            let Some(f) = decode_part(&mut bytes) else {
                tracing::error!(first_seq, "a recorded write's events are unreadable");
                break;
            };
            insert.execute(params![
                seq, created, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]
            ])?;
            seq += 1;
        }
    }
    tx.execute("DELETE FROM event_writes", [])?;
    Ok(())
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
mod tests {
    use super::*;

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
            format: "eventbridge",
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

    fn statuses(store: &Store, outbox: &Outbox) -> Vec<(String, String)> {
        outbox
            .list(
                store,
                &ListFilter {
                    limit: 100,
                    ..Default::default()
                },
            )
            .unwrap()
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
        let rows: Vec<NewRow> = (0..5)
            .map(|i| row("r", Target::Sns, &format!("p{i}")))
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
        assert_eq!(&*batches[0].rows[0].payload, "p2");
        // Past the cap again: the oldest rows not being delivered (p3, p4) leave the queue at
        // once; their status is written by the deliverer, in a batch.
        outbox
            .enqueue(
                &store,
                vec![row("r", Target::Sns, "q"), row("r", Target::Sns, "s")],
            )
            .unwrap();
        assert_eq!(outbox.pending(), 3);
        let (due, later) = outbox.records_due(Instant::now());
        assert!(!due && later.is_some());
        assert!(outbox.records_due(Instant::now() + RECORD_WAIT).0);
        outbox.flush_records(&store);
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
                .enqueue(
                    &store,
                    vec![row("r", Target::Sns, "a"), row("r", Target::Lambda, "l")],
                )
                .unwrap();
            outbox
                .enqueue(&store, vec![row("r", Target::Sns, "b")])
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
            .enqueue(&store, vec![row("r", Target::Sns, "c")])
            .unwrap();
        let listed = outbox
            .list(
                &store,
                &ListFilter {
                    limit: 100,
                    ..Default::default()
                },
            )
            .unwrap();
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
}
