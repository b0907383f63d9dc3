//! Recording a write's deliveries and spreading them into `event_outbox` rows.
//!
//! A write pays for one small insert whatever it causes: its [`Recipe`] (for a ref move, the
//! facts its trigger records and events are made of) goes into one `event_writes` row. The
//! deliverer — or a listing, or a restart, whichever touches `event_outbox` first — renders
//! the recipes in the order they were written, numbers their rows, decides their statuses
//! (past the cap, without an endpoint) and queues them, in one transaction with the rows'
//! inserts. Until then the rows exist only as their recipe, which survives `kill -9` like the
//! rows would.

use super::{NewRow, Outbox, Queues, STATUS_PENDING, push, take_oldest};
use crate::error::{ApiResult, Internal as _};
use crate::events::record::Recipe;
use crate::store::Store;
use rusqlite::params;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Recorded writes read and rendered (`None`: a write of the previous format, whose rows are
/// rendered already), up to the last one read.
pub(super) struct Prepared {
    writes: Vec<(Written, Option<Vec<NewRow>>)>,
}

/// A recorded write, read back for spreading.
struct Written {
    first_seq: i64,
    created: f64,
    /// Rows of the previous format (numbered, with statuses); empty for a recipe.
    parts: Vec<u8>,
    recipe: Option<String>,
}

impl Outbox {
    /// Records a write's deliveries durably, before the caller acknowledges the write.
    pub fn record(&self, store: &Store, recipe: &Recipe) -> ApiResult<()> {
        store.write_after_ref_move(|tx| insert_recipe(tx, recipe))?;
        self.recorded();
        Ok(())
    }

    /// Tells the deliverer that a write was recorded ([`insert_recipe`], committed): it hears
    /// of the first write it has to spread (to set its timer) and of a full batch, at most
    /// one wake-up per batch of writes.
    pub fn recorded(&self) {
        let wake = {
            let mut u = self.unexpanded.lock();
            let first = u.1.is_none();
            u.0 += 1;
            u.1.get_or_insert_with(Instant::now);
            first || u.0 == super::EXPAND_BATCH
        };
        if wake {
            self.wake.notify_one();
        }
    }

    /// Reads and renders the recorded writes when some wait (outside the database's write
    /// lock: rendering ten trigger records per write there held back the writes waiting for
    /// it), for [`Self::spread`]. On failure the writes stay recorded for a later call.
    pub(super) fn prepare_waiting(&self, store: &Store) -> Option<Prepared> {
        let taken = std::mem::take(&mut *self.unexpanded.lock());
        taken.1?;
        match self.prepare(store) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the recorded events");
                self.unspread(taken);
                None
            }
        }
    }

    /// Counts writes taken for spreading as waiting again (their transaction failed).
    pub(super) fn unspread(&self, taken: (usize, Option<Instant>)) {
        let mut u = self.unexpanded.lock();
        u.0 += taken.0;
        u.1 = u.1.min(taken.1).or(taken.1);
    }

    /// Every recorded write, in order, rendered into its rows.
    pub(super) fn prepare(&self, store: &Store) -> ApiResult<Prepared> {
        let written: Vec<Written> = store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT first_seq, created, parts, recipe FROM event_writes ORDER BY first_seq",
            )?;
            Ok(stmt
                .query_map([], |row| {
                    Ok(Written {
                        first_seq: row.get(0)?,
                        created: row.get(1)?,
                        parts: row.get(2)?,
                        recipe: row.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?)
        })?;
        let writes = written
            .into_iter()
            .map(|w| match &w.recipe {
                Some(json) => match serde_json::from_str::<Recipe>(json) {
                    Ok(recipe) => (w, Some(recipe.render(self.webhook.as_deref()))),
                    Err(e) => {
                        tracing::error!(error = %e, "a recorded write's events are unreadable");
                        (w, Some(Vec::new()))
                    }
                },
                None => (w, None),
            })
            .collect();
        Ok(Prepared { writes })
    }

    /// Spreads prepared writes `SPREAD_CHUNK` at a time, each group in a transaction of its
    /// own: the database's write lock is held for a few writes' rows at a time, never for a
    /// whole backlog, while API writes wait for it.
    /// Past the outbox's cap each row a write adds marks an old one dropped, and the history
    /// grows by as many: it is pruned in the same transaction, which writes the pages the two
    /// share once (a transaction of its own wrote them again).
    pub(super) fn spread_all(&self, store: &Store, p: &Prepared) -> ApiResult<()> {
        for chunk in p.writes.chunks(super::SPREAD_CHUNK) {
            let pruned = store.write_after_ref_move(|tx| {
                self.spread(tx, chunk)?;
                if self.wants_prune() {
                    self.prune_in(tx)
                } else {
                    Ok(0)
                }
            })?;
            self.pruned(pruned);
        }
        Ok(())
    }

    /// Inserts prepared writes' rows into `event_outbox` and queues the pending ones, in the
    /// caller's transaction (committed or rolled back as one: on a rollback the writes stay
    /// recorded and are spread again, and rows queued meanwhile are delivered twice, which
    /// at-least-once allows). One spreader at a time (`Outbox::spreading`).
    fn spread(
        &self,
        tx: &rusqlite::Transaction<'_>,
        writes: &[(Written, Option<Vec<NewRow>>)],
    ) -> ApiResult<()> {
        let Some(last) = writes.last().map(|(w, _)| w.first_seq) else {
            return Ok(());
        };
        let mut insert = tx.prepare_cached(
            "INSERT INTO event_outbox (seq, created, account, region, repository_id,
                 repository_name, format, target, destination, event_name, payload, status,
                 last_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let mut q = self.queues.lock();
        let mut wake = false;
        let mut dropped = 0;
        for (w, rows) in writes {
            match rows {
                Some(rows) => {
                    let (head, drops) = self.admit(tx, &mut insert, &mut q, w.created, rows)?;
                    wake |= head;
                    dropped += drops;
                }
                None => wake |= self.spread_parts(&mut insert, &mut q, w)?,
            }
        }
        drop(q);
        // Writes recorded since the read keep their rows for the next call.
        tx.execute(
            "DELETE FROM event_writes WHERE first_seq <= ?1",
            params![last],
        )?;
        if dropped > 0 {
            tracing::warn!(
                dropped,
                max_pending = self.max_pending,
                "event outbox full: the oldest undelivered events were dropped"
            );
        }
        // Only a row that starts a stream can be taken at once: a stream that already had
        // rows is being delivered or waits to retry, and the deliverer comes back to it then.
        if wake {
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Numbers one write's rows, decides their statuses and inserts and queues them; true
    /// when a row starts a stream. Past the cap, the oldest pending rows make room (never
    /// those being delivered); when there are not enough of them, the oldest of these new
    /// rows are dropped too. Returns how many rows were dropped.
    fn admit(
        &self,
        tx: &rusqlite::Transaction<'_>,
        insert: &mut rusqlite::CachedStatement<'_>,
        q: &mut Queues,
        created: f64,
        rows: &[NewRow],
    ) -> ApiResult<(bool, usize)> {
        let queued = rows
            .iter()
            .filter(|r| self.is_deliverable(r.target))
            .count();
        let overflow = (q.order.len() + queued).saturating_sub(self.max_pending);
        let made_room = if overflow > 0 {
            take_oldest(q, overflow)
        } else {
            Vec::new()
        };
        // Only a write past the cap pays for the message.
        let reason = if overflow > 0 {
            self.drop_reason()
        } else {
            String::new()
        };
        if !made_room.is_empty() {
            let mut stmt = tx.prepare_cached(
                "UPDATE event_outbox SET status = 'dropped', last_error = ?2
                 WHERE seq = ?1 AND status = 'pending'",
            )?;
            for seq in &made_room {
                stmt.execute(params![seq, reason])?;
            }
        }
        let mut drop_new = overflow - made_room.len();
        let mut finished = made_room.len();
        let mut head = false;
        for r in rows {
            let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
            let (status, error) = if !self.is_deliverable(r.target) {
                self.warn_undeliverable(r.target);
                ("undeliverable", Some(super::undeliverable_reason(r.target)))
            } else if drop_new > 0 {
                drop_new -= 1;
                ("dropped", Some(reason.as_str()))
            } else {
                (STATUS_PENDING, None)
            };
            insert.execute(params![
                seq,
                created,
                r.account,
                r.region,
                r.repository_id,
                r.repository_name,
                r.format,
                r.target.as_str(),
                r.destination,
                r.event_name,
                r.payload,
                status,
                error
            ])?;
            if status == STATUS_PENDING {
                head |= push(q, seq, r, 0);
            } else {
                finished += 1;
            }
        }
        self.finished.fetch_add(finished, Ordering::Relaxed);
        Ok((head, overflow))
    }

    fn drop_reason(&self) -> String {
        format!(
            "dropped undelivered: more than {} events were waiting for delivery",
            self.max_pending
        )
    }

    /// A write recorded by an earlier version: its rows numbered and with their statuses.
    fn spread_parts(
        &self,
        insert: &mut rusqlite::CachedStatement<'_>,
        q: &mut Queues,
        w: &Written,
    ) -> ApiResult<bool> {
        let mut bytes = w.parts.as_slice();
        let mut seq = w.first_seq;
        let mut head = false;
        while !bytes.is_empty() {
            let Some(f) = decode_part(&mut bytes) else {
                tracing::error!(w.first_seq, "a recorded write's events are unreadable");
                break;
            };
            insert.execute(params![
                seq, w.created, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]
            ])?;
            if f[9] == Some(STATUS_PENDING) {
                let row = NewRow {
                    account: f[0].unwrap_or_default().to_owned(),
                    region: f[1].unwrap_or_default().to_owned(),
                    repository_id: f[2].map(str::to_owned),
                    repository_name: f[3].map(str::to_owned),
                    format: "".into(),
                    target: super::Target::parse(f[5].unwrap_or_default()),
                    destination: f[6].unwrap_or_default().to_owned(),
                    event_name: String::new(),
                    payload: f[8].unwrap_or_default().to_owned(),
                };
                head |= push(q, seq, &row, 0);
            } else {
                self.finished.fetch_add(1, Ordering::Relaxed);
            }
            seq += 1;
        }
        self.next_seq.fetch_max(seq, Ordering::Relaxed);
        Ok(head)
    }
}

/// Stores a write's recipe in the caller's transaction; [`Outbox::recorded`] follows its commit.
pub fn insert_recipe(tx: &rusqlite::Transaction<'_>, recipe: &Recipe) -> ApiResult<()> {
    let json = serde_json::to_string(recipe).internal("recording events")?;
    // `first_seq` is the table's rowid: a new row takes the next one, so the rows keep the
    // order of the writes (they are numbered when spread).
    tx.prepare_cached(
        "INSERT INTO event_writes (first_seq, created, parts, recipe) VALUES (NULL, ?1, x'', ?2)",
    )?
    .execute(params![crate::api::now_epoch(), json])?;
    Ok(())
}

/// Appends one row to a write's `parts` in the previous format: its strings length-prefixed
/// (u32, little endian; `u32::MAX` for none), in the order [`decode_part`] reads them.
#[cfg(test)]
pub(super) fn encode_part(out: &mut Vec<u8>, r: &NewRow, status: &str, error: Option<&str>) {
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
    put(Some(&r.format));
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
