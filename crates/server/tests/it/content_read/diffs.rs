//! GetDifferences against git diff, and its errors.

use super::*;
use crate::assert_err;
use crate::common::*;
use aws_sdk_codecommit::types::Difference;
use std::collections::{BTreeSet, HashMap};

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
    let (_server, client, url) = server_with("diffs").await;
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
    let (_server, client, url) = server_with("diff-errors").await;
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
