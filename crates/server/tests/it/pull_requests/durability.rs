//! The real binary: pull-request bookkeeping of an acknowledged push survives `kill -9`, and
//! a ref that moved without its bookkeeping (a crash in between) is caught up at startup.

use super::*;
use crate::common::process::Process;
use crate::persistence::data_dir;

fn git_in(git: &crate::common::git::Git, dir: &std::path::Path, args: &[&str]) -> String {
    git.ok(dir, args)
}

#[tokio::test]
async fn pushes_acknowledged_before_kill_9_are_in_their_pull_requests() {
    let (_tmp, data) = data_dir();
    let server = Process::start(&data);
    let client = server.client();
    create_repo(&client, REPO).await;
    let url = server.clone_url(REPO);
    let git = crate::common::git::Git::new();
    let dir = git.push_new(&url, "work", &[&[("a", "a")]]);
    git_in(&git, &dir, &["checkout", "-q", "-b", "feature"]);
    git.commit_file(&dir, "f", "1", "one");
    git_in(&git, &dir, &["push", "-q", "origin", "feature"]);
    let pr = create_with(&client, REPO, "feature", None, "durable").await;
    let tip = git.commit_file(&dir, "f", "2", "two");
    git_in(&git, &dir, &["push", "-q", "origin", "feature"]);
    server.kill();

    let server = Process::start(&data);
    let client = server.client();
    let after = get(&client, &id(&pr)).await;
    assert_eq!(target(&after).source_commit(), Some(tip.as_str()));
    assert_ne!(after.revision_id(), pr.revision_id());
    assert_eq!(all_events(&client, &id(&pr), None, None).await.len(), 2);
    // Merged by a fast-forward push, then killed: still merged after the restart.
    git_in(
        &git,
        &dir,
        &["remote", "set-url", "origin", &server.clone_url(REPO)],
    );
    git_in(&git, &dir, &["push", "-q", "origin", "feature:main"]);
    server.kill();
    let server = Process::start(&data);
    let client = server.client();
    let done = get(&client, &id(&pr)).await;
    assert!(merged(&done));
    assert_eq!(
        done.pull_request_status(),
        Some(&PullRequestStatusEnum::Closed)
    );
    server.kill();
}

#[tokio::test]
async fn startup_catches_open_pull_requests_up_with_their_branches() {
    let (_tmp, data) = data_dir();
    let server = Process::start(&data);
    let client = server.client();
    let md = create_repo(&client, REPO).await;
    let url = server.clone_url(REPO);
    let git = crate::common::git::Git::new();
    let dir = git.push_new(&url, "work", &[&[("a", "a")]]);
    git_in(&git, &dir, &["checkout", "-q", "-b", "feature"]);
    git.commit_file(&dir, "f", "1", "one");
    git_in(&git, &dir, &["push", "-q", "origin", "feature"]);
    let pr = create_with(&client, REPO, "feature", None, "behind").await;
    // A commit the server has, on another branch.
    let next = git.commit_file(&dir, "f", "2", "two");
    git_in(
        &git,
        &dir,
        &["push", "-q", "origin", "HEAD:refs/heads/parking"],
    );
    server.kill();
    // The source moves while no server runs, as if a crash cut off the bookkeeping.
    let bare = data
        .join("repos")
        .join(format!("{}.git", md.repository_id().unwrap()));
    git.ok(&bare, &["update-ref", "refs/heads/feature", &next]);
    let server = Process::start(&data);
    let client = server.client();
    let after = get(&client, &id(&pr)).await;
    assert_eq!(target(&after).source_commit(), Some(next.as_str()));
    let events = all_events(&client, &id(&pr), None, None).await;
    assert_eq!(
        types(&events),
        [
            PullRequestEventType::PullRequestCreated,
            PullRequestEventType::PullRequestSourceReferenceUpdated
        ]
    );
    assert_eq!(events[1].actor_arn(), Some(ROOT_ARN));
    server.kill();
}
