//! A per-repository memo for history walks: commits get dense numbers with their tree, parents
//! (as numbers) and time, and tree lookups `(tree, name) → entry` are remembered. Objects never
//! change, so nothing is ever invalidated; walking a file's history through thousands of
//! commits then costs a few hash lookups per commit instead of decoding trees from packs.
//! Finished walks are remembered too, by (start commit, path): the history reachable from a
//! commit never changes, so paging through it or asking again costs no walk at all.

use super::commitgraph::{CommitGraph, PathKeys};
use super::objects::Entry;
use crate::error::{ApiResult, Internal as _};
use gix::ObjectId;
use gix::objs::tree::EntryKind;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Remembered tree lookups before the memo starts over (tens of MB at most).
const MAX_ENTRIES: usize = 2_000_000;

/// Remembered finished walks, and the versions they may hold in all, before that memo starts
/// over.
const MAX_WALKS: usize = 256;
const MAX_WALK_VERSIONS: usize = 200_000;

/// One version of a file: the commit that made it, its blob and path there, and the commits
/// of the nearest newer versions.
pub struct Version {
    pub commit: ObjectId,
    pub blob: Entry,
    pub path: String,
    pub children: Vec<ObjectId>,
}

/// An FxHash-style hasher: object ids are already uniformly random, so a cheap multiply-rotate
/// mix is enough, and much faster than SipHash on the walk's hot path.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // Fold the high bits down: hashbrown takes its bucket from the low bits.
        self.0 ^ (self.0 >> 29) ^ (self.0 >> 47)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// A hash map with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

pub struct CommitNode {
    pub id: ObjectId,
    pub tree: ObjectId,
    /// Dense numbers of the parents, in order.
    pub parents: Vec<u32>,
    pub time: i64,
    /// How many parents the commit has (`parents` is filled when first needed).
    parent_count: usize,
}

#[derive(Default)]
pub struct HistoryIndex {
    numbers: FastMap<ObjectId, u32>,
    nodes: Vec<CommitNode>,
    /// (tree, hash of a name in it) → the entry, or None when the tree has no such name.
    entries: FastMap<(ObjectId, u64), Option<Entry>>,
    /// (start commit, path) → the versions of the file reachable from it, newest first.
    walks: HashMap<(ObjectId, String), Arc<Vec<Version>>>,
    walk_versions: usize,
    /// The commit-graph walks use, and each node's position in it.
    graph: Option<Arc<CommitGraph>>,
    graph_pos: Vec<u32>,
}

/// `graph_pos` of a node not looked up in the current graph yet, and of one not in it.
const POS_UNKNOWN: u32 = u32::MAX;
const POS_NONE: u32 = u32::MAX - 1;

/// A path split into components, each with its hash, for repeated lookups.
pub struct Components(Vec<(u64, String)>);

impl Components {
    pub fn new(path: &str) -> Self {
        Components(
            path.split('/')
                .map(|c| (path_hash(c), c.to_owned()))
                .collect(),
        )
    }
}

/// FNV-1a of a repository path.
pub fn path_hash(path: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in path.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

impl HistoryIndex {
    /// A finished walk remembered by [`Self::remember_walk`].
    pub fn walk(&self, start: ObjectId, path: &str) -> Option<Arc<Vec<Version>>> {
        self.walks.get(&(start, path.to_owned())).cloned()
    }

    pub fn remember_walk(&mut self, start: ObjectId, path: &str, versions: Arc<Vec<Version>>) {
        if self.walks.len() >= MAX_WALKS || self.walk_versions + versions.len() > MAX_WALK_VERSIONS
        {
            self.walks.clear();
            self.walk_versions = 0;
        }
        self.walk_versions += versions.len();
        self.walks.insert((start, path.to_owned()), versions);
    }

    /// Walks use this commit-graph (when the repository has one) for commits, parents and
    /// times instead of decoding commit objects, and its Bloom filters to skip commits that did
    /// not touch a path. Commits newer than the graph are read from their objects.
    pub fn use_graph(&mut self, graph: Option<Arc<CommitGraph>>) {
        let same = match (&self.graph, &graph) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.graph = graph;
            self.graph_pos.iter_mut().for_each(|p| *p = POS_UNKNOWN);
        }
    }

    /// The Bloom keys of a path for the graph in use, if it has filters.
    pub fn keys(&self, path: &str) -> Option<PathKeys> {
        self.graph.as_ref()?.keys(path)
    }

    /// True when the graph's Bloom filter of commit `n` rules out that it changed the path
    /// against its first parent (so the first parent has the same entry there).
    pub fn unchanged(&mut self, n: u32, keys: &PathKeys) -> bool {
        match (self.graph_position(n), &self.graph) {
            (Some(pos), Some(g)) => g.unchanged(pos, keys),
            _ => false,
        }
    }

    fn graph_position(&mut self, n: u32) -> Option<u32> {
        let p = self.graph_pos[n as usize];
        if p == POS_UNKNOWN {
            let found = self
                .graph
                .as_ref()
                .and_then(|g| g.lookup(&self.nodes[n as usize].id));
            self.graph_pos[n as usize] = found.unwrap_or(POS_NONE);
            return found;
        }
        (p != POS_NONE).then_some(p)
    }

    /// The dense number of a commit, reading it (and numbering its parents) on first sight.
    pub fn number(&mut self, repo: &gix::Repository, id: ObjectId) -> ApiResult<u32> {
        let n = self.number_shallow(repo, id)?;
        self.node(repo, n)?;
        Ok(n)
    }

    /// Numbers a commit without resolving its parents yet (they get numbers when first used).
    fn number_shallow(&mut self, repo: &gix::Repository, id: ObjectId) -> ApiResult<u32> {
        if let Some(&n) = self.numbers.get(&id) {
            return Ok(n);
        }
        if let Some(g) = self.graph.clone()
            && let Some(pos) = g.lookup(&id)
        {
            return Ok(self.add_from_graph(&g, id, pos));
        }
        let c = repo.find_commit(id).internal("reading a commit")?;
        let tree = c.tree_id().internal("reading a commit")?.detach();
        let count = c.parent_ids().count();
        let time = c.time().map(|t| t.seconds).unwrap_or(0);
        Ok(self.add(id, tree, time, count, POS_NONE))
    }

    fn add_from_graph(&mut self, g: &CommitGraph, id: ObjectId, pos: u32) -> u32 {
        let mut parents = Vec::new();
        // An inconsistent graph entry is read from the object instead (parents resolved then).
        let count = g.parents(pos, &mut parents).map(|()| parents.len());
        self.add(
            id,
            g.tree(pos),
            g.time(pos),
            count.unwrap_or(usize::MAX),
            if count.is_some() { pos } else { POS_NONE },
        )
    }

    fn add(&mut self, id: ObjectId, tree: ObjectId, time: i64, parents: usize, pos: u32) -> u32 {
        let n = self.nodes.len() as u32;
        self.numbers.insert(id, n);
        self.nodes.push(CommitNode {
            id,
            tree,
            parents: Vec::new(),
            time,
            parent_count: parents,
        });
        self.graph_pos.push(pos);
        n
    }

    /// A commit by number, with its parents numbered.
    pub fn node(&mut self, repo: &gix::Repository, n: u32) -> ApiResult<&CommitNode> {
        let node = &self.nodes[n as usize];
        if node.parents.len() != node.parent_count {
            let id = node.id;
            let mut from_graph = None;
            if let Some(pos) = self.graph_position(n)
                && let Some(g) = self.graph.clone()
            {
                let mut positions = Vec::new();
                if g.parents(pos, &mut positions).is_some() {
                    from_graph = Some((g, positions));
                }
            }
            let mut parents = Vec::new();
            match from_graph {
                Some((g, positions)) => {
                    for p in positions {
                        let pid = g.id(p);
                        let number = match self.numbers.get(&pid) {
                            Some(&k) => k,
                            None => self.add_from_graph(&g, pid, p),
                        };
                        parents.push(number);
                    }
                }
                None => {
                    let c = repo.find_commit(id).internal("reading a commit")?;
                    let parent_ids: Vec<ObjectId> = c.parent_ids().map(|p| p.detach()).collect();
                    for p in parent_ids {
                        parents.push(self.number_shallow(repo, p)?);
                    }
                }
            }
            let node = &mut self.nodes[n as usize];
            node.parent_count = parents.len();
            node.parents = parents;
        }
        Ok(&self.nodes[n as usize])
    }

    pub fn id(&self, n: u32) -> ObjectId {
        self.nodes[n as usize].id
    }

    pub fn time(&self, n: u32) -> i64 {
        self.nodes[n as usize].time
    }

    pub fn tree(&self, n: u32) -> ObjectId {
        self.nodes[n as usize].tree
    }

    /// The entry at `path` under `tree`, one remembered lookup per path component.
    pub fn entry(
        &mut self,
        repo: &gix::Repository,
        tree: ObjectId,
        path: &str,
    ) -> ApiResult<Option<Entry>> {
        self.entry_at(repo, tree, &Components::new(path))
    }

    /// Like [`Self::entry`], with the path already split and hashed.
    pub fn entry_at(
        &mut self,
        repo: &gix::Repository,
        tree: ObjectId,
        path: &Components,
    ) -> ApiResult<Option<Entry>> {
        let mut current = Entry {
            kind: EntryKind::Tree,
            id: tree,
        };
        for (hash, component) in &path.0 {
            if !current.is_tree() {
                return Ok(None);
            }
            let key = (current.id, *hash);
            let next = match self.entries.get(&key) {
                Some(e) => *e,
                None => {
                    if self.entries.len() >= MAX_ENTRIES {
                        self.entries.clear();
                    }
                    let t = repo.find_tree(current.id).internal("reading a tree")?;
                    // Entries are read one by one up to the name, without decoding the rest
                    // of the tree into a list.
                    let mut found = None;
                    for e in t.iter() {
                        let e = e.internal("decoding a tree")?;
                        if e.filename() == component.as_bytes() {
                            found = Some(Entry {
                                kind: e.mode().kind(),
                                id: e.oid().to_owned(),
                            });
                            break;
                        }
                    }
                    self.entries.insert(key, found);
                    found
                }
            };
            match next {
                Some(e) => current = e,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    /// The file (blob-like entry) at a path in commit number `n`.
    pub fn file_at_components(
        &mut self,
        repo: &gix::Repository,
        n: u32,
        path: &Components,
    ) -> ApiResult<Option<Entry>> {
        let tree = self.tree(n);
        Ok(self.entry_at(repo, tree, path)?.filter(Entry::is_blob_like))
    }

    /// The file (blob-like entry) at `path` in commit number `n`.
    pub fn file_at(
        &mut self,
        repo: &gix::Repository,
        n: u32,
        path: &str,
    ) -> ApiResult<Option<Entry>> {
        let tree = self.tree(n);
        Ok(self.entry(repo, tree, path)?.filter(Entry::is_blob_like))
    }
}
