//! CreatePullRequestApprovalRule, UpdatePullRequestApprovalRuleContent and
//! DeletePullRequestApprovalRule: rules on open pull requests; rules made from a template can
//! be neither changed nor deleted (only overridden).

use super::records::{self, RuleRow};
use super::*;
use crate::api::now_epoch;
use crate::api::pull_requests::{self, records as pr_records};

pub fn create_pull_request_approval_rule(
    ctx: &Ctx<'_>,
    input: CreatePullRequestApprovalRuleInput,
) -> ApiResult<CreatePullRequestApprovalRuleOutput> {
    let number = pull_requests::pull_request_number(&input.pull_request_id)?;
    let name = rule_name(&input.approval_rule_name)?;
    let (content, parsed) = rule_content(&input.approval_rule_content)?;
    let now = now_epoch();
    let actor = &ctx.caller.arn;
    let (rule, view) = ctx.state.store.write(|tx| {
        let pr = pull_requests::find_in(ctx, tx, number)?;
        check_open(&pr)?;
        if records::rule_by_name(tx, pr.key, name)?.is_some() {
            bail!(
                ApprovalRuleNameAlreadyExists,
                "An approval rule named {name} already exists on pull request {number}. Approval rule names must be unique within the scope of a pull request."
            )
        }
        if records::count_rules(tx, pr.key)? >= MAX_RULES_PER_PULL_REQUEST {
            bail!(
                NumberOfRulesExceeded,
                "The approval rule cannot be added. The pull request {number} has the maximum number of approval rules ({MAX_RULES_PER_PULL_REQUEST}) associated with it."
            )
        }
        let mut rule = RuleRow {
            seq: 0,
            pull_request_key: pr.key,
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            content: content.to_owned(),
            content_sha256: content::sha256_hex(content),
            requirements: parsed.requirements(),
            creation_date: now,
            last_modified_date: now,
            last_modified_user: actor.clone(),
            author_arn: actor.clone(),
            origin: None,
        };
        records::insert_rule(tx, &mut rule)?;
        pr_records::log_event(
            tx,
            pr.key,
            &PullRequestEventType::PullRequestApprovalRuleCreated,
            actor,
            now,
            &rule_metadata(&rule),
        )?;
        pull_requests::touch(tx, pr.key, now)?;
        refresh_evaluation(tx, &pr)?;
        let pr = pull_requests::find_in(ctx, tx, number)?;
        Ok((rule, pull_requests::view(ctx.state, tx, &pr)?))
    })?;
    publish(
        ctx,
        Change {
            kind: PullRequestEventKind::ApprovalRuleCreated,
            pull_request: view,
            approval_rule: Some(rule_ref(&rule)),
            override_status: None,
            approval_status: None,
        },
    );
    Ok(CreatePullRequestApprovalRuleOutput {
        approval_rule: Some(rule_view(&rule)),
    })
}

pub fn update_pull_request_approval_rule_content(
    ctx: &Ctx<'_>,
    input: UpdatePullRequestApprovalRuleContentInput,
) -> ApiResult<UpdatePullRequestApprovalRuleContentOutput> {
    let number = pull_requests::pull_request_number(&input.pull_request_id)?;
    let name = rule_name(&input.approval_rule_name)?;
    let (content, parsed) = rule_content(&input.new_rule_content)?;
    let now = now_epoch();
    let actor = &ctx.caller.arn;
    let (rule, view) = ctx.state.store.write(|tx| {
        let pr = pull_requests::find_in(ctx, tx, number)?;
        check_open(&pr)?;
        let Some(mut rule) = records::rule_by_name(tx, pr.key, name)? else {
            bail!(
                ApprovalRuleDoesNotExist,
                "The specified approval rule does not exist: pull request {number} has no approval rule named {name}."
            )
        };
        if rule.origin.is_some() {
            bail!(
                CannotModifyApprovalRuleFromTemplate,
                "The approval rule {name} cannot be modified for the pull request because it was created by an approval rule template and applied to the pull request automatically."
            )
        }
        check_sha256(&input.existing_rule_content_sha256, &rule.content_sha256)?;
        rule.content = content.to_owned();
        rule.content_sha256 = content::sha256_hex(content);
        rule.requirements = parsed.requirements();
        rule.last_modified_date = now;
        rule.last_modified_user = actor.clone();
        records::update_rule_content(tx, &rule)?;
        pr_records::log_event(
            tx,
            pr.key,
            &PullRequestEventType::PullRequestApprovalRuleUpdated,
            actor,
            now,
            &rule_metadata(&rule),
        )?;
        pull_requests::touch(tx, pr.key, now)?;
        refresh_evaluation(tx, &pr)?;
        let pr = pull_requests::find_in(ctx, tx, number)?;
        Ok((rule, pull_requests::view(ctx.state, tx, &pr)?))
    })?;
    publish(
        ctx,
        Change {
            kind: PullRequestEventKind::ApprovalRuleUpdated,
            pull_request: view,
            approval_rule: Some(rule_ref(&rule)),
            override_status: None,
            approval_status: None,
        },
    );
    Ok(UpdatePullRequestApprovalRuleContentOutput {
        approval_rule: Some(rule_view(&rule)),
    })
}

/// A rule that is already gone (or never was) answers 200 without an id: "If the approval
/// rule was deleted in an earlier API call, the response is 200 OK without content."
pub fn delete_pull_request_approval_rule(
    ctx: &Ctx<'_>,
    input: DeletePullRequestApprovalRuleInput,
) -> ApiResult<DeletePullRequestApprovalRuleOutput> {
    let number = pull_requests::pull_request_number(&input.pull_request_id)?;
    let name = rule_name(&input.approval_rule_name)?;
    let now = now_epoch();
    let actor = &ctx.caller.arn;
    let deleted = ctx.state.store.write(|tx| {
        let pr = pull_requests::find_in(ctx, tx, number)?;
        check_open(&pr)?;
        let Some(rule) = records::rule_by_name(tx, pr.key, name)? else {
            return Ok(None);
        };
        if rule.origin.is_some() {
            bail!(
                CannotDeleteApprovalRuleFromTemplate,
                "The approval rule {name} cannot be deleted from the pull request because it was created by an approval rule template and applied to the pull request automatically."
            )
        }
        records::delete_rule(tx, rule.seq)?;
        pr_records::log_event(
            tx,
            pr.key,
            &PullRequestEventType::PullRequestApprovalRuleDeleted,
            actor,
            now,
            &rule_metadata(&rule),
        )?;
        pull_requests::touch(tx, pr.key, now)?;
        refresh_evaluation(tx, &pr)?;
        let pr = pull_requests::find_in(ctx, tx, number)?;
        Ok(Some((rule, pull_requests::view(ctx.state, tx, &pr)?)))
    })?;
    let Some((rule, view)) = deleted else {
        return Ok(DeletePullRequestApprovalRuleOutput {
            approval_rule_id: None,
        });
    };
    publish(
        ctx,
        Change {
            kind: PullRequestEventKind::ApprovalRuleDeleted,
            pull_request: view,
            approval_rule: Some(rule_ref(&rule)),
            override_status: None,
            approval_status: None,
        },
    );
    Ok(DeletePullRequestApprovalRuleOutput {
        approval_rule_id: Some(rule.id),
    })
}
