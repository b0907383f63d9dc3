//! Tree differences as CodeCommit reports them: one change per file (blob, executable,
//! symlink or submodule entry), A/M/D, no rename detection. Identical subtrees are skipped by
//! id, so the cost follows the size of the change, not of the repository.

use super::objects::{Entry, tree_entries};
use crate::error::ApiResult;
use gix::ObjectId;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Path on the before side (when `before` is set) and on the after side (when `after` is).
    pub before_path: String,
    pub after_path: String,
    pub before: Option<Entry>,
    pub after: Option<Entry>,
}

impl FileChange {
    /// The path the change is sorted and reported under.
    pub fn path(&self) -> &str {
        if self.after.is_some() {
            &self.after_path
        } else {
            &self.before_path
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Changes between two entries (trees or files), reported with the given root paths on each
/// side. `None` means "nothing there" (e.g. the empty tree of an initial commit).
pub fn diff_entries(
    repo: &gix::Repository,
    before: Option<Entry>,
    after: Option<Entry>,
    before_root: &str,
    after_root: &str,
) -> ApiResult<Vec<FileChange>> {
    let mut out = Vec::new();
    walk(repo, before, after, before_root, after_root, None, &mut out)?;
    sort(&mut out);
    Ok(out)
}

/// Which parts of two trees a pruned diff looks at (see [`diff_trees_near`]).
pub struct Near<'a> {
    /// Paths whose whole subtree is wanted.
    pub paths: &'a std::collections::BTreeMap<String, Option<Entry>>,
    /// Folders on the way to those paths.
    pub folders: &'a std::collections::BTreeSet<String>,
}

impl Near<'_> {
    /// Whether `path` is wanted, and whether everything under it is.
    fn keep(&self, path: &str, inside: bool) -> (bool, bool) {
        if inside {
            return (true, true);
        }
        let whole = self.paths.contains_key(path);
        (whole || self.folders.contains(path), whole)
    }
}

/// The changes between two root trees at, above or below the paths of `near` only: subtrees
/// elsewhere are never read. A merge uses it for the destination side, whose changes only
/// matter where they meet the source's, so its cost follows the overlap of the two changes.
pub fn diff_trees_near(
    repo: &gix::Repository,
    before: ObjectId,
    after: ObjectId,
    near: &Near<'_>,
) -> ApiResult<Vec<FileChange>> {
    let root = |id| {
        Some(Entry {
            kind: gix::objs::tree::EntryKind::Tree,
            id,
        })
    };
    let mut out = Vec::new();
    walk(
        repo,
        root(before),
        root(after),
        "",
        "",
        Some((near, false)),
        &mut out,
    )?;
    sort(&mut out);
    Ok(out)
}

fn sort(out: &mut [FileChange]) {
    out.sort_by(|a, b| {
        a.path()
            .cmp(b.path())
            .then_with(|| a.after.is_some().cmp(&b.after.is_some()))
    });
}

fn walk(
    repo: &gix::Repository,
    before: Option<Entry>,
    after: Option<Entry>,
    bpath: &str,
    apath: &str,
    near: Option<(&Near<'_>, bool)>,
    out: &mut Vec<FileChange>,
) -> ApiResult<()> {
    if before == after {
        return Ok(());
    }
    let b_tree = before.filter(Entry::is_tree);
    let a_tree = after.filter(Entry::is_tree);
    if b_tree.is_some() || a_tree.is_some() {
        let mut children: BTreeMap<Vec<u8>, (Option<Entry>, Option<Entry>)> = BTreeMap::new();
        if let Some(t) = b_tree {
            for (name, e) in tree_entries(repo, t.id)? {
                children.entry(name).or_default().0 = Some(e);
            }
        }
        if let Some(t) = a_tree {
            for (name, e) in tree_entries(repo, t.id)? {
                children.entry(name).or_default().1 = Some(e);
            }
        }
        for (name, (b, a)) in children {
            // Most children of a changed tree are unchanged: skip them before building paths.
            if b == a {
                continue;
            }
            let name = String::from_utf8_lossy(&name);
            let apath = join(apath, &name);
            let near = match near {
                Some((n, inside)) => match n.keep(&apath, inside) {
                    (false, _) => continue,
                    (true, inside) => Some((n, inside)),
                },
                None => None,
            };
            walk(repo, b, a, &join(bpath, &name), &apath, near, out)?;
        }
    }
    // A file on either side that is not matched by a file on the other.
    let b_leaf = before.filter(|e| !e.is_tree());
    let a_leaf = after.filter(|e| !e.is_tree());
    if b_leaf.is_some() || a_leaf.is_some() {
        out.push(FileChange {
            before_path: bpath.to_owned(),
            after_path: apath.to_owned(),
            before: b_leaf,
            after: a_leaf,
        });
    }
    Ok(())
}
