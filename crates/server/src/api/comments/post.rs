//! PostCommentForComparedCommit, PostCommentForPullRequest and PostCommentReply: the commits
//! and the location are checked against git, the blob ids are the file's at both commits,
//! and a `clientRequestToken` makes a retry answer the original comment.

use super::records::{self, CommentRow, GroupKey, GroupRow, Place, Version};
use super::*;
use crate::api::{Opened, now_epoch, pull_requests};
use crate::error::ApiError;
use crate::git::objects;
use codecommit_model::shapes::*;
use gix::ObjectId;

fn commit_id_required() -> ApiError {
    // The wire message AWS sends (facts-9-10 §2.1), not the exception's doc string.
    crate::err!(
        CommitIdRequired,
        "A commit ID is required, but no commit ID was specified."
    )
}

/// A full commit id in a request (the comment operations take no other specifiers).
pub(super) fn commit_id_shape(v: &str) -> ApiResult<ObjectId> {
    objects::parse_object_id(v).ok_or_else(|| {
        crate::err!(
            InvalidCommitId,
            "The specified commit ID is not valid: {}. Make sure that you have provided the full commit ID.",
            validate::printable(v)
        )
    })
}

pub(super) fn required_commit_id(v: &Option<String>) -> ApiResult<ObjectId> {
    match validate::present(v) {
        Some(id) => commit_id_shape(id),
        None => Err(commit_id_required()),
    }
}

pub(super) fn optional_commit_id(v: &Option<String>) -> ApiResult<Option<ObjectId>> {
    validate::present(v).map(commit_id_shape).transpose()
}

/// The commit must be in the repository.
pub(super) fn existing_commit(o: &Opened, id: ObjectId) -> ApiResult<ObjectId> {
    match objects::object_kind(&o.repo, id)? {
        Some(gix::objs::Kind::Commit) => Ok(id),
        _ => Err(crate::err!(
            CommitDoesNotExist,
            "The specified commit does not exist or no commit was specified: {id}"
        )),
    }
}

fn not_same(before: Option<ObjectId>, after: ObjectId) -> ApiResult<()> {
    if before == Some(after) {
        bail!(
            BeforeCommitIdAndAfterCommitIdAreSame,
            "The before commit ID and the after commit ID are the same, which is not valid. The before commit ID and the after commit ID must be different commit IDs."
        )
    }
    Ok(())
}

/// The location's shape, before any git read: a file path (required, valid, not a folder
/// path), an optional line (1 or more) and an optional version (BEFORE/AFTER; absent reads
/// as AFTER). No location is a general comment.
fn place_shape(loc: &Option<Location>) -> ApiResult<Option<Place>> {
    let Some(l) = loc else { return Ok(None) };
    let Some(raw) = validate::present(&l.file_path) else {
        bail!(PathRequired, "The filePath for a location cannot be null.")
    };
    if raw.ends_with('/') {
        bail!(
            InvalidFileLocation,
            "The location of the file is not valid: {}. Make sure that you include the file name and extension.",
            validate::printable(raw)
        )
    }
    let Some(path) = validate::normalize_path(raw, false) else {
        bail!(
            InvalidPath,
            "The specified path is not valid: {}",
            validate::printable(raw)
        )
    };
    let version = match &l.relative_file_version {
        None => None,
        Some(RelativeFileVersionEnum::Before) => Some(Version::Before),
        Some(RelativeFileVersionEnum::After) => Some(Version::After),
        Some(RelativeFileVersionEnum::Unknown(s)) => bail!(
            InvalidRelativeFileVersionEnum,
            "The relative file version is not valid: {}. Valid values are BEFORE and AFTER.",
            validate::printable(s)
        ),
    };
    if let Some(n) = l.file_position
        && n < 1
    {
        bail!(
            InvalidFilePosition,
            "The position is not valid: {n}. Make sure that the line number exists in the version of the file you want to comment on."
        )
    }
    Ok(Some(Place {
        path,
        position: l.file_position,
        version,
    }))
}

/// Lines of a file version: what `filePosition` may name (1..=lines).
fn line_count(data: &[u8]) -> i64 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count() as i64;
    match data.last() {
        None => 0,
        Some(b'\n') => newlines,
        Some(_) => newlines + 1,
    }
}

/// Checks a location against the two commits; answers the file's blob ids at the before and
/// after commits (absent where the file is not there, and for general comments).
fn check_place(
    o: &Opened,
    before: Option<ObjectId>,
    after: ObjectId,
    place: &Option<Place>,
) -> ApiResult<(Option<String>, Option<String>)> {
    let Some(p) = place else {
        return Ok((None, None));
    };
    let entry_in = |commit: ObjectId| -> ApiResult<Option<objects::Entry>> {
        let tree = objects::commit_tree(&o.repo, commit)?;
        objects::entry_at(&o.repo, tree, &p.path)
    };
    let after_entry = entry_in(after)?;
    let before_entry = match before {
        Some(b) => entry_in(b)?,
        None => None,
    };
    let entry = match p.version.unwrap_or(Version::After) {
        Version::After => after_entry,
        Version::Before if before.is_none() => bail!(
            InvalidRelativeFileVersionEnum,
            "The relative file version BEFORE is not valid for a comparison with no before commit (an initial commit)."
        ),
        Version::Before => before_entry,
    };
    let Some(entry) = entry else {
        bail!(
            PathDoesNotExist,
            "The specified path does not exist in that version of the file: {}",
            validate::printable(&p.path)
        )
    };
    if !entry.is_blob_like() {
        bail!(
            InvalidFileLocation,
            "The location of the file is not valid: {} is not a file. Make sure that you include the file name and extension.",
            validate::printable(&p.path)
        )
    }
    if let Some(n) = p.position {
        let lines = line_count(&objects::read_blob(&o.repo, entry.id)?);
        if n > lines {
            bail!(
                InvalidFilePosition,
                "The position is not valid: {n}. Make sure that the line number exists in the version of the file you want to comment on (it has {lines} lines)."
            )
        }
    }
    let blob = |e: Option<objects::Entry>| e.filter(|e| e.is_blob_like()).map(|e| e.id.to_string());
    Ok((blob(before_entry), blob(after_entry)))
}

/// What a post stores, once its inputs are checked.
struct NewComment<'a> {
    content: &'a str,
    token: Option<&'a str>,
    /// The request (and its operation and caller), for the idempotency check.
    digest: String,
    in_reply_to: Option<String>,
}

/// A post's outcome: the comment (new, or the original of a retry) and its group.
struct Posted {
    group: GroupRow,
    comment: CommentRow,
    view: Comment,
    pull_request_id: Option<String>,
    replayed: bool,
}

/// Stores a comment in the group `group` finds (inside the transaction), unless the token
/// was used before: then the original comment if the request is the same, else
/// IdempotencyParameterMismatch. A comment on a pull request counts as activity on it.
fn store(
    ctx: &Ctx<'_>,
    new: NewComment<'_>,
    group: impl FnOnce(&Connection) -> ApiResult<GroupRow>,
) -> ApiResult<Posted> {
    let now = now_epoch();
    let caller = ctx.caller_arn();
    ctx.state.store.write(|tx| {
        if let Some(t) = new.token
            && let Some(existing) = records::by_token(tx, &ctx.account, &ctx.region, t)?
        {
            if existing.request_digest.as_deref() != Some(new.digest.as_str()) {
                bail!(
                    IdempotencyParameterMismatch,
                    "The client request token {} has been used in a previous request with different parameters and cannot be reused.",
                    validate::printable(t)
                )
            }
            let g = group_of(tx, &existing)?;
            return Ok(Posted {
                view: view(tx, &existing, &caller)?,
                pull_request_id: pull_request_id(tx, &g)?,
                group: g,
                comment: existing,
                replayed: true,
            });
        }
        let g = group(tx)?;
        let mut c = CommentRow {
            key: 0,
            comment_id: new_comment_id(),
            group_key: g.key,
            in_reply_to: new.in_reply_to,
            content: Some(new.content.to_owned()),
            deleted: false,
            author_arn: caller.clone(),
            client_request_token: new.token.map(str::to_owned),
            request_digest: Some(new.digest),
            creation_date: now,
            last_modified_date: now,
        };
        records::insert(tx, &ctx.account, &ctx.region, &g, &mut c)?;
        if let Some(key) = g.id.pull_request_key {
            pull_requests::touch(tx, key, now)?;
        }
        Ok(Posted {
            view: view(tx, &c, &caller)?,
            pull_request_id: pull_request_id(tx, &g)?,
            group: g,
            comment: c,
            replayed: false,
        })
    })
}

/// Publishes the event of a new comment (a retry publishes nothing).
fn announce(ctx: &Ctx<'_>, p: &Posted) {
    if !p.replayed {
        publish(
            ctx,
            ChangeKind::Created,
            &p.group,
            p.pull_request_id.clone(),
            &p.comment,
        );
    }
}

fn digest(operation: &str, ctx: &Ctx<'_>, request: serde_json::Value) -> String {
    serde_json::json!({"operation": operation, "caller": ctx.caller.arn, "request": request})
        .to_string()
}

pub fn post_comment_for_compared_commit(
    ctx: &Ctx<'_>,
    input: PostCommentForComparedCommitInput,
) -> ApiResult<PostCommentForComparedCommitOutput> {
    validate::repository_name(&input.repository_name)?;
    let token = pull_requests::client_request_token(&input.client_request_token)?;
    let text = content(&input.content)?;
    let after = required_commit_id(&input.after_commit_id)?;
    let before = optional_commit_id(&input.before_commit_id)?;
    not_same(before, after)?;
    let place = place_shape(&input.location)?;
    let o = ctx.open_repo(&input.repository_name)?;
    let after = existing_commit(&o, after)?;
    let before = match before {
        Some(b) => Some(existing_commit(&o, b)?),
        // "Required for commenting on any commit unless that commit is the initial commit":
        // an initial commit is compared with the empty tree.
        None if objects::parents(&o.repo, after)?.is_empty() => None,
        None => return Err(commit_id_required()),
    };
    let (before_blob, after_blob) = check_place(&o, before, after, &place)?;
    let id = GroupKey {
        repository_id: o.rec.id.clone(),
        pull_request_key: None,
        before: before.map(|b| b.to_string()),
        after: after.to_string(),
        place,
    };
    let new = NewComment {
        content: text,
        token,
        digest: digest(
            "PostCommentForComparedCommit",
            ctx,
            serde_json::json!({
                "repositoryName": input.repository_name,
                "beforeCommitId": input.before_commit_id,
                "afterCommitId": input.after_commit_id,
                "location": input.location,
                "content": input.content,
            }),
        ),
        in_reply_to: None,
    };
    let posted = store(ctx, new, |tx| {
        records::group_for(tx, &id, before_blob.as_deref(), after_blob.as_deref())
    })?;
    announce(ctx, &posted);
    let g = &posted.group;
    Ok(PostCommentForComparedCommitOutput {
        repository_name: repository_name(ctx, &g.id.repository_id),
        before_commit_id: g.id.before.clone(),
        after_commit_id: Some(g.id.after.clone()),
        before_blob_id: g.before_blob.clone(),
        after_blob_id: g.after_blob.clone(),
        location: location_view(&g.id.place),
        comment: Some(posted.view),
    })
}

/// Whether a commit belongs to a pull request: one its revisions or target recorded (source,
/// destination, merge base, merge commit), or an ancestor of one. AWS documents no rule;
/// this accepts every pair a client can take from the pull request (Renovate posts the
/// target's destinationCommit and sourceCommit), merged or closed ones too.
fn in_pull_request(o: &Opened, known: &[ObjectId], commit: ObjectId) -> ApiResult<bool> {
    if known.contains(&commit) {
        return Ok(true);
    }
    for &tip in known {
        if crate::api::merges::merge_base(&o.repo, tip, commit)? == Some(commit) {
            return Ok(true);
        }
    }
    Ok(false)
}

pub fn post_comment_for_pull_request(
    ctx: &Ctx<'_>,
    input: PostCommentForPullRequestInput,
) -> ApiResult<PostCommentForPullRequestOutput> {
    let number = pull_requests::pull_request_number(&input.pull_request_id)?;
    validate::repository_name(&input.repository_name)?;
    let token = pull_requests::client_request_token(&input.client_request_token)?;
    let text = content(&input.content)?;
    let before = required_commit_id(&input.before_commit_id)?;
    let after = required_commit_id(&input.after_commit_id)?;
    not_same(Some(before), after)?;
    let place = place_shape(&input.location)?;
    let (pr, recorded) = ctx.state.store.read(|conn| {
        let pr = pull_requests::find_in(ctx, conn, number)?;
        let recorded = records::revision_commits(conn, pr.key)?;
        Ok((pr, recorded))
    })?;
    let o = ctx.open_repo(&input.repository_name)?;
    if pr.repository_id != o.rec.id {
        bail!(
            RepositoryNotAssociatedWithPullRequest,
            "The repository {} does not contain any pull requests with that pull request ID: {number}. Use GetPullRequest to verify the repository for the pull request.",
            o.rec.name
        )
    }
    let before = existing_commit(&o, before)?;
    let after = existing_commit(&o, after)?;
    let mut known: Vec<ObjectId> = Vec::new();
    let ids = recorded
        .iter()
        .map(String::as_str)
        .chain(pr.targets.iter().flat_map(|t| {
            [
                Some(t.source_commit.as_str()),
                Some(t.destination_commit.as_str()),
                t.merge_base.as_deref(),
                t.merged.as_ref().and_then(|m| m.commit.as_deref()),
            ]
            .into_iter()
            .flatten()
        }));
    for id in ids {
        if let Some(oid) = objects::parse_object_id(id)
            && !known.contains(&oid)
        {
            known.push(oid);
        }
    }
    for c in [before, after] {
        if !in_pull_request(&o, &known, c)? {
            bail!(
                CommitDoesNotExist,
                "The specified commit {c} is not part of pull request {number}: use commits of its source and destination branches (see GetPullRequest)."
            )
        }
    }
    let (before_blob, after_blob) = check_place(&o, Some(before), after, &place)?;
    let id = GroupKey {
        repository_id: o.rec.id.clone(),
        pull_request_key: Some(pr.key),
        before: Some(before.to_string()),
        after: after.to_string(),
        place,
    };
    let new = NewComment {
        content: text,
        token,
        digest: digest(
            "PostCommentForPullRequest",
            ctx,
            serde_json::json!({
                "pullRequestId": input.pull_request_id,
                "repositoryName": input.repository_name,
                "beforeCommitId": input.before_commit_id,
                "afterCommitId": input.after_commit_id,
                "location": input.location,
                "content": input.content,
            }),
        ),
        in_reply_to: None,
    };
    let posted = store(ctx, new, |tx| {
        records::group_for(tx, &id, before_blob.as_deref(), after_blob.as_deref())
    })?;
    announce(ctx, &posted);
    let g = &posted.group;
    Ok(PostCommentForPullRequestOutput {
        repository_name: repository_name(ctx, &g.id.repository_id),
        pull_request_id: posted.pull_request_id.clone(),
        before_commit_id: g.id.before.clone(),
        after_commit_id: Some(g.id.after.clone()),
        before_blob_id: g.before_blob.clone(),
        after_blob_id: g.after_blob.clone(),
        location: location_view(&g.id.place),
        comment: Some(posted.view),
    })
}

/// A reply joins the group (commits and location) of the comment it answers. Replying to a
/// deleted comment is allowed: PostCommentReply's errors do not include CommentDeleted.
pub fn post_comment_reply(
    ctx: &Ctx<'_>,
    input: PostCommentReplyInput,
) -> ApiResult<PostCommentReplyOutput> {
    let parent = comment_id(&input.in_reply_to)?;
    let token = pull_requests::client_request_token(&input.client_request_token)?;
    let text = content(&input.content)?;
    let new = NewComment {
        content: text,
        token,
        digest: digest(
            "PostCommentReply",
            ctx,
            serde_json::json!({"inReplyTo": parent, "content": input.content}),
        ),
        in_reply_to: Some(parent.clone()),
    };
    let posted = store(ctx, new, |tx| {
        let p = find(ctx, tx, &parent)?;
        group_of(tx, &p)
    })?;
    announce(ctx, &posted);
    Ok(PostCommentReplyOutput {
        comment: Some(posted.view),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_a_file() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a"), 1);
        assert_eq!(line_count(b"a\n"), 1);
        assert_eq!(line_count(b"a\nb"), 2);
        assert_eq!(line_count(b"a\n\n"), 2);
    }
}
