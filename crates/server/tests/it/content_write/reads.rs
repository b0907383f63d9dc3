//! GetFile, GetBlob and GetFolder: exact bytes for every specifier, every kind of folder entry.

use super::*;
use crate::assert_err;
use crate::common::*;
use aws_sdk_codecommit::types::FileModeTypeEnum;

#[tokio::test]
async fn reads_return_exact_bytes_for_every_specifier() {
    let (_server, client, url) = server_with("rd").await;
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
    let (_server, client, url) = server_with("gf").await;
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
