//! Merges through the SDK: options, conflicts and their hunks, strategies and manual resolution, the three merge kinds and unreferenced merge commits.

use crate::common::git::Git;
use crate::common::*;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::operation::get_merge_conflicts::GetMergeConflictsOutput;
use aws_sdk_codecommit::primitives::Blob;
use aws_sdk_codecommit::types::{
    ChangeTypeEnum, ConflictDetailLevelTypeEnum as Level, ConflictMetadata, ConflictResolution,
    ConflictResolutionStrategyTypeEnum as Strategy, DeleteFileEntry, FileModeTypeEnum, MergeHunk,
    MergeOptionTypeEnum as MergeOption, ObjectTypeEnum, ReplaceContentEntry, ReplacementTypeEnum,
    SetFileModeEntry,
};
use base64::Engine as _;
use std::path::{Path, PathBuf};

const REPO: &str = "merges";

/// A server with one repository, and a working clone where the fixture histories are built.
struct World {
    _server: TestServer,
    client: Client,
    git: Git,
    dir: PathBuf,
    url: String,
}

/// One change to a working tree.
#[derive(Clone, Copy)]
enum Op<'a> {
    Write(&'a str, &'a [u8]),
    Delete(&'a str),
    /// `chmod +x`.
    Exec(&'a str),
    /// A symbolic link at the path pointing at the target.
    Link(&'a str, &'a str),
    /// `git mv from to`.
    Move(&'a str, &'a str),
}
use Op::*;

/// A fixture: branches `<name>-base`, `<name>-src` and `<name>-dst`, the latter two one commit
/// each on top of the base.
struct Case {
    name: String,
    base: String,
    src: String,
    dst: String,
}

impl Case {
    fn src_branch(&self) -> String {
        format!("{}-src", self.name)
    }
    fn dst_branch(&self) -> String {
        format!("{}-dst", self.name)
    }
}

async fn world() -> World {
    world_with(|_| {}).await
}

async fn world_with(adjust: impl FnOnce(&mut codecommit_local::Config)) -> World {
    let server = TestServer::start_with(adjust);
    let client = server.client();
    create_repo(&client, REPO).await;
    let url = server.clone_url(REPO);
    let git = Git::new();
    let dir = git.push_new(&url, "work", &[&[("README.md", "merges\n")]]);
    World {
        _server: server,
        client,
        git,
        dir,
        url,
    }
}

/// "1\n2\n…\nn\n" with the given (1-based) lines replaced.
fn numbered(n: usize, replace: &[(usize, &str)]) -> Vec<u8> {
    (1..=n)
        .map(|i| match replace.iter().find(|(l, _)| *l == i) {
            Some((_, s)) => format!("{s}\n"),
            None => format!("{i}\n"),
        })
        .collect::<String>()
        .into_bytes()
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

impl World {
    fn g(&self, args: &[&str]) -> String {
        self.git.ok(&self.dir, args)
    }

    fn apply(&self, ops: &[Op<'_>]) {
        use std::os::unix::fs::PermissionsExt as _;
        for op in ops {
            match *op {
                Write(path, data) => {
                    let p = self.dir.join(path);
                    remove(&p);
                    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                    std::fs::write(p, data).unwrap();
                }
                Delete(path) => remove(&self.dir.join(path)),
                Exec(path) => {
                    let p = self.dir.join(path);
                    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
                }
                Link(path, target) => {
                    let p = self.dir.join(path);
                    remove(&p);
                    std::os::unix::fs::symlink(target, p).unwrap();
                }
                Move(from, to) => {
                    self.g(&["mv", from, to]);
                }
            }
        }
        self.g(&["add", "-A"]);
    }

    /// Builds a fixture with the git CLI and pushes its three branches.
    fn case(&self, name: &str, base: &[Op<'_>], src: &[Op<'_>], dst: &[Op<'_>]) -> Case {
        let base_branch = format!("{name}-base");
        self.g(&["checkout", "-q", "--orphan", &base_branch]);
        self.g(&["rm", "-rqf", "--ignore-unmatch", "."]);
        self.g(&["clean", "-fdxq"]);
        self.apply(base);
        self.g(&[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            &format!("{name}: base"),
        ]);
        let base_id = self.g(&["rev-parse", "HEAD"]);
        let mut ids = Vec::new();
        for (side, ops) in [("src", src), ("dst", dst)] {
            self.g(&["checkout", "-q", "-b", &format!("{name}-{side}"), &base_id]);
            self.apply(ops);
            self.g(&[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("{name}: {side}"),
            ]);
            ids.push(self.g(&["rev-parse", "HEAD"]));
        }
        let (src_b, dst_b) = (format!("{name}-src"), format!("{name}-dst"));
        self.g(&["push", "-q", "origin", &base_branch, &src_b, &dst_b]);
        Case {
            name: name.to_owned(),
            base: base_id,
            src: ids[0].clone(),
            dst: ids[1].clone(),
        }
    }

    /// git's answer: the tree of `git merge-tree --write-tree dst src`, None when it conflicts.
    fn git_merge(&self, c: &Case) -> Option<String> {
        let out = self
            .git
            .run(&self.dir, &["merge-tree", "--write-tree", &c.dst, &c.src]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let tree = stdout.lines().next().unwrap_or_default().to_owned();
        match out.status.code() {
            Some(0) => Some(tree),
            Some(1) => None,
            other => panic!("git merge-tree failed ({other:?}): {stdout}"),
        }
    }

    async fn conflicts(&self, c: &Case, level: Level) -> GetMergeConflictsOutput {
        self.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(level)
            .send()
            .await
            .unwrap()
    }

    /// CreateUnreferencedMergeCommit (three-way) with a strategy and optional resolution.
    async fn unreferenced(
        &self,
        c: &Case,
        level: Level,
        strategy: Strategy,
        resolution: Option<ConflictResolution>,
    ) -> Result<(String, String), String> {
        let out = self
            .client
            .create_unreferenced_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier(&c.src)
            .destination_commit_specifier(&c.dst)
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(level)
            .conflict_resolution_strategy(strategy)
            .set_conflict_resolution(resolution)
            .send()
            .await
            .map_err(|e| code(&e))?;
        Ok((
            out.commit_id().unwrap().to_owned(),
            out.tree_id().unwrap().to_owned(),
        ))
    }

    /// A file of a commit through GetFile (None when it does not exist there).
    async fn file(&self, commit: &str, path: &str) -> Option<(Vec<u8>, FileModeTypeEnum)> {
        match self
            .client
            .get_file()
            .repository_name(REPO)
            .commit_specifier(commit)
            .file_path(path)
            .send()
            .await
        {
            Ok(out) => Some((
                out.file_content().as_ref().to_vec(),
                out.file_mode().clone(),
            )),
            Err(e) => {
                assert_eq!(code(&e), "FileDoesNotExistException", "{e:?}");
                None
            }
        }
    }

    async fn content(&self, commit: &str, path: &str) -> Option<Vec<u8>> {
        self.file(commit, path).await.map(|f| f.0)
    }

    async fn commit(&self, id: &str) -> aws_sdk_codecommit::types::Commit {
        self.client
            .get_commit()
            .repository_name(REPO)
            .commit_id(id)
            .send()
            .await
            .unwrap()
            .commit
            .unwrap()
    }

    fn remote_branch(&self, branch: &str) -> Option<String> {
        self.git
            .remote_ref(&self.url, &format!("refs/heads/{branch}"))
    }
}

fn remove(p: &Path) {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p).unwrap(),
        Ok(_) => std::fs::remove_file(p).unwrap(),
        Err(_) => {}
    }
}

/// The single conflict of a non-mergeable result.
fn only_conflict(out: &GetMergeConflictsOutput, path: &str) -> ConflictMetadata {
    assert!(!out.mergeable(), "expected a conflict on {path}: {out:?}");
    let list = out.conflict_metadata_list();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].file_path(), Some(path));
    list[0].clone()
}

fn ops(m: &ConflictMetadata) -> (ChangeTypeEnum, ChangeTypeEnum) {
    let o = m.merge_operations().unwrap();
    (
        o.source().unwrap().clone(),
        o.destination().unwrap().clone(),
    )
}

/// (contentConflict, fileModeConflict, objectTypeConflict, numberOfConflicts)
fn flags(m: &ConflictMetadata) -> (bool, bool, bool, i32) {
    (
        m.content_conflict(),
        m.file_mode_conflict(),
        m.object_type_conflict(),
        m.number_of_conflicts(),
    )
}

fn types(m: &ConflictMetadata) -> [Option<ObjectTypeEnum>; 3] {
    let t = m.object_types().unwrap();
    [
        t.source().cloned(),
        t.destination().cloned(),
        t.base().cloned(),
    ]
}

fn modes(m: &ConflictMetadata) -> [Option<FileModeTypeEnum>; 3] {
    let t = m.file_modes().unwrap();
    [
        t.source().cloned(),
        t.destination().cloned(),
        t.base().cloned(),
    ]
}

fn sizes(m: &ConflictMetadata) -> [i64; 3] {
    let s = m.file_sizes().unwrap();
    [s.source(), s.destination(), s.base()]
}

fn binary(m: &ConflictMetadata) -> [Option<bool>; 3] {
    let b = m.is_binary_file().unwrap();
    [b.source(), b.destination(), b.base()]
}

fn replace(path: &str, kind: ReplacementTypeEnum, content: Option<&[u8]>) -> ReplaceContentEntry {
    ReplaceContentEntry::builder()
        .file_path(path)
        .replacement_type(kind)
        .set_content(content.map(Blob::new))
        .build()
        .unwrap()
}

fn delete(path: &str) -> DeleteFileEntry {
    DeleteFileEntry::builder().file_path(path).build().unwrap()
}

use ChangeTypeEnum::{Added as A, Deleted as D, Modified as M};
use FileModeTypeEnum::{Executable, Normal, Symlink};
use ObjectTypeEnum::{Directory, File, SymbolicLink};

// ---------------------------------------------------------------------------------------------
// The fixture catalogue at both detail levels, against git
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn catalogue_of_conflicts_at_both_detail_levels() {
    let w = world().await;
    let ten = numbered(10, &[]);
    let ten_src5 = numbered(10, &[(5, "five-src")]);
    let ten_dst5 = numbered(10, &[(5, "five-dst")]);

    let clean = w.case(
        "clean",
        &[Write("a.txt", b"a\n"), Write("b.txt", b"b\n")],
        &[Write("a.txt", b"a2\n"), Write("dir/new.txt", b"new\n")],
        &[Write("b.txt", b"b2\n"), Write("c.txt", b"c\n")],
    );
    let same_line = w.case(
        "same-line",
        &[Write("f.txt", &ten)],
        &[Write("f.txt", &ten_src5)],
        &[Write("f.txt", &ten_dst5)],
    );
    let adjacent = w.case(
        "adjacent",
        &[Write("f.txt", &ten)],
        &[Write("f.txt", &numbered(10, &[(4, "four-src")]))],
        &[Write("f.txt", &ten_dst5)],
    );
    let far_apart = w.case(
        "far-apart",
        &[Write("f.txt", &ten)],
        &[Write("f.txt", &numbered(10, &[(2, "two-src")]))],
        &[Write("f.txt", &numbered(10, &[(9, "nine-dst")]))],
    );
    let edit_delete = w.case(
        "edit-delete",
        &[Write("f.txt", &ten), Write("keep.txt", b"k\n")],
        &[Write("f.txt", &ten_src5)],
        &[Delete("f.txt")],
    );
    let add_same = w.case(
        "add-same",
        &[Write("keep.txt", b"k\n")],
        &[Write("new.txt", b"same\n")],
        &[Write("new.txt", b"same\n")],
    );
    let add_diff = w.case(
        "add-diff",
        &[Write("keep.txt", b"k\n")],
        &[Write("new.txt", b"mine\n")],
        &[Write("new.txt", b"yours, longer\n")],
    );
    let mode_change = w.case(
        "mode-change",
        &[Write("run.sh", &ten)],
        &[Exec("run.sh")],
        &[Write("run.sh", &numbered(10, &[(9, "nine-dst")]))],
    );
    let add_mode = w.case(
        "add-mode",
        &[Write("keep.txt", b"k\n")],
        &[Write("tool", b"x\n"), Exec("tool")],
        &[Write("tool", b"x\n")],
    );
    let file_dir = w.case(
        "file-dir",
        &[Write("thing", b"t\n"), Write("keep.txt", b"k\n")],
        &[Write("thing", b"t2\n")],
        &[Delete("thing"), Write("thing/inside.txt", b"i\n")],
    );
    let symlink = w.case(
        "symlink",
        &[Write("link", b"x\n")],
        &[Link("link", "target.txt")],
        &[Write("link", b"y\n")],
    );
    let binary_case = w.case(
        "binary",
        &[Write("blob.bin", b"\0base\x01\x02")],
        &[Write("blob.bin", b"\0source side\x03")],
        &[Write("blob.bin", b"\0dst\x04")],
    );
    let rename_clean = w.case(
        "rename-clean",
        &[Write("old.txt", &ten), Write("other.txt", b"o\n")],
        &[Move("old.txt", "new.txt")],
        &[Write("other.txt", b"o2\n")],
    );
    let rename_edit = w.case(
        "rename-edit",
        &[Write("old.txt", &ten)],
        &[Move("old.txt", "new.txt")],
        &[Write("old.txt", &ten_dst5)],
    );
    // Many files: 20 changed on both sides far apart, 20 more only on the destination.
    let names: Vec<String> = (0..40).map(|i| format!("many/f{i:02}.txt")).collect();
    let base_ops: Vec<Op<'_>> = names.iter().map(|n| Write(n, &ten)).collect();
    let two = numbered(10, &[(2, "two-src")]);
    let nine = numbered(10, &[(9, "nine-dst")]);
    let src_ops: Vec<Op<'_>> = names[..20].iter().map(|n| Write(n, &two)).collect();
    let dst_ops: Vec<Op<'_>> = names.iter().map(|n| Write(n, &nine)).collect();
    let many = w.case("many", &base_ops, &src_ops, &dst_ops);

    // --- clean: nothing to report at either level.
    for level in [Level::FileLevel, Level::LineLevel] {
        let out = w.conflicts(&clean, level).await;
        assert!(out.mergeable());
        assert!(out.conflict_metadata_list().is_empty());
        assert_eq!(out.base_commit_id(), Some(clean.base.as_str()));
        assert_eq!(out.source_commit_id(), clean.src);
        assert_eq!(out.destination_commit_id(), clean.dst);
        assert!(out.next_token().is_none());
    }

    // --- same-line edits conflict at both levels; the metadata describes the three files.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&same_line, level.clone()).await, "f.txt");
        assert_eq!(flags(&m), (true, false, false, 1), "{level:?}");
        assert_eq!(ops(&m), (M, M));
        assert_eq!(
            sizes(&m),
            [
                ten_src5.len() as i64,
                ten_dst5.len() as i64,
                ten.len() as i64
            ]
        );
        assert_eq!(modes(&m), [Some(Normal), Some(Normal), Some(Normal)]);
        assert_eq!(types(&m), [Some(File), Some(File), Some(File)]);
        assert_eq!(binary(&m), [Some(false), Some(false), Some(false)]);
    }
    // --- adjacent lines conflict at both levels (as in git).
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&adjacent, level).await, "f.txt");
        assert_eq!(flags(&m), (true, false, false, 1));
    }
    // --- far-apart edits: a file conflict, but a clean line merge.
    let m = only_conflict(&w.conflicts(&far_apart, Level::FileLevel).await, "f.txt");
    assert_eq!(flags(&m), (true, false, false, 1));
    let out = w.conflicts(&far_apart, Level::LineLevel).await;
    assert!(out.mergeable() && out.conflict_metadata_list().is_empty());
    // --- edit/delete: a content conflict, the deleted side has no file.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&edit_delete, level).await, "f.txt");
        assert_eq!(flags(&m), (true, false, false, 1));
        assert_eq!(ops(&m), (M, D));
        assert_eq!(types(&m), [Some(File), None, Some(File)]);
        assert_eq!(modes(&m), [Some(Normal), None, Some(Normal)]);
        assert_eq!(sizes(&m), [ten_src5.len() as i64, 0, ten.len() as i64]);
    }
    // --- add/add: the same content is no conflict, different content is.
    for level in [Level::FileLevel, Level::LineLevel] {
        assert!(w.conflicts(&add_same, level.clone()).await.mergeable());
        let m = only_conflict(&w.conflicts(&add_diff, level).await, "new.txt");
        assert_eq!(flags(&m), (true, false, false, 1));
        assert_eq!(ops(&m), (A, A));
        assert_eq!(types(&m), [Some(File), Some(File), None]);
        assert_eq!(sizes(&m), [5, 14, 0]);
    }
    // --- a mode change on one side and an edit on the other: changed on both sides at file
    // level; the line merge keeps both (the executable bit and the edit).
    let m = only_conflict(&w.conflicts(&mode_change, Level::FileLevel).await, "run.sh");
    assert!(m.content_conflict() && !m.file_mode_conflict());
    assert_eq!(modes(&m), [Some(Executable), Some(Normal), Some(Normal)]);
    assert!(
        w.conflicts(&mode_change, Level::LineLevel)
            .await
            .mergeable()
    );
    // --- the same file added with different modes: only a mode conflict.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&add_mode, level).await, "tool");
        assert_eq!(flags(&m), (false, true, false, 1));
        assert_eq!(modes(&m), [Some(Executable), Some(Normal), None]);
        assert_eq!(ops(&m), (A, A));
    }
    // --- a file against a directory: an object type conflict, reported at the path.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&file_dir, level).await, "thing");
        assert_eq!(flags(&m), (false, false, true, 1));
        assert_eq!(types(&m), [Some(File), Some(Directory), Some(File)]);
    }
    // --- a symbolic link against a file.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&symlink, level).await, "link");
        assert!(m.object_type_conflict());
        assert_eq!(types(&m), [Some(SymbolicLink), Some(File), Some(File)]);
        assert_eq!(modes(&m), [Some(Symlink), Some(Normal), Some(Normal)]);
        assert_eq!(sizes(&m)[0], "target.txt".len() as i64);
    }
    // --- a binary file changed on both sides cannot be merged by lines.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&binary_case, level).await, "blob.bin");
        assert_eq!(flags(&m), (true, false, false, 1));
        assert_eq!(binary(&m), [Some(true), Some(true), Some(true)]);
    }
    // --- a rename on one side and an unrelated edit merge cleanly.
    for level in [Level::FileLevel, Level::LineLevel] {
        assert!(w.conflicts(&rename_clean, level).await.mergeable());
    }
    // --- a rename against an edit of the old path: CodeCommit reports changes as A/M/D only,
    // so this is a delete against an edit (git, which follows renames, merges it).
    let m = only_conflict(
        &w.conflicts(&rename_edit, Level::LineLevel).await,
        "old.txt",
    );
    assert_eq!(ops(&m), (D, M));
    assert!(m.content_conflict());
    // --- many files: 20 conflicts at file level (all listed), none at line level.
    let out = w.conflicts(&many, Level::FileLevel).await;
    assert!(!out.mergeable());
    let listed: Vec<&str> = out
        .conflict_metadata_list()
        .iter()
        .map(|m| m.file_path().unwrap())
        .collect();
    assert_eq!(
        listed,
        names[..20].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(w.conflicts(&many, Level::LineLevel).await.mergeable());

    // Against git: wherever the line-level merge is clean, the merged tree is git's; wherever
    // git finds a conflict, so does the line-level analysis.
    let all = [
        &clean,
        &same_line,
        &adjacent,
        &far_apart,
        &edit_delete,
        &add_same,
        &add_diff,
        &mode_change,
        &add_mode,
        &file_dir,
        &symlink,
        &binary_case,
        &rename_clean,
        &rename_edit,
        &many,
    ];
    let mut clean_count = 0;
    for c in all {
        let ours = w.conflicts(c, Level::LineLevel).await.mergeable();
        let theirs = w.git_merge(c);
        match (ours, &theirs) {
            (true, Some(tree)) => {
                clean_count += 1;
                let (_, our_tree) = w
                    .unreferenced(c, Level::LineLevel, Strategy::None, None)
                    .await
                    .unwrap();
                assert_eq!(
                    &our_tree, tree,
                    "{}: merged tree differs from git's",
                    c.name
                );
            }
            (true, None) => panic!("{}: mergeable here, but git finds a conflict", c.name),
            (false, _) => {
                // Only a rename is merged by git and not here.
                assert!(
                    theirs.is_none() || c.name == "rename-edit",
                    "{}: git merges it cleanly, the line-level analysis does not",
                    c.name
                );
                assert_eq!(
                    w.unreferenced(c, Level::LineLevel, Strategy::None, None)
                        .await,
                    Err("ManualMergeRequiredException".to_owned()),
                    "{}",
                    c.name
                );
            }
        }
    }
    assert_eq!(
        clean_count, 6,
        "clean, far-apart, add-same, mode-change, rename-clean, many"
    );
}

// ---------------------------------------------------------------------------------------------
// Strategies and manual resolution
// ---------------------------------------------------------------------------------------------

/// f.txt: same-line edits; g.txt: edited against deleted; h.txt: far-apart edits.
fn mixed(w: &World, name: &str) -> Case {
    let ten = numbered(10, &[]);
    w.case(
        name,
        &[
            Write("f.txt", &ten),
            Write("g.txt", &ten),
            Write("h.txt", &ten),
        ],
        &[
            Write("f.txt", &numbered(10, &[(5, "five-src")])),
            Write("g.txt", &numbered(10, &[(1, "one-src")])),
            Write("h.txt", &numbered(10, &[(2, "two-src")])),
        ],
        &[
            Write("f.txt", &numbered(10, &[(5, "five-dst")])),
            Delete("g.txt"),
            Write("h.txt", &numbered(10, &[(9, "nine-dst")])),
        ],
    )
}

#[tokio::test]
async fn strategies_settle_conflicts_or_nothing_is_written() {
    let w = world().await;
    let c = mixed(&w, "mixed");
    let far = w.case(
        "far",
        &[Write("f.txt", &numbered(10, &[]))],
        &[Write("f.txt", &numbered(10, &[(2, "two-src")]))],
        &[Write("f.txt", &numbered(10, &[(9, "nine-dst")]))],
    );
    let h_merged = numbered(10, &[(2, "two-src"), (9, "nine-dst")]);

    // Which strategies make the merge possible (line level: f.txt and g.txt conflict).
    for (strategy, mergeable) in [
        (Strategy::None, false),
        (Strategy::AcceptSource, true),
        (Strategy::AcceptDestination, true),
        (Strategy::Automerge, false),
    ] {
        let out = w
            .client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::SquashMerge)
            .conflict_detail_level(Level::LineLevel)
            .conflict_resolution_strategy(strategy.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(out.mergeable(), mergeable, "{strategy:?}");
        let paths: Vec<&str> = out
            .conflict_metadata_list()
            .iter()
            .map(|m| m.file_path().unwrap())
            .collect();
        assert_eq!(paths, ["f.txt", "g.txt"], "{strategy:?}");
        let options = w
            .client
            .get_merge_options()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .conflict_detail_level(Level::LineLevel)
            .conflict_resolution_strategy(strategy.clone())
            .send()
            .await
            .unwrap();
        let expected = if mergeable {
            vec![MergeOption::SquashMerge, MergeOption::ThreeWayMerge]
        } else {
            vec![]
        };
        assert_eq!(options.merge_options(), expected, "{strategy:?}");
    }

    // Unresolved conflicts: ManualMergeRequired from every merge, and the branch stays put.
    let before = w.remote_branch(&c.dst_branch());
    assert_eq!(before.as_deref(), Some(c.dst.as_str()));
    for strategy in [Strategy::None, Strategy::Automerge] {
        crate::assert_err!(
            w.client
                .merge_branches_by_three_way()
                .repository_name(REPO)
                .source_commit_specifier(c.src_branch())
                .destination_commit_specifier(c.dst_branch())
                .conflict_detail_level(Level::LineLevel)
                .conflict_resolution_strategy(strategy.clone())
                .send()
                .await,
            "ManualMergeRequiredException"
        );
        crate::assert_err!(
            w.client
                .merge_branches_by_squash()
                .repository_name(REPO)
                .source_commit_specifier(c.src_branch())
                .destination_commit_specifier(c.dst_branch())
                .conflict_resolution_strategy(strategy)
                .send()
                .await,
            "ManualMergeRequiredException"
        );
    }
    assert_eq!(w.remote_branch(&c.dst_branch()), before);

    // ACCEPT_SOURCE / ACCEPT_DESTINATION take one side's version of each conflict; clean
    // changes (h.txt) still merge.
    let (commit, _) = w
        .unreferenced(&c, Level::LineLevel, Strategy::AcceptSource, None)
        .await
        .unwrap();
    assert_eq!(
        w.content(&commit, "f.txt").await.unwrap(),
        numbered(10, &[(5, "five-src")])
    );
    assert_eq!(
        w.content(&commit, "g.txt").await.unwrap(),
        numbered(10, &[(1, "one-src")])
    );
    assert_eq!(w.content(&commit, "h.txt").await.unwrap(), h_merged);

    let out = w
        .client
        .merge_branches_by_three_way()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(c.dst_branch())
        .conflict_detail_level(Level::LineLevel)
        .conflict_resolution_strategy(Strategy::AcceptDestination)
        .send()
        .await
        .unwrap();
    let commit = out.commit_id().unwrap();
    assert_eq!(w.remote_branch(&c.dst_branch()).as_deref(), Some(commit));
    assert_eq!(
        w.content(commit, "f.txt").await.unwrap(),
        numbered(10, &[(5, "five-dst")])
    );
    assert_eq!(w.content(commit, "g.txt").await, None);
    assert_eq!(w.content(commit, "h.txt").await.unwrap(), h_merged);

    // AUTOMERGE settles what merges by lines even at file level, and the result is git's.
    crate::assert_err!(
        w.client
            .create_unreferenced_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier(&far.src)
            .destination_commit_specifier(&far.dst)
            .merge_option(MergeOption::ThreeWayMerge)
            .send()
            .await,
        "ManualMergeRequiredException"
    );
    let out = w
        .client
        .get_merge_conflicts()
        .repository_name(REPO)
        .source_commit_specifier(&far.src)
        .destination_commit_specifier(&far.dst)
        .merge_option(MergeOption::ThreeWayMerge)
        .conflict_resolution_strategy(Strategy::Automerge)
        .send()
        .await
        .unwrap();
    assert!(out.mergeable());
    assert_eq!(out.conflict_metadata_list().len(), 1);
    let (_, tree) = w
        .unreferenced(&far, Level::FileLevel, Strategy::Automerge, None)
        .await
        .unwrap();
    assert_eq!(Some(tree), w.git_merge(&far));
}

#[tokio::test]
async fn manual_conflict_resolution() {
    let w = world().await;
    let c = mixed(&w, "mixed");
    let add_mode = w.case(
        "add-mode",
        &[Write("keep.txt", b"k\n")],
        &[Write("tool", b"x\n"), Exec("tool")],
        &[Write("tool", b"x\n")],
    );
    let ten = numbered(10, &[]);
    let h_merged = numbered(10, &[(2, "two-src"), (9, "nine-dst")]);
    let resolve = |entries: Vec<ReplaceContentEntry>, deletes: Vec<DeleteFileEntry>| {
        Some(
            ConflictResolution::builder()
                .set_replace_contents(Some(entries))
                .set_delete_files(Some(deletes))
                .build(),
        )
    };
    use ReplacementTypeEnum::{KeepBase, KeepDestination, KeepSource, UseNewContent};

    // New content for one file, delete the other.
    let (commit, _) = w
        .unreferenced(
            &c,
            Level::LineLevel,
            Strategy::Automerge,
            resolve(
                vec![replace("f.txt", UseNewContent, Some(b"resolved\n"))],
                vec![delete("g.txt")],
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        w.file(&commit, "f.txt").await.unwrap(),
        (b"resolved\n".to_vec(), Normal)
    );
    assert_eq!(w.content(&commit, "g.txt").await, None);
    assert_eq!(w.content(&commit, "h.txt").await.unwrap(), h_merged);

    // KEEP_BASE / KEEP_SOURCE.
    let (commit, _) = w
        .unreferenced(
            &c,
            Level::LineLevel,
            Strategy::Automerge,
            resolve(
                vec![
                    replace("f.txt", KeepBase, None),
                    replace("g.txt", KeepSource, None),
                ],
                vec![],
            ),
        )
        .await
        .unwrap();
    assert_eq!(w.content(&commit, "f.txt").await.unwrap(), ten);
    assert_eq!(
        w.content(&commit, "g.txt").await.unwrap(),
        numbered(10, &[(1, "one-src")])
    );

    // KEEP_DESTINATION (g.txt is deleted there), and a mode with new content, through a
    // squash merge that moves the branch.
    let out = w
        .client
        .merge_branches_by_squash()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(c.dst_branch())
        .conflict_detail_level(Level::LineLevel)
        .conflict_resolution_strategy(Strategy::Automerge)
        .conflict_resolution(
            ConflictResolution::builder()
                .replace_contents(
                    ReplaceContentEntry::builder()
                        .file_path("f.txt")
                        .replacement_type(UseNewContent)
                        .content(Blob::new("#!/bin/sh\n"))
                        .file_mode(Executable)
                        .build()
                        .unwrap(),
                )
                .replace_contents(replace("g.txt", KeepDestination, None))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let commit = out.commit_id().unwrap();
    assert_eq!(w.remote_branch(&c.dst_branch()).as_deref(), Some(commit));
    assert_eq!(
        w.file(commit, "f.txt").await.unwrap(),
        (b"#!/bin/sh\n".to_vec(), Executable)
    );
    assert_eq!(w.content(commit, "g.txt").await, None);

    // setFileModes settles a mode conflict.
    for mode in [Executable, Normal] {
        let (commit, _) = w
            .unreferenced(
                &add_mode,
                Level::FileLevel,
                Strategy::Automerge,
                Some(
                    ConflictResolution::builder()
                        .set_file_modes(
                            SetFileModeEntry::builder()
                                .file_path("tool")
                                .file_mode(mode.clone())
                                .build()
                                .unwrap(),
                        )
                        .build(),
                ),
            )
            .await
            .unwrap();
        assert_eq!(
            w.file(&commit, "tool").await.unwrap(),
            (b"x\n".to_vec(), mode)
        );
    }
    // Without it the mode conflict stays.
    assert_eq!(
        w.unreferenced(&add_mode, Level::FileLevel, Strategy::Automerge, None)
            .await,
        Err("ManualMergeRequiredException".to_owned())
    );

    // Resolving only some of the conflicts is not enough.
    assert_eq!(
        w.unreferenced(
            &c,
            Level::LineLevel,
            Strategy::Automerge,
            resolve(vec![replace("f.txt", KeepSource, None)], vec![]),
        )
        .await,
        Err("ManualMergeRequiredException".to_owned())
    );

    // Bad resolution lists, by name.
    let bad = [
        (
            resolve(vec![replace("f.txt", UseNewContent, None)], vec![]),
            "ReplacementContentRequiredException",
        ),
        (
            resolve(
                vec![replace("f.txt", KeepBase, None)],
                vec![delete("f.txt")],
            ),
            "MultipleConflictResolutionEntriesException",
        ),
        (
            resolve(
                vec![
                    replace("f.txt", KeepBase, None),
                    replace("f.txt", KeepSource, None),
                ],
                vec![],
            ),
            "MultipleConflictResolutionEntriesException",
        ),
        (
            resolve(
                vec![replace(
                    "f.txt",
                    ReplacementTypeEnum::from("KEEP_ALL"),
                    None,
                )],
                vec![],
            ),
            "InvalidReplacementTypeException",
        ),
        (
            resolve(vec![replace("f.txt", KeepBase, Some(b"x"))], vec![]),
            "InvalidReplacementContentException",
        ),
        (
            // h.txt merges cleanly by lines: nothing to resolve there.
            resolve(
                vec![replace("f.txt", KeepBase, None)],
                vec![delete("g.txt"), delete("h.txt")],
            ),
            "InvalidConflictResolutionException",
        ),
        (
            resolve(
                vec![],
                (0..101).map(|i| delete(&format!("x{i}.txt"))).collect(),
            ),
            "MaximumConflictResolutionEntriesExceededException",
        ),
    ];
    for (resolution, name) in bad {
        assert_eq!(
            w.unreferenced(&c, Level::LineLevel, Strategy::Automerge, resolution)
                .await,
            Err(name.to_owned())
        );
    }
}

// ---------------------------------------------------------------------------------------------
// DescribeMergeConflicts / BatchDescribeMergeConflicts
// ---------------------------------------------------------------------------------------------

/// A hunk side as (startLine, endLine, decoded content).
fn side(d: Option<&aws_sdk_codecommit::types::MergeHunkDetail>) -> (i32, i32, Vec<u8>) {
    let d = d.unwrap();
    (
        d.start_line().unwrap(),
        d.end_line().unwrap(),
        b64(d.hunk_content().unwrap()),
    )
}

/// Each hunk's content is the lines [startLine, endLine) of its side's file.
fn check_hunk_lines(hunks: &[MergeHunk], base: &[u8], src: &[u8], dst: &[u8]) {
    let lines = |t: &[u8]| -> Vec<Vec<u8>> {
        t.split_inclusive(|b| *b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    };
    for h in hunks {
        for (detail, text) in [(h.base(), base), (h.source(), src), (h.destination(), dst)] {
            let (start, end, content) = side(detail);
            assert_eq!(
                lines(text)[start as usize..end as usize].concat(),
                content,
                "{h:?}"
            );
        }
    }
}

/// Rebuilds the line merge from the base and the (non-conflicting) hunks.
fn apply_hunks(hunks: &[MergeHunk], base: &[u8]) -> Vec<u8> {
    let lines: Vec<&[u8]> = base.split_inclusive(|b| *b == b'\n').collect();
    let mut out = Vec::new();
    let mut at = 0;
    for h in hunks {
        assert!(!h.is_conflict());
        let (bs, be, bc) = side(h.base());
        let (_, _, sc) = side(h.source());
        let (_, _, dc) = side(h.destination());
        out.extend(lines[at..bs as usize].concat());
        out.extend(if sc != bc { sc } else { dc });
        at = be as usize;
    }
    out.extend(lines[at..].concat());
    out
}

#[tokio::test]
async fn describe_hunks_agree_with_the_line_merge() {
    let w = world().await;
    let base = numbered(20, &[]);
    let src = numbered(
        20,
        &[(2, "two-src"), (10, "ten-src"), (18, "eighteen-both")],
    );
    let dst = numbered(
        20,
        &[(5, "5\ninserted"), (10, "ten-dst"), (18, "eighteen-both")],
    );
    let far_src = numbered(20, &[(2, "two-src"), (12, "twelve-src")]);
    let far_dst = numbered(20, &[(5, "5\ninserted"), (18, "eighteen-dst")]);
    let c = w.case(
        "hunks",
        &[
            Write("f.txt", &base),
            Write("far.txt", &base),
            Write("same.txt", b"s\n"),
        ],
        &[Write("f.txt", &src), Write("far.txt", &far_src)],
        &[Write("f.txt", &dst), Write("far.txt", &far_dst)],
    );
    let describe = |path: &str, level: Level, max: Option<i32>, token: Option<String>| {
        w.client
            .describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(level)
            .file_path(path)
            .set_max_merge_hunks(max)
            .set_next_token(token)
            .send()
    };

    let out = describe("f.txt", Level::LineLevel, None, None)
        .await
        .unwrap();
    assert_eq!(out.source_commit_id(), c.src);
    assert_eq!(out.destination_commit_id(), c.dst);
    assert_eq!(out.base_commit_id(), Some(c.base.as_str()));
    assert!(out.next_token().is_none());
    let hunks = out.merge_hunks().to_vec();
    check_hunk_lines(&hunks, &base, &src, &dst);
    // Source-only edit, destination-only insertion, the conflict, the identical edit.
    assert_eq!(
        hunks.iter().map(MergeHunk::is_conflict).collect::<Vec<_>>(),
        [false, false, true, false]
    );
    assert_eq!(
        hunks
            .iter()
            .map(|h| [side(h.base()), side(h.source()), side(h.destination())].map(|s| (s.0, s.1)))
            .collect::<Vec<_>>(),
        [
            [(1, 2), (1, 2), (1, 2)],
            [(5, 5), (5, 5), (5, 6)],
            [(9, 10), (9, 10), (10, 11)],
            [(17, 18), (17, 18), (18, 19)],
        ]
    );
    let m = out.conflict_metadata().unwrap();
    assert_eq!(m.file_path(), Some("f.txt"));
    assert_eq!(flags(m), (true, false, false, 1));

    // The conflicting hunk is exactly what `git merge-file --diff3` puts between its markers.
    let tmp = w.git.dir("merge-file");
    for (name, text) in [("src", &src), ("base", &base), ("dst", &dst)] {
        std::fs::write(tmp.join(name), text).unwrap();
    }
    let merged = w
        .git
        .run(&tmp, &["merge-file", "-p", "--diff3", "src", "base", "dst"]);
    assert_eq!(merged.status.code(), Some(1), "one conflict");
    let text = String::from_utf8(merged.stdout).unwrap();
    let (mut ours, mut orig, mut theirs, mut section) =
        (String::new(), String::new(), String::new(), 0);
    for line in text.split_inclusive('\n') {
        match line.split(' ').next().unwrap().trim_end() {
            "<<<<<<<" => section = 1,
            "|||||||" => section = 2,
            "=======" => section = 3,
            ">>>>>>>" => section = 0,
            _ => match section {
                1 => ours.push_str(line),
                2 => orig.push_str(line),
                3 => theirs.push_str(line),
                _ => {}
            },
        }
    }
    let conflict = &hunks[2];
    assert_eq!(side(conflict.source()).2, ours.as_bytes());
    assert_eq!(side(conflict.base()).2, orig.as_bytes());
    assert_eq!(side(conflict.destination()).2, theirs.as_bytes());

    // File level reports the same hunks (one diff3), with the file as one conflict.
    let file_level = describe("f.txt", Level::FileLevel, None, None)
        .await
        .unwrap();
    assert_eq!(file_level.merge_hunks(), hunks.as_slice());

    // Paging by maxMergeHunks gives the same hunks.
    let mut paged = Vec::new();
    let mut token = None;
    loop {
        let out = describe("f.txt", Level::LineLevel, Some(1), token)
            .await
            .unwrap();
        assert_eq!(out.merge_hunks().len(), 1);
        paged.extend(out.merge_hunks().iter().cloned());
        match out.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, hunks);

    // A file that merges by lines: its hunks rebuild exactly the merged file.
    let far = describe("far.txt", Level::FileLevel, None, None)
        .await
        .unwrap();
    let far_hunks = far.merge_hunks().to_vec();
    check_hunk_lines(&far_hunks, &base, &far_src, &far_dst);
    assert_eq!(far_hunks.len(), 4);
    assert!(far.conflict_metadata().unwrap().content_conflict());
    let (commit, _) = w
        .unreferenced(&c, Level::LineLevel, Strategy::AcceptSource, None)
        .await
        .unwrap();
    let merged_far = w.content(&commit, "far.txt").await.unwrap();
    assert_eq!(apply_hunks(&far_hunks, &base), merged_far);
    assert_eq!(
        merged_far,
        numbered(
            20,
            &[
                (2, "two-src"),
                (5, "5\ninserted"),
                (12, "twelve-src"),
                (18, "eighteen-dst")
            ]
        )
    );

    // Errors.
    crate::assert_err!(
        describe("nope.txt", Level::LineLevel, None, None).await,
        "FileDoesNotExistException"
    );
    crate::assert_err!(
        describe("f.txt", Level::LineLevel, Some(0), None).await,
        "InvalidMaxMergeHunksException"
    );
    crate::assert_err!(
        describe("f.txt", Level::LineLevel, None, Some("garbage".into())).await,
        "InvalidContinuationTokenException"
    );
    crate::assert_err!(
        describe("f.txt", Level::from("WORD_LEVEL"), None, None).await,
        "InvalidConflictDetailLevelException"
    );
    crate::assert_err!(
        w.client
            .describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::FastForwardMerge)
            .file_path("f.txt")
            .send()
            .await,
        "InvalidMergeOptionException"
    );
    crate::assert_err!(
        w.client
            .describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .file_path("f.txt")
            .send()
            .await,
        "MergeOptionRequiredException"
    );
}

#[tokio::test]
async fn batch_describe_and_conflict_paging() {
    let w = world().await;
    let base = numbered(10, &[]);
    let src = numbered(10, &[(2, "two-src"), (8, "eight-src")]);
    let dst = numbered(10, &[(2, "two-dst"), (8, "eight-dst")]);
    let names: Vec<String> = (0..7).map(|i| format!("c{i}.txt")).collect();
    let mut base_ops: Vec<Op<'_>> = names.iter().map(|n| Write(n, &base)).collect();
    base_ops.push(Write("clean.txt", b"c\n"));
    let src_ops: Vec<Op<'_>> = names.iter().map(|n| Write(n, &src)).collect();
    let mut dst_ops: Vec<Op<'_>> = names.iter().map(|n| Write(n, &dst)).collect();
    dst_ops.push(Write("clean.txt", b"c2\n"));
    let c = w.case("batch", &base_ops, &src_ops, &dst_ops);

    let batch = |max_files: Option<i32>,
                 max_hunks: Option<i32>,
                 paths: Option<Vec<String>>,
                 token: Option<String>| {
        w.client
            .batch_describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(Level::LineLevel)
            .set_max_conflict_files(max_files)
            .set_max_merge_hunks(max_hunks)
            .set_file_paths(paths)
            .set_next_token(token)
            .send()
    };

    // All conflicting files, three at a time; each with its two conflicting hunks.
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let out = batch(Some(3), None, None, token).await.unwrap();
        pages += 1;
        assert!(out.errors().is_empty());
        assert_eq!(out.base_commit_id(), Some(c.base.as_str()));
        for conflict in out.conflicts() {
            let m = conflict.conflict_metadata().unwrap();
            assert_eq!(flags(m), (true, false, false, 2));
            let hunks = conflict.merge_hunks();
            assert_eq!(hunks.len(), 2);
            assert!(hunks.iter().all(MergeHunk::is_conflict));
            check_hunk_lines(hunks, &base, &src, &dst);
            seen.push(m.file_path().unwrap().to_owned());
        }
        match out.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, names);

    // The same hunks as DescribeMergeConflicts, and maxMergeHunks caps them per file.
    let single = w
        .client
        .describe_merge_conflicts()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(c.dst_branch())
        .merge_option(MergeOption::ThreeWayMerge)
        .conflict_detail_level(Level::LineLevel)
        .file_path("c3.txt")
        .send()
        .await
        .unwrap();
    let out = batch(None, Some(1), Some(vec!["c3.txt".into()]), None)
        .await
        .unwrap();
    assert_eq!(out.conflicts().len(), 1);
    assert_eq!(out.conflicts()[0].merge_hunks(), &single.merge_hunks()[..1]);

    // A filePaths filter; a path in no commit is reported in errors.
    let out = batch(
        None,
        None,
        Some(vec!["c1.txt".into(), "c4.txt".into(), "missing.txt".into()]),
        None,
    )
    .await
    .unwrap();
    let paths: Vec<&str> = out
        .conflicts()
        .iter()
        .map(|c| c.conflict_metadata().unwrap().file_path().unwrap())
        .collect();
    assert_eq!(paths, ["c1.txt", "c4.txt"]);
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].file_path(), "missing.txt");
    assert_eq!(
        out.errors()[0].exception_name(),
        "FileDoesNotExistException"
    );

    // GetMergeConflicts pages by maxConflictFiles the same way.
    let mut listed = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = w
            .client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .max_conflict_files(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(!out.mergeable());
        assert!(out.conflict_metadata_list().len() <= 2);
        listed.extend(
            out.conflict_metadata_list()
                .iter()
                .map(|m| m.file_path().unwrap().to_owned()),
        );
        match out.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    // File level: clean.txt changed on one side only, so still 7.
    assert_eq!(listed, names);

    // Errors.
    crate::assert_err!(
        batch(Some(0), None, None, None).await,
        "InvalidMaxConflictFilesException"
    );
    crate::assert_err!(
        batch(None, Some(-1), None, None).await,
        "InvalidMaxMergeHunksException"
    );
    crate::assert_err!(
        batch(None, None, None, Some("bm90IGEgdG9rZW4=".into())).await,
        "InvalidContinuationTokenException"
    );
    let gmc = |max: Option<i32>, token: Option<&str>| {
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .set_max_conflict_files(max)
            .set_next_token(token.map(str::to_owned))
            .send()
    };
    crate::assert_err!(gmc(Some(0), None).await, "InvalidMaxConflictFilesException");
    crate::assert_err!(
        gmc(None, Some("garbage")).await,
        "InvalidContinuationTokenException"
    );
    crate::assert_err!(
        w.client
            .batch_describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::FastForwardMerge)
            .send()
            .await,
        "InvalidMergeOptionException"
    );
}

// ---------------------------------------------------------------------------------------------
// Merge options, fast-forward, squash, three-way, unreferenced commits, GetMergeCommit
// ---------------------------------------------------------------------------------------------

fn far_case(w: &World, name: &str) -> Case {
    w.case(
        name,
        &[
            Write("f.txt", &numbered(10, &[])),
            Write("keep.txt", b"k\n"),
        ],
        &[Write("f.txt", &numbered(10, &[(2, "two-src")]))],
        &[
            Write("f.txt", &numbered(10, &[(9, "nine-dst")])),
            Write("d.txt", b"d\n"),
        ],
    )
}

#[tokio::test]
async fn fast_forward_and_merge_options() {
    let w = world().await;
    let main = w.g(&["rev-parse", "main"]);
    // ff-src is two commits ahead of main.
    w.g(&["checkout", "-q", "-b", "ff-src", "main"]);
    w.git.commit_file(&w.dir, "a.txt", "a\n", "ahead 1");
    let ahead = w.git.commit_file(&w.dir, "b.txt", "b\n", "ahead 2");
    w.g(&["branch", "ff-target", "main"]);
    w.g(&["push", "-q", "origin", "ff-src", "ff-target"]);
    let far = far_case(&w, "far");

    let options = |src: String, dst: String, level: Level| {
        w.client
            .get_merge_options()
            .repository_name(REPO)
            .source_commit_specifier(src)
            .destination_commit_specifier(dst)
            .conflict_detail_level(level)
            .send()
    };
    // Destination an ancestor of the source: all three, and the base is the destination.
    let out = options("ff-src".into(), "main".into(), Level::FileLevel)
        .await
        .unwrap();
    assert_eq!(
        out.merge_options(),
        [
            MergeOption::FastForwardMerge,
            MergeOption::SquashMerge,
            MergeOption::ThreeWayMerge
        ]
    );
    assert_eq!(out.base_commit_id(), main);
    assert_eq!(out.destination_commit_id(), main);
    assert_eq!(out.source_commit_id(), ahead);
    // Diverged: squash and three-way only where mergeable at that level.
    let out = options(far.src_branch(), far.dst_branch(), Level::LineLevel)
        .await
        .unwrap();
    assert_eq!(
        out.merge_options(),
        [MergeOption::SquashMerge, MergeOption::ThreeWayMerge]
    );
    assert_eq!(out.base_commit_id(), far.base);
    let out = options(far.src_branch(), far.dst_branch(), Level::FileLevel)
        .await
        .unwrap();
    assert!(out.merge_options().is_empty());
    // The reverse direction: the source is behind, nothing to fast-forward.
    let out = options("main".into(), "ff-src".into(), Level::FileLevel)
        .await
        .unwrap();
    assert!(!out.merge_options().contains(&MergeOption::FastForwardMerge));
    assert_eq!(out.base_commit_id(), main);

    // GetMergeConflicts with FAST_FORWARD_MERGE is just fast-forwardability.
    let ff_conflicts = |src: String, dst: String| {
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(src)
            .destination_commit_specifier(dst)
            .merge_option(MergeOption::FastForwardMerge)
            .send()
    };
    let out = ff_conflicts("ff-src".into(), "main".into()).await.unwrap();
    assert!(out.mergeable() && out.conflict_metadata_list().is_empty());
    let out = ff_conflicts(far.src_branch(), far.dst_branch())
        .await
        .unwrap();
    assert!(!out.mergeable() && out.conflict_metadata_list().is_empty());

    // Fast-forward is refused when diverged, and nothing moves.
    crate::assert_err!(
        w.client
            .merge_branches_by_fast_forward()
            .repository_name(REPO)
            .source_commit_specifier(far.src_branch())
            .destination_commit_specifier(far.dst_branch())
            .send()
            .await,
        "ManualMergeRequiredException"
    );
    assert_eq!(w.remote_branch(&far.dst_branch()), Some(far.dst.clone()));

    // targetBranch errors.
    let ff = |dst: &str, target: Option<&str>| {
        w.client
            .merge_branches_by_fast_forward()
            .repository_name(REPO)
            .source_commit_specifier("ff-src")
            .destination_commit_specifier(dst)
            .set_target_branch(target.map(str::to_owned))
            .send()
    };
    w.g(&["tag", "v1", "main"]);
    w.g(&["push", "-q", "origin", "v1"]);
    crate::assert_err!(
        ff("main", Some("no-such-branch")).await,
        "BranchDoesNotExistException"
    );
    crate::assert_err!(ff("main", Some("v1")).await, "BranchNameIsTagNameException");
    crate::assert_err!(
        ff("main", Some("bad..name")).await,
        "InvalidBranchNameException"
    );
    // A destination given as a commit id names no branch to move.
    crate::assert_err!(ff(&main, None).await, "InvalidTargetBranchException");

    // targetBranch moves that branch, not the destination.
    let out = ff(&main, Some("ff-target")).await.unwrap();
    assert_eq!(out.commit_id(), Some(ahead.as_str()));
    assert_eq!(
        out.tree_id(),
        Some(w.g(&["rev-parse", "ff-src^{tree}"]).as_str())
    );
    assert_eq!(w.remote_branch("ff-target"), Some(ahead.clone()));
    assert_eq!(w.remote_branch("main"), Some(main.clone()));
    // By default the destination branch moves.
    let out = ff("main", None).await.unwrap();
    assert_eq!(out.commit_id(), Some(ahead.as_str()));
    assert_eq!(w.remote_branch("main"), Some(ahead.clone()));
    // A fast-forward leaves no merge commit.
    let out = w
        .client
        .get_merge_commit()
        .repository_name(REPO)
        .source_commit_specifier("ff-src")
        .destination_commit_specifier("main")
        .send()
        .await
        .unwrap();
    assert_eq!(out.merged_commit_id(), None);
    assert_eq!(out.base_commit_id(), Some(ahead.as_str()));
}

/// A destination that already contains the source (or is the source) has nothing to merge:
/// squash, three-way and unreferenced merges answer with the destination itself, as `git
/// merge` answers "Already up to date", and write no commit.
#[tokio::test]
async fn nothing_to_merge_when_the_destination_contains_the_source() {
    let w = world().await;
    let c = far_case(&w, "upto");
    // The destination merges in the source; the source is then behind it.
    let merged = w
        .client
        .merge_branches_by_three_way()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(c.dst_branch())
        .conflict_detail_level(Level::LineLevel)
        .send()
        .await
        .unwrap()
        .commit_id()
        .unwrap()
        .to_owned();
    w.g(&["fetch", "-q", "origin"]);
    let tree = w.g(&["rev-parse", &format!("{merged}^{{tree}}")]);
    let dst = c.dst_branch();
    for (src, dst) in [(c.src_branch(), dst.clone()), (dst.clone(), dst.clone())] {
        let out = w
            .client
            .merge_branches_by_three_way()
            .repository_name(REPO)
            .source_commit_specifier(&src)
            .destination_commit_specifier(&dst)
            .send()
            .await
            .unwrap();
        assert_eq!(out.commit_id(), Some(merged.as_str()), "{src} into {dst}");
        assert_eq!(out.tree_id(), Some(tree.as_str()));
        let out = w
            .client
            .merge_branches_by_squash()
            .repository_name(REPO)
            .source_commit_specifier(&src)
            .destination_commit_specifier(&dst)
            .send()
            .await
            .unwrap();
        assert_eq!(out.commit_id(), Some(merged.as_str()), "{src} into {dst}");
        assert_eq!(w.remote_branch(&dst), Some(merged.clone()));
        for option in [MergeOption::SquashMerge, MergeOption::ThreeWayMerge] {
            let out = w
                .client
                .create_unreferenced_merge_commit()
                .repository_name(REPO)
                .source_commit_specifier(&src)
                .destination_commit_specifier(&dst)
                .merge_option(option)
                .send()
                .await
                .unwrap();
            assert_eq!(out.commit_id(), Some(merged.as_str()));
        }
    }
    // A branch merged into itself by fast-forward is its own tip.
    let out = w
        .client
        .merge_branches_by_fast_forward()
        .repository_name(REPO)
        .source_commit_specifier(&dst)
        .destination_commit_specifier(&dst)
        .send()
        .await
        .unwrap();
    assert_eq!(out.commit_id(), Some(merged.as_str()));
    // With a targetBranch elsewhere, that branch is moved to the (unchanged) destination.
    w.g(&[
        "push",
        "-q",
        "origin",
        &format!("{}:refs/heads/upto-target", c.base),
    ]);
    let out = w
        .client
        .merge_branches_by_squash()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(&dst)
        .target_branch("upto-target")
        .send()
        .await
        .unwrap();
    assert_eq!(out.commit_id(), Some(merged.as_str()));
    assert_eq!(w.remote_branch("upto-target"), Some(merged.clone()));
    assert_eq!(w.remote_branch(&dst), Some(merged));
}

#[tokio::test]
async fn squash_and_three_way_merges_as_git_sees_them() {
    let w = world().await;
    let three = far_case(&w, "three");
    let squash = far_case(&w, "squash");
    let merge_commit = |c: &Case| {
        w.client
            .get_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .conflict_detail_level(Level::LineLevel)
            .send()
    };

    // Before the merge: endpoints and base, no merged commit.
    let out = merge_commit(&three).await.unwrap();
    assert_eq!(out.source_commit_id(), Some(three.src.as_str()));
    assert_eq!(out.destination_commit_id(), Some(three.dst.as_str()));
    assert_eq!(out.base_commit_id(), Some(three.base.as_str()));
    assert_eq!(out.merged_commit_id(), None);

    // Three-way: two parents [destination, source], git's tree, author and message honoured.
    let out = w
        .client
        .merge_branches_by_three_way()
        .repository_name(REPO)
        .source_commit_specifier(three.src_branch())
        .destination_commit_specifier(three.dst_branch())
        .conflict_detail_level(Level::LineLevel)
        .author_name("Merger")
        .email("merger@example.com")
        .commit_message("Merge three-src")
        .send()
        .await
        .unwrap();
    let commit = out.commit_id().unwrap().to_owned();
    let tree = out.tree_id().unwrap().to_owned();
    assert_eq!(Some(tree.clone()), w.git_merge(&three));
    assert_eq!(w.remote_branch(&three.dst_branch()), Some(commit.clone()));
    let got = w.commit(&commit).await;
    assert_eq!(got.parents(), [three.dst.clone(), three.src.clone()]);
    assert_eq!(got.tree_id(), Some(tree.as_str()));
    assert_eq!(got.author().unwrap().name(), Some("Merger"));
    assert_eq!(got.author().unwrap().email(), Some("merger@example.com"));
    assert_eq!(got.message().map(str::trim_end), Some("Merge three-src"));
    // Cloned back, git sees an ordinary merge commit.
    let clone = w.git.clone(&w.url, "clone");
    let dst_ref = format!("origin/{}", three.dst_branch());
    assert_eq!(
        w.git
            .ok(&clone, &["log", "--merges", "--format=%H", &dst_ref]),
        commit
    );
    let raw = w.git.ok(&clone, &["cat-file", "-p", &commit]);
    let parents: Vec<&str> = raw
        .lines()
        .filter_map(|l| l.strip_prefix("parent "))
        .collect();
    assert_eq!(parents, [three.dst.as_str(), three.src.as_str()]);
    assert!(raw.starts_with(&format!("tree {tree}\n")), "{raw}");
    assert!(
        raw.contains("\nauthor Merger <merger@example.com> "),
        "{raw}"
    );
    w.git.ok(&clone, &["fsck", "--no-progress"]);
    // GetMergeCommit now finds it.
    let out = merge_commit(&three).await.unwrap();
    assert_eq!(out.merged_commit_id(), Some(commit.as_str()));
    assert_eq!(out.base_commit_id(), Some(three.src.as_str()));

    // Squash: one parent (the destination tip), the merged tree, no merge in git's eyes.
    let out = w
        .client
        .merge_branches_by_squash()
        .repository_name(REPO)
        .source_commit_specifier(squash.src_branch())
        .destination_commit_specifier(squash.dst_branch())
        .conflict_detail_level(Level::LineLevel)
        .author_name("Squasher")
        .email("squash@example.com")
        .commit_message("Squashed")
        .send()
        .await
        .unwrap();
    let commit = out.commit_id().unwrap().to_owned();
    assert_eq!(out.tree_id().map(str::to_owned), w.git_merge(&squash));
    assert_eq!(w.remote_branch(&squash.dst_branch()), Some(commit.clone()));
    let got = w.commit(&commit).await;
    assert_eq!(got.parents(), std::slice::from_ref(&squash.dst));
    assert_eq!(got.author().unwrap().name(), Some("Squasher"));
    assert_eq!(got.message().map(str::trim_end), Some("Squashed"));
    w.git.ok(&clone, &["fetch", "-q", "origin"]);
    let dst_ref = format!("origin/{}", squash.dst_branch());
    assert_eq!(
        w.git
            .ok(&clone, &["log", "--merges", "--format=%H", &dst_ref]),
        ""
    );
    assert_eq!(
        w.git.ok(&clone, &["rev-parse", &format!("{dst_ref}^")]),
        squash.dst
    );
    // The source is not merged into the destination's history.
    assert_eq!(
        merge_commit(&squash).await.unwrap().merged_commit_id(),
        None
    );

    // Author, email and message limits as in CreateCommit.
    let bad = [
        (
            "x".repeat(1025),
            "a@example.com".to_owned(),
            "m".to_owned(),
            "NameLengthExceededException",
        ),
        (
            "n".to_owned(),
            "a<b@example.com".to_owned(),
            "m".to_owned(),
            "InvalidEmailException",
        ),
        (
            "n".to_owned(),
            "a@example.com".to_owned(),
            "m".repeat(256 * 1024 + 1),
            "CommitMessageLengthExceededException",
        ),
    ];
    let other = far_case(&w, "other");
    for (name, email, message, exception) in bad {
        crate::assert_err!(
            w.client
                .merge_branches_by_three_way()
                .repository_name(REPO)
                .source_commit_specifier(other.src_branch())
                .destination_commit_specifier(other.dst_branch())
                .conflict_detail_level(Level::LineLevel)
                .author_name(&name)
                .email(&email)
                .commit_message(&message)
                .send()
                .await,
            exception
        );
        crate::assert_err!(
            w.client
                .create_unreferenced_merge_commit()
                .repository_name(REPO)
                .source_commit_specifier(other.src_branch())
                .destination_commit_specifier(other.dst_branch())
                .merge_option(MergeOption::SquashMerge)
                .conflict_detail_level(Level::LineLevel)
                .author_name(name)
                .email(email)
                .commit_message(message)
                .send()
                .await,
            exception
        );
    }
    assert_eq!(
        w.remote_branch(&other.dst_branch()),
        Some(other.dst.clone())
    );
    // targetBranch for squash and three-way: a destination commit id needs one.
    crate::assert_err!(
        w.client
            .merge_branches_by_squash()
            .repository_name(REPO)
            .source_commit_specifier(&other.src)
            .destination_commit_specifier(&other.dst)
            .conflict_detail_level(Level::LineLevel)
            .send()
            .await,
        "InvalidTargetBranchException"
    );
    crate::assert_err!(
        w.client
            .merge_branches_by_three_way()
            .repository_name(REPO)
            .source_commit_specifier(&other.src)
            .destination_commit_specifier(&other.dst)
            .conflict_detail_level(Level::LineLevel)
            .target_branch("missing")
            .send()
            .await,
        "BranchDoesNotExistException"
    );
    // With a targetBranch, that branch moves.
    let out = w
        .client
        .merge_branches_by_three_way()
        .repository_name(REPO)
        .source_commit_specifier(&other.src)
        .destination_commit_specifier(&other.dst)
        .conflict_detail_level(Level::LineLevel)
        .target_branch(other.dst_branch())
        .send()
        .await
        .unwrap();
    assert_eq!(
        w.remote_branch(&other.dst_branch()).as_deref(),
        out.commit_id()
    );
}

#[tokio::test]
async fn unreferenced_merge_commits_move_no_ref() {
    let w = world().await;
    let c = far_case(&w, "far");
    let refs_before = w.git.ls_remote(&w.url);
    let create = |option: Option<MergeOption>| {
        w.client
            .create_unreferenced_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .set_merge_option(option)
            .conflict_detail_level(Level::LineLevel)
            .author_name("Ghost")
            .email("ghost@example.com")
            .send()
    };
    let three = create(Some(MergeOption::ThreeWayMerge)).await.unwrap();
    let squash = create(Some(MergeOption::SquashMerge)).await.unwrap();
    assert_eq!(
        w.git.ls_remote(&w.url),
        refs_before,
        "no ref moved or appeared"
    );
    let expected_tree = w.git_merge(&c);
    for (out, parents) in [
        (three.commit_id(), vec![c.dst.clone(), c.src.clone()]),
        (squash.commit_id(), vec![c.dst.clone()]),
    ] {
        let id = out.unwrap();
        let got = w.commit(id).await;
        assert_eq!(got.parents(), parents);
        assert_eq!(got.tree_id().map(str::to_owned), expected_tree);
        assert_eq!(got.author().unwrap().name(), Some("Ghost"));
        // git can fetch it by id although no ref points at it.
        w.g(&["fetch", "-q", "origin", id]);
        assert_eq!(w.g(&["cat-file", "-t", id]), "commit");
        assert_eq!(
            w.g(&["rev-parse", &format!("{id}^{{tree}}")]),
            expected_tree.clone().unwrap()
        );
    }
    assert_eq!(three.tree_id(), squash.tree_id());
    crate::assert_err!(
        create(Some(MergeOption::FastForwardMerge)).await,
        "InvalidMergeOptionException"
    );
    crate::assert_err!(create(None).await, "MergeOptionRequiredException");
    crate::assert_err!(
        create(Some(MergeOption::from("OCTOPUS_MERGE"))).await,
        "InvalidMergeOptionException"
    );
}

#[tokio::test]
async fn bad_inputs_by_name() {
    let w = world().await;
    let c = far_case(&w, "far");
    let gmc = |src: Option<&str>, dst: Option<&str>| {
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .set_source_commit_specifier(src.map(str::to_owned))
            .set_destination_commit_specifier(dst.map(str::to_owned))
            .merge_option(MergeOption::ThreeWayMerge)
            .send()
    };
    let (src, dst) = (c.src_branch(), c.dst_branch());
    let (src, dst) = (Some(src.as_str()), Some(dst.as_str()));
    crate::assert_err!(gmc(None, dst).await, "CommitRequiredException");
    crate::assert_err!(
        gmc(src, Some("no-such-branch")).await,
        "CommitDoesNotExistException"
    );
    crate::assert_err!(
        gmc(Some("bad..spec"), dst).await,
        "InvalidSourceCommitSpecifierException"
    );
    crate::assert_err!(
        gmc(src, Some("bad..spec")).await,
        "InvalidDestinationCommitSpecifierException"
    );
    crate::assert_err!(
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .send()
            .await,
        "MergeOptionRequiredException"
    );
    crate::assert_err!(
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::from("REBASE_MERGE"))
            .send()
            .await,
        "InvalidMergeOptionException"
    );

    // The other operations use the general commit errors.
    let options =
        |src: Option<&str>, dst: Option<&str>, level: Option<Level>, strategy: Option<Strategy>| {
            w.client
                .get_merge_options()
                .repository_name(REPO)
                .set_source_commit_specifier(src.map(str::to_owned))
                .set_destination_commit_specifier(dst.map(str::to_owned))
                .set_conflict_detail_level(level)
                .set_conflict_resolution_strategy(strategy)
                .send()
        };
    crate::assert_err!(
        options(src, None, None, None).await,
        "CommitRequiredException"
    );
    crate::assert_err!(
        options(src, Some("bad..spec"), None, None).await,
        "InvalidCommitException"
    );
    crate::assert_err!(
        options(
            Some("0123456789012345678901234567890123456789"),
            dst,
            None,
            None
        )
        .await,
        "CommitDoesNotExistException"
    );
    crate::assert_err!(
        options(src, dst, Some(Level::from("WORD_LEVEL")), None).await,
        "InvalidConflictDetailLevelException"
    );
    crate::assert_err!(
        options(src, dst, None, Some(Strategy::from("ACCEPT_ALL"))).await,
        "InvalidConflictResolutionStrategyException"
    );
    crate::assert_err!(
        w.client
            .get_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier("no-such-branch")
            .destination_commit_specifier(c.dst_branch())
            .send()
            .await,
        "CommitDoesNotExistException"
    );
    crate::assert_err!(
        w.client
            .get_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .conflict_resolution_strategy(Strategy::from("ACCEPT_ALL"))
            .send()
            .await,
        "InvalidConflictResolutionStrategyException"
    );
    crate::assert_err!(
        w.client
            .merge_branches_by_squash()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .conflict_detail_level(Level::from("WORD_LEVEL"))
            .send()
            .await,
        "InvalidConflictDetailLevelException"
    );
    crate::assert_err!(
        w.client
            .merge_branches_by_three_way()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier("bad..spec")
            .send()
            .await,
        "InvalidCommitException"
    );
    crate::assert_err!(
        w.client
            .merge_branches_by_fast_forward()
            .repository_name(REPO)
            .destination_commit_specifier(c.dst_branch())
            .send()
            .await,
        "CommitRequiredException"
    );
    // Every operation checks the repository.
    crate::assert_err!(
        w.client
            .get_merge_options()
            .repository_name("missing")
            .source_commit_specifier("a")
            .destination_commit_specifier("b")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    crate::assert_err!(
        w.client
            .merge_branches_by_three_way()
            .repository_name("missing")
            .source_commit_specifier("a")
            .destination_commit_specifier("b")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    crate::assert_err!(
        w.client
            .batch_describe_merge_conflicts()
            .repository_name("missing")
            .source_commit_specifier("a")
            .destination_commit_specifier("b")
            .merge_option(MergeOption::ThreeWayMerge)
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert_eq!(w.remote_branch(&c.dst_branch()), Some(c.dst.clone()));
}

// ---------------------------------------------------------------------------------------------
// The line merge against git merge-file on generated edits
// ---------------------------------------------------------------------------------------------

/// Applies 1–3 pseudo-random line edits (replace, delete, insert) to `base`.
fn random_edits(base: &[String], seed: &mut u64, tag: &str) -> Vec<u8> {
    let mut next = |n: u64| {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 33) % n
    };
    let mut lines = base.to_vec();
    for k in 0..=next(3) {
        let i = next(lines.len() as u64) as usize;
        match next(3) {
            0 => lines[i] = format!("{tag}{k}"),
            1 if lines.len() > 2 => {
                lines.remove(i);
            }
            _ => lines.insert(i, format!("{tag}-ins{k}")),
        }
    }
    lines
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes()
}

#[tokio::test]
async fn line_merge_matches_git_merge_file() {
    let w = world().await;
    let base: Vec<String> = (1..=12).map(|i| format!("l{i}")).collect();
    let base_text: Vec<u8> = base
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes();
    let mut seed = 7u64;
    let files: Vec<(String, Vec<u8>, Vec<u8>)> = (0..60)
        .map(|i| {
            (
                format!("g{i:02}.txt"),
                random_edits(&base, &mut seed, "s"),
                random_edits(&base, &mut seed, "d"),
            )
        })
        .collect();
    let base_ops: Vec<Op<'_>> = files.iter().map(|(p, _, _)| Write(p, &base_text)).collect();
    let src_ops: Vec<Op<'_>> = files.iter().map(|(p, s, _)| Write(p, s)).collect();
    let dst_ops: Vec<Op<'_>> = files.iter().map(|(p, _, d)| Write(p, d)).collect();
    let c = w.case("generated", &base_ops, &src_ops, &dst_ops);

    let mut ours: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = w
            .client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(&c.src)
            .destination_commit_specifier(&c.dst)
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(Level::LineLevel)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        ours.extend(
            out.conflict_metadata_list()
                .iter()
                .map(|m| m.file_path().unwrap().to_owned()),
        );
        match out.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    ours.sort();
    let (commit, _) = w
        .unreferenced(&c, Level::LineLevel, Strategy::AcceptDestination, None)
        .await
        .unwrap();
    let tmp = w.git.dir("generated");
    std::fs::write(tmp.join("base"), &base_text).unwrap();
    let mut git_conflicts = Vec::new();
    for (path, s, d) in &files {
        std::fs::write(tmp.join("src"), s).unwrap();
        std::fs::write(tmp.join("dst"), d).unwrap();
        let merged = w.git.run(&tmp, &["merge-file", "-p", "src", "base", "dst"]);
        match merged.status.code() {
            Some(0) => assert_eq!(
                w.content(&commit, path).await.unwrap(),
                merged.stdout,
                "{path}: merged differently from git"
            ),
            _ => git_conflicts.push(path.clone()),
        }
    }
    git_conflicts.sort();
    assert_eq!(ours, git_conflicts, "conflicting files differ from git's");
    assert!(!ours.is_empty() && ours.len() < files.len(), "{ours:?}");
}

#[tokio::test]
async fn oversized_merges_are_refused_by_name() {
    // Small limits stand in for CodeCommit's undocumented ones (see MergeLimits).
    let w = world_with(|c| {
        c.merge_limits = codecommit_local::git::merge::MergeLimits {
            items_to_compare: 4,
            files_to_load: 1,
        }
    })
    .await;
    let base = numbered(10, &[]);
    let (src_edit, dst_edit) = (numbered(10, &[(2, "s")]), numbered(10, &[(8, "d")]));
    let wide = w.case(
        "wide",
        &[],
        &[
            Write("n1", b"1"),
            Write("n2", b"2"),
            Write("n3", b"3"),
            Write("n4", b"4"),
            Write("n5", b"5"),
        ],
        &[],
    );
    let two = w.case(
        "two",
        &[Write("a.txt", &base), Write("b.txt", &base)],
        &[Write("a.txt", &src_edit), Write("b.txt", &src_edit)],
        &[Write("a.txt", &dst_edit), Write("b.txt", &dst_edit)],
    );
    let one = w.case(
        "one",
        &[Write("a.txt", &base)],
        &[Write("a.txt", &src_edit)],
        &[Write("a.txt", &dst_edit)],
    );
    let conflicts = |c: &Case| {
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(Level::LineLevel)
            .send()
    };
    crate::assert_err!(
        conflicts(&wide).await,
        "MaximumItemsToCompareExceededException"
    );
    crate::assert_err!(
        conflicts(&two).await,
        "MaximumFileContentToLoadExceededException"
    );
    let dst_before = w.remote_branch(&two.dst_branch());
    crate::assert_err!(
        w.client
            .merge_branches_by_three_way()
            .repository_name(REPO)
            .source_commit_specifier(two.src_branch())
            .destination_commit_specifier(two.dst_branch())
            .send()
            .await,
        "MaximumFileContentToLoadExceededException"
    );
    assert_eq!(w.remote_branch(&two.dst_branch()), dst_before);
    // Within the limits the same kind of merge goes through.
    let out = conflicts(&one).await.unwrap();
    assert!(out.mergeable());
}

#[tokio::test]
async fn folders_only_one_side_touched_merge_like_git() {
    // Folders the destination left alone are taken whole from the source; the result must
    // still be git's tree, next to folders both sides changed and folders the source deleted
    // or emptied (keepEmptyFolders).
    let w = world().await;
    let c = w.case(
        "nested",
        &[
            Write("a/x/1", b"1\n"),
            Write("a/x/deep/2", b"2\n"),
            Write("a/y/3", b"3\n"),
            Write("a/z/4", b"4\n"),
            Write("b/5", b"5\n"),
            Write("c/gone/6", b"6\n"),
        ],
        &[
            Write("a/x/1", b"1 source\n"),
            Write("a/x/new/7", b"7\n"),
            Delete("a/x/deep/2"),
            Write("a/y/3", b"3 source\n"),
            Delete("c/gone/6"),
        ],
        &[
            Write("a/z/4", b"4 destination\n"),
            Write("b/5", b"5 destination\n"),
        ],
    );
    let git_tree = w.git_merge(&c).expect("git merges it cleanly");
    for level in [Level::FileLevel, Level::LineLevel] {
        let (commit, tree) = w
            .unreferenced(&c, level.clone(), Strategy::None, None)
            .await
            .unwrap();
        if tree != git_tree {
            w.g(&["fetch", "-q", "origin", &commit]);
            let ours = w.g(&["ls-tree", "-r", "-t", &tree]);
            let git = w.g(&["ls-tree", "-r", "-t", &git_tree]);
            panic!("{level:?}: ours\n{ours}\ngit\n{git}");
        }
    }
    let out = w
        .client
        .merge_branches_by_three_way()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(c.dst_branch())
        .keep_empty_folders(true)
        .send()
        .await
        .unwrap();
    let merged = out.commit_id().unwrap();
    assert_eq!(
        w.content(merged, "a/x/1").await.as_deref(),
        Some(&b"1 source\n"[..])
    );
    assert_eq!(
        w.content(merged, "a/x/new/7").await.as_deref(),
        Some(&b"7\n"[..])
    );
    assert_eq!(w.content(merged, "a/x/deep/2").await, None);
    assert_eq!(
        w.content(merged, "b/5").await.as_deref(),
        Some(&b"5 destination\n"[..])
    );
    // The folders the source emptied keep a .gitkeep.
    assert_eq!(
        w.content(merged, "c/gone/.gitkeep").await.as_deref(),
        Some(&b""[..])
    );
    assert_eq!(
        w.content(merged, "a/x/deep/.gitkeep").await.as_deref(),
        Some(&b""[..])
    );
}

#[tokio::test]
async fn a_conflict_above_source_only_folders_keeps_the_destination() {
    // The source replaced the file `a` with a folder `a/b/x`; the destination edited `a`. The
    // folder is the source's alone, but it lies under the conflict at `a`: accepting the
    // destination must give exactly the destination's tree.
    let w = world().await;
    let c = w.case(
        "above",
        &[Write("a", b"base\n"), Write("keep", b"k\n")],
        &[Delete("a"), Write("a/b/x", b"x\n")],
        &[Write("a", b"destination\n")],
    );
    let dst_tree = w.g(&["rev-parse", &format!("{}^{{tree}}", c.dst)]);
    let src_tree = w.g(&["rev-parse", &format!("{}^{{tree}}", c.src)]);
    for level in [Level::FileLevel, Level::LineLevel] {
        let (_, tree) = w
            .unreferenced(&c, level.clone(), Strategy::AcceptDestination, None)
            .await
            .unwrap();
        assert_eq!(tree, dst_tree, "{level:?}");
        let (_, tree) = w
            .unreferenced(&c, level.clone(), Strategy::AcceptSource, None)
            .await
            .unwrap();
        assert_eq!(tree, src_tree, "{level:?}");
    }
}

#[tokio::test]
async fn a_target_branch_ahead_of_the_destination_is_not_rewound() {
    // The destination is named by commit id while the target branch has moved on from it: a
    // merge commit on the old destination would drop the newer commit from the branch.
    let w = world().await;
    let c = w.case(
        "ahead",
        &[Write("f", b"1\n")],
        &[Write("s", b"s\n")],
        &[Write("d", b"d\n")],
    );
    w.g(&["checkout", "-q", &c.dst_branch()]);
    w.g(&["checkout", "-q", "-b", "ahead-target"]);
    w.apply(&[Write("newer", b"n\n")]);
    w.g(&["commit", "-q", "-m", "newer"]);
    w.g(&["push", "-q", "origin", "ahead-target"]);
    let before = w.remote_branch("ahead-target");
    crate::assert_err!(
        w.client
            .merge_branches_by_three_way()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(&c.dst)
            .target_branch("ahead-target")
            .send()
            .await,
        "ConcurrentReferenceUpdateException"
    );
    assert_eq!(w.remote_branch("ahead-target"), before);
}
