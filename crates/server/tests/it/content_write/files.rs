//! PutFile and DeleteFile: parent, content, path and conflict rules, empty folders, and the path limits of API writes.

use super::*;
use crate::assert_err;
use crate::common::*;
use aws_sdk_codecommit::types::FileModeTypeEnum;

// ---------------------------------------------------------------------------------------------
// PutFile
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn put_file_first_commit_and_what_git_sees() {
    let (_server, client, url) = server_with("pf").await;
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
    let (_server, client, _url) = server_with("pp").await;
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
    let (_server, client, url) = server_with("pr").await;
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
    let (_server, client, url) = server_with("df").await;
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

/// The 4,096-character and 20-folder limits bind the files an API write creates
/// (codecommit-facts.md §1), counted in characters; files a push made deeper or longer
/// still read, diff, list and delete through the API.
#[tokio::test]
async fn path_limits_bind_api_writes_not_reads_of_pushed_files() {
    let (_server, client, url) = server_with("pl").await;
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
