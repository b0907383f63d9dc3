//! Behaviour, one module per API area. Every operation is a plain synchronous function
//! `(&Ctx, Input) -> ApiResult<Output>`; none of them sees HTTP.

pub mod approval_rules;
pub mod branches;
pub mod comments;
pub mod commits;
pub mod diffs;
pub mod files;
pub mod history;
pub mod merges;
pub mod paginate;
pub mod pull_requests;
pub mod repositories;
pub mod specs;
pub mod tags;
pub mod tree_edit;
pub mod triggers;
pub mod validate;

use crate::error::ApiResult;
use crate::identity::Principal;
use crate::state::AppState;
use crate::store::RepoRecord;
use std::sync::Arc;

/// Who is calling, where, and the server they are talking to.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    /// The caller's account (`caller.account`).
    pub account: String,
    pub region: String,
    pub request_id: String,
    /// Who is calling (see `identity`).
    pub caller: Arc<Principal>,
    /// The repository the call names, once it is known (for the call's log line).
    pub repository: std::cell::OnceCell<String>,
}

impl Ctx<'_> {
    /// Records the repository the call is about (the first one named wins).
    pub fn note_repository(&self, name: &str) {
        if self.repository.get().is_none() {
            let _ = self.repository.set(name.to_owned());
        }
    }

    /// The caller's ARN.
    pub fn caller_arn(&self) -> String {
        self.caller.arn.clone()
    }

    /// Validates the repository name, finds the repository and opens its git storage.
    pub fn open_repo(&self, name: &Option<String>) -> ApiResult<Opened> {
        let rec = repositories::lookup(self, name)?;
        let repo = self.state.git.repo(&rec.id)?;
        Ok(Opened {
            rec,
            repo,
            merge_limits: self.state.config.merge_limits,
        })
    }
}

/// A repository's metadata and an open handle on its git storage.
pub struct Opened {
    pub rec: Arc<RepoRecord>,
    pub repo: gix::Repository,
    pub merge_limits: crate::git::merge::MergeLimits,
}

pub use crate::timefmt::now_epoch;
