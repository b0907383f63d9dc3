//! ListFileCommitHistory: the versions of one file as a DAG. A commit is a version when the
//! file differs from every parent (git's history simplification: a commit that kept one
//! parent's version is followed through that parent only). Renames are followed when the
//! content moved unchanged. `revisionChildren` lists the nearest newer versions.

use super::specs::{self, COMMIT_SPEC};
use super::{Ctx, paginate, validate};
use crate::error::ApiResult;
use crate::git::commitgraph::PathKeys;
use crate::git::diff::diff_entries;
use crate::git::history::{Components, FastMap, HistoryIndex, Version};
use crate::git::objects::{Entry, describe_commit};
use codecommit_model::shapes::*;
use gix::ObjectId;
use std::collections::{BinaryHeap, HashSet};
use std::sync::Arc;

const HISTORY_PAGE: usize = 100;

/// One step of the file's history graph: a commit where the file exists, under some path.
struct Node {
    commit: u32,
    /// Index into the walk's interned paths (the path changes across renames).
    path: u32,
    blob: Entry,
    is_version: bool,
    /// Older nodes this one continues to; most nodes have exactly one.
    first_edge: u32,
    more_edges: Vec<u32>,
}

const NO_EDGE: u32 = u32::MAX;

impl Node {
    fn edges(&self) -> impl Iterator<Item = u32> + '_ {
        (self.first_edge != NO_EDGE)
            .then_some(self.first_edge)
            .into_iter()
            .chain(self.more_edges.iter().copied())
    }
    fn add_edge(&mut self, e: u32) {
        if self.first_edge == NO_EDGE {
            self.first_edge = e;
        } else {
            self.more_edges.push(e);
        }
    }
}

/// The versions of `path` reachable from `start`, newest first, and whether that is all of
/// them. With `enough`, the walk may stop once it has that many versions and they are final:
/// while the file's graph is a single chain (no merge of two versions, one path followed), the
/// order of what was found cannot change, because every commit not walked yet is older than
/// all of it. A page of a long history (a file changed by every commit) then costs the page's
/// commits instead of the whole history.
pub fn file_versions(
    repo: &gix::Repository,
    index: &mut HistoryIndex,
    start: ObjectId,
    path: &str,
    enough: Option<usize>,
) -> ApiResult<(Vec<Version>, bool)> {
    let w = index;
    let start = w.number(repo, start)?;
    let Some(first) = w.file_at(repo, start, path)? else {
        return Ok((Vec::new(), true));
    };
    let mut paths: Vec<String> = vec![path.to_owned()];
    let mut split: Vec<Components> = vec![Components::new(path)];
    // Bloom keys per path: with them, commits that did not touch the path cost no tree read.
    let mut keys: Vec<Option<PathKeys>> = vec![w.keys(path)];
    let mut nodes: Vec<Node> = Vec::new();
    // (commit number, path number) → node.
    let mut seen: FastMap<u64, u32> = FastMap::default();
    let key = |commit: u32, path: u32| ((commit as u64) << 32) | path as u64;
    nodes.push(Node {
        commit: start,
        path: 0,
        blob: first,
        is_version: false,
        first_edge: NO_EDGE,
        more_edges: Vec::new(),
    });
    seen.insert(key(start, 0), 0);
    let mut queue = vec![0u32];
    let (mut chain, mut found, mut complete) = (true, 0usize, true);

    // Phase 1: the file's part of the history graph.
    let mut targets: Vec<(u32, u32, Entry)> = Vec::new();
    let mut parents: Vec<u32> = Vec::new();
    while let Some(n) = queue.pop() {
        let (commit, path_id, blob) = (
            nodes[n as usize].commit,
            nodes[n as usize].path,
            nodes[n as usize].blob,
        );
        parents.clear();
        parents.extend_from_slice(&w.node(repo, commit)?.parents);
        targets.clear();
        let mut same = None;
        let path_keys = keys[path_id as usize].as_ref();
        if !parents.is_empty() && path_keys.is_some_and(|k| w.unchanged(commit, k)) {
            same = Some(parents[0]);
        } else {
            for &p in &parents {
                if w.file_at_components(repo, p, &split[path_id as usize])? == Some(blob) {
                    same = Some(p);
                    break;
                }
            }
        }
        if let Some(mut p) = same {
            // Skip down a linear stretch where the file stays the same: commits with one
            // parent that did not touch it become no nodes at all.
            loop {
                if seen.contains_key(&key(p, path_id)) {
                    break;
                }
                let node = w.node(repo, p)?;
                let [q] = node.parents[..] else { break };
                let kept = path_keys.is_some_and(|k| w.unchanged(p, k))
                    || w.file_at_components(repo, q, &split[path_id as usize])? == Some(blob);
                if !kept {
                    break;
                }
                p = q;
            }
            targets.push((p, path_id, blob));
        } else {
            nodes[n as usize].is_version = true;
            for &p in &parents {
                if let Some(e) = w.file_at_components(repo, p, &split[path_id as usize])? {
                    targets.push((p, path_id, e));
                } else if let Some((old_path, e)) =
                    renamed_from(repo, w.tree(p), w.tree(commit), blob)?
                {
                    let id = match paths.iter().position(|x| *x == old_path) {
                        Some(i) => i as u32,
                        None => {
                            split.push(Components::new(&old_path));
                            keys.push(w.keys(&old_path));
                            paths.push(old_path);
                            (paths.len() - 1) as u32
                        }
                    };
                    targets.push((p, id, e));
                }
            }
        }
        if nodes[n as usize].is_version {
            found += 1;
        }
        chain &= targets.len() <= 1;
        for &(commit, path, blob) in &targets {
            let target = match seen.get(&key(commit, path)) {
                Some(&i) => {
                    // Two lines of the graph meet: their order depends on what lies below.
                    chain = false;
                    i
                }
                None => {
                    nodes.push(Node {
                        commit,
                        path,
                        blob,
                        is_version: false,
                        first_edge: NO_EDGE,
                        more_edges: Vec::new(),
                    });
                    let i = (nodes.len() - 1) as u32;
                    seen.insert(key(commit, path), i);
                    queue.push(i);
                    i
                }
            };
            nodes[n as usize].add_edge(target);
        }
        if chain && enough.is_some_and(|e| found >= e) && !queue.is_empty() {
            complete = false;
            break;
        }
    }

    // Phase 2: topological order (newest first among the ready), passing each version down to
    // the nearest older versions as their child.
    let mut indegree = vec![0u32; nodes.len()];
    for n in &nodes {
        for e in n.edges() {
            indegree[e as usize] += 1;
        }
    }
    let mut pending: Vec<Vec<u32>> = vec![Vec::new(); nodes.len()];
    let mut ready = BinaryHeap::new();
    ready.push((w.time(start), std::cmp::Reverse(0u32)));
    let mut out = Vec::new();
    while let Some((_, std::cmp::Reverse(n))) = ready.pop() {
        let n = n as usize;
        let mut passed = std::mem::take(&mut pending[n]);
        if nodes[n].is_version {
            let mut unique = HashSet::new();
            passed.retain(|c| unique.insert(*c));
            out.push(Version {
                commit: w.id(nodes[n].commit),
                blob: nodes[n].blob,
                path: paths[nodes[n].path as usize].clone(),
                children: passed.iter().map(|c| w.id(*c)).collect(),
            });
            passed = vec![nodes[n].commit];
        }
        let edges: Vec<u32> = nodes[n].edges().collect();
        let last = edges.len().saturating_sub(1);
        for (k, e) in edges.into_iter().enumerate() {
            let e = e as usize;
            // The last edge takes the list itself; only merges copy it.
            if k == last && pending[e].is_empty() {
                pending[e] = std::mem::take(&mut passed);
            } else {
                pending[e].extend(passed.iter().copied());
            }
            indegree[e] -= 1;
            if indegree[e] == 0 {
                ready.push((w.time(nodes[e].commit), std::cmp::Reverse(e as u32)));
            }
        }
    }
    Ok((out, complete))
}

/// Where a file with content `blob` came from when the parent has nothing at its path: a file
/// of the same content that the commit removed (an unchanged rename).
fn renamed_from(
    repo: &gix::Repository,
    parent_tree: ObjectId,
    tree: ObjectId,
    blob: Entry,
) -> ApiResult<Option<(String, Entry)>> {
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
    let index = ctx.state.git.history_index(&o.rec.id);
    let graph = ctx.state.git.commit_graph(&o.rec.id);
    let versions = {
        let mut index = index.lock();
        index.use_graph(graph);
        match index.walk(start, &path) {
            Some(v) => v,
            None => {
                // One version past the page tells whether there is a next page.
                let enough = offset.saturating_add(page).saturating_add(1);
                let (v, complete) = file_versions(&o.repo, &mut index, start, &path, Some(enough))?;
                let v = Arc::new(v);
                if complete {
                    index.remember_walk(start, &path, v.clone());
                }
                v
            }
        }
    };
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
