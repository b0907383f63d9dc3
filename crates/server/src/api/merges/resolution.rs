//! Conflict resolution input (strategies, replaceContents, deleteFiles, setFileModes) and the
//! merged tree a merge writes.

use super::*;

/// One `replaceContents` entry: path, what to keep, new content, new mode.
struct Replacement {
    path: String,
    kind: ReplacementTypeEnum,
    content: Option<Vec<u8>>,
    mode: Option<gix::objs::tree::EntryKind>,
}

/// Validated manual resolution entries (they apply with the AUTOMERGE strategy).
pub(crate) struct Resolution {
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

pub(crate) fn resolution(input: Option<ConflictResolution>) -> ApiResult<Resolution> {
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
            .is_some_and(|c| c.len() > crate::api::commits::MAX_FILE_BYTES)
        {
            bail!(
                FileContentSizeLimitExceeded,
                "The replacement content for {path} exceeds the maximum file size of 6 MB."
            )
        }
        let mode = r.file_mode.as_ref().map(entry_kind).transpose()?;
        if let Some(m) = mode {
            validate::check_symlink_path(&path, m)?;
        }
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
        let kind = entry_kind(mode)?;
        validate::check_symlink_path(&path, kind)?;
        modes.push((path, kind));
    }
    Ok(Resolution {
        replace,
        delete,
        modes,
    })
}

/// Computes the merged tree, or ManualMergeRequired. Writes only objects, no refs.
pub(super) fn merged_tree(
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
        Ok(crate::git::write::retrying("writing a blob", || o.repo.write_blob(data))?.detach())
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
