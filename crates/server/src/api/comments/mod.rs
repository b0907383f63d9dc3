//! Comments and reactions on compared commits and pull requests (codecommit-facts.md §4;
//! the settled details and the choices where AWS is silent are in the module docs below and
//! in README.md's "Comments and reactions" notes).
//!
//! * `records.rs`: the tables (schema migration 5) and their rows
//! * `post.rs`: PostCommentForComparedCommit, PostCommentForPullRequest, PostCommentReply
//!   (locations, blob ids, idempotency)
//! * `read.rs`: GetComment, GetCommentsForComparedCommit, GetCommentsForPullRequest (groups,
//!   paging)
//! * `edit.rs`: UpdateComment, DeleteCommentContent
//! * `reactions.rs`: the supported reactions (one table), PutCommentReaction,
//!   GetCommentReactions
//!
//! A comment belongs to a *group*: one (repository or pull request, before commit, after
//! commit, location). GetCommentsFor… answer one element per group, in the order groups were
//! started, with the group's comments in the order they were posted; a reply joins the group
//! of the comment it answers (the UG's examples show both a reply and a second comment on
//! the same line in one element). Pages count comments, so a group may continue on the next
//! page.

mod edit;
mod post;
mod reactions;
mod read;
pub(crate) mod records;

pub use edit::{delete_comment_content, update_comment};
pub use post::{
    post_comment_for_compared_commit, post_comment_for_pull_request, post_comment_reply,
};
pub use reactions::{get_comment_reactions, put_comment_reaction};
pub use read::{get_comment, get_comments_for_compared_commit, get_comments_for_pull_request};

use super::{Ctx, validate};
use crate::bail;
use crate::error::ApiResult;
use crate::events::{self, Event, payload::ChangeKind, payload::CommentEvent};
use codecommit_model::shapes::{Comment, Location, RelativeFileVersionEnum};
use records::{CommentRow, GroupRow, Place, Version};
use rusqlite::Connection;

/// "Comments are limited to 10,240 characters" (CommentContentSizeLimitExceededException).
pub const MAX_CONTENT_CHARS: usize = 10240;
/// GetCommentsFor…: "The default is 100 comments, but you can configure up to 500."
const PAGE: usize = 100;
const PAGE_MAX: usize = 500;

/// A new comment id: a UUID, as AWS's examples show them.
fn new_comment_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Whether a comment id has the shape of one: a UUID, or two joined by `:` (the composite
/// form a console URL shows). "Make sure that you have provided the full comment ID": a
/// truncated or otherwise malformed id is invalid, a well-formed unknown one does not exist.
fn is_valid_comment_id(s: &str) -> bool {
    fn uuid(s: &str) -> bool {
        let groups: Vec<&str> = s.split('-').collect();
        groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
    }
    match s.split_once(':') {
        Some((a, b)) => uuid(a) && uuid(b),
        None => uuid(s),
    }
}

/// A required comment id (`commentId`, `inReplyTo`), in canonical (lower-case) form.
fn comment_id(v: &Option<String>) -> ApiResult<String> {
    let Some(id) = validate::present(v) else {
        bail!(
            CommentIdRequired,
            "The comment ID is missing or null. A comment ID is required."
        )
    };
    if !is_valid_comment_id(id) {
        bail!(
            InvalidCommentId,
            "The comment ID is not in a valid format: {}. Make sure that you have provided the full comment ID.",
            validate::printable(id)
        )
    }
    Ok(id.to_ascii_lowercase())
}

/// Required content, at most 10,240 characters.
fn content(v: &Option<String>) -> ApiResult<&str> {
    let Some(c) = validate::present(v) else {
        bail!(
            CommentContentRequired,
            "The comment is empty. You must provide some content for a comment. The content cannot be null."
        )
    };
    if c.chars().count() > MAX_CONTENT_CHARS {
        bail!(
            CommentContentSizeLimitExceeded,
            "The comment is too large. Comments are limited to {MAX_CONTENT_CHARS} characters."
        )
    }
    Ok(c)
}

fn does_not_exist(id: &str) -> crate::error::ApiError {
    crate::err!(
        CommentDoesNotExist,
        "No comment exists with the provided ID: {}. Verify that you have provided the correct ID, and then try again.",
        validate::printable(id)
    )
}

fn deleted_error() -> crate::error::ApiError {
    crate::err!(
        CommentDeleted,
        "This comment has already been deleted. You cannot edit or delete a deleted comment."
    )
}

/// The caller's comment by id: comments of other accounts and regions do not exist here.
fn find(ctx: &Ctx<'_>, conn: &Connection, id: &str) -> ApiResult<CommentRow> {
    records::by_id(conn, &ctx.account, &ctx.region, id)?.ok_or_else(|| does_not_exist(id))
}

fn group_of(conn: &Connection, c: &CommentRow) -> ApiResult<GroupRow> {
    records::group(conn, c.group_key)?.ok_or_else(|| {
        crate::error::ApiError::internal("reading a comment", "its group is missing")
    })
}

/// THE builder of the `Comment` shape. `callerReactions` and `reactionCounts` are computed
/// for the caller of this request; a deleted comment has no `content`.
fn view(conn: &Connection, c: &CommentRow, caller_arn: &str) -> ApiResult<Comment> {
    let mut summaries = records::reaction_summaries(conn, &[c.key], caller_arn)?;
    Ok(view_with(c, summaries.remove(&c.key).unwrap_or_default()))
}

/// [`view`] with the reactions already read (a page reads them for all its comments at once).
fn view_with(c: &CommentRow, reactions: records::Summary) -> Comment {
    Comment {
        comment_id: Some(c.comment_id.clone()),
        content: if c.deleted { None } else { c.content.clone() },
        in_reply_to: c.in_reply_to.clone(),
        creation_date: Some(c.creation_date),
        last_modified_date: Some(c.last_modified_date),
        author_arn: Some(c.author_arn.clone()),
        deleted: Some(c.deleted),
        client_request_token: c.client_request_token.clone(),
        caller_reactions: Some(reactions.mine.into_iter().collect()),
        reaction_counts: Some(reactions.counts),
    }
}

fn location_view(place: &Option<Place>) -> Option<Location> {
    place.as_ref().map(|p| Location {
        file_path: Some(p.path.clone()),
        file_position: p.position,
        relative_file_version: p.version.map(|v| match v {
            Version::Before => RelativeFileVersionEnum::Before,
            Version::After => RelativeFileVersionEnum::After,
        }),
    })
}

/// The public id of the pull request a group is on.
fn pull_request_id(conn: &Connection, g: &GroupRow) -> ApiResult<Option<String>> {
    Ok(match g.id.pull_request_key {
        Some(key) => records::pull_request_number(conn, key)?.map(|n| n.to_string()),
        None => None,
    })
}

/// The repository's current name (comments follow renames: they store its id).
fn repository_name(ctx: &Ctx<'_>, repository_id: &str) -> Option<String> {
    ctx.state
        .store
        .get_by_id(repository_id)
        .map(|r| r.name.clone())
}

/// A comment was posted or edited: the event for the internal stream (EventBridge "CodeCommit
/// Comment on Pull Request" / "… on Commit").
fn publish(
    ctx: &Ctx<'_>,
    kind: ChangeKind,
    g: &GroupRow,
    pull_request_id: Option<String>,
    c: &CommentRow,
) {
    events::publish(
        ctx.state,
        Event::Comment(CommentEvent {
            account: ctx.account.clone(),
            region: ctx.region.clone(),
            kind,
            caller_arn: ctx.caller_arn(),
            repository_id: g.id.repository_id.clone(),
            repository_name: repository_name(ctx, &g.id.repository_id).unwrap_or_default(),
            pull_request_id,
            before_commit_id: g.id.before.clone(),
            after_commit_id: Some(g.id.after.clone()),
            comment_id: c.comment_id.clone(),
            in_reply_to: c.in_reply_to.clone(),
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_id_shapes() {
        let u = "a7e5471e-0123-4567-89ab-cdef01234567";
        assert!(is_valid_comment_id(u));
        assert!(is_valid_comment_id(&u.to_ascii_uppercase()));
        assert!(is_valid_comment_id(&format!("{u}:{u}")));
        for bad in [
            "",
            "abc",
            "a7e5471e-0123-4567-89ab",
            "a7e5471e01234567-89ab-cdef-01234567",
            "g7e5471e-0123-4567-89ab-cdef01234567",
            &format!("{u}:"),
            &format!("{u}:{u}:{u}"),
        ] {
            assert!(!is_valid_comment_id(bad), "{bad}");
        }
    }
}
