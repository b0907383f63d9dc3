//! UpdateComment (the author only) and DeleteCommentContent (anyone who may call it: its
//! errors have no CommentNotCreatedByCaller, and the User Guide ties it to the
//! DeleteCommentContent permission rather than to authorship).

use super::*;
use crate::api::{now_epoch, pull_requests};
use codecommit_model::shapes::*;

pub fn update_comment(ctx: &Ctx<'_>, input: UpdateCommentInput) -> ApiResult<UpdateCommentOutput> {
    let id = comment_id(&input.comment_id)?;
    let text = content(&input.content)?;
    let caller = ctx.caller_arn();
    let now = now_epoch();
    let (c, g, pr, comment) = ctx.state.store.write(|tx| {
        let mut c = find(ctx, tx, &id)?;
        if c.deleted {
            return Err(deleted_error());
        }
        if c.author_arn != caller {
            bail!(
                CommentNotCreatedByCaller,
                "You cannot modify or delete this comment. Only comment authors can modify or delete their comments."
            )
        }
        c.content = Some(text.to_owned());
        c.last_modified_date = now.max(c.last_modified_date);
        records::save(tx, &c)?;
        let g = group_of(tx, &c)?;
        if let Some(key) = g.id.pull_request_key {
            pull_requests::touch(tx, key, now)?;
        }
        let pr = pull_request_id(tx, &g)?;
        let comment = view(tx, &c, &caller)?;
        Ok((c, g, pr, comment))
    })?;
    publish(ctx, ChangeKind::Updated, &g, pr, &c);
    Ok(UpdateCommentOutput {
        comment: Some(comment),
    })
}

/// The comment stays (in the listings, with its reactions) with `deleted: true` and no
/// content. AWS documents no event for it, so none is published.
pub fn delete_comment_content(
    ctx: &Ctx<'_>,
    input: DeleteCommentContentInput,
) -> ApiResult<DeleteCommentContentOutput> {
    let id = comment_id(&input.comment_id)?;
    let caller = ctx.caller_arn();
    let now = now_epoch();
    let comment = ctx.state.store.write(|tx| {
        let mut c = find(ctx, tx, &id)?;
        if c.deleted {
            return Err(deleted_error());
        }
        c.content = None;
        c.deleted = true;
        c.last_modified_date = now.max(c.last_modified_date);
        records::save(tx, &c)?;
        view(tx, &c, &caller)
    })?;
    Ok(DeleteCommentContentOutput {
        comment: Some(comment),
    })
}
