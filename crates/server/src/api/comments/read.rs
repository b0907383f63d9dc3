//! GetComment, GetCommentsForComparedCommit and GetCommentsForPullRequest: comments grouped
//! by (before, after, location) in the order groups were started, comments in the order they
//! were posted, pages of comments with opaque tokens bound to the listing.

use super::post::{commit_id_shape, existing_commit, optional_commit_id, required_commit_id};
use super::records::{self, Cursor, Listing};
use super::*;
use crate::api::{paginate, pull_requests};
use codecommit_model::shapes::*;

/// GetComment on a deleted comment raises CommentDeletedException: the model lists it for
/// GetComment, where it can mean nothing else (the listings keep deleted comments, with
/// `deleted: true` and no content).
pub fn get_comment(ctx: &Ctx<'_>, input: GetCommentInput) -> ApiResult<GetCommentOutput> {
    let id = comment_id(&input.comment_id)?;
    let caller = ctx.caller_arn();
    let comment = ctx.state.store.read(|conn| {
        let c = find(ctx, conn, &id)?;
        if c.deleted {
            return Err(deleted_error());
        }
        view(conn, &c, &caller)
    })?;
    Ok(GetCommentOutput {
        comment: Some(comment),
    })
}

/// One group of a page: the group and its comments on the page.
struct Element {
    group: records::GroupRow,
    comments: Vec<Comment>,
}

/// A page of a listing: elements (consecutive comments of one group) and the next cursor.
fn read_page(
    ctx: &Ctx<'_>,
    listing: &Listing<'_>,
    kind: &str,
    token: &Option<String>,
    limit: usize,
) -> ApiResult<(Vec<Element>, Option<String>)> {
    let after = match paginate::decode_opt(kind, token)? {
        None => Cursor::START,
        Some(k) => Cursor::parse(&k).ok_or_else(|| {
            crate::err!(
                InvalidContinuationToken,
                "The continuation token is not valid."
            )
        })?,
    };
    let caller = ctx.caller_arn();
    ctx.state.store.read(|conn| {
        let mut rows = records::page(conn, listing, after, limit + 1)?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = more
            .then(|| {
                rows.last().map(|c| {
                    let cursor = Cursor {
                        group_key: c.group_key,
                        key: c.key,
                    };
                    paginate::encode(kind, &cursor.token())
                })
            })
            .flatten();
        let keys: Vec<i64> = rows.iter().map(|c| c.key).collect();
        let mut reactions = records::reaction_summaries(conn, &keys, &caller)?;
        let mut elements: Vec<Element> = Vec::new();
        for c in &rows {
            let v = view_with(c, reactions.remove(&c.key).unwrap_or_default());
            match elements.last_mut() {
                Some(e) if e.group.key == c.group_key => e.comments.push(v),
                // A group's comments are consecutive in listing order: each group is read
                // once per page.
                _ => elements.push(Element {
                    group: group_of(conn, c)?,
                    comments: vec![v],
                }),
            }
        }
        Ok((elements, next))
    })
}

pub fn get_comments_for_compared_commit(
    ctx: &Ctx<'_>,
    input: GetCommentsForComparedCommitInput,
) -> ApiResult<GetCommentsForComparedCommitOutput> {
    validate::repository_name(&input.repository_name)?;
    let after = required_commit_id(&input.after_commit_id)?;
    let before = optional_commit_id(&input.before_commit_id)?;
    let limit = paginate::page_size(input.max_results, PAGE, PAGE_MAX)?;
    let o = ctx.open_repo(&input.repository_name)?;
    let after = existing_commit(&o, after)?.to_string();
    let before = match before {
        Some(b) => Some(existing_commit(&o, b)?.to_string()),
        None => None,
    };
    // Without a before commit: the comments on the after commit compared with anything.
    let kind = format!(
        "comments-compared/{}/{after}/{}",
        o.rec.id,
        before.as_deref().unwrap_or("*")
    );
    let listing = Listing::Compared {
        repository_id: &o.rec.id,
        after: &after,
        before: before.as_deref(),
    };
    let (elements, next_token) = read_page(ctx, &listing, &kind, &input.next_token, limit)?;
    let name = Some(o.rec.name.clone());
    Ok(GetCommentsForComparedCommitOutput {
        comments_for_compared_commit_data: Some(
            elements
                .into_iter()
                .map(|e| CommentsForComparedCommit {
                    repository_name: name.clone(),
                    before_commit_id: e.group.id.before.clone(),
                    after_commit_id: Some(e.group.id.after.clone()),
                    before_blob_id: e.group.before_blob.clone(),
                    after_blob_id: e.group.after_blob.clone(),
                    location: location_view(&e.group.id.place),
                    comments: Some(e.comments),
                })
                .collect(),
        ),
        next_token,
    })
}

/// `repositoryName`, `beforeCommitId` and `afterCommitId` are all or nothing ("repositoryName
/// must be specified when beforeCommitId and afterCommitId are included", and the reverse);
/// with all three the listing is that comparison's comments. AWS answers a partial set with
/// CommitIdRequiredException (facts-9-10 §2.7, aws/aws-sdk#436).
pub fn get_comments_for_pull_request(
    ctx: &Ctx<'_>,
    input: GetCommentsForPullRequestInput,
) -> ApiResult<GetCommentsForPullRequestOutput> {
    let number = pull_requests::pull_request_number(&input.pull_request_id)?;
    let repo = validate::present(&input.repository_name);
    let before = validate::present(&input.before_commit_id);
    let after = validate::present(&input.after_commit_id);
    let filter = match (repo, before, after) {
        (None, None, None) => None,
        (None, _, _) => bail!(
            RepositoryNameRequired,
            "A repository name is required: repositoryName must be specified when beforeCommitId and afterCommitId are included."
        ),
        (Some(_), Some(b), Some(a)) => Some((commit_id_shape(b)?, commit_id_shape(a)?)),
        (Some(_), _, _) => bail!(
            CommitIdRequired,
            "A commit ID is required, but no commit ID was specified."
        ),
    };
    if repo.is_some() {
        validate::repository_name(&input.repository_name)?;
    }
    let limit = paginate::page_size(input.max_results, PAGE, PAGE_MAX)?;
    let pr = ctx
        .state
        .store
        .read(|conn| pull_requests::find_in(ctx, conn, number))?;
    let commits = match filter {
        None => None,
        Some((b, a)) => {
            let o = ctx.open_repo(&input.repository_name)?;
            if o.rec.id != pr.repository_id {
                bail!(
                    RepositoryNotAssociatedWithPullRequest,
                    "The repository {} does not contain any pull requests with that pull request ID: {number}. Use GetPullRequest to verify the repository for the pull request.",
                    o.rec.name
                )
            }
            Some((
                existing_commit(&o, b)?.to_string(),
                existing_commit(&o, a)?.to_string(),
            ))
        }
    };
    let kind = format!(
        "comments-pull-request/{}/{}/{number}/{}",
        ctx.account,
        ctx.region,
        commits
            .as_ref()
            .map(|(b, a)| format!("{b}..{a}"))
            .unwrap_or_default()
    );
    let listing = Listing::PullRequest {
        key: pr.key,
        commits: commits.as_ref().map(|(b, a)| (b.as_str(), a.as_str())),
    };
    let (elements, next_token) = read_page(ctx, &listing, &kind, &input.next_token, limit)?;
    let name = repository_name(ctx, &pr.repository_id);
    let id = pr.id();
    Ok(GetCommentsForPullRequestOutput {
        comments_for_pull_request_data: Some(
            elements
                .into_iter()
                .map(|e| CommentsForPullRequest {
                    pull_request_id: Some(id.clone()),
                    repository_name: name.clone(),
                    before_commit_id: e.group.id.before.clone(),
                    after_commit_id: Some(e.group.id.after.clone()),
                    before_blob_id: e.group.before_blob.clone(),
                    after_blob_id: e.group.after_blob.clone(),
                    location: location_view(&e.group.id.place),
                    comments: Some(e.comments),
                })
                .collect(),
        ),
        next_token,
    })
}
