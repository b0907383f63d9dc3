//! THE operation table: one exhaustive match from operation to behaviour. Reading it top to
//! bottom is the list of what the server answers.

use super::serialization::decode;
use crate::api::{
    Ctx, approval_rules, branches, comments, commits, diffs, files, history, merges, pull_requests,
    repositories, tags, triggers,
};
use crate::error::{ApiError, ApiResult};
use codecommit_model::Operation;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Operations answered from memory on the async worker; everything else touches git or SQLite
/// and runs on the blocking pool.
pub fn is_inline(op: Operation) -> bool {
    matches!(
        op,
        Operation::GetRepository
            | Operation::BatchGetRepositories
            | Operation::ListRepositories
            | Operation::ListTagsForResource
    )
}

pub fn dispatch(op: Operation, ctx: &Ctx<'_>, body: &[u8]) -> ApiResult<Vec<u8>> {
    use Operation as O;
    match op {
        // Repositories
        O::CreateRepository => json(ctx, body, repositories::create_repository),
        O::GetRepository => raw(ctx, body, repositories::get_repository),
        O::BatchGetRepositories => json(ctx, body, repositories::batch_get_repositories),
        O::ListRepositories => json(ctx, body, repositories::list_repositories),
        O::DeleteRepository => json(ctx, body, repositories::delete_repository),
        O::UpdateRepositoryName => empty(ctx, body, repositories::update_repository_name),
        O::UpdateRepositoryDescription => {
            empty(ctx, body, repositories::update_repository_description)
        }
        O::UpdateRepositoryEncryptionKey => {
            json(ctx, body, repositories::update_repository_encryption_key)
        }
        O::UpdateDefaultBranch => empty(ctx, body, repositories::update_default_branch),
        // Tags
        O::TagResource => empty(ctx, body, tags::tag_resource),
        O::UntagResource => empty(ctx, body, tags::untag_resource),
        O::ListTagsForResource => json(ctx, body, tags::list_tags_for_resource),
        // Branches
        O::CreateBranch => empty(ctx, body, branches::create_branch),
        O::DeleteBranch => json(ctx, body, branches::delete_branch),
        O::GetBranch => json(ctx, body, branches::get_branch),
        O::ListBranches => json(ctx, body, branches::list_branches),
        // Files, folders, blobs
        O::GetBlob => json(ctx, body, files::get_blob),
        O::GetFile => json(ctx, body, files::get_file),
        O::GetFolder => json(ctx, body, files::get_folder),
        O::PutFile => json(ctx, body, files::put_file),
        O::DeleteFile => json(ctx, body, files::delete_file),
        // Commits
        O::GetCommit => json(ctx, body, commits::get_commit),
        O::BatchGetCommits => json(ctx, body, commits::batch_get_commits),
        O::CreateCommit => json(ctx, body, commits::create_commit),
        // Differences and history
        O::GetDifferences => json(ctx, body, diffs::get_differences),
        O::GetBlobDifferences => json(ctx, body, diffs::get_blob_differences),
        O::ListFileCommitHistory => json(ctx, body, history::list_file_commit_history),
        // Merges
        O::GetMergeOptions => json(ctx, body, merges::get_merge_options),
        O::GetMergeCommit => json(ctx, body, merges::get_merge_commit),
        O::GetMergeConflicts => json(ctx, body, merges::get_merge_conflicts),
        O::DescribeMergeConflicts => json(ctx, body, merges::describe_merge_conflicts),
        O::BatchDescribeMergeConflicts => json(ctx, body, merges::batch_describe_merge_conflicts),
        O::MergeBranchesByFastForward => json(ctx, body, merges::merge_branches_by_fast_forward),
        O::MergeBranchesBySquash => json(ctx, body, merges::merge_branches_by_squash),
        O::MergeBranchesByThreeWay => json(ctx, body, merges::merge_branches_by_three_way),
        O::CreateUnreferencedMergeCommit => {
            json(ctx, body, merges::create_unreferenced_merge_commit)
        }
        // Pull requests
        O::CreatePullRequest => json(ctx, body, pull_requests::create_pull_request),
        O::GetPullRequest => json(ctx, body, pull_requests::get_pull_request),
        O::ListPullRequests => json(ctx, body, pull_requests::list_pull_requests),
        O::DescribePullRequestEvents => {
            json(ctx, body, pull_requests::describe_pull_request_events)
        }
        O::UpdatePullRequestTitle => json(ctx, body, pull_requests::update_pull_request_title),
        O::UpdatePullRequestDescription => {
            json(ctx, body, pull_requests::update_pull_request_description)
        }
        O::UpdatePullRequestStatus => json(ctx, body, pull_requests::update_pull_request_status),
        O::MergePullRequestByFastForward => {
            json(ctx, body, pull_requests::merge_pull_request_by_fast_forward)
        }
        O::MergePullRequestBySquash => json(ctx, body, pull_requests::merge_pull_request_by_squash),
        O::MergePullRequestByThreeWay => {
            json(ctx, body, pull_requests::merge_pull_request_by_three_way)
        }
        // Triggers
        O::PutRepositoryTriggers => json(ctx, body, triggers::put_repository_triggers),
        O::GetRepositoryTriggers => json(ctx, body, triggers::get_repository_triggers),
        O::TestRepositoryTriggers => json(ctx, body, triggers::test_repository_triggers),
        // Approval rules, approvals and overrides
        O::CreatePullRequestApprovalRule => {
            json(ctx, body, approval_rules::create_pull_request_approval_rule)
        }
        O::UpdatePullRequestApprovalRuleContent => json(
            ctx,
            body,
            approval_rules::update_pull_request_approval_rule_content,
        ),
        O::DeletePullRequestApprovalRule => {
            json(ctx, body, approval_rules::delete_pull_request_approval_rule)
        }
        O::UpdatePullRequestApprovalState => empty(
            ctx,
            body,
            approval_rules::update_pull_request_approval_state,
        ),
        O::GetPullRequestApprovalStates => {
            json(ctx, body, approval_rules::get_pull_request_approval_states)
        }
        O::OverridePullRequestApprovalRules => empty(
            ctx,
            body,
            approval_rules::override_pull_request_approval_rules,
        ),
        O::GetPullRequestOverrideState => {
            json(ctx, body, approval_rules::get_pull_request_override_state)
        }
        O::EvaluatePullRequestApprovalRules => json(
            ctx,
            body,
            approval_rules::evaluate_pull_request_approval_rules,
        ),
        // Approval rule templates
        O::CreateApprovalRuleTemplate => {
            json(ctx, body, approval_rules::create_approval_rule_template)
        }
        O::GetApprovalRuleTemplate => json(ctx, body, approval_rules::get_approval_rule_template),
        O::DeleteApprovalRuleTemplate => {
            json(ctx, body, approval_rules::delete_approval_rule_template)
        }
        O::ListApprovalRuleTemplates => {
            json(ctx, body, approval_rules::list_approval_rule_templates)
        }
        O::UpdateApprovalRuleTemplateName => json(
            ctx,
            body,
            approval_rules::update_approval_rule_template_name,
        ),
        O::UpdateApprovalRuleTemplateDescription => json(
            ctx,
            body,
            approval_rules::update_approval_rule_template_description,
        ),
        O::UpdateApprovalRuleTemplateContent => json(
            ctx,
            body,
            approval_rules::update_approval_rule_template_content,
        ),
        O::AssociateApprovalRuleTemplateWithRepository => empty(
            ctx,
            body,
            approval_rules::associate_approval_rule_template_with_repository,
        ),
        O::DisassociateApprovalRuleTemplateFromRepository => empty(
            ctx,
            body,
            approval_rules::disassociate_approval_rule_template_from_repository,
        ),
        O::BatchAssociateApprovalRuleTemplateWithRepositories => json(
            ctx,
            body,
            approval_rules::batch_associate_approval_rule_template_with_repositories,
        ),
        O::BatchDisassociateApprovalRuleTemplateFromRepositories => json(
            ctx,
            body,
            approval_rules::batch_disassociate_approval_rule_template_from_repositories,
        ),
        O::ListAssociatedApprovalRuleTemplatesForRepository => json(
            ctx,
            body,
            approval_rules::list_associated_approval_rule_templates_for_repository,
        ),
        O::ListRepositoriesForApprovalRuleTemplate => json(
            ctx,
            body,
            approval_rules::list_repositories_for_approval_rule_template,
        ),
        // Comments and reactions
        O::PostCommentForComparedCommit => {
            json(ctx, body, comments::post_comment_for_compared_commit)
        }
        O::PostCommentForPullRequest => json(ctx, body, comments::post_comment_for_pull_request),
        O::PostCommentReply => json(ctx, body, comments::post_comment_reply),
        O::GetComment => json(ctx, body, comments::get_comment),
        O::GetCommentsForComparedCommit => {
            json(ctx, body, comments::get_comments_for_compared_commit)
        }
        O::GetCommentsForPullRequest => json(ctx, body, comments::get_comments_for_pull_request),
        O::UpdateComment => json(ctx, body, comments::update_comment),
        O::DeleteCommentContent => json(ctx, body, comments::delete_comment_content),
        O::PutCommentReaction => empty(ctx, body, comments::put_comment_reaction),
        O::GetCommentReactions => json(ctx, body, comments::get_comment_reactions),
    }
}

/// An operation with an output shape: the answer is its JSON.
fn json<I: DeserializeOwned, O: Serialize>(
    ctx: &Ctx<'_>,
    body: &[u8],
    f: fn(&Ctx<'_>, I) -> ApiResult<O>,
) -> ApiResult<Vec<u8>> {
    let out = f(ctx, decode(body)?)?;
    // Most answers are a few hundred bytes: one allocation instead of a chain of regrowths.
    let mut buf = Vec::with_capacity(512);
    serde_json::to_writer(&mut buf, &out)
        .map_err(|e| ApiError::internal("encoding the response", e))?;
    Ok(buf)
}

/// An operation that writes its output JSON itself (GetRepository, from a per-record cache).
fn raw<I: DeserializeOwned>(
    ctx: &Ctx<'_>,
    body: &[u8],
    f: fn(&Ctx<'_>, I) -> ApiResult<Vec<u8>>,
) -> ApiResult<Vec<u8>> {
    f(ctx, decode(body)?)
}

/// An operation without an output shape: HTTP 200 with an empty body, as the API Reference
/// documents (codecommit-facts.md §0).
fn empty<I: DeserializeOwned>(
    ctx: &Ctx<'_>,
    body: &[u8],
    f: fn(&Ctx<'_>, I) -> ApiResult<()>,
) -> ApiResult<Vec<u8>> {
    f(ctx, decode(body)?)?;
    Ok(Vec::new())
}
