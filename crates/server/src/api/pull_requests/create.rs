//! CreatePullRequest: one target (repository, source branch, destination branch defaulting to
//! the default branch), title and description rules, `clientRequestToken` idempotency, at most
//! `Config::open_pull_request_limit` open pull requests per repository.

use super::records::{self, PullRequestRow, Status, TargetRow};
use super::*;
use crate::api::{merges, now_epoch, repositories};
use crate::git::objects::{self, parse_object_id};
use gix::ObjectId;

/// A reference a target names, resolved: the full branch ref and its tip.
struct Branch {
    full: String,
    tip: ObjectId,
}

/// Resolves `sourceReference` / `destinationReference`: a branch name or `refs/heads/NAME`.
/// Tags, other refs and commit ids are not references a pull request can have.
fn branch_reference(repo: &gix::Repository, name: &str) -> ApiResult<Branch> {
    let unsupported = || {
        crate::err!(
            ReferenceTypeNotSupported,
            "The specified reference is not a supported type: {}. Pull requests are between branches.",
            validate::printable(name)
        )
    };
    let not_found = || {
        crate::err!(
            ReferenceDoesNotExist,
            "The specified reference does not exist: {}",
            validate::printable(name)
        )
    };
    let invalid = || {
        crate::err!(
            InvalidReferenceName,
            "The specified reference name is not valid: {}",
            validate::printable(name)
        )
    };
    let branch = match name.strip_prefix("refs/") {
        Some(rest) => match rest.strip_prefix("heads/") {
            Some(b) => b,
            None => {
                if !validate::is_valid_ref_tail(rest) {
                    return Err(invalid());
                }
                return Err(match objects::ref_target(repo, name)? {
                    Some(_) => unsupported(),
                    None => not_found(),
                });
            }
        },
        None => name,
    };
    if !validate::is_valid_branch_name(branch) {
        if let Some(id) = parse_object_id(branch)
            && objects::object_kind(repo, id)?.is_some()
        {
            return Err(unsupported());
        }
        return Err(invalid());
    }
    if let Some(tip) = objects::branch_tip(repo, branch)? {
        return Ok(Branch {
            full: format!("refs/heads/{branch}"),
            tip,
        });
    }
    if name == branch && objects::ref_target(repo, &format!("refs/tags/{branch}"))?.is_some() {
        return Err(unsupported());
    }
    Err(not_found())
}

/// The one target of the request, checked for shape (exactly one, complete enough).
fn single_target(targets: &Option<Vec<Target>>) -> ApiResult<&Target> {
    let targets = match targets {
        Some(t) if !t.is_empty() => t,
        _ => bail!(
            TargetsRequired,
            "An array of target objects is required. It cannot be empty or null."
        ),
    };
    if targets.len() > 1 {
        let first = &targets[0].repository_name;
        if targets.iter().any(|t| &t.repository_name != first) {
            bail!(
                MultipleRepositoriesInPullRequest,
                "You cannot include more than one repository in a pull request. Make sure you have specified only one repository name in your request, and then try again."
            )
        }
        bail!(
            InvalidTargets,
            "The targets for the pull request are not valid: a pull request has exactly one target."
        )
    }
    let t = &targets[0];
    let (repo, source, dest) = (
        validate::present(&t.repository_name),
        validate::present(&t.source_reference),
        validate::present(&t.destination_reference),
    );
    match (repo, source, dest) {
        (None, None, None) => bail!(
            TargetRequired,
            "A pull request target is required. It cannot be empty or null. A pull request target must contain the full values for the repository name, source branch, and destination branch for the pull request."
        ),
        (None, None, Some(_)) => bail!(
            InvalidTarget,
            "The target for the pull request is not valid. A target must contain the full values for the repository name, source branch, and destination branch for the pull request."
        ),
        (_, None, _) if repo.is_some() => bail!(
            ReferenceNameRequired,
            "A reference name is required, but none was provided (sourceReference)."
        ),
        _ => Ok(t),
    }
}

/// What the request asked for, to compare a retry with the original.
fn digest(input: &CreatePullRequestInput) -> String {
    serde_json::json!({
        "title": input.title,
        "description": input.description,
        "targets": input.targets,
    })
    .to_string()
}

/// The same `clientRequestToken` again: the original pull request if the request is the same.
fn replay(
    state: &AppState,
    conn: &Connection,
    existing: &PullRequestRow,
    digest: &str,
) -> ApiResult<PullRequest> {
    if existing.request_digest.as_deref() != Some(digest) {
        bail!(
            IdempotencyParameterMismatch,
            "The client request token was already used with different parameters; a request with the same token must repeat the same parameters."
        )
    }
    view(state, conn, existing)
}

pub fn create_pull_request(
    ctx: &Ctx<'_>,
    input: CreatePullRequestInput,
) -> ApiResult<CreatePullRequestOutput> {
    let target = single_target(&input.targets)?;
    let title = title(&input.title)?.to_owned();
    description(&input.description)?;
    let token = client_request_token(&input.client_request_token)?.map(str::to_owned);
    let digest = digest(&input);
    let state = ctx.state;
    if let Some(t) = &token {
        let replayed = state.store.read(|conn| {
            match records::by_token(conn, &ctx.account, &ctx.region, t)? {
                Some(existing) => replay(state, conn, &existing, &digest).map(Some),
                None => Ok(None),
            }
        })?;
        if let Some(pr) = replayed {
            return Ok(CreatePullRequestOutput {
                pull_request: Some(pr),
            });
        }
    }

    let rec = repositories::lookup(ctx, &target.repository_name)?;
    let repo = state.git.repo(&rec.id)?;
    let source = branch_reference(
        &repo,
        validate::present(&target.source_reference).unwrap_or_default(),
    )?;
    let destination = match validate::present(&target.destination_reference) {
        Some(d) => branch_reference(&repo, d)?,
        None => {
            let Some(default) = rec.default_branch.as_deref() else {
                bail!(
                    ReferenceDoesNotExist,
                    "The repository {} has no default branch to use as the destination; specify destinationReference.",
                    rec.name
                )
            };
            branch_reference(&repo, default)?
        }
    };
    if source.full == destination.full {
        bail!(
            SourceAndDestinationAreSame,
            "The source branch and destination branch for the pull request are the same ({}). You must specify different branches for the source and destination.",
            source.full
        )
    }
    let merge_base = merges::merge_base(&repo, source.tip, destination.tip)?;

    let now = now_epoch();
    let limit = state.config.open_pull_request_limit;
    let mut pr = PullRequestRow {
        key: 0,
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        number: 0,
        repository_id: rec.id.clone(),
        title,
        description: input.description.clone().filter(|d| !d.is_empty()),
        status: Status::Open,
        author_arn: ctx.caller.arn.clone(),
        client_request_token: token.clone(),
        request_digest: token.as_ref().map(|_| digest.clone()),
        revision_id: new_revision_id(),
        creation_date: now,
        last_activity_date: now,
        targets: vec![TargetRow {
            position: 0,
            repository_id: rec.id.clone(),
            source_ref: source.full,
            destination_ref: destination.full,
            source_commit: source.tip.to_string(),
            destination_commit: destination.tip.to_string(),
            merge_base: merge_base.map(|b| b.to_string()),
            merged: None,
        }],
    };
    state.store.note_pull_request_repository(&rec.id);
    let (view, created) = state.store.write(|tx| {
        // Checked again under the writer lock: two racing requests with one token make one
        // pull request.
        if let Some(t) = &token
            && let Some(existing) = records::by_token(tx, &ctx.account, &ctx.region, t)?
        {
            return Ok((replay(state, tx, &existing, &digest)?, false));
        }
        if records::count_open(tx, &rec.id)? >= limit as i64 {
            bail!(
                MaximumOpenPullRequestsExceeded,
                "You cannot create the pull request because the repository {} has reached the limit of {limit} open pull requests.",
                rec.name
            )
        }
        records::insert(tx, &mut pr)?;
        let t = &pr.targets[0];
        records::insert_revision(tx, pr.key, &pr.revision_id, t, now)?;
        records::log_event(
            tx,
            pr.key,
            &PullRequestEventType::PullRequestCreated,
            &pr.author_arn,
            now,
            &serde_json::json!({"pullRequestCreatedEventMetadata": {
                "repositoryName": rec.name,
                "sourceCommitId": t.source_commit,
                "destinationCommitId": t.destination_commit,
                "mergeBase": t.merge_base,
            }}),
        )?;
        // Approval rules from the templates associated with the repository, in this
        // transaction.
        crate::api::approval_rules::attach_template_rules(tx, &pr, now)?;
        Ok((view(state, tx, &pr)?, true))
    })?;
    if created {
        publish(
            state,
            &ctx.account,
            &ctx.region,
            vec![Published {
                kind: PullRequestEventKind::Created,
                caller_arn: ctx.caller.arn.clone(),
                pull_request: view.clone(),
                merge_option: None,
            }],
        );
    }
    Ok(CreatePullRequestOutput {
        pull_request: Some(view),
    })
}
