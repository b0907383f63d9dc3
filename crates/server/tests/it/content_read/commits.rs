//! GetCommit and BatchGetCommits against git.

use super::*;
use crate::assert_err;
use crate::common::*;
use std::collections::HashMap;

/// The message exactly as git stored it: everything after the header's blank line.
fn stored_message(w: &Work, id: &str) -> String {
    let raw = w.raw(&["cat-file", "commit", id]);
    raw.split_once("\n\n").map(|(_, m)| m.to_owned()).unwrap()
}

#[tokio::test]
async fn get_commit_matches_git() {
    let (_server, client, url) = server_with("commits").await;
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
    let (_server, client, url) = server_with("batch").await;
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
