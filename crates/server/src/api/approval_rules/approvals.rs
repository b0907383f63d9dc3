//! UpdatePullRequestApprovalState, GetPullRequestApprovalStates,
//! OverridePullRequestApprovalRules, GetPullRequestOverrideState and
//! EvaluatePullRequestApprovalRules. Approvals and overrides are set on the current revision
//! of an open pull request and read for any of its revisions; REVOKE is not stored, it removes.
//! Approving twice, revoking what is not there, and revoking an override that is not set
//! change nothing and log no event.

use super::records;
use super::*;
use crate::api::now_epoch;
use crate::api::pull_requests::{self, records as pr_records};

pub fn update_pull_request_approval_state(
    ctx: &Ctx<'_>,
    input: UpdatePullRequestApprovalStateInput,
) -> ApiResult<()> {
    let number = pull_requests::pull_request_number(&input.pull_request_id)?;
    let revision = revision_id(&input.revision_id)?;
    let approve = match &input.approval_state {
        None => bail!(
            ApprovalStateRequired,
            "An approval state is required, but was not specified."
        ),
        Some(ApprovalState::Approve) => true,
        Some(ApprovalState::Revoke) => false,
        Some(ApprovalState::Unknown(s)) => bail!(
            InvalidApprovalState,
            "The state for the approval is not valid: {}. Valid values include APPROVE and REVOKE.",
            validate::printable(s)
        ),
    };
    let now = now_epoch();
    let actor = &ctx.caller.arn;
    let changed = ctx.state.store.write(|tx| {
        let pr = pull_requests::find_in(ctx, tx, number)?;
        check_revision(tx, &pr, revision)?;
        check_open(&pr)?;
        check_current(&pr, revision)?;
        let has = records::has_approved(tx, pr.key, revision, actor)?;
        if approve {
            if *actor == pr.author_arn {
                bail!(
                    PullRequestCannotBeApprovedByAuthor,
                    "The approval cannot be applied because the user approving the pull request matches the user who created the pull request. You cannot approve a pull request that you created."
                )
            }
            if has {
                return Ok(None);
            }
            if records::count_approvals(tx, pr.key, revision)? >= MAX_APPROVALS {
                bail!(
                    MaximumNumberOfApprovalsExceeded,
                    "The pull request {number} already has the maximum number of approvals ({MAX_APPROVALS})."
                )
            }
            records::insert_approval(tx, pr.key, revision, actor, now)?;
        } else {
            if !has {
                return Ok(None);
            }
            records::delete_approval(tx, pr.key, revision, actor)?;
        }
        let status = if approve { "APPROVE" } else { "REVOKE" };
        pr_records::log_event(
            tx,
            pr.key,
            &PullRequestEventType::PullRequestApprovalStateChanged,
            actor,
            now,
            &serde_json::json!({"approvalStateChangedEventMetadata": {
                "revisionId": revision,
                "approvalStatus": status,
            }}),
        )?;
        pull_requests::touch(tx, pr.key, now)?;
        refresh_evaluation(tx, &pr)?;
        let pr = pull_requests::find_in(ctx, tx, number)?;
        Ok(Some((status, pull_requests::view(ctx.state, tx, &pr)?)))
    })?;
    if let Some((status, view)) = changed {
        publish(
            ctx,
            Change {
                kind: PullRequestEventKind::ApprovalStateChanged,
                pull_request: view,
                approval_rule: None,
                override_status: None,
                approval_status: Some(status.to_owned()),
            },
        );
    }
    Ok(())
}

pub fn get_pull_request_approval_states(
    ctx: &Ctx<'_>,
    input: GetPullRequestApprovalStatesInput,
) -> ApiResult<GetPullRequestApprovalStatesOutput> {
    let number = pull_requests::pull_request_number(&input.pull_request_id)?;
    let revision = revision_id(&input.revision_id)?;
    let approvers = ctx.state.store.read(|conn| {
        let pr = pull_requests::find_in(ctx, conn, number)?;
        check_revision(conn, &pr, revision)?;
        records::approvers(conn, pr.key, revision)
    })?;
    Ok(GetPullRequestApprovalStatesOutput {
        approvals: Some(
            approvers
                .into_iter()
                .map(|arn| Approval {
                    user_arn: Some(arn),
                    approval_state: Some(ApprovalState::Approve),
                })
                .collect(),
        ),
    })
}

/// Sets aside every rule of the current revision at once (or revokes that); anyone may.
pub fn override_pull_request_approval_rules(
    ctx: &Ctx<'_>,
    input: OverridePullRequestApprovalRulesInput,
) -> ApiResult<()> {
    let number = pull_requests::pull_request_number(&input.pull_request_id)?;
    let revision = revision_id(&input.revision_id)?;
    let set = match &input.override_status {
        None => bail!(
            OverrideStatusRequired,
            "An override status is required, but no value was provided. Valid values include OVERRIDE and REVOKE."
        ),
        Some(OverrideStatus::Override) => true,
        Some(OverrideStatus::Revoke) => false,
        Some(OverrideStatus::Unknown(s)) => bail!(
            InvalidOverrideStatus,
            "The override status is not valid: {}. Valid statuses are OVERRIDE and REVOKE.",
            validate::printable(s)
        ),
    };
    let now = now_epoch();
    let actor = &ctx.caller.arn;
    let changed = ctx.state.store.write(|tx| {
        let pr = pull_requests::find_in(ctx, tx, number)?;
        check_revision(tx, &pr, revision)?;
        check_open(&pr)?;
        check_current(&pr, revision)?;
        let current = records::overrider(tx, pr.key, revision)?;
        if set {
            if current.is_some() {
                bail!(
                    OverrideAlreadySet,
                    "The pull request {number} has already had its approval rules set to override."
                )
            }
            records::set_override(tx, pr.key, revision, actor, now)?;
        } else {
            if current.is_none() {
                return Ok(None);
            }
            records::delete_override(tx, pr.key, revision)?;
        }
        let status = if set { "OVERRIDE" } else { "REVOKE" };
        pr_records::log_event(
            tx,
            pr.key,
            &PullRequestEventType::PullRequestApprovalRuleOverridden,
            actor,
            now,
            &serde_json::json!({"approvalRuleOverriddenEventMetadata": {
                "revisionId": revision,
                "overrideStatus": status,
            }}),
        )?;
        pull_requests::touch(tx, pr.key, now)?;
        refresh_evaluation(tx, &pr)?;
        let pr = pull_requests::find_in(ctx, tx, number)?;
        Ok(Some((status, pull_requests::view(ctx.state, tx, &pr)?)))
    })?;
    if let Some((status, view)) = changed {
        publish(
            ctx,
            Change {
                kind: PullRequestEventKind::ApprovalRuleOverridden,
                pull_request: view,
                approval_rule: None,
                override_status: Some(status.to_owned()),
                approval_status: None,
            },
        );
    }
    Ok(())
}

pub fn get_pull_request_override_state(
    ctx: &Ctx<'_>,
    input: GetPullRequestOverrideStateInput,
) -> ApiResult<GetPullRequestOverrideStateOutput> {
    let number = pull_requests::pull_request_number(&input.pull_request_id)?;
    let revision = revision_id(&input.revision_id)?;
    let overrider = ctx.state.store.read(|conn| {
        let pr = pull_requests::find_in(ctx, conn, number)?;
        check_revision(conn, &pr, revision)?;
        records::overrider(conn, pr.key, revision)
    })?;
    Ok(GetPullRequestOverrideStateOutput {
        overridden: Some(overrider.is_some()),
        overrider,
    })
}

pub fn evaluate_pull_request_approval_rules(
    ctx: &Ctx<'_>,
    input: EvaluatePullRequestApprovalRulesInput,
) -> ApiResult<EvaluatePullRequestApprovalRulesOutput> {
    let number = pull_requests::pull_request_number(&input.pull_request_id)?;
    let revision = revision_id(&input.revision_id)?;
    let evaluated = ctx.state.store.read(|conn| {
        let pr = pull_requests::find_in(ctx, conn, number)?;
        check_revision(conn, &pr, revision)?;
        check_current(&pr, revision)?;
        evaluate(conn, pr.key, Some(revision))
    })?;
    let approved = evaluated.approved();
    Ok(EvaluatePullRequestApprovalRulesOutput {
        evaluation: Some(Evaluation {
            approved: Some(approved),
            overridden: Some(evaluated.overridden),
            approval_rules_satisfied: Some(evaluated.satisfied),
            approval_rules_not_satisfied: Some(evaluated.not_satisfied),
        }),
    })
}
