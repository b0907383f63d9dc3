//! UpdatePullRequestTitle, UpdatePullRequestDescription (open pull requests only) and
//! UpdatePullRequestStatus (OPEN→OPEN, OPEN→CLOSED, CLOSED→CLOSED; never CLOSED→OPEN).

use super::records::{self, PullRequestRow, Status};
use super::*;
use crate::api::now_epoch;

/// Applies `change` to the caller's pull request in one transaction and answers it. `change`
/// returns the events it logged (to publish once the write is on disk).
fn modify(
    ctx: &Ctx<'_>,
    number: i64,
    change: impl FnOnce(&Connection, &mut PullRequestRow, f64) -> ApiResult<Vec<PullRequestEventKind>>,
) -> ApiResult<PullRequest> {
    let now = now_epoch();
    let (view, kinds) = ctx.state.store.write(|tx| {
        let mut pr = find_in(ctx, tx, number)?;
        let kinds = change(tx, &mut pr, now)?;
        Ok((view(ctx.state, tx, &pr)?, kinds))
    })?;
    publish(
        ctx.state,
        &ctx.account,
        &ctx.region,
        kinds
            .into_iter()
            .map(|kind| Published {
                kind,
                caller_arn: ctx.caller.arn.clone(),
                pull_request: view.clone(),
                merge_option: None,
            })
            .collect(),
    );
    Ok(view)
}

fn already_closed(pr: &PullRequestRow) -> ApiResult<()> {
    if pr.status == Status::Closed {
        bail!(
            PullRequestAlreadyClosed,
            "The pull request {} is already closed and cannot be changed.",
            pr.number
        )
    }
    Ok(())
}

pub fn update_pull_request_title(
    ctx: &Ctx<'_>,
    input: UpdatePullRequestTitleInput,
) -> ApiResult<UpdatePullRequestTitleOutput> {
    let number = pull_request_number(&input.pull_request_id)?;
    let title = title(&input.title)?;
    let pr = modify(ctx, number, |tx, pr, now| {
        already_closed(pr)?;
        // A title or description change is activity, but no event type of the log (nor an
        // EventBridge event) describes it.
        if pr.title != title {
            pr.title = title.to_owned();
            records::save(tx, pr)?;
            touch(tx, pr.key, now)?;
            pr.last_activity_date = now;
        }
        Ok(Vec::new())
    })?;
    Ok(UpdatePullRequestTitleOutput {
        pull_request: Some(pr),
    })
}

pub fn update_pull_request_description(
    ctx: &Ctx<'_>,
    input: UpdatePullRequestDescriptionInput,
) -> ApiResult<UpdatePullRequestDescriptionOutput> {
    let number = pull_request_number(&input.pull_request_id)?;
    description(&input.description)?;
    let description = input.description.filter(|d| !d.is_empty());
    let pr = modify(ctx, number, |tx, pr, now| {
        already_closed(pr)?;
        if pr.description != description {
            pr.description = description;
            pr.last_activity_date = now;
            records::save(tx, pr)?;
        }
        Ok(Vec::new())
    })?;
    Ok(UpdatePullRequestDescriptionOutput {
        pull_request: Some(pr),
    })
}

pub fn update_pull_request_status(
    ctx: &Ctx<'_>,
    input: UpdatePullRequestStatusInput,
) -> ApiResult<UpdatePullRequestStatusOutput> {
    let number = pull_request_number(&input.pull_request_id)?;
    let wanted = match &input.pull_request_status {
        None => bail!(
            PullRequestStatusRequired,
            "A pull request status is required, but none was provided."
        ),
        Some(PullRequestStatusEnum::Open) => Status::Open,
        Some(PullRequestStatusEnum::Closed) => Status::Closed,
        Some(PullRequestStatusEnum::Unknown(s)) => bail!(
            InvalidPullRequestStatus,
            "The pull request status is not valid: {}. The only valid values are OPEN and CLOSED.",
            validate::printable(s)
        ),
    };
    let actor = ctx.caller.arn.clone();
    let pr = modify(ctx, number, |tx, pr, now| match (pr.status, wanted) {
        (Status::Closed, Status::Open) => bail!(
            InvalidPullRequestStatusUpdate,
            "The pull request status update is not valid. The only valid updates are from OPEN to OPEN, OPEN to CLOSED or from CLOSED to CLOSED."
        ),
        (Status::Open, Status::Closed) => {
            pr.status = Status::Closed;
            pr.last_activity_date = now;
            records::save(tx, pr)?;
            records::log_event(
                tx,
                pr.key,
                &PullRequestEventType::PullRequestStatusChanged,
                &actor,
                now,
                &closed_metadata(),
            )?;
            Ok(vec![PullRequestEventKind::StatusChanged])
        }
        // OPEN→OPEN and CLOSED→CLOSED change nothing.
        _ => Ok(Vec::new()),
    })?;
    Ok(UpdatePullRequestStatusOutput {
        pull_request: Some(pr),
    })
}
