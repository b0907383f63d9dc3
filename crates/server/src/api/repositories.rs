//! Repository operations (codecommit-facts.md §2 "Repositories"), the clone URLs, and what a
//! ref change does to repository metadata (lastModifiedDate, the first branch becoming the
//! default branch).

use super::{Ctx, now_epoch, paginate, validate};
use crate::bail;
use crate::error::{ApiResult, Internal as _};
use crate::events::RefMoves;
use crate::state::AppState;
use crate::store::{Insert, RepoRecord};
use codecommit_model::shapes::*;
use std::sync::Arc;

/// The key CodeCommit reports when a repository uses the AWS managed key (seen in real
/// GetRepository answers).
pub const DEFAULT_KMS_KEY_ID: &str = "alias/aws/codecommit";

/// Validates a required repository name and finds the repository in the caller's scope.
pub fn lookup(ctx: &Ctx<'_>, name: &Option<String>) -> ApiResult<Arc<RepoRecord>> {
    let name = validate::repository_name(name)?;
    find(ctx, name)
}

/// Finds a repository by an already validated name.
pub fn find(ctx: &Ctx<'_>, name: &str) -> ApiResult<Arc<RepoRecord>> {
    ctx.note_repository(name);
    ctx.state
        .store
        .get(&ctx.account, &ctx.region, name)
        .ok_or_else(|| crate::err!(RepositoryDoesNotExist, "{name} does not exist"))
}

pub fn arn(rec: &RepoRecord) -> String {
    format!(
        "arn:aws:codecommit:{}:{}:{}",
        rec.region, rec.account, rec.name
    )
}

/// The path under which git serves a repository: `/v1/repos/NAME` for the default account and
/// region, `/ACCOUNT/REGION/v1/repos/NAME` for the others, so that every clone URL works as-is.
pub fn git_path(state: &AppState, account: &str, region: &str, name: &str) -> String {
    if account == state.config.default_account && region == state.config.default_region {
        format!("/v1/repos/{name}")
    } else {
        format!("/{account}/{region}/v1/repos/{name}")
    }
}

pub fn metadata(state: &AppState, rec: &RepoRecord) -> RepositoryMetadata {
    let path = git_path(state, &rec.account, &rec.region, &rec.name);
    let host = state
        .base_url
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(&state.base_url)
        .split(':')
        .next()
        .unwrap_or("localhost");
    RepositoryMetadata {
        account_id: Some(rec.account.clone()),
        repository_id: Some(rec.id.clone()),
        repository_name: Some(rec.name.clone()),
        repository_description: rec.description.clone(),
        default_branch: rec.default_branch.clone(),
        last_modified_date: Some(rec.last_modified_date),
        creation_date: Some(rec.creation_date),
        clone_url_http: Some(format!("{}{path}", state.base_url)),
        clone_url_ssh: Some(format!("ssh://{host}{path}")),
        arn: Some(arn(rec)),
        kms_key_id: Some(rec.kms_key_id.clone()),
    }
}

pub fn create_repository(
    ctx: &Ctx<'_>,
    input: CreateRepositoryInput,
) -> ApiResult<CreateRepositoryOutput> {
    let name = validate::repository_name(&input.repository_name)?;
    ctx.note_repository(name);
    validate::repository_description(&input.repository_description)?;
    if let Some(key) = &input.kms_key_id {
        validate::kms_key_id(key)?;
    }
    let tags = input.tags.unwrap_or_default();
    validate::tags_map(&tags)?;
    if ctx
        .state
        .store
        .get(&ctx.account, &ctx.region, name)
        .is_some()
    {
        bail!(
            RepositoryNameExists,
            "Repository named {name} already exists"
        )
    }
    let now = now_epoch();
    let rec = RepoRecord {
        id: uuid::Uuid::new_v4().to_string(),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        name: name.to_owned(),
        description: input.repository_description.filter(|d| !d.is_empty()),
        kms_key_id: input
            .kms_key_id
            .unwrap_or_else(|| DEFAULT_KMS_KEY_ID.to_owned()),
        creation_date: now,
        last_modified_date: now,
        default_branch: None,
        tags,
        metadata_json: Default::default(),
    };
    // The directory first: metadata that exists always has its repository on disk.
    ctx.state.git.init(&rec.id)?;
    let id = rec.id.clone();
    let limit = ctx.state.config.repository_limit;
    match ctx.state.store.insert(rec, limit) {
        Ok(Insert::Done(rec)) => {
            // Tags given at creation are not echoed (codecommit-facts.md §2).
            Ok(CreateRepositoryOutput {
                repository_metadata: Some(metadata(ctx.state, &rec)),
            })
        }
        Ok(Insert::NameExists) => {
            ctx.state.git.remove(&id);
            bail!(
                RepositoryNameExists,
                "Repository named {name} already exists"
            )
        }
        Ok(Insert::LimitExceeded) => {
            ctx.state.git.remove(&id);
            bail!(
                RepositoryLimitExceeded,
                "The maximum number of repositories ({limit}) for this account has been reached."
            )
        }
        Err(e) => {
            ctx.state.git.remove(&id);
            Err(e)
        }
    }
}

/// Answers the `GetRepositoryOutput` JSON itself: it is the most frequent call (pipelines poll
/// it), and the record's metadata is serialized once per version of the record, not per call.
pub fn get_repository(ctx: &Ctx<'_>, input: GetRepositoryInput) -> ApiResult<Vec<u8>> {
    let rec = lookup(ctx, &input.repository_name)?;
    let metadata = metadata_json(ctx.state, &rec);
    let mut out = Vec::with_capacity(metadata.len() + 24);
    out.extend_from_slice(b"{\"repositoryMetadata\":");
    out.extend_from_slice(metadata);
    out.push(b'}');
    Ok(out)
}

/// `metadata(rec)` as JSON, kept with the record.
fn metadata_json<'r>(state: &AppState, rec: &'r RepoRecord) -> &'r [u8] {
    rec.metadata_json.get_or_init(|| {
        // A plain struct of strings and numbers: serializing it cannot fail.
        serde_json::to_vec(&metadata(state, rec)).unwrap_or_default()
    })
}

pub fn batch_get_repositories(
    ctx: &Ctx<'_>,
    input: BatchGetRepositoriesInput,
) -> ApiResult<BatchGetRepositoriesOutput> {
    let Some(names) = input.repository_names else {
        bail!(
            RepositoryNamesRequired,
            "At least one repository name is required, but was not specified."
        )
    };
    // "The array itself can be empty" (API Reference, BatchGetRepositories): an empty list
    // answers two empty lists; only a missing one is RepositoryNamesRequired.
    if names.len() > 100 {
        bail!(
            MaximumRepositoryNamesExceeded,
            "The maximum number of repository names (100) was exceeded."
        )
    }
    for name in &names {
        validate::check_repository_name(name)?;
    }
    let mut found = Vec::new();
    let mut not_found = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        match ctx.state.store.get(&ctx.account, &ctx.region, &name) {
            Some(rec) => found.push(metadata(ctx.state, &rec)),
            None => {
                errors.push(BatchGetRepositoriesError {
                    repository_id: None,
                    repository_name: Some(name.clone()),
                    error_code: Some(
                        BatchGetRepositoriesErrorCodeEnum::RepositoryDoesNotExistException,
                    ),
                    error_message: Some(format!("{name} does not exist")),
                });
                not_found.push(name);
            }
        }
    }
    Ok(BatchGetRepositoriesOutput {
        repositories: Some(found),
        repositories_not_found: Some(not_found),
        errors: Some(errors),
    })
}

/// ListRepositories answers pages of up to 1,000 (codecommit-facts.md §1 "Paging").
const LIST_REPOSITORIES_PAGE: usize = 1000;

pub fn list_repositories(
    ctx: &Ctx<'_>,
    input: ListRepositoriesInput,
) -> ApiResult<ListRepositoriesOutput> {
    let sort_by = input.sort_by.unwrap_or(SortByEnum::RepositoryName);
    if !sort_by.is_known() {
        bail!(
            InvalidSortBy,
            "The specified sort by value is not valid: {}. Valid values are repositoryName and lastModifiedDate.",
            validate::printable(sort_by.as_str())
        )
    }
    let order = input.order.unwrap_or(OrderEnum::Ascending);
    if !order.is_known() {
        bail!(
            InvalidOrder,
            "The specified sort order is not valid: {}. Valid values are ascending and descending.",
            validate::printable(order.as_str())
        )
    }
    let kind = format!("repositories/{}/{}", sort_by.as_str(), order.as_str());
    let after = paginate::decode_opt(&kind, &input.next_token)?;

    // Sort keys are strings that order like the listing: names as they are, dates as
    // zero-padded milliseconds followed by the name to break ties.
    let key = |r: &RepoRecord| match sort_by {
        SortByEnum::LastModifiedDate => format!(
            "{:016}\u{0}{}",
            (r.last_modified_date * 1000.0).round() as i64,
            r.name
        ),
        _ => r.name.clone(),
    };
    let mut repos: Vec<(String, Arc<RepoRecord>)> = ctx
        .state
        .store
        .list(&ctx.account, &ctx.region)
        .into_iter()
        .map(|r| (key(&r), r))
        .collect();
    repos.sort_by(|a, b| a.0.cmp(&b.0));
    if order == OrderEnum::Descending {
        repos.reverse();
    }
    let start = match &after {
        None => 0,
        Some(k) if order == OrderEnum::Descending => repos
            .iter()
            .position(|(key, _)| key < k)
            .unwrap_or(repos.len()),
        Some(k) => repos
            .iter()
            .position(|(key, _)| key > k)
            .unwrap_or(repos.len()),
    };
    let page: Vec<_> = repos
        .iter()
        .skip(start)
        .take(LIST_REPOSITORIES_PAGE)
        .collect();
    let next_token = (start + page.len() < repos.len())
        .then(|| page.last().map(|(k, _)| paginate::encode(&kind, k)))
        .flatten();
    Ok(ListRepositoriesOutput {
        repositories: Some(
            page.iter()
                .map(|(_, r)| RepositoryNameIdPair {
                    repository_name: Some(r.name.clone()),
                    repository_id: Some(r.id.clone()),
                })
                .collect(),
        ),
        next_token,
    })
}

/// Deleting a repository that does not exist succeeds without an id (codecommit-facts.md §2).
pub fn delete_repository(
    ctx: &Ctx<'_>,
    input: DeleteRepositoryInput,
) -> ApiResult<DeleteRepositoryOutput> {
    let name = validate::repository_name(&input.repository_name)?;
    let Some(rec) = ctx.state.store.get(&ctx.account, &ctx.region, name) else {
        return Ok(DeleteRepositoryOutput {
            repository_id: None,
        });
    };
    // Serialize with API writers of this repository so none of them writes into a deleted one.
    let lock = ctx.state.git.write_lock(&rec.id);
    let _guard = lock.lock();
    // Metadata first: once the row is gone the repository is gone for every reader.
    let deleted = ctx.state.store.delete(&rec.id)?;
    // Its triggers went with the row (ON DELETE CASCADE).
    ctx.state.triggers.forget(&rec.id);
    ctx.state.git.remove(&rec.id);
    Ok(DeleteRepositoryOutput {
        repository_id: deleted.map(|r| r.id.clone()),
    })
}

pub fn update_repository_name(ctx: &Ctx<'_>, input: UpdateRepositoryNameInput) -> ApiResult<()> {
    let old = validate::repository_name(&input.old_name)?;
    let new = validate::repository_name(&input.new_name)?;
    let rec = find(ctx, old)?;
    if old == new {
        bail!(
            RepositoryNameExists,
            "Repository named {new} already exists"
        )
    }
    let now = now_epoch();
    ctx.state.store.update(&rec.id, |r| {
        r.name = new.to_owned();
        r.last_modified_date = now;
        Ok(())
    })?;
    Ok(())
}

pub fn update_repository_description(
    ctx: &Ctx<'_>,
    input: UpdateRepositoryDescriptionInput,
) -> ApiResult<()> {
    let rec = lookup(ctx, &input.repository_name)?;
    validate::repository_description(&input.repository_description)?;
    let now = now_epoch();
    ctx.state.store.update(&rec.id, |r| {
        r.description = input.repository_description.filter(|d| !d.is_empty());
        r.last_modified_date = now;
        Ok(())
    })?;
    Ok(())
}

pub fn update_repository_encryption_key(
    ctx: &Ctx<'_>,
    input: UpdateRepositoryEncryptionKeyInput,
) -> ApiResult<UpdateRepositoryEncryptionKeyOutput> {
    let rec = lookup(ctx, &input.repository_name)?;
    let Some(key) = validate::present(&input.kms_key_id) else {
        bail!(
            EncryptionKeyRequired,
            "A KMS encryption key ID is required, but was not specified."
        )
    };
    validate::kms_key_id(key)?;
    let now = now_epoch();
    let updated = ctx.state.store.update(&rec.id, |r| {
        r.kms_key_id = key.to_owned();
        r.last_modified_date = now;
        Ok(())
    })?;
    Ok(UpdateRepositoryEncryptionKeyOutput {
        repository_id: Some(rec.id.clone()),
        kms_key_id: updated.map(|r| r.kms_key_id.clone()),
        original_kms_key_id: Some(rec.kms_key_id.clone()),
    })
}

pub fn update_default_branch(ctx: &Ctx<'_>, input: UpdateDefaultBranchInput) -> ApiResult<()> {
    let rec = lookup(ctx, &input.repository_name)?;
    let branch = validate::branch_name(&input.default_branch_name)?;
    let repo = ctx.state.git.repo(&rec.id)?;
    if crate::git::objects::branch_tip(&repo, branch)?.is_none() {
        bail!(
            BranchDoesNotExist,
            "Branch {branch} does not exist in repository {}.",
            rec.name
        )
    }
    if rec.default_branch.as_deref() == Some(branch) {
        return Ok(());
    }
    let now = now_epoch();
    ctx.state.store.update(&rec.id, |r| {
        r.default_branch = Some(branch.to_owned());
        r.last_modified_date = now;
        Ok(())
    })?;
    ctx.state.git.set_head(&rec.id, branch)
}

/// Branch names of a repository, sorted.
pub fn branch_names(repo: &gix::Repository) -> ApiResult<Vec<String>> {
    let refs = repo.references().internal("listing refs")?;
    let mut names = Vec::new();
    for r in refs.local_branches().internal("listing branches")? {
        let r = r.map_err(|e| crate::error::ApiError::internal("listing branches", e))?;
        if let Some(name) = r.name().as_bstr().strip_prefix(b"refs/heads/") {
            names.push(String::from_utf8_lossy(name).into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Which of several branches becomes the default: `main`, else `master`, else the first.
fn preferred_default<'a>(candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let all: Vec<&str> = candidates.into_iter().collect();
    ["main", "master"]
        .into_iter()
        .find_map(|p| all.iter().copied().find(|b| *b == p))
        .or_else(|| all.first().copied())
}

/// Gives a repository without a default branch one, if it has branches (startup repair after a
/// crash between a push and its bookkeeping).
pub fn adopt_default_branch(state: &AppState, id: &str) {
    let branches = match state.git.repo(id).and_then(|repo| branch_names(&repo)) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(repository_id = id, error = %e, "could not read branches");
            return;
        }
    };
    if let Some(branch) = preferred_default(branches.iter().map(String::as_str)) {
        let branch = branch.to_owned();
        let stored = state.store.update(id, |r| {
            if r.default_branch.is_none() {
                r.default_branch = Some(branch.clone());
            }
            Ok(())
        });
        if stored.is_ok() {
            let _ = state.git.set_head(id, &branch);
        }
    }
}

/// Repository bookkeeping for refs that really moved, by a push or an API write
/// (the first subscriber of `events::record_ref_moves`): lastModifiedDate, and the first branch
/// of an empty repository becoming its default branch. Answers the repository as it is now;
/// `None` if it was deleted meanwhile.
/// `also` is written in the same transaction (the outbox's record of the move); the answer
/// says whether it was.
pub fn after_ref_moves(
    state: &AppState,
    moves: &RefMoves,
    also: crate::store::AlsoWrite<'_>,
) -> Option<(Arc<RepoRecord>, bool)> {
    let id = moves.repository_id.as_str();
    let now = now_epoch();
    let created: Vec<&str> = moves
        .updates
        .iter()
        .filter(|u| u.old.is_none() && u.new.is_some())
        .filter_map(|u| u.ref_name.strip_prefix("refs/heads/"))
        .collect();
    let mut new_default = None;
    let updated = state.store.update_after_ref_move(
        id,
        |r| {
            r.last_modified_date = now;
            if r.default_branch.is_none() {
                new_default = preferred_default(created.iter().copied()).map(str::to_owned);
                r.default_branch.clone_from(&new_default);
            }
            Ok(())
        },
        also,
    );
    let (rec, written) = match updated {
        Ok(rec) => (rec?, true),
        Err(e) => {
            tracing::error!(repository_id = id, error = %e, "could not record ref changes");
            (state.store.get_by_id(id)?, false)
        }
    };
    if let Some(branch) = &new_default
        && let Err(e) = state.git.set_head(id, branch)
    {
        tracing::error!(repository_id = id, error = %e, "could not point HEAD at the default branch");
    }
    Some((rec, written))
}
