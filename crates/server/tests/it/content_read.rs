//! Reading history through the API: GetCommit, BatchGetCommits, GetDifferences, GetBlobDifferences and ListFileCommitHistory, with git as the oracle.

use crate::assert_err;
use crate::common::git::Git;
use crate::common::*;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::types::{Commit, DiffHunk, Difference};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

const UNKNOWN_ID: &str = "0123456789abcdef0123456789abcdef01234567";

/// A working repository pushed to the server, whose commits get explicit, increasing dates
/// (so that date-ordered listings are deterministic).
struct Work {
    git: Git,
    dir: PathBuf,
    clock: u64,
}

impl Work {
    fn new(url: &str) -> Work {
        let git = Git::new();
        let dir = git.dir("work");
        git.ok(&dir, &["init", "-q"]);
        git.ok(&dir, &["remote", "add", "origin", url]);
        Work {
            git,
            dir,
            clock: 1_600_000_000,
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        self.git.ok(&self.dir, args)
    }

    /// stdout untrimmed (diff output has meaningful trailing blanks).
    fn raw(&self, args: &[&str]) -> String {
        let out = self.git.run(&self.dir, args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    fn remove(&self, path: &str) {
        std::fs::remove_file(self.dir.join(path)).unwrap();
    }

    fn rev(&self, spec: &str) -> String {
        self.ok(&["rev-parse", spec])
    }

    /// Runs a committing git command with the given author/committer dates.
    fn dated(&self, author: &str, committer: &str, args: &[&str]) {
        let out = self
            .git
            .command(&self.dir)
            .env("GIT_AUTHOR_DATE", author)
            .env("GIT_COMMITTER_DATE", committer)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stages everything and commits with exactly `message` (no cleanup); returns the id.
    fn commit_exact(&mut self, message: &str, author: &str, committer: &str) -> String {
        let msg = self.git.root().join("message.txt");
        std::fs::write(&msg, message).unwrap();
        self.ok(&["add", "-A"]);
        self.dated(
            author,
            committer,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "--cleanup=verbatim",
                "-F",
                msg.to_str().unwrap(),
            ],
        );
        self.rev("HEAD")
    }

    fn tick(&mut self) -> String {
        self.clock += 60;
        format!("{} +0200", self.clock)
    }

    /// Stages everything and commits at the next tick; returns the id.
    fn commit(&mut self, message: &str) -> String {
        let when = self.tick();
        self.commit_exact(&format!("{message}\n"), &when, &when)
    }

    /// `git merge --no-ff BRANCH` at the next tick (must merge cleanly); returns the id.
    fn merge(&mut self, branch: &str, message: &str) -> String {
        let when = self.tick();
        self.dated(
            &when,
            &when,
            &["merge", "-q", "--no-ff", "-m", message, branch],
        );
        self.rev("HEAD")
    }

    fn push(&self, refspecs: &[&str]) {
        let mut args = vec!["push", "-q", "origin"];
        args.extend_from_slice(refspecs);
        self.ok(&args);
    }
}

/// A server with one repository; returns the server, its client and the clone URL.
async fn setup(name: &str) -> (TestServer, Client, String) {
    let server = TestServer::start();
    let client = server.client();
    let md = create_repo(&client, name).await;
    let url = md.clone_url_http().unwrap().to_owned();
    (server, client, url)
}

async fn get_commit(client: &Client, repo: &str, id: &str) -> Commit {
    client
        .get_commit()
        .repository_name(repo)
        .commit_id(id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetCommit {id}: {e:?}"))
        .commit
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// GetCommit, BatchGetCommits
// ---------------------------------------------------------------------------------------------

/// The message exactly as git stored it: everything after the header's blank line.
fn stored_message(w: &Work, id: &str) -> String {
    let raw = w.raw(&["cat-file", "commit", id]);
    raw.split_once("\n\n").map(|(_, m)| m.to_owned()).unwrap()
}

#[tokio::test]
async fn get_commit_matches_git() {
    let (_server, client, url) = setup("commits").await;
    let mut w = Work::new(&url);
    w.write("a.txt", "one\n");
    let c1 = w.commit_exact(
        "Subject line\n\nBody line 1\nBody line 2\n",
        "1700000000 +0530",
        "1700000100 -0800",
    );
    w.write("a.txt", "two\n");
    let c2 = w.commit_exact(
        "no trailing newline",
        "1700000200 -0800",
        "1700000300 +0000",
    );
    w.ok(&["checkout", "-q", "-b", "feature", &c1]);
    w.write("b.txt", "feature\n");
    let f1 = w.commit("feature work");
    w.ok(&["checkout", "-q", "main"]);
    let merge = w.merge("feature", "Merge feature");
    w.push(&["main", "feature"]);

    for id in [&c1, &c2, &f1, &merge] {
        let c = get_commit(&client, "commits", id).await;
        assert_eq!(c.commit_id(), Some(id.as_str()));
        assert_eq!(c.tree_id().unwrap(), w.rev(&format!("{id}^{{tree}}")));
        let parents = w.ok(&["log", "-1", "--format=%P", id]);
        assert_eq!(
            c.parents(),
            parents.split_whitespace().collect::<Vec<_>>(),
            "{id}"
        );
        assert_eq!(c.message().unwrap(), stored_message(&w, id));
        let fields = w.ok(&[
            "log",
            "-1",
            "--date=raw",
            "--format=%an%n%ae%n%ad%n%cn%n%ce%n%cd",
            id,
        ]);
        let f: Vec<&str> = fields.lines().collect();
        let (a, m) = (c.author().unwrap(), c.committer().unwrap());
        assert_eq!(
            [a.name(), a.email(), a.date(), m.name(), m.email(), m.date()],
            f.iter().map(|s| Some(*s)).collect::<Vec<_>>()[..],
            "{id}"
        );
        assert_eq!(c.additional_data(), Some(""));
    }

    // Dates are git's raw "<seconds> <±hhmm>", timezone kept.
    let c = get_commit(&client, "commits", &c1).await;
    assert_eq!(
        c.message(),
        Some("Subject line\n\nBody line 1\nBody line 2\n")
    );
    assert_eq!(c.author().unwrap().date(), Some("1700000000 +0530"));
    assert_eq!(c.committer().unwrap().date(), Some("1700000100 -0800"));
    assert_eq!(
        w.ok(&["log", "-1", "--format=%at %ct", &c1]),
        "1700000000 1700000100"
    );
    let c = get_commit(&client, "commits", &c2).await;
    assert_eq!(c.message(), Some("no trailing newline"));
    assert_eq!(c.author().unwrap().date(), Some("1700000200 -0800"));
    assert_eq!(c.committer().unwrap().date(), Some("1700000300 +0000"));
    assert_eq!(c.author().unwrap().name(), Some("Test Author"));
    assert_eq!(
        c.committer().unwrap().email(),
        Some("committer@example.com")
    );

    // A merge lists both parents, first parent first.
    let c = get_commit(&client, "commits", &merge).await;
    assert_eq!(
        c.parents(),
        [w.rev(&format!("{merge}^1")), w.rev(&format!("{merge}^2"))]
    );
    assert_eq!(c.parents(), [c2.clone(), f1.clone()]);
    assert_eq!(c.message(), Some("Merge feature\n"));
    // The root commit has no parents.
    assert!(
        get_commit(&client, "commits", &c1)
            .await
            .parents()
            .is_empty()
    );

    // Errors.
    let get = |id: Option<&str>| {
        client
            .get_commit()
            .repository_name("commits")
            .set_commit_id(id.map(str::to_owned))
            .send()
    };
    assert_err!(get(Some(UNKNOWN_ID)).await, "CommitIdDoesNotExistException");
    // A tree id is an object, but not a commit.
    let tree = w.rev("HEAD^{tree}");
    assert_err!(get(Some(&tree)).await, "CommitIdDoesNotExistException");
    assert_err!(get(Some("not-a-commit")).await, "InvalidCommitIdException");
    assert_err!(get(Some(&c1[..7])).await, "InvalidCommitIdException");
    assert_err!(get(Some("main")).await, "InvalidCommitIdException");
    assert_err!(get(None).await, "CommitIdRequiredException");
    assert_err!(get(Some("")).await, "CommitIdRequiredException");
    assert_err!(
        client
            .get_commit()
            .repository_name("no-such-repo")
            .commit_id(&c1)
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
}

#[tokio::test]
async fn batch_get_commits_reports_bad_ids_in_errors() {
    let (_server, client, url) = setup("batch").await;
    let mut w = Work::new(&url);
    let mut ids = Vec::new();
    for i in 0..3 {
        w.write("f.txt", format!("{i}\n"));
        ids.push(w.commit(&format!("commit {i}")));
    }
    w.push(&["main"]);

    let short = ids[1][..10].to_owned();
    let out = client
        .batch_get_commits()
        .repository_name("batch")
        .commit_ids(&ids[2])
        .commit_ids(UNKNOWN_ID)
        .commit_ids(&ids[0])
        .commit_ids(&short)
        .commit_ids(&ids[1])
        .send()
        .await
        .unwrap();
    let got: HashMap<&str, &Commit> = out
        .commits()
        .iter()
        .map(|c| (c.commit_id().unwrap(), c))
        .collect();
    assert_eq!(got.len(), 3, "{:?}", out.commits());
    for id in &ids {
        assert_eq!(
            *got[id.as_str()],
            get_commit(&client, "batch", id).await,
            "BatchGetCommits and GetCommit agree on {id}"
        );
    }
    let errors: HashMap<&str, (&str, &str)> = out
        .errors()
        .iter()
        .map(|e| {
            (
                e.commit_id().unwrap(),
                (e.error_code().unwrap(), e.error_message().unwrap()),
            )
        })
        .collect();
    assert_eq!(errors.len(), 2, "{:?}", out.errors());
    assert_eq!(errors[UNKNOWN_ID].0, "CommitIdDoesNotExistException");
    assert_eq!(errors[short.as_str()].0, "InvalidCommitIdException");
    assert!(errors.values().all(|(_, m)| !m.is_empty()));

    // Only bad ids: no exception, just errors.
    let out = client
        .batch_get_commits()
        .repository_name("batch")
        .commit_ids(UNKNOWN_ID)
        .send()
        .await
        .unwrap();
    assert!(out.commits().is_empty());
    assert_eq!(out.errors().len(), 1);

    // 100 ids are fine, 101 are too many.
    let hundred: Vec<String> = (0..100).map(|i| ids[i % 3].clone()).collect();
    let out = client
        .batch_get_commits()
        .repository_name("batch")
        .set_commit_ids(Some(hundred.clone()))
        .send()
        .await
        .unwrap();
    assert!(out.errors().is_empty());
    let mut too_many = hundred;
    too_many.push(ids[0].clone());
    assert_err!(
        client
            .batch_get_commits()
            .repository_name("batch")
            .set_commit_ids(Some(too_many))
            .send()
            .await,
        "CommitIdsLimitExceededException"
    );
    assert_err!(
        client
            .batch_get_commits()
            .repository_name("batch")
            .set_commit_ids(Some(Vec::new()))
            .send()
            .await,
        "CommitIdsListRequiredException"
    );
    assert_err!(
        client
            .batch_get_commits()
            .repository_name("batch")
            .send()
            .await,
        "CommitIdsListRequiredException"
    );
    assert_err!(
        client
            .batch_get_commits()
            .repository_name("no-such-repo")
            .commit_ids(&ids[0])
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
}

// ---------------------------------------------------------------------------------------------
// GetDifferences
// ---------------------------------------------------------------------------------------------

type Side = Option<(String, String, String)>;
/// (changeType, before {blobId, path, mode}, after {…}).
type Change = (String, Side, Side);

/// `git diff --raw --no-renames` between two commits (optionally limited to a path) in the
/// API's terms.
fn git_changes(w: &Work, before: &str, after: &str, path: Option<&str>) -> BTreeSet<Change> {
    let mut args = vec![
        "diff",
        "--raw",
        "--no-renames",
        "--no-abbrev",
        before,
        after,
    ];
    if let Some(p) = path {
        args.extend(["--", p]);
    }
    let out = w.ok(&args);
    out.lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            let f: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
            let side = |mode: &str, id: &str| {
                (mode != "000000").then(|| (id.to_owned(), path.to_owned(), mode.to_owned()))
            };
            (f[4].to_owned(), side(f[0], f[2]), side(f[1], f[3]))
        })
        .collect()
}

fn api_change(d: &Difference) -> Change {
    let side = |b: Option<&aws_sdk_codecommit::types::BlobMetadata>| {
        b.map(|b| {
            (
                b.blob_id().unwrap().to_owned(),
                b.path().unwrap().to_owned(),
                b.mode().unwrap().to_owned(),
            )
        })
    };
    (
        d.change_type().unwrap().as_str().to_owned(),
        side(d.before_blob()),
        side(d.after_blob()),
    )
}

/// All differences, following `NextToken` with pages of `page` (None: server default).
async fn differences(
    client: &Client,
    repo: &str,
    before: Option<&str>,
    after: &str,
    paths: (Option<&str>, Option<&str>),
    page: Option<i32>,
) -> Vec<Change> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .get_differences()
            .repository_name(repo)
            .set_before_commit_specifier(before.map(str::to_owned))
            .after_commit_specifier(after)
            .set_before_path(paths.0.map(str::to_owned))
            .set_after_path(paths.1.map(str::to_owned))
            .set_max_results(page)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetDifferences {before:?}..{after}: {e:?}"));
        if let Some(p) = page {
            assert!(out.differences().len() <= p as usize);
            if out.next_token().is_some() {
                assert_eq!(
                    out.differences().len(),
                    p as usize,
                    "only the last page is short"
                );
            }
        }
        all.extend(out.differences().iter().map(api_change));
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return all,
        }
    }
}

fn as_set(changes: &[Change]) -> BTreeSet<Change> {
    let set: BTreeSet<Change> = changes.iter().cloned().collect();
    assert_eq!(set.len(), changes.len(), "no duplicates: {changes:?}");
    set
}

/// c1 → c2 touches every kind of change: edits, additions, deletions, a mode-only change, a
/// symlink retarget, a move (a delete plus an add), a folder that vanishes.
fn differences_history(url: &str) -> (Work, String, String) {
    let mut w = Work::new(url);
    w.write("a.txt", "alpha\n");
    w.write("b.txt", "bravo\n");
    w.write("del.txt", "to be deleted\n");
    w.write("dir/x.txt", "x\n");
    w.write("dir/sub/y.txt", "y\n");
    w.write("dir/sub/deep/w.txt", "w\n");
    w.write("script.sh", "#!/bin/sh\necho hi\n");
    w.write("keep/k.txt", "unchanged\n");
    std::os::unix::fs::symlink("a.txt", w.dir.join("link")).unwrap();
    let c1 = w.commit("first");
    w.ok(&["tag", "v1"]);
    w.ok(&["tag", "-a", "-m", "annotated", "v1-annotated"]);
    w.write("a.txt", "alpha 2\n");
    w.write("new.txt", "new\n");
    w.remove("del.txt");
    w.ok(&["update-index", "--chmod=+x", "script.sh"]);
    std::fs::remove_file(w.dir.join("link")).unwrap();
    std::os::unix::fs::symlink("b.txt", w.dir.join("link")).unwrap();
    w.write("dir/sub/z.txt", "z\n");
    w.write("dir/x.txt", "x 2\n");
    w.ok(&["mv", "b.txt", "moved-b.txt"]);
    w.remove("dir/sub/deep/w.txt");
    // `git add -A` keeps the index's executable bit on script.sh.
    std::fs::set_permissions(
        w.dir.join("script.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let c2 = w.commit("second");
    w.push(&["main", "--tags"]);
    (w, c1, c2)
}

#[tokio::test]
async fn get_differences_match_git_diff() {
    let (_server, client, url) = setup("diffs").await;
    let (w, c1, c2) = differences_history(&url);
    let expected = git_changes(&w, &c1, &c2, None);
    assert!(expected.len() >= 10, "{expected:?}");
    let full = differences(&client, "diffs", Some(&c1), &c2, (None, None), None).await;
    assert_eq!(as_set(&full), expected);

    // What git shows, checked in the API's own words too.
    let by_path: HashMap<&str, &Change> = full
        .iter()
        .map(|c| (c.2.as_ref().or(c.1.as_ref()).unwrap().1.as_str(), c))
        .collect();
    let mode_only = by_path["script.sh"];
    assert_eq!(mode_only.0, "M");
    assert_eq!(mode_only.1.as_ref().unwrap().2, "100644");
    assert_eq!(mode_only.2.as_ref().unwrap().2, "100755");
    assert_eq!(
        mode_only.1.as_ref().unwrap().0,
        mode_only.2.as_ref().unwrap().0
    );
    let link = by_path["link"];
    assert_eq!(
        (link.0.as_str(), link.2.as_ref().unwrap().2.as_str()),
        ("M", "120000")
    );
    let added = by_path["new.txt"];
    assert_eq!(added.0, "A");
    assert!(added.1.is_none());
    let deleted = by_path["del.txt"];
    assert_eq!(deleted.0, "D");
    assert!(deleted.2.is_none());
    // A move is a delete and an add of the same blob (no rename detection).
    assert_eq!(by_path["b.txt"].0, "D");
    assert_eq!(by_path["moved-b.txt"].0, "A");
    assert_eq!(
        by_path["b.txt"].1.as_ref().unwrap().0,
        by_path["moved-b.txt"].2.as_ref().unwrap().0
    );
    assert!(!by_path.contains_key("keep/k.txt"));
    // `--name-status` agrees on the set of paths and kinds.
    let name_status: BTreeSet<(String, String)> = w
        .ok(&["diff", "--name-status", "--no-renames", &c1, &c2])
        .lines()
        .map(|l| {
            let (s, p) = l.split_once('\t').unwrap();
            (s.to_owned(), p.to_owned())
        })
        .collect();
    let api_name_status: BTreeSet<(String, String)> = by_path
        .iter()
        .map(|(p, c)| (c.0.clone(), (*p).to_owned()))
        .collect();
    assert_eq!(api_name_status, name_status);

    // Paging: every page size gives the same list, no duplicates, no gaps.
    for page in [1, 2, 3] {
        let paged = differences(&client, "diffs", Some(&c1), &c2, (None, None), Some(page)).await;
        assert_eq!(paged, full, "pages of {page}");
    }

    // No before commit: everything up to the after commit, all added.
    let empty_tree = w.ok(&["hash-object", "-t", "tree", "/dev/null"]);
    for (after, label) in [(&c1, "c1"), (&c2, "c2")] {
        let all = differences(&client, "diffs", None, after, (None, None), None).await;
        assert!(all.iter().all(|c| c.0 == "A" && c.1.is_none()), "{label}");
        assert_eq!(
            as_set(&all),
            git_changes(&w, &empty_tree, after, None),
            "{label}"
        );
    }
    let paged = differences(&client, "diffs", None, &c2, (None, None), Some(2)).await;
    assert_eq!(as_set(&paged), git_changes(&w, &empty_tree, &c2, None));

    // A commit compared with itself has no differences.
    assert!(
        differences(&client, "diffs", Some("main"), &c2, (None, None), None)
            .await
            .is_empty()
    );

    // Every kind of commit specifier names the same commits.
    let c1_specs = ["v1", "v1-annotated", "refs/tags/v1", c1.as_str()];
    let c2_specs = ["main", "HEAD", "refs/heads/main", c2.as_str()];
    for (b, a) in c1_specs.iter().zip(c2_specs.iter()) {
        let got = differences(&client, "diffs", Some(b), a, (None, None), None).await;
        assert_eq!(as_set(&got), expected, "{b}..{a}");
    }

    // Path filters: a folder, a nested folder, a file, a folder only the before side has.
    for path in ["dir", "dir/sub", "a.txt", "dir/sub/deep", "keep"] {
        let want = git_changes(&w, &c1, &c2, Some(path));
        for paths in [
            (Some(path), None),
            (None, Some(path)),
            (Some(path), Some(path)),
        ] {
            let got = differences(&client, "diffs", Some(&c1), &c2, paths, None).await;
            assert_eq!(as_set(&got), want, "{paths:?}");
        }
    }
    let in_dir = differences(&client, "diffs", Some(&c1), &c2, (None, Some("dir")), None).await;
    assert!(!in_dir.is_empty());
    assert!(in_dir.iter().all(|c| {
        let p = &c.2.as_ref().or(c.1.as_ref()).unwrap().1;
        p.starts_with("dir/")
    }));
    let in_new = differences(
        &client,
        "diffs",
        None,
        &c2,
        (None, Some("dir/sub")),
        Some(1),
    )
    .await;
    assert_eq!(
        as_set(&in_new),
        git_changes(&w, &empty_tree, &c2, Some("dir/sub"))
    );
}

#[tokio::test]
async fn get_differences_errors() {
    let (_server, client, url) = setup("diff-errors").await;
    let (_w, c1, c2) = differences_history(&url);
    let diff = || {
        client
            .get_differences()
            .repository_name("diff-errors")
            .before_commit_specifier(&c1)
            .after_commit_specifier(&c2)
    };
    assert_err!(
        diff().after_path("no/such/folder").send().await,
        "PathDoesNotExistException"
    );
    assert_err!(
        diff().before_path("nope.txt").send().await,
        "PathDoesNotExistException"
    );
    assert_err!(
        diff().after_path("../escape").send().await,
        "InvalidPathException"
    );
    assert_err!(
        diff().max_results(0).send().await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        diff().max_results(-1).send().await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        diff().next_token("not-a-token").send().await,
        "InvalidContinuationTokenException"
    );
    // A token pages only the comparison it came from.
    let total = diff().send().await.unwrap().differences().len();
    let token = diff()
        .max_results(1)
        .send()
        .await
        .unwrap()
        .next_token
        .unwrap();
    assert_err!(
        client
            .get_differences()
            .repository_name("diff-errors")
            .after_commit_specifier(&c2)
            .next_token(&token)
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
    assert_eq!(
        diff()
            .next_token(&token)
            .send()
            .await
            .unwrap()
            .differences()
            .len(),
        total - 1
    );

    let spec = |before: Option<&str>, after: Option<&str>| {
        client
            .get_differences()
            .repository_name("diff-errors")
            .set_before_commit_specifier(before.map(str::to_owned))
            .set_after_commit_specifier(after.map(str::to_owned))
            .send()
    };
    assert_err!(spec(None, None).await, "CommitRequiredException");
    assert_err!(spec(Some(&c1), Some("")).await, "CommitRequiredException");
    assert_err!(
        spec(None, Some("no-such-branch")).await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        spec(None, Some(UNKNOWN_ID)).await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        spec(Some(UNKNOWN_ID), Some(&c2)).await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        spec(Some("nope"), Some(&c2)).await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        spec(None, Some("bad..name")).await,
        "InvalidCommitException"
    );
    assert_err!(
        spec(Some("bad..name"), Some(&c2)).await,
        "InvalidCommitException"
    );
    assert_err!(
        client
            .get_differences()
            .repository_name("no-such-repo")
            .after_commit_specifier("main")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
}

// ---------------------------------------------------------------------------------------------
// GetBlobDifferences
// ---------------------------------------------------------------------------------------------

/// A hunk as (beforeStart, beforeCount, afterStart, afterCount) and its lines as
/// (type, beforeLineNumber, afterLineNumber, content).
type Line = (String, Option<i32>, Option<i32>, String);
type Hunk = ((i32, i32, i32, i32), Vec<Line>);

/// Parses `git diff -U<n>` output into hunks, numbering the lines from the headers.
fn parse_git_hunks(out: &str) -> Vec<Hunk> {
    let range = |r: &str| -> (i32, i32) {
        match r.split_once(',') {
            Some((s, c)) => (s.parse().unwrap(), c.parse().unwrap()),
            None => (r.parse().unwrap(), 1),
        }
    };
    let mut hunks: Vec<Hunk> = Vec::new();
    let (mut b, mut a) = (0, 0);
    // Split on "\n" only: a "\r" is part of the line's content.
    for line in out.split('\n') {
        if let Some(rest) = line.strip_prefix("@@ -") {
            let (ranges, _) = rest.split_once(" @@").unwrap();
            let (before, after) = ranges.split_once(" +").unwrap();
            let (bs, bc) = range(before);
            let (as_, ac) = range(after);
            // An empty side is numbered from the line before it.
            b = if bc == 0 { bs + 1 } else { bs };
            a = if ac == 0 { as_ + 1 } else { as_ };
            hunks.push(((bs, bc, as_, ac), Vec::new()));
            continue;
        }
        let Some(h) = hunks.last_mut() else { continue };
        let (kind, content) = line.split_at(1.min(line.len()));
        let entry = match kind {
            " " => {
                b += 1;
                a += 1;
                ("CONTEXT", Some(b - 1), Some(a - 1))
            }
            "-" => {
                b += 1;
                ("DELETE", Some(b - 1), None)
            }
            "+" => {
                a += 1;
                ("ADD", None, Some(a - 1))
            }
            _ => continue, // "\ No newline at end of file"
        };
        h.1.push((entry.0.to_owned(), entry.1, entry.2, content.to_owned()));
    }
    hunks
}

fn api_hunk(h: &DiffHunk) -> Hunk {
    (
        (
            h.before_start_line().unwrap(),
            h.before_line_count().unwrap(),
            h.after_start_line().unwrap(),
            h.after_line_count().unwrap(),
        ),
        h.changes()
            .iter()
            .map(|c| {
                (
                    c.r#type().unwrap().as_str().to_owned(),
                    c.before_line_number(),
                    c.after_line_number(),
                    c.content().unwrap().to_owned(),
                )
            })
            .collect(),
    )
}

/// Every hunk GetBlobDifferences reports, following `NextToken`.
async fn blob_hunks(
    client: &Client,
    before: Option<&str>,
    after: &str,
    context: Option<i32>,
    ignore_ws: bool,
    page: Option<i32>,
) -> Vec<Hunk> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .get_blob_differences()
            .repository_name("blobs")
            .set_before_blob_id(before.map(str::to_owned))
            .after_blob_id(after)
            .set_context_lines(context)
            .ignore_whitespace(ignore_ws)
            .set_max_results(page)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetBlobDifferences {before:?} {after}: {e:?}"));
        assert!(!out.is_binary());
        if let Some(p) = page {
            assert!(out.hunks().len() <= p as usize);
        }
        all.extend(out.hunks().iter().map(api_hunk));
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return all,
        }
    }
}

fn numbered(range: std::ops::RangeInclusive<u32>) -> String {
    range.map(|i| format!("line {i}\n")).collect()
}

#[tokio::test]
async fn get_blob_differences_match_git_diff() {
    let (_server, client, url) = setup("blobs").await;
    let mut w = Work::new(&url);
    let thirty = numbered(1..=30);
    let sixty = numbered(1..=60);
    let cases: Vec<(&str, String, String)> = vec![
        (
            "middle",
            thirty.clone(),
            thirty.replace("line 15\n", "line fifteen\n"),
        ),
        (
            "append",
            numbered(1..=10),
            format!("{}more 1\nmore 2\nmore 3\n", numbered(1..=10)),
        ),
        ("drop-start", numbered(1..=20), numbered(4..=20)),
        (
            "far-apart",
            sixty.clone(),
            sixty
                .replace("line 5\n", "five\n")
                .replace("line 30\n", "thirty\nthirty bis\n")
                .replace("line 55\n", ""),
        ),
        ("no-final-newline", "a\nb".into(), "a\nb\nc".into()),
        (
            "whitespace",
            "fn main() {\n    let a = 1;\n    let b  = 2;\n    call(a, b);\n}\n".into(),
            "fn main() {\n\tlet a = 1;\n    let b = 2;\n    call(a,  b);\n    done();\n}\n".into(),
        ),
        ("same", thirty.clone(), thirty.clone()),
        ("crlf", "a\r\nb\r\nc\r\n".into(), "a\r\nB\r\nc\r\n".into()),
        ("eol-change", "a\nb\nc\n".into(), "a\r\nb\r\nc\n".into()),
        (
            "unicode",
            "héllo\nwörld\n日本\n".into(),
            "héllo\nwörld!\n日本\n".into(),
        ),
    ];
    for (name, before, after) in &cases {
        w.write(&format!("{name}.before"), before);
        w.write(&format!("{name}.after"), after);
    }
    w.write("binary.before", b"\x00\x01\x02binary\n");
    w.write("binary.after", b"\x00\x01\x03binary\nmore\n");
    w.write("text.txt", "plain\ntext\n");
    w.write("added.txt", "first\nsecond\nthird\n");
    let c = w.commit("blobs");
    w.push(&["main"]);
    let blob = |path: &str| w.rev(&format!("{c}:{path}"));

    for (name, _, _) in &cases {
        let (b, a) = (
            blob(&format!("{name}.before")),
            blob(&format!("{name}.after")),
        );
        for context in [None, Some(0), Some(1), Some(5), Some(12)] {
            for ignore_ws in [false, true] {
                let u = format!("-U{}", context.unwrap_or(3));
                let mut args = vec!["diff", u.as_str()];
                if ignore_ws {
                    args.push("-w");
                }
                args.extend([b.as_str(), a.as_str()]);
                let want = parse_git_hunks(&w.raw(&args));
                let got = blob_hunks(&client, Some(&b), &a, context, ignore_ws, None).await;
                assert_eq!(got, want, "{name} {args:?}");
                if *name == "same" {
                    assert!(got.is_empty());
                }
            }
        }
    }

    // The cases really are what they claim (so the comparisons above mean something).
    let hunks_of = |name: &str, context: i32| {
        let (b, a) = (
            blob(&format!("{name}.before")),
            blob(&format!("{name}.after")),
        );
        let client = client.clone();
        async move { blob_hunks(&client, Some(&b), &a, Some(context), false, None).await }
    };
    assert_eq!(hunks_of("middle", 3).await[0].0, (12, 7, 12, 7));
    assert_eq!(hunks_of("append", 3).await[0].0, (8, 3, 8, 6));
    assert_eq!(hunks_of("drop-start", 3).await[0].0, (1, 6, 1, 3));
    assert_eq!(hunks_of("far-apart", 3).await.len(), 3);
    assert_eq!(hunks_of("far-apart", 0).await.len(), 3);
    // Changes 24 lines apart share a hunk once 2·context reaches the gap (git's rule).
    assert_eq!(hunks_of("far-apart", 11).await.len(), 3);
    assert_eq!(hunks_of("far-apart", 12).await.len(), 1);
    let ws = blob("whitespace.after");
    let ws_before = blob("whitespace.before");
    let strict = blob_hunks(&client, Some(&ws_before), &ws, Some(0), false, None).await;
    let loose = blob_hunks(&client, Some(&ws_before), &ws, Some(0), true, None).await;
    assert!(strict.iter().map(|h| h.1.len()).sum::<usize>() > 2);
    assert_eq!(loose.len(), 1, "{loose:?}");
    assert_eq!(
        loose[0].1,
        [("ADD".into(), None, Some(5), "    done();".into())]
    );

    // Paging over hunks: the pages add up to the whole list.
    let (b, a) = (blob("far-apart.before"), blob("far-apart.after"));
    let whole = blob_hunks(&client, Some(&b), &a, Some(0), false, None).await;
    for page in [1, 2] {
        let paged = blob_hunks(&client, Some(&b), &a, Some(0), false, Some(page)).await;
        assert_eq!(paged, whole, "pages of {page}");
    }

    // Sizes, and no before blob: the file was added.
    let out = client
        .get_blob_differences()
        .repository_name("blobs")
        .before_blob_id(&b)
        .after_blob_id(&a)
        .send()
        .await
        .unwrap();
    let size = |id: &str| w.ok(&["cat-file", "-s", id]).parse::<i64>().unwrap();
    assert_eq!(out.before_blob_size(), size(&b));
    assert_eq!(out.after_blob_size(), size(&a));
    assert!(out.next_token().is_none());
    let added = blob("added.txt");
    let empty = w.ok(&["hash-object", "-w", "/dev/null"]);
    let want = parse_git_hunks(&w.raw(&["diff", "-U3", &empty, &added]));
    assert_eq!(want[0].0, (0, 0, 1, 3));
    assert_eq!(
        blob_hunks(&client, None, &added, None, false, None).await,
        want
    );
    let out = client
        .get_blob_differences()
        .repository_name("blobs")
        .after_blob_id(&added)
        .send()
        .await
        .unwrap();
    assert_eq!(out.after_blob_size(), size(&added));
    assert_eq!(out.before_blob_size(), 0);

    // Binary blobs: flagged, no hunks (git says "Binary files … differ").
    let (bb, ba) = (blob("binary.before"), blob("binary.after"));
    assert!(w.raw(&["diff", &bb, &ba]).contains("Binary files"));
    for (before, after) in [
        (&bb, &ba),
        (&blob("text.txt"), &ba),
        (&bb, &blob("text.txt")),
    ] {
        let out = client
            .get_blob_differences()
            .repository_name("blobs")
            .before_blob_id(before)
            .after_blob_id(after)
            .send()
            .await
            .unwrap();
        assert!(out.is_binary());
        assert!(out.hunks().is_empty());
        assert_eq!(out.before_blob_size(), size(before));
        assert_eq!(out.after_blob_size(), size(after));
    }
}

#[tokio::test]
async fn get_blob_differences_errors() {
    let (_server, client, url) = setup("blobs").await;
    let mut w = Work::new(&url);
    w.write("a.txt", numbered(1..=40));
    w.write("big.txt", "x".repeat(6 * 1024 * 1024 + 1));
    let c1 = w.commit("one");
    w.write(
        "a.txt",
        numbered(1..=40)
            .replace("line 2\n", "")
            .replace("line 39\n", ""),
    );
    let c2 = w.commit("two");
    w.push(&["main"]);
    let (b, a) = (w.rev(&format!("{c1}:a.txt")), w.rev(&format!("{c2}:a.txt")));
    let diff = |before: Option<&str>, after: Option<&str>| {
        client
            .get_blob_differences()
            .repository_name("blobs")
            .set_before_blob_id(before.map(str::to_owned))
            .set_after_blob_id(after.map(str::to_owned))
    };
    assert_eq!(
        diff(Some(&b), Some(&a)).send().await.unwrap().hunks().len(),
        2
    );

    assert_err!(diff(Some(&b), None).send().await, "BlobIdRequiredException");
    assert_err!(
        diff(Some(&b), Some("")).send().await,
        "BlobIdRequiredException"
    );
    assert_err!(
        diff(Some(&b), Some("xyz")).send().await,
        "InvalidBlobIdException"
    );
    assert_err!(
        diff(Some(&b), Some(&a[..8])).send().await,
        "InvalidBlobIdException"
    );
    assert_err!(
        diff(Some("xyz"), Some(&a)).send().await,
        "InvalidBlobIdException"
    );
    assert_err!(
        diff(Some(&b), Some(UNKNOWN_ID)).send().await,
        "BlobIdDoesNotExistException"
    );
    assert_err!(
        diff(Some(UNKNOWN_ID), Some(&a)).send().await,
        "BlobIdDoesNotExistException"
    );
    // A commit id is an object, but not a blob.
    assert_err!(
        diff(Some(&b), Some(&c2)).send().await,
        "BlobIdDoesNotExistException"
    );
    let big = w.rev(&format!("{c1}:big.txt"));
    assert_err!(
        diff(Some(&b), Some(&big)).send().await,
        "FileTooLargeException"
    );
    assert_err!(
        diff(Some(&b), Some(&a)).context_lines(-1).send().await,
        "ValidationException"
    );
    assert_err!(
        diff(Some(&b), Some(&a)).max_results(0).send().await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        diff(Some(&b), Some(&a)).max_results(-3).send().await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        diff(Some(&b), Some(&a)).next_token("garbage").send().await,
        "InvalidContinuationTokenException"
    );
    // A token pages only the comparison it came from.
    let token = diff(Some(&b), Some(&a))
        .max_results(1)
        .send()
        .await
        .unwrap()
        .next_token
        .unwrap();
    assert_eq!(
        diff(Some(&b), Some(&a))
            .next_token(&token)
            .send()
            .await
            .unwrap()
            .hunks()
            .len(),
        1
    );
    assert_err!(
        diff(Some(&b), Some(&a))
            .context_lines(0)
            .next_token(&token)
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
    assert_err!(
        client
            .get_blob_differences()
            .repository_name("no-such-repo")
            .after_blob_id(&a)
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert_err!(
        client.get_blob_differences().after_blob_id(&a).send().await,
        "RepositoryNameRequiredException"
    );
}

// ---------------------------------------------------------------------------------------------
// ListFileCommitHistory
// ---------------------------------------------------------------------------------------------

/// (commit id, blob id, path, children) of each version, following `nextToken`.
type Version = (String, String, String, BTreeSet<String>);

async fn history(
    client: &Client,
    repo: &str,
    spec: Option<&str>,
    path: &str,
    page: Option<i32>,
) -> Vec<(Version, Commit)> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_file_commit_history()
            .repository_name(repo)
            .set_commit_specifier(spec.map(str::to_owned))
            .file_path(path)
            .set_max_results(page)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListFileCommitHistory {spec:?} {path}: {e:?}"));
        if let Some(p) = page {
            assert!(out.revision_dag().len() <= p as usize);
        }
        for v in out.revision_dag() {
            let c = v.commit().unwrap().clone();
            all.push((
                (
                    c.commit_id().unwrap().to_owned(),
                    v.blob_id().unwrap().to_owned(),
                    v.path().unwrap().to_owned(),
                    v.revision_children().iter().cloned().collect(),
                ),
                c,
            ));
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return all,
        }
    }
}

#[tokio::test]
async fn list_file_commit_history_follows_the_file() {
    let (_server, client, url) = setup("history").await;
    let mut w = Work::new(&url);
    let ten = numbered(1..=10);
    w.write("f.txt", &ten);
    w.write("other.txt", "other\n");
    let c1 = w.commit("add f");
    w.write("f.txt", ten.replace("line 5\n", "line five\n"));
    let c2 = w.commit("edit f");
    w.write("other.txt", "other 2\n");
    let c3 = w.commit("edit other only");
    w.ok(&["checkout", "-q", "-b", "side", &c2]);
    w.write(
        "f.txt",
        ten.replace("line 5\n", "line five\n")
            .replace("line 1\n", "line one\n"),
    );
    let s1 = w.commit("side edits f");
    w.ok(&["checkout", "-q", "main"]);
    w.write(
        "f.txt",
        ten.replace("line 5\n", "line five\n")
            .replace("line 10\n", "line ten\n"),
    );
    let c4 = w.commit("main edits f");
    let m = w.merge("side", "merge side");
    w.ok(&["mv", "f.txt", "g.txt"]);
    let c5 = w.commit("rename f to g");
    w.write("other.txt", "other 3\n");
    let c6 = w.commit("edit other again");
    w.write("g.txt", "rewritten\n");
    let c7 = w.commit("edit g");
    w.ok(&["tag", "at-c4", &c4]);
    w.push(&["main", "side", "--tags"]);

    let set = |ids: &[&String]| ids.iter().map(|s| (*s).clone()).collect::<BTreeSet<_>>();
    let blob = |c: &str, p: &str| w.rev(&format!("{c}:{p}"));
    let expected: Vec<Version> = vec![
        (c7.clone(), blob(&c7, "g.txt"), "g.txt".into(), set(&[])),
        (c5.clone(), blob(&c5, "g.txt"), "g.txt".into(), set(&[&c7])),
        (m.clone(), blob(&m, "f.txt"), "f.txt".into(), set(&[&c5])),
        (c4.clone(), blob(&c4, "f.txt"), "f.txt".into(), set(&[&m])),
        (s1.clone(), blob(&s1, "f.txt"), "f.txt".into(), set(&[&m])),
        (
            c2.clone(),
            blob(&c2, "f.txt"),
            "f.txt".into(),
            set(&[&c4, &s1]),
        ),
        (c1.clone(), blob(&c1, "f.txt"), "f.txt".into(), set(&[&c2])),
    ];
    // git agrees on which commits are versions of the file (and so neither c3 nor c6 is);
    // `-m` makes `--follow` consider the merge (listed once per parent).
    let mut followed: Vec<String> = w
        .ok(&["log", "--follow", "-m", "--format=%H", "--", "g.txt"])
        .lines()
        .map(str::to_owned)
        .collect();
    followed.dedup();
    assert!(!followed.contains(&c3) && !followed.contains(&c6));

    let full = history(&client, "history", None, "g.txt", None).await;
    let versions: Vec<Version> = full.iter().map(|(v, _)| v.clone()).collect();
    assert_eq!(versions, expected);
    // Newest first, in git's date order.
    assert_eq!(
        versions.iter().map(|v| &v.0).collect::<Vec<_>>(),
        followed.iter().collect::<Vec<_>>()
    );
    // Full commit objects, as GetCommit shows them.
    for (v, c) in &full {
        assert_eq!(*c, get_commit(&client, "history", &v.0).await);
    }
    assert_eq!(full[2].1.parents(), [c4.clone(), s1.clone()]);

    // Paging to the end gives the same list.
    for page in [1, 2, 3] {
        let paged = history(&client, "history", None, "g.txt", Some(page)).await;
        let paged: Vec<Version> = paged.into_iter().map(|(v, _)| v).collect();
        assert_eq!(paged, expected, "pages of {page}");
    }

    // Every kind of specifier; an older start sees only the older versions.
    for spec in ["main", "HEAD", "refs/heads/main", c7.as_str()] {
        let got = history(&client, "history", Some(spec), "g.txt", None).await;
        assert_eq!(got.len(), expected.len(), "{spec}");
    }
    let at_c4: Vec<Version> = history(&client, "history", Some("at-c4"), "f.txt", None)
        .await
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    let older = w.ok(&["log", "--format=%H", "at-c4", "--", "f.txt"]);
    assert_eq!(
        at_c4.iter().map(|v| v.0.as_str()).collect::<Vec<_>>(),
        older.lines().collect::<Vec<_>>()
    );
    assert_eq!(at_c4[0].3, BTreeSet::new(), "nothing newer from c4's view");
    assert_eq!(at_c4[1].3, set(&[&c4]));
    let side: Vec<String> = history(&client, "history", Some("side"), "f.txt", None)
        .await
        .into_iter()
        .map(|(v, _)| v.0)
        .collect();
    assert_eq!(side, [s1.clone(), c2.clone(), c1.clone()]);
    // A file of the old name at a commit where it no longer exists has no history there.
    let other = history(&client, "history", None, "other.txt", None).await;
    assert_eq!(
        other.iter().map(|(v, _)| v.0.as_str()).collect::<Vec<_>>(),
        [c6.as_str(), c3.as_str(), c1.as_str()]
    );
    let leading_slash = history(&client, "history", None, "/g.txt", None).await;
    assert_eq!(leading_slash.len(), expected.len());
}

#[tokio::test]
async fn list_file_commit_history_errors() {
    let (_server, client, url) = setup("history").await;
    let mut w = Work::new(&url);
    for i in 0..3 {
        w.write("f.txt", format!("{i}\n"));
        w.commit(&format!("commit {i}"));
    }
    w.push(&["main"]);
    let list = || client.list_file_commit_history().repository_name("history");
    // The model lists no path exceptions: a path the commit does not have has no versions.
    let out = list().file_path("missing.txt").send().await.unwrap();
    assert!(out.revision_dag().is_empty());
    assert!(out.next_token().is_none());

    assert_err!(
        list()
            .commit_specifier("no-such-branch")
            .file_path("f.txt")
            .send()
            .await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        list()
            .commit_specifier(UNKNOWN_ID)
            .file_path("f.txt")
            .send()
            .await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        list()
            .commit_specifier("bad..name")
            .file_path("f.txt")
            .send()
            .await,
        "InvalidCommitException"
    );
    assert_err!(list().send().await, "PathRequiredException");
    assert_err!(
        list().file_path("a/../../x").send().await,
        "InvalidPathException"
    );
    assert_err!(
        list().file_path("f.txt").max_results(0).send().await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        list().file_path("f.txt").max_results(-1).send().await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        list().file_path("f.txt").next_token("garbage").send().await,
        "InvalidContinuationTokenException"
    );
    let token = list()
        .file_path("f.txt")
        .max_results(1)
        .send()
        .await
        .unwrap()
        .next_token
        .unwrap();
    assert_eq!(
        list()
            .file_path("f.txt")
            .next_token(&token)
            .send()
            .await
            .unwrap()
            .revision_dag()
            .len(),
        2
    );
    assert_err!(
        client
            .list_file_commit_history()
            .repository_name("no-such-repo")
            .file_path("f.txt")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );

    // An empty repository has no default branch: no commit to start from.
    create_repo(&client, "empty").await;
    assert_err!(
        client
            .list_file_commit_history()
            .repository_name("empty")
            .file_path("f.txt")
            .send()
            .await,
        "CommitDoesNotExistException"
    );
}
