//! Branches: create, get, list (paging to the end) and delete.

use super::*;
use crate::assert_err;
use crate::common::*;
use std::collections::BTreeSet;

#[tokio::test]
async fn branches_create_get_list_delete() {
    let (_server, client, url) = server_with("br").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a.txt", "a\n")], &[("b.txt", "b\n")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    let first = git.ok(&work, &["rev-parse", "HEAD~1"]);
    git.ok(&work, &["push", "-q", "origin", "HEAD:refs/heads/pushed"]);

    // CreateBranch at an older commit: git sees it, the default branch does not change.
    client
        .create_branch()
        .repository_name("br")
        .branch_name("feature/x")
        .commit_id(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(
        git.remote_ref(&url, "refs/heads/feature/x").as_deref(),
        Some(first.as_str())
    );
    assert_eq!(get_repo(&client, "br").await.default_branch(), Some("main"));
    assert_eq!(tip(&client, "br", "feature/x").await, first);
    let b = client
        .get_branch()
        .repository_name("br")
        .branch_name("main")
        .send()
        .await
        .unwrap();
    let b = b.branch().unwrap();
    assert_eq!(b.branch_name(), Some("main"));
    assert_eq!(b.commit_id(), Some(head.as_str()));

    // Errors of CreateBranch.
    let create = |name: &str, commit: &str| {
        client
            .create_branch()
            .repository_name("br")
            .branch_name(name)
            .commit_id(commit)
            .send()
    };
    assert_err!(
        create("feature/x", &head).await,
        "BranchNameExistsException"
    );
    assert_err!(create("main", &head).await, "BranchNameExistsException");
    for bad in [
        "a..b",
        "x.lock",
        "a/b.lock",
        "/a",
        "a/",
        "a.",
        ".a",
        "@",
        "a//b",
        "a@{b",
        "0123456789abcdef0123456789abcdef01234567",
        "a b",
        "a~b",
        "a^b",
        "a:b",
        "a?b",
        "a*b",
        "a[b",
        "a\\b",
        "a\tb",
        &"n".repeat(257),
    ] {
        assert_err!(create(bad, &head).await, "InvalidBranchNameException");
    }
    assert_err!(create("", &head).await, "BranchNameRequiredException");
    assert_err!(
        client
            .create_branch()
            .repository_name("br")
            .commit_id(&head)
            .send()
            .await,
        "BranchNameRequiredException"
    );
    assert_err!(
        client
            .create_branch()
            .repository_name("br")
            .branch_name("nocommit")
            .send()
            .await,
        "CommitIdRequiredException"
    );
    assert_err!(create("nocommit", "").await, "CommitIdRequiredException");
    for bad in ["not-a-commit", &head[..7], &format!("{head}0"), "main"] {
        assert_err!(create("badid", bad).await, "InvalidCommitIdException");
    }
    assert_err!(
        create("unknown", MISSING_COMMIT).await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        client
            .create_branch()
            .repository_name("nope")
            .branch_name("x")
            .commit_id(&head)
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    // Nothing above created a branch.
    let names: BTreeSet<String> = client
        .list_branches()
        .repository_name("br")
        .send()
        .await
        .unwrap()
        .branches()
        .iter()
        .cloned()
        .collect();
    let expected: BTreeSet<String> = ["feature/x", "main", "pushed"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, expected);
    assert_err!(
        client
            .list_branches()
            .repository_name("br")
            .next_token("garbage-token!!")
            .send()
            .await,
        "InvalidContinuationTokenException"
    );

    // GetBranch of a missing branch.
    assert_err!(
        client
            .get_branch()
            .repository_name("br")
            .branch_name("missing")
            .send()
            .await,
        "BranchDoesNotExistException"
    );

    // DeleteBranch returns what it deleted; git no longer sees it.
    let out = client
        .delete_branch()
        .repository_name("br")
        .branch_name("pushed")
        .send()
        .await
        .unwrap();
    let deleted = out.deleted_branch().unwrap();
    assert_eq!(deleted.branch_name(), Some("pushed"));
    assert_eq!(deleted.commit_id(), Some(head.as_str()));
    assert_eq!(git.remote_ref(&url, "refs/heads/pushed"), None);
    assert_err!(
        client
            .get_branch()
            .repository_name("br")
            .branch_name("pushed")
            .send()
            .await,
        "BranchDoesNotExistException"
    );
    assert_err!(
        client
            .delete_branch()
            .repository_name("br")
            .branch_name("main")
            .send()
            .await,
        "DefaultBranchCannotBeDeletedException"
    );
    assert!(git.remote_ref(&url, "refs/heads/main").is_some());
    // The API-created branch is deleted the same way.
    let out = client
        .delete_branch()
        .repository_name("br")
        .branch_name("feature/x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.deleted_branch().unwrap().commit_id(),
        Some(first.as_str())
    );
    let refs: Vec<String> = git.ls_remote(&url).into_iter().map(|(n, _)| n).collect();
    assert!(
        !refs.iter().any(|r| r.starts_with("refs/heads/feature")),
        "{refs:?}"
    );
}

#[tokio::test]
async fn list_branches_pages_to_the_end() {
    let (_server, client, url) = server_with("many").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a.txt", "a\n")]]);
    let count = 1205;
    let stdin: String = (0..count)
        .map(|i| format!("create refs/heads/b/{i:05} HEAD\n"))
        .collect();
    git.ok_with_input(&work, &["update-ref", "--stdin"], stdin.as_bytes());
    git.ok(
        &work,
        &["push", "-q", "origin", "refs/heads/b/*:refs/heads/b/*"],
    );

    let mut seen = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_branches()
            .repository_name("many")
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(out.branches().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
        assert!(pages < 100, "paging does not end");
    }
    assert!(pages >= 2, "{count} branches fit one page");
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a branch appears twice");
    let mut expected: BTreeSet<String> = (0..count).map(|i| format!("b/{i:05}")).collect();
    expected.insert("main".into());
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
}
