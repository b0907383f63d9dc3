//! Merges (codecommit-facts.md §5): options, conflicts, conflict details, and the three merge
//! strategies on branches plus unreferenced merge commits. All of them run the one engine in
//! `git::merge`; the pull-request merges (api::pull_requests) use the same inputs, endpoints and merge commits.
//!
//! * this file: the shared inputs (levels, strategies, options, the endpoints and their base)
//! * `resolution.rs`: conflict resolution input and the merged tree
//! * `conflicts.rs`: GetMergeOptions, GetMergeConflicts, (Batch)DescribeMergeConflicts
//! * `writes.rs`: the merge operations that write (branches, unreferenced commits) and
//!   GetMergeCommit

mod conflicts;
mod resolution;
mod writes;

pub use conflicts::*;
pub(crate) use resolution::resolution;
pub use writes::*;

use super::commits::{Authorship, authorship, entry_kind, mode_enum};
use super::specs::{self, SpecErrors};
use super::tree_edit::TreeEdit;
use super::{Ctx, Opened, paginate, validate};
use crate::bail;
use crate::error::{ApiError, ApiResult, Internal as _};
use crate::events::{self, MergeInfo, RefMoves};
use crate::git::merge::{self, Analysis, Conflict, Edit, Level, ObjType};
use crate::git::objects::{self, Entry, entry_at, object_size, read_blob};
use crate::git::write::{CasFailure, compare_and_swap, write_commit};
use crate::git::{HIDDEN_REF_PREFIX, linediff};
use base64::Engine as _;
use codecommit_model::ErrorCode;
use codecommit_model::shapes::*;
use gix::ObjectId;
use std::collections::BTreeSet;

/// Default page sizes for conflict files and merge hunks.
const CONFLICT_FILES_PAGE: usize = 100;
const MERGE_HUNKS_PAGE: usize = 1000;
/// Manual conflict resolution entries accepted in one merge.
const MAX_RESOLUTION_ENTRIES: usize = 100;

pub(crate) fn level(v: &Option<ConflictDetailLevelTypeEnum>) -> ApiResult<Level> {
    match v {
        None | Some(ConflictDetailLevelTypeEnum::FileLevel) => Ok(Level::File),
        Some(ConflictDetailLevelTypeEnum::LineLevel) => Ok(Level::Line),
        Some(ConflictDetailLevelTypeEnum::Unknown(s)) => {
            bail!(
                InvalidConflictDetailLevel,
                "The specified conflict detail level is not valid: {}",
                validate::printable(s)
            )
        }
    }
}

pub(crate) fn strategy(
    v: &Option<ConflictResolutionStrategyTypeEnum>,
) -> ApiResult<ConflictResolutionStrategyTypeEnum> {
    match v {
        None => Ok(ConflictResolutionStrategyTypeEnum::None),
        Some(ConflictResolutionStrategyTypeEnum::Unknown(s)) => bail!(
            InvalidConflictResolutionStrategy,
            "The specified conflict resolution strategy is not valid: {}",
            validate::printable(s)
        ),
        Some(s) => Ok(s.clone()),
    }
}

fn merge_option(v: &Option<MergeOptionTypeEnum>) -> ApiResult<MergeOptionTypeEnum> {
    match v {
        None => bail!(
            MergeOptionRequired,
            "A merge option or stategy is required."
        ),
        Some(MergeOptionTypeEnum::Unknown(s)) => {
            bail!(
                InvalidMergeOption,
                "The specified merge option is not valid: {}",
                validate::printable(s)
            )
        }
        Some(m) => Ok(m.clone()),
    }
}

/// The two commits being merged and their merge base.
pub(crate) struct Endpoints {
    pub(crate) source: ObjectId,
    pub(crate) destination: ObjectId,
    pub(crate) base: Option<ObjectId>,
}

impl Endpoints {
    pub(crate) fn fast_forwardable(&self) -> bool {
        self.base == Some(self.destination)
    }

    /// What the merge events say about a merge of these endpoints.
    pub(crate) fn merge_info(
        &self,
        option: MergeOptionTypeEnum,
        detail: Option<(Level, &ConflictResolutionStrategyTypeEnum)>,
    ) -> MergeInfo {
        MergeInfo {
            base_commit_id: self.base.map(|b| b.to_string()),
            source_commit_id: self.source.to_string(),
            destination_commit_id: self.destination.to_string(),
            merge_option: option.as_str().to_owned(),
            conflict_detail_level: detail.map(|(level, _)| {
                match level {
                    Level::File => "FILE_LEVEL",
                    Level::Line => "LINE_LEVEL",
                }
                .to_owned()
            }),
            conflict_resolution_strategy: detail.map(|(_, s)| s.as_str().to_owned()),
        }
    }
}

const MERGE_SPEC: SpecErrors = specs::COMMIT_SPEC;

fn endpoints(
    o: &Opened,
    source: &Option<String>,
    destination: &Option<String>,
    invalid: Option<(ErrorCode, ErrorCode)>,
) -> ApiResult<Endpoints> {
    let mut src_errors = SpecErrors { ..MERGE_SPEC };
    let mut dst_errors = SpecErrors { ..MERGE_SPEC };
    if let Some((s, d)) = invalid {
        src_errors.invalid = s;
        dst_errors.invalid = d;
    }
    let source = specs::required_commit(o, source, &src_errors)?;
    let destination = specs::required_commit(o, destination, &dst_errors)?;
    let base = merge_base(&o.repo, source, destination)?;
    Ok(Endpoints {
        source,
        destination,
        base,
    })
}

pub fn merge_base(repo: &gix::Repository, a: ObjectId, b: ObjectId) -> ApiResult<Option<ObjectId>> {
    if a == b {
        return Ok(Some(a));
    }
    Ok(repo
        .merge_base(a, b)
        .internal("finding the merge base")?
        .map(|id| id.detach()))
}

fn empty_tree() -> ObjectId {
    ObjectId::empty_tree(gix::hash::Kind::Sha1)
}

fn analyze(o: &Opened, ep: &Endpoints, level: Level) -> ApiResult<Analysis> {
    let base_tree = match ep.base {
        Some(b) => objects::commit_tree(&o.repo, b)?,
        None => empty_tree(),
    };
    let s = objects::commit_tree(&o.repo, ep.source)?;
    let d = objects::commit_tree(&o.repo, ep.destination)?;
    merge::analyze(&o.repo, base_tree, s, d, level, o.merge_limits)
}

/// Whether a strategy settles a conflict without manual resolution.
fn settled_by(strategy: &ConflictResolutionStrategyTypeEnum, c: &Conflict) -> bool {
    match strategy {
        ConflictResolutionStrategyTypeEnum::AcceptSource
        | ConflictResolutionStrategyTypeEnum::AcceptDestination => true,
        ConflictResolutionStrategyTypeEnum::Automerge => c.auto_mergeable(),
        _ => false,
    }
}
