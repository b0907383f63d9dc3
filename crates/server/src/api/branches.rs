//! Branches (codecommit-facts.md §2 "Branches / refs / commit specifiers"). Branch refs move by
//! compare-and-swap and every move is recorded like a push (lastModifiedDate, events).

use super::specs::{self, CommitId};
use super::{Ctx, Opened, paginate, repositories, validate};
use crate::bail;
use crate::error::ApiResult;
use crate::events::{self, RefMoves};
use crate::git::objects;
use crate::git::write::{CasFailure, compare_and_swap};
use codecommit_model::shapes::*;

/// ListBranches answers pages of this many names.
const LIST_BRANCHES_PAGE: usize = 1000;

/// git cannot hold both `refs/heads/a` and `refs/heads/a/b`.
fn nesting_conflict(existing: &[String], name: &str) -> Option<String> {
    existing
        .iter()
        .find(|b| name.starts_with(&format!("{b}/")) || b.starts_with(&format!("{name}/")))
        .cloned()
}

pub fn create_branch(ctx: &Ctx<'_>, input: CreateBranchInput) -> ApiResult<()> {
    let o = ctx.open_repo(&input.repository_name)?;
    let branch = validate::branch_name(&input.branch_name)?;
    let Some(commit_id) = validate::present(&input.commit_id) else {
        bail!(
            CommitIdRequired,
            "A commit ID is required, but was not specified."
        )
    };
    let commit = match specs::commit_id(&o, commit_id)? {
        CommitId::Found(c) => c,
        CommitId::Invalid => bail!(
            InvalidCommitId,
            "The specified commit ID is not valid: {}",
            validate::printable(commit_id)
        ),
        CommitId::NotFound => bail!(
            CommitDoesNotExist,
            "The specified commit does not exist: {commit_id}"
        ),
    };
    validate::storable_branch_name(branch)?;
    let lock = ctx.state.git.write_lock(&o.rec.id);
    let _guard = lock.lock();
    if objects::branch_tip(&o.repo, branch)?.is_some() {
        bail!(
            BranchNameExists,
            "Branch {branch} already exists in repository {}.",
            o.rec.name
        )
    }
    if let Some(other) = nesting_conflict(&repositories::branch_names(&o.repo)?, branch) {
        bail!(
            BranchNameExists,
            "Branch {branch} cannot be created because branch {other} already exists."
        )
    }
    let name = format!("refs/heads/{branch}");
    match compare_and_swap(&o.repo, &name, None, Some(commit))? {
        Ok(()) => {}
        Err(CasFailure::Moved { .. }) => bail!(
            BranchNameExists,
            "Branch {branch} already exists in repository {}.",
            o.rec.name
        ),
    }
    events::record_ref_moves(
        ctx.state,
        RefMoves::api(
            &o.rec.id,
            &ctx.caller.arn,
            name,
            None,
            Some(commit.to_string()),
        ),
    );
    Ok(())
}

pub fn get_branch(ctx: &Ctx<'_>, input: GetBranchInput) -> ApiResult<GetBranchOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let branch = validate::branch_name(&input.branch_name)?;
    let tip = existing_branch(&o, branch)?;
    Ok(GetBranchOutput {
        branch: Some(BranchInfo {
            branch_name: Some(branch.to_owned()),
            commit_id: Some(tip.to_string()),
        }),
    })
}

/// The tip of a branch that must exist.
pub fn existing_branch(o: &Opened, branch: &str) -> ApiResult<gix::ObjectId> {
    objects::branch_tip(&o.repo, branch)?.ok_or_else(|| {
        crate::err!(
            BranchDoesNotExist,
            "Branch {branch} does not exist in repository {}.",
            o.rec.name
        )
    })
}

/// A branch that a write targets: it must exist, and must not be a tag's name.
pub fn writable_branch(o: &Opened, branch: &str) -> ApiResult<Option<gix::ObjectId>> {
    if let Some(tip) = objects::branch_tip(&o.repo, branch)? {
        return Ok(Some(tip));
    }
    if objects::ref_target(&o.repo, &format!("refs/tags/{branch}"))?.is_some() {
        bail!(
            BranchNameIsTagName,
            "The specified branch name {branch} is a tag name, not a branch name."
        )
    }
    Ok(None)
}

pub fn delete_branch(ctx: &Ctx<'_>, input: DeleteBranchInput) -> ApiResult<DeleteBranchOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let branch = validate::branch_name(&input.branch_name)?;
    if o.rec.default_branch.as_deref() == Some(branch) {
        bail!(
            DefaultBranchCannotBeDeleted,
            "The specified branch is the default branch for the repository, and cannot be deleted. To delete this branch, you must first set another branch as the default branch."
        )
    }
    let lock = ctx.state.git.write_lock(&o.rec.id);
    let _guard = lock.lock();
    let name = format!("refs/heads/{branch}");
    // A push may move the branch between our read and the delete; retry on what it now is.
    for _ in 0..5 {
        // DeleteBranch does not list BranchDoesNotExistException: a missing branch is a no-op.
        let Some(tip) = objects::branch_tip(&o.repo, branch)? else {
            return Ok(DeleteBranchOutput {
                deleted_branch: None,
            });
        };
        if compare_and_swap(&o.repo, &name, Some(tip), None)?.is_ok() {
            events::record_ref_moves(
                ctx.state,
                RefMoves::api(
                    &o.rec.id,
                    &ctx.caller.arn,
                    name,
                    Some(tip.to_string()),
                    None,
                ),
            );
            return Ok(DeleteBranchOutput {
                deleted_branch: Some(BranchInfo {
                    branch_name: Some(branch.to_owned()),
                    commit_id: Some(tip.to_string()),
                }),
            });
        }
    }
    bail!(
        ConcurrentReferenceUpdate,
        "The branch {branch} is being updated concurrently; try again."
    )
}

pub fn list_branches(ctx: &Ctx<'_>, input: ListBranchesInput) -> ApiResult<ListBranchesOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let kind = "branches";
    let after = paginate::decode_opt(kind, &input.next_token)?;
    let names = repositories::branch_names(&o.repo)?;
    let start = match &after {
        Some(k) => names.partition_point(|n| n <= k),
        None => 0,
    };
    let page: Vec<String> = names[start..]
        .iter()
        .take(LIST_BRANCHES_PAGE)
        .cloned()
        .collect();
    let next_token = (start + page.len() < names.len())
        .then(|| page.last().map(|k| paginate::encode(kind, k)))
        .flatten();
    Ok(ListBranchesOutput {
        branches: Some(page),
        next_token,
    })
}
