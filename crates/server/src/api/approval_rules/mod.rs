//! Approval rules, approvals, overrides and approval rule templates (codecommit-facts.md §3
//! "Approval rules" and "Approval rule templates"; facts-9-10 §3–§5).
//!
//! * `content.rs`: the rule grammar (strict, stored verbatim), `ruleContentSha256`, branch
//!   filters
//! * `pool.rs`: who counts as an approver, and evaluation
//! * `records.rs`: the tables (schema migration 4)
//! * `rules.rs`: Create / UpdateContent / Delete PullRequestApprovalRule
//! * `approvals.rs`: approval states, overrides, EvaluatePullRequestApprovalRules
//! * `templates.rs`: the template operations
//! * `associations.rs`: templates ↔ repositories
//!
//! Pull requests call in at three places: [`rules_view`] (`PullRequest.approvalRules`),
//! [`attach_template_rules`] (CreatePullRequest's transaction) and [`check_merge_allowed`]
//! (the merge gate). Approvals and overrides belong to one revision: a push to the source
//! branch starts a revision with neither.

mod approvals;
mod associations;
pub(crate) mod content;
pub(crate) mod pool;
pub(crate) mod records;
mod rules;
mod templates;

pub use approvals::{
    evaluate_pull_request_approval_rules, get_pull_request_approval_states,
    get_pull_request_override_state, override_pull_request_approval_rules,
    update_pull_request_approval_state,
};
pub use associations::{
    associate_approval_rule_template_with_repository,
    batch_associate_approval_rule_template_with_repositories,
    batch_disassociate_approval_rule_template_from_repositories,
    disassociate_approval_rule_template_from_repository,
    list_associated_approval_rule_templates_for_repository,
    list_repositories_for_approval_rule_template,
};
pub use rules::{
    create_pull_request_approval_rule, delete_pull_request_approval_rule,
    update_pull_request_approval_rule_content,
};
pub use templates::{
    create_approval_rule_template, delete_approval_rule_template, get_approval_rule_template,
    list_approval_rule_templates, update_approval_rule_template_content,
    update_approval_rule_template_description, update_approval_rule_template_name,
};

use super::pull_requests::records::{PullRequestRow, Status};
use super::{Ctx, validate};
use crate::bail;
use crate::error::ApiResult;
use crate::events::payload::{ApprovalRuleRef, PullRequestEvent, PullRequestEventKind};
use codecommit_model::shapes::*;
use content::Parsed;
use records::RuleRow;
use rusqlite::Connection;

/// Rules on one pull request (codecommit-facts.md §1), of which at most 25 come from templates
/// (a repository has at most 25 templates associated, so creation cannot exceed that).
pub const MAX_RULES_PER_PULL_REQUEST: usize = 30;
pub const MAX_TEMPLATE_RULES_PER_PULL_REQUEST: usize = 25;
/// Approvals on one pull request (one revision: approvals of earlier revisions no longer count).
pub const MAX_APPROVALS: usize = 200;

/// Rule and template names (codecommit-facts.md §1): 1–100 letters, digits, periods, spaces,
/// underscores and dashes, not ending in `.git`.
pub fn is_valid_rule_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b' ' | b'_' | b'-'))
        && !name.to_ascii_lowercase().ends_with(".git")
}

/// A required `approvalRuleName`.
pub(crate) fn rule_name(v: &Option<String>) -> ApiResult<&str> {
    let Some(name) = validate::present(v) else {
        bail!(
            ApprovalRuleNameRequired,
            "An approval rule name is required, but was not specified."
        )
    };
    if !is_valid_rule_name(name) {
        bail!(
            InvalidApprovalRuleName,
            "The name for the approval rule is not valid: {}. Approval rule names are 1 to 100 letters, numbers, periods, spaces, underscores and dashes, and cannot end in .git.",
            validate::printable(name)
        )
    }
    Ok(name)
}

/// A required approval rule template name (any of the template operations' name members).
pub(crate) fn template_name(v: &Option<String>) -> ApiResult<&str> {
    let Some(name) = validate::present(v) else {
        bail!(
            ApprovalRuleTemplateNameRequired,
            "An approval rule template name is required, but was not specified."
        )
    };
    if !is_valid_rule_name(name) {
        bail!(
            InvalidApprovalRuleTemplateName,
            "The name of the approval rule template is not valid: {}. Template names must be between 1 and 100 valid characters in length (letters, numbers, periods, spaces, underscores and dashes) and cannot end in .git.",
            validate::printable(name)
        )
    }
    Ok(name)
}

/// A required rule content (`approvalRuleContent`, UpdatePullRequestApprovalRuleContent's
/// `newRuleContent`), checked against the grammar.
pub(crate) fn rule_content(v: &Option<String>) -> ApiResult<(&str, Parsed)> {
    let Some(c) = validate::present(v) else {
        bail!(
            ApprovalRuleContentRequired,
            "The content for the approval rule is empty. You must provide some content for an approval rule. The content cannot be null."
        )
    };
    match content::parse(c) {
        Ok(p) => Ok((c, p)),
        Err(why) => bail!(
            InvalidApprovalRuleContent,
            "The content for the approval rule is not valid. {why}"
        ),
    }
}

/// A required template content, checked against the grammar.
pub(crate) fn template_content(v: &Option<String>) -> ApiResult<(&str, Parsed)> {
    let Some(c) = validate::present(v) else {
        bail!(
            ApprovalRuleTemplateContentRequired,
            "The content for the approval rule template is empty. You must provide some content for an approval rule template. The content cannot be null."
        )
    };
    match content::parse(c) {
        Ok(p) => Ok((c, p)),
        Err(why) => bail!(
            InvalidApprovalRuleTemplateContent,
            "The content of the approval rule template is not valid. {why}"
        ),
    }
}

/// `existingRuleContentSha256`, when given, must be the current content's.
pub(crate) fn check_sha256(given: &Option<String>, current: &str) -> ApiResult<()> {
    if let Some(sha) = given.as_deref()
        && sha != current
    {
        bail!(
            InvalidRuleContentSha256,
            "The SHA-256 hash signature for the rule content is not valid: {} is not the hash of the current content ({current}).",
            validate::printable(sha)
        )
    }
    Ok(())
}

/// A required `revisionId`.
pub(crate) fn revision_id(v: &Option<String>) -> ApiResult<&str> {
    match validate::present(v) {
        Some(r) => Ok(r),
        None => bail!(
            RevisionIdRequired,
            "A revision ID is required, but was not provided."
        ),
    }
}

/// `revisionId` must be one of the pull request's revisions.
pub(crate) fn check_revision(
    conn: &Connection,
    pr: &PullRequestRow,
    revision: &str,
) -> ApiResult<()> {
    if !records::has_revision(conn, pr.key, revision)? {
        bail!(
            InvalidRevisionId,
            "The revision ID is not valid: {} is not a revision of pull request {}. Use GetPullRequest to determine the value.",
            validate::printable(revision),
            pr.number
        )
    }
    Ok(())
}

/// Approvals and overrides take the current revision only.
pub(crate) fn check_current(pr: &PullRequestRow, revision: &str) -> ApiResult<()> {
    if pr.revision_id != revision {
        bail!(
            RevisionNotCurrent,
            "The revision ID provided in the request does not match the current revision ID. Use GetPullRequest to retrieve the current revision ID."
        )
    }
    Ok(())
}

pub(crate) fn check_open(pr: &PullRequestRow) -> ApiResult<()> {
    if pr.status == Status::Closed {
        bail!(
            PullRequestAlreadyClosed,
            "The pull request {} is already closed.",
            pr.number
        )
    }
    Ok(())
}

fn rule_view(r: &RuleRow) -> ApprovalRule {
    ApprovalRule {
        approval_rule_id: Some(r.id.clone()),
        approval_rule_name: Some(r.name.clone()),
        approval_rule_content: Some(r.content.clone()),
        rule_content_sha256: Some(r.content_sha256.clone()),
        last_modified_date: Some(r.last_modified_date),
        creation_date: Some(r.creation_date),
        last_modified_user: Some(r.last_modified_user.clone()),
        // Only rules made from a template say where they came from.
        origin_approval_rule_template: r.origin.as_ref().map(|(id, name)| {
            OriginApprovalRuleTemplate {
                approval_rule_template_id: Some(id.clone()),
                approval_rule_template_name: Some(name.clone()),
            }
        }),
    }
}

/// `PullRequest.approvalRules`: the pull request's rules in the order they were made.
pub(crate) fn rules_view(conn: &Connection, key: i64) -> ApiResult<Vec<ApprovalRule>> {
    Ok(records::rules(conn, key)?.iter().map(rule_view).collect())
}

fn rule_ref(r: &RuleRow) -> ApprovalRuleRef {
    ApprovalRuleRef {
        approval_rule_id: r.id.clone(),
        approval_rule_name: r.name.clone(),
        rule_content_sha256: r.content_sha256.clone(),
        author_arn: r.author_arn.clone(),
    }
}

/// The `approvalRuleEventMetadata` of a rule event.
fn rule_metadata(r: &RuleRow) -> serde_json::Value {
    serde_json::json!({"approvalRuleEventMetadata": {
        "approvalRuleName": r.name,
        "approvalRuleId": r.id,
        "approvalRuleContent": r.content,
    }})
}

/// What EvaluatePullRequestApprovalRules reports for one revision.
pub(crate) struct Evaluated {
    pub satisfied: Vec<String>,
    pub not_satisfied: Vec<String>,
    pub overridden: bool,
}

impl Evaluated {
    /// Mergeable through the API: overridden, or every rule satisfied (so also with no rules).
    /// The rule lists keep each rule's own status when overridden (facts-9-10 §3.3).
    pub fn approved(&self) -> bool {
        self.overridden || self.not_satisfied.is_empty()
    }
}

/// The evaluation of `revision`: as stored by the last write that could change it, else
/// (a revision nobody has approved, overridden or added rules on since it began) worked out.
/// `None` stands for a revision not recorded yet (the source moved and the bookkeeping has not
/// caught up): no approvals, no override.
pub(crate) fn evaluate(
    conn: &Connection,
    key: i64,
    revision: Option<&str>,
) -> ApiResult<Evaluated> {
    if let Some(r) = revision
        && let Some((satisfied, not_satisfied, overridden)) =
            records::stored_evaluation(conn, key, r)?
    {
        let names = |s: &str| s.lines().map(str::to_owned).collect();
        return Ok(Evaluated {
            satisfied: names(&satisfied),
            not_satisfied: names(&not_satisfied),
            overridden,
        });
    }
    compute(conn, key, revision)
}

/// Works the evaluation out from the rules, approvals and override.
fn compute(conn: &Connection, key: i64, revision: Option<&str>) -> ApiResult<Evaluated> {
    let rules = records::requirements(conn, key)?;
    let overridden = match revision {
        Some(r) => records::overrider(conn, key, r)?.is_some(),
        None => false,
    };
    let mut out = Evaluated {
        satisfied: Vec::new(),
        not_satisfied: Vec::new(),
        overridden,
    };
    if rules.is_empty() {
        return Ok(out);
    }
    let approved_by = match revision {
        Some(r) => records::approvers(conn, key, r)?,
        None => Vec::new(),
    };
    let mut approvers = pool::Approvers::new(&approved_by);
    for (name, requirements) in rules {
        if approvers.satisfies(&content::decode_requirements(&requirements)) {
            out.satisfied.push(name);
        } else {
            out.not_satisfied.push(name);
        }
    }
    Ok(out)
}

/// Every write that changes a pull request's rules, approvals or override calls this in its
/// transaction: the current revision's evaluation is worked out once and stored for reads.
pub(crate) fn refresh_evaluation(tx: &Connection, pr: &PullRequestRow) -> ApiResult<()> {
    let e = compute(tx, pr.key, Some(&pr.revision_id))?;
    records::store_evaluation(
        tx,
        pr.key,
        &pr.revision_id,
        &e.satisfied.join("\n"),
        &e.not_satisfied.join("\n"),
        e.overridden,
    )
}

/// The merge gate (`pull_requests::merge::check_merge_allowed`): a pull request merges through
/// the API only when its current revision is approved; git pushes never ask. A source branch
/// that has moved past the recorded revision (a push whose bookkeeping is still running) is a
/// new revision, which nobody has approved yet.
pub(crate) fn check_merge_allowed(ctx: &Ctx<'_>, pr: &PullRequestRow) -> ApiResult<()> {
    let mut current = true;
    for t in &pr.targets {
        let repo = ctx.state.git.repo(&t.repository_id)?;
        let tip = crate::git::objects::ref_target(&repo, &t.source_ref)?;
        if tip.map(|id| id.to_string()).as_deref() != Some(t.source_commit.as_str()) {
            current = false;
        }
    }
    let revision = current.then_some(pr.revision_id.as_str());
    let evaluated = ctx
        .state
        .store
        .read(|conn| evaluate(conn, pr.key, revision))?;
    if !evaluated.approved() {
        bail!(
            PullRequestApprovalRulesNotSatisfied,
            "The pull request cannot be merged because one or more approval rules applied to the pull request have conditions that have not been met: {}.",
            evaluated.not_satisfied.join(", ")
        )
    }
    Ok(())
}

/// CreatePullRequest, in its transaction: every template associated with the repository whose
/// branch filters are absent or match the destination becomes a rule named like the template,
/// with its content verbatim and `originApprovalRuleTemplate` set. Made by the pull request's
/// author; no approval-rule events (the pull request's creation is the event).
pub(crate) fn attach_template_rules(
    conn: &Connection,
    pr: &PullRequestRow,
    now: f64,
) -> ApiResult<()> {
    let Some(target) = pr.targets.first() else {
        return Ok(());
    };
    let templates = records::templates_of(conn, &target.repository_id)?;
    for t in templates
        .iter()
        .filter(|t| {
            content::destination_matches(t.destinations.as_deref(), &target.destination_ref)
        })
        .take(MAX_TEMPLATE_RULES_PER_PULL_REQUEST)
    {
        let mut rule = RuleRow {
            seq: 0,
            pull_request_key: pr.key,
            id: uuid::Uuid::new_v4().to_string(),
            name: t.name.clone(),
            content: t.content.clone(),
            content_sha256: t.content_sha256.clone(),
            requirements: t.requirements.clone(),
            creation_date: now,
            last_modified_date: now,
            last_modified_user: pr.author_arn.clone(),
            author_arn: pr.author_arn.clone(),
            origin: Some((t.id.clone(), t.name.clone())),
        };
        records::insert_rule(conn, &mut rule)?;
    }
    refresh_evaluation(conn, pr)
}

/// An approval event for the internal stream.
struct Change {
    kind: PullRequestEventKind,
    pull_request: PullRequest,
    approval_rule: Option<ApprovalRuleRef>,
    override_status: Option<String>,
    approval_status: Option<String>,
}

fn publish(ctx: &Ctx<'_>, c: Change) {
    crate::events::publish(
        ctx.state,
        crate::events::Event::PullRequest(PullRequestEvent {
            account: ctx.account.clone(),
            region: ctx.region.clone(),
            kind: c.kind,
            caller_arn: ctx.caller.arn.clone(),
            pull_request: c.pull_request,
            approval_rule: c.approval_rule,
            override_status: c.override_status,
            approval_status: c.approval_status,
            merge_option: None,
        }),
    );
}
