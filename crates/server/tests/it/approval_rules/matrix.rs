//! The rule matrix: every pool form (none, CodeCommitApprovers by name, with wildcards, with
//! a role, full ARNs with and without wildcards, another account) against every kind of
//! principal (IAM users with and without a path, assumed-role sessions, a federated user),
//! each with NumberOfApprovalsNeeded at exactly what the pool yields and one more.

use super::*;

const A: &str = DEFAULT_ACCOUNT;

/// (pool, how many of the six approvers below it counts).
fn pools() -> Vec<(Vec<String>, usize)> {
    let s = |v: &[&str]| v.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>();
    vec![
        (vec![], 6),
        // IAM user and federated user Mary_Major, not the session named Mary_Major.
        (s(&[&format!("CodeCommitApprovers:{A}:Mary_Major")]), 2),
        // A wildcard reaches the sessions too (of any role).
        (s(&[&format!("CodeCommitApprovers:{A}:*Mary_Major")]), 4),
        (
            s(&[&format!(
                "CodeCommitApprovers:{A}:CodeCommitReview/Mary_Major"
            )]),
            1,
        ),
        // An IAM user with a path matches by its name.
        (s(&[&format!("CodeCommitApprovers:{A}:Li_Juan")]), 1),
        (s(&[&format!("CodeCommitApprovers:{A}:user/*")]), 2),
        (
            s(&[&format!("arn:aws:sts::{A}:assumed-role/CodeCommitReview/*")]),
            2,
        ),
        // Without a session: every session of the role; an IAM role ARN likewise.
        (
            s(&[&format!("arn:aws:sts::{A}:assumed-role/CodeCommitReview")]),
            2,
        ),
        (s(&[&format!("arn:aws:iam::{A}:role/CodeCommitReview")]), 2),
        (s(&[&format!("arn:aws:iam::{A}:user/Mary_Major")]), 1),
        (
            s(&[&format!("arn:aws:sts::{A}:federated-user/Mary_Major")]),
            1,
        ),
        (s(&[&format!("arn:aws:*::{A}:*")]), 6),
        // Members overlapping: each approver counts once.
        (
            s(&[
                &format!("arn:aws:sts::{A}:assumed-role/CodeCommitReview/*"),
                &format!("CodeCommitApprovers:{A}:*Mary_Major"),
            ]),
            5,
        ),
        // No cross-account approvals.
        (s(&["CodeCommitApprovers:111122223333:Mary_Major"]), 0),
        (s(&["arn:aws:iam::111122223333:user/Mary_Major"]), 0),
    ]
}

#[tokio::test]
async fn pools_by_principals_by_number_needed() {
    let w = world().await;
    let pr = w.pr_by(&w.user("alice"), "feature").await;
    let pools = pools();
    let mut expected_satisfied = Vec::new();
    let mut expected_not = Vec::new();
    for (i, (pool, yields)) in pools.iter().enumerate() {
        let members: Vec<&str> = pool.iter().map(String::as_str).collect();
        for needed in [*yields, yields + 1] {
            if needed == 0 {
                continue;
            }
            let name = format!("pool {i} needs {needed}");
            add_rule(&w.client, &pr, &name, &content(needed as u32, &members)).await;
            if needed <= *yields {
                expected_satisfied.push(name);
            } else {
                expected_not.push(name);
            }
        }
    }
    assert!(expected_satisfied.len() + expected_not.len() <= 30);
    // Nobody has approved: nothing is satisfied.
    let e = evaluate(&w.client, &pr).await;
    assert!(e.approval_rules_satisfied().is_empty());
    assert!(!e.approved());

    let (review_mary, _) = w.role("CodeCommitReview", "Mary_Major").await;
    let (review_li, _) = w.role("CodeCommitReview", "Li_Juan").await;
    let (other_mary, _) = w.role("Other", "Mary_Major").await;
    let (fed_mary, fed_arn) = w.federated("Mary_Major").await;
    assert_eq!(
        fed_arn,
        format!("arn:aws:sts::{A}:federated-user/Mary_Major")
    );
    for c in [
        w.user("Mary_Major"),
        w.user("team/Li_Juan"),
        review_mary,
        review_li,
        other_mary,
        fed_mary,
    ] {
        approve(&c, &pr).await;
    }
    assert_eq!(approvers(&w.client, id(&pr), rev(&pr)).await.len(), 6);
    let e = evaluate(&w.client, &pr).await;
    assert_eq!(e.approval_rules_satisfied(), expected_satisfied.as_slice());
    assert_eq!(e.approval_rules_not_satisfied(), expected_not.as_slice());
    assert!(!e.approved());
    assert!(!e.overridden());
}

#[tokio::test]
async fn every_statement_of_a_rule_must_be_met() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let body = serde_json::json!({"Version": "2018-11-08", "Statements": [
        {"Type": "Approvers", "NumberOfApprovalsNeeded": 1,
         "ApprovalPoolMembers": [format!("CodeCommitApprovers:{A}:alice")]},
        {"Type": "Approvers", "NumberOfApprovalsNeeded": 2},
    ]})
    .to_string();
    add_rule(&w.client, &pr, "alice and one more", &body).await;
    approve(&w.user("bob"), &pr).await;
    approve(&w.user("carol"), &pr).await;
    assert!(!evaluate(&w.client, &pr).await.approved());
    approve(&w.user("alice"), &pr).await;
    let e = evaluate(&w.client, &pr).await;
    assert!(e.approved());
    assert_eq!(e.approval_rules_satisfied(), ["alice and one more"]);
}

#[tokio::test]
async fn counts_follow_approvals_and_revokes() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let pool = format!("arn:aws:sts::{A}:assumed-role/Reviewers/*");
    add_rule(&w.client, &pr, "two reviewers", &content(2, &[&pool])).await;
    let (r1, _) = w.role("Reviewers", "one").await;
    let (r2, _) = w.role("Reviewers", "two").await;
    // An approval from outside the pool is recorded but does not count.
    approve(&w.user("bob"), &pr).await;
    approve(&r1, &pr).await;
    assert!(!evaluate(&w.client, &pr).await.approved());
    approve(&r2, &pr).await;
    assert!(evaluate(&w.client, &pr).await.approved());
    set_state(&r1, &pr, ApprovalState::Revoke).await;
    assert!(!evaluate(&w.client, &pr).await.approved());
    // Two sessions of one role are two approvers.
    let (r3, _) = w.role("Reviewers", "three").await;
    approve(&r3, &pr).await;
    assert!(evaluate(&w.client, &pr).await.approved());
}
