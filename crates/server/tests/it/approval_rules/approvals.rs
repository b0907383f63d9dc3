//! UpdatePullRequestApprovalState, GetPullRequestApprovalStates, OverridePullRequestApprovalRules,
//! GetPullRequestOverrideState and EvaluatePullRequestApprovalRules: approvals and overrides
//! bound to the current revision, lost on a new one, REVOKE not stored, and the refusals.

use super::*;
use crate::assert_err;
use aws_sdk_codecommit::types::{PullRequestEventType, PullRequestStatusEnum};
use serde_json::json;

#[tokio::test]
async fn approvals_are_listed_in_order_and_revoke_removes() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let (pid, r) = (id(&pr).to_owned(), rev(&pr).to_owned());
    // Approval states apply without rules too.
    assert!(approvers(&w.client, &pid, &r).await.is_empty());
    approve(&w.user("bob"), &pr).await;
    approve(&w.user("alice"), &pr).await;
    approve(&w.user("bob"), &pr).await; // again: nothing changes
    assert_eq!(
        approvers(&w.client, &pid, &r).await,
        [user_arn("bob"), user_arn("alice")]
    );
    set_state(&w.user("bob"), &pr, ApprovalState::Revoke).await;
    set_state(&w.user("carol"), &pr, ApprovalState::Revoke).await; // nothing to revoke
    assert_eq!(approvers(&w.client, &pid, &r).await, [user_arn("alice")]);
    // Each change is one event with the revision and the new state.
    let events = w
        .client
        .describe_pull_request_events()
        .pull_request_id(&pid)
        .pull_request_event_type(PullRequestEventType::PullRequestApprovalStateChanged)
        .send()
        .await
        .unwrap()
        .pull_request_events;
    let seen: Vec<_> = events
        .iter()
        .map(|e| {
            let m = e.approval_state_changed_event_metadata().unwrap();
            assert_eq!(m.revision_id(), Some(r.as_str()));
            (
                e.actor_arn().unwrap().to_owned(),
                m.approval_status().unwrap().clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (user_arn("bob"), ApprovalState::Approve),
            (user_arn("alice"), ApprovalState::Approve),
            (user_arn("bob"), ApprovalState::Revoke),
        ]
    );
    let after = get_pr(&w.client, &pid).await;
    assert!(secs(after.last_activity_date()) >= secs(pr.last_activity_date()));
}

#[tokio::test]
async fn the_author_cannot_approve() {
    let w = world().await;
    let pr = w.pr_by(&w.user("alice"), "feature").await;
    assert_err!(
        w.user("alice")
            .update_pull_request_approval_state()
            .pull_request_id(id(&pr))
            .revision_id(rev(&pr))
            .approval_state(ApprovalState::Approve)
            .send()
            .await,
        "PullRequestCannotBeApprovedByAuthorException"
    );
    assert!(approvers(&w.client, id(&pr), rev(&pr)).await.is_empty());
    // Anyone else may, the account's root included.
    approve(&w.client, &pr).await;
    assert_eq!(
        approvers(&w.client, id(&pr), rev(&pr)).await,
        ["arn:aws:iam::000000000000:root"]
    );
}

#[tokio::test]
async fn a_push_to_the_source_starts_a_revision_without_approvals() {
    let w = world().await;
    let pr = w.pr("feature").await;
    add_rule(&w.client, &pr, "one", &content(1, &[])).await;
    approve(&w.user("bob"), &pr).await;
    let e = evaluate(&w.client, &pr).await;
    assert!(e.approved());
    assert_eq!(e.approval_rules_satisfied(), ["one"]);

    let next = w.push_to(&pr, "second commit").await;
    assert_ne!(rev(&next), rev(&pr));
    let e = evaluate(&w.client, &next).await;
    assert!(!e.approved());
    assert_eq!(e.approval_rules_not_satisfied(), ["one"]);
    assert!(approvers(&w.client, id(&pr), rev(&next)).await.is_empty());
    // The old revision's approvals are still readable, and still only there.
    assert_eq!(
        approvers(&w.client, id(&pr), rev(&pr)).await,
        [user_arn("bob")]
    );
    // Writes and evaluation take the current revision only.
    assert_err!(
        w.user("carol")
            .update_pull_request_approval_state()
            .pull_request_id(id(&pr))
            .revision_id(rev(&pr))
            .approval_state(ApprovalState::Approve)
            .send()
            .await,
        "RevisionNotCurrentException"
    );
    assert_err!(
        w.client
            .evaluate_pull_request_approval_rules()
            .pull_request_id(id(&pr))
            .revision_id(rev(&pr))
            .send()
            .await,
        "RevisionNotCurrentException"
    );
    assert_err!(
        w.client
            .override_pull_request_approval_rules()
            .pull_request_id(id(&pr))
            .revision_id(rev(&pr))
            .override_status(OverrideStatus::Override)
            .send()
            .await,
        "RevisionNotCurrentException"
    );
    approve(&w.user("bob"), &next).await;
    assert!(evaluate(&w.client, &next).await.approved());

    // The same with a real `git push` to the source branch.
    let git = crate::common::git::Git::new();
    let dir = git.clone(&w.server.clone_url(REPO), "work");
    git.ok(&dir, &["checkout", "-q", "feature"]);
    git.commit_file(&dir, "pushed.txt", "pushed\n", "pushed");
    git.ok(&dir, &["push", "-q", "origin", "feature"]);
    let pushed = get_pr(&w.client, id(&pr)).await;
    assert_ne!(rev(&pushed), rev(&next));
    let e = evaluate(&w.client, &pushed).await;
    assert_eq!(e.approval_rules_not_satisfied(), ["one"]);
    assert!(approvers(&w.client, id(&pr), rev(&pushed)).await.is_empty());
}

#[tokio::test]
async fn approval_inputs_are_checked() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let other = w.pr("other").await;
    let (pid, r) = (id(&pr).to_owned(), rev(&pr).to_owned());
    let update = |body: serde_json::Value| w.raw_err("UpdatePullRequestApprovalState", body);
    assert_eq!(
        update(json!({"pullRequestId": pid, "approvalState": "APPROVE"})),
        "RevisionIdRequiredException"
    );
    assert_eq!(
        update(json!({"pullRequestId": pid, "revisionId": r})),
        "ApprovalStateRequiredException"
    );
    assert_eq!(
        update(json!({"pullRequestId": pid, "revisionId": r, "approvalState": "MAYBE"})),
        "InvalidApprovalStateException"
    );
    assert_eq!(
        update(json!({"revisionId": r, "approvalState": "APPROVE"})),
        "PullRequestIdRequiredException"
    );
    assert_eq!(
        update(json!({"pullRequestId": "x1", "revisionId": r, "approvalState": "APPROVE"})),
        "InvalidPullRequestIdException"
    );
    assert_eq!(
        update(json!({"pullRequestId": "77", "revisionId": r, "approvalState": "APPROVE"})),
        "PullRequestDoesNotExistException"
    );
    // Another pull request's revision, or one that never was.
    for bad in [rev(&other), "0123456789abcdef", "not a revision"] {
        assert_eq!(
            update(json!({"pullRequestId": pid, "revisionId": bad, "approvalState": "APPROVE"})),
            "InvalidRevisionIdException"
        );
    }
    for op in [
        "GetPullRequestApprovalStates",
        "GetPullRequestOverrideState",
        "EvaluatePullRequestApprovalRules",
    ] {
        assert_eq!(
            w.raw_err(op, json!({"pullRequestId": pid})),
            "RevisionIdRequiredException",
            "{op}"
        );
        assert_eq!(
            w.raw_err(op, json!({"pullRequestId": pid, "revisionId": rev(&other)})),
            "InvalidRevisionIdException",
            "{op}"
        );
        assert_eq!(
            w.raw_err(op, json!({"revisionId": r})),
            "PullRequestIdRequiredException",
            "{op}"
        );
        assert_eq!(
            w.raw_err(op, json!({"pullRequestId": "-1", "revisionId": r})),
            "InvalidPullRequestIdException",
            "{op}"
        );
        assert_eq!(
            w.raw_err(op, json!({"pullRequestId": "4242", "revisionId": r})),
            "PullRequestDoesNotExistException",
            "{op}"
        );
    }
    let over = |body: serde_json::Value| w.raw_err("OverridePullRequestApprovalRules", body);
    assert_eq!(
        over(json!({"pullRequestId": pid, "revisionId": r})),
        "OverrideStatusRequiredException"
    );
    assert_eq!(
        over(json!({"pullRequestId": pid, "revisionId": r, "overrideStatus": "SKIP"})),
        "InvalidOverrideStatusException"
    );
    assert_eq!(
        over(json!({"pullRequestId": pid, "overrideStatus": "OVERRIDE"})),
        "RevisionIdRequiredException"
    );
    assert_eq!(
        over(json!({"pullRequestId": pid, "revisionId": "nope", "overrideStatus": "OVERRIDE"})),
        "InvalidRevisionIdException"
    );
    assert!(approvers(&w.client, &pid, &r).await.is_empty());
    let state = w
        .client
        .get_pull_request_override_state()
        .pull_request_id(&pid)
        .revision_id(&r)
        .send()
        .await
        .unwrap();
    assert!(!state.overridden());
}

#[tokio::test]
async fn closed_pull_requests_take_no_approvals_or_overrides() {
    let w = world().await;
    let pr = w.pr("feature").await;
    approve(&w.user("bob"), &pr).await;
    w.client
        .update_pull_request_status()
        .pull_request_id(id(&pr))
        .pull_request_status(PullRequestStatusEnum::Closed)
        .send()
        .await
        .unwrap();
    for state in [ApprovalState::Approve, ApprovalState::Revoke] {
        assert_err!(
            w.user("bob")
                .update_pull_request_approval_state()
                .pull_request_id(id(&pr))
                .revision_id(rev(&pr))
                .approval_state(state)
                .send()
                .await,
            "PullRequestAlreadyClosedException"
        );
    }
    assert_err!(
        w.client
            .override_pull_request_approval_rules()
            .pull_request_id(id(&pr))
            .revision_id(rev(&pr))
            .override_status(OverrideStatus::Override)
            .send()
            .await,
        "PullRequestAlreadyClosedException"
    );
    // Reads still answer.
    assert_eq!(
        approvers(&w.client, id(&pr), rev(&pr)).await,
        [user_arn("bob")]
    );
    let e = evaluate(&w.client, &pr).await;
    assert!(e.approved());
}

#[tokio::test]
async fn two_hundred_approvals_at_most() {
    let users: Vec<String> = (0..201).map(|i| format!("u{i:03}")).collect();
    let w = world_with_users(users.clone()).await;
    let pr = w.pr("feature").await;
    add_rule(&w.client, &pr, "all", &content(200, &[])).await;
    for u in &users[..199] {
        approve(&w.user(u), &pr).await;
    }
    let e = evaluate(&w.client, &pr).await;
    assert_eq!(e.approval_rules_not_satisfied(), ["all"]);
    approve(&w.user(&users[199]), &pr).await;
    assert_eq!(
        evaluate(&w.client, &pr).await.approval_rules_satisfied(),
        ["all"]
    );
    assert_err!(
        w.user(&users[200])
            .update_pull_request_approval_state()
            .pull_request_id(id(&pr))
            .revision_id(rev(&pr))
            .approval_state(ApprovalState::Approve)
            .send()
            .await,
        "MaximumNumberOfApprovalsExceededException"
    );
    assert_eq!(approvers(&w.client, id(&pr), rev(&pr)).await.len(), 200);
    // A revoke makes room again.
    set_state(&w.user(&users[0]), &pr, ApprovalState::Revoke).await;
    approve(&w.user(&users[200]), &pr).await;
}

#[tokio::test]
async fn overrides_set_aside_every_rule_of_the_revision() {
    let w = world().await;
    let pr = w.pr("feature").await;
    add_rule(&w.client, &pr, "two", &content(2, &[])).await;
    add_rule(&w.client, &pr, "bob", &content(1, &[&user_arn("bob")])).await;
    let e = evaluate(&w.client, &pr).await;
    assert_eq!((e.approved(), e.overridden()), (false, false), "{e:?}");
    // The author may override.
    set_override(&w.client, &pr, OverrideStatus::Override).await;
    let state = w
        .client
        .get_pull_request_override_state()
        .pull_request_id(id(&pr))
        .revision_id(rev(&pr))
        .send()
        .await
        .unwrap();
    assert!(state.overridden());
    assert_eq!(state.overrider(), Some("arn:aws:iam::000000000000:root"));
    let e = evaluate(&w.client, &pr).await;
    assert!(e.approved() && e.overridden());
    // The rules keep their own status.
    assert_eq!(e.approval_rules_not_satisfied(), ["two", "bob"]);
    assert!(e.approval_rules_satisfied().is_empty());
    assert_err!(
        w.user("carol")
            .override_pull_request_approval_rules()
            .pull_request_id(id(&pr))
            .revision_id(rev(&pr))
            .override_status(OverrideStatus::Override)
            .send()
            .await,
        "OverrideAlreadySetException"
    );
    set_override(&w.user("carol"), &pr, OverrideStatus::Revoke).await;
    set_override(&w.user("carol"), &pr, OverrideStatus::Revoke).await; // nothing to revoke
    let state = w
        .client
        .get_pull_request_override_state()
        .pull_request_id(id(&pr))
        .revision_id(rev(&pr))
        .send()
        .await
        .unwrap();
    assert_eq!((state.overridden(), state.overrider()), (false, None));
    assert!(!evaluate(&w.client, &pr).await.approved());

    // Set again, then a new revision: the override belonged to the old one.
    set_override(&w.user("dave"), &pr, OverrideStatus::Override).await;
    let next = w.push_to(&pr, "more").await;
    let e = evaluate(&w.client, &next).await;
    assert!(!e.overridden() && !e.approved());
    let old = w
        .client
        .get_pull_request_override_state()
        .pull_request_id(id(&pr))
        .revision_id(rev(&pr))
        .send()
        .await
        .unwrap();
    assert_eq!(old.overrider(), Some(user_arn("dave").as_str()));

    let events = w
        .client
        .describe_pull_request_events()
        .pull_request_id(id(&pr))
        .pull_request_event_type(PullRequestEventType::PullRequestApprovalRuleOverridden)
        .send()
        .await
        .unwrap()
        .pull_request_events;
    let seen: Vec<_> = events
        .iter()
        .map(|e| {
            let m = e.approval_rule_overridden_event_metadata().unwrap();
            assert_eq!(m.revision_id(), Some(rev(&pr)));
            (
                e.actor_arn().unwrap().to_owned(),
                m.override_status().unwrap().clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "arn:aws:iam::000000000000:root".to_owned(),
                OverrideStatus::Override
            ),
            (user_arn("carol"), OverrideStatus::Revoke),
            (user_arn("dave"), OverrideStatus::Override),
        ]
    );
}

#[tokio::test]
async fn evaluation_without_rules_is_approved() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let e = evaluate(&w.client, &pr).await;
    assert!(e.approved());
    assert!(!e.overridden());
    assert!(e.approval_rules_satisfied().is_empty());
    assert!(e.approval_rules_not_satisfied().is_empty());
    // As sent on the wire: both lists present.
    let (status, json) = w.raw(
        "EvaluatePullRequestApprovalRules",
        json!({"pullRequestId": id(&pr), "revisionId": rev(&pr)}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        json,
        json!({"evaluation": {"approved": true, "overridden": false,
            "approvalRulesSatisfied": [], "approvalRulesNotSatisfied": []}})
    );
}

#[tokio::test]
async fn approval_changes_reach_the_event_stream() {
    use codecommit_local::events::Event;
    use codecommit_local::events::payload::PullRequestEventKind as K;
    let w = world().await;
    let pr = w.pr("feature").await;
    let mut stream = w.server.state.events.subscribe_events();
    approve(&w.user("bob"), &pr).await;
    set_state(&w.user("bob"), &pr, ApprovalState::Revoke).await;
    set_override(&w.user("carol"), &pr, OverrideStatus::Override).await;
    set_override(&w.user("carol"), &pr, OverrideStatus::Revoke).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        let e = stream.recv().await.unwrap();
        let Event::PullRequest(p) = &*e else {
            panic!("{e:?}")
        };
        assert_eq!(p.pull_request.revision_id.as_deref(), Some(rev(&pr)));
        seen.push((
            p.kind,
            p.caller_arn.clone(),
            p.approval_status.clone(),
            p.override_status.clone(),
        ));
    }
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        seen,
        [
            (K::ApprovalStateChanged, user_arn("bob"), s("APPROVE"), None),
            (K::ApprovalStateChanged, user_arn("bob"), s("REVOKE"), None),
            (
                K::ApprovalRuleOverridden,
                user_arn("carol"),
                None,
                s("OVERRIDE")
            ),
            (
                K::ApprovalRuleOverridden,
                user_arn("carol"),
                None,
                s("REVOKE")
            ),
        ]
    );
}
