//! The merge gate: the three pull-request merges are refused while a rule is unsatisfied and
//! not overridden (nothing written), allowed once approved or overridden; git pushes bypass
//! rules.

use super::*;
use crate::assert_err;
use crate::common::git::Git;
use aws_sdk_codecommit::types::PullRequestStatusEnum;

async fn try_merges(w: &World, pr: &PullRequest) {
    let main = tip(&w.client, REPO, "main").await;
    assert_err!(
        w.client
            .merge_pull_request_by_fast_forward()
            .pull_request_id(id(pr))
            .repository_name(REPO)
            .send()
            .await,
        "PullRequestApprovalRulesNotSatisfiedException"
    );
    assert_err!(
        w.client
            .merge_pull_request_by_squash()
            .pull_request_id(id(pr))
            .repository_name(REPO)
            .send()
            .await,
        "PullRequestApprovalRulesNotSatisfiedException"
    );
    assert_err!(
        w.client
            .merge_pull_request_by_three_way()
            .pull_request_id(id(pr))
            .repository_name(REPO)
            .send()
            .await,
        "PullRequestApprovalRulesNotSatisfiedException"
    );
    // Nothing written: the destination did not move and the pull request is still open.
    assert_eq!(tip(&w.client, REPO, "main").await, main);
    let now = get_pr(&w.client, id(pr)).await;
    assert_eq!(
        now.pull_request_status(),
        Some(&PullRequestStatusEnum::Open)
    );
}

#[tokio::test]
async fn merging_is_refused_until_the_rules_are_met() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let pool = format!("arn:aws:sts::{DEFAULT_ACCOUNT}:assumed-role/Reviewers/*");
    add_rule(&w.client, &pr, "two reviewers", &content(2, &[&pool])).await;
    try_merges(&w, &pr).await;
    let (r1, _) = w.role("Reviewers", "one").await;
    approve(&r1, &pr).await;
    approve(&w.user("bob"), &pr).await; // outside the pool
    try_merges(&w, &pr).await;
    let (r2, _) = w.role("Reviewers", "two").await;
    approve(&r2, &pr).await;
    let merged = w
        .client
        .merge_pull_request_by_fast_forward()
        .pull_request_id(id(&pr))
        .repository_name(REPO)
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(
        merged.pull_request_status(),
        Some(&PullRequestStatusEnum::Closed)
    );
    assert!(
        merged.pull_request_targets()[0]
            .merge_metadata()
            .unwrap()
            .is_merged()
    );
    // The merged pull request keeps its rules and approvals.
    assert_eq!(merged.approval_rules().len(), 1);
    assert_eq!(approvers(&w.client, id(&pr), rev(&pr)).await.len(), 3);
}

#[tokio::test]
async fn an_override_allows_the_merge_and_a_new_revision_needs_approval_again() {
    let w = world().await;
    let pr = w.pr("feature").await;
    add_rule(&w.client, &pr, "one", &content(1, &[])).await;
    approve(&w.user("bob"), &pr).await;
    // Approved, then a push: the new revision has no approvals and may not merge.
    let next = w.push_to(&pr, "late change").await;
    try_merges(&w, &next).await;
    set_override(&w.user("carol"), &next, OverrideStatus::Override).await;
    let merged = w
        .client
        .merge_pull_request_by_squash()
        .pull_request_id(id(&pr))
        .repository_name(REPO)
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(
        merged.pull_request_targets()[0]
            .merge_metadata()
            .unwrap()
            .merged_by(),
        Some("arn:aws:iam::000000000000:root")
    );
}

#[tokio::test]
async fn revoking_the_override_closes_the_gate_again() {
    let w = world().await;
    let pr = w.pr("feature").await;
    add_rule(&w.client, &pr, "one", &content(1, &[])).await;
    set_override(&w.client, &pr, OverrideStatus::Override).await;
    set_override(&w.client, &pr, OverrideStatus::Revoke).await;
    try_merges(&w, &pr).await;
}

#[tokio::test]
async fn git_pushes_bypass_approval_rules() {
    let w = world().await;
    let pr = w.pr("feature").await;
    add_rule(&w.client, &pr, "never", &content(5, &[])).await;
    try_merges(&w, &pr).await;
    // A local fast-forward of main to the source, pushed: merged and closed, rules or not.
    let git = Git::new();
    let dir = git.clone(&w.server.clone_url(REPO), "work");
    git.ok(&dir, &["fetch", "-q", "origin", "feature"]);
    git.ok(
        &dir,
        &["push", "-q", "origin", "FETCH_HEAD:refs/heads/main"],
    );
    let after = get_pr(&w.client, id(&pr)).await;
    assert_eq!(
        after.pull_request_status(),
        Some(&PullRequestStatusEnum::Closed)
    );
    assert!(
        after.pull_request_targets()[0]
            .merge_metadata()
            .unwrap()
            .is_merged()
    );
    assert!(!evaluate(&w.client, &after).await.approved());
}

#[tokio::test]
async fn a_source_moved_behind_the_bookkeeping_is_an_unapproved_revision() {
    let w = world().await;
    let pr = w.pr("feature").await;
    add_rule(&w.client, &pr, "one", &content(1, &[])).await;
    approve(&w.user("bob"), &pr).await;
    // The source moves without the server hearing of it (as in a crash between a push and
    // its bookkeeping): the approval was for the commit the branch no longer has.
    branch_with_commit(&w.client, REPO, "parking", "feature").await;
    let moved = tip(&w.client, REPO, "parking").await;
    let repo_id = get_repo(&w.client, REPO).await.repository_id.unwrap();
    let bare = w
        .server
        .data_dir
        .join("repos")
        .join(format!("{repo_id}.git"));
    Git::new().ok(&bare, &["update-ref", "refs/heads/feature", &moved]);
    try_merges(&w, &pr).await;
}
