//! Reading objects and refs in domain words: resolve a commit specifier, find the entry at a
//! path, read a blob, describe a commit as the API does.

use crate::error::{ApiError, ApiResult, Internal as _};
use codecommit_model::shapes::{Commit, UserInfo};
use gix::ObjectId;
use gix::bstr::ByteSlice as _;
use gix::objs::tree::EntryKind;
use std::collections::HashMap;

/// An entry of a tree: what it is and its object id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    pub id: ObjectId,
}

impl Entry {
    pub fn is_tree(&self) -> bool {
        self.kind == EntryKind::Tree
    }
    /// Regular files, executables and symlinks: everything with blob content.
    pub fn is_blob_like(&self) -> bool {
        matches!(
            self.kind,
            EntryKind::Blob | EntryKind::BlobExecutable | EntryKind::Link
        )
    }
}

/// A full, 40-digit hexadecimal object id (CodeCommit takes no abbreviations).
pub fn parse_object_id(s: &str) -> Option<ObjectId> {
    if s.len() != 40 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    ObjectId::from_hex(s.to_ascii_lowercase().as_bytes()).ok()
}

/// The kind of object stored under an id, if any.
pub fn object_kind(repo: &gix::Repository, id: ObjectId) -> ApiResult<Option<gix::objs::Kind>> {
    Ok(repo
        .try_find_header(id)
        .internal("reading an object header")?
        .map(|h| h.kind()))
}

/// What a commit specifier (branch, tag, `HEAD`, full ref or full commit id) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Commit(ObjectId),
    NotFound,
    /// Not something that could name a commit at all.
    Invalid,
}

/// Resolves a commit specifier the way CodeCommit does: a full commit id, `HEAD` (the default
/// branch), a full ref (`refs/heads/x`, `refs/tags/v1`), else a branch name, else a tag name.
/// Annotated tags are peeled to their commit.
pub fn resolve_commit(repo: &gix::Repository, spec: &str) -> ApiResult<Resolved> {
    if let Some(id) = parse_object_id(spec) {
        return peel_to_commit(repo, id);
    }
    if spec == "HEAD" {
        let head = repo.head().internal("reading HEAD")?;
        return match head.id() {
            Some(id) => peel_to_commit(repo, id.detach()),
            None => Ok(Resolved::NotFound),
        };
    }
    let candidates: Vec<String> = if let Some(tail) = spec.strip_prefix("refs/") {
        if spec.starts_with(super::HIDDEN_REF_PREFIX) {
            return Ok(Resolved::NotFound);
        }
        if !crate::api::validate::is_valid_ref_tail(tail) {
            return Ok(Resolved::Invalid);
        }
        vec![spec.to_owned()]
    } else {
        if !crate::api::validate::is_valid_ref_tail(spec) {
            return Ok(Resolved::Invalid);
        }
        vec![format!("refs/heads/{spec}"), format!("refs/tags/{spec}")]
    };
    for name in candidates {
        if let Some(id) = ref_target(repo, &name)? {
            return peel_to_commit(repo, id);
        }
    }
    Ok(Resolved::NotFound)
}

/// The object a ref points at (following symbolic refs), if the ref exists.
pub fn ref_target(repo: &gix::Repository, name: &str) -> ApiResult<Option<ObjectId>> {
    if !super::ref_fits_on_disk(repo.git_dir(), name) {
        return Ok(None);
    }
    let found = match repo.try_find_reference(name) {
        Ok(found) => found,
        Err(e) if super::is_name_too_long(&e) => None,
        Err(e) => return Err(ApiError::internal("reading a reference", e)),
    };
    let Some(mut r) = found else {
        return Ok(None);
    };
    match r.follow_to_object() {
        Ok(id) => Ok(Some(id.detach())),
        // A symbolic ref to a ref that does not exist (an unborn HEAD).
        Err(_) => Ok(None),
    }
}

pub fn branch_tip(repo: &gix::Repository, branch: &str) -> ApiResult<Option<ObjectId>> {
    ref_target(repo, &format!("refs/heads/{branch}"))
}

fn peel_to_commit(repo: &gix::Repository, mut id: ObjectId) -> ApiResult<Resolved> {
    // Annotated tags may point at tags; a few hops at most in practice.
    for _ in 0..16 {
        let Some(object) = repo.try_find_object(id).internal("reading an object")? else {
            return Ok(Resolved::NotFound);
        };
        match object.kind {
            gix::objs::Kind::Commit => return Ok(Resolved::Commit(id)),
            gix::objs::Kind::Tag => {
                let tag = object.into_tag();
                id = tag.target_id().internal("reading a tag")?.detach();
            }
            _ => return Ok(Resolved::NotFound),
        }
    }
    Ok(Resolved::NotFound)
}

/// The root tree of a commit.
pub fn commit_tree(repo: &gix::Repository, commit: ObjectId) -> ApiResult<ObjectId> {
    let c = repo.find_commit(commit).internal("reading a commit")?;
    Ok(c.tree_id().internal("reading a commit's tree")?.detach())
}

/// Entries of a tree in git order: (name, entry).
pub fn tree_entries(repo: &gix::Repository, tree: ObjectId) -> ApiResult<Vec<(Vec<u8>, Entry)>> {
    let t = repo.find_tree(tree).internal("reading a tree")?;
    let decoded = t.decode().internal("decoding a tree")?;
    Ok(decoded
        .entries
        .iter()
        .map(|e| {
            (
                e.filename.to_vec(),
                Entry {
                    kind: e.mode.kind(),
                    id: e.oid.to_owned(),
                },
            )
        })
        .collect())
}

/// The entry at a repository-relative path (`a/b/c`, no leading slash); the empty path is the
/// root tree itself. Walks one tree per path component.
pub fn entry_at(repo: &gix::Repository, root: ObjectId, path: &str) -> ApiResult<Option<Entry>> {
    let mut current = Entry {
        kind: EntryKind::Tree,
        id: root,
    };
    if path.is_empty() {
        return Ok(Some(current));
    }
    for component in path.split('/') {
        if !current.is_tree() {
            return Ok(None);
        }
        let t = repo.find_tree(current.id).internal("reading a tree")?;
        let decoded = t.decode().internal("decoding a tree")?;
        let Some(e) = decoded
            .entries
            .iter()
            .find(|e| e.filename.as_bytes() == component.as_bytes())
        else {
            return Ok(None);
        };
        current = Entry {
            kind: e.mode.kind(),
            id: e.oid.to_owned(),
        };
    }
    Ok(Some(current))
}

pub fn read_blob(repo: &gix::Repository, id: ObjectId) -> ApiResult<Vec<u8>> {
    let blob = repo.find_blob(id).internal("reading a blob")?;
    Ok(blob.detach().data)
}

/// Size in bytes of an object, from its header (no inflation of the content).
pub fn object_size(repo: &gix::Repository, id: ObjectId) -> ApiResult<u64> {
    Ok(repo
        .find_header(id)
        .internal("reading an object header")?
        .size())
}

/// A commit as the API shows it. Dates are git's raw `"<seconds> <±hhmm>"`.
pub fn describe_commit(repo: &gix::Repository, id: ObjectId) -> ApiResult<Commit> {
    let c = repo.find_commit(id).internal("reading a commit")?;
    let decoded = c.decode().internal("decoding a commit")?;
    let user = |raw: &gix::bstr::BStr| -> ApiResult<UserInfo> {
        let sig = gix::actor::SignatureRef::from_bytes(raw.as_bytes())
            .map_err(|e| ApiError::internal("decoding a signature", e))?
            .trim();
        Ok(UserInfo {
            name: Some(sig.name.to_str_lossy().into_owned()),
            email: Some(sig.email.to_str_lossy().into_owned()),
            date: Some(sig.time.trim().to_owned()),
        })
    };
    Ok(Commit {
        commit_id: Some(id.to_string()),
        tree_id: Some(decoded.tree().to_string()),
        parents: Some(decoded.parents().map(|p| p.to_string()).collect()),
        message: Some(decoded.message.to_str_lossy().into_owned()),
        author: Some(user(decoded.author)?),
        committer: Some(user(decoded.committer)?),
        additional_data: Some(String::new()),
    })
}

/// Parent ids of a commit.
pub fn parents(repo: &gix::Repository, id: ObjectId) -> ApiResult<Vec<ObjectId>> {
    let c = repo.find_commit(id).internal("reading a commit")?;
    Ok(c.parent_ids().map(|p| p.detach()).collect())
}

/// Whether a repository has no branches at all (nothing was ever committed or pushed).
pub fn has_no_branches(repo: &gix::Repository) -> ApiResult<bool> {
    let refs = repo.references().internal("listing refs")?;
    let mut branches = refs.local_branches().internal("listing branches")?;
    Ok(branches.next().is_none())
}

/// CodeCommit's file modes for blob-like entries.
pub fn file_mode_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::BlobExecutable => "EXECUTABLE",
        EntryKind::Link => "SYMLINK",
        _ => "NORMAL",
    }
}

/// Numeric git modes as GetDifferences reports them.
pub fn octal_mode(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Tree => "040000",
        EntryKind::Blob => "100644",
        EntryKind::BlobExecutable => "100755",
        EntryKind::Link => "120000",
        EntryKind::Commit => "160000",
    }
}

/// Entries by path under any number of roots, each tree decoded once however many paths go
/// through it (a merge or a commit of hundreds of files in one folder reads it once).
#[derive(Default)]
pub struct TreeCache {
    trees: HashMap<ObjectId, HashMap<Vec<u8>, Entry>>,
    paths: HashMap<(ObjectId, String), Option<Entry>>,
}

impl TreeCache {
    pub fn entry(
        &mut self,
        repo: &gix::Repository,
        root: ObjectId,
        path: &str,
    ) -> ApiResult<Option<Entry>> {
        if let Some(e) = self.paths.get(&(root, path.to_owned())) {
            return Ok(*e);
        }
        let (folder, name) = match path.rsplit_once('/') {
            Some((folder, name)) => (self.entry(repo, root, folder)?, name),
            None => (
                Some(Entry {
                    kind: EntryKind::Tree,
                    id: root,
                }),
                path,
            ),
        };
        let found = match folder {
            Some(f) if f.is_tree() => {
                if let std::collections::hash_map::Entry::Vacant(slot) = self.trees.entry(f.id) {
                    slot.insert(tree_entries(repo, f.id)?.into_iter().collect());
                }
                self.trees
                    .get(&f.id)
                    .and_then(|t| t.get(name.as_bytes()))
                    .copied()
            }
            _ => None,
        };
        self.paths.insert((root, path.to_owned()), found);
        Ok(found)
    }
}
