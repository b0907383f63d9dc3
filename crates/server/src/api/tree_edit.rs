//! Applying file changes to a tree, with CodeCommit's conflict rules: a file cannot replace a
//! folder, a folder cannot go through a file, nothing can go inside a submodule. Edits are
//! checked against the base tree as modified by the earlier edits of the same request, then
//! written with gix's tree editor (only the trees on changed paths are rewritten).

use crate::bail;
use crate::error::{ApiResult, Internal as _};
use crate::git::objects::{Entry, TreeCache, entry_at};
use gix::ObjectId;
use gix::objs::tree::EntryKind;
use std::collections::BTreeMap;

pub const GITKEEP: &str = ".gitkeep";

pub struct TreeEdit<'r> {
    repo: &'r gix::Repository,
    base: ObjectId,
    /// Entries of the base tree looked up so far.
    trees: TreeCache,
    /// Path → new entry (`None`: deleted), in path order.
    edits: BTreeMap<String, Option<Entry>>,
}

/// One changed path in the result, for CreateCommit's filesAdded/Updated/Deleted.
#[derive(Debug, Clone)]
pub struct Touched {
    pub path: String,
    pub before: Option<Entry>,
    pub after: Option<Entry>,
}

fn parent_of(path: &str) -> Option<&str> {
    path.rsplit_once('/').map(|(p, _)| p)
}

/// Strict ancestors of a path, nearest last: `a/b/c` → `a`, `a/b`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

impl<'r> TreeEdit<'r> {
    /// Starts from `base` (the empty tree for an empty repository).
    pub fn new(repo: &'r gix::Repository, base: ObjectId) -> Self {
        TreeEdit {
            repo,
            base,
            trees: TreeCache::default(),
            edits: BTreeMap::new(),
        }
    }

    fn base_entry(&mut self, path: &str) -> ApiResult<Option<Entry>> {
        self.trees.entry(self.repo, self.base, path)
    }

    /// The entry at `path` in the base tree as modified by the edits so far. A folder that
    /// only exists because of new files is reported as a tree with a null id.
    pub fn current(&mut self, path: &str) -> ApiResult<Option<Entry>> {
        if let Some(e) = self.edits.get(path) {
            return Ok(*e);
        }
        for a in ancestors(path) {
            if let Some(e) = self.edits.get(a) {
                // Under a file that was put or a path that was deleted: nothing.
                if e.is_none_or(|e| !e.is_tree()) {
                    return Ok(None);
                }
            }
        }
        let prefix = format!("{path}/");
        let created_inside = self
            .edits
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .any(|(_, v)| v.is_some());
        let base = self.base_entry(path)?;
        if created_inside && base.is_none_or(|b| !b.is_tree()) {
            return Ok(Some(Entry {
                kind: EntryKind::Tree,
                id: ObjectId::null(gix::hash::Kind::Sha1),
            }));
        }
        Ok(base)
    }

    /// Puts a blob at `path`, refusing the folder/file/submodule conflicts CodeCommit refuses.
    pub fn put(&mut self, path: &str, kind: EntryKind, blob: ObjectId) -> ApiResult<()> {
        let ancestors: Vec<String> = ancestors(path).map(str::to_owned).collect();
        for a in &ancestors {
            match self.current(a)? {
                Some(e) if e.kind == EntryKind::Commit => bail!(
                    FilePathConflictsWithSubmodulePath,
                    "The file path {path} conflicts with the submodule at {a}."
                ),
                Some(e) if !e.is_tree() => bail!(
                    DirectoryNameConflictsWithFileName,
                    "The folder {a} in the path {path} has the same name as a file in the repository."
                ),
                _ => {}
            }
        }
        match self.current(path)? {
            Some(e) if e.kind == EntryKind::Commit => {
                bail!(
                    FilePathConflictsWithSubmodulePath,
                    "The file path {path} conflicts with a submodule."
                )
            }
            Some(e) if e.is_tree() => {
                bail!(
                    FileNameConflictsWithDirectoryName,
                    "The file name {path} has the same name as a folder in the repository."
                )
            }
            _ => {}
        }
        self.edits
            .insert(path.to_owned(), Some(Entry { kind, id: blob }));
        Ok(())
    }

    /// Sets `path` to `entry` (any kind, including a whole tree) or removes it, without the
    /// conflict rules: merges apply what git already decided is consistent.
    pub fn set_raw(&mut self, path: &str, entry: Option<Entry>) {
        self.edits.insert(path.to_owned(), entry);
    }

    /// Deletes the file at `path`; returns what was there, or `None` if there is no file.
    pub fn delete(&mut self, path: &str) -> ApiResult<Option<Entry>> {
        match self.current(path)? {
            Some(e) if e.is_blob_like() => {
                self.edits.insert(path.to_owned(), None);
                Ok(Some(e))
            }
            _ => Ok(None),
        }
    }

    /// Writes the new root tree. With `keep_empty_folders`, a folder emptied by deletions keeps
    /// a `.gitkeep` file (codecommit-facts.md §2 CreateCommit); otherwise it disappears, as
    /// folders do in git.
    pub fn write(mut self, keep_empty_folders: bool) -> ApiResult<(ObjectId, Vec<Touched>)> {
        let tree = self.write_only(keep_empty_folders)?;
        let mut touched = Vec::new();
        let edits = std::mem::take(&mut self.edits);
        for (path, after) in edits {
            let before = self.base_entry(&path)?.filter(Entry::is_blob_like);
            if before != after {
                touched.push(Touched {
                    path,
                    before,
                    after,
                });
            }
        }
        Ok((tree, touched))
    }

    /// Like [`Self::write`], for callers that do not report what changed (it saves reading
    /// the base entry of every edited path).
    pub fn write_tree_only(mut self, keep_empty_folders: bool) -> ApiResult<ObjectId> {
        self.write_only(keep_empty_folders)
    }

    fn write_only(&mut self, keep_empty_folders: bool) -> ApiResult<ObjectId> {
        let tree = self.write_tree()?;
        let emptied: Vec<String> = if keep_empty_folders {
            let deleted: Vec<String> = self
                .edits
                .iter()
                .filter(|(_, v)| v.is_none())
                .map(|(k, _)| k.clone())
                .collect();
            let mut emptied = Vec::new();
            for path in deleted {
                if let Some(folder) = parent_of(&path)
                    && entry_at(self.repo, tree, folder)?.is_none()
                    && !emptied.iter().any(|f: &String| f == folder)
                {
                    emptied.push(folder.to_owned());
                }
            }
            emptied
        } else {
            Vec::new()
        };
        let tree = if emptied.is_empty() {
            tree
        } else {
            let empty_blob =
                crate::git::write::retrying("writing a blob", || self.repo.write_blob([]))?
                    .detach();
            for folder in emptied {
                self.edits.insert(
                    format!("{folder}/{GITKEEP}"),
                    Some(Entry {
                        kind: EntryKind::Blob,
                        id: empty_blob,
                    }),
                );
            }
            self.write_tree()?
        };
        Ok(tree)
    }

    fn write_tree(&self) -> ApiResult<ObjectId> {
        let mut editor = self.repo.edit_tree(self.base).internal("editing a tree")?;
        for (path, entry) in &self.edits {
            match entry {
                Some(e) => {
                    editor
                        .upsert(path.as_str(), e.kind, e.id)
                        .internal("editing a tree")?;
                }
                None => {
                    editor.remove(path.as_str()).internal("editing a tree")?;
                }
            }
        }
        Ok(crate::git::write::retrying("writing a tree", || editor.write())?.detach())
    }
}
