//! The template operations: Create, Get, Delete, List and the three updates, with their
//! refusals, scopes, paging, the 1,000-template limit and their events.

use super::*;
use crate::assert_err;
use serde_json::json;

const ROOT: &str = "arn:aws:iam::000000000000:root";

async fn get_template(
    client: &Client,
    name: &str,
) -> aws_sdk_codecommit::types::ApprovalRuleTemplate {
    client
        .get_approval_rule_template()
        .approval_rule_template_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetApprovalRuleTemplate {name}: {e:?}"))
        .approval_rule_template
        .unwrap()
}

async fn list_all(client: &Client, page: Option<i32>) -> Vec<String> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let out = client
            .list_approval_rule_templates()
            .set_max_results(page)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        names.extend(out.approval_rule_template_names().iter().cloned());
        match out.next_token {
            Some(t) => token = Some(t),
            None => return names,
        }
    }
}

#[tokio::test]
async fn templates_are_created_and_read_back_verbatim() {
    let w = world().await;
    let body = "{\"Version\":\"2018-11-08\",\"DestinationReferences\":[\"refs/heads/main\"],\n\"Statements\":[{\"Type\":\"Approvers\",\"NumberOfApprovalsNeeded\":2,\"ApprovalPoolMembers\":[\"arn:aws:sts::000000000000:assumed-role/CodeCommitReview/*\"]}]}";
    let before = now_secs();
    let t = w
        .client
        .create_approval_rule_template()
        .approval_rule_template_name("2-approver-rule-for-main")
        .approval_rule_template_description("Requires two developers from the team to approve")
        .approval_rule_template_content(body)
        .send()
        .await
        .unwrap()
        .approval_rule_template
        .unwrap();
    assert_eq!(
        t.approval_rule_template_name(),
        Some("2-approver-rule-for-main")
    );
    assert_eq!(
        t.approval_rule_template_description(),
        Some("Requires two developers from the team to approve")
    );
    assert_eq!(t.approval_rule_template_content(), Some(body));
    assert_eq!(t.rule_content_sha256(), Some(sha256(body).as_str()));
    assert_eq!(t.last_modified_user(), Some(ROOT));
    assert_eq!(t.approval_rule_template_id().unwrap().len(), 36);
    let created = secs(t.creation_date());
    assert!((before - 1.0..=now_secs() + 1.0).contains(&created));
    assert_eq!(secs(t.last_modified_date()), created);
    assert_eq!(get_template(&w.client, "2-approver-rule-for-main").await, t);
    // No association by default.
    let repos = w
        .client
        .list_repositories_for_approval_rule_template()
        .approval_rule_template_name("2-approver-rule-for-main")
        .send()
        .await
        .unwrap();
    assert!(repos.repository_names().is_empty());
    // Without a description.
    create_template(&w.client, "plain", &template_content(1, None)).await;
    assert_eq!(
        get_template(&w.client, "plain")
            .await
            .approval_rule_template_description(),
        None
    );
}

#[tokio::test]
async fn template_inputs_are_checked() {
    let w = world().await;
    let ok = template_content(1, None);
    let create = |body: serde_json::Value| w.raw_err("CreateApprovalRuleTemplate", body);
    assert_eq!(
        create(json!({"approvalRuleTemplateContent": ok})),
        "ApprovalRuleTemplateNameRequiredException"
    );
    for bad in ["a/b", "semi;colon", "x.git", &"t".repeat(101)] {
        assert_eq!(
            create(json!({"approvalRuleTemplateName": bad, "approvalRuleTemplateContent": ok})),
            "InvalidApprovalRuleTemplateNameException",
            "{bad}"
        );
    }
    assert_eq!(
        create(json!({"approvalRuleTemplateName": "t"})),
        "ApprovalRuleTemplateContentRequiredException"
    );
    let hundred_and_one: Vec<String> = (0..101).map(|i| format!("refs/heads/b{i}")).collect();
    let many: Vec<&str> = hundred_and_one.iter().map(String::as_str).collect();
    for bad in [
        "not json".to_owned(),
        template_content(0, None),
        template_content(1, Some(&["refs/heads/*main"])),
        template_content(1, Some(&many)),
        content(1, &["arn:aws:s3:::bucket"]),
    ] {
        assert_eq!(
            create(json!({"approvalRuleTemplateName": "t", "approvalRuleTemplateContent": bad})),
            "InvalidApprovalRuleTemplateContentException"
        );
    }
    assert_eq!(
        create(
            json!({"approvalRuleTemplateName": "t", "approvalRuleTemplateContent": ok,
            "approvalRuleTemplateDescription": "d".repeat(1001)})
        ),
        "InvalidApprovalRuleTemplateDescriptionException"
    );
    assert!(list_all(&w.client, None).await.is_empty());
    // A thousand characters of description, and names with spaces and dots, are fine.
    w.client
        .create_approval_rule_template()
        .approval_rule_template_name("Rule for main v1.0")
        .approval_rule_template_content(&ok)
        .approval_rule_template_description("d".repeat(1000))
        .send()
        .await
        .unwrap();
    assert_err!(
        w.client
            .create_approval_rule_template()
            .approval_rule_template_name("Rule for main v1.0")
            .approval_rule_template_content(&ok)
            .send()
            .await,
        "ApprovalRuleTemplateNameAlreadyExistsException"
    );
    // Names are per account and region.
    let elsewhere = w.server.client_in(DEFAULT_ACCOUNT, "eu-west-1");
    create_template(&elsewhere, "Rule for main v1.0", &ok).await;
    let other = w.server.client_in("111122223333", DEFAULT_REGION);
    create_template(&other, "Rule for main v1.0", &ok).await;
    assert_eq!(list_all(&w.client, None).await, ["Rule for main v1.0"]);
    assert_err!(
        w.client
            .get_approval_rule_template()
            .approval_rule_template_name("missing")
            .send()
            .await,
        "ApprovalRuleTemplateDoesNotExistException"
    );
    assert_eq!(
        w.raw_err("GetApprovalRuleTemplate", json!({})),
        "ApprovalRuleTemplateNameRequiredException"
    );
    assert_eq!(
        w.raw_err(
            "GetApprovalRuleTemplate",
            json!({"approvalRuleTemplateName": "bad|name"})
        ),
        "InvalidApprovalRuleTemplateNameException"
    );
}

#[tokio::test]
async fn updates_change_name_description_and_content() {
    let w = world().await;
    let c1 = template_content(1, None);
    create_template(&w.client, "t1", &c1).await;
    create_template(&w.client, "taken", &c1).await;
    let original = get_template(&w.client, "t1").await;

    let renamed = w
        .user("alice")
        .update_approval_rule_template_name()
        .old_approval_rule_template_name("t1")
        .new_approval_rule_template_name("t2")
        .send()
        .await
        .unwrap()
        .approval_rule_template
        .unwrap();
    assert_eq!(renamed.approval_rule_template_name(), Some("t2"));
    assert_eq!(
        renamed.approval_rule_template_id(),
        original.approval_rule_template_id()
    );
    assert_eq!(
        renamed.last_modified_user(),
        Some(user_arn("alice").as_str())
    );
    assert_eq!(renamed.creation_date(), original.creation_date());
    assert_err!(
        w.client
            .get_approval_rule_template()
            .approval_rule_template_name("t1")
            .send()
            .await,
        "ApprovalRuleTemplateDoesNotExistException"
    );
    for (old, new, expected) in [
        (
            "t2",
            "taken",
            "ApprovalRuleTemplateNameAlreadyExistsException",
        ),
        ("t2", "t2", "ApprovalRuleTemplateNameAlreadyExistsException"),
        ("t1", "t3", "ApprovalRuleTemplateDoesNotExistException"),
        ("t2", "bad/name", "InvalidApprovalRuleTemplateNameException"),
    ] {
        assert_err!(
            w.client
                .update_approval_rule_template_name()
                .old_approval_rule_template_name(old)
                .new_approval_rule_template_name(new)
                .send()
                .await,
            expected
        );
    }
    assert_eq!(
        w.raw_err(
            "UpdateApprovalRuleTemplateName",
            json!({"oldApprovalRuleTemplateName": "t2"})
        ),
        "ApprovalRuleTemplateNameRequiredException"
    );

    let described = w
        .client
        .update_approval_rule_template_description()
        .approval_rule_template_name("t2")
        .approval_rule_template_description("now described")
        .send()
        .await
        .unwrap()
        .approval_rule_template
        .unwrap();
    assert_eq!(
        described.approval_rule_template_description(),
        Some("now described")
    );
    assert_eq!(
        described.approval_rule_template_content(),
        Some(c1.as_str())
    );
    let cleared = w
        .client
        .update_approval_rule_template_description()
        .approval_rule_template_name("t2")
        .approval_rule_template_description("")
        .send()
        .await
        .unwrap()
        .approval_rule_template
        .unwrap();
    assert_eq!(cleared.approval_rule_template_description(), Some(""));
    assert_err!(
        w.client
            .update_approval_rule_template_description()
            .approval_rule_template_name("t2")
            .approval_rule_template_description("x".repeat(1001))
            .send()
            .await,
        "InvalidApprovalRuleTemplateDescriptionException"
    );
    assert_err!(
        w.client
            .update_approval_rule_template_description()
            .approval_rule_template_name("nope")
            .approval_rule_template_description("x")
            .send()
            .await,
        "ApprovalRuleTemplateDoesNotExistException"
    );

    let c2 = template_content(2, Some(&["refs/heads/release/*"]));
    assert_err!(
        w.client
            .update_approval_rule_template_content()
            .approval_rule_template_name("t2")
            .existing_rule_content_sha256(sha256("stale"))
            .new_rule_content(&c2)
            .send()
            .await,
        "InvalidRuleContentSha256Exception"
    );
    let updated = w
        .client
        .update_approval_rule_template_content()
        .approval_rule_template_name("t2")
        .existing_rule_content_sha256(sha256(&c1))
        .new_rule_content(&c2)
        .send()
        .await
        .unwrap()
        .approval_rule_template
        .unwrap();
    assert_eq!(updated.approval_rule_template_content(), Some(c2.as_str()));
    assert_eq!(updated.rule_content_sha256(), Some(sha256(&c2).as_str()));
    for (body, expected) in [
        (
            json!({"approvalRuleTemplateName": "t2"}),
            "ApprovalRuleTemplateContentRequiredException",
        ),
        (
            json!({"approvalRuleTemplateName": "t2", "newRuleContent": "{\"Version\":\"2018-11-08\"}"}),
            "InvalidApprovalRuleTemplateContentException",
        ),
        (
            json!({"approvalRuleTemplateName": "gone", "newRuleContent": c1}),
            "ApprovalRuleTemplateDoesNotExistException",
        ),
        (
            json!({"newRuleContent": c1}),
            "ApprovalRuleTemplateNameRequiredException",
        ),
    ] {
        assert_eq!(
            w.raw_err("UpdateApprovalRuleTemplateContent", body),
            expected
        );
    }
    assert_eq!(
        get_template(&w.client, "t2")
            .await
            .approval_rule_template_content(),
        Some(c2.as_str())
    );
}

#[tokio::test]
async fn listing_pages_in_creation_order() {
    let w = world().await;
    let names = ["zeta", "alpha", "Mid one", "beta", "omega"];
    for n in names {
        create_template(&w.client, n, &template_content(1, None)).await;
    }
    assert_eq!(list_all(&w.client, None).await, names);
    assert_eq!(list_all(&w.client, Some(2)).await, names);
    assert_eq!(list_all(&w.client, Some(1)).await, names);
    let first = w
        .client
        .list_approval_rule_templates()
        .max_results(5)
        .send()
        .await
        .unwrap();
    assert_eq!(first.approval_rule_template_names().len(), 5);
    assert_eq!(first.next_token(), None);
    for bad in [0, -1, 1001] {
        assert_err!(
            w.client
                .list_approval_rule_templates()
                .max_results(bad)
                .send()
                .await,
            "InvalidMaxResultsException"
        );
    }
    assert_err!(
        w.client
            .list_approval_rule_templates()
            .next_token("garbage")
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
    // Another region has its own list.
    let eu = w.server.client_in(DEFAULT_ACCOUNT, "eu-west-1");
    assert!(list_all(&eu, None).await.is_empty());
}

#[tokio::test]
async fn deleting_answers_the_id_once_and_refuses_templates_in_use() {
    let w = world().await;
    create_template(&w.client, "t", &template_content(1, None)).await;
    let id = get_template(&w.client, "t")
        .await
        .approval_rule_template_id()
        .unwrap()
        .to_owned();
    associate(&w.client, "t", REPO).await;
    assert_err!(
        w.client
            .delete_approval_rule_template()
            .approval_rule_template_name("t")
            .send()
            .await,
        "ApprovalRuleTemplateInUseException"
    );
    get_template(&w.client, "t").await;
    w.client
        .disassociate_approval_rule_template_from_repository()
        .approval_rule_template_name("t")
        .repository_name(REPO)
        .send()
        .await
        .unwrap();
    let out = w
        .client
        .delete_approval_rule_template()
        .approval_rule_template_name("t")
        .send()
        .await
        .unwrap();
    assert_eq!(out.approval_rule_template_id(), id);
    assert_err!(
        w.client
            .get_approval_rule_template()
            .approval_rule_template_name("t")
            .send()
            .await,
        "ApprovalRuleTemplateDoesNotExistException"
    );
    // Already gone: 200 with nothing in it.
    let (status, body) = w.raw(
        "DeleteApprovalRuleTemplate",
        json!({"approvalRuleTemplateName": "t"}),
    );
    assert_eq!((status, body), (200, json!({})));
    assert_eq!(
        w.raw_err("DeleteApprovalRuleTemplate", json!({})),
        "ApprovalRuleTemplateNameRequiredException"
    );
    assert_eq!(
        w.raw_err(
            "DeleteApprovalRuleTemplate",
            json!({"approvalRuleTemplateName": "a*b"})
        ),
        "InvalidApprovalRuleTemplateNameException"
    );
    // The name is free again.
    create_template(&w.client, "t", &template_content(1, None)).await;
}

#[tokio::test]
async fn a_thousand_templates_per_region() {
    let w = world().await;
    let body = template_content(1, None);
    for i in 0..1000 {
        let (status, json) = w.raw(
            "CreateApprovalRuleTemplate",
            json!({"approvalRuleTemplateName": format!("t{i:04}"), "approvalRuleTemplateContent": body}),
        );
        assert_eq!(status, 200, "{json}");
    }
    assert_err!(
        w.client
            .create_approval_rule_template()
            .approval_rule_template_name("one-too-many")
            .approval_rule_template_content(&body)
            .send()
            .await,
        "NumberOfRuleTemplatesExceededException"
    );
    assert_eq!(list_all(&w.client, None).await.len(), 1000);
    // Another region is not affected.
    create_template(
        &w.server.client_in(DEFAULT_ACCOUNT, "eu-west-1"),
        "one-too-many",
        &body,
    )
    .await;
}

#[tokio::test]
async fn template_changes_are_events() {
    use codecommit_local::events::Event;
    use codecommit_local::events::payload::TemplateEventKind as K;
    let w = world().await;
    let mut stream = w.server.state.events.subscribe_events();
    let c1 = template_content(1, None);
    create_template(&w.client, "t", &c1).await;
    w.client
        .update_approval_rule_template_name()
        .old_approval_rule_template_name("t")
        .new_approval_rule_template_name("u")
        .send()
        .await
        .unwrap();
    w.client
        .delete_approval_rule_template()
        .approval_rule_template_name("u")
        .send()
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let e = stream.recv().await.unwrap();
        let Event::ApprovalRuleTemplate(t) = &*e else {
            panic!("{e:?}")
        };
        assert_eq!(t.content_sha256, sha256(&c1));
        assert!(t.repositories.is_empty());
        assert_eq!(t.caller_arn, ROOT);
        seen.push((t.kind, t.template_name.clone()));
    }
    assert_eq!(
        seen,
        [
            (K::Created, "t".to_owned()),
            (K::Updated, "u".to_owned()),
            (K::Deleted, "u".to_owned()),
        ]
    );
}
