//! The event spine. Everything that happens to a repository flows one way through here:
//!
//! ```text
//! git push (transport) ─┐
//! API writes ───────────┴─▶ record_ref_moves ─▶ repository bookkeeping (lastModifiedDate, default branch)
//!                                              ─▶ pull requests follow their branches (api::pull_requests)
//!                                              ─▶ outbox: trigger records, EventBridge events, webhook
//!                                              ─▶ broadcast of one RefChange per ref (observers, tests)
//! PR / approval / comment / template changes ─▶ publish(Event) ─▶ outbox ─▶ broadcast
//!
//! outbox (SQLite rows) ─▶ deliver (background task) ─▶ SNS / Lambda / EventBridge / webhook
//! ```
//!
//! Subscribers run synchronously, in order, before the write that caused the event is
//! acknowledged (the push's HTTP answer, the API's 200), so what they record survives a
//! `kill -9` that follows the acknowledgement. `git/` reports what moved through this module
//! and never calls behaviour code itself. Destination formats live one per module
//! (`triggers` for trigger records, `eventbridge` for the bus and the webhook), built from
//! the same values.

pub mod deliver;
pub mod eventbridge;
pub mod outbox;
pub mod payload;
pub mod record;
pub mod triggers;

pub use payload::Event;

use crate::state::AppState;
use std::sync::Arc;
use tokio::sync::broadcast;

/// One ref that moved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefUpdate {
    /// Full ref name, e.g. `refs/heads/main`.
    pub ref_name: String,
    /// `None` when the ref was created.
    pub old: Option<String>,
    /// `None` when the ref was deleted.
    pub new: Option<String>,
}

/// Where a batch of ref moves came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `git push` (receive-pack).
    Push,
    /// An API write (PutFile, CreateBranch, MergeBranchesBy…, MergePullRequestBy…, …).
    Api,
}

/// What a merge through the API did, for the events that describe it (EventBridge adds these
/// fields to the reference event of a merge; codecommit-facts.md §6).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MergeInfo {
    pub base_commit_id: Option<String>,
    pub source_commit_id: String,
    pub destination_commit_id: String,
    /// `FAST_FORWARD_MERGE`, `SQUASH_MERGE` or `THREE_WAY_MERGE`.
    pub merge_option: String,
    pub conflict_detail_level: Option<String>,
    pub conflict_resolution_strategy: Option<String>,
}

/// The refs one push or one API call moved, and who moved them.
#[derive(Debug, Clone, PartialEq)]
pub struct RefMoves {
    pub repository_id: String,
    /// The caller's ARN (the pusher for a push).
    pub actor_arn: String,
    pub origin: Origin,
    pub updates: Vec<RefUpdate>,
    pub merge: Option<MergeInfo>,
}

impl RefMoves {
    /// A single ref moved by an API call.
    pub fn api(
        repository_id: &str,
        actor_arn: &str,
        ref_name: String,
        old: Option<String>,
        new: Option<String>,
    ) -> RefMoves {
        RefMoves {
            repository_id: repository_id.to_owned(),
            actor_arn: actor_arn.to_owned(),
            origin: Origin::Api,
            updates: vec![RefUpdate { ref_name, old, new }],
            merge: None,
        }
    }

    pub fn with_merge(mut self, merge: MergeInfo) -> RefMoves {
        self.merge = Some(merge);
        self
    }
}

/// A ref that moved, as observers see it: one per ref, with the repository's scope and name
/// at the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    pub account: String,
    pub region: String,
    pub repository_id: String,
    pub repository_name: String,
    /// Full ref name, e.g. `refs/heads/main`.
    pub ref_name: String,
    /// `None` when the ref was created.
    pub old: Option<String>,
    /// `None` when the ref was deleted.
    pub new: Option<String>,
    /// Who moved it (the pusher for a push, the caller for an API write).
    pub actor_arn: String,
}

impl RefChange {
    pub fn kind(&self) -> &'static str {
        match (&self.old, &self.new) {
            (None, _) => "created",
            (_, None) => "deleted",
            _ => "updated",
        }
    }
}

/// Broadcast channels for observers in the process (the integration tests listen here).
pub struct Events {
    refs: broadcast::Sender<RefChange>,
    events: broadcast::Sender<Arc<Event>>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            refs: broadcast::channel(4096).0,
            events: broadcast::channel(4096).0,
        }
    }
}

impl Events {
    /// One `RefChange` per ref that moved.
    pub fn subscribe(&self) -> broadcast::Receiver<RefChange> {
        self.refs.subscribe()
    }

    /// Every [`Event`] published (pull requests, comments, templates, …).
    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }
}

/// Records refs that really moved, by a push or an API write: every subscriber reacts before
/// this returns. Called after the refs moved and before the write is acknowledged.
pub fn record_ref_moves(state: &AppState, moves: RefMoves) {
    if moves.updates.is_empty() {
        return;
    }
    // The outbox's record of the move goes into the repository bookkeeping's transaction:
    // one commit on the write's path instead of two.
    let recipe = state
        .store
        .get_by_id(&moves.repository_id)
        .map(|rec| record::ref_moves(state, &rec, &moves));
    let mut also = |tx: &rusqlite::Transaction<'_>| match &recipe {
        Some(r) => outbox::insert_recipe(tx, r),
        None => Ok(()),
    };
    let Some((rec, recorded)) = crate::api::repositories::after_ref_moves(state, &moves, &mut also)
    else {
        return; // the repository was deleted meanwhile
    };
    if let Some(recipe) = &recipe {
        if recorded {
            state.outbox.recorded();
        } else {
            record::record(state, recipe);
        }
    }
    crate::api::pull_requests::after_ref_moves(state, &rec, &moves);
    for u in &moves.updates {
        let change = RefChange {
            account: rec.account.clone(),
            region: rec.region.clone(),
            repository_id: rec.id.clone(),
            repository_name: rec.name.clone(),
            ref_name: u.ref_name.clone(),
            old: u.old.clone(),
            new: u.new.clone(),
            actor_arn: moves.actor_arn.clone(),
        };
        tracing::info!(
            target: "codecommit_local::events",
            account = %change.account,
            region = %change.region,
            repository = %change.repository_name,
            r#ref = %change.ref_name,
            kind = change.kind(),
            old = change.old.as_deref().unwrap_or("-"),
            new = change.new.as_deref().unwrap_or("-"),
            actor = %moves.actor_arn,
            "ref changed"
        );
        // No observers is normal.
        let _ = state.events.refs.send(change);
    }
}

/// Publishes an event that is not a ref move (pull requests, comments, templates, …).
/// Called before the write that caused it is acknowledged.
pub fn publish(state: &AppState, event: Event) {
    tracing::info!(
        target: "codecommit_local::events",
        account = %event.account(),
        region = %event.region(),
        detail_type = event.detail_type(),
        event = event.name(),
        "event"
    );
    record::event(state, &event);
    let _ = state.events.events.send(Arc::new(event));
}

/// Parses the "old new ref" lines git hands to post-receive; all-zero ids mean absent.
pub fn parse_post_receive(text: &str) -> Vec<RefUpdate> {
    let absent = |id: &str| {
        if id.bytes().all(|b| b == b'0') {
            None
        } else {
            Some(id.to_owned())
        }
    };
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split(' ');
            let (old, new, name) = (parts.next()?, parts.next()?, parts.next()?);
            Some(RefUpdate {
                ref_name: name.to_owned(),
                old: absent(old),
                new: absent(new),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hook_input() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let text = format!("{z} {a} refs/heads/main\n{a} {z} refs/tags/v1\n");
        let parsed = parse_post_receive(&text);
        assert_eq!(
            parsed[0],
            RefUpdate {
                ref_name: "refs/heads/main".into(),
                old: None,
                new: Some(a.clone())
            }
        );
        assert_eq!(
            parsed[1],
            RefUpdate {
                ref_name: "refs/tags/v1".into(),
                old: Some(a),
                new: None
            }
        );
    }
}
