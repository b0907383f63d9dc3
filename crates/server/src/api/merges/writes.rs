//! Merges that write: fast-forward, squash and three-way on branches, unreferenced merge
//! commits, and GetMergeCommit.

use super::conflicts::three_way_only;
use super::resolution::{Resolution, merged_tree, resolution};
use super::*;

/// The branch a merge moves: `targetBranch`, else the destination when it names a branch.
fn target_branch(
    o: &Opened,
    target: &Option<String>,
    destination_spec: &Option<String>,
) -> ApiResult<String> {
    if let Some(t) = validate::present(target) {
        if !validate::is_valid_branch_name(t) {
            bail!(
                InvalidBranchName,
                "The specified branch name is not valid: {}",
                validate::printable(t)
            )
        }
        return Ok(t.to_owned());
    }
    let spec = validate::present(destination_spec).unwrap_or_default();
    let name = spec.strip_prefix("refs/heads/").unwrap_or(spec);
    if objects::branch_tip(&o.repo, name)?.is_some() {
        return Ok(name.to_owned());
    }
    bail!(
        InvalidTargetBranch,
        "The destination {} is not a branch; specify the branch to update in targetBranch.",
        validate::printable(spec)
    )
}

/// Moves `branch` to `commit` by compare-and-swap from the tip read now, and records it.
fn move_branch(
    ctx: &Ctx<'_>,
    o: &Opened,
    branch: &str,
    expected: ObjectId,
    commit: ObjectId,
    merge: MergeInfo,
) -> ApiResult<()> {
    let name = format!("refs/heads/{branch}");
    match compare_and_swap(&o.repo, &name, Some(expected), Some(commit))? {
        Ok(()) => {}
        Err(CasFailure::Moved { .. }) => {
            bail!(
                ConcurrentReferenceUpdate,
                "The merge cannot be completed because the branch {branch} was updated at the same time; try again."
            )
        }
    }
    events::record_ref_moves(
        ctx.state,
        RefMoves::api(
            &o.rec.id,
            &ctx.caller.arn,
            name,
            Some(expected.to_string()),
            Some(commit.to_string()),
        )
        .with_merge(merge),
    );
    Ok(())
}

/// The current tip of the target branch (must exist and not be a tag).
fn target_tip(o: &Opened, branch: &str) -> ApiResult<ObjectId> {
    match crate::api::branches::writable_branch(o, branch)? {
        Some(t) => Ok(t),
        None => bail!(
            BranchDoesNotExist,
            "Branch {branch} does not exist in repository {}.",
            o.rec.name
        ),
    }
}

pub fn merge_branches_by_fast_forward(
    ctx: &Ctx<'_>,
    input: MergeBranchesByFastForwardInput,
) -> ApiResult<MergeBranchesByFastForwardOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    let branch = target_branch(
        &o,
        &input.target_branch,
        &input.destination_commit_specifier,
    )?;
    let lock = ctx.state.git.write_lock(&o.rec.id);
    let _guard = lock.lock();
    let tip = target_tip(&o, &branch)?;
    if !ep.fast_forwardable() || merge_base(&o.repo, tip, ep.source)? != Some(tip) {
        bail!(
            ManualMergeRequired,
            "The branches cannot be merged by fast-forward: the destination is not an ancestor of the source."
        )
    }
    if tip != ep.source {
        let info = ep.merge_info(MergeOptionTypeEnum::FastForwardMerge, None);
        move_branch(ctx, &o, &branch, tip, ep.source, info)?;
    }
    Ok(MergeBranchesByFastForwardOutput {
        commit_id: Some(ep.source.to_string()),
        tree_id: Some(objects::commit_tree(&o.repo, ep.source)?.to_string()),
    })
}

/// Squash (one parent) or three-way (two parents) merge commit of the endpoints.
#[allow(clippy::too_many_arguments)]
pub(crate) fn merge_commit(
    o: &Opened,
    ep: &Endpoints,
    three_way: bool,
    level: Level,
    strategy: &ConflictResolutionStrategyTypeEnum,
    res: &Resolution,
    keep_empty_folders: bool,
    who: &Authorship,
    names: (&str, &str),
) -> ApiResult<(ObjectId, ObjectId)> {
    // The destination already contains the source (or is it): nothing to merge, so the result
    // is the destination itself, as `git merge` answers "Already up to date" — never an empty
    // squash commit or a merge commit whose parents are one commit twice.
    if ep.base == Some(ep.source) {
        return Ok((
            ep.destination,
            objects::commit_tree(&o.repo, ep.destination)?,
        ));
    }
    let tree = merged_tree(o, ep, level, strategy, res, keep_empty_folders)?;
    let parents = if three_way {
        vec![ep.destination, ep.source]
    } else {
        vec![ep.destination]
    };
    let message = match &who.message {
        Some(m) => m.clone(),
        None if three_way => format!("Merge {} into {}", names.0, names.1),
        None => squash_message(o, ep)?,
    };
    let commit = write_commit(&o.repo, tree, &parents, &who.person, &message)?;
    Ok((commit, tree))
}

/// The messages of the commits being squashed, oldest first.
fn squash_message(o: &Opened, ep: &Endpoints) -> ApiResult<String> {
    let walk = o
        .repo
        .rev_walk([ep.source])
        .with_hidden([ep.destination])
        .all()
        .internal("walking history")?;
    let mut messages = Vec::new();
    for info in walk.take(100) {
        let info = info.map_err(|e| ApiError::internal("walking history", e))?;
        let c = o.repo.find_commit(info.id).internal("reading a commit")?;
        let text = c.message_raw_sloppy().to_string();
        messages.push(text.trim_end().to_owned());
    }
    messages.reverse();
    Ok(if messages.is_empty() {
        "Squash merge".to_owned()
    } else {
        messages.join("\n\n")
    })
}

struct MergeRequest<'a> {
    repository_name: &'a Option<String>,
    source: &'a Option<String>,
    destination: &'a Option<String>,
    target_branch: &'a Option<String>,
    level: &'a Option<ConflictDetailLevelTypeEnum>,
    strategy: &'a Option<ConflictResolutionStrategyTypeEnum>,
    resolution: Option<ConflictResolution>,
    author: &'a Option<String>,
    email: &'a Option<String>,
    message: &'a Option<String>,
    keep_empty_folders: Option<bool>,
}

fn merge_onto_branch(
    ctx: &Ctx<'_>,
    r: MergeRequest<'_>,
    three_way: bool,
) -> ApiResult<(ObjectId, ObjectId)> {
    let o = ctx.open_repo(r.repository_name)?;
    let ep = endpoints(&o, r.source, r.destination, None)?;
    let branch = target_branch(&o, r.target_branch, r.destination)?;
    let level = level(r.level)?;
    let strategy = strategy(r.strategy)?;
    let res = resolution(r.resolution)?;
    let who = authorship(ctx, r.author, r.email, r.message)?;
    let lock = ctx.state.git.write_lock(&o.rec.id);
    let _guard = lock.lock();
    let tip = target_tip(&o, &branch)?;
    let names = (
        validate::present(r.source).unwrap_or_default(),
        validate::present(r.destination).unwrap_or_default(),
    );
    // The destination branch moved (a push) since it was resolved, or the branch to move has
    // commits on top of the destination however it was named (HEAD, a commit id): a merge
    // commit on the old tip would drop those commits from the branch.
    let is_destination = names.1.strip_prefix("refs/heads/").unwrap_or(names.1) == branch;
    if tip != ep.destination
        && (is_destination || merge_base(&o.repo, tip, ep.destination)? == Some(ep.destination))
    {
        bail!(
            ConcurrentReferenceUpdate,
            "The merge cannot be completed because the branch {branch} was updated at the same time; try again."
        )
    }
    let (commit, tree) = merge_commit(
        &o,
        &ep,
        three_way,
        level,
        &strategy,
        &res,
        r.keep_empty_folders.unwrap_or(false),
        &who,
        names,
    )?;
    if tip != commit {
        let option = if three_way {
            MergeOptionTypeEnum::ThreeWayMerge
        } else {
            MergeOptionTypeEnum::SquashMerge
        };
        let info = ep.merge_info(option, Some((level, &strategy)));
        move_branch(ctx, &o, &branch, tip, commit, info)?;
    }
    Ok((commit, tree))
}

pub fn merge_branches_by_squash(
    ctx: &Ctx<'_>,
    input: MergeBranchesBySquashInput,
) -> ApiResult<MergeBranchesBySquashOutput> {
    let (commit, tree) = merge_onto_branch(
        ctx,
        MergeRequest {
            repository_name: &input.repository_name,
            source: &input.source_commit_specifier,
            destination: &input.destination_commit_specifier,
            target_branch: &input.target_branch,
            level: &input.conflict_detail_level,
            strategy: &input.conflict_resolution_strategy,
            resolution: input.conflict_resolution.clone(),
            author: &input.author_name,
            email: &input.email,
            message: &input.commit_message,
            keep_empty_folders: input.keep_empty_folders,
        },
        false,
    )?;
    Ok(MergeBranchesBySquashOutput {
        commit_id: Some(commit.to_string()),
        tree_id: Some(tree.to_string()),
    })
}

pub fn merge_branches_by_three_way(
    ctx: &Ctx<'_>,
    input: MergeBranchesByThreeWayInput,
) -> ApiResult<MergeBranchesByThreeWayOutput> {
    let (commit, tree) = merge_onto_branch(
        ctx,
        MergeRequest {
            repository_name: &input.repository_name,
            source: &input.source_commit_specifier,
            destination: &input.destination_commit_specifier,
            target_branch: &input.target_branch,
            level: &input.conflict_detail_level,
            strategy: &input.conflict_resolution_strategy,
            resolution: input.conflict_resolution.clone(),
            author: &input.author_name,
            email: &input.email,
            message: &input.commit_message,
            keep_empty_folders: input.keep_empty_folders,
        },
        true,
    )?;
    Ok(MergeBranchesByThreeWayOutput {
        commit_id: Some(commit.to_string()),
        tree_id: Some(tree.to_string()),
    })
}

pub fn create_unreferenced_merge_commit(
    ctx: &Ctx<'_>,
    input: CreateUnreferencedMergeCommitInput,
) -> ApiResult<CreateUnreferencedMergeCommitOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let option = merge_option(&input.merge_option)?;
    three_way_only(&option)?;
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    let level = level(&input.conflict_detail_level)?;
    let strategy = strategy(&input.conflict_resolution_strategy)?;
    let res = resolution(input.conflict_resolution)?;
    let who = authorship(ctx, &input.author_name, &input.email, &input.commit_message)?;
    let names = (
        validate::present(&input.source_commit_specifier).unwrap_or_default(),
        validate::present(&input.destination_commit_specifier).unwrap_or_default(),
    );
    let three_way = option == MergeOptionTypeEnum::ThreeWayMerge;
    let (commit, tree) = merge_commit(
        &o,
        &ep,
        three_way,
        level,
        &strategy,
        &res,
        input.keep_empty_folders.unwrap_or(false),
        &who,
        names,
    )?;
    // A hidden ref keeps the commit from garbage collection; it is never advertised.
    let keep = format!("{HIDDEN_REF_PREFIX}keep/{commit}");
    if objects::ref_target(&o.repo, &keep)?.is_none() {
        let _ = compare_and_swap(&o.repo, &keep, None, Some(commit))?;
    }
    events::publish(
        ctx.state,
        events::Event::UnreferencedMergeCommit(events::payload::UnreferencedMergeCommitEvent {
            account: o.rec.account.clone(),
            region: o.rec.region.clone(),
            repository_id: o.rec.id.clone(),
            repository_name: o.rec.name.clone(),
            caller_arn: ctx.caller.arn.clone(),
            commit_id: commit.to_string(),
            merge: ep.merge_info(option.clone(), Some((level, &strategy))),
        }),
    );
    Ok(CreateUnreferencedMergeCommitOutput {
        commit_id: Some(commit.to_string()),
        tree_id: Some(tree.to_string()),
    })
}

/// The commit that merged `source` into `destination`'s history: the first commit on the
/// destination's first-parent line that has the source among its non-first parents' history.
/// None when the source arrived by fast-forward or is not merged.
pub fn get_merge_commit(
    ctx: &Ctx<'_>,
    input: GetMergeCommitInput,
) -> ApiResult<GetMergeCommitOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    level(&input.conflict_detail_level)?;
    strategy(&input.conflict_resolution_strategy)?;
    let mut merged = None;
    if ep.base == Some(ep.source) && ep.source != ep.destination {
        let mut current = ep.destination;
        // Bounded walk down the first-parent line.
        for _ in 0..100_000 {
            if current == ep.source {
                break;
            }
            let parents = objects::parents(&o.repo, current)?;
            let Some(first) = parents.first().copied() else {
                break;
            };
            let via_first = merge_base(&o.repo, ep.source, first)? == Some(ep.source);
            if !via_first {
                if parents.len() > 1 {
                    merged = Some(current);
                }
                break;
            }
            current = first;
        }
    }
    Ok(GetMergeCommitOutput {
        source_commit_id: Some(ep.source.to_string()),
        destination_commit_id: Some(ep.destination.to_string()),
        base_commit_id: ep.base.map(|b| b.to_string()),
        merged_commit_id: merged.map(|m| m.to_string()),
    })
}
