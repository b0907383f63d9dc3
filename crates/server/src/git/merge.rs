//! The merge engine: a structural three-way merge over tree differences (base→source and
//! base→destination, by path) and one diff3 over line hunks. CodeCommit's two detail levels
//! come out of the same analysis: FILE_LEVEL calls any file changed differently on both sides
//! a conflict; LINE_LEVEL merges such files line by line and only overlapping (or touching)
//! changes conflict. DescribeMergeConflicts reports the very chunks the line merge used, so
//! describing and merging never disagree.

use super::diff::{Near, diff_entries, diff_trees_near};
use super::linediff::{changed_regions, is_binary, split_lines};
use super::objects::{Entry, TreeCache, entry_at, read_blob};
use crate::error::ApiResult;
use gix::ObjectId;
use gix::objs::tree::EntryKind;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// Bounds on one merge analysis. CodeCommit refuses comparisons that are too large with
/// MaximumItemsToCompareExceeded and MaximumFileContentToLoadExceeded but documents no numbers;
/// these are generous, so only pathological merges meet them, and configurable for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeLimits {
    /// Changed paths of the two sides taken together.
    pub items_to_compare: usize,
    /// Files whose three versions are read for a line merge.
    pub files_to_load: usize,
}

impl Default for MergeLimits {
    fn default() -> Self {
        MergeLimits {
            items_to_compare: 100_000,
            files_to_load: 10_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    File,
    Line,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    /// Only the source changed these lines.
    Source,
    /// Only the destination changed them.
    Destination,
    /// Both made the same change.
    Both,
    /// Both changed them differently.
    Conflict,
}

/// One changed region of a three-way comparison; line ranges are 0-based, end-exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub kind: ChunkKind,
    pub base: Range<usize>,
    pub source: Range<usize>,
    pub destination: Range<usize>,
}

/// The outcome of a line-level three-way merge.
#[derive(Debug, Clone)]
pub struct Diff3 {
    pub chunks: Vec<Chunk>,
    /// The merged text when no chunk conflicts.
    pub merged: Option<Vec<u8>>,
    pub conflicts: usize,
}

/// diff3 of three texts. Changes of the two sides that overlap or touch (adjacent lines, or
/// insertions at the same place) form one chunk; such a chunk conflicts unless both sides
/// produced the same lines — the rule `git merge` applies.
pub fn diff3(base: &[u8], source: &[u8], destination: &[u8]) -> Diff3 {
    let b = split_lines(base);
    let s = split_lines(source);
    let d = split_lines(destination);
    let rs = changed_regions(&b, &s, false);
    let rd = changed_regions(&b, &d, false);

    struct Region {
        base: Range<usize>,
        side: Range<usize>,
        from_source: bool,
    }
    let mut regions: Vec<Region> = rs
        .into_iter()
        .map(|(bb, ss)| Region {
            base: bb.start as usize..bb.end as usize,
            side: ss.start as usize..ss.end as usize,
            from_source: true,
        })
        .chain(rd.into_iter().map(|(bb, dd)| Region {
            base: bb.start as usize..bb.end as usize,
            side: dd.start as usize..dd.end as usize,
            from_source: false,
        }))
        .collect();
    regions.sort_by_key(|r| (r.base.start, r.base.end));

    let mut chunks = Vec::new();
    let mut merged = Vec::new();
    let mut conflicts = 0;
    // Line offsets of each side relative to the base before the current position.
    let (mut ds, mut dd): (isize, isize) = (0, 0);
    let mut copied_base = 0usize;
    let mut i = 0;
    while i < regions.len() {
        let start = regions[i].base.start;
        let mut end = regions[i].base.end;
        let mut j = i + 1;
        while j < regions.len() && regions[j].base.start <= end {
            end = end.max(regions[j].base.end);
            j += 1;
        }
        let group = &regions[i..j];
        let side_range = |from_source: bool, delta: &mut isize| -> (Range<usize>, bool) {
            let mine: Vec<&Region> = group
                .iter()
                .filter(|r| r.from_source == from_source)
                .collect();
            let lo = (start as isize + *delta) as usize;
            let growth: isize = mine
                .iter()
                .map(|r| r.side.len() as isize - r.base.len() as isize)
                .sum();
            let hi = (end as isize + *delta + growth) as usize;
            *delta += growth;
            (lo..hi, !mine.is_empty())
        };
        let (srange, s_changed) = side_range(true, &mut ds);
        let (drange, d_changed) = side_range(false, &mut dd);
        let kind = match (s_changed, d_changed) {
            (true, false) => ChunkKind::Source,
            (false, true) => ChunkKind::Destination,
            _ if s[srange.clone()] == d[drange.clone()] => ChunkKind::Both,
            _ => ChunkKind::Conflict,
        };
        // Unchanged base lines before the chunk.
        for line in &b[copied_base..start] {
            merged.extend_from_slice(line);
        }
        copied_base = end;
        match kind {
            ChunkKind::Source | ChunkKind::Both => s[srange.clone()]
                .iter()
                .for_each(|l| merged.extend_from_slice(l)),
            ChunkKind::Destination => d[drange.clone()]
                .iter()
                .for_each(|l| merged.extend_from_slice(l)),
            ChunkKind::Conflict => conflicts += 1,
        }
        chunks.push(Chunk {
            kind,
            base: start..end,
            source: srange,
            destination: drange,
        });
        i = j;
    }
    for line in &b[copied_base..] {
        merged.extend_from_slice(line);
    }
    Diff3 {
        chunks,
        merged: (conflicts == 0).then_some(merged),
        conflicts,
    }
}

/// CodeCommit's object types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjType {
    File,
    Directory,
    GitLink,
    SymbolicLink,
}

pub fn obj_type(e: &Entry) -> ObjType {
    match e.kind {
        EntryKind::Tree => ObjType::Directory,
        EntryKind::Commit => ObjType::GitLink,
        EntryKind::Link => ObjType::SymbolicLink,
        EntryKind::Blob | EntryKind::BlobExecutable => ObjType::File,
    }
}

/// A path both sides changed, differently.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub path: String,
    pub base: Option<Entry>,
    pub source: Option<Entry>,
    pub destination: Option<Entry>,
    pub content: bool,
    pub mode: bool,
    pub object_type: bool,
    /// The line merge of the three texts, when all present sides are text files.
    pub lines: Option<Diff3>,
    /// The mode both sides agree on, or the one only one side changed.
    pub merged_kind: Option<EntryKind>,
}

impl Conflict {
    /// Hunk plus metadata conflicts, as `numberOfConflicts` counts them.
    pub fn number_of_conflicts(&self) -> usize {
        let content = if self.content {
            self.lines.as_ref().map(|l| l.conflicts).unwrap_or(0).max(1)
        } else {
            0
        };
        content + usize::from(self.mode) + usize::from(self.object_type)
    }

    /// Whether AUTOMERGE can settle it: a content-only conflict whose lines merge cleanly.
    pub fn auto_mergeable(&self) -> bool {
        !self.mode && !self.object_type && self.lines.as_ref().is_some_and(|l| l.merged.is_some())
    }
}

/// A change to apply to the destination tree.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Put this entry (blob, tree or submodule) at the path; `None` deletes it.
    Entry(Option<Entry>),
    /// Put new blob content with this mode.
    Content(Vec<u8>, EntryKind),
}

#[derive(Debug)]
pub struct Analysis {
    pub conflicts: Vec<Conflict>,
    /// Clean changes, by path, to apply on top of the destination tree.
    pub edits: BTreeMap<String, Edit>,
}

fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

fn under(path: &str, dir: &str) -> bool {
    path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

/// Three-way analysis of trees (any of them may be the empty tree).
pub fn analyze(
    repo: &gix::Repository,
    base: ObjectId,
    source: ObjectId,
    destination: ObjectId,
    level: Level,
    limits: MergeLimits,
) -> ApiResult<Analysis> {
    let root = |id| {
        Some(Entry {
            kind: EntryKind::Tree,
            id,
        })
    };
    let by_path = |changes: Vec<super::diff::FileChange>| -> BTreeMap<String, Option<Entry>> {
        changes
            .into_iter()
            .map(|c| (c.path().to_owned(), c.after))
            .collect()
    };
    let dirs = |changes: &BTreeMap<String, Option<Entry>>| -> BTreeSet<String> {
        changes
            .keys()
            .flat_map(|p| ancestors(p).map(str::to_owned).collect::<Vec<_>>())
            .collect()
    };
    let too_many = |n: usize| -> ApiResult<()> {
        if n > limits.items_to_compare {
            crate::bail!(
                MaximumItemsToCompareExceeded,
                "The merge compares more than {} changed items; compare the commits locally with git.",
                limits.items_to_compare
            )
        }
        Ok(())
    };
    let cs = by_path(diff_entries(repo, root(base), root(source), "", "")?);
    too_many(cs.len())?;
    let dirs_s = dirs(&cs);
    // The destination's changes only matter where they meet the source's (same path, or one
    // inside the other): the rest of its diff is never read.
    let near = Near {
        paths: &cs,
        folders: &dirs_s,
    };
    let cd = by_path(diff_trees_near(repo, base, destination, &near)?);
    too_many(cs.len() + cd.len())?;
    let dirs_d = dirs(&cd);

    // Paths where the two sides' changes meet.
    let mut conflict_paths: BTreeSet<String> = BTreeSet::new();
    for (p, s_after) in &cs {
        match cd.get(p) {
            Some(d_after) if d_after != s_after => {
                conflict_paths.insert(p.clone());
            }
            _ => {}
        }
        if dirs_d.contains(p) {
            conflict_paths.insert(p.clone());
        }
    }
    for p in cd.keys() {
        if dirs_s.contains(p) {
            conflict_paths.insert(p.clone());
        }
    }
    // A file/folder clash at `a` covers the changes under `a/`.
    let top: Vec<String> = conflict_paths
        .iter()
        .filter(|p| !ancestors(p).any(|a| conflict_paths.contains(a)))
        .cloned()
        .collect();

    let mut conflicts = Vec::new();
    let mut edits = BTreeMap::new();
    let mut loaded = 0usize;
    for p in &top {
        let b = entry_at(repo, base, p)?;
        let s = entry_at(repo, source, p)?;
        let d = entry_at(repo, destination, p)?;
        let c = judge(repo, p, [b, s, d], level, (&mut loaded, limits))?;
        match c {
            Judgement::Clean(edit) => {
                edits.insert(p.clone(), edit);
            }
            Judgement::Conflict(c) => conflicts.push(*c),
        }
    }
    // Source-only changes, outside every conflict.
    for (p, after) in cs {
        if cd.contains_key(&p) || top.iter().any(|c| *c == p || under(&p, c)) {
            continue;
        }
        edits.insert(p, Edit::Entry(after));
    }
    collapse_source_only_folders(repo, [base, source, destination], &dirs_s, &cd, &mut edits)?;
    Ok(Analysis { conflicts, edits })
}

/// Whether `map` has `dir` itself or anything under `dir/` as a key.
fn has_at_or_under<V>(map: &BTreeMap<String, V>, dir: &str) -> bool {
    let inside = format!("{dir}/");
    map.contains_key(dir)
        || map
            .range(inside.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&inside))
}

/// Where the destination left a folder as the base had it, the merged folder is simply the
/// source's: one entry for the folder replaces the file edits under it, so writing the merge
/// never reads or rewrites the trees below it. Folders with deletions inside stay lists of
/// file edits: keepEmptyFolders decides per deleted file whether its folder keeps a .gitkeep.
fn collapse_source_only_folders(
    repo: &gix::Repository,
    [base, source, destination]: [ObjectId; 3],
    dirs_s: &BTreeSet<String>,
    cd: &BTreeMap<String, Option<Entry>>,
    edits: &mut BTreeMap<String, Edit>,
) -> ApiResult<()> {
    let mut trees = TreeCache::default();
    let mut collapsed: Vec<&str> = Vec::new();
    // Lexicographic order visits a folder before the folders inside it.
    for dir in dirs_s {
        if collapsed.iter().any(|c| under(dir, c)) || has_at_or_under(cd, dir) {
            continue;
        }
        // Below a path the destination changed (a file there, so a conflict or a judged
        // change), the folder is not the source's alone.
        if ancestors(dir).any(|a| cd.contains_key(a)) {
            continue;
        }
        // The destination's diff was only read near the source's changes, so whether it
        // touched the folder elsewhere is decided by the folder's own ids.
        if trees.entry(repo, base, dir)? != trees.entry(repo, destination, dir)? {
            continue;
        }
        let Some(entry) = trees.entry(repo, source, dir)?.filter(Entry::is_tree) else {
            continue;
        };
        let inside = format!("{dir}/");
        let below: Vec<(&String, &Edit)> = edits
            .range(inside.clone()..)
            .take_while(|(k, _)| k.starts_with(&inside))
            .collect();
        if below.iter().any(|(_, e)| matches!(e, Edit::Entry(None))) {
            continue;
        }
        let below: Vec<String> = below.into_iter().map(|(k, _)| k.clone()).collect();
        for k in below {
            edits.remove(&k);
        }
        edits.insert(dir.clone(), Edit::Entry(Some(entry)));
        collapsed.push(dir);
    }
    Ok(())
}

enum Judgement {
    Clean(Edit),
    Conflict(Box<Conflict>),
}

fn text_of(repo: &gix::Repository, e: Option<Entry>) -> ApiResult<Option<Vec<u8>>> {
    match e {
        Some(e) if matches!(e.kind, EntryKind::Blob | EntryKind::BlobExecutable) => {
            Ok(Some(read_blob(repo, e.id)?))
        }
        _ => Ok(None),
    }
}

/// Decides one path both sides changed (at least one side has a file there).
fn judge(
    repo: &gix::Repository,
    path: &str,
    [b, s, d]: [Option<Entry>; 3],
    level: Level,
    (loaded, limits): (&mut usize, MergeLimits),
) -> ApiResult<Judgement> {
    // Both sides changed the path; different kinds of object on the two sides clash.
    let object_type = matches!((s, d), (Some(x), Some(y)) if obj_type(&x) != obj_type(&y));
    // Modes only mean something between two files.
    let mode_of = |e: Option<Entry>| e.filter(|e| obj_type(e) == ObjType::File).map(|e| e.kind);
    let (bm, sm, dm) = (mode_of(b), mode_of(s), mode_of(d));
    let mode = matches!((sm, dm), (Some(x), Some(y)) if x != y && Some(x) != bm && Some(y) != bm);
    let merged_kind = match (sm, dm) {
        (Some(x), Some(y)) if x == y => Some(x),
        (Some(x), Some(y)) => Some(if Some(x) == bm { y } else { x }),
        (x, y) => x.or(y),
    };

    // Content: identical blobs agree; otherwise a line merge when all present sides are text.
    let same_content = matches!((s, d), (Some(x), Some(y)) if x.id == y.id);
    let mut lines = None;
    let both_files =
        sm.is_some() && dm.is_some() && b.is_none_or(|e| obj_type(&e) == ObjType::File);
    if both_files && !same_content {
        *loaded += 1;
        if *loaded > limits.files_to_load {
            crate::bail!(
                MaximumFileContentToLoadExceeded,
                "The merge needs the contents of more than {} files; merge the commits locally with git.",
                limits.files_to_load
            )
        }
        let (bt, st, dt) = (
            text_of(repo, b)?.unwrap_or_default(),
            text_of(repo, s)?,
            text_of(repo, d)?,
        );
        if let (Some(st), Some(dt)) = (st, dt)
            && !is_binary(&bt)
            && !is_binary(&st)
            && !is_binary(&dt)
        {
            lines = Some(diff3(&bt, &st, &dt));
        }
    }
    let content = if same_content {
        false
    } else if s.is_none() || d.is_none() || object_type {
        // Deleted on one side and changed on the other, or a file against a folder.
        !object_type
    } else {
        match level {
            Level::File => true,
            Level::Line => lines.as_ref().is_none_or(|l| l.merged.is_none()),
        }
    };
    if !content && !mode && !object_type {
        let edit = match (&lines, merged_kind) {
            (Some(l), Some(kind)) if !same_content => {
                Edit::Content(l.merged.clone().unwrap_or_default(), kind)
            }
            _ => Edit::Entry(d.map(|e| Entry {
                kind: merged_kind.unwrap_or(e.kind),
                ..e
            })),
        };
        return Ok(Judgement::Clean(edit));
    }
    Ok(Judgement::Conflict(Box::new(Conflict {
        path: path.to_owned(),
        base: b,
        source: s,
        destination: d,
        content,
        mode,
        object_type,
        lines,
        merged_kind,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_when_changes_are_apart() {
        let base = b"1\n2\n3\n4\n5\n6\n";
        let src = b"one\n2\n3\n4\n5\n6\n";
        let dst = b"1\n2\n3\n4\n5\nsix\n";
        let r = diff3(base, src, dst);
        assert_eq!(r.conflicts, 0);
        assert_eq!(r.merged.unwrap(), b"one\n2\n3\n4\n5\nsix\n");
        assert_eq!(r.chunks.len(), 2);
        assert_eq!(r.chunks[0].kind, ChunkKind::Source);
        assert_eq!(r.chunks[1].kind, ChunkKind::Destination);
    }

    #[test]
    fn same_and_adjacent_lines_conflict() {
        let base = b"1\n2\n3\n";
        let r = diff3(base, b"1\nx\n3\n", b"1\ny\n3\n");
        assert_eq!(r.conflicts, 1);
        assert!(r.merged.is_none());
        assert_eq!(r.chunks[0].base, 1..2);
        let r = diff3(b"1\n2\n3\n4\n", b"1\nx\n3\n4\n", b"1\n2\ny\n4\n");
        assert_eq!(r.conflicts, 1, "adjacent edits conflict as in git");
        let r = diff3(base, b"1\nx\n3\n", b"1\nx\n3\n");
        assert_eq!(r.conflicts, 0);
        assert_eq!(r.chunks[0].kind, ChunkKind::Both);
    }

    #[test]
    fn insertions_shift_line_numbers() {
        let base = b"a\nb\nc\n";
        let src = b"new1\nnew2\na\nb\nc\n";
        let dst = b"a\nb\nc\nend\n";
        let r = diff3(base, src, dst);
        assert_eq!(r.merged.unwrap(), b"new1\nnew2\na\nb\nc\nend\n");
        assert_eq!(r.chunks[1].source, 5..5);
        assert_eq!(r.chunks[1].destination, 3..4);
    }
}
