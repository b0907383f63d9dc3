//! Commit specifiers and object ids in requests. Each operation names its "missing",
//! "invalid" and "not found" cases with different exceptions (codecommit-facts.md §2
//! "Branches / refs / commit specifiers"); the helpers here take those names.

use super::{Opened, validate};
use crate::error::{ApiError, ApiResult};
use crate::git::objects::{self, Resolved};
use codecommit_model::ErrorCode;
use gix::ObjectId;

/// The exceptions an operation raises for a commit specifier.
pub struct SpecErrors {
    pub required: ErrorCode,
    pub invalid: ErrorCode,
    pub not_found: ErrorCode,
}

/// GetFile, GetFolder, GetDifferences, merges, ListFileCommitHistory.
pub const COMMIT_SPEC: SpecErrors = SpecErrors {
    required: ErrorCode::CommitRequired,
    invalid: ErrorCode::InvalidCommit,
    not_found: ErrorCode::CommitDoesNotExist,
};

/// Resolves a required commit specifier.
pub fn required_commit(
    o: &Opened,
    spec: &Option<String>,
    errors: &SpecErrors,
) -> ApiResult<ObjectId> {
    let Some(spec) = validate::present(spec) else {
        return Err(ApiError::client(
            errors.required,
            "A commit specifier is required, but was not specified.",
        ));
    };
    resolve(o, spec, errors)
}

/// Resolves an optional commit specifier; without one, the default branch's tip (an empty
/// repository has none: not found).
pub fn commit_or_default(
    o: &Opened,
    spec: &Option<String>,
    errors: &SpecErrors,
) -> ApiResult<ObjectId> {
    match validate::present(spec) {
        Some(spec) => resolve(o, spec, errors),
        None => {
            let tip = match &o.rec.default_branch {
                Some(b) => objects::branch_tip(&o.repo, b)?,
                None => None,
            };
            tip.ok_or_else(|| {
                ApiError::client(
                    errors.not_found,
                    "The repository has no default branch yet: no commit was specified or found.",
                )
            })
        }
    }
}

pub fn resolve(o: &Opened, spec: &str, errors: &SpecErrors) -> ApiResult<ObjectId> {
    match objects::resolve_commit(&o.repo, spec)? {
        Resolved::Commit(id) => Ok(id),
        Resolved::NotFound => Err(ApiError::client(
            errors.not_found,
            format!(
                "The specified commit does not exist: {}",
                validate::printable(spec)
            ),
        )),
        Resolved::Invalid => Err(ApiError::client(
            errors.invalid,
            format!(
                "The specified commit is not valid: {}",
                validate::printable(spec)
            ),
        )),
    }
}

/// A full commit id that must name an existing commit (GetCommit, CreateBranch, BatchGetCommits).
pub enum CommitId {
    Found(ObjectId),
    Invalid,
    NotFound,
}

pub fn commit_id(o: &Opened, id: &str) -> ApiResult<CommitId> {
    let Some(oid) = objects::parse_object_id(id) else {
        return Ok(CommitId::Invalid);
    };
    Ok(match objects::resolve_commit(&o.repo, &oid.to_string())? {
        Resolved::Commit(c) if c == oid => CommitId::Found(c),
        // An annotated tag id peels to a commit, but is not itself a commit id.
        _ => CommitId::NotFound,
    })
}
