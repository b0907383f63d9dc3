//! The template operations: Create, Get, Delete, List and the three updates (name,
//! description, content). Templates belong to an account and region, with unique names;
//! editing or deleting one never changes rules already made from it.

use super::records::{self, TemplateRow};
use super::*;
use crate::api::{now_epoch, paginate};
use crate::events::payload::{TemplateEvent, TemplateEventKind};
use std::collections::BTreeMap;

/// Templates per account and region (codecommit-facts.md §1).
pub const MAX_TEMPLATES: usize = 1000;
/// `approvalRuleTemplateDescription`: 0–1,000 characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// List pages: AWS documents no default or maximum; 100 by default, up to 1,000 (as
/// ListPullRequests here).
pub(crate) const PAGE: usize = 100;
pub(crate) const PAGE_MAX: usize = 1000;

pub(crate) fn template_view(t: &TemplateRow) -> ApprovalRuleTemplate {
    ApprovalRuleTemplate {
        approval_rule_template_id: Some(t.id.clone()),
        approval_rule_template_name: Some(t.name.clone()),
        approval_rule_template_description: t.description.clone(),
        approval_rule_template_content: Some(t.content.clone()),
        rule_content_sha256: Some(t.content_sha256.clone()),
        last_modified_date: Some(t.last_modified_date),
        creation_date: Some(t.creation_date),
        last_modified_user: Some(t.last_modified_user.clone()),
    }
}

pub(crate) fn does_not_exist(name: &str) -> crate::error::ApiError {
    crate::err!(
        ApprovalRuleTemplateDoesNotExist,
        "The specified approval rule template does not exist: {}. Verify that the name is correct and that you are signed in to the AWS Region where the template was created, and then try again.",
        validate::printable(name)
    )
}

/// The caller's template named `name`, on `conn`.
pub(crate) fn find(ctx: &Ctx<'_>, conn: &Connection, name: &str) -> ApiResult<TemplateRow> {
    records::template_by_name(conn, &ctx.account, &ctx.region, name)?
        .ok_or_else(|| does_not_exist(name))
}

fn description(v: &Option<String>) -> ApiResult<()> {
    if let Some(d) = v
        && d.chars().count() > MAX_DESCRIPTION_CHARS
    {
        bail!(
            InvalidApprovalRuleTemplateDescription,
            "The description for the approval rule template is not valid because it exceeds the maximum characters allowed for a description ({MAX_DESCRIPTION_CHARS})."
        )
    }
    Ok(())
}

fn name_taken(name: &str) -> crate::error::ApiError {
    crate::err!(
        ApprovalRuleTemplateNameAlreadyExists,
        "You cannot create an approval rule template with the name {name} because a template with that name already exists in this AWS Region for your AWS account. Approval rule template names must be unique."
    )
}

/// A template event for the internal stream.
pub(crate) fn publish_template(
    ctx: &Ctx<'_>,
    kind: TemplateEventKind,
    t: &TemplateRow,
    repositories: BTreeMap<String, String>,
) {
    crate::events::publish(
        ctx.state,
        crate::events::Event::ApprovalRuleTemplate(TemplateEvent {
            account: ctx.account.clone(),
            region: ctx.region.clone(),
            kind,
            caller_arn: ctx.caller.arn.clone(),
            template_id: t.id.clone(),
            template_name: t.name.clone(),
            content_sha256: t.content_sha256.clone(),
            creation_date: t.creation_date,
            last_modified_date: t.last_modified_date,
            repositories,
        }),
    );
}

pub fn create_approval_rule_template(
    ctx: &Ctx<'_>,
    input: CreateApprovalRuleTemplateInput,
) -> ApiResult<CreateApprovalRuleTemplateOutput> {
    let name = template_name(&input.approval_rule_template_name)?;
    let (content, parsed) = template_content(&input.approval_rule_template_content)?;
    description(&input.approval_rule_template_description)?;
    let now = now_epoch();
    let mut t = TemplateRow {
        seq: 0,
        id: uuid::Uuid::new_v4().to_string(),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        name: name.to_owned(),
        description: input.approval_rule_template_description.clone(),
        content: content.to_owned(),
        content_sha256: content::sha256_hex(content),
        requirements: parsed.requirements(),
        destinations: parsed.destinations_column(),
        creation_date: now,
        last_modified_date: now,
        last_modified_user: ctx.caller.arn.clone(),
    };
    ctx.state.store.write(|tx| {
        if records::template_by_name(tx, &ctx.account, &ctx.region, name)?.is_some() {
            return Err(name_taken(name));
        }
        if records::count_templates(tx, &ctx.account, &ctx.region)? >= MAX_TEMPLATES {
            bail!(
                NumberOfRuleTemplatesExceeded,
                "The maximum number of approval rule templates ({MAX_TEMPLATES}) has been exceeded for this AWS Region."
            )
        }
        records::insert_template(tx, &mut t)
    })?;
    publish_template(ctx, TemplateEventKind::Created, &t, BTreeMap::new());
    Ok(CreateApprovalRuleTemplateOutput {
        approval_rule_template: Some(template_view(&t)),
    })
}

pub fn get_approval_rule_template(
    ctx: &Ctx<'_>,
    input: GetApprovalRuleTemplateInput,
) -> ApiResult<GetApprovalRuleTemplateOutput> {
    let name = template_name(&input.approval_rule_template_name)?;
    let t = ctx.state.store.read(|conn| find(ctx, conn, name))?;
    Ok(GetApprovalRuleTemplateOutput {
        approval_rule_template: Some(template_view(&t)),
    })
}

/// A template that does not exist answers 200 without an id ("If the template has been
/// previously deleted, the only response is a 200 OK"); one still associated with a
/// repository is refused.
pub fn delete_approval_rule_template(
    ctx: &Ctx<'_>,
    input: DeleteApprovalRuleTemplateInput,
) -> ApiResult<DeleteApprovalRuleTemplateOutput> {
    let name = template_name(&input.approval_rule_template_name)?;
    let deleted = ctx.state.store.write(|tx| {
        let Some(t) = records::template_by_name(tx, &ctx.account, &ctx.region, name)? else {
            return Ok(None);
        };
        if records::has_associations(tx, t.seq)? {
            bail!(
                ApprovalRuleTemplateInUse,
                "The approval rule template {name} is associated with one or more repositories. You cannot delete a template that is associated with a repository. Remove all associations, and then try again."
            )
        }
        records::delete_template(tx, t.seq)?;
        Ok(Some(t))
    })?;
    let Some(t) = deleted else {
        return Ok(DeleteApprovalRuleTemplateOutput {
            approval_rule_template_id: None,
        });
    };
    publish_template(ctx, TemplateEventKind::Deleted, &t, BTreeMap::new());
    Ok(DeleteApprovalRuleTemplateOutput {
        approval_rule_template_id: Some(t.id),
    })
}

/// All the templates of the caller's account and region, in creation order.
pub fn list_approval_rule_templates(
    ctx: &Ctx<'_>,
    input: ListApprovalRuleTemplatesInput,
) -> ApiResult<ListApprovalRuleTemplatesOutput> {
    let limit = paginate::page_size(input.max_results, PAGE, PAGE_MAX)?;
    let kind = format!("approval-rule-templates/{}/{}", ctx.account, ctx.region);
    let after = paginate::decode_index(&kind, &input.next_token)? as i64;
    let mut rows = ctx
        .state
        .store
        .read(|conn| records::template_names(conn, &ctx.account, &ctx.region, after, limit + 1))?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_token = more
        .then(|| {
            rows.last()
                .map(|(seq, _)| paginate::encode(&kind, &seq.to_string()))
        })
        .flatten();
    Ok(ListApprovalRuleTemplatesOutput {
        approval_rule_template_names: Some(rows.into_iter().map(|(_, n)| n).collect()),
        next_token,
    })
}

/// Applies `change` to the caller's template `name` and stores it, as `actor` now.
fn update(
    ctx: &Ctx<'_>,
    name: &str,
    change: impl FnOnce(&Connection, &mut TemplateRow) -> ApiResult<()>,
) -> ApiResult<TemplateRow> {
    let now = now_epoch();
    let t = ctx.state.store.write(|tx| {
        let mut t = find(ctx, tx, name)?;
        change(tx, &mut t)?;
        t.last_modified_date = now;
        t.last_modified_user = ctx.caller.arn.clone();
        records::save_template(tx, &t)?;
        Ok(t)
    })?;
    publish_template(ctx, TemplateEventKind::Updated, &t, BTreeMap::new());
    Ok(t)
}

/// Renames a template. Rules already made from it keep the name they were made with.
pub fn update_approval_rule_template_name(
    ctx: &Ctx<'_>,
    input: UpdateApprovalRuleTemplateNameInput,
) -> ApiResult<UpdateApprovalRuleTemplateNameOutput> {
    let old = template_name(&input.old_approval_rule_template_name)?;
    let new = template_name(&input.new_approval_rule_template_name)?;
    let t = update(ctx, old, |tx, t| {
        if records::template_by_name(tx, &ctx.account, &ctx.region, new)?.is_some() {
            return Err(name_taken(new));
        }
        t.name = new.to_owned();
        Ok(())
    })?;
    Ok(UpdateApprovalRuleTemplateNameOutput {
        approval_rule_template: Some(template_view(&t)),
    })
}

/// `approvalRuleTemplateDescription` is required here; an empty string clears it.
pub fn update_approval_rule_template_description(
    ctx: &Ctx<'_>,
    input: UpdateApprovalRuleTemplateDescriptionInput,
) -> ApiResult<UpdateApprovalRuleTemplateDescriptionOutput> {
    let name = template_name(&input.approval_rule_template_name)?;
    let Some(new) = input.approval_rule_template_description.as_deref() else {
        bail!(
            InvalidApprovalRuleTemplateDescription,
            "The description for the approval rule template is required; send an empty description to clear it."
        )
    };
    description(&input.approval_rule_template_description)?;
    let t = update(ctx, name, |_, t| {
        t.description = Some(new.to_owned());
        Ok(())
    })?;
    Ok(UpdateApprovalRuleTemplateDescriptionOutput {
        approval_rule_template: Some(template_view(&t)),
    })
}

/// New content, whole ("Content statements must be complete"); `existingRuleContentSha256`,
/// when given, must be the current content's.
pub fn update_approval_rule_template_content(
    ctx: &Ctx<'_>,
    input: UpdateApprovalRuleTemplateContentInput,
) -> ApiResult<UpdateApprovalRuleTemplateContentOutput> {
    let name = template_name(&input.approval_rule_template_name)?;
    let (content, parsed) = template_content(&input.new_rule_content)?;
    let t = update(ctx, name, |_, t| {
        check_sha256(&input.existing_rule_content_sha256, &t.content_sha256)?;
        t.content = content.to_owned();
        t.content_sha256 = content::sha256_hex(content);
        t.requirements = parsed.requirements();
        t.destinations = parsed.destinations_column();
        Ok(())
    })?;
    Ok(UpdateApprovalRuleTemplateContentOutput {
        approval_rule_template: Some(template_view(&t)),
    })
}
