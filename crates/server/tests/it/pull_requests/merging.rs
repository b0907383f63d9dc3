//! MergePullRequestByFastForward, BySquash and ByThreeWay: the same trees and parents as the
//! branch merges of the same commits, the pull request closed as merged, and every refusal
//! with nothing written.

use super::*;
use crate::assert_err;
use aws_sdk_codecommit::types::{
    ConflictDetailLevelTypeEnum, ConflictResolutionStrategyTypeEnum, MergeMetadata,
};

/// A pull request from `src` (one commit on a.txt) into `dst` (one commit on b.txt), both off
/// main: mergeable by squash and three-way, not by fast-forward.
async fn diverged(w: &World, name: &str) -> (PullRequest, String, String) {
    let src = w.branch(
        &format!("{name}-src"),
        "main",
        "a.txt",
        &format!("{name} a\n"),
    );
    let dst = w.branch(
        &format!("{name}-dst"),
        "main",
        "b.txt",
        &format!("{name} b\n"),
    );
    let pr = w
        .create(&format!("{name}-src"), Some(&format!("{name}-dst")))
        .await;
    (pr, src, dst)
}

fn tree_of(w: &World, commit: &str) -> String {
    w.g(&["fetch", "-q", "origin"]);
    w.g(&["rev-parse", &format!("{commit}^{{tree}}")])
}

fn parents(w: &World, commit: &str) -> Vec<String> {
    w.g(&["fetch", "-q", "origin"]);
    w.g(&["log", "-1", "--format=%P", commit])
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn assert_merged(pr: &PullRequest, by: &str, option: MergeOptionTypeEnum) -> MergeMetadata {
    assert_eq!(
        pr.pull_request_status(),
        Some(&PullRequestStatusEnum::Closed)
    );
    let mm = target(pr).merge_metadata().unwrap().clone();
    assert!(mm.is_merged());
    assert_eq!(mm.merged_by(), Some(by));
    assert_eq!(mm.merge_option(), Some(&option));
    mm
}

#[tokio::test]
async fn fast_forward_moves_the_destination_to_the_source() {
    let w = world().await;
    let main0 = w.remote("main").unwrap();
    let tip = w.branch("feature", "main", "f.txt", "f\n");
    let pr = w.create("feature", None).await;
    let (bob, bob_arn) = w
        .server
        .assume_role("arn:aws:iam::000000000000:role/Dev", "bob")
        .await;
    let mut refs = w.server.state.events.subscribe();
    let out = bob
        .merge_pull_request_by_fast_forward()
        .pull_request_id(id(&pr))
        .repository_name(REPO)
        .source_commit_id(&tip)
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    let mm = assert_merged(&out, &bob_arn, MergeOptionTypeEnum::FastForwardMerge);
    assert_eq!(mm.merge_commit_id(), None);
    assert_eq!(target(&out).source_commit(), Some(tip.as_str()));
    assert_eq!(target(&out).destination_commit(), Some(main0.as_str()));
    assert_eq!(w.remote("main").as_deref(), Some(tip.as_str()));
    assert_eq!(w.get(&id(&pr)).await, out);
    // The ref move went through the spine like any other.
    let change = refs.try_recv().unwrap();
    assert_eq!(change.ref_name, "refs/heads/main");
    assert_eq!(change.new.as_deref(), Some(tip.as_str()));
    let events = w.events(&id(&pr)).await;
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
    assert_eq!(m.destination_reference(), Some("refs/heads/main"));
    assert_eq!(m.merge_metadata(), Some(&mm));
    assert_eq!(events[1].actor_arn(), Some(bob_arn.as_str()));
    // Merged is closed: nothing more.
    assert_err!(
        w.client
            .merge_pull_request_by_fast_forward()
            .pull_request_id(id(&pr))
            .repository_name(REPO)
            .send()
            .await,
        "PullRequestAlreadyClosedException"
    );
}

#[tokio::test]
async fn squash_and_three_way_write_what_the_branch_merges_write() {
    let w = world().await;
    for three_way in [false, true] {
        let name = if three_way { "tw" } else { "sq" };
        let (pr, src, dst) = diverged(&w, name).await;
        // The branch merge of the same commits, onto a copy of the destination.
        let copy = format!("{name}-copy");
        w.client
            .create_branch()
            .repository_name(REPO)
            .branch_name(&copy)
            .commit_id(&dst)
            .send()
            .await
            .unwrap();
        let branch_tree = if three_way {
            w.client
                .merge_branches_by_three_way()
                .repository_name(REPO)
                .source_commit_specifier(&src)
                .destination_commit_specifier(&copy)
                .send()
                .await
                .unwrap()
                .tree_id
                .unwrap()
        } else {
            w.client
                .merge_branches_by_squash()
                .repository_name(REPO)
                .source_commit_specifier(&src)
                .destination_commit_specifier(&copy)
                .send()
                .await
                .unwrap()
                .tree_id
                .unwrap()
        };
        let out = if three_way {
            w.client
                .merge_pull_request_by_three_way()
                .pull_request_id(id(&pr))
                .repository_name(REPO)
                .commit_message("merged by PR")
                .author_name("Merger")
                .email("merger@example.com")
                .send()
                .await
                .unwrap()
                .pull_request
                .unwrap()
        } else {
            w.client
                .merge_pull_request_by_squash()
                .pull_request_id(id(&pr))
                .repository_name(REPO)
                .send()
                .await
                .unwrap()
                .pull_request
                .unwrap()
        };
        let option = if three_way {
            MergeOptionTypeEnum::ThreeWayMerge
        } else {
            MergeOptionTypeEnum::SquashMerge
        };
        let mm = assert_merged(&out, ROOT_ARN, option);
        let commit = mm.merge_commit_id().unwrap().to_owned();
        let dst_branch = format!("{name}-dst");
        assert_eq!(w.remote(&dst_branch).as_deref(), Some(commit.as_str()));
        assert_eq!(tree_of(&w, &commit), branch_tree);
        let expected_parents = if three_way {
            vec![dst.clone(), src.clone()]
        } else {
            vec![dst.clone()]
        };
        assert_eq!(parents(&w, &commit), expected_parents);
        if three_way {
            assert_eq!(
                w.g(&["log", "-1", "--format=%an <%ae>|%s", &commit]),
                "Merger <merger@example.com>|merged by PR"
            );
        }
        // What `git log` shows on the destination after pulling.
        let log = w.g(&["log", "--format=%H", &format!("origin/{dst_branch}")]);
        assert!(log.lines().any(|l| l == dst));
        assert_eq!(log.lines().any(|l| l == src), three_way);
    }
}

#[tokio::test]
async fn refusals_write_nothing() {
    let w = world().await;
    let (pr, src, dst) = diverged(&w, "d").await;
    let pid = id(&pr);
    create_repo(&w.client, "other").await;
    let ff = |id: &str, repo: &str, source: Option<&str>| {
        w.client
            .merge_pull_request_by_fast_forward()
            .pull_request_id(id)
            .repository_name(repo)
            .set_source_commit_id(source.map(str::to_owned))
            .send()
    };
    assert_err!(ff("", REPO, None).await, "PullRequestIdRequiredException");
    assert_err!(ff("x", REPO, None).await, "InvalidPullRequestIdException");
    assert_err!(
        ff("9", REPO, None).await,
        "PullRequestDoesNotExistException"
    );
    assert_err!(ff(&pid, "", None).await, "RepositoryNameRequiredException");
    assert_err!(
        ff(&pid, "a b", None).await,
        "InvalidRepositoryNameException"
    );
    assert_err!(
        ff(&pid, "missing", None).await,
        "RepositoryDoesNotExistException"
    );
    assert_err!(
        ff(&pid, "other", None).await,
        "RepositoryNotAssociatedWithPullRequestException"
    );
    assert_err!(
        ff(&pid, REPO, Some("abc")).await,
        "InvalidCommitIdException"
    );
    assert_err!(
        ff(&pid, REPO, Some(&dst)).await,
        "TipOfSourceReferenceIsDifferentException"
    );
    // Diverged: no fast-forward.
    assert_err!(
        ff(&pid, REPO, Some(&src)).await,
        "ManualMergeRequiredException"
    );
    let three = |level: Option<ConflictDetailLevelTypeEnum>,
                 strategy: Option<ConflictResolutionStrategyTypeEnum>| {
        w.client
            .merge_pull_request_by_three_way()
            .pull_request_id(&pid)
            .repository_name(REPO)
            .set_conflict_detail_level(level)
            .set_conflict_resolution_strategy(strategy)
            .send()
    };
    assert_err!(
        three(Some(ConflictDetailLevelTypeEnum::from("WORD_LEVEL")), None).await,
        "InvalidConflictDetailLevelException"
    );
    assert_err!(
        three(None, Some(ConflictResolutionStrategyTypeEnum::from("MINE"))).await,
        "InvalidConflictResolutionStrategyException"
    );
    assert_err!(
        w.client
            .merge_pull_request_by_squash()
            .pull_request_id(&pid)
            .repository_name(REPO)
            .author_name("n".repeat(1025))
            .send()
            .await,
        "NameLengthExceededException"
    );
    let after = w.get(&pid).await;
    assert_eq!(after, pr);
    assert_eq!(w.remote("d-dst").as_deref(), Some(dst.as_str()));

    // Conflicts: ManualMergeRequired and nothing written; a strategy resolves them.
    w.branch("c-src", "main", "same.txt", "source\n");
    w.branch("c-dst", "main", "same.txt", "destination\n");
    let c = w.create("c-src", Some("c-dst")).await;
    let c_dst = w.remote("c-dst").unwrap();
    let merge3 = |strategy: Option<ConflictResolutionStrategyTypeEnum>| {
        w.client
            .merge_pull_request_by_three_way()
            .pull_request_id(id(&c))
            .repository_name(REPO)
            .set_conflict_resolution_strategy(strategy)
            .send()
    };
    assert_err!(merge3(None).await, "ManualMergeRequiredException");
    assert_err!(
        w.client
            .merge_pull_request_by_squash()
            .pull_request_id(id(&c))
            .repository_name(REPO)
            .conflict_detail_level(ConflictDetailLevelTypeEnum::LineLevel)
            .send()
            .await,
        "ManualMergeRequiredException"
    );
    assert_eq!(w.remote("c-dst").as_deref(), Some(c_dst.as_str()));
    assert!(is_open(&w.get(&id(&c)).await));
    let out = merge3(Some(ConflictResolutionStrategyTypeEnum::AcceptSource))
        .await
        .unwrap()
        .pull_request
        .unwrap();
    let commit = target(&out)
        .merge_metadata()
        .unwrap()
        .merge_commit_id()
        .unwrap()
        .to_owned();
    w.g(&["fetch", "-q", "origin"]);
    assert_eq!(w.g(&["show", &format!("{commit}:same.txt")]), "source");

    // A closed (not merged) pull request cannot be merged.
    w.client
        .update_pull_request_status()
        .pull_request_id(&pid)
        .pull_request_status(PullRequestStatusEnum::Closed)
        .send()
        .await
        .unwrap();
    assert_err!(
        w.client
            .merge_pull_request_by_squash()
            .pull_request_id(&pid)
            .repository_name(REPO)
            .send()
            .await,
        "PullRequestAlreadyClosedException"
    );
    assert_eq!(w.remote("d-dst").as_deref(), Some(dst.as_str()));
}

#[tokio::test]
async fn a_merge_moves_the_other_pull_requests_destination() {
    let w = world().await;
    let a = w.branch("a", "main", "a.txt", "a\n");
    w.branch("b", "main", "b.txt", "b\n");
    let pa = w.create("a", None).await;
    let pb = w.create("b", None).await;
    w.client
        .merge_pull_request_by_fast_forward()
        .pull_request_id(id(&pa))
        .repository_name(REPO)
        .send()
        .await
        .unwrap();
    let b = w.get(&id(&pb)).await;
    assert!(is_open(&b));
    assert_eq!(target(&b).destination_commit(), Some(a.as_str()));
    // b no longer fast-forwards; three-way does.
    assert_err!(
        w.client
            .merge_pull_request_by_fast_forward()
            .pull_request_id(id(&pb))
            .repository_name(REPO)
            .send()
            .await,
        "ManualMergeRequiredException"
    );
    let out = w
        .client
        .merge_pull_request_by_three_way()
        .pull_request_id(id(&pb))
        .repository_name(REPO)
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(merge_option(&out), Some(MergeOptionTypeEnum::ThreeWayMerge));
    w.g(&["checkout", "-q", "main"]);
    w.g(&["pull", "-q", "--ff-only", "origin", "main"]);
    assert_eq!(std::fs::read_to_string(w.dir.join("a.txt")).unwrap(), "a\n");
    assert_eq!(std::fs::read_to_string(w.dir.join("b.txt")).unwrap(), "b\n");
}
