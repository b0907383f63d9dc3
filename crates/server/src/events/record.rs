//! The outbox subscriber: turns what happened (ref moves, typed events) into the deliveries it
//! causes — one trigger record per matching trigger, one EventBridge event per moved ref or
//! event, the same event for the webhook — and writes them to the outbox before the write
//! that caused them is acknowledged.

use super::eventbridge::{self, BusEvent, Repo};
use super::outbox::{NewRow, Target};
use super::triggers::{self, Destination, RecordHeader};
use super::{Event, RefMoves, RefUpdate};
use crate::state::AppState;
use crate::store::RepoRecord;

/// EventBridge events go to the account's default bus.
pub const DEFAULT_BUS: &str = "default";

/// Records the deliveries of one push or API ref move.
pub fn ref_moves(state: &AppState, rec: &RepoRecord, moves: &RefMoves) {
    let time = crate::api::now_epoch();
    let repo = Repo {
        account: &rec.account,
        region: &rec.region,
        id: &rec.id,
        name: &rec.name,
    };
    let repository_arn = eventbridge::repository_arn(&rec.region, &rec.account, &rec.name);
    let mut rows = Vec::new();
    if let Some(config) = state.triggers.get(&rec.id) {
        let event_id = uuid::Uuid::new_v4().to_string();
        for trigger in &config.triggers {
            let matching: Vec<&RefUpdate> = moves
                .updates
                .iter()
                .filter(|u| trigger.matches(u))
                .collect();
            if matching.is_empty() {
                continue;
            }
            let header = RecordHeader {
                region: &rec.region,
                repository_arn: &repository_arn,
                configuration_id: &config.configuration_id,
                trigger,
                event_name: "ReferenceChanges",
                event_id: &event_id,
                time,
                user_arn: &moves.actor_arn,
            };
            for payload in triggers::records(&header, &matching) {
                rows.push(NewRow {
                    account: rec.account.clone(),
                    region: rec.region.clone(),
                    repository_id: Some(rec.id.clone()),
                    repository_name: Some(rec.name.clone()),
                    format: "trigger",
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
    }
    for u in &moves.updates {
        let event = eventbridge::reference(&repo, u, &moves.actor_arn, moves.merge.as_ref(), time);
        bus_rows(state, &event, Some(&rec.id), Some(&rec.name), &mut rows);
    }
    enqueue(state, rows);
}

/// Records the deliveries of an event that is not a ref move.
pub fn event(state: &AppState, event: &Event) {
    let time = crate::api::now_epoch();
    let bus = eventbridge::from_event(event, time);
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
    bus_rows(state, &bus, id.as_deref(), name.as_deref(), &mut rows);
    enqueue(state, rows);
}

fn bus_rows(
    state: &AppState,
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
        format: "eventbridge",
        target,
        destination: destination.to_owned(),
        event_name: event.name().to_owned(),
        payload: payload.clone(),
    };
    rows.push(row(Target::EventBridge, DEFAULT_BUS));
    if let Some(hook) = &state.config.delivery.webhook {
        rows.push(row(Target::Webhook, &hook.url));
    }
}

fn enqueue(state: &AppState, rows: Vec<NewRow>) {
    if let Err(e) = state.outbox.enqueue(&state.store, rows) {
        tracing::error!(error = %e, "could not record events for delivery");
    }
}
