//! The outbox subscriber: turns what happened (ref moves, typed events) into the deliveries it
//! causes — one trigger record per matching trigger, one EventBridge event per moved ref or
//! event, the same event for the webhook — and writes them to the outbox before the write
//! that caused them is acknowledged (as a [`Recipe`] the deliverer renders).

use super::eventbridge::{self, BusEvent, Repo};
use super::outbox::{NewRow, Target};
use super::triggers::{self, Destination, RecordHeader, Trigger};
use super::{Event, MergeInfo, RefMoves, RefUpdate};
use crate::identity::SessionTags;
use crate::state::AppState;
use crate::store::RepoRecord;
use serde::{Deserialize, Serialize};

/// EventBridge events go to the account's default bus.
pub const DEFAULT_BUS: &str = "default";

/// What one write recorded for delivery: one `event_writes` row, which the deliverer renders
/// into the outbox's rows (`events::outbox`). A ref move is recorded as its facts and rendered
/// later: ten triggers make ten records of about 600 bytes each, and building and storing
/// them on the write's path cost a PutFile a fifth of its time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Recipe {
    RefMoves(Box<RefMovesRecipe>),
    /// Deliveries already rendered (events that are not ref moves; they are rarer).
    Rows(Vec<NewRow>),
}

/// The facts of a push or API ref move that its deliveries are rendered from: the triggers
/// that matched as they were configured at the time, the time and the ids, so rendering
/// later sends what rendering at once would have.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefMovesRecipe {
    account: String,
    region: String,
    repository_id: String,
    repository_name: String,
    time: f64,
    actor_arn: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    configuration_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    event_id: String,
    /// The triggers that match at least one of the updates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    triggers: Vec<Trigger>,
    updates: Vec<RefUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    merge: Option<MergeInfo>,
    /// The caller's session tags, for the EventBridge events.
    #[serde(default, skip_serializing_if = "SessionTags::is_empty")]
    caller_tags: SessionTags,
}

impl Recipe {
    /// The deliveries, in the order they are numbered: trigger records by trigger, then one
    /// EventBridge event (and webhook post) per moved ref.
    pub fn render(self, webhook: Option<&str>) -> Vec<NewRow> {
        let r = match self {
            Recipe::Rows(rows) => return rows,
            Recipe::RefMoves(r) => r,
        };
        let repository_arn = eventbridge::repository_arn(&r.region, &r.account, &r.repository_name);
        let mut rows = Vec::new();
        for trigger in &r.triggers {
            let matching: Vec<&RefUpdate> =
                r.updates.iter().filter(|u| trigger.matches(u)).collect();
            if matching.is_empty() {
                continue;
            }
            let header = RecordHeader {
                region: &r.region,
                repository_arn: &repository_arn,
                configuration_id: &r.configuration_id,
                trigger,
                event_name: "ReferenceChanges",
                event_id: &r.event_id,
                time: r.time,
                user_arn: &r.actor_arn,
            };
            for payload in triggers::records(&header, &matching) {
                rows.push(NewRow {
                    account: r.account.clone(),
                    region: r.region.clone(),
                    repository_id: Some(r.repository_id.clone()),
                    repository_name: Some(r.repository_name.clone()),
                    format: "trigger".into(),
                    target: match trigger.destination() {
                        Destination::Sns => Target::Sns,
                        Destination::Lambda => Target::Lambda,
                    },
                    destination: trigger.destination_arn.clone(),
                    event_name: "ReferenceChanges".into(),
                    payload,
                });
            }
        }
        let repo = Repo {
            account: &r.account,
            region: &r.region,
            id: &r.repository_id,
            name: &r.repository_name,
        };
        for u in &r.updates {
            let mut event =
                eventbridge::reference(&repo, u, &r.actor_arn, r.merge.as_ref(), r.time);
            r.caller_tags.put_into(&mut event.detail);
            bus_rows(
                webhook,
                &event,
                Some(&r.repository_id),
                Some(&r.repository_name),
                &mut rows,
            );
        }
        rows
    }
}

/// What one push or API ref move records for delivery (rendered later, see [`Recipe`]).
pub fn ref_moves(state: &AppState, rec: &RepoRecord, moves: &RefMoves) -> Recipe {
    let mut recipe = RefMovesRecipe {
        account: rec.account.clone(),
        region: rec.region.clone(),
        repository_id: rec.id.clone(),
        repository_name: rec.name.clone(),
        time: crate::api::now_epoch(),
        actor_arn: moves.actor_arn.clone(),
        configuration_id: String::new(),
        event_id: String::new(),
        triggers: Vec::new(),
        updates: moves.updates.clone(),
        merge: moves.merge.clone(),
        caller_tags: state
            .identities
            .tags_of(&moves.actor_arn)
            .unwrap_or_default(),
    };
    if let Some(config) = state.triggers.get(&rec.id) {
        recipe.triggers = config
            .triggers
            .iter()
            .filter(|t| moves.updates.iter().any(|u| t.matches(u)))
            .cloned()
            .collect();
        if !recipe.triggers.is_empty() {
            recipe.configuration_id = config.configuration_id.clone();
            recipe.event_id = uuid::Uuid::new_v4().to_string();
        }
    }
    Recipe::RefMoves(Box::new(recipe))
}

/// Records the deliveries of an event that is not a ref move.
pub fn event(state: &AppState, event: &Event) {
    let time = crate::api::now_epoch();
    let mut bus = eventbridge::from_event(event, time);
    if let Some(tags) = state.identities.tags_of(event.caller_arn()) {
        tags.put_into(&mut bus.detail);
    }
    let (id, name) = match event {
        Event::UnreferencedMergeCommit(e) => (
            Some(e.repository_id.clone()),
            Some(e.repository_name.clone()),
        ),
        Event::Comment(e) => (
            Some(e.repository_id.clone()),
            Some(e.repository_name.clone()),
        ),
        Event::Reaction(e) => (
            Some(e.repository_id.clone()),
            Some(e.repository_name.clone()),
        ),
        Event::PullRequest(e) => {
            let name = eventbridge::pull_request_repository(e).map(str::to_owned);
            let id = name
                .as_deref()
                .and_then(|n| state.store.get(&e.account, &e.region, n))
                .map(|r| r.id.clone());
            (id, name)
        }
        // Account-wide: one stream per account and region.
        Event::ApprovalRuleTemplate(_) => (None, None),
    };
    let mut rows = Vec::new();
    let webhook = state
        .config
        .delivery
        .webhook
        .as_ref()
        .map(|h| h.url.as_str());
    bus_rows(webhook, &bus, id.as_deref(), name.as_deref(), &mut rows);
    record(state, &Recipe::Rows(rows));
}

fn bus_rows(
    webhook: Option<&str>,
    event: &BusEvent,
    repository_id: Option<&str>,
    repository_name: Option<&str>,
    rows: &mut Vec<NewRow>,
) {
    let payload = event.to_json();
    let row = |target: Target, destination: &str| NewRow {
        account: event.account.clone(),
        region: event.region.clone(),
        repository_id: repository_id.map(str::to_owned),
        repository_name: repository_name.map(str::to_owned),
        format: "eventbridge".into(),
        target,
        destination: destination.to_owned(),
        event_name: event.name().to_owned(),
        payload: payload.clone(),
    };
    rows.push(row(Target::EventBridge, DEFAULT_BUS));
    if let Some(url) = webhook {
        rows.push(row(Target::Webhook, url));
    }
}

/// Records a write's deliveries in a transaction of their own.
pub fn record(state: &AppState, recipe: &Recipe) {
    if let Err(e) = state.outbox.record(&state.store, recipe) {
        tracing::error!(error = %e, "could not record events for delivery");
    }
}
