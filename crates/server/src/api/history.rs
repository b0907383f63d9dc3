//! ListFileCommitHistory: the versions of one file as a DAG. A commit is a version when the
//! file differs from every parent (git's history simplification: a commit that kept one
//! parent's version is followed through that parent only). Renames are followed when the
//! content moved unchanged. `revisionChildren` lists the nearest newer versions.

use super::specs::{self, COMMIT_SPEC};
use super::{Ctx, paginate, validate};
use crate::error::{ApiResult, Internal as _};
use crate::git::diff::diff_entries;
use crate::git::objects::{Entry, describe_commit};
use codecommit_model::shapes::*;
use gix::ObjectId;
use std::collections::{BinaryHeap, HashMap, HashSet};

const HISTORY_PAGE: usize = 100;

/// Commit and tree lookups for one walk. Consecutive commits share most subtrees, so entries
/// are cached per (tree, name).
pub struct Walker<'r> {
    repo: &'r gix::Repository,
    commits: HashMap<ObjectId, (ObjectId, Vec<ObjectId>, i64)>,
    entries: HashMap<(ObjectId, Vec<u8>), Option<Entry>>,
}

impl<'r> Walker<'r> {
    pub fn new(repo: &'r gix::Repository) -> Self {
        Walker {
            repo,
            commits: HashMap::new(),
            entries: HashMap::new(),
        }
    }

    /// (tree, parents, committer time) of a commit.
    pub fn commit(&mut self, id: ObjectId) -> ApiResult<(ObjectId, Vec<ObjectId>, i64)> {
        if let Some(c) = self.commits.get(&id) {
            return Ok(c.clone());
        }
        let c = self.repo.find_commit(id).internal("reading a commit")?;
        let tree = c.tree_id().internal("reading a commit")?.detach();
        let parents: Vec<ObjectId> = c.parent_ids().map(|p| p.detach()).collect();
        let time = c.time().map(|t| t.seconds).unwrap_or(0);
        let value = (tree, parents, time);
        self.commits.insert(id, value.clone());
        Ok(value)
    }

    pub fn entry(&mut self, tree: ObjectId, path: &str) -> ApiResult<Option<Entry>> {
        let mut current = Entry {
            kind: gix::objs::tree::EntryKind::Tree,
            id: tree,
        };
        for component in path.split('/') {
            if !current.is_tree() {
                return Ok(None);
            }
            let key = (current.id, component.as_bytes().to_vec());
            let next = match self.entries.get(&key) {
                Some(e) => *e,
                None => {
                    let t = self.repo.find_tree(current.id).internal("reading a tree")?;
                    let decoded = t.decode().internal("decoding a tree")?;
                    // Cache every entry of the decoded tree: siblings are often asked next.
                    let mut found = None;
                    for e in &decoded.entries {
                        let entry = Entry {
                            kind: e.mode.kind(),
                            id: e.oid.to_owned(),
                        };
                        if e.filename == component.as_bytes() {
                            found = Some(entry);
                        }
                        self.entries
                            .insert((current.id, e.filename.to_vec()), Some(entry));
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

    pub fn file_at(&mut self, commit: ObjectId, path: &str) -> ApiResult<Option<Entry>> {
        let (tree, _, _) = self.commit(commit)?;
        Ok(self.entry(tree, path)?.filter(Entry::is_blob_like))
    }
}

struct Node {
    commit: ObjectId,
    path: String,
    blob: Entry,
    time: i64,
    is_version: bool,
    /// Older nodes this one continues to.
    edges: Vec<usize>,
}

/// One version of a file: the commit that made it, its blob and path there, and the commits
/// of the nearest newer versions.
pub struct Version {
    pub commit: ObjectId,
    pub blob: Entry,
    pub path: String,
    pub children: Vec<ObjectId>,
}

/// The versions of `path` reachable from `start`, newest first.
pub fn file_versions(
    repo: &gix::Repository,
    start: ObjectId,
    path: &str,
) -> ApiResult<Vec<Version>> {
    let mut w = Walker::new(repo);
    let Some(first) = w.file_at(start, path)? else {
        return Ok(Vec::new());
    };
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: HashMap<(ObjectId, String), usize> = HashMap::new();
    let (_, _, t0) = w.commit(start)?;
    nodes.push(Node {
        commit: start,
        path: path.to_owned(),
        blob: first,
        time: t0,
        is_version: false,
        edges: Vec::new(),
    });
    index.insert((start, path.to_owned()), 0);
    let mut queue = vec![0usize];

    // Phase 1: the file's part of the history graph.
    while let Some(n) = queue.pop() {
        let (commit, path, blob) = (nodes[n].commit, nodes[n].path.clone(), nodes[n].blob);
        let (tree, parents, _) = w.commit(commit)?;
        let mut targets: Vec<(ObjectId, String, Entry)> = Vec::new();
        let mut same = None;
        for p in &parents {
            let e = w.file_at(*p, &path)?;
            if e == Some(blob) {
                same = Some(*p);
                break;
            }
        }
        if let Some(p) = same {
            targets.push((p, path.clone(), blob));
        } else {
            nodes[n].is_version = true;
            for p in &parents {
                if let Some(e) = w.file_at(*p, &path)? {
                    targets.push((*p, path.clone(), e));
                } else if let Some((old_path, e)) = renamed_from(repo, &mut w, *p, tree, blob)? {
                    targets.push((*p, old_path, e));
                }
            }
        }
        for (commit, path, blob) in targets {
            let key = (commit, path);
            let target = match index.get(&key) {
                Some(&i) => i,
                None => {
                    let (_, _, time) = w.commit(commit)?;
                    nodes.push(Node {
                        commit,
                        path: key.1.clone(),
                        blob,
                        time,
                        is_version: false,
                        edges: Vec::new(),
                    });
                    let i = nodes.len() - 1;
                    index.insert(key, i);
                    queue.push(i);
                    i
                }
            };
            nodes[n].edges.push(target);
        }
    }

    // Phase 2: topological order (newest first among the ready), passing each version down to
    // the nearest older versions as their child.
    let mut indegree = vec![0usize; nodes.len()];
    for n in &nodes {
        for &e in &n.edges {
            indegree[e] += 1;
        }
    }
    let mut pending: Vec<Vec<ObjectId>> = vec![Vec::new(); nodes.len()];
    let mut ready = BinaryHeap::new();
    ready.push((nodes[0].time, std::cmp::Reverse(0usize)));
    let mut out = Vec::new();
    while let Some((_, std::cmp::Reverse(n))) = ready.pop() {
        let passed: Vec<ObjectId> = if nodes[n].is_version {
            let mut children = std::mem::take(&mut pending[n]);
            let mut seen = HashSet::new();
            children.retain(|c| seen.insert(*c));
            out.push(Version {
                commit: nodes[n].commit,
                blob: nodes[n].blob,
                path: nodes[n].path.clone(),
                children,
            });
            vec![nodes[n].commit]
        } else {
            std::mem::take(&mut pending[n])
        };
        for &e in &nodes[n].edges.clone() {
            pending[e].extend(passed.iter().copied());
            indegree[e] -= 1;
            if indegree[e] == 0 {
                ready.push((nodes[e].time, std::cmp::Reverse(e)));
            }
        }
    }
    Ok(out)
}

/// Where a file with content `blob` came from when `parent` has nothing at its path: a file of
/// the same content that the commit removed (an unchanged rename).
fn renamed_from(
    repo: &gix::Repository,
    w: &mut Walker<'_>,
    parent: ObjectId,
    tree: ObjectId,
    blob: Entry,
) -> ApiResult<Option<(String, Entry)>> {
    let (parent_tree, _, _) = w.commit(parent)?;
    let root = |id| {
        Some(Entry {
            kind: gix::objs::tree::EntryKind::Tree,
            id,
        })
    };
    let changes = diff_entries(repo, root(parent_tree), root(tree), "", "")?;
    Ok(changes
        .into_iter()
        .find(|c| c.after.is_none() && c.before.is_some_and(|b| b.id == blob.id))
        .and_then(|c| c.before.map(|b| (c.before_path, b))))
}

pub fn list_file_commit_history(
    ctx: &Ctx<'_>,
    input: ListFileCommitHistoryRequest,
) -> ApiResult<ListFileCommitHistoryResponse> {
    let o = ctx.open_repo(&input.repository_name)?;
    let page = paginate::page_size(input.max_results, HISTORY_PAGE, i32::MAX as usize)?;
    let start = specs::commit_or_default(&o, &input.commit_specifier, &COMMIT_SPEC)?;
    let path = validate::file_path(&input.file_path)?;
    let kind = format!("history/{start}/{path}");
    let offset = paginate::decode_index(&kind, &input.next_token)?;
    let versions = file_versions(&o.repo, start, &path)?;
    if offset > versions.len() {
        crate::bail!(
            InvalidContinuationToken,
            "The continuation token is not valid."
        )
    }
    let end = (offset + page).min(versions.len());
    let mut dag = Vec::with_capacity(end - offset);
    for v in &versions[offset..end] {
        dag.push(FileVersion {
            commit: Some(describe_commit(&o.repo, v.commit)?),
            blob_id: Some(v.blob.id.to_string()),
            path: Some(v.path.clone()),
            revision_children: Some(v.children.iter().map(ObjectId::to_string).collect()),
        });
    }
    Ok(ListFileCommitHistoryResponse {
        revision_dag: Some(dag),
        next_token: (end < versions.len()).then(|| paginate::encode(&kind, &end.to_string())),
    })
}
