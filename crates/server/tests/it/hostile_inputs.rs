//! Inputs that reach the filesystem or git: the longest branch names the model allows, commit
//! specifiers of any length, and paths git itself refuses. Each gets the operation's AWS
//! exception, never a 500, and changes nothing.

use crate::common::http::{RawResponse, api};
use crate::common::*;

fn call(server: &TestServer, op: &str, body: &serde_json::Value) -> RawResponse {
    api(
        server.addr,
        &format!("CodeCommit_20150413.{op}"),
        &body.to_string(),
    )
}

/// The exception of a refused call (status 400), or `"-"` for a success.
fn outcome(r: &RawResponse) -> String {
    if r.status == 200 {
        return "-".into();
    }
    assert_eq!(r.status, 400, "{}", r.text());
    r.json()["__type"].as_str().unwrap_or("?").to_owned()
}

/// A repository `r` with two commits on `main`; returns the tip.
async fn repo_with_main(server: &TestServer) -> String {
    let client = server.client();
    create_repo(&client, "r").await;
    let first = client
        .put_file()
        .repository_name("r")
        .branch_name("main")
        .file_path("a.txt")
        .file_content(aws_sdk_codecommit::primitives::Blob::new("a\n"))
        .send()
        .await
        .unwrap()
        .commit_id()
        .to_owned();
    client
        .put_file()
        .repository_name("r")
        .branch_name("main")
        .file_path("b.txt")
        .file_content(aws_sdk_codecommit::primitives::Blob::new("b\n"))
        .parent_commit_id(&first)
        .send()
        .await
        .unwrap()
        .commit_id()
        .to_owned()
}

/// The exception each call gets (`"-"`: success), as `op → outcome` lines for one readable diff.
fn outcomes(server: &TestServer, cases: &[(&str, serde_json::Value)]) -> Vec<String> {
    cases
        .iter()
        .map(|(op, body)| format!("{op} → {}", outcome(&call(server, op, body))))
        .collect()
}

fn expect(pairs: &[(&str, &str)]) -> Vec<String> {
    pairs.iter().map(|(op, e)| format!("{op} → {e}")).collect()
}

#[tokio::test]
async fn the_longest_branch_names_get_the_operations_exception() {
    use serde_json::json;
    let server = TestServer::start();
    let tip = repo_with_main(&server).await;
    // 256 characters in one part: valid for AWS, but no file system holds it as a ref file.
    let long = "b".repeat(256);
    let cases = [
        ("GetBranch", json!({"repositoryName":"r","branchName":long})),
        (
            "CreateBranch",
            json!({"repositoryName":"r","branchName":long,"commitId":tip}),
        ),
        (
            "DeleteBranch",
            json!({"repositoryName":"r","branchName":long}),
        ),
        (
            "UpdateDefaultBranch",
            json!({"repositoryName":"r","defaultBranchName":long}),
        ),
        (
            "PutFile",
            json!({"repositoryName":"r","branchName":long,"filePath":"x","fileContent":"eA==","parentCommitId":tip}),
        ),
        (
            "DeleteFile",
            json!({"repositoryName":"r","branchName":long,"filePath":"a.txt","parentCommitId":tip}),
        ),
        (
            "CreateCommit",
            json!({"repositoryName":"r","branchName":long,"parentCommitId":tip,"putFiles":[{"filePath":"y","fileContent":"eA=="}]}),
        ),
        (
            "MergeBranchesByFastForward",
            json!({"repositoryName":"r","sourceCommitSpecifier":"main","destinationCommitSpecifier":"main","targetBranch":long}),
        ),
        (
            "MergeBranchesBySquash",
            json!({"repositoryName":"r","sourceCommitSpecifier":"main","destinationCommitSpecifier":"main","targetBranch":long}),
        ),
    ];
    assert_eq!(
        outcomes(&server, &cases),
        expect(&[
            ("GetBranch", "BranchDoesNotExistException"),
            ("CreateBranch", "InvalidBranchNameException"),
            // DeleteBranch of a branch that does not exist is a no-op.
            ("DeleteBranch", "-"),
            ("UpdateDefaultBranch", "BranchDoesNotExistException"),
            ("PutFile", "BranchDoesNotExistException"),
            ("DeleteFile", "BranchDoesNotExistException"),
            ("CreateCommit", "BranchDoesNotExistException"),
            ("MergeBranchesByFastForward", "BranchDoesNotExistException"),
            ("MergeBranchesBySquash", "BranchDoesNotExistException"),
        ])
    );
    // The first commit of an empty repository would create it: not valid either.
    create_repo(&server.client(), "empty").await;
    let cases = [
        (
            "PutFile",
            json!({"repositoryName":"empty","branchName":long,"filePath":"x","fileContent":"eA=="}),
        ),
        (
            "CreateCommit",
            json!({"repositoryName":"empty","branchName":long,"putFiles":[{"filePath":"y","fileContent":"eA=="}]}),
        ),
    ];
    assert_eq!(
        outcomes(&server, &cases),
        expect(&[
            ("PutFile", "InvalidBranchNameException"),
            ("CreateCommit", "InvalidBranchNameException"),
        ])
    );
    // 256 characters in parts that fit are stored and served like any branch.
    let split = format!("{}/{}", "x".repeat(127), "y".repeat(128));
    assert_eq!(split.len(), 256);
    let client = server.client();
    client
        .create_branch()
        .repository_name("r")
        .branch_name(&split)
        .commit_id(&tip)
        .send()
        .await
        .unwrap();
    let got = client
        .get_branch()
        .repository_name("r")
        .branch_name(&split)
        .send()
        .await
        .unwrap();
    assert_eq!(got.branch().unwrap().commit_id(), Some(tip.as_str()));
    let url = server.clone_url("r");
    let git = crate::common::git::Git::new();
    assert_eq!(
        git.remote_ref(&url, &format!("refs/heads/{split}"))
            .as_deref(),
        Some(tip.as_str())
    );
    // Nothing else moved.
    assert_eq!(
        git.ls_remote(&url)
            .into_iter()
            .filter(|(n, _)| n.starts_with("refs/heads/"))
            .count(),
        2
    );
}

#[tokio::test]
async fn commit_specifiers_of_any_length_get_the_operations_exception() {
    use serde_json::json;
    let server = TestServer::start();
    repo_with_main(&server).await;
    let specs = [
        "s".repeat(256),
        "s".repeat(300),
        "m".repeat(1 << 20),
        // Short parts, but a ref path longer than any file system takes.
        "d/".repeat(3000) + "x",
    ];
    for spec in &specs {
        let cases = [
            (
                "GetFile",
                json!({"repositoryName":"r","commitSpecifier":spec,"filePath":"a.txt"}),
            ),
            (
                "GetFolder",
                json!({"repositoryName":"r","commitSpecifier":spec,"folderPath":"/"}),
            ),
            (
                "GetDifferences",
                json!({"repositoryName":"r","afterCommitSpecifier":spec}),
            ),
            (
                "GetDifferences",
                json!({"repositoryName":"r","beforeCommitSpecifier":spec,"afterCommitSpecifier":"main"}),
            ),
            (
                "ListFileCommitHistory",
                json!({"repositoryName":"r","commitSpecifier":spec,"filePath":"a.txt"}),
            ),
            (
                "GetMergeOptions",
                json!({"repositoryName":"r","sourceCommitSpecifier":spec,"destinationCommitSpecifier":"main"}),
            ),
            (
                "GetMergeConflicts",
                json!({"repositoryName":"r","sourceCommitSpecifier":"main","destinationCommitSpecifier":spec,"mergeOption":"THREE_WAY_MERGE"}),
            ),
            (
                "GetMergeCommit",
                json!({"repositoryName":"r","sourceCommitSpecifier":spec,"destinationCommitSpecifier":"main"}),
            ),
            (
                "DescribeMergeConflicts",
                json!({"repositoryName":"r","sourceCommitSpecifier":spec,"destinationCommitSpecifier":"main","mergeOption":"THREE_WAY_MERGE","filePath":"a.txt"}),
            ),
            (
                "BatchDescribeMergeConflicts",
                json!({"repositoryName":"r","sourceCommitSpecifier":spec,"destinationCommitSpecifier":"main","mergeOption":"THREE_WAY_MERGE"}),
            ),
            (
                "CreateUnreferencedMergeCommit",
                json!({"repositoryName":"r","sourceCommitSpecifier":spec,"destinationCommitSpecifier":"main","mergeOption":"THREE_WAY_MERGE"}),
            ),
            (
                "MergeBranchesByFastForward",
                json!({"repositoryName":"r","sourceCommitSpecifier":spec,"destinationCommitSpecifier":"main"}),
            ),
            (
                "MergeBranchesBySquash",
                json!({"repositoryName":"r","sourceCommitSpecifier":"main","destinationCommitSpecifier":spec}),
            ),
            (
                "MergeBranchesByThreeWay",
                json!({"repositoryName":"r","sourceCommitSpecifier":spec,"destinationCommitSpecifier":"main"}),
            ),
            ("GetCommit", json!({"repositoryName":"r","commitId":spec})),
            (
                "BatchGetCommits",
                json!({"repositoryName":"r","commitIds":[spec]}),
            ),
            ("GetBlob", json!({"repositoryName":"r","blobId":spec})),
            (
                "CreateBranch",
                json!({"repositoryName":"r","branchName":"new","commitId":spec}),
            ),
            (
                "PutFile",
                json!({"repositoryName":"r","branchName":"main","filePath":"x","fileContent":"eA==","parentCommitId":spec}),
            ),
        ];
        let missing = "CommitDoesNotExistException";
        assert_eq!(
            outcomes(&server, &cases),
            expect(&[
                ("GetFile", missing),
                ("GetFolder", missing),
                ("GetDifferences", missing),
                ("GetDifferences", missing),
                ("ListFileCommitHistory", missing),
                ("GetMergeOptions", missing),
                ("GetMergeConflicts", missing),
                ("GetMergeCommit", missing),
                ("DescribeMergeConflicts", missing),
                ("BatchDescribeMergeConflicts", missing),
                ("CreateUnreferencedMergeCommit", missing),
                ("MergeBranchesByFastForward", missing),
                ("MergeBranchesBySquash", missing),
                ("MergeBranchesByThreeWay", missing),
                ("GetCommit", "InvalidCommitIdException"),
                // Per-id errors in the answer.
                ("BatchGetCommits", "-"),
                ("GetBlob", "InvalidBlobIdException"),
                ("CreateBranch", "InvalidCommitIdException"),
                ("PutFile", "InvalidParentCommitIdException"),
            ]),
            "specifier of {} bytes",
            spec.len()
        );
    }
}

/// Path components that NTFS or HFS+ would open as `.git`, which `git fsck` flags
/// (`hasDotgit`) and a fsck-checking clone refuses.
const DOTGIT_LOOKALIKES: &[&str] = &[
    ".git/config",
    "a/.GIT/config",
    "git~1/config",
    "GIT~1/config",
    ".git./config",
    ".git /config",
    ".git\u{200c}/config",
    ".g\u{200d}it/config",
    "\u{feff}.git/hooks/x",
    ".git::$INDEX_ALLOCATION/config",
];

#[tokio::test]
async fn paths_git_refuses_are_invalid_path_everywhere() {
    use serde_json::json;
    let server = TestServer::start();
    let tip = repo_with_main(&server).await;
    for path in DOTGIT_LOOKALIKES {
        let folder = path.rsplit_once('/').map_or(*path, |(f, _)| f);
        let cases = [
            (
                "PutFile",
                json!({"repositoryName":"r","branchName":"main","filePath":path,"fileContent":"eA==","parentCommitId":tip}),
            ),
            (
                "CreateCommit",
                json!({"repositoryName":"r","branchName":"main","parentCommitId":tip,"putFiles":[{"filePath":path,"fileContent":"eA=="}]}),
            ),
            (
                "CreateCommit",
                json!({"repositoryName":"r","branchName":"main","parentCommitId":tip,"putFiles":[{"filePath":path,"sourceFile":{"filePath":"a.txt"}}]}),
            ),
            (
                "CreateCommit",
                json!({"repositoryName":"r","branchName":"main","parentCommitId":tip,"deleteFiles":[{"filePath":path}]}),
            ),
            (
                "CreateCommit",
                json!({"repositoryName":"r","branchName":"main","parentCommitId":tip,"setFileModes":[{"filePath":path,"fileMode":"EXECUTABLE"}]}),
            ),
            (
                "DeleteFile",
                json!({"repositoryName":"r","branchName":"main","filePath":path,"parentCommitId":tip}),
            ),
            ("GetFile", json!({"repositoryName":"r","filePath":path})),
            (
                "GetFolder",
                json!({"repositoryName":"r","folderPath":folder}),
            ),
            (
                "ListFileCommitHistory",
                json!({"repositoryName":"r","filePath":path}),
            ),
            (
                "GetDifferences",
                json!({"repositoryName":"r","afterCommitSpecifier":"main","afterPath":folder}),
            ),
        ];
        let invalid = "InvalidPathException";
        assert_eq!(
            outcomes(&server, &cases),
            expect(&[
                ("PutFile", invalid),
                ("CreateCommit", invalid),
                ("CreateCommit", invalid),
                ("CreateCommit", invalid),
                ("CreateCommit", invalid),
                ("DeleteFile", invalid),
                ("GetFile", invalid),
                ("GetFolder", invalid),
                ("ListFileCommitHistory", invalid),
                ("GetDifferences", invalid),
            ]),
            "{path:?}"
        );
    }
    // A symbolic link may not be called .gitmodules (fsck: gitmodulesSymlink).
    let cases = [
        (
            "PutFile",
            json!({"repositoryName":"r","branchName":"main","filePath":".gitmodules","fileContent":"eA==","fileMode":"SYMLINK","parentCommitId":tip}),
        ),
        (
            "CreateCommit",
            json!({"repositoryName":"r","branchName":"main","parentCommitId":tip,"putFiles":[{"filePath":"sub/.GITMODULES","fileContent":"eA==","fileMode":"SYMLINK"}]}),
        ),
        (
            "CreateCommit",
            json!({"repositoryName":"r","branchName":"main","parentCommitId":tip,"setFileModes":[{"filePath":".gitmodules","fileMode":"SYMLINK"}]}),
        ),
    ];
    assert_eq!(
        outcomes(&server, &cases),
        expect(&[
            ("PutFile", "InvalidPathException"),
            ("CreateCommit", "InvalidPathException"),
            ("CreateCommit", "InvalidPathException"),
        ])
    );
    // Nothing moved, and names that merely look similar are fine.
    let client = server.client();
    assert_eq!(
        client
            .get_branch()
            .repository_name("r")
            .branch_name("main")
            .send()
            .await
            .unwrap()
            .branch()
            .unwrap()
            .commit_id(),
        Some(tip.as_str())
    );
    let mut parent = tip;
    for ok in [
        "git~2/x",
        ".github/x",
        ".gitx",
        "git/x",
        "aux",
        "a./b",
        ".gitmodules",
    ] {
        let r = call(
            &server,
            "PutFile",
            &json!({"repositoryName":"r","branchName":"main","filePath":ok,"fileContent":"eA==","parentCommitId":parent}),
        );
        assert_eq!(outcome(&r), "-", "{ok}: {}", r.text());
        parent = r.json()["commitId"].as_str().unwrap().to_owned();
    }
    // What the API wrote passes git's strictest check.
    let rec = server
        .state
        .store
        .get(DEFAULT_ACCOUNT, DEFAULT_REGION, "r")
        .unwrap();
    let git = crate::common::git::Git::new();
    let repo_dir = server.state.git.path(&rec.id);
    git.ok(&repo_dir, &["fsck", "--strict", "--no-dangling"]);
}

/// A commit in `work` whose tree holds `name/config`, built with git's plumbing (a working
/// tree cannot hold such a name).
fn commit_with_top_entry(
    git: &crate::common::git::Git,
    work: &std::path::Path,
    name: &str,
) -> String {
    let blob = git.ok_with_input(work, &["hash-object", "-w", "--stdin"], b"[core]\n");
    let sub = git.ok_with_input(
        work,
        &["mktree"],
        format!("100644 blob {blob}\tconfig\n").as_bytes(),
    );
    let top = git.ok_with_input(
        work,
        &["mktree"],
        format!("040000 tree {sub}\t{name}\n").as_bytes(),
    );
    git.ok(work, &["commit-tree", &top, "-m", "evil"])
}

#[tokio::test]
async fn pushed_trees_with_git_dirs_are_refused() {
    let (server, client, url) = server_with("pushed").await;
    let git = crate::common::git::Git::new();
    let work = git.init_with_commits("work", &[&[("a", "a\n")]]);
    git.ok(&work, &["remote", "add", "origin", &url]);
    git.ok(&work, &["push", "-q", "origin", "main"]);
    let tip = git.ok(&work, &["rev-parse", "HEAD"]);
    for name in [".git", ".GIT", "git~1", ".git.", ".git\u{200c}"] {
        let evil = commit_with_top_entry(&git, &work, name);
        let err = git.fails(
            &work,
            &["push", "origin", &format!("{evil}:refs/heads/evil")],
        );
        assert!(err.contains("hasDotgit"), "{name:?}: {err}");
        // Also as a descendant of the branch's tip, by fast-forward.
        let blob = git.ok_with_input(&work, &["hash-object", "-w", "--stdin"], b"x\n");
        let sub = git.ok_with_input(
            &work,
            &["mktree"],
            format!("100644 blob {blob}\tconfig\n").as_bytes(),
        );
        let tree = git.ok_with_input(
            &work,
            &["mktree"],
            format!("100644 blob {blob}\ta\n040000 tree {sub}\t{name}\n").as_bytes(),
        );
        let child = git.ok(&work, &["commit-tree", &tree, "-p", &tip, "-m", "evil"]);
        git.fails(
            &work,
            &["push", "origin", &format!("{child}:refs/heads/main")],
        );
    }
    let branches = client
        .list_branches()
        .repository_name("pushed")
        .send()
        .await
        .unwrap();
    assert_eq!(branches.branches(), ["main"]);
    let folder = client
        .get_folder()
        .repository_name("pushed")
        .folder_path("/")
        .send()
        .await
        .unwrap();
    assert!(
        folder.sub_folders().is_empty(),
        "{:?}",
        folder.sub_folders()
    );
    assert_eq!(
        git.remote_ref(&url, "refs/heads/main").as_deref(),
        Some(tip.as_str())
    );
    drop(server);
}

/// How old tools wrote modes and dates is tolerated: migrated histories carry such objects.
#[tokio::test]
async fn pushed_legacy_metadata_is_accepted() {
    let (_server, client, url) = server_with("legacy").await;
    let git = crate::common::git::Git::new();
    let work = git.init_with_commits("work", &[&[("a", "a\n")]]);
    let blob = git.ok(&work, &["rev-parse", "HEAD:a"]);
    // A tree with a zero-padded mode and a commit with a malformed time zone.
    let mut raw_tree = b"0100644 a\0".to_vec();
    raw_tree.extend((0..20).map(|i| u8::from_str_radix(&blob[2 * i..2 * i + 2], 16).unwrap()));
    let tree_file = work.join("tree.raw");
    std::fs::write(&tree_file, &raw_tree).unwrap();
    let tree = git.ok(
        &work,
        &[
            "hash-object",
            "-t",
            "tree",
            "--literally",
            "-w",
            tree_file.to_str().unwrap(),
        ],
    );
    let commit_file = work.join("commit.raw");
    std::fs::write(
        &commit_file,
        format!(
            "tree {tree}\nauthor Old Tool <old@example.com> 1234567890 +99999\n\
             committer Old Tool <old@example.com> 1234567890 +0000\n\nimported\n"
        ),
    )
    .unwrap();
    let commit = git.ok(
        &work,
        &[
            "hash-object",
            "-t",
            "commit",
            "--literally",
            "-w",
            commit_file.to_str().unwrap(),
        ],
    );
    git.ok(
        &work,
        &["push", "-q", &url, &format!("{commit}:refs/heads/main")],
    );
    let got = client
        .get_file()
        .repository_name("legacy")
        .file_path("a")
        .send()
        .await
        .unwrap();
    assert_eq!(got.commit_id(), commit);
    assert_eq!(got.file_content().as_ref(), b"a\n");
}
