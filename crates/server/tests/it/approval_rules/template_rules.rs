//! Rules made from templates at CreatePullRequest: destination matching with wildcards, the
//! template's content verbatim with `originApprovalRuleTemplate`, immutable on the pull
//! request, untouched by later template edits, disassociation and deletion, and counted by
//! evaluation and the merge gate like any rule.

use super::*;
use crate::assert_err;

fn names(pr: &PullRequest) -> Vec<String> {
    pr.approval_rules()
        .iter()
        .map(|r| r.approval_rule_name().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn templates_apply_where_their_destinations_match() {
    let w = world().await;
    let templates: [(&str, Option<&[&str]>); 5] = [
        ("all branches", None),
        ("main only", Some(&["refs/heads/main"])),
        ("releases", Some(&["refs/heads/release/*"])),
        ("bare hotfix", Some(&["hotfix-*", "refs/heads/dev"])),
        ("not associated", None),
    ];
    for (name, d) in templates {
        create_template(&w.client, name, &template_content(1, d)).await;
        if name != "not associated" {
            associate(&w.client, name, REPO).await;
        }
    }
    for b in ["release/1.0", "release/2/rc", "dev", "hotfix-7", "main2"] {
        branch_with_commit(&w.client, REPO, b, "main").await;
    }
    let cases: [(&str, &[&str]); 6] = [
        ("main", &["all branches", "main only"]),
        ("release/1.0", &["all branches", "releases"]),
        ("release/2/rc", &["all branches", "releases"]),
        ("dev", &["all branches", "bare hotfix"]),
        ("hotfix-7", &["all branches", "bare hotfix"]),
        ("main2", &["all branches"]),
    ];
    for (i, (destination, expected)) in cases.into_iter().enumerate() {
        let source = format!("src-{i}");
        let pr = w.pr_into(&w.client, REPO, &source, destination).await;
        assert_eq!(names(&pr), expected, "into {destination}");
        assert_eq!(
            get_pr(&w.client, id(&pr)).await.approval_rules(),
            pr.approval_rules()
        );
    }
}

#[tokio::test]
async fn a_template_rule_is_the_template_verbatim_with_its_origin() {
    let w = world().await;
    let body = "{\"Version\": \"2018-11-08\", \"DestinationReferences\": [\"refs/heads/main\"], \"Statements\": [{\"Type\": \"Approvers\", \"NumberOfApprovalsNeeded\": 1, \"ApprovalPoolMembers\": [\"CodeCommitApprovers:000000000000:bob\"]}]}";
    let t = w
        .client
        .create_approval_rule_template()
        .approval_rule_template_name("bob must approve")
        .approval_rule_template_content(body)
        .send()
        .await
        .unwrap()
        .approval_rule_template
        .unwrap();
    associate(&w.client, "bob must approve", REPO).await;
    let mut stream = w.server.state.events.subscribe_events();
    let pr = w.pr_by(&w.user("alice"), "feature").await;
    let rules = pr.approval_rules();
    assert_eq!(rules.len(), 1);
    let r = &rules[0];
    assert_eq!(r.approval_rule_name(), Some("bob must approve"));
    assert_eq!(r.approval_rule_content(), Some(body));
    assert_eq!(r.rule_content_sha256(), t.rule_content_sha256());
    assert_eq!(r.last_modified_user(), Some(user_arn("alice").as_str()));
    assert_ne!(r.approval_rule_id(), t.approval_rule_template_id());
    let origin = r.origin_approval_rule_template().unwrap();
    assert_eq!(
        origin.approval_rule_template_id(),
        t.approval_rule_template_id()
    );
    assert_eq!(
        origin.approval_rule_template_name(),
        Some("bob must approve")
    );
    // The creation is the only event: template rules log no rule events of their own.
    use codecommit_local::events::Event;
    let e = stream.recv().await.unwrap();
    let Event::PullRequest(p) = &*e else {
        panic!("{e:?}")
    };
    assert_eq!(p.pull_request.approval_rules.as_ref().unwrap().len(), 1);
    let events = w
        .client
        .describe_pull_request_events()
        .pull_request_id(id(&pr))
        .send()
        .await
        .unwrap()
        .pull_request_events;
    assert_eq!(events.len(), 1);
    // The rule counts: only bob's approval satisfies it.
    approve(&w.user("carol"), &pr).await;
    assert_eq!(
        evaluate(&w.client, &pr)
            .await
            .approval_rules_not_satisfied(),
        ["bob must approve"]
    );
    approve(&w.user("bob"), &pr).await;
    assert!(evaluate(&w.client, &pr).await.approved());
}

#[tokio::test]
async fn template_rules_cannot_be_changed_or_deleted_only_overridden() {
    let w = world().await;
    create_template(&w.client, "locked", &template_content(2, None)).await;
    associate(&w.client, "locked", REPO).await;
    let pr = w.pr("feature").await;
    assert_err!(
        w.client
            .update_pull_request_approval_rule_content()
            .pull_request_id(id(&pr))
            .approval_rule_name("locked")
            .new_rule_content(content(1, &[]))
            .send()
            .await,
        "CannotModifyApprovalRuleFromTemplateException"
    );
    assert_err!(
        w.client
            .delete_pull_request_approval_rule()
            .pull_request_id(id(&pr))
            .approval_rule_name("locked")
            .send()
            .await,
        "CannotDeleteApprovalRuleFromTemplateException"
    );
    // A manual rule cannot take its name either.
    assert_err!(
        w.client
            .create_pull_request_approval_rule()
            .pull_request_id(id(&pr))
            .approval_rule_name("locked")
            .approval_rule_content(content(1, &[]))
            .send()
            .await,
        "ApprovalRuleNameAlreadyExistsException"
    );
    assert_eq!(
        get_pr(&w.client, id(&pr)).await.approval_rules()[0].approval_rule_content(),
        Some(template_content(2, None).as_str())
    );
    assert_err!(
        w.client
            .merge_pull_request_by_fast_forward()
            .pull_request_id(id(&pr))
            .repository_name(REPO)
            .send()
            .await,
        "PullRequestApprovalRulesNotSatisfiedException"
    );
    set_override(&w.user("bob"), &pr, OverrideStatus::Override).await;
    w.client
        .merge_pull_request_by_fast_forward()
        .pull_request_id(id(&pr))
        .repository_name(REPO)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn existing_pull_requests_keep_their_template_rules() {
    let w = world().await;
    let c1 = template_content(1, None);
    create_template(&w.client, "t", &c1).await;
    associate(&w.client, "t", REPO).await;
    let first = w.pr("first").await;
    let rule = first.approval_rules()[0].clone();
    // Edit, rename, disassociate, delete: the pull request's rule stays as it was made.
    w.client
        .update_approval_rule_template_content()
        .approval_rule_template_name("t")
        .new_rule_content(template_content(3, None))
        .send()
        .await
        .unwrap();
    let second = w.pr("second").await;
    assert_eq!(
        second.approval_rules()[0].approval_rule_content(),
        Some(template_content(3, None).as_str())
    );
    w.client
        .update_approval_rule_template_name()
        .old_approval_rule_template_name("t")
        .new_approval_rule_template_name("t renamed")
        .send()
        .await
        .unwrap();
    w.client
        .disassociate_approval_rule_template_from_repository()
        .approval_rule_template_name("t renamed")
        .repository_name(REPO)
        .send()
        .await
        .unwrap();
    let third = w.pr("third").await;
    assert!(third.approval_rules().is_empty());
    w.client
        .delete_approval_rule_template()
        .approval_rule_template_name("t renamed")
        .send()
        .await
        .unwrap();
    assert_eq!(
        get_pr(&w.client, id(&first)).await.approval_rules(),
        std::slice::from_ref(&rule)
    );
    assert_eq!(rule.approval_rule_content(), Some(c1.as_str()));
    assert_eq!(
        rule.origin_approval_rule_template()
            .unwrap()
            .approval_rule_template_name(),
        Some("t")
    );
    let second_now = get_pr(&w.client, id(&second)).await;
    assert_eq!(second_now.approval_rules(), second.approval_rules());
    // Still immutable after the template is gone.
    assert_err!(
        w.client
            .delete_pull_request_approval_rule()
            .pull_request_id(id(&first))
            .approval_rule_name("t")
            .send()
            .await,
        "CannotDeleteApprovalRuleFromTemplateException"
    );
}

#[tokio::test]
async fn twenty_five_template_rules_and_five_of_your_own() {
    let w = world().await;
    for i in 0..25 {
        let name = format!("template {i:02}");
        create_template(&w.client, &name, &template_content(1, None)).await;
        associate(&w.client, &name, REPO).await;
    }
    let pr = w.pr("feature").await;
    assert_eq!(pr.approval_rules().len(), 25);
    assert_eq!(names(&pr)[0], "template 00");
    assert_eq!(names(&pr)[24], "template 24");
    for i in 0..5 {
        add_rule(&w.client, &pr, &format!("mine {i}"), &content(1, &[])).await;
    }
    assert_err!(
        w.client
            .create_pull_request_approval_rule()
            .pull_request_id(id(&pr))
            .approval_rule_name("one more")
            .approval_rule_content(content(1, &[]))
            .send()
            .await,
        "NumberOfRulesExceededException"
    );
    approve(&w.user("bob"), &pr).await;
    let e = evaluate(&w.client, &pr).await;
    assert_eq!(e.approval_rules_satisfied().len(), 30);
    assert!(e.approved());
}
