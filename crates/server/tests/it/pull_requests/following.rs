//! Open pull requests follow their branches, from pushes and API writes alike: new revisions,
//! destination and merge base, merged by a fast-forward push, closed by branch deletion;
//! repository renames and deletions.

use super::*;
use crate::assert_err;
use aws_sdk_codecommit::primitives::Blob;
use codecommit_local::events::Event;
use codecommit_local::events::payload::PullRequestEventKind;

#[tokio::test]
async fn a_push_to_the_source_is_a_new_revision_and_the_destination_follows() {
    let w = world().await;
    let main0 = w.remote("main").unwrap();
    let c1 = w.branch("feature", "main", "f.txt", "1\n");
    let mut published = w.server.state.events.subscribe_events();
    let pr = w.create("feature", None).await;
    let pid = id(&pr);

    // Push to the source: a new revision, logged with the commits before and after.
    let c2 = w.commit("feature", "f.txt", "2\n");
    let after = w.get(&pid).await;
    assert_ne!(after.revision_id(), pr.revision_id());
    assert_eq!(target(&after).source_commit(), Some(c2.as_str()));
    assert_eq!(target(&after).merge_base(), Some(main0.as_str()));
    assert!(secs(after.last_activity_date()) >= secs(pr.last_activity_date()));
    let events = w.events(&pid).await;
    assert_eq!(
        types(&events),
        [
            PullRequestEventType::PullRequestCreated,
            PullRequestEventType::PullRequestSourceReferenceUpdated
        ]
    );
    let m = events[1]
        .pull_request_source_reference_updated_event_metadata()
        .unwrap();
    assert_eq!(m.repository_name(), Some(REPO));
    assert_eq!(m.before_commit_id(), Some(c1.as_str()));
    assert_eq!(m.after_commit_id(), Some(c2.as_str()));
    assert_eq!(m.merge_base(), Some(main0.as_str()));
    assert_eq!(events[1].actor_arn(), Some(ROOT_ARN));

    // An API write to the source is a revision too, by the caller.
    let (bob, bob_arn) = w
        .server
        .assume_role("arn:aws:iam::000000000000:role/Dev", "bob")
        .await;
    let put = bob
        .put_file()
        .repository_name(REPO)
        .branch_name("feature")
        .parent_commit_id(&c2)
        .file_path("api.txt")
        .file_content(Blob::new("api"))
        .send()
        .await
        .unwrap();
    let c3 = put.commit_id().to_owned();
    let after_api = w.get(&pid).await;
    assert_eq!(target(&after_api).source_commit(), Some(c3.as_str()));
    assert_ne!(after_api.revision_id(), after.revision_id());
    let events = w.events(&pid).await;
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].actor_arn(), Some(bob_arn.as_str()));
    w.g(&["pull", "-q", "--ff-only", "origin", "feature"]);

    // The destination moves to a commit inside the source's history: destinationCommit and
    // mergeBase follow, no revision, no event, still open (the source tip is not merged).
    w.g(&["push", "-q", "origin", &format!("{c1}:refs/heads/main")]);
    let moved = w.get(&pid).await;
    assert!(is_open(&moved));
    assert_eq!(moved.revision_id(), after_api.revision_id());
    assert_eq!(target(&moved).destination_commit(), Some(c1.as_str()));
    assert_eq!(target(&moved).merge_base(), Some(c1.as_str()));
    assert_eq!(w.events(&pid).await.len(), 3);

    // An unrelated commit on the destination: the base stays, the destination follows.
    w.g(&["checkout", "-q", "-B", "main", &c1]);
    let d1 = w.commit("main", "m.txt", "m\n");
    let moved = w.get(&pid).await;
    assert_eq!(target(&moved).destination_commit(), Some(d1.as_str()));
    assert_eq!(target(&moved).merge_base(), Some(c1.as_str()));
    assert!(is_open(&moved));

    // Everything that changed the pull request was published on the internal stream.
    let mut kinds = Vec::new();
    while let Ok(e) = published.try_recv() {
        if let Event::PullRequest(p) = &*e {
            assert_eq!(
                p.pull_request.pull_request_id.as_deref(),
                Some(pid.as_str())
            );
            kinds.push(p.kind);
        }
    }
    assert_eq!(
        kinds,
        [
            PullRequestEventKind::Created,
            PullRequestEventKind::SourceBranchUpdated,
            PullRequestEventKind::SourceBranchUpdated
        ]
    );
}

#[tokio::test]
async fn a_fast_forward_push_of_the_destination_merges_and_closes() {
    let w = world().await;
    let main0 = w.remote("main").unwrap();
    w.branch("feature", "main", "f.txt", "1\n");
    let tip = w.commit("feature", "f.txt", "2\n");
    let pr = w.create("feature", None).await;
    let pid = id(&pr);
    // A second pull request from the same source to another branch is not affected.
    w.g(&["branch", "-f", "release", &main0]);
    w.push(&["release"]);
    let other = w.create("feature", Some("release")).await;

    // Merge locally by fast-forward and push as the Git user carol, plus one commit on top.
    w.g(&["checkout", "-q", "main"]);
    w.g(&["merge", "-q", "--ff-only", "feature"]);
    let on_top = w.git.commit_file(&w.dir, "top.txt", "t\n", "on top");
    w.push_as("carol", &["main"]);
    assert_eq!(w.remote("main").as_deref(), Some(on_top.as_str()));

    let done = w.get(&pid).await;
    assert_eq!(
        done.pull_request_status(),
        Some(&PullRequestStatusEnum::Closed)
    );
    let t = target(&done);
    let mm = t.merge_metadata().unwrap();
    assert!(mm.is_merged());
    assert_eq!(mm.merged_by(), Some(user_arn("carol").as_str()));
    assert_eq!(
        mm.merge_option(),
        Some(&MergeOptionTypeEnum::FastForwardMerge)
    );
    assert_eq!(mm.merge_commit_id(), None);
    // The target keeps the commits it was merged at.
    assert_eq!(t.source_commit(), Some(tip.as_str()));
    assert_eq!(t.destination_commit(), Some(main0.as_str()));
    let events = w.events(&pid).await;
    assert_eq!(
        types(&events),
        [
            PullRequestEventType::PullRequestCreated,
            PullRequestEventType::PullRequestMergeStateChanged,
            PullRequestEventType::PullRequestStatusChanged
        ]
    );
    let m = events[1]
        .pull_request_merged_state_changed_event_metadata()
        .unwrap();
    assert_eq!(m.repository_name(), Some(REPO));
    assert_eq!(m.destination_reference(), Some("refs/heads/main"));
    assert!(m.merge_metadata().unwrap().is_merged());
    assert_eq!(events[1].actor_arn(), Some(user_arn("carol").as_str()));
    assert!(is_open(&w.get(&id(&other)).await));
}

#[tokio::test]
async fn a_pushed_three_way_merge_leaves_the_pull_request_open() {
    let w = world().await;
    w.branch("feature", "main", "f.txt", "f\n");
    let pr = w.create("feature", None).await;
    // main diverges, then a local merge commit of feature is pushed: not a fast-forward.
    w.commit("main", "m.txt", "m\n");
    w.g(&["checkout", "-q", "main"]);
    w.g(&["merge", "-q", "--no-edit", "feature"]);
    let merge = w.g(&["rev-parse", "HEAD"]);
    w.push(&["main"]);
    let after = w.get(&id(&pr)).await;
    assert!(is_open(&after), "{after:?}");
    assert!(!merged(&after));
    assert_eq!(target(&after).destination_commit(), Some(merge.as_str()));
    // Everything of the source is in the destination now.
    assert_eq!(target(&after).merge_base(), target(&after).source_commit());
}

#[tokio::test]
async fn deleting_the_source_or_the_destination_closes() {
    let w = world().await;
    w.branch("gone-by-push", "main", "a.txt", "a\n");
    w.branch("dest", "main", "d.txt", "d\n");
    w.branch("src", "main", "s.txt", "s\n");
    let a = w.create("gone-by-push", None).await;
    let b = w.create("src", Some("dest")).await;
    w.push_as("dave", &["--delete", "gone-by-push"]);
    let a = w.get(&id(&a)).await;
    assert_eq!(
        a.pull_request_status(),
        Some(&PullRequestStatusEnum::Closed)
    );
    assert!(!merged(&a));
    let events = w.events(&id(&a)).await;
    assert_eq!(
        types(&events),
        [
            PullRequestEventType::PullRequestCreated,
            PullRequestEventType::PullRequestStatusChanged
        ]
    );
    assert_eq!(events[1].actor_arn(), Some(user_arn("dave").as_str()));
    // DeleteBranch of the destination.
    w.client
        .delete_branch()
        .repository_name(REPO)
        .branch_name("dest")
        .send()
        .await
        .unwrap();
    let b = w.get(&id(&b)).await;
    assert_eq!(
        b.pull_request_status(),
        Some(&PullRequestStatusEnum::Closed)
    );
    // Recreating the branch does not reopen it.
    w.push(&["src:refs/heads/dest"]);
    assert_eq!(
        w.get(&id(&b)).await.pull_request_status(),
        Some(&PullRequestStatusEnum::Closed)
    );
}

#[tokio::test]
async fn renamed_repositories_keep_their_pull_requests_and_deleted_ones_take_them() {
    let w = world().await;
    w.branch("feature", "main", "f.txt", "f\n");
    let pr = w.create("feature", None).await;
    w.client
        .update_repository_name()
        .old_name(REPO)
        .new_name("renamed")
        .send()
        .await
        .unwrap();
    let after = w.get(&id(&pr)).await;
    assert_eq!(target(&after).repository_name(), Some("renamed"));
    let listed = w
        .client
        .list_pull_requests()
        .repository_name("renamed")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.pull_request_ids(), [id(&pr)]);
    let events = w.events(&id(&pr)).await;
    assert_eq!(
        events[0]
            .pull_request_created_event_metadata()
            .unwrap()
            .repository_name(),
        Some("renamed")
    );
    // Merging names the repository by its new name; the old one is gone.
    assert_err!(
        w.client
            .merge_pull_request_by_fast_forward()
            .pull_request_id(id(&pr))
            .repository_name(REPO)
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    // Pushes under the new name still reach it.
    let new_url = w.server.clone_url("renamed");
    w.g(&["remote", "set-url", "origin", &new_url]);
    let tip = w.commit("feature", "g.txt", "g\n");
    assert_eq!(
        target(&w.get(&id(&pr)).await).source_commit(),
        Some(tip.as_str())
    );

    // A deleted repository takes its pull requests; a new one of that name starts empty and
    // ids are not reused.
    w.client
        .delete_repository()
        .repository_name("renamed")
        .send()
        .await
        .unwrap();
    assert_err!(
        w.client
            .get_pull_request()
            .pull_request_id(id(&pr))
            .send()
            .await,
        "PullRequestDoesNotExistException"
    );
    create_repo(&w.client, "renamed").await;
    let g = crate::common::git::Git::new();
    let dir = g.push_new(&new_url, "again", &[&[("a", "a")]]);
    g.ok(&dir, &["push", "-q", "origin", "main:refs/heads/topic2"]);
    g.commit_file(&dir, "b", "b", "b");
    g.ok(&dir, &["push", "-q", "origin", "HEAD:refs/heads/topic2"]);
    let listed = w
        .client
        .list_pull_requests()
        .repository_name("renamed")
        .send()
        .await
        .unwrap();
    assert!(listed.pull_request_ids().is_empty());
    let pr2 = create_with(&w.client, "renamed", "topic2", None, "again").await;
    assert_eq!(pr2.pull_request_id(), Some("2"));
}
