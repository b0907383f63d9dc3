//! ListFileCommitHistory following a file, and its errors.

use super::*;
use crate::assert_err;
use crate::common::*;
use std::collections::BTreeSet;

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
    let (_server, client, url) = server_with("history").await;
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

/// Pages of a file whose versions form one chain (a rename on the way): the first pages are
/// answered before the rest of the history is walked, and must be exactly the pages of the
/// whole listing. Each page size starts from its own commit, so no walk is remembered from
/// another page size.
#[tokio::test]
async fn list_file_commit_history_pages_of_a_chain() {
    let (_server, client, url) = server_with("chain").await;
    let mut w = Work::new(&url);
    let mut ids = Vec::new();
    for i in 0..9 {
        w.write("f.txt", format!("version {i}\n"));
        if i % 3 == 0 {
            w.write("other.txt", format!("other {i}\n"));
        }
        ids.push(w.commit(&format!("f {i}")));
        w.write("other.txt", format!("other only {i}\n"));
        w.commit(&format!("other {i}"));
    }
    w.ok(&["mv", "f.txt", "g.txt"]);
    ids.push(w.commit("rename f to g"));
    for i in 0..3 {
        w.write("g.txt", format!("g {i}\n"));
        ids.push(w.commit(&format!("g {i}")));
    }
    ids.reverse();
    let mut starts = Vec::new();
    for i in 0..5 {
        w.write("other.txt", format!("after {i}\n"));
        starts.push(w.commit(&format!("after {i}")));
    }
    w.push(&["main"]);

    let expected_paths: Vec<&str> = (0..ids.len())
        .map(|k| if k < 4 { "g.txt" } else { "f.txt" })
        .collect();
    for (page, start) in (1..=5).zip(&starts) {
        let paged = history(&client, "chain", Some(start), "g.txt", Some(page)).await;
        let commits: Vec<&str> = paged.iter().map(|(v, _)| v.0.as_str()).collect();
        assert_eq!(
            commits,
            ids.iter().map(String::as_str).collect::<Vec<_>>(),
            "pages of {page}"
        );
        let paths: Vec<&str> = paged.iter().map(|(v, _)| v.2.as_str()).collect();
        assert_eq!(paths, expected_paths, "pages of {page}");
        for (k, (v, _)) in paged.iter().enumerate() {
            let children: BTreeSet<String> = ids[..k].last().cloned().into_iter().collect();
            assert_eq!(v.3, children, "children of version {k}, pages of {page}");
            assert_eq!(v.1, w.rev(&format!("{}:{}", v.0, v.2)));
        }
        // Asked whole afterwards (remembered or walked again), the same list.
        let whole = history(&client, "chain", Some(start), "g.txt", None).await;
        assert_eq!(
            whole.into_iter().map(|(v, _)| v).collect::<Vec<_>>(),
            paged.into_iter().map(|(v, _)| v).collect::<Vec<_>>()
        );
    }
    // The first page alone says there is more, and the next page follows on.
    let first = client
        .list_file_commit_history()
        .repository_name("chain")
        .file_path("g.txt")
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.revision_dag().len(), 2);
    assert!(first.next_token().is_some());
}

/// Pages across a merge where both sides changed the file: below the merge the two sides
/// interleave by date, so no page may be answered from one side walked alone.
#[tokio::test]
async fn list_file_commit_history_pages_across_a_merge() {
    let (_server, client, url) = server_with("merged").await;
    let mut w = Work::new(&url);
    let ten = numbered(1..=10);
    w.write("h.txt", &ten);
    w.commit("base");
    w.ok(&["checkout", "-q", "-b", "side"]);
    w.write("h.txt", ten.replace("line 9\n", "line nine\n"));
    w.commit("side 1");
    w.write("h.txt", ten.replace("line 9\n", "line 9!\n"));
    w.commit("side 2");
    w.ok(&["checkout", "-q", "main"]);
    w.write("h.txt", ten.replace("line 1\n", "line one\n"));
    w.commit("main 1");
    w.merge("side", "merge side");
    for i in 0..2 {
        w.write("h.txt", format!("{ten}after {i}\n"));
        w.commit(&format!("after {i}"));
    }
    let mut starts = Vec::new();
    for i in 0..4 {
        w.write("other.txt", format!("{i}\n"));
        starts.push(w.commit(&format!("other {i}")));
    }
    w.push(&["main", "side"]);
    let log = w.ok(&["log", "--format=%H", "main", "--", "h.txt"]);
    let expected: Vec<&str> = log.lines().collect();
    assert_eq!(expected.len(), 7);
    for (page, start) in (1..=4).zip(&starts) {
        let paged = history(&client, "merged", Some(start), "h.txt", Some(page)).await;
        let commits: Vec<&str> = paged.iter().map(|(v, _)| v.0.as_str()).collect();
        assert_eq!(commits, expected, "pages of {page}");
        let whole = history(&client, "merged", Some(start), "h.txt", None).await;
        assert_eq!(
            whole.into_iter().map(|(v, _)| v).collect::<Vec<_>>(),
            paged.into_iter().map(|(v, _)| v).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn list_file_commit_history_errors() {
    let (_server, client, url) = server_with("history").await;
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
