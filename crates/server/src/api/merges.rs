//! Merges (codecommit-facts.md §5): options, conflicts, conflict details, and the three merge
//! strategies on branches plus unreferenced merge commits. All of them run the one engine in
//! `git::merge`; the pull-request merges will too.

use super::commits::{Authorship, authorship, entry_kind, mode_enum};
use super::specs::{self, SpecErrors};
use super::tree_edit::TreeEdit;
use super::{Ctx, Opened, paginate, repositories, validate};
use crate::bail;
use crate::error::{ApiError, ApiResult, Internal as _};
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

fn level(v: &Option<ConflictDetailLevelTypeEnum>) -> ApiResult<Level> {
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

fn strategy(
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
struct Endpoints {
    source: ObjectId,
    destination: ObjectId,
    base: Option<ObjectId>,
}

impl Endpoints {
    fn fast_forwardable(&self) -> bool {
        self.base == Some(self.destination)
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

/// One `replaceContents` entry: path, what to keep, new content, new mode.
struct Replacement {
    path: String,
    kind: ReplacementTypeEnum,
    content: Option<Vec<u8>>,
    mode: Option<gix::objs::tree::EntryKind>,
}

/// Validated manual resolution entries (they apply with the AUTOMERGE strategy).
struct Resolution {
    replace: Vec<Replacement>,
    delete: Vec<String>,
    modes: Vec<(String, gix::objs::tree::EntryKind)>,
}

impl Resolution {
    fn paths(&self) -> BTreeSet<&str> {
        self.replace
            .iter()
            .map(|r| r.path.as_str())
            .chain(self.delete.iter().map(String::as_str))
            .chain(self.modes.iter().map(|m| m.0.as_str()))
            .collect()
    }
}

fn resolution(input: Option<ConflictResolution>) -> ApiResult<Resolution> {
    let input = input.unwrap_or_default();
    let (replace_in, delete_in, modes_in) = (
        input.replace_contents.unwrap_or_default(),
        input.delete_files.unwrap_or_default(),
        input.set_file_modes.unwrap_or_default(),
    );
    if replace_in.len() + delete_in.len() + modes_in.len() > MAX_RESOLUTION_ENTRIES {
        bail!(
            MaximumConflictResolutionEntriesExceeded,
            "The number of conflict resolution entries exceeds the maximum of {MAX_RESOLUTION_ENTRIES}."
        )
    }
    let mut seen = BTreeSet::new();
    let mut once = |p: &str| -> ApiResult<()> {
        if !seen.insert(p.to_owned()) {
            bail!(
                MultipleConflictResolutionEntries,
                "More than one conflict resolution entry exists for the file {p}."
            )
        }
        Ok(())
    };
    let mut replace = Vec::new();
    for r in replace_in {
        let path = validate::file_path(&r.file_path)?;
        once(&path)?;
        let Some(kind) = r.replacement_type else {
            bail!(
                ReplacementTypeRequired,
                "A replacement type is required for {path}."
            )
        };
        if let ReplacementTypeEnum::Unknown(s) = &kind {
            bail!(
                InvalidReplacementType,
                "The replacement type {} for {path} is not valid.",
                validate::printable(s)
            )
        }
        let content = r.content.map(|c| c.into_inner());
        match (&kind, &content) {
            (ReplacementTypeEnum::UseNewContent, None) => {
                bail!(
                    ReplacementContentRequired,
                    "USE_NEW_CONTENT was specified for {path}, but no replacement content was provided."
                )
            }
            (ReplacementTypeEnum::UseNewContent, _) | (_, None) => {}
            (_, Some(_)) => {
                bail!(
                    InvalidReplacementContent,
                    "Replacement content is only allowed with USE_NEW_CONTENT ({path})."
                )
            }
        }
        if content
            .as_ref()
            .is_some_and(|c| c.len() > super::commits::MAX_FILE_BYTES)
        {
            bail!(
                FileContentSizeLimitExceeded,
                "The replacement content for {path} exceeds the maximum file size of 6 MB."
            )
        }
        let mode = r.file_mode.as_ref().map(entry_kind).transpose()?;
        replace.push(Replacement {
            path,
            kind,
            content,
            mode,
        });
    }
    let mut delete = Vec::new();
    for d in delete_in {
        let path = validate::file_path(&d.file_path)?;
        once(&path)?;
        delete.push(path);
    }
    let mut modes = Vec::new();
    for m in modes_in {
        let path = validate::file_path(&m.file_path)?;
        once(&path)?;
        let Some(mode) = &m.file_mode else {
            bail!(FileModeRequired, "A file mode is required for {path}.")
        };
        modes.push((path, entry_kind(mode)?));
    }
    Ok(Resolution {
        replace,
        delete,
        modes,
    })
}

/// Computes the merged tree, or ManualMergeRequired. Writes only objects, no refs.
fn merged_tree(
    o: &Opened,
    ep: &Endpoints,
    level: Level,
    strategy: &ConflictResolutionStrategyTypeEnum,
    res: &Resolution,
    keep_empty_folders: bool,
) -> ApiResult<ObjectId> {
    let analysis = analyze(o, ep, level)?;
    let dest_tree = objects::commit_tree(&o.repo, ep.destination)?;
    let source_tree = objects::commit_tree(&o.repo, ep.source)?;
    let base_tree = match ep.base {
        Some(b) => objects::commit_tree(&o.repo, b)?,
        None => empty_tree(),
    };
    let mut edit = TreeEdit::new(&o.repo, dest_tree);
    let write_blob = |data: &[u8]| -> ApiResult<ObjectId> {
        Ok(o.repo.write_blob(data).internal("writing a blob")?.detach())
    };
    for (path, e) in &analysis.edits {
        match e {
            Edit::Entry(entry) => edit.set_raw(path, *entry),
            Edit::Content(data, kind) => edit.set_raw(
                path,
                Some(Entry {
                    kind: *kind,
                    id: write_blob(data)?,
                }),
            ),
        }
    }
    let automerge = *strategy == ConflictResolutionStrategyTypeEnum::Automerge;
    let manual = if automerge {
        res.paths()
    } else {
        BTreeSet::new()
    };
    // Resolution entries resolve conflicts: one naming a path that is not in conflict at this
    // detail level makes the list invalid ("The specified conflict resolution list is not
    // valid", API Reference).
    if let Some(p) = manual
        .iter()
        .find(|p| !analysis.conflicts.iter().any(|c| c.path == **p))
    {
        bail!(
            InvalidConflictResolution,
            "The conflict resolution list is not valid: {p} is not in conflict in this merge."
        )
    }
    let mut unresolved = Vec::new();
    for c in &analysis.conflicts {
        match strategy {
            ConflictResolutionStrategyTypeEnum::AcceptSource => edit.set_raw(&c.path, c.source),
            ConflictResolutionStrategyTypeEnum::AcceptDestination => {}
            ConflictResolutionStrategyTypeEnum::Automerge if manual.contains(c.path.as_str()) => {}
            ConflictResolutionStrategyTypeEnum::Automerge if c.auto_mergeable() => {
                let merged = c
                    .lines
                    .as_ref()
                    .and_then(|l| l.merged.clone())
                    .unwrap_or_default();
                let kind = c.merged_kind.unwrap_or(gix::objs::tree::EntryKind::Blob);
                edit.set_raw(
                    &c.path,
                    Some(Entry {
                        kind,
                        id: write_blob(&merged)?,
                    }),
                );
            }
            _ => unresolved.push(c.path.clone()),
        }
    }
    if automerge {
        let side = |t: ObjectId, p: &str| entry_at(&o.repo, t, p);
        for Replacement {
            path,
            kind,
            content,
            mode,
        } in &res.replace
        {
            let chosen = match kind {
                ReplacementTypeEnum::KeepBase => side(base_tree, path)?,
                ReplacementTypeEnum::KeepSource => side(source_tree, path)?,
                ReplacementTypeEnum::KeepDestination => side(dest_tree, path)?,
                _ => {
                    let blob = write_blob(content.as_deref().unwrap_or_default())?;
                    let existing = edit
                        .current(path)?
                        .filter(Entry::is_blob_like)
                        .map(|e| e.kind);
                    Some(Entry {
                        kind: existing.unwrap_or(gix::objs::tree::EntryKind::Blob),
                        id: blob,
                    })
                }
            };
            let chosen = match (chosen, mode) {
                (Some(e), Some(m)) if e.is_blob_like() => Some(Entry { kind: *m, ..e }),
                (c, _) => c,
            };
            edit.set_raw(path, chosen);
        }
        for path in &res.delete {
            edit.set_raw(path, None);
        }
        for (path, kind) in &res.modes {
            let Some(e) = edit.current(path)?.filter(Entry::is_blob_like) else {
                bail!(
                    FileDoesNotExist,
                    "The file {path} does not exist in the merge result, so its mode cannot be set."
                )
            };
            edit.set_raw(
                path,
                Some(Entry {
                    kind: *kind,
                    id: e.id,
                }),
            );
        }
    }
    if !unresolved.is_empty() {
        bail!(
            ManualMergeRequired,
            "The merge cannot be completed because of conflicts that must be resolved manually: {}.",
            unresolved.join(", ")
        )
    }
    let tree = edit.write_tree_only(keep_empty_folders)?;
    Ok(tree)
}

fn hunk_detail(lines: &[&[u8]], range: &std::ops::Range<usize>) -> MergeHunkDetail {
    let content: Vec<u8> = lines[range.clone()].concat();
    MergeHunkDetail {
        start_line: Some(range.start as i32),
        end_line: Some(range.end as i32),
        hunk_content: Some(base64::engine::general_purpose::STANDARD.encode(content)),
    }
}

/// The three texts of a path (missing or non-file sides are empty).
fn texts(o: &Opened, c: &Conflict) -> ApiResult<[Vec<u8>; 3]> {
    let read = |e: Option<Entry>| -> ApiResult<Vec<u8>> {
        match e {
            Some(e) if e.is_blob_like() => read_blob(&o.repo, e.id),
            _ => Ok(Vec::new()),
        }
    };
    Ok([read(c.base)?, read(c.source)?, read(c.destination)?])
}

fn merge_hunks(o: &Opened, c: &Conflict) -> ApiResult<Vec<MergeHunk>> {
    let Some(d3) = &c.lines else {
        return Ok(Vec::new());
    };
    let [b, s, d] = texts(o, c)?;
    let (bl, sl, dl) = (
        linediff::split_lines(&b),
        linediff::split_lines(&s),
        linediff::split_lines(&d),
    );
    Ok(d3
        .chunks
        .iter()
        .map(|ch| MergeHunk {
            is_conflict: Some(ch.kind == merge::ChunkKind::Conflict),
            base: Some(hunk_detail(&bl, &ch.base)),
            source: Some(hunk_detail(&sl, &ch.source)),
            destination: Some(hunk_detail(&dl, &ch.destination)),
        })
        .collect())
}

fn conflict_metadata(o: &Opened, c: &Conflict) -> ApiResult<ConflictMetadata> {
    let obj = |e: &Option<Entry>| {
        e.map(|e| match merge::obj_type(&e) {
            ObjType::File => ObjectTypeEnum::File,
            ObjType::Directory => ObjectTypeEnum::Directory,
            ObjType::GitLink => ObjectTypeEnum::GitLink,
            ObjType::SymbolicLink => ObjectTypeEnum::SymbolicLink,
        })
    };
    let mode = |e: &Option<Entry>| e.filter(Entry::is_blob_like).map(|e| mode_enum(e.kind));
    let size = |e: &Option<Entry>| -> ApiResult<Option<i64>> {
        match e {
            Some(e) if e.is_blob_like() => Ok(Some(object_size(&o.repo, e.id)? as i64)),
            _ => Ok(None),
        }
    };
    let binary = |e: &Option<Entry>| -> ApiResult<bool> {
        match e {
            Some(e) if e.is_blob_like() => Ok(linediff::is_binary(&read_blob(&o.repo, e.id)?)),
            _ => Ok(false),
        }
    };
    let op = |side: &Option<Entry>| match (&c.base, side) {
        (None, _) => ChangeTypeEnum::A,
        (Some(_), None) => ChangeTypeEnum::D,
        _ => ChangeTypeEnum::M,
    };
    Ok(ConflictMetadata {
        file_path: Some(c.path.clone()),
        file_sizes: Some(FileSizes {
            source: size(&c.source)?,
            destination: size(&c.destination)?,
            base: size(&c.base)?,
        }),
        file_modes: Some(FileModes {
            source: mode(&c.source),
            destination: mode(&c.destination),
            base: mode(&c.base),
        }),
        object_types: Some(ObjectTypes {
            source: obj(&c.source),
            destination: obj(&c.destination),
            base: obj(&c.base),
        }),
        number_of_conflicts: Some(c.number_of_conflicts() as i32),
        is_binary_file: Some(IsBinaryFile {
            source: Some(binary(&c.source)?),
            destination: Some(binary(&c.destination)?),
            base: Some(binary(&c.base)?),
        }),
        content_conflict: Some(c.content),
        file_mode_conflict: Some(c.mode),
        object_type_conflict: Some(c.object_type),
        merge_operations: Some(MergeOperations {
            source: Some(op(&c.source)),
            destination: Some(op(&c.destination)),
        }),
    })
}

pub fn get_merge_options(
    ctx: &Ctx<'_>,
    input: GetMergeOptionsInput,
) -> ApiResult<GetMergeOptionsOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    let level = level(&input.conflict_detail_level)?;
    let strategy = strategy(&input.conflict_resolution_strategy)?;
    let mut options = Vec::new();
    if ep.fast_forwardable() {
        options.push(MergeOptionTypeEnum::FastForwardMerge);
    }
    let analysis = analyze(&o, &ep, level)?;
    if analysis.conflicts.iter().all(|c| settled_by(&strategy, c)) {
        options.push(MergeOptionTypeEnum::SquashMerge);
        options.push(MergeOptionTypeEnum::ThreeWayMerge);
    }
    Ok(GetMergeOptionsOutput {
        merge_options: Some(options),
        source_commit_id: Some(ep.source.to_string()),
        destination_commit_id: Some(ep.destination.to_string()),
        base_commit_id: Some(ep.base.map(|b| b.to_string()).unwrap_or_default()),
    })
}

pub fn get_merge_conflicts(
    ctx: &Ctx<'_>,
    input: GetMergeConflictsInput,
) -> ApiResult<GetMergeConflictsOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let option = merge_option(&input.merge_option)?;
    let level = level(&input.conflict_detail_level)?;
    let strategy = strategy(&input.conflict_resolution_strategy)?;
    let page = match input.max_conflict_files {
        None => CONFLICT_FILES_PAGE,
        Some(n) if n >= 1 => n as usize,
        Some(n) => bail!(
            InvalidMaxConflictFiles,
            "The specified maximum number of conflict files is not valid: {n}."
        ),
    };
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        Some((
            ErrorCode::InvalidSourceCommitSpecifier,
            ErrorCode::InvalidDestinationCommitSpecifier,
        )),
    )?;
    let kind = format!("merge-conflicts/{}/{}", ep.source, ep.destination);
    let start = paginate::decode_index(&kind, &input.next_token)?;
    if option == MergeOptionTypeEnum::FastForwardMerge {
        return Ok(GetMergeConflictsOutput {
            mergeable: Some(ep.fast_forwardable()),
            destination_commit_id: Some(ep.destination.to_string()),
            source_commit_id: Some(ep.source.to_string()),
            base_commit_id: None,
            conflict_metadata_list: Some(Vec::new()),
            next_token: None,
        });
    }
    let analysis = analyze(&o, &ep, level)?;
    let mergeable = analysis.conflicts.iter().all(|c| settled_by(&strategy, c));
    if start > analysis.conflicts.len() {
        bail!(
            InvalidContinuationToken,
            "The continuation token is not valid."
        )
    }
    let end = (start + page).min(analysis.conflicts.len());
    let list = analysis.conflicts[start..end]
        .iter()
        .map(|c| conflict_metadata(&o, c))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(GetMergeConflictsOutput {
        mergeable: Some(mergeable),
        destination_commit_id: Some(ep.destination.to_string()),
        source_commit_id: Some(ep.source.to_string()),
        base_commit_id: ep.base.map(|b| b.to_string()),
        conflict_metadata_list: Some(list),
        next_token: (end < analysis.conflicts.len())
            .then(|| paginate::encode(&kind, &end.to_string())),
    })
}

/// The conflict record for one path: the real conflict, or — for a path that merges cleanly —
/// its three sides with no conflict flags, so it can still be described.
fn describe_path(
    o: &Opened,
    ep: &Endpoints,
    analysis: &Analysis,
    path: &str,
) -> ApiResult<Option<Conflict>> {
    if let Some(c) = analysis.conflicts.iter().find(|c| c.path == path) {
        return Ok(Some(c.clone()));
    }
    let tree = |c: Option<ObjectId>| -> ApiResult<Option<Entry>> {
        match c {
            Some(c) => entry_at(&o.repo, objects::commit_tree(&o.repo, c)?, path),
            None => Ok(None),
        }
    };
    let (b, s, d) = (
        tree(ep.base)?,
        tree(Some(ep.source))?,
        tree(Some(ep.destination))?,
    );
    if b.is_none() && s.is_none() && d.is_none() {
        return Ok(None);
    }
    let text = |e: Option<Entry>| -> ApiResult<Option<Vec<u8>>> {
        match e {
            Some(e) if e.is_blob_like() => Ok(Some(read_blob(&o.repo, e.id)?)),
            _ => Ok(None),
        }
    };
    let lines = match (text(b)?, text(s)?, text(d)?) {
        (bt, Some(st), Some(dt)) if ![&st, &dt].iter().any(|t| linediff::is_binary(t)) => {
            Some(merge::diff3(&bt.unwrap_or_default(), &st, &dt))
        }
        _ => None,
    };
    Ok(Some(Conflict {
        path: path.to_owned(),
        base: b,
        source: s,
        destination: d,
        content: false,
        mode: false,
        object_type: false,
        lines,
        merged_kind: None,
    }))
}

fn three_way_only(option: &MergeOptionTypeEnum) -> ApiResult<()> {
    if *option == MergeOptionTypeEnum::FastForwardMerge {
        bail!(
            InvalidMergeOption,
            "The specified merge option is not valid for this operation. Not all merge strategies are supported for all operations."
        )
    }
    Ok(())
}

pub fn describe_merge_conflicts(
    ctx: &Ctx<'_>,
    input: DescribeMergeConflictsInput,
) -> ApiResult<DescribeMergeConflictsOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let option = merge_option(&input.merge_option)?;
    three_way_only(&option)?;
    let level = level(&input.conflict_detail_level)?;
    strategy(&input.conflict_resolution_strategy)?;
    let path = validate::file_path(&input.file_path)?;
    let page = match input.max_merge_hunks {
        None => MERGE_HUNKS_PAGE,
        Some(n) if n >= 1 => n as usize,
        Some(n) => bail!(
            InvalidMaxMergeHunks,
            "The specified maximum number of merge hunks is not valid: {n}."
        ),
    };
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    let kind = format!("merge-hunks/{}/{}/{path}", ep.source, ep.destination);
    let start = paginate::decode_index(&kind, &input.next_token)?;
    let analysis = analyze(&o, &ep, level)?;
    let Some(c) = describe_path(&o, &ep, &analysis, &path)? else {
        bail!(
            FileDoesNotExist,
            "The file {path} does not exist in the source, destination or base commit."
        )
    };
    let hunks = merge_hunks(&o, &c)?;
    if start > hunks.len() {
        bail!(
            InvalidContinuationToken,
            "The continuation token is not valid."
        )
    }
    let end = (start + page).min(hunks.len());
    Ok(DescribeMergeConflictsOutput {
        conflict_metadata: Some(conflict_metadata(&o, &c)?),
        merge_hunks: Some(hunks[start..end].to_vec()),
        next_token: (end < hunks.len()).then(|| paginate::encode(&kind, &end.to_string())),
        destination_commit_id: Some(ep.destination.to_string()),
        source_commit_id: Some(ep.source.to_string()),
        base_commit_id: ep.base.map(|b| b.to_string()),
    })
}

pub fn batch_describe_merge_conflicts(
    ctx: &Ctx<'_>,
    input: BatchDescribeMergeConflictsInput,
) -> ApiResult<BatchDescribeMergeConflictsOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let option = merge_option(&input.merge_option)?;
    three_way_only(&option)?;
    let level = level(&input.conflict_detail_level)?;
    strategy(&input.conflict_resolution_strategy)?;
    let files_page = match input.max_conflict_files {
        None => CONFLICT_FILES_PAGE,
        Some(n) if n >= 1 => n as usize,
        Some(n) => bail!(
            InvalidMaxConflictFiles,
            "The specified maximum number of conflict files is not valid: {n}."
        ),
    };
    let hunks_page = match input.max_merge_hunks {
        None => MERGE_HUNKS_PAGE,
        Some(n) if n >= 1 => n as usize,
        Some(n) => bail!(
            InvalidMaxMergeHunks,
            "The specified maximum number of merge hunks is not valid: {n}."
        ),
    };
    let filter: Option<Vec<String>> = match input.file_paths {
        Some(paths) if !paths.is_empty() => Some(
            paths
                .iter()
                .map(|p| validate::file_path(&Some(p.clone())))
                .collect::<ApiResult<_>>()?,
        ),
        _ => None,
    };
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    let kind = format!("batch-merge-conflicts/{}/{}", ep.source, ep.destination);
    let start = paginate::decode_index(&kind, &input.next_token)?;
    let analysis = analyze(&o, &ep, level)?;
    let mut errors = Vec::new();
    let selected: Vec<&Conflict> = match &filter {
        None => analysis.conflicts.iter().collect(),
        Some(paths) => {
            for p in paths {
                if describe_path(&o, &ep, &analysis, p)?.is_none() {
                    errors.push(BatchDescribeMergeConflictsError {
                        file_path: Some(p.clone()),
                        exception_name: Some(ErrorCode::FileDoesNotExist.name().to_owned()),
                        message: Some(format!(
                            "The file {p} does not exist in the source, destination or base commit."
                        )),
                    });
                }
            }
            analysis
                .conflicts
                .iter()
                .filter(|c| paths.contains(&c.path))
                .collect()
        }
    };
    if start > selected.len() {
        bail!(
            InvalidContinuationToken,
            "The continuation token is not valid."
        )
    }
    let end = (start + files_page).min(selected.len());
    let mut conflicts = Vec::new();
    for c in &selected[start..end] {
        let mut hunks = merge_hunks(&o, c)?;
        hunks.truncate(hunks_page);
        conflicts.push(codecommit_model::shapes::Conflict {
            conflict_metadata: Some(conflict_metadata(&o, c)?),
            merge_hunks: Some(hunks),
        });
    }
    Ok(BatchDescribeMergeConflictsOutput {
        conflicts: Some(conflicts),
        errors: Some(errors),
        next_token: (end < selected.len()).then(|| paginate::encode(&kind, &end.to_string())),
        destination_commit_id: Some(ep.destination.to_string()),
        source_commit_id: Some(ep.source.to_string()),
        base_commit_id: ep.base.map(|b| b.to_string()),
    })
}

/// The branch a merge moves: `targetBranch`, else the destination when it names a branch.
fn target_branch(
    o: &Opened,
    target: &Option<String>,
    destination_spec: &Option<String>,
) -> ApiResult<String> {
    if let Some(t) = validate::present(target) {
        if !validate::is_valid_branch_name(t) {
            bail!(
                InvalidBranchName,
                "The specified branch name is not valid: {}",
                validate::printable(t)
            )
        }
        return Ok(t.to_owned());
    }
    let spec = validate::present(destination_spec).unwrap_or_default();
    let name = spec.strip_prefix("refs/heads/").unwrap_or(spec);
    if objects::branch_tip(&o.repo, name)?.is_some() {
        return Ok(name.to_owned());
    }
    bail!(
        InvalidTargetBranch,
        "The destination {} is not a branch; specify the branch to update in targetBranch.",
        validate::printable(spec)
    )
}

/// Moves `branch` to `commit` by compare-and-swap from the tip read now, and records it.
fn move_branch(
    ctx: &Ctx<'_>,
    o: &Opened,
    branch: &str,
    expected: ObjectId,
    commit: ObjectId,
) -> ApiResult<()> {
    let name = format!("refs/heads/{branch}");
    match compare_and_swap(&o.repo, &name, Some(expected), Some(commit))? {
        Ok(()) => {}
        Err(CasFailure::Moved { .. }) => {
            bail!(
                ConcurrentReferenceUpdate,
                "The merge cannot be completed because the branch {branch} was updated at the same time; try again."
            )
        }
    }
    repositories::record_ref_changes(
        ctx.state,
        &o.rec.id,
        vec![(Some(expected.to_string()), Some(commit.to_string()), name)],
    );
    Ok(())
}

/// The current tip of the target branch (must exist and not be a tag).
fn target_tip(o: &Opened, branch: &str) -> ApiResult<ObjectId> {
    match super::branches::writable_branch(o, branch)? {
        Some(t) => Ok(t),
        None => bail!(
            BranchDoesNotExist,
            "Branch {branch} does not exist in repository {}.",
            o.rec.name
        ),
    }
}

pub fn merge_branches_by_fast_forward(
    ctx: &Ctx<'_>,
    input: MergeBranchesByFastForwardInput,
) -> ApiResult<MergeBranchesByFastForwardOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    let branch = target_branch(
        &o,
        &input.target_branch,
        &input.destination_commit_specifier,
    )?;
    let lock = ctx.state.git.write_lock(&o.rec.id);
    let _guard = lock.lock();
    let tip = target_tip(&o, &branch)?;
    if !ep.fast_forwardable() || merge_base(&o.repo, tip, ep.source)? != Some(tip) {
        bail!(
            ManualMergeRequired,
            "The branches cannot be merged by fast-forward: the destination is not an ancestor of the source."
        )
    }
    if tip != ep.source {
        move_branch(ctx, &o, &branch, tip, ep.source)?;
    }
    Ok(MergeBranchesByFastForwardOutput {
        commit_id: Some(ep.source.to_string()),
        tree_id: Some(objects::commit_tree(&o.repo, ep.source)?.to_string()),
    })
}

/// Squash (one parent) or three-way (two parents) merge commit of the endpoints.
#[allow(clippy::too_many_arguments)]
fn merge_commit(
    o: &Opened,
    ep: &Endpoints,
    three_way: bool,
    level: Level,
    strategy: &ConflictResolutionStrategyTypeEnum,
    res: &Resolution,
    keep_empty_folders: bool,
    who: &Authorship,
    names: (&str, &str),
) -> ApiResult<(ObjectId, ObjectId)> {
    // The destination already contains the source (or is it): nothing to merge, so the result
    // is the destination itself, as `git merge` answers "Already up to date" — never an empty
    // squash commit or a merge commit whose parents are one commit twice.
    if ep.base == Some(ep.source) {
        return Ok((
            ep.destination,
            objects::commit_tree(&o.repo, ep.destination)?,
        ));
    }
    let tree = merged_tree(o, ep, level, strategy, res, keep_empty_folders)?;
    let parents = if three_way {
        vec![ep.destination, ep.source]
    } else {
        vec![ep.destination]
    };
    let message = match &who.message {
        Some(m) => m.clone(),
        None if three_way => format!("Merge {} into {}", names.0, names.1),
        None => squash_message(o, ep)?,
    };
    let commit = write_commit(&o.repo, tree, &parents, &who.person, &message)?;
    Ok((commit, tree))
}

/// The messages of the commits being squashed, oldest first.
fn squash_message(o: &Opened, ep: &Endpoints) -> ApiResult<String> {
    let walk = o
        .repo
        .rev_walk([ep.source])
        .with_hidden([ep.destination])
        .all()
        .internal("walking history")?;
    let mut messages = Vec::new();
    for info in walk.take(100) {
        let info = info.map_err(|e| ApiError::internal("walking history", e))?;
        let c = o.repo.find_commit(info.id).internal("reading a commit")?;
        let text = c.message_raw_sloppy().to_string();
        messages.push(text.trim_end().to_owned());
    }
    messages.reverse();
    Ok(if messages.is_empty() {
        "Squash merge".to_owned()
    } else {
        messages.join("\n\n")
    })
}

struct MergeRequest<'a> {
    repository_name: &'a Option<String>,
    source: &'a Option<String>,
    destination: &'a Option<String>,
    target_branch: &'a Option<String>,
    level: &'a Option<ConflictDetailLevelTypeEnum>,
    strategy: &'a Option<ConflictResolutionStrategyTypeEnum>,
    resolution: Option<ConflictResolution>,
    author: &'a Option<String>,
    email: &'a Option<String>,
    message: &'a Option<String>,
    keep_empty_folders: Option<bool>,
}

fn merge_onto_branch(
    ctx: &Ctx<'_>,
    r: MergeRequest<'_>,
    three_way: bool,
) -> ApiResult<(ObjectId, ObjectId)> {
    let o = ctx.open_repo(r.repository_name)?;
    let ep = endpoints(&o, r.source, r.destination, None)?;
    let branch = target_branch(&o, r.target_branch, r.destination)?;
    let level = level(r.level)?;
    let strategy = strategy(r.strategy)?;
    let res = resolution(r.resolution)?;
    let who = authorship(ctx, r.author, r.email, r.message)?;
    let lock = ctx.state.git.write_lock(&o.rec.id);
    let _guard = lock.lock();
    let tip = target_tip(&o, &branch)?;
    let names = (
        validate::present(r.source).unwrap_or_default(),
        validate::present(r.destination).unwrap_or_default(),
    );
    // The destination branch moved (a push) since it was resolved, or the branch to move has
    // commits on top of the destination however it was named (HEAD, a commit id): a merge
    // commit on the old tip would drop those commits from the branch.
    let is_destination = names.1.strip_prefix("refs/heads/").unwrap_or(names.1) == branch;
    if tip != ep.destination
        && (is_destination || merge_base(&o.repo, tip, ep.destination)? == Some(ep.destination))
    {
        bail!(
            ConcurrentReferenceUpdate,
            "The merge cannot be completed because the branch {branch} was updated at the same time; try again."
        )
    }
    let (commit, tree) = merge_commit(
        &o,
        &ep,
        three_way,
        level,
        &strategy,
        &res,
        r.keep_empty_folders.unwrap_or(false),
        &who,
        names,
    )?;
    if tip != commit {
        move_branch(ctx, &o, &branch, tip, commit)?;
    }
    Ok((commit, tree))
}

pub fn merge_branches_by_squash(
    ctx: &Ctx<'_>,
    input: MergeBranchesBySquashInput,
) -> ApiResult<MergeBranchesBySquashOutput> {
    let (commit, tree) = merge_onto_branch(
        ctx,
        MergeRequest {
            repository_name: &input.repository_name,
            source: &input.source_commit_specifier,
            destination: &input.destination_commit_specifier,
            target_branch: &input.target_branch,
            level: &input.conflict_detail_level,
            strategy: &input.conflict_resolution_strategy,
            resolution: input.conflict_resolution.clone(),
            author: &input.author_name,
            email: &input.email,
            message: &input.commit_message,
            keep_empty_folders: input.keep_empty_folders,
        },
        false,
    )?;
    Ok(MergeBranchesBySquashOutput {
        commit_id: Some(commit.to_string()),
        tree_id: Some(tree.to_string()),
    })
}

pub fn merge_branches_by_three_way(
    ctx: &Ctx<'_>,
    input: MergeBranchesByThreeWayInput,
) -> ApiResult<MergeBranchesByThreeWayOutput> {
    let (commit, tree) = merge_onto_branch(
        ctx,
        MergeRequest {
            repository_name: &input.repository_name,
            source: &input.source_commit_specifier,
            destination: &input.destination_commit_specifier,
            target_branch: &input.target_branch,
            level: &input.conflict_detail_level,
            strategy: &input.conflict_resolution_strategy,
            resolution: input.conflict_resolution.clone(),
            author: &input.author_name,
            email: &input.email,
            message: &input.commit_message,
            keep_empty_folders: input.keep_empty_folders,
        },
        true,
    )?;
    Ok(MergeBranchesByThreeWayOutput {
        commit_id: Some(commit.to_string()),
        tree_id: Some(tree.to_string()),
    })
}

pub fn create_unreferenced_merge_commit(
    ctx: &Ctx<'_>,
    input: CreateUnreferencedMergeCommitInput,
) -> ApiResult<CreateUnreferencedMergeCommitOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let option = merge_option(&input.merge_option)?;
    three_way_only(&option)?;
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    let level = level(&input.conflict_detail_level)?;
    let strategy = strategy(&input.conflict_resolution_strategy)?;
    let res = resolution(input.conflict_resolution)?;
    let who = authorship(ctx, &input.author_name, &input.email, &input.commit_message)?;
    let names = (
        validate::present(&input.source_commit_specifier).unwrap_or_default(),
        validate::present(&input.destination_commit_specifier).unwrap_or_default(),
    );
    let three_way = option == MergeOptionTypeEnum::ThreeWayMerge;
    let (commit, tree) = merge_commit(
        &o,
        &ep,
        three_way,
        level,
        &strategy,
        &res,
        input.keep_empty_folders.unwrap_or(false),
        &who,
        names,
    )?;
    // A hidden ref keeps the commit from garbage collection; it is never advertised.
    let keep = format!("{HIDDEN_REF_PREFIX}keep/{commit}");
    if objects::ref_target(&o.repo, &keep)?.is_none() {
        let _ = compare_and_swap(&o.repo, &keep, None, Some(commit))?;
    }
    Ok(CreateUnreferencedMergeCommitOutput {
        commit_id: Some(commit.to_string()),
        tree_id: Some(tree.to_string()),
    })
}

/// The commit that merged `source` into `destination`'s history: the first commit on the
/// destination's first-parent line that has the source among its non-first parents' history.
/// None when the source arrived by fast-forward or is not merged.
pub fn get_merge_commit(
    ctx: &Ctx<'_>,
    input: GetMergeCommitInput,
) -> ApiResult<GetMergeCommitOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    level(&input.conflict_detail_level)?;
    strategy(&input.conflict_resolution_strategy)?;
    let mut merged = None;
    if ep.base == Some(ep.source) && ep.source != ep.destination {
        let mut current = ep.destination;
        // Bounded walk down the first-parent line.
        for _ in 0..100_000 {
            if current == ep.source {
                break;
            }
            let parents = objects::parents(&o.repo, current)?;
            let Some(first) = parents.first().copied() else {
                break;
            };
            let via_first = merge_base(&o.repo, ep.source, first)? == Some(ep.source);
            if !via_first {
                if parents.len() > 1 {
                    merged = Some(current);
                }
                break;
            }
            current = first;
        }
    }
    Ok(GetMergeCommitOutput {
        source_commit_id: Some(ep.source.to_string()),
        destination_commit_id: Some(ep.destination.to_string()),
        base_commit_id: ep.base.map(|b| b.to_string()),
        merged_commit_id: merged.map(|m| m.to_string()),
    })
}
