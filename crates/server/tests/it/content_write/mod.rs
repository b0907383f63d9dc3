//! Branches, PutFile, DeleteFile, CreateCommit and file reads through the SDK, checked with git: shared helpers; the tests live in the submodules.

use crate::common::git::Git;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::primitives::Blob;
use aws_sdk_codecommit::types::{DeleteFileEntry, FileMetadata, PutFileEntry, SourceFileSpecifier};
use std::path::Path;

mod branches;
mod commits;
mod files;
mod races;
mod reads;

const MISSING_COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// The tip of a branch through GetBranch.
async fn tip(client: &Client, repo: &str, branch: &str) -> String {
    client
        .get_branch()
        .repository_name(repo)
        .branch_name(branch)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetBranch {branch}: {e:?}"))
        .branch()
        .and_then(|b| b.commit_id())
        .expect("commitId")
        .to_owned()
}

/// A PutFile on `main` that must succeed; returns the new commit id.
async fn put(
    client: &Client,
    repo: &str,
    path: &str,
    content: &[u8],
    parent: Option<&str>,
) -> String {
    client
        .put_file()
        .repository_name(repo)
        .branch_name("main")
        .file_path(path)
        .file_content(Blob::new(content))
        .set_parent_commit_id(parent.map(str::to_owned))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutFile {path}: {e:?}"))
        .commit_id()
        .to_owned()
}

/// A PutFile request on `main` with content and parent preset.
fn put_req(
    client: &Client,
    repo: &str,
    path: &str,
    content: &[u8],
    parent: &str,
) -> aws_sdk_codecommit::operation::put_file::builders::PutFileFluentBuilder {
    client
        .put_file()
        .repository_name(repo)
        .branch_name("main")
        .file_path(path)
        .file_content(Blob::new(content))
        .parent_commit_id(parent)
}

fn put_entry(path: &str, content: &[u8]) -> PutFileEntry {
    PutFileEntry::builder()
        .file_path(path)
        .file_content(Blob::new(content))
        .build()
        .unwrap()
}

fn delete_entry(path: &str) -> DeleteFileEntry {
    DeleteFileEntry::builder().file_path(path).build().unwrap()
}

fn source(path: &str, is_move: bool) -> SourceFileSpecifier {
    SourceFileSpecifier::builder()
        .file_path(path)
        .is_move(is_move)
        .build()
        .unwrap()
}

/// `git hash-object` of some bytes (no repository needed).
fn hash_object(git: &Git, content: &[u8]) -> String {
    git.ok_with_input(git.root(), &["hash-object", "--stdin"], content)
}

/// `(mode, type, id)` of `path` in `rev` of the working repository `dir`, from `git ls-tree`.
fn ls_tree_entry(git: &Git, dir: &Path, rev: &str, path: &str) -> Option<(String, String, String)> {
    let out = git.ok(dir, &["ls-tree", "-z", rev, "--", path]);
    let line = out.split('\0').find(|l| !l.is_empty())?;
    let (meta, name) = line.split_once('\t').unwrap();
    assert_eq!(name, path);
    let mut parts = meta.split(' ');
    Some((
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
    ))
}

/// Fetches `main` of origin into `dir` and checks it out.
fn sync(git: &Git, dir: &Path) {
    git.ok(dir, &["fetch", "-q", "origin"]);
    git.ok(dir, &["reset", "-q", "--hard", "origin/main"]);
}

fn sorted_paths(files: &[FileMetadata]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = files
        .iter()
        .map(|f| {
            (
                f.absolute_path().unwrap().to_owned(),
                f.blob_id().unwrap().to_owned(),
                f.file_mode().unwrap().as_str().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}
