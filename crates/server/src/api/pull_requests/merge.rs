//! MergePullRequestByFastForward, BySquash and ByThreeWay: the branch merges' inputs and
//! engine (`api::merges`) applied to the pull request's source and destination tips. A
//! successful merge moves the destination by compare-and-swap, closes the pull request as
//! merged (durably, before the answer) and then reports the ref move like any other.

use super::records::{self, Merged, PullRequestRow, Status};
use super::*;
use crate::api::commits::authorship;
use crate::api::merges::{self, Endpoints};
use crate::api::{Opened, now_epoch, repositories};
use crate::events::RefMoves;
use crate::git::objects::{self, parse_object_id};
use crate::git::write::{CasFailure, compare_and_swap};

/// THE check every pull-request merge makes after its inputs are validated and before it
/// writes anything: whether the pull request may be merged now. The approval-rule area
/// answers `PullRequestApprovalRulesNotSatisfiedException` here when the current revision's
/// rules are neither satisfied nor overridden.
pub(crate) fn check_merge_allowed(ctx: &Ctx<'_>, pr: &PullRequestRow) -> ApiResult<()> {
    crate::api::approval_rules::check_merge_allowed(ctx, pr)
}

/// Squash and three-way options, as the branch merges take them.
struct MergeOptions<'a> {
    level: &'a Option<ConflictDetailLevelTypeEnum>,
    strategy: &'a Option<ConflictResolutionStrategyTypeEnum>,
    resolution: Option<ConflictResolution>,
    author: &'a Option<String>,
    email: &'a Option<String>,
    message: &'a Option<String>,
    keep_empty_folders: Option<bool>,
}

enum How<'a> {
    FastForward,
    Squash(MergeOptions<'a>),
    ThreeWay(MergeOptions<'a>),
}

fn branch_name(full: &str) -> &str {
    full.strip_prefix("refs/heads/").unwrap_or(full)
}

fn merge(
    ctx: &Ctx<'_>,
    pull_request_id: &Option<String>,
    repository_name: &Option<String>,
    source_commit_id: &Option<String>,
    how: How<'_>,
) -> ApiResult<PullRequest> {
    let pr = lookup(ctx, pull_request_id)?;
    let number = pr.number;
    let rec = repositories::lookup(ctx, repository_name)?;
    if !pr.targets.iter().any(|t| t.repository_id == rec.id) {
        bail!(
            RepositoryNotAssociatedWithPullRequest,
            "The repository {} is not associated with the pull request {number}.",
            rec.name
        )
    }
    let closed = || {
        crate::err!(
            PullRequestAlreadyClosed,
            "The pull request {number} is already closed."
        )
    };
    if pr.status == Status::Closed {
        return Err(closed());
    }
    let expected_source = match validate::present(source_commit_id) {
        None => None,
        Some(id) => Some(parse_object_id(id).ok_or_else(|| {
            crate::err!(
                InvalidCommitId,
                "The specified commit ID is not valid: {}",
                validate::printable(id)
            )
        })?),
    };
    // Every input is checked before anything is locked or written.
    let prepared = match &how {
        How::FastForward => None,
        How::Squash(m) | How::ThreeWay(m) => Some((
            merges::level(m.level)?,
            merges::strategy(m.strategy)?,
            merges::resolution(m.resolution.clone())?,
            authorship(ctx, m.author, m.email, m.message)?,
            m.keep_empty_folders.unwrap_or(false),
        )),
    };
    let o = Opened {
        repo: ctx.state.git.repo(&rec.id)?,
        rec: rec.clone(),
        merge_limits: ctx.state.config.merge_limits,
    };
    let lock = ctx.state.git.write_lock(&rec.id);
    let _guard = lock.lock();
    // As it is now, under the repository's write lock (a push may have closed it meanwhile).
    let pr = ctx.state.store.read(|conn| find_in(ctx, conn, number))?;
    if pr.status == Status::Closed {
        return Err(closed());
    }
    let Some(target) = pr.targets.iter().find(|t| t.repository_id == rec.id) else {
        bail!(
            RepositoryNotAssociatedWithPullRequest,
            "The repository {} is not associated with the pull request {number}.",
            rec.name
        )
    };
    let tip = |full: &str| -> ApiResult<gix::ObjectId> {
        objects::ref_target(&o.repo, full)?.ok_or_else(|| {
            crate::err!(
                ReferenceDoesNotExist,
                "The reference {full} of the pull request does not exist."
            )
        })
    };
    let source = tip(&target.source_ref)?;
    if let Some(expected) = expected_source
        && expected != source
    {
        bail!(
            TipOfSourceReferenceIsDifferent,
            "The tip of the source branch {} is {source}, not the specified commit {expected}.",
            target.source_ref
        )
    }
    let destination = tip(&target.destination_ref)?;
    check_merge_allowed(ctx, &pr)?;
    let ep = Endpoints {
        source,
        destination,
        base: merges::merge_base(&o.repo, source, destination)?,
    };
    let (new_tip, merge_commit, option, detail) = match (&how, &prepared) {
        (How::FastForward, _) => {
            if !ep.fast_forwardable() {
                bail!(
                    ManualMergeRequired,
                    "The pull request cannot be merged by fast-forward: the destination {} is not an ancestor of the source {}.",
                    target.destination_ref,
                    target.source_ref
                )
            }
            (source, None, MergeOptionTypeEnum::FastForwardMerge, None)
        }
        (How::Squash(_) | How::ThreeWay(_), Some((level, strategy, res, who, keep))) => {
            let three_way = matches!(how, How::ThreeWay(_));
            let (commit, _tree) = merges::merge_commit(
                &o,
                &ep,
                three_way,
                *level,
                strategy,
                res,
                *keep,
                who,
                (
                    branch_name(&target.source_ref),
                    branch_name(&target.destination_ref),
                ),
            )?;
            let option = if three_way {
                MergeOptionTypeEnum::ThreeWayMerge
            } else {
                MergeOptionTypeEnum::SquashMerge
            };
            // Nothing to merge (the destination already has the source): no commit written.
            let written = (commit != destination).then_some(commit);
            (commit, written, option, Some((*level, strategy)))
        }
        (_, None) => {
            return Err(crate::error::ApiError::internal(
                "merging",
                "options missing",
            ));
        }
    };
    if new_tip != destination {
        match compare_and_swap(
            &o.repo,
            &target.destination_ref,
            Some(destination),
            Some(new_tip),
        )? {
            Ok(()) => {}
            Err(CasFailure::Moved { .. }) => bail!(
                ConcurrentReferenceUpdate,
                "The merge cannot be completed because the branch {} was updated at the same time; try again.",
                branch_name(&target.destination_ref)
            ),
        }
    }
    // The pull request is closed as merged before the ref move is reported, so the
    // subscriber (which follows open pull requests) leaves it as it is.
    let actor = ctx.caller.arn.clone();
    let now = now_epoch();
    let position = target.position;
    let view = ctx.state.store.write(|tx| {
        let mut pr = records::by_key(tx, pr.key)?.ok_or_else(|| super::does_not_exist(number))?;
        let Some(t) = pr.targets.iter_mut().find(|t| t.position == position) else {
            return Err(super::does_not_exist(number));
        };
        t.source_commit = source.to_string();
        t.destination_commit = destination.to_string();
        t.merge_base = ep.base.map(|b| b.to_string());
        t.merged = Some(Merged {
            by: actor.clone(),
            commit: merge_commit.map(|c| c.to_string()),
            option: option.as_str().to_owned(),
        });
        let metadata = merged_metadata(t);
        pr.status = Status::Closed;
        pr.last_activity_date = now;
        records::save(tx, &pr)?;
        records::log_event(
            tx,
            pr.key,
            &PullRequestEventType::PullRequestMergeStateChanged,
            &actor,
            now,
            &metadata,
        )?;
        records::log_event(
            tx,
            pr.key,
            &PullRequestEventType::PullRequestStatusChanged,
            &actor,
            now,
            &closed_metadata(),
        )?;
        view(ctx.state, tx, &pr)
    })?;
    if new_tip != destination {
        crate::events::record_ref_moves(
            ctx.state,
            RefMoves::api(
                &rec.id,
                &actor,
                target.destination_ref.clone(),
                Some(destination.to_string()),
                Some(new_tip.to_string()),
            )
            .with_merge(ep.merge_info(option.clone(), detail)),
        );
    }
    publish(
        ctx.state,
        &ctx.account,
        &ctx.region,
        vec![
            Published {
                kind: PullRequestEventKind::MergeStatusUpdated,
                caller_arn: actor.clone(),
                pull_request: view.clone(),
                merge_option: Some(option.as_str().to_owned()),
            },
            Published {
                kind: PullRequestEventKind::StatusChanged,
                caller_arn: actor,
                pull_request: view.clone(),
                merge_option: None,
            },
        ],
    );
    Ok(view)
}

pub fn merge_pull_request_by_fast_forward(
    ctx: &Ctx<'_>,
    input: MergePullRequestByFastForwardInput,
) -> ApiResult<MergePullRequestByFastForwardOutput> {
    let pr = merge(
        ctx,
        &input.pull_request_id,
        &input.repository_name,
        &input.source_commit_id,
        How::FastForward,
    )?;
    Ok(MergePullRequestByFastForwardOutput {
        pull_request: Some(pr),
    })
}

pub fn merge_pull_request_by_squash(
    ctx: &Ctx<'_>,
    input: MergePullRequestBySquashInput,
) -> ApiResult<MergePullRequestBySquashOutput> {
    let pr = merge(
        ctx,
        &input.pull_request_id,
        &input.repository_name,
        &input.source_commit_id,
        How::Squash(MergeOptions {
            level: &input.conflict_detail_level,
            strategy: &input.conflict_resolution_strategy,
            resolution: input.conflict_resolution.clone(),
            author: &input.author_name,
            email: &input.email,
            message: &input.commit_message,
            keep_empty_folders: input.keep_empty_folders,
        }),
    )?;
    Ok(MergePullRequestBySquashOutput {
        pull_request: Some(pr),
    })
}

pub fn merge_pull_request_by_three_way(
    ctx: &Ctx<'_>,
    input: MergePullRequestByThreeWayInput,
) -> ApiResult<MergePullRequestByThreeWayOutput> {
    let pr = merge(
        ctx,
        &input.pull_request_id,
        &input.repository_name,
        &input.source_commit_id,
        How::ThreeWay(MergeOptions {
            level: &input.conflict_detail_level,
            strategy: &input.conflict_resolution_strategy,
            resolution: input.conflict_resolution.clone(),
            author: &input.author_name,
            email: &input.email,
            message: &input.commit_message,
            keep_empty_folders: input.keep_empty_folders,
        }),
    )?;
    Ok(MergePullRequestByThreeWayOutput {
        pull_request: Some(pr),
    })
}
