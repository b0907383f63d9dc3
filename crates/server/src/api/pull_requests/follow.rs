//! Open pull requests follow their branches. This is a subscriber of
//! `events::record_ref_moves` (after the repository bookkeeping), so pushes and API writes
//! alike reach it, before the write is acknowledged:
//!
//! * the source branch moved: a new revision (`revisionId`, `sourceCommit`, `mergeBase`) and a
//!   `PULL_REQUEST_SOURCE_REFERENCE_UPDATED` event;
//! * the destination moved: `destinationCommit` and `mergeBase` follow (no event: AWS has none);
//! * the destination moved to a commit that contains the source tip, and the old destination
//!   was an ancestor of the source tip (a fast-forward merge was possible and the destination
//!   now contains the source): merged, by whoever moved the destination, and closed. The User
//!   Guide says a local merge pushed to the destination closes the pull request "if the pull
//!   request is merged using the fast-forward merge strategy"; a local three-way merge of
//!   diverged branches therefore leaves it open (how-to-merge-pull-request);
//! * the source or destination branch was deleted: closed (same page).
//!
//! Values are read from the refs as they are now rather than from the move being reported, so
//! two pushes whose bookkeeping runs out of order still converge on the right state. Only open
//! pull requests are touched, found by the partial indexes on (repository, source ref) and
//! (repository, destination ref).

use super::records::{self, Merged, PullRequestRow, Status};
use super::*;
use crate::api::{merges, now_epoch};
use crate::error::Internal as _;
use crate::events::RefMoves;
use crate::git::objects;
use crate::store::RepoRecord;
use gix::ObjectId;
use std::collections::HashMap;

/// The subscriber: called by `events::record_ref_moves` for every batch of moved refs.
pub fn after_ref_moves(state: &AppState, rec: &RepoRecord, moves: &RefMoves) {
    let refs: Vec<&str> = moves
        .updates
        .iter()
        .map(|u| u.ref_name.as_str())
        .filter(|r| r.starts_with("refs/heads/"))
        .collect();
    if refs.is_empty() {
        return;
    }
    if let Err(e) = follow(state, rec, &moves.actor_arn, Some(&refs)) {
        tracing::error!(repository = %rec.name, error = %e, "could not update pull requests after a ref change");
    }
}

/// Startup repair: brings every open pull request up to date with its branches (a crash
/// between a ref move and its bookkeeping leaves them behind). Runs once per start; the moves
/// are attributed to the repository's account root.
pub fn reconcile(state: &AppState) {
    let repos = match state.store.read(records::repositories_with_open) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "could not list repositories with open pull requests");
            return;
        }
    };
    for id in repos {
        let Some(rec) = state.store.get_by_id(&id) else {
            continue;
        };
        let actor = crate::identity::Principal::root(&rec.account).arn;
        if let Err(e) = follow(state, &rec, &actor, None) {
            tracing::error!(repository = %rec.name, error = %e, "could not reconcile pull requests");
        }
    }
}

/// Merge bases and ancestry, remembered for one batch (many pull requests share branches).
struct Graph<'r> {
    repo: &'r gix::Repository,
    bases: HashMap<(ObjectId, ObjectId), Option<ObjectId>>,
    tips: HashMap<String, Option<ObjectId>>,
}

impl Graph<'_> {
    fn base(&mut self, a: ObjectId, b: ObjectId) -> ApiResult<Option<ObjectId>> {
        let key = if a <= b { (a, b) } else { (b, a) };
        if let Some(v) = self.bases.get(&key) {
            return Ok(*v);
        }
        let v = merges::merge_base(self.repo, a, b)?;
        self.bases.insert(key, v);
        Ok(v)
    }

    /// Whether `a` is `b` or one of its ancestors.
    fn contains(&mut self, b: ObjectId, a: ObjectId) -> ApiResult<bool> {
        Ok(self.base(a, b)? == Some(a))
    }

    fn tip(&mut self, name: &str) -> ApiResult<Option<ObjectId>> {
        if let Some(t) = self.tips.get(name) {
            return Ok(*t);
        }
        let t = objects::ref_target(self.repo, name)?;
        self.tips.insert(name.to_owned(), t);
        Ok(t)
    }
}

fn oid(s: &str) -> ApiResult<ObjectId> {
    ObjectId::from_hex(s.as_bytes()).internal("reading a stored commit id")
}

/// Brings the open pull requests touching `refs` (all open ones of the repository for
/// `None`) up to date in one transaction, then publishes what changed. Like the repository's
/// own ref-move bookkeeping it is in the WAL before the move is acknowledged, without an extra
/// fsync: it survives `kill -9` exactly as the ref does.
pub(crate) fn follow(
    state: &AppState,
    rec: &RepoRecord,
    actor: &str,
    refs: Option<&[&str]>,
) -> ApiResult<()> {
    if !state.store.may_have_pull_requests(&rec.id) {
        return Ok(());
    }
    // A cheap read first: most ref moves touch no pull request and pay no write. The graph
    // work (ref tips, merge bases) happens here, outside the write transaction, so the writer
    // lock is held only for the rows; inside it the same questions hit the cache.
    let snapshot = state
        .store
        .read(|conn| records::open_touching(conn, &rec.id, refs))?;
    if snapshot.is_empty() {
        return Ok(());
    }
    let repo = state.git.repo(&rec.id)?;
    let mut graph = Graph {
        repo: &repo,
        bases: HashMap::new(),
        tips: HashMap::new(),
    };
    for pr in &snapshot {
        for t in &pr.targets {
            let (Some(src), Some(dst)) =
                (graph.tip(&t.source_ref)?, graph.tip(&t.destination_ref)?)
            else {
                continue;
            };
            graph.base(src, dst)?;
            graph.base(src, oid(&t.destination_commit)?)?;
        }
    }
    let now = now_epoch();
    let published = state.store.write_after_ref_move(|tx| {
        let mut out = Vec::new();
        // Again under the writer lock: a concurrent merge or close may have changed them.
        for mut pr in records::open_touching(tx, &rec.id, refs)? {
            let kinds = update(tx, &mut graph, &mut pr, &rec.name, actor, now)?;
            if kinds.is_empty() {
                continue;
            }
            let v = view(state, tx, &pr)?;
            for (kind, merge_option) in kinds {
                out.push(Published {
                    kind,
                    caller_arn: actor.to_owned(),
                    pull_request: v.clone(),
                    merge_option,
                });
            }
        }
        Ok(out)
    })?;
    publish(state, &rec.account, &rec.region, published);
    Ok(())
}

type Changes = Vec<(PullRequestEventKind, Option<String>)>;

/// Applies the branches' current state to one open pull request and stores it.
fn update(
    tx: &Connection,
    graph: &mut Graph<'_>,
    pr: &mut PullRequestRow,
    repository_name: &str,
    actor: &str,
    now: f64,
) -> ApiResult<Changes> {
    let mut changes = Changes::new();
    let mut changed = false;
    let mut close = false;
    for i in 0..pr.targets.len() {
        let (src_ref, dst_ref) = (
            pr.targets[i].source_ref.clone(),
            pr.targets[i].destination_ref.clone(),
        );
        let (Some(src), Some(dst)) = (graph.tip(&src_ref)?, graph.tip(&dst_ref)?) else {
            // A deleted source or destination branch closes the pull request.
            close = true;
            continue;
        };
        let old_src = oid(&pr.targets[i].source_commit)?;
        let old_dst = oid(&pr.targets[i].destination_commit)?;
        // Merged by the move: the old destination was behind the source (a fast-forward was
        // possible, and there was something to merge) and the destination now has it.
        let merged = dst != old_dst
            && old_dst != src
            && graph.contains(src, old_dst)?
            && graph.contains(dst, src)?;
        // A merged target keeps the destination it was merged into, as after an API merge.
        let compared = if merged { old_dst } else { dst };
        if src != old_src {
            let base = graph.base(src, compared)?;
            let t = &mut pr.targets[i];
            t.source_commit = src.to_string();
            t.destination_commit = compared.to_string();
            t.merge_base = base.map(|b| b.to_string());
            pr.revision_id = new_revision_id();
            records::insert_revision(tx, pr.key, &pr.revision_id, &pr.targets[i], now)?;
            records::log_event(
                tx,
                pr.key,
                &PullRequestEventType::PullRequestSourceReferenceUpdated,
                actor,
                now,
                &serde_json::json!({"pullRequestSourceReferenceUpdatedEventMetadata": {
                    "repositoryName": repository_name,
                    "beforeCommitId": old_src.to_string(),
                    "afterCommitId": src.to_string(),
                    "mergeBase": base.map(|b| b.to_string()),
                }}),
            )?;
            changes.push((PullRequestEventKind::SourceBranchUpdated, None));
            changed = true;
        }
        if dst != old_dst {
            let t = &mut pr.targets[i];
            if merged {
                t.merged = Some(Merged {
                    by: actor.to_owned(),
                    commit: None,
                    option: MergeOptionTypeEnum::FastForwardMerge.as_str().to_owned(),
                });
                records::log_event(
                    tx,
                    pr.key,
                    &PullRequestEventType::PullRequestMergeStateChanged,
                    actor,
                    now,
                    &merged_metadata(t),
                )?;
                changes.push((
                    PullRequestEventKind::MergeStatusUpdated,
                    Some(MergeOptionTypeEnum::FastForwardMerge.as_str().to_owned()),
                ));
                close = true;
            } else {
                t.destination_commit = dst.to_string();
                t.merge_base = graph.base(src, dst)?.map(|b| b.to_string());
            }
            changed = true;
        }
    }
    if close {
        pr.status = Status::Closed;
        records::log_event(
            tx,
            pr.key,
            &PullRequestEventType::PullRequestStatusChanged,
            actor,
            now,
            &closed_metadata(),
        )?;
        changes.push((PullRequestEventKind::StatusChanged, None));
        changed = true;
    }
    if changed {
        if !changes.is_empty() {
            pr.last_activity_date = now;
        }
        records::save(tx, pr)?;
    }
    Ok(changes)
}
