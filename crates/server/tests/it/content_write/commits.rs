//! CreateCommit: the tree equals git's, and its errors.

use super::*;
use crate::assert_err;
use crate::common::*;
use aws_sdk_codecommit::types::{FileModeTypeEnum, SetFileModeEntry};

#[tokio::test]
async fn create_commit_tree_equals_git() {
    let (_server, client, url) = server_with("cc").await;
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

/// The entries are one change set against the parent: a copy reads its source from the
/// parent whatever the other entries move or delete, in either order.
#[tokio::test]
async fn create_commit_sources_are_read_from_the_parent() {
    let (_server, client, url) = server_with("cs").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("src.txt", "s\n"), ("gone.txt", "g\n")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    let copy = |to: &str, from: &str, is_move: bool| {
        PutFileEntry::builder()
            .file_path(to)
            .source_file(source(from, is_move))
            .build()
            .unwrap()
    };
    let names = |files: &[FileMetadata]| {
        sorted_paths(files)
            .into_iter()
            .map(|(p, _, _)| p)
            .collect::<Vec<_>>()
    };
    for branch in ["a", "b"] {
        client
            .create_branch()
            .repository_name("cs")
            .branch_name(branch)
            .commit_id(&head)
            .send()
            .await
            .unwrap();
    }
    let mut trees = Vec::new();
    for moved_first in [true, false] {
        let (first, second) = (
            copy("moved.txt", "src.txt", true),
            copy("copied.txt", "src.txt", false),
        );
        let (first, second) = if moved_first {
            (first, second)
        } else {
            (second, first)
        };
        let out = client
            .create_commit()
            .repository_name("cs")
            .branch_name(if moved_first { "a" } else { "b" })
            .parent_commit_id(&head)
            .put_files(first)
            .put_files(second)
            // A file deleted in the same commit can still be copied.
            .put_files(copy("kept.txt", "gone.txt", false))
            .delete_files(delete_entry("gone.txt"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            names(out.files_added()),
            ["copied.txt", "kept.txt", "moved.txt"]
        );
        assert_eq!(names(out.files_deleted()), ["gone.txt", "src.txt"]);
        trees.push(out.tree_id().unwrap().to_owned());
    }
    assert_eq!(trees[0], trees[1]);
}

#[tokio::test]
async fn create_commit_errors() {
    let (server, client, url) = server_with("ce").await;
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
    // Empty lists are no entries either.
    assert_err!(
        commit()
            .set_put_files(Some(vec![]))
            .set_delete_files(Some(vec![]))
            .set_set_file_modes(Some(vec![]))
            .send()
            .await,
        "FileEntryRequiredException"
    );
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
