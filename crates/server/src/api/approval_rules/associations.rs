//! Templates ↔ repositories: Associate / Disassociate (one repository, or a batch that reports
//! each repository's failure in `errors` instead of failing), and the two listings. An
//! association names the repository by id, so renaming the repository keeps it and deleting
//! the repository drops it. Associating again, or disassociating what is not associated,
//! succeeds and changes nothing (AWS documents no exception for either).

use super::records::{self, TemplateRow};
use super::templates::{PAGE, PAGE_MAX, find, publish_template};
use super::*;
use crate::api::{paginate, repositories};
use crate::error::ApiError;
use crate::events::payload::TemplateEventKind;
use crate::store::RepoRecord;
use codecommit_model::ErrorCode;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Templates associated with one repository (codecommit-facts.md §1).
pub const MAX_TEMPLATES_PER_REPOSITORY: usize = 25;
/// Repository names in one batch call.
pub const MAX_BATCH_REPOSITORIES: usize = 100;

fn too_many(rec: &RepoRecord) -> ApiError {
    crate::err!(
        MaximumRuleTemplatesAssociatedWithRepository,
        "The maximum number of approval rule templates for the repository {} has been exceeded. You cannot associate more than {MAX_TEMPLATES_PER_REPOSITORY} approval rule templates with a repository.",
        rec.name
    )
}

/// Associates in the caller's transaction; `Ok(false)` when it already was.
fn associate(tx: &Connection, t: &TemplateRow, rec: &RepoRecord) -> ApiResult<bool> {
    if records::is_associated(tx, t.seq, &rec.id)? {
        return Ok(false);
    }
    if records::count_associated(tx, &rec.id)? >= MAX_TEMPLATES_PER_REPOSITORY {
        return Err(too_many(rec));
    }
    records::associate(tx, t.seq, &rec.id)?;
    Ok(true)
}

fn disassociate(tx: &Connection, t: &TemplateRow, rec: &RepoRecord) -> ApiResult<bool> {
    if !records::is_associated(tx, t.seq, &rec.id)? {
        return Ok(false);
    }
    records::disassociate(tx, t.seq, &rec.id)?;
    Ok(true)
}

/// Associate or disassociate one repository. The repository is looked up under the writer
/// lock, which repository deletion also takes, so it cannot vanish in between.
fn single(
    ctx: &Ctx<'_>,
    template: &Option<String>,
    repository: &Option<String>,
    kind: TemplateEventKind,
    apply: fn(&Connection, &TemplateRow, &RepoRecord) -> ApiResult<bool>,
) -> ApiResult<()> {
    let name = template_name(template)?;
    let repo_name = validate::repository_name(repository)?;
    let changed = ctx.state.store.write(|tx| {
        let t = find(ctx, tx, name)?;
        let rec = repositories::find(ctx, repo_name)?;
        Ok(apply(tx, &t, &rec)?.then_some((t, rec)))
    })?;
    if let Some((t, rec)) = changed {
        publish_template(
            ctx,
            kind,
            &t,
            BTreeMap::from([(rec.name.clone(), rec.id.clone())]),
        );
    }
    Ok(())
}

pub fn associate_approval_rule_template_with_repository(
    ctx: &Ctx<'_>,
    input: AssociateApprovalRuleTemplateWithRepositoryInput,
) -> ApiResult<()> {
    single(
        ctx,
        &input.approval_rule_template_name,
        &input.repository_name,
        TemplateEventKind::AssociatedWithRepository,
        associate,
    )
}

pub fn disassociate_approval_rule_template_from_repository(
    ctx: &Ctx<'_>,
    input: DisassociateApprovalRuleTemplateFromRepositoryInput,
) -> ApiResult<()> {
    single(
        ctx,
        &input.approval_rule_template_name,
        &input.repository_name,
        TemplateEventKind::DisassociatedFromRepository,
        disassociate,
    )
}

/// One repository's failure in a batch: the exception it would have been on its own
/// (`errorCode` is the exception name, as BatchGetRepositories' error codes are).
struct Failure {
    name: String,
    code: ErrorCode,
    message: String,
}

fn failure(name: &str, e: ApiError) -> Result<Failure, ApiError> {
    match e {
        ApiError::Client { code, message } => Ok(Failure {
            name: name.to_owned(),
            code,
            message,
        }),
        internal => Err(internal),
    }
}

struct BatchOutcome {
    done: Vec<String>,
    failures: Vec<Failure>,
}

fn batch(
    ctx: &Ctx<'_>,
    template: &Option<String>,
    names: &Option<Vec<String>>,
    kind: TemplateEventKind,
    apply: fn(&Connection, &TemplateRow, &RepoRecord) -> ApiResult<bool>,
) -> ApiResult<BatchOutcome> {
    let name = template_name(template)?;
    // "The array itself can be empty"; absent is an error.
    let Some(names) = names else {
        bail!(
            RepositoryNamesRequired,
            "At least one repository name object is required, but was not specified."
        )
    };
    if names.len() > MAX_BATCH_REPOSITORIES {
        bail!(
            MaximumRepositoryNamesExceeded,
            "The maximum number of allowed repository names was exceeded. Currently, this number is {MAX_BATCH_REPOSITORIES}."
        )
    }
    let (t, outcome, changed) = ctx.state.store.write(|tx| {
        let t = find(ctx, tx, name)?;
        let mut outcome = BatchOutcome {
            done: Vec::new(),
            failures: Vec::new(),
        };
        let mut changed: BTreeMap<String, String> = BTreeMap::new();
        for repo_name in names {
            if outcome.done.contains(repo_name)
                || outcome.failures.iter().any(|f| &f.name == repo_name)
            {
                continue;
            }
            let found = validate::repository_name(&Some(repo_name.clone()))
                .and_then(|n| repositories::find(ctx, n));
            let rec: Arc<RepoRecord> = match found {
                Ok(rec) => rec,
                Err(e) => {
                    outcome.failures.push(failure(repo_name, e)?);
                    continue;
                }
            };
            match apply(tx, &t, &rec) {
                Ok(did) => {
                    if did {
                        changed.insert(rec.name.clone(), rec.id.clone());
                    }
                    outcome.done.push(repo_name.clone());
                }
                Err(e) => outcome.failures.push(failure(repo_name, e)?),
            }
        }
        Ok((t, outcome, changed))
    })?;
    if !changed.is_empty() {
        publish_template(ctx, kind, &t, changed);
    }
    Ok(outcome)
}

pub fn batch_associate_approval_rule_template_with_repositories(
    ctx: &Ctx<'_>,
    input: BatchAssociateApprovalRuleTemplateWithRepositoriesInput,
) -> ApiResult<BatchAssociateApprovalRuleTemplateWithRepositoriesOutput> {
    let out = batch(
        ctx,
        &input.approval_rule_template_name,
        &input.repository_names,
        TemplateEventKind::BatchAssociated,
        associate,
    )?;
    Ok(BatchAssociateApprovalRuleTemplateWithRepositoriesOutput {
        associated_repository_names: Some(out.done),
        errors: Some(
            out.failures
                .into_iter()
                .map(
                    |f| BatchAssociateApprovalRuleTemplateWithRepositoriesError {
                        repository_name: Some(f.name),
                        error_code: Some(f.code.name().to_owned()),
                        error_message: Some(f.message),
                    },
                )
                .collect(),
        ),
    })
}

pub fn batch_disassociate_approval_rule_template_from_repositories(
    ctx: &Ctx<'_>,
    input: BatchDisassociateApprovalRuleTemplateFromRepositoriesInput,
) -> ApiResult<BatchDisassociateApprovalRuleTemplateFromRepositoriesOutput> {
    let out = batch(
        ctx,
        &input.approval_rule_template_name,
        &input.repository_names,
        TemplateEventKind::BatchDisassociated,
        disassociate,
    )?;
    Ok(
        BatchDisassociateApprovalRuleTemplateFromRepositoriesOutput {
            disassociated_repository_names: Some(out.done),
            errors: Some(
                out.failures
                    .into_iter()
                    .map(
                        |f| BatchDisassociateApprovalRuleTemplateFromRepositoriesError {
                            repository_name: Some(f.name),
                            error_code: Some(f.code.name().to_owned()),
                            error_message: Some(f.message),
                        },
                    )
                    .collect(),
            ),
        },
    )
}

/// The templates associated with a repository, in the order they were associated.
pub fn list_associated_approval_rule_templates_for_repository(
    ctx: &Ctx<'_>,
    input: ListAssociatedApprovalRuleTemplatesForRepositoryInput,
) -> ApiResult<ListAssociatedApprovalRuleTemplatesForRepositoryOutput> {
    let rec = repositories::lookup(ctx, &input.repository_name)?;
    let limit = paginate::page_size(input.max_results, PAGE, PAGE_MAX)?;
    let kind = format!("associated-approval-rule-templates/{}", rec.id);
    let after = paginate::decode_index(&kind, &input.next_token)? as i64;
    let mut rows = ctx
        .state
        .store
        .read(|conn| records::template_names_of(conn, &rec.id, after, limit + 1))?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_token = more
        .then(|| {
            rows.last()
                .map(|(seq, _)| paginate::encode(&kind, &seq.to_string()))
        })
        .flatten();
    Ok(ListAssociatedApprovalRuleTemplatesForRepositoryOutput {
        approval_rule_template_names: Some(rows.into_iter().map(|(_, n)| n).collect()),
        next_token,
    })
}

/// The repositories a template is associated with, by their current names, in the order they
/// were associated.
pub fn list_repositories_for_approval_rule_template(
    ctx: &Ctx<'_>,
    input: ListRepositoriesForApprovalRuleTemplateInput,
) -> ApiResult<ListRepositoriesForApprovalRuleTemplateOutput> {
    let name = template_name(&input.approval_rule_template_name)?;
    let limit = paginate::page_size(input.max_results, PAGE, PAGE_MAX)?;
    let (t, mut rows) = ctx.state.store.read(|conn| {
        let t = find(ctx, conn, name)?;
        let kind = format!("approval-rule-template-repositories/{}", t.id);
        let after = paginate::decode_index(&kind, &input.next_token)? as i64;
        let rows = records::repositories_of(conn, t.seq, after, limit + 1)?;
        Ok((t, rows))
    })?;
    let kind = format!("approval-rule-template-repositories/{}", t.id);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_token = more
        .then(|| {
            rows.last()
                .map(|(seq, _)| paginate::encode(&kind, &seq.to_string()))
        })
        .flatten();
    Ok(ListRepositoriesForApprovalRuleTemplateOutput {
        repository_names: Some(
            rows.iter()
                .filter_map(|(_, id)| ctx.state.store.get_by_id(id).map(|r| r.name.clone()))
                .collect(),
        ),
        next_token,
    })
}
