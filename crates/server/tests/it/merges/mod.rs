//! Merges through the SDK: the shared fixture world (a server, a working clone, three-branch cases) and conflict helpers; the tests live in the submodules.

use crate::common::git::Git;
use crate::common::*;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::operation::get_merge_conflicts::GetMergeConflictsOutput;
use aws_sdk_codecommit::primitives::Blob;
use aws_sdk_codecommit::types::{
    ChangeTypeEnum, ConflictDetailLevelTypeEnum as Level, ConflictMetadata, ConflictResolution,
    ConflictResolutionStrategyTypeEnum as Strategy, DeleteFileEntry, FileModeTypeEnum,
    MergeOptionTypeEnum as MergeOption, ObjectTypeEnum, ReplaceContentEntry, ReplacementTypeEnum,
};
use base64::Engine as _;
use std::path::{Path, PathBuf};

mod catalogue;
mod errors;
mod folders;
mod hunks;
mod kinds;
mod resolution;

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
