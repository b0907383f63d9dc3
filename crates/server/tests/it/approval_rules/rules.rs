//! CreatePullRequestApprovalRule, UpdatePullRequestApprovalRuleContent and
//! DeletePullRequestApprovalRule: what they store and answer, GetPullRequest's
//! `approvalRules`, the events they log, and every refusal with nothing changed.

use super::*;
use crate::assert_err;
use aws_sdk_codecommit::types::{PullRequestEventType, PullRequestStatusEnum};

const ROOT: &str = "arn:aws:iam::000000000000:root";

#[tokio::test]
async fn a_rule_is_stored_verbatim_and_answered_everywhere() {
    let w = world().await;
    let pr = w.pr("feature").await;
    // Odd spacing and key order: stored and answered exactly as sent.
    let body = "{\"Statements\": [ {\"NumberOfApprovalsNeeded\": 2, \"Type\": \"Approvers\"} ],\n  \"Version\": \"2018-11-08\"}";
    let before = now_secs();
    let rule = add_rule(&w.client, &pr, "Two approvers", body).await;
    assert_eq!(rule.approval_rule_name(), Some("Two approvers"));
    assert_eq!(rule.approval_rule_content(), Some(body));
    assert_eq!(rule.rule_content_sha256(), Some(sha256(body).as_str()));
    assert_eq!(rule.last_modified_user(), Some(ROOT));
    assert!(rule.origin_approval_rule_template().is_none());
    let rule_id = rule.approval_rule_id().unwrap().to_owned();
    assert_eq!(rule_id.len(), 36, "a UUID: {rule_id}");
    let created = secs(rule.creation_date());
    assert!((before - 1.0..=now_secs() + 1.0).contains(&created));
    assert_eq!(secs(rule.last_modified_date()), created);

    let got = get_pr(&w.client, id(&pr)).await;
    assert_eq!(got.approval_rules(), std::slice::from_ref(&rule));
    assert_eq!(
        got.revision_id(),
        pr.revision_id(),
        "rules make no revision"
    );
    assert!(secs(got.last_activity_date()) >= created);

    // A second rule lists after the first.
    let second = add_rule(
        &w.user("alice"),
        &pr,
        "pool-1",
        &content(1, &[&user_arn("bob")]),
    )
    .await;
    assert_eq!(
        second.last_modified_user(),
        Some(user_arn("alice").as_str())
    );
    let names: Vec<_> = get_pr(&w.client, id(&pr))
        .await
        .approval_rules()
        .iter()
        .map(|r| r.approval_rule_name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Two approvers", "pool-1"]);
}

#[tokio::test]
async fn content_updates_take_the_current_hash_and_keep_the_rule() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let first = content(1, &[]);
    let rule = add_rule(&w.client, &pr, "r", &first).await;
    let next = content(3, &[&user_arn("carol")]);
    // The wrong hash is refused and changes nothing.
    assert_err!(
        w.client
            .update_pull_request_approval_rule_content()
            .pull_request_id(id(&pr))
            .approval_rule_name("r")
            .existing_rule_content_sha256(sha256("something else"))
            .new_rule_content(&next)
            .send()
            .await,
        "InvalidRuleContentSha256Exception"
    );
    assert_eq!(
        get_pr(&w.client, id(&pr)).await.approval_rules()[0].approval_rule_content(),
        Some(first.as_str())
    );
    let updated = w
        .user("bob")
        .update_pull_request_approval_rule_content()
        .pull_request_id(id(&pr))
        .approval_rule_name("r")
        .existing_rule_content_sha256(rule.rule_content_sha256().unwrap())
        .new_rule_content(&next)
        .send()
        .await
        .unwrap()
        .approval_rule
        .unwrap();
    assert_eq!(updated.approval_rule_id(), rule.approval_rule_id());
    assert_eq!(updated.approval_rule_content(), Some(next.as_str()));
    assert_eq!(updated.rule_content_sha256(), Some(sha256(&next).as_str()));
    assert_eq!(updated.last_modified_user(), Some(user_arn("bob").as_str()));
    assert_eq!(updated.creation_date(), rule.creation_date());
    assert!(secs(updated.last_modified_date()) >= secs(rule.last_modified_date()));
    // Without a hash the update is unconditional.
    let third = content(2, &[]);
    let again = w
        .client
        .update_pull_request_approval_rule_content()
        .pull_request_id(id(&pr))
        .approval_rule_name("r")
        .new_rule_content(&third)
        .send()
        .await
        .unwrap()
        .approval_rule
        .unwrap();
    assert_eq!(again.approval_rule_content(), Some(third.as_str()));
    assert_eq!(
        get_pr(&w.client, id(&pr)).await.approval_rules(),
        std::slice::from_ref(&again)
    );
}

#[tokio::test]
async fn deleting_answers_the_id_once_then_nothing() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let rule = add_rule(&w.client, &pr, "r", &content(1, &[])).await;
    let out = w
        .client
        .delete_pull_request_approval_rule()
        .pull_request_id(id(&pr))
        .approval_rule_name("r")
        .send()
        .await
        .unwrap();
    assert_eq!(out.approval_rule_id(), rule.approval_rule_id().unwrap());
    assert!(get_pr(&w.client, id(&pr)).await.approval_rules().is_empty());
    // Already deleted, or never there: 200 without content.
    for name in ["r", "never"] {
        let (status, json) = w.raw(
            "DeletePullRequestApprovalRule",
            serde_json::json!({"pullRequestId": id(&pr), "approvalRuleName": name}),
        );
        assert_eq!(status, 200);
        assert_eq!(json, serde_json::json!({}));
    }
    // The name can be used again.
    add_rule(&w.client, &pr, "r", &content(1, &[])).await;
}

#[tokio::test]
async fn rule_changes_are_pull_request_events() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let mut stream = w.server.state.events.subscribe_events();
    let c1 = content(1, &[]);
    let rule = add_rule(&w.user("alice"), &pr, "r", &c1).await;
    let c2 = content(2, &[]);
    w.client
        .update_pull_request_approval_rule_content()
        .pull_request_id(id(&pr))
        .approval_rule_name("r")
        .new_rule_content(&c2)
        .send()
        .await
        .unwrap();
    w.client
        .delete_pull_request_approval_rule()
        .pull_request_id(id(&pr))
        .approval_rule_name("r")
        .send()
        .await
        .unwrap();
    let events = w
        .client
        .describe_pull_request_events()
        .pull_request_id(id(&pr))
        .send()
        .await
        .unwrap()
        .pull_request_events;
    let rule_events: Vec<_> = events
        .iter()
        .filter(|e| e.approval_rule_event_metadata().is_some())
        .collect();
    let expected = [
        (
            PullRequestEventType::PullRequestApprovalRuleCreated,
            user_arn("alice"),
            &c1,
        ),
        (
            PullRequestEventType::PullRequestApprovalRuleUpdated,
            ROOT.to_owned(),
            &c2,
        ),
        (
            PullRequestEventType::PullRequestApprovalRuleDeleted,
            ROOT.to_owned(),
            &c2,
        ),
    ];
    assert_eq!(rule_events.len(), 3, "{events:?}");
    for (e, (kind, actor, body)) in rule_events.iter().zip(expected) {
        assert_eq!(e.pull_request_event_type(), Some(&kind));
        assert_eq!(e.actor_arn(), Some(actor.as_str()));
        let m = e.approval_rule_event_metadata().unwrap();
        assert_eq!(m.approval_rule_name(), Some("r"));
        assert_eq!(m.approval_rule_id(), rule.approval_rule_id());
        assert_eq!(m.approval_rule_content(), Some(body.as_str()));
    }
    // Filtered by type.
    let only = w
        .client
        .describe_pull_request_events()
        .pull_request_id(id(&pr))
        .pull_request_event_type(PullRequestEventType::PullRequestApprovalRuleUpdated)
        .send()
        .await
        .unwrap();
    assert_eq!(only.pull_request_events().len(), 1);
    // The internal stream: created, updated, deleted, each naming the rule; the deleted
    // rule's author is who created it.
    use codecommit_local::events::Event;
    use codecommit_local::events::payload::PullRequestEventKind as K;
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let e = stream.recv().await.unwrap();
        let Event::PullRequest(p) = &*e else {
            panic!("{e:?}")
        };
        let r = p.approval_rule.as_ref().unwrap();
        assert_eq!(r.approval_rule_name, "r");
        assert_eq!(r.author_arn, user_arn("alice"));
        assert_eq!(p.pull_request.pull_request_id.as_deref(), Some(id(&pr)));
        kinds.push((p.kind, r.rule_content_sha256.clone(), p.caller_arn.clone()));
    }
    assert_eq!(
        kinds,
        [
            (K::ApprovalRuleCreated, sha256(&c1), user_arn("alice")),
            (K::ApprovalRuleUpdated, sha256(&c2), ROOT.to_owned()),
            (K::ApprovalRuleDeleted, sha256(&c2), ROOT.to_owned()),
        ]
    );
}

#[tokio::test]
async fn creating_refuses_bad_input_and_changes_nothing() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let ok = content(1, &[]);
    let pid = id(&pr).to_owned();
    let call = |body: serde_json::Value| w.raw_err("CreatePullRequestApprovalRule", body);
    use serde_json::json;
    assert_eq!(
        call(json!({"approvalRuleName": "r", "approvalRuleContent": ok})),
        "PullRequestIdRequiredException"
    );
    assert_eq!(
        call(json!({"pullRequestId": "abc", "approvalRuleName": "r", "approvalRuleContent": ok})),
        "InvalidPullRequestIdException"
    );
    assert_eq!(
        call(json!({"pullRequestId": "999", "approvalRuleName": "r", "approvalRuleContent": ok})),
        "PullRequestDoesNotExistException"
    );
    assert_eq!(
        call(json!({"pullRequestId": pid, "approvalRuleContent": ok})),
        "ApprovalRuleNameRequiredException"
    );
    for bad in ["a/b", "x:y", "ends.git", &"n".repeat(101), "tab\there"] {
        assert_eq!(
            call(json!({"pullRequestId": pid, "approvalRuleName": bad, "approvalRuleContent": ok})),
            "InvalidApprovalRuleNameException",
            "{bad}"
        );
    }
    assert_eq!(
        call(json!({"pullRequestId": pid, "approvalRuleName": "r"})),
        "ApprovalRuleContentRequiredException"
    );
    assert_eq!(
        call(json!({"pullRequestId": pid, "approvalRuleName": "r", "approvalRuleContent": ""})),
        "ApprovalRuleContentRequiredException"
    );
    let fifty_one: Vec<String> = (0..51)
        .map(|i| format!("CodeCommitApprovers:{DEFAULT_ACCOUNT}:u{i}"))
        .collect();
    let fifty_one: Vec<&str> = fifty_one.iter().map(String::as_str).collect();
    for bad in [
        "{Version: 2018-11-08, Statements: []}".to_owned(),
        content(0, &[]),
        content(1, &["not-a-principal"]),
        content(1, &fifty_one),
        format!("{ok}{}", " ".repeat(3000)),
    ] {
        assert_eq!(
            call(
                json!({"pullRequestId": pid, "approvalRuleName": "r", "approvalRuleContent": bad})
            ),
            "InvalidApprovalRuleContentException"
        );
    }
    assert!(get_pr(&w.client, &pid).await.approval_rules().is_empty());
    // Fifty members are fine; so are a template's branch filters, carried verbatim.
    add_rule(&w.client, &pr, "fifty", &content(1, &fifty_one[..50])).await;
    add_rule(
        &w.client,
        &pr,
        "filtered",
        &template_content(1, Some(&["refs/heads/main"])),
    )
    .await;
    for name in ["fifty", "filtered"] {
        w.client
            .delete_pull_request_approval_rule()
            .pull_request_id(&pid)
            .approval_rule_name(name)
            .send()
            .await
            .unwrap();
    }
    // Names are case-sensitive and may have spaces, dots, dashes and underscores.
    add_rule(&w.client, &pr, "Rule 1.a_b-c", &ok).await;
    add_rule(&w.client, &pr, "rule 1.a_b-c", &ok).await;
    assert_err!(
        w.client
            .create_pull_request_approval_rule()
            .pull_request_id(&pid)
            .approval_rule_name("Rule 1.a_b-c")
            .approval_rule_content(content(2, &[]))
            .send()
            .await,
        "ApprovalRuleNameAlreadyExistsException"
    );
    let rules = get_pr(&w.client, &pid).await.approval_rules().to_vec();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].approval_rule_content(), Some(ok.as_str()));
}

#[tokio::test]
async fn thirty_rules_at_most() {
    let w = world().await;
    let pr = w.pr("feature").await;
    for i in 0..30 {
        add_rule(&w.client, &pr, &format!("rule-{i}"), &content(1, &[])).await;
    }
    assert_err!(
        w.client
            .create_pull_request_approval_rule()
            .pull_request_id(id(&pr))
            .approval_rule_name("rule-30")
            .approval_rule_content(content(1, &[]))
            .send()
            .await,
        "NumberOfRulesExceededException"
    );
    assert_eq!(get_pr(&w.client, id(&pr)).await.approval_rules().len(), 30);
    // Deleting one makes room.
    w.client
        .delete_pull_request_approval_rule()
        .pull_request_id(id(&pr))
        .approval_rule_name("rule-0")
        .send()
        .await
        .unwrap();
    add_rule(&w.client, &pr, "rule-30", &content(1, &[])).await;
}

#[tokio::test]
async fn updates_and_deletes_refuse_bad_input() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let pid = id(&pr).to_owned();
    let ok = content(1, &[]);
    add_rule(&w.client, &pr, "r", &ok).await;
    use serde_json::json;
    let update = |body: serde_json::Value| w.raw_err("UpdatePullRequestApprovalRuleContent", body);
    assert_eq!(
        update(json!({"pullRequestId": pid, "approvalRuleName": "missing", "newRuleContent": ok})),
        "ApprovalRuleDoesNotExistException"
    );
    assert_eq!(
        update(json!({"pullRequestId": pid, "newRuleContent": ok})),
        "ApprovalRuleNameRequiredException"
    );
    assert_eq!(
        update(json!({"pullRequestId": pid, "approvalRuleName": "r/x", "newRuleContent": ok})),
        "InvalidApprovalRuleNameException"
    );
    assert_eq!(
        update(json!({"pullRequestId": pid, "approvalRuleName": "r"})),
        "ApprovalRuleContentRequiredException"
    );
    assert_eq!(
        update(json!({"pullRequestId": pid, "approvalRuleName": "r", "newRuleContent": "{}"})),
        "InvalidApprovalRuleContentException"
    );
    assert_eq!(
        update(json!({"pullRequestId": "0", "approvalRuleName": "r", "newRuleContent": ok})),
        "InvalidPullRequestIdException"
    );
    assert_eq!(
        update(json!({"pullRequestId": "12345", "approvalRuleName": "r", "newRuleContent": ok})),
        "PullRequestDoesNotExistException"
    );
    let delete = |body: serde_json::Value| w.raw_err("DeletePullRequestApprovalRule", body);
    assert_eq!(
        delete(json!({"pullRequestId": pid})),
        "ApprovalRuleNameRequiredException"
    );
    assert_eq!(
        delete(json!({"pullRequestId": pid, "approvalRuleName": "bad?"})),
        "InvalidApprovalRuleNameException"
    );
    assert_eq!(
        delete(json!({"approvalRuleName": "r"})),
        "PullRequestIdRequiredException"
    );
    assert_eq!(
        get_pr(&w.client, &pid).await.approval_rules()[0].approval_rule_content(),
        Some(ok.as_str())
    );
}

#[tokio::test]
async fn closed_pull_requests_keep_their_rules_as_they_are() {
    let w = world().await;
    let pr = w.pr("feature").await;
    add_rule(&w.client, &pr, "r", &content(1, &[])).await;
    w.client
        .update_pull_request_status()
        .pull_request_id(id(&pr))
        .pull_request_status(PullRequestStatusEnum::Closed)
        .send()
        .await
        .unwrap();
    assert_err!(
        w.client
            .create_pull_request_approval_rule()
            .pull_request_id(id(&pr))
            .approval_rule_name("late")
            .approval_rule_content(content(1, &[]))
            .send()
            .await,
        "PullRequestAlreadyClosedException"
    );
    assert_err!(
        w.client
            .update_pull_request_approval_rule_content()
            .pull_request_id(id(&pr))
            .approval_rule_name("r")
            .new_rule_content(content(2, &[]))
            .send()
            .await,
        "PullRequestAlreadyClosedException"
    );
    assert_err!(
        w.client
            .delete_pull_request_approval_rule()
            .pull_request_id(id(&pr))
            .approval_rule_name("r")
            .send()
            .await,
        "PullRequestAlreadyClosedException"
    );
    let rules = get_pr(&w.client, id(&pr)).await.approval_rules().to_vec();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        rules[0].approval_rule_content(),
        Some(content(1, &[]).as_str())
    );
}

#[tokio::test]
async fn rules_belong_to_their_account() {
    let w = world().await;
    let pr = w.pr("feature").await;
    let other = w.server.client_in("111122223333", DEFAULT_REGION);
    assert_err!(
        other
            .create_pull_request_approval_rule()
            .pull_request_id(id(&pr))
            .approval_rule_name("r")
            .approval_rule_content(content(1, &[]))
            .send()
            .await,
        "PullRequestDoesNotExistException"
    );
    assert!(get_pr(&w.client, id(&pr)).await.approval_rules().is_empty());
}
