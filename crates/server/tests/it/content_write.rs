//! Branches, PutFile, DeleteFile, CreateCommit and file reads through the SDK, checked with git.

use crate::assert_err;
use crate::common::git::Git;
use crate::common::*;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::primitives::Blob;
use aws_sdk_codecommit::types::{
    DeleteFileEntry, FileMetadata, FileModeTypeEnum, PutFileEntry, SetFileModeEntry,
    SourceFileSpecifier,
};
use std::collections::BTreeSet;
use std::path::Path;

const MISSING_COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// A server with one empty repository `name`: the server, a client and the clone URL.
async fn setup(name: &str) -> (TestServer, Client, String) {
    let server = TestServer::start();
    let client = server.client();
    let md = create_repo(&client, name).await;
    let url = md.clone_url_http().unwrap().to_owned();
    (server, client, url)
}

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

// ---------------------------------------------------------------------------------------------
// Branches
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn branches_create_get_list_delete() {
    let (_server, client, url) = setup("br").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a.txt", "a\n")], &[("b.txt", "b\n")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    let first = git.ok(&work, &["rev-parse", "HEAD~1"]);
    git.ok(&work, &["push", "-q", "origin", "HEAD:refs/heads/pushed"]);

    // CreateBranch at an older commit: git sees it, the default branch does not change.
    client
        .create_branch()
        .repository_name("br")
        .branch_name("feature/x")
        .commit_id(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(
        git.remote_ref(&url, "refs/heads/feature/x").as_deref(),
        Some(first.as_str())
    );
    assert_eq!(get_repo(&client, "br").await.default_branch(), Some("main"));
    assert_eq!(tip(&client, "br", "feature/x").await, first);
    let b = client
        .get_branch()
        .repository_name("br")
        .branch_name("main")
        .send()
        .await
        .unwrap();
    let b = b.branch().unwrap();
    assert_eq!(b.branch_name(), Some("main"));
    assert_eq!(b.commit_id(), Some(head.as_str()));

    // Errors of CreateBranch.
    let create = |name: &str, commit: &str| {
        client
            .create_branch()
            .repository_name("br")
            .branch_name(name)
            .commit_id(commit)
            .send()
    };
    assert_err!(
        create("feature/x", &head).await,
        "BranchNameExistsException"
    );
    assert_err!(create("main", &head).await, "BranchNameExistsException");
    for bad in [
        "a..b",
        "x.lock",
        "a/b.lock",
        "/a",
        "a/",
        "a.",
        ".a",
        "@",
        "a//b",
        "a@{b",
        "0123456789abcdef0123456789abcdef01234567",
        "a b",
        "a~b",
        "a^b",
        "a:b",
        "a?b",
        "a*b",
        "a[b",
        "a\\b",
        "a\tb",
        &"n".repeat(257),
    ] {
        assert_err!(create(bad, &head).await, "InvalidBranchNameException");
    }
    assert_err!(create("", &head).await, "BranchNameRequiredException");
    assert_err!(
        client
            .create_branch()
            .repository_name("br")
            .commit_id(&head)
            .send()
            .await,
        "BranchNameRequiredException"
    );
    assert_err!(
        client
            .create_branch()
            .repository_name("br")
            .branch_name("nocommit")
            .send()
            .await,
        "CommitIdRequiredException"
    );
    assert_err!(create("nocommit", "").await, "CommitIdRequiredException");
    for bad in ["not-a-commit", &head[..7], &format!("{head}0"), "main"] {
        assert_err!(create("badid", bad).await, "InvalidCommitIdException");
    }
    assert_err!(
        create("unknown", MISSING_COMMIT).await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        client
            .create_branch()
            .repository_name("nope")
            .branch_name("x")
            .commit_id(&head)
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    // Nothing above created a branch.
    let names: BTreeSet<String> = client
        .list_branches()
        .repository_name("br")
        .send()
        .await
        .unwrap()
        .branches()
        .iter()
        .cloned()
        .collect();
    let expected: BTreeSet<String> = ["feature/x", "main", "pushed"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, expected);
    assert_err!(
        client
            .list_branches()
            .repository_name("br")
            .next_token("garbage-token!!")
            .send()
            .await,
        "InvalidContinuationTokenException"
    );

    // GetBranch of a missing branch.
    assert_err!(
        client
            .get_branch()
            .repository_name("br")
            .branch_name("missing")
            .send()
            .await,
        "BranchDoesNotExistException"
    );

    // DeleteBranch returns what it deleted; git no longer sees it.
    let out = client
        .delete_branch()
        .repository_name("br")
        .branch_name("pushed")
        .send()
        .await
        .unwrap();
    let deleted = out.deleted_branch().unwrap();
    assert_eq!(deleted.branch_name(), Some("pushed"));
    assert_eq!(deleted.commit_id(), Some(head.as_str()));
    assert_eq!(git.remote_ref(&url, "refs/heads/pushed"), None);
    assert_err!(
        client
            .get_branch()
            .repository_name("br")
            .branch_name("pushed")
            .send()
            .await,
        "BranchDoesNotExistException"
    );
    assert_err!(
        client
            .delete_branch()
            .repository_name("br")
            .branch_name("main")
            .send()
            .await,
        "DefaultBranchCannotBeDeletedException"
    );
    assert!(git.remote_ref(&url, "refs/heads/main").is_some());
    // The API-created branch is deleted the same way.
    let out = client
        .delete_branch()
        .repository_name("br")
        .branch_name("feature/x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.deleted_branch().unwrap().commit_id(),
        Some(first.as_str())
    );
    let refs: Vec<String> = git.ls_remote(&url).into_iter().map(|(n, _)| n).collect();
    assert!(
        !refs.iter().any(|r| r.starts_with("refs/heads/feature")),
        "{refs:?}"
    );
}

#[tokio::test]
async fn list_branches_pages_to_the_end() {
    let (_server, client, url) = setup("many").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a.txt", "a\n")]]);
    let count = 1205;
    let stdin: String = (0..count)
        .map(|i| format!("create refs/heads/b/{i:05} HEAD\n"))
        .collect();
    git.ok_with_input(&work, &["update-ref", "--stdin"], stdin.as_bytes());
    git.ok(
        &work,
        &["push", "-q", "origin", "refs/heads/b/*:refs/heads/b/*"],
    );

    let mut seen = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_branches()
            .repository_name("many")
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(out.branches().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
        assert!(pages < 100, "paging does not end");
    }
    assert!(pages >= 2, "{count} branches fit one page");
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a branch appears twice");
    let mut expected: BTreeSet<String> = (0..count).map(|i| format!("b/{i:05}")).collect();
    expected.insert("main".into());
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
}

// ---------------------------------------------------------------------------------------------
// PutFile
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn put_file_first_commit_and_what_git_sees() {
    let (_server, client, url) = setup("pf").await;
    let git = Git::new();
    let content = b"hello from the API\n";
    let out = client
        .put_file()
        .repository_name("pf")
        .branch_name("trunk")
        .file_path("/docs/readme.md")
        .file_content(Blob::new(content.as_slice()))
        .name("Ada Lovelace")
        .email("ada@example.com")
        .commit_message("first commit via PutFile")
        .send()
        .await
        .unwrap();
    // The first commit makes its branch the default.
    assert_eq!(
        get_repo(&client, "pf").await.default_branch(),
        Some("trunk")
    );
    assert_eq!(tip(&client, "pf", "trunk").await, out.commit_id());

    let clone = git.clone(&url, "clone");
    assert_eq!(
        git.ok(&clone, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "trunk"
    );
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]), out.commit_id());
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD^{tree}"]), out.tree_id());
    assert_eq!(hash_object(&git, content), out.blob_id());
    assert_eq!(
        std::fs::read(clone.join("docs/readme.md")).unwrap(),
        content
    );
    assert_eq!(
        git.ok(&clone, &["log", "--format=%an <%ae>|%cn <%ce>|%s|%P"]),
        "Ada Lovelace <ada@example.com>|Ada Lovelace <ada@example.com>|first commit via PutFile|"
    );
    git.ok(&clone, &["fsck", "--strict"]);
}

#[tokio::test]
async fn put_file_parent_rules() {
    let (_server, client, _url) = setup("pp").await;
    let c1 = put(&client, "pp", "a.txt", b"1", None).await;
    // Later writes need the tip as parent.
    assert_err!(
        client
            .put_file()
            .repository_name("pp")
            .branch_name("main")
            .file_path("a.txt")
            .file_content(Blob::new("2"))
            .send()
            .await,
        "ParentCommitIdRequiredException"
    );
    let c2 = put(&client, "pp", "a.txt", b"2", Some(&c1)).await;
    assert_err!(
        put_req(&client, "pp", "a.txt", b"3", &c1).send().await,
        "ParentCommitIdOutdatedException"
    );
    assert_err!(
        put_req(&client, "pp", "a.txt", b"3", MISSING_COMMIT)
            .send()
            .await,
        "ParentCommitDoesNotExistException"
    );
    // An empty parent is not "missing" but "not valid" ("The commit ID cannot be empty").
    for bad in ["", "xyz", &c2[..10], "main"] {
        assert_err!(
            put_req(&client, "pp", "a.txt", b"3", bad).send().await,
            "InvalidParentCommitIdException"
        );
    }
    // The branch is where the last acknowledged write left it.
    assert_eq!(tip(&client, "pp", "main").await, c2);
    let got = client
        .get_file()
        .repository_name("pp")
        .file_path("a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.file_content().as_ref(), b"2");
    assert_err!(
        client
            .put_file()
            .repository_name("pp")
            .branch_name("other")
            .file_path("a.txt")
            .file_content(Blob::new("x"))
            .parent_commit_id(&c2)
            .send()
            .await,
        "BranchDoesNotExistException"
    );
    assert_err!(
        client
            .put_file()
            .repository_name("missing-repo")
            .branch_name("main")
            .file_path("a.txt")
            .file_content(Blob::new("x"))
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
}

#[tokio::test]
async fn put_file_content_path_and_conflict_rules() {
    let (_server, client, url) = setup("pr").await;
    let git = Git::new();
    let mut parent = put(&client, "pr", "dir/file.txt", b"x", None).await;

    assert_err!(
        put_req(&client, "pr", "dir/file.txt", b"x", &parent)
            .send()
            .await,
        "SameFileContentException"
    );
    assert_err!(
        put_req(&client, "pr", "dir/new.txt", b"", &parent)
            .send()
            .await,
        "FileContentRequiredException"
    );
    assert_err!(
        client
            .put_file()
            .repository_name("pr")
            .branch_name("main")
            .file_path("dir/new.txt")
            .parent_commit_id(&parent)
            .send()
            .await,
        "FileContentRequiredException"
    );
    assert_err!(
        put_req(&client, "pr", "", b"x", &parent).send().await,
        "PathRequiredException"
    );
    for bad in [
        "..",
        "a/../b",
        "../escape.txt",
        "./a",
        ".git/config",
        "sub/.git/hooks/x",
        "a\0b",
        "dir/",
        "a//b",
        "/",
    ] {
        assert_err!(
            put_req(&client, "pr", bad, b"x", &parent).send().await,
            "InvalidPathException"
        );
    }
    // A file over a folder, a folder through a file.
    assert_err!(
        put_req(&client, "pr", "dir", b"x", &parent).send().await,
        "FileNameConflictsWithDirectoryNameException"
    );
    assert_err!(
        put_req(&client, "pr", "dir/file.txt/inner.txt", b"x", &parent)
            .send()
            .await,
        "DirectoryNameConflictsWithFileNameException"
    );

    // A leading slash is accepted and means the same path.
    let out = put_req(&client, "pr", "/dir/file.txt", b"y", &parent)
        .send()
        .await
        .unwrap();
    parent = out.commit_id().to_owned();
    let got = client
        .get_file()
        .repository_name("pr")
        .file_path("dir/file.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.file_content().as_ref(), b"y");
    assert_eq!(got.file_path(), "dir/file.txt");

    // File modes, and what git sees of them.
    for (path, mode) in [
        ("bin/run.sh", FileModeTypeEnum::Executable),
        ("link", FileModeTypeEnum::Symlink),
        ("plain.txt", FileModeTypeEnum::Normal),
    ] {
        let out = put_req(&client, "pr", path, b"dir/file.txt", &parent)
            .file_mode(mode)
            .send()
            .await
            .unwrap();
        parent = out.commit_id().to_owned();
    }
    // A mode alone is a change; the same content with another mode is not "the same file".
    let out = put_req(&client, "pr", "dir/file.txt", b"y", &parent)
        .file_mode(FileModeTypeEnum::Executable)
        .send()
        .await
        .unwrap();
    parent = out.commit_id().to_owned();
    // Without a mode, an existing file keeps its mode.
    let out = put_req(&client, "pr", "dir/file.txt", b"z", &parent)
        .send()
        .await
        .unwrap();
    parent = out.commit_id().to_owned();
    let clone = git.clone(&url, "clone");
    let mode = |p: &str| ls_tree_entry(&git, &clone, "HEAD", p).unwrap().0;
    assert_eq!(mode("bin/run.sh"), "100755");
    assert_eq!(mode("link"), "120000");
    assert_eq!(mode("plain.txt"), "100644");
    assert_eq!(mode("dir/file.txt"), "100755");
    assert_eq!(
        std::fs::read_link(clone.join("link")).unwrap(),
        Path::new("dir/file.txt")
    );
    for (path, want) in [
        ("bin/run.sh", FileModeTypeEnum::Executable),
        ("link", FileModeTypeEnum::Symlink),
        ("plain.txt", FileModeTypeEnum::Normal),
    ] {
        let got = client
            .get_file()
            .repository_name("pr")
            .file_path(path)
            .send()
            .await
            .unwrap();
        assert_eq!(got.file_mode(), &want, "{path}");
    }
    assert_err!(
        put_req(&client, "pr", "m.txt", b"x", &parent)
            .file_mode(FileModeTypeEnum::from("RWX"))
            .send()
            .await,
        "InvalidFileModeException"
    );

    // 6 MB (6,291,456 bytes) is the largest file PutFile takes.
    let max = 6 * 1024 * 1024;
    let big: Vec<u8> = (0..max).map(|i| (i % 251) as u8).collect();
    let out = put_req(&client, "pr", "big.bin", &big, &parent)
        .send()
        .await
        .unwrap();
    assert_eq!(out.blob_id(), hash_object(&git, &big));
    parent = out.commit_id().to_owned();
    let mut bigger = big.clone();
    bigger.push(0);
    assert_err!(
        put_req(&client, "pr", "bigger.bin", &bigger, &parent)
            .send()
            .await,
        "FileContentSizeLimitExceededException"
    );

    // A branch name that is a tag pushed by git.
    sync(&git, &clone);
    git.ok(&clone, &["tag", "v1"]);
    git.ok(&clone, &["push", "-q", "origin", "v1"]);
    assert_err!(
        client
            .put_file()
            .repository_name("pr")
            .branch_name("v1")
            .file_path("t.txt")
            .file_content(Blob::new("t"))
            .parent_commit_id(&parent)
            .send()
            .await,
        "BranchNameIsTagNameException"
    );
    assert_eq!(tip(&client, "pr", "main").await, parent);
}

// ---------------------------------------------------------------------------------------------
// DeleteFile
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn delete_file_and_empty_folders() {
    let (_server, client, url) = setup("df").await;
    let git = Git::new();
    let work = git.push_new(
        &url,
        "work",
        &[&[
            ("keep.txt", "k\n"),
            ("deep/a/b/c.txt", "c\n"),
            ("other/x/y.txt", "y\n"),
            ("other/z.txt", "z\n"),
        ]],
    );
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    let removed_blob = git.ok(&work, &["rev-parse", "HEAD:deep/a/b/c.txt"]);

    let del = |path: &str, parent: &str| {
        client
            .delete_file()
            .repository_name("df")
            .branch_name("main")
            .file_path(path)
            .parent_commit_id(parent)
    };
    assert_err!(
        client
            .delete_file()
            .repository_name("df")
            .branch_name("main")
            .file_path("keep.txt")
            .send()
            .await,
        "ParentCommitIdRequiredException"
    );
    assert_err!(
        del("keep.txt", "").send().await,
        "InvalidParentCommitIdException"
    );
    assert_err!(
        del("missing.txt", &head).send().await,
        "FileDoesNotExistException"
    );
    assert_err!(
        del("deep/a", &head).send().await,
        "FileDoesNotExistException"
    );

    // keepEmptyFolders false (the default): the emptied chain disappears.
    let out = del("/deep/a/b/c.txt", &head)
        .name("Del Eter")
        .email("del@example.com")
        .commit_message("remove c")
        .send()
        .await
        .unwrap();
    assert_eq!(out.blob_id(), removed_blob);
    assert_eq!(out.file_path(), "deep/a/b/c.txt");
    let c1 = out.commit_id().to_owned();
    sync(&git, &work);
    assert_eq!(git.ok(&work, &["rev-parse", "HEAD"]), c1);
    assert_eq!(git.ok(&work, &["rev-parse", "HEAD^{tree}"]), out.tree_id());
    assert!(!work.join("deep").exists());
    assert_eq!(
        git.ok(&work, &["log", "-1", "--format=%an <%ae>|%cn <%ce>|%s|%P"]),
        format!("Del Eter <del@example.com>|Del Eter <del@example.com>|remove c|{head}")
    );
    // The old parent is outdated now.
    assert_err!(
        del("keep.txt", &head).send().await,
        "ParentCommitIdOutdatedException"
    );

    // keepEmptyFolders true: the emptied folder keeps a .gitkeep, its parents stay.
    let out = del("other/x/y.txt", &c1)
        .keep_empty_folders(true)
        .send()
        .await
        .unwrap();
    sync(&git, &work);
    assert_eq!(git.ok(&work, &["rev-parse", "HEAD^{tree}"]), out.tree_id());
    let files = git.ok(&work, &["ls-files"]);
    assert_eq!(files, "keep.txt\nother/x/.gitkeep\nother/z.txt");
    assert_eq!(std::fs::read(work.join("other/x/.gitkeep")).unwrap(), b"");
}

// ---------------------------------------------------------------------------------------------
// CreateCommit
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn create_commit_tree_equals_git() {
    let (_server, client, url) = setup("cc").await;
    let git = Git::new();
    let work = git.push_new(
        &url,
        "work",
        &[&[
            ("a.txt", "a\n"),
            ("dir/b.txt", "b\n"),
            ("dir/sub/c.txt", "c\n"),
            ("script.sh", "#!/bin/sh\n"),
            ("old/x.txt", "x\n"),
            ("keep/only.txt", "o\n"),
        ]],
    );
    let head = git.ok(&work, &["rev-parse", "HEAD"]);

    let out = client
        .create_commit()
        .repository_name("cc")
        .branch_name("main")
        .parent_commit_id(&head)
        .author_name("Carl Committer")
        .email("carl@example.com")
        .commit_message("many changes")
        .put_files(put_entry("new/n.txt", b"n\n"))
        .put_files(put_entry("a.txt", b"a2\n"))
        .put_files(
            PutFileEntry::builder()
                .file_path("copy/b.txt")
                .source_file(source("dir/b.txt", false))
                .build()
                .unwrap(),
        )
        .put_files(
            PutFileEntry::builder()
                .file_path("moved/c.txt")
                .source_file(source("dir/sub/c.txt", true))
                .build()
                .unwrap(),
        )
        .delete_files(delete_entry("old/x.txt"))
        .set_file_modes(
            SetFileModeEntry::builder()
                .file_path("script.sh")
                .file_mode(FileModeTypeEnum::Executable)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // The same change made with git in the working copy.
    std::fs::create_dir_all(work.join("new")).unwrap();
    std::fs::write(work.join("new/n.txt"), "n\n").unwrap();
    std::fs::write(work.join("a.txt"), "a2\n").unwrap();
    std::fs::create_dir_all(work.join("copy")).unwrap();
    std::fs::copy(work.join("dir/b.txt"), work.join("copy/b.txt")).unwrap();
    std::fs::create_dir_all(work.join("moved")).unwrap();
    git.ok(&work, &["mv", "dir/sub/c.txt", "moved/c.txt"]);
    git.ok(&work, &["rm", "-q", "old/x.txt"]);
    git.ok(&work, &["add", "-A"]);
    git.ok(&work, &["update-index", "--chmod=+x", "script.sh"]);
    git.ok(&work, &["commit", "-q", "-m", "same change"]);
    let local_tree = git.ok(&work, &["rev-parse", "HEAD^{tree}"]);
    assert_eq!(out.tree_id(), Some(local_tree.as_str()));

    let blob = |p: &str| git.ok(&work, &["rev-parse", &format!("HEAD:{p}")]);
    let entry = |p: &str, mode: &str| (p.to_owned(), blob(p), mode.to_owned());
    assert_eq!(
        sorted_paths(out.files_added()),
        vec![
            entry("copy/b.txt", "NORMAL"),
            entry("moved/c.txt", "NORMAL"),
            entry("new/n.txt", "NORMAL"),
        ]
    );
    assert_eq!(
        sorted_paths(out.files_updated()),
        vec![entry("a.txt", "NORMAL"), entry("script.sh", "EXECUTABLE")]
    );
    let old = |p: &str| {
        (
            p.to_owned(),
            git.ok(&work, &["rev-parse", &format!("{head}:{p}")]),
            "NORMAL".to_owned(),
        )
    };
    assert_eq!(
        sorted_paths(out.files_deleted()),
        vec![old("dir/sub/c.txt"), old("old/x.txt")]
    );

    // The API commit is a real commit on top of the parent, with the requested authorship.
    let commit = out.commit_id().unwrap().to_owned();
    git.ok(&work, &["fetch", "-q", "origin"]);
    assert_eq!(git.ok(&work, &["rev-parse", "origin/main"]), commit);
    assert_eq!(
        git.ok(
            &work,
            &["log", "-1", "--format=%an <%ae>|%cn <%ce>|%s|%P", &commit]
        ),
        format!(
            "Carl Committer <carl@example.com>|Carl Committer <carl@example.com>|many changes|{head}"
        )
    );
    assert_eq!(
        git.ok(&work, &["diff", "--name-status", "HEAD", &commit]),
        "",
        "git's commit and the API's have the same content"
    );

    // keepEmptyFolders on CreateCommit; copying that .gitkeep is refused.
    let out = client
        .create_commit()
        .repository_name("cc")
        .branch_name("main")
        .parent_commit_id(&commit)
        .keep_empty_folders(true)
        .delete_files(delete_entry("keep/only.txt"))
        .send()
        .await
        .unwrap();
    let commit = out.commit_id().unwrap().to_owned();
    let added = sorted_paths(out.files_added());
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].0, "keep/.gitkeep");
    assert_eq!(added[0].1, hash_object(&git, b""));
    assert_err!(
        client
            .create_commit()
            .repository_name("cc")
            .branch_name("main")
            .parent_commit_id(&commit)
            .put_files(
                PutFileEntry::builder()
                    .file_path("elsewhere/.gitkeep2")
                    .source_file(source("keep/.gitkeep", false))
                    .build()
                    .unwrap()
            )
            .send()
            .await,
        "RestrictedSourceFileException"
    );

    // A first commit in an empty repository needs no parent.
    create_repo(&client, "cc-empty").await;
    let out = client
        .create_commit()
        .repository_name("cc-empty")
        .branch_name("dev")
        .put_files(put_entry("x/y.txt", b"y\n"))
        .put_files(put_entry("z.txt", b"z\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get_repo(&client, "cc-empty").await.default_branch(),
        Some("dev")
    );
    let fresh = git.init_with_commits("fresh", &[&[("x/y.txt", "y\n"), ("z.txt", "z\n")]]);
    assert_eq!(
        out.tree_id(),
        Some(git.ok(&fresh, &["rev-parse", "HEAD^{tree}"]).as_str())
    );
}

#[tokio::test]
async fn create_commit_errors() {
    let (server, client, url) = setup("ce").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a.txt", "a\n"), ("d/b.txt", "b\n")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    let commit = || {
        client
            .create_commit()
            .repository_name("ce")
            .branch_name("main")
            .parent_commit_id(&head)
    };

    assert_err!(commit().send().await, "FileEntryRequiredException");
    let mut many = commit();
    for i in 0..101 {
        many = many.put_files(put_entry(&format!("f{i}.txt"), b"x"));
    }
    assert_err!(many.send().await, "MaximumFileEntriesExceededException");
    assert_err!(
        commit()
            .put_files(put_entry("a.txt", b"new"))
            .delete_files(delete_entry("a.txt"))
            .send()
            .await,
        "SamePathRequestException"
    );
    assert_err!(
        commit()
            .put_files(put_entry("n.txt", b"1"))
            .put_files(put_entry("/n.txt", b"2"))
            .send()
            .await,
        "SamePathRequestException"
    );
    assert_err!(
        commit()
            .put_files(put_entry("x", b"1"))
            .put_files(put_entry("x/y", b"2"))
            .send()
            .await,
        "PutFileEntryConflictException"
    );
    assert_err!(
        commit().put_files(put_entry("a.txt", b"a\n")).send().await,
        "NoChangeException"
    );
    assert_err!(
        commit()
            .put_files(
                PutFileEntry::builder()
                    .file_path("c.txt")
                    .file_content(Blob::new("c"))
                    .source_file(source("a.txt", false))
                    .build()
                    .unwrap()
            )
            .send()
            .await,
        "FileContentAndSourceFileSpecifiedException"
    );
    assert_err!(
        commit()
            .put_files(PutFileEntry::builder().file_path("c.txt").build().unwrap())
            .send()
            .await,
        "SourceFileOrContentRequiredException"
    );
    assert_err!(
        commit()
            .delete_files(delete_entry("missing.txt"))
            .send()
            .await,
        "FileDoesNotExistException"
    );
    assert_err!(
        commit().put_files(put_entry("d", b"x")).send().await,
        "FileNameConflictsWithDirectoryNameException"
    );
    assert_err!(
        commit()
            .put_files(put_entry("a.txt/inner", b"x"))
            .send()
            .await,
        "DirectoryNameConflictsWithFileNameException"
    );
    assert_err!(
        commit().put_files(put_entry("../x", b"x")).send().await,
        "InvalidPathException"
    );
    // 6 MB per file, 7 MB per commit.
    let six = vec![b'x'; 6 * 1024 * 1024 + 1];
    assert_err!(
        commit().put_files(put_entry("big", &six)).send().await,
        "FileContentSizeLimitExceededException"
    );
    let half = vec![b'y'; 3_700_000];
    assert_err!(
        commit()
            .put_files(put_entry("big1", &half))
            .put_files(put_entry("big2", &half))
            .send()
            .await,
        "FileContentSizeLimitExceededException"
    );
    // A setFileModes entry without a mode cannot be built with the SDK; send it raw.
    let body = serde_json::json!({
        "repositoryName": "ce",
        "branchName": "main",
        "parentCommitId": head,
        "setFileModes": [{"filePath": "a.txt"}],
    });
    let r = crate::common::http::api(
        server.addr,
        "CodeCommit_20150413.CreateCommit",
        &body.to_string(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["__type"], "FileModeRequiredException");
    assert_err!(
        client
            .create_commit()
            .repository_name("ce")
            .branch_name("main")
            .put_files(put_entry("p.txt", b"p"))
            .send()
            .await,
        "ParentCommitIdRequiredException"
    );
    // 100 entries are allowed.
    let mut hundred = commit().delete_files(delete_entry("d/b.txt"));
    for i in 0..99 {
        hundred = hundred.put_files(put_entry(&format!("p/{i:02}.txt"), b"p"));
    }
    let moved = hundred.send().await.unwrap();
    assert_eq!(moved.files_added().len(), 99);
    assert_eq!(moved.files_deleted().len(), 1);
    assert_err!(
        commit().put_files(put_entry("q.txt", b"q")).send().await,
        "ParentCommitIdOutdatedException"
    );
    // Nothing refused above left a trace on the branch.
    assert_eq!(tip(&client, "ce", "main").await, moved.commit_id().unwrap());
    git.ok(&work, &["fetch", "-q", "origin"]);
    assert_eq!(
        git.ok(&work, &["rev-list", "--count", "origin/main"]),
        "2",
        "only the one accepted commit was added"
    );
}

// ---------------------------------------------------------------------------------------------
// GetFile / GetBlob / GetFolder
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn reads_return_exact_bytes_for_every_specifier() {
    let (_server, client, url) = setup("rd").await;
    let git = Git::new();
    // An empty repository has no default branch to read.
    assert_err!(
        client
            .get_file()
            .repository_name("rd")
            .file_path("a.txt")
            .send()
            .await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        client
            .get_folder()
            .repository_name("rd")
            .folder_path("/")
            .send()
            .await,
        "CommitDoesNotExistException"
    );

    let binary: Vec<u8> = (0..=255u8).collect();
    let unicode = "docs/ünïcødé 文件.txt";
    let c1 = put(&client, "rd", "bin/all.bin", &binary, None).await;
    let out = put_req(&client, "rd", unicode, "ünïcødé\n".as_bytes(), &c1)
        .send()
        .await
        .unwrap();
    let c2 = out.commit_id().to_owned();

    let clone = git.clone(&url, "clone");
    assert_eq!(std::fs::read(clone.join("bin/all.bin")).unwrap(), binary);
    assert_eq!(
        std::fs::read(clone.join(unicode)).unwrap(),
        "ünïcødé\n".as_bytes()
    );
    let (_, _, unicode_blob) = ls_tree_entry(&git, &clone, "HEAD", unicode).unwrap();
    assert_eq!(unicode_blob, out.blob_id());

    // Tags, another branch, then read through every kind of specifier.
    git.ok(&clone, &["tag", "light", &c1]);
    git.ok(&clone, &["tag", "-a", "-m", "annotated", "annot", &c1]);
    git.ok(&clone, &["push", "-q", "origin", "light", "annot"]);
    git.ok(
        &clone,
        &["push", "-q", "origin", &format!("{c1}:refs/heads/old")],
    );
    let bin_blob = hash_object(&git, &binary);
    for spec in [
        None,
        Some("main"),
        Some("HEAD"),
        Some("refs/heads/main"),
        Some(c2.as_str()),
    ] {
        let got = client
            .get_file()
            .repository_name("rd")
            .file_path(unicode)
            .set_commit_specifier(spec.map(str::to_owned))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetFile at {spec:?}: {e:?}"));
        assert_eq!(got.commit_id(), c2, "{spec:?}");
        assert_eq!(got.file_content().as_ref(), "ünïcødé\n".as_bytes());
        assert_eq!(got.file_path(), unicode);
    }
    for spec in [
        "light",
        "annot",
        "refs/tags/light",
        "refs/tags/annot",
        "old",
        "refs/heads/old",
        &c1,
    ] {
        let got = client
            .get_file()
            .repository_name("rd")
            .file_path("/bin/all.bin")
            .commit_specifier(spec)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetFile at {spec}: {e:?}"));
        assert_eq!(got.commit_id(), c1, "{spec}");
        assert_eq!(got.file_content().as_ref(), binary.as_slice());
        assert_eq!(got.blob_id(), bin_blob);
        assert_eq!(got.file_size(), 256);
        assert_eq!(got.file_mode(), &FileModeTypeEnum::Normal);
        assert_err!(
            client
                .get_file()
                .repository_name("rd")
                .file_path(unicode)
                .commit_specifier(spec)
                .send()
                .await,
            "FileDoesNotExistException"
        );
    }
    let tree_id = git.ok(&clone, &["rev-parse", "HEAD^{tree}"]);
    for missing in ["nope", "refs/heads/nope", MISSING_COMMIT, tree_id.as_str()] {
        assert_err!(
            client
                .get_file()
                .repository_name("rd")
                .file_path("bin/all.bin")
                .commit_specifier(missing)
                .send()
                .await,
            "CommitDoesNotExistException"
        );
    }
    assert_err!(
        client
            .get_file()
            .repository_name("rd")
            .file_path("bin/all.bin")
            .commit_specifier("a..b")
            .send()
            .await,
        "InvalidCommitException"
    );
    // HEAD and the unspecified commit follow the default branch when it changes.
    client
        .update_default_branch()
        .repository_name("rd")
        .default_branch_name("old")
        .send()
        .await
        .unwrap();
    for spec in [None, Some("HEAD")] {
        let got = client
            .get_file()
            .repository_name("rd")
            .file_path("bin/all.bin")
            .set_commit_specifier(spec.map(str::to_owned))
            .send()
            .await
            .unwrap();
        assert_eq!(got.commit_id(), c1, "{spec:?}");
    }
    assert_err!(
        client
            .get_file()
            .repository_name("rd")
            .file_path("bin")
            .send()
            .await,
        "FileDoesNotExistException"
    );

    // GetBlob.
    let got = client
        .get_blob()
        .repository_name("rd")
        .blob_id(&bin_blob)
        .send()
        .await
        .unwrap();
    assert_eq!(got.content().as_ref(), binary.as_slice());
    for missing in [MISSING_COMMIT, tree_id.as_str(), c1.as_str()] {
        assert_err!(
            client
                .get_blob()
                .repository_name("rd")
                .blob_id(missing)
                .send()
                .await,
            "BlobIdDoesNotExistException"
        );
    }
    for bad in ["xyz", &bin_blob[..8]] {
        assert_err!(
            client
                .get_blob()
                .repository_name("rd")
                .blob_id(bad)
                .send()
                .await,
            "InvalidBlobIdException"
        );
    }
    assert_err!(
        client
            .get_blob()
            .repository_name("rd")
            .blob_id("")
            .send()
            .await,
        "BlobIdRequiredException"
    );
    assert_err!(
        client.get_blob().repository_name("rd").send().await,
        "BlobIdRequiredException"
    );
}

#[tokio::test]
async fn get_folder_lists_every_kind_of_entry() {
    let (_server, client, url) = setup("gf").await;
    let git = Git::new();
    let work = git.init_with_commits(
        "work",
        &[&[
            ("top.txt", "t\n"),
            ("src/lib.rs", "lib\n"),
            ("src/run.sh", "#!/bin/sh\n"),
            ("src/inner/deep.txt", "d\n"),
        ]],
    );
    git.ok(&work, &["update-index", "--chmod=+x", "src/run.sh"]);
    std::os::unix::fs::symlink("lib.rs", work.join("src/link")).unwrap();
    git.ok(&work, &["add", "src/link"]);
    let sub_commit = git.ok(&work, &["rev-parse", "HEAD"]);
    git.ok(
        &work,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{sub_commit},src/vendor"),
        ],
    );
    git.ok(&work, &["commit", "-q", "-m", "modes, link, submodule"]);
    git.ok(&work, &["remote", "add", "origin", &url]);
    git.ok(&work, &["push", "-q", "origin", "main"]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    let id = |p: &str| git.ok(&work, &["rev-parse", &format!("HEAD:{p}")]);

    for folder in ["src", "/src", "src/", "/src/"] {
        let out = client
            .get_folder()
            .repository_name("gf")
            .folder_path(folder)
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.folder_path(),
            folder,
            "the request's folderPath is echoed"
        );
        assert_eq!(out.commit_id(), head);
        assert_eq!(out.tree_id(), Some(id("src").as_str()));
        let subs: Vec<_> = out
            .sub_folders()
            .iter()
            .map(|f| {
                (
                    f.absolute_path().unwrap(),
                    f.relative_path().unwrap(),
                    f.tree_id().unwrap(),
                )
            })
            .collect();
        assert_eq!(subs, vec![("src/inner", "inner", id("src/inner").as_str())]);
        let mut files: Vec<_> = out
            .files()
            .iter()
            .map(|f| {
                (
                    f.absolute_path().unwrap().to_owned(),
                    f.relative_path().unwrap().to_owned(),
                    f.blob_id().unwrap().to_owned(),
                    f.file_mode().unwrap().clone(),
                )
            })
            .collect();
        files.sort();
        assert_eq!(
            files,
            vec![
                (
                    "src/lib.rs".into(),
                    "lib.rs".into(),
                    id("src/lib.rs"),
                    FileModeTypeEnum::Normal
                ),
                (
                    "src/run.sh".into(),
                    "run.sh".into(),
                    id("src/run.sh"),
                    FileModeTypeEnum::Executable
                ),
            ]
        );
        let links: Vec<_> = out
            .symbolic_links()
            .iter()
            .map(|l| {
                (
                    l.absolute_path().unwrap(),
                    l.relative_path().unwrap(),
                    l.blob_id().unwrap().to_owned(),
                    l.file_mode().unwrap().clone(),
                )
            })
            .collect();
        assert_eq!(
            links,
            vec![(
                "src/link",
                "link",
                id("src/link"),
                FileModeTypeEnum::Symlink
            )]
        );
        let mods: Vec<_> = out
            .sub_modules()
            .iter()
            .map(|m| {
                (
                    m.absolute_path().unwrap(),
                    m.relative_path().unwrap(),
                    m.commit_id().unwrap(),
                )
            })
            .collect();
        assert_eq!(mods, vec![("src/vendor", "vendor", sub_commit.as_str())]);
    }

    // The root: absolute paths have no leading slash.
    let root = client
        .get_folder()
        .repository_name("gf")
        .folder_path("/")
        .commit_specifier("HEAD")
        .send()
        .await
        .unwrap();
    assert_eq!(root.folder_path(), "/");
    assert_eq!(
        root.tree_id(),
        Some(git.ok(&work, &["rev-parse", "HEAD^{tree}"]).as_str())
    );
    let files: Vec<_> = root
        .files()
        .iter()
        .map(|f| (f.absolute_path().unwrap(), f.relative_path().unwrap()))
        .collect();
    assert_eq!(files, vec![("top.txt", "top.txt")]);
    let subs: Vec<_> = root
        .sub_folders()
        .iter()
        .map(|f| (f.absolute_path().unwrap(), f.relative_path().unwrap()))
        .collect();
    assert_eq!(subs, vec![("src", "src")]);
    let deep = client
        .get_folder()
        .repository_name("gf")
        .folder_path("src/inner")
        .send()
        .await
        .unwrap();
    assert_eq!(deep.files()[0].absolute_path(), Some("src/inner/deep.txt"));
    assert_eq!(deep.files()[0].relative_path(), Some("deep.txt"));

    // GetFile on the executable and the link.
    let got = client
        .get_file()
        .repository_name("gf")
        .file_path("src/link")
        .send()
        .await
        .unwrap();
    assert_eq!(got.file_mode(), &FileModeTypeEnum::Symlink);
    assert_eq!(got.file_content().as_ref(), b"lib.rs");
    assert_eq!(got.file_size(), 6);
    let got = client
        .get_file()
        .repository_name("gf")
        .file_path("src/run.sh")
        .send()
        .await
        .unwrap();
    assert_eq!(got.file_mode(), &FileModeTypeEnum::Executable);

    for missing in ["nope", "top.txt", "src/vendor", "src/inner/deep.txt"] {
        assert_err!(
            client
                .get_folder()
                .repository_name("gf")
                .folder_path(missing)
                .send()
                .await,
            "FolderDoesNotExistException"
        );
    }
    // A file path that crosses the submodule is not a file.
    assert_err!(
        client
            .get_file()
            .repository_name("gf")
            .file_path("src/vendor")
            .send()
            .await,
        "FileDoesNotExistException"
    );
    assert_err!(
        client
            .put_file()
            .repository_name("gf")
            .branch_name("main")
            .file_path("src/vendor/x.txt")
            .file_content(Blob::new("x"))
            .parent_commit_id(&head)
            .send()
            .await,
        "FilePathConflictsWithSubmodulePathException"
    );
}

// ---------------------------------------------------------------------------------------------
// One truth, racing writers
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn api_commits_and_pushes_are_one_truth() {
    let (_server, client, url) = setup("one").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a.txt", "1\n")]]);
    let pushed = git.ok(&work, &["rev-parse", "HEAD"]);
    assert_eq!(tip(&client, "one", "main").await, pushed);

    // An API commit is fetched at once.
    let api = put(&client, "one", "a.txt", b"2\n", Some(&pushed)).await;
    git.ok(&work, &["fetch", "-q", "origin"]);
    assert_eq!(git.ok(&work, &["rev-parse", "origin/main"]), api);
    assert_eq!(git.ok(&work, &["rev-parse", "origin/main~1"]), pushed);
    git.ok(&work, &["merge", "-q", "--ff-only", "origin/main"]);

    // A push is read at once by GetBranch, GetFile, GetFolder.
    let next = git.commit_file(&work, "dir/new.txt", "3\n", "push");
    git.ok(&work, &["push", "-q", "origin", "main"]);
    assert_eq!(tip(&client, "one", "main").await, next);
    let got = client
        .get_file()
        .repository_name("one")
        .file_path("dir/new.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.commit_id(), next);
    assert_eq!(got.file_content().as_ref(), b"3\n");
    let folder = client
        .get_folder()
        .repository_name("one")
        .folder_path("dir")
        .send()
        .await
        .unwrap();
    assert_eq!(folder.commit_id(), next);
    assert_eq!(folder.files()[0].absolute_path(), Some("dir/new.txt"));
    // The pushed tip is the parent the API wants next.
    assert_err!(
        put_req(&client, "one", "a.txt", b"4\n", &api).send().await,
        "ParentCommitIdOutdatedException"
    );
    put(&client, "one", "a.txt", b"4\n", Some(&next)).await;
    let fresh = git.clone(&url, "fresh");
    assert_eq!(std::fs::read(fresh.join("a.txt")).unwrap(), b"4\n");
    assert_eq!(std::fs::read(fresh.join("dir/new.txt")).unwrap(), b"3\n");
}

#[tokio::test]
async fn racing_put_files_on_one_parent_have_one_winner() {
    let (_server, client, url) = setup("race").await;
    let base = put(&client, "race", "base.txt", b"base", None).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let client = client.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            put_req(&client, "race", &format!("w{i}.txt"), b"w", &base)
                .send()
                .await
                .map(|o| o.commit_id().to_owned())
                .map_err(|e| code(&e))
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(c) => winners.push(c),
            Err(e) => assert_eq!(e, "ParentCommitIdOutdatedException"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(tip(&client, "race", "main").await, winners[0]);
    let git = Git::new();
    assert_eq!(
        git.remote_ref(&url, "refs/heads/main").as_deref(),
        Some(winners[0].as_str())
    );
}

#[tokio::test]
async fn api_write_racing_a_push_never_loses_an_acknowledged_commit() {
    let (_server, client, url) = setup("mix").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("seed.txt", "seed\n")]]);
    let mut acknowledged = Vec::new();
    let (mut api_wins, mut push_wins) = (0, 0);
    for round in 0..12 {
        sync(&git, &work);
        let base = git.ok(&work, &["rev-parse", "HEAD"]);
        let local = git.commit_file(&work, &format!("push{round}.txt"), "p\n", "push");
        let push = {
            let mut cmd = git.command(&work);
            cmd.args(["push", "-q", "origin", "HEAD:main"]);
            std::thread::spawn(move || cmd.output().unwrap().status.success())
        };
        // The API write starts later each round (after more GetBranch calls), so that early
        // rounds see the API first, late ones the push first, and some land in between.
        for _ in 0..round * 8 {
            if tip(&client, "mix", "main").await != base {
                break;
            }
        }
        let api = put_req(&client, "mix", &format!("api{round}.txt"), b"a\n", &base)
            .send()
            .await;
        let pushed = push.join().unwrap();
        let api_won = match api {
            Ok(o) => {
                acknowledged.push(o.commit_id().to_owned());
                true
            }
            Err(e) => {
                assert_eq!(code(&e), "ParentCommitIdOutdatedException", "{e:?}");
                false
            }
        };
        if pushed {
            acknowledged.push(local);
        }
        // Both started from the same tip: exactly one of them moved the branch.
        assert!(
            api_won != pushed,
            "round {round}: api {api_won}, push {pushed}"
        );
        api_wins += usize::from(api_won);
        push_wins += usize::from(pushed);
        assert_eq!(
            &tip(&client, "mix", "main").await,
            acknowledged.last().unwrap(),
            "round {round}"
        );
    }
    eprintln!("API won {api_wins} rounds, git push {push_wins}");
    git.ok(&work, &["fetch", "-q", "origin"]);
    let history = git.ok(&work, &["rev-list", "origin/main"]);
    for c in &acknowledged {
        assert!(history.lines().any(|l| l == c), "acknowledged {c} was lost");
    }
    // A linear history: the seed plus exactly the acknowledged commits.
    assert_eq!(history.lines().count(), 1 + acknowledged.len());
}

/// The 4,096-character and 20-folder limits bind the files an API write creates
/// (codecommit-facts.md §1), counted in characters; files a push made deeper or longer
/// still read, diff, list and delete through the API.
#[tokio::test]
async fn path_limits_bind_api_writes_not_reads_of_pushed_files() {
    let (_server, client, url) = setup("pl").await;
    let git = Git::new();
    let deep_dir: String = (1..=25).map(|i| format!("d{i}/")).collect();
    let deep = format!("{deep_dir}f.txt");
    let work = git.init_with_commits("work", &[&[(deep.as_str(), "deep\n")]]);
    // Longer than 4,096 characters: only in the index (no file system holds such a path).
    let long = vec!["p".repeat(250); 17].join("/");
    assert!(long.len() > 4096);
    let blob = git.ok_with_input(&work, &["hash-object", "-w", "--stdin"], b"long\n");
    git.ok(
        &work,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("100644,{blob},{long}"),
        ],
    );
    git.ok(&work, &["commit", "-q", "-m", "long path"]);
    git.ok(&work, &["remote", "add", "origin", &url]);
    git.ok(&work, &["push", "-q", "origin", "main"]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);

    for (path, content) in [(&deep, "deep\n"), (&long, "long\n")] {
        let file = client
            .get_file()
            .repository_name("pl")
            .file_path(format!("/{path}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetFile {path}: {e:?}"));
        assert_eq!(file.file_path(), path.as_str());
        assert_eq!(file.file_content().as_ref(), content.as_bytes());
        let history = client
            .list_file_commit_history()
            .repository_name("pl")
            .file_path(path)
            .send()
            .await
            .unwrap();
        assert_eq!(history.revision_dag().len(), 1, "{path}");
        let diffs = client
            .get_differences()
            .repository_name("pl")
            .after_commit_specifier("main")
            .after_path(path)
            .send()
            .await
            .unwrap();
        assert_eq!(diffs.differences().len(), 1, "{path}");
    }
    let folder = client
        .get_folder()
        .repository_name("pl")
        .folder_path(&deep_dir)
        .send()
        .await
        .unwrap();
    assert_eq!(folder.files()[0].absolute_path(), Some(deep.as_str()));

    // Writes: 20 folders deep and 4,096 characters (not bytes) are the most.
    let ok_deep: String = (1..=20).map(|i| format!("e{i}/")).collect::<String>() + "f.txt";
    let too_deep: String = (1..=21).map(|i| format!("e{i}/")).collect::<String>() + "f.txt";
    let wide = "é".repeat(4096);
    let too_long = "a".repeat(4097);
    let mut parent = head;
    for bad in [&too_deep, &too_long, &deep] {
        assert_err!(
            put_req(&client, "pl", bad, b"x", &parent).send().await,
            "InvalidPathException"
        );
        assert_err!(
            client
                .create_commit()
                .repository_name("pl")
                .branch_name("main")
                .parent_commit_id(&parent)
                .put_files(put_entry(bad, b"x"))
                .send()
                .await,
            "InvalidPathException"
        );
    }
    for good in [&ok_deep, &wide] {
        parent = put(&client, "pl", good, b"x", Some(&parent)).await;
    }
    let deleted = client
        .delete_file()
        .repository_name("pl")
        .branch_name("main")
        .file_path(&deep)
        .parent_commit_id(&parent)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.file_path(), deep.as_str());
    // (No checkout: no file system holds these paths.)
    git.ok(&work, &["fetch", "-q", "origin"]);
    assert!(ls_tree_entry(&git, &work, "origin/main", &deep).is_none());
    assert!(ls_tree_entry(&git, &work, "origin/main", &wide).is_some());
    assert!(ls_tree_entry(&git, &work, "origin/main", &long).is_some());
}
