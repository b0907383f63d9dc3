//! Templates ↔ repositories: single and batch (dis)association, the listings both ways, the
//! 25-per-repository limit, repository renames and deletes, and their events.

use super::*;
use crate::assert_err;
use serde_json::json;

async fn templates_of(client: &Client, repo: &str, page: Option<i32>) -> Vec<String> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let out = client
            .list_associated_approval_rule_templates_for_repository()
            .repository_name(repo)
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

async fn repositories_of(client: &Client, template: &str, page: Option<i32>) -> Vec<String> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let out = client
            .list_repositories_for_approval_rule_template()
            .approval_rule_template_name(template)
            .set_max_results(page)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        names.extend(out.repository_names().iter().cloned());
        match out.next_token {
            Some(t) => token = Some(t),
            None => return names,
        }
    }
}

async fn disassociate(client: &Client, template: &str, repo: &str) {
    client
        .disassociate_approval_rule_template_from_repository()
        .approval_rule_template_name(template)
        .repository_name(repo)
        .send()
        .await
        .unwrap_or_else(|e| panic!("Disassociate {template} from {repo}: {e:?}"));
}

#[tokio::test]
async fn associations_list_both_ways() {
    let w = world().await;
    create_repo(&w.client, "second").await;
    for t in ["t1", "t2", "t3"] {
        create_template(&w.client, t, &template_content(1, None)).await;
    }
    associate(&w.client, "t2", REPO).await;
    associate(&w.client, "t1", REPO).await;
    associate(&w.client, "t1", "second").await;
    associate(&w.client, "t1", REPO).await; // again: no change
    assert_eq!(templates_of(&w.client, REPO, None).await, ["t2", "t1"]);
    assert_eq!(templates_of(&w.client, REPO, Some(1)).await, ["t2", "t1"]);
    assert_eq!(templates_of(&w.client, "second", None).await, ["t1"]);
    assert_eq!(
        repositories_of(&w.client, "t1", None).await,
        [REPO, "second"]
    );
    assert_eq!(
        repositories_of(&w.client, "t1", Some(1)).await,
        [REPO, "second"]
    );
    assert!(repositories_of(&w.client, "t3", None).await.is_empty());
    disassociate(&w.client, "t1", REPO).await;
    disassociate(&w.client, "t1", REPO).await; // not associated: no change
    disassociate(&w.client, "t3", REPO).await;
    assert_eq!(templates_of(&w.client, REPO, None).await, ["t2"]);
    assert_eq!(repositories_of(&w.client, "t1", None).await, ["second"]);
    // Paging inputs.
    assert_err!(
        w.client
            .list_associated_approval_rule_templates_for_repository()
            .repository_name(REPO)
            .max_results(0)
            .send()
            .await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        w.client
            .list_repositories_for_approval_rule_template()
            .approval_rule_template_name("t1")
            .next_token("bogus")
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
}

#[tokio::test]
async fn association_inputs_are_checked() {
    let w = world().await;
    create_template(&w.client, "t", &template_content(1, None)).await;
    for op in [
        "AssociateApprovalRuleTemplateWithRepository",
        "DisassociateApprovalRuleTemplateFromRepository",
    ] {
        let call = |body: serde_json::Value| w.raw_err(op, body);
        assert_eq!(
            call(json!({"repositoryName": REPO})),
            "ApprovalRuleTemplateNameRequiredException"
        );
        assert_eq!(
            call(json!({"approvalRuleTemplateName": "t?", "repositoryName": REPO})),
            "InvalidApprovalRuleTemplateNameException"
        );
        assert_eq!(
            call(json!({"approvalRuleTemplateName": "missing", "repositoryName": REPO})),
            "ApprovalRuleTemplateDoesNotExistException"
        );
        assert_eq!(
            call(json!({"approvalRuleTemplateName": "t"})),
            "RepositoryNameRequiredException"
        );
        assert_eq!(
            call(json!({"approvalRuleTemplateName": "t", "repositoryName": "bad name"})),
            "InvalidRepositoryNameException"
        );
        assert_eq!(
            call(json!({"approvalRuleTemplateName": "t", "repositoryName": "nowhere"})),
            "RepositoryDoesNotExistException"
        );
    }
    // Another account's repository of the same name is not this account's.
    let other = w.server.client_in("111122223333", DEFAULT_REGION);
    create_repo(&other, "theirs").await;
    assert_err!(
        w.client
            .associate_approval_rule_template_with_repository()
            .approval_rule_template_name("t")
            .repository_name("theirs")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    for op in [
        "ListAssociatedApprovalRuleTemplatesForRepository",
        "ListRepositoriesForApprovalRuleTemplate",
    ] {
        let (status, _) = w.raw(op, json!({}));
        assert_eq!(status, 400, "{op}");
    }
    assert_eq!(
        w.raw_err(
            "ListAssociatedApprovalRuleTemplatesForRepository",
            json!({"repositoryName": "nowhere"})
        ),
        "RepositoryDoesNotExistException"
    );
    assert_eq!(
        w.raw_err(
            "ListRepositoriesForApprovalRuleTemplate",
            json!({"approvalRuleTemplateName": "missing"})
        ),
        "ApprovalRuleTemplateDoesNotExistException"
    );
    assert!(templates_of(&w.client, REPO, None).await.is_empty());
}

#[tokio::test]
async fn batches_report_each_repository() {
    let w = world().await;
    create_repo(&w.client, "second").await;
    create_template(&w.client, "t", &template_content(1, None)).await;
    associate(&w.client, "t", "second").await;
    let out = w
        .client
        .batch_associate_approval_rule_template_with_repositories()
        .approval_rule_template_name("t")
        .set_repository_names(Some(vec![
            REPO.into(),
            "nowhere".into(),
            "bad name".into(),
            "second".into(),
            REPO.into(),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.associated_repository_names(), [REPO, "second"]);
    let errors: Vec<_> = out
        .errors()
        .iter()
        .map(|e| {
            assert!(!e.error_message().unwrap_or_default().is_empty());
            (
                e.repository_name().unwrap().to_owned(),
                e.error_code().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (
                "nowhere".to_owned(),
                "RepositoryDoesNotExistException".to_owned()
            ),
            (
                "bad name".to_owned(),
                "InvalidRepositoryNameException".to_owned()
            ),
        ]
    );
    assert_eq!(
        repositories_of(&w.client, "t", None).await,
        ["second", REPO]
    );

    // An empty list is allowed; a missing one is not; more than 100 is refused.
    let (status, body) = w.raw(
        "BatchAssociateApprovalRuleTemplateWithRepositories",
        json!({"approvalRuleTemplateName": "t", "repositoryNames": []}),
    );
    assert_eq!(
        (status, body),
        (200, json!({"associatedRepositoryNames": [], "errors": []}))
    );
    for op in [
        "BatchAssociateApprovalRuleTemplateWithRepositories",
        "BatchDisassociateApprovalRuleTemplateFromRepositories",
    ] {
        assert_eq!(
            w.raw_err(op, json!({"approvalRuleTemplateName": "t"})),
            "RepositoryNamesRequiredException"
        );
        let names: Vec<String> = (0..101).map(|i| format!("r{i}")).collect();
        assert_eq!(
            w.raw_err(
                op,
                json!({"approvalRuleTemplateName": "t", "repositoryNames": names})
            ),
            "MaximumRepositoryNamesExceededException"
        );
        assert_eq!(
            w.raw_err(
                op,
                json!({"approvalRuleTemplateName": "missing", "repositoryNames": [REPO]})
            ),
            "ApprovalRuleTemplateDoesNotExistException"
        );
        assert_eq!(
            w.raw_err(op, json!({"repositoryNames": [REPO]})),
            "ApprovalRuleTemplateNameRequiredException"
        );
        assert_eq!(
            w.raw_err(
                op,
                json!({"approvalRuleTemplateName": "bad|", "repositoryNames": [REPO]})
            ),
            "InvalidApprovalRuleTemplateNameException"
        );
    }

    let out = w
        .client
        .batch_disassociate_approval_rule_template_from_repositories()
        .approval_rule_template_name("t")
        .set_repository_names(Some(vec![REPO.into(), "nowhere".into()]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.disassociated_repository_names(), [REPO]);
    assert_eq!(out.errors().len(), 1);
    assert_eq!(
        out.errors()[0].error_code(),
        Some("RepositoryDoesNotExistException")
    );
    assert_eq!(repositories_of(&w.client, "t", None).await, ["second"]);
}

#[tokio::test]
async fn twenty_five_templates_per_repository() {
    let w = world().await;
    create_repo(&w.client, "second").await;
    for i in 0..26 {
        create_template(&w.client, &format!("t{i:02}"), &template_content(1, None)).await;
    }
    for i in 0..25 {
        associate(&w.client, &format!("t{i:02}"), REPO).await;
    }
    assert_err!(
        w.client
            .associate_approval_rule_template_with_repository()
            .approval_rule_template_name("t25")
            .repository_name(REPO)
            .send()
            .await,
        "MaximumRuleTemplatesAssociatedWithRepositoryException"
    );
    // Associating one already there is still fine.
    associate(&w.client, "t00", REPO).await;
    let out = w
        .client
        .batch_associate_approval_rule_template_with_repositories()
        .approval_rule_template_name("t25")
        .set_repository_names(Some(vec![REPO.into(), "second".into()]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.associated_repository_names(), ["second"]);
    assert_eq!(
        out.errors()[0].error_code(),
        Some("MaximumRuleTemplatesAssociatedWithRepositoryException")
    );
    assert_eq!(templates_of(&w.client, REPO, None).await.len(), 25);
    assert_eq!(templates_of(&w.client, REPO, Some(10)).await.len(), 25);
}

#[tokio::test]
async fn renamed_and_deleted_repositories_keep_associations_right() {
    let w = world().await;
    create_repo(&w.client, "doomed").await;
    create_template(&w.client, "t", &template_content(1, None)).await;
    associate(&w.client, "t", REPO).await;
    associate(&w.client, "t", "doomed").await;
    w.client
        .update_repository_name()
        .old_name(REPO)
        .new_name("renamed")
        .send()
        .await
        .unwrap();
    assert_eq!(
        repositories_of(&w.client, "t", None).await,
        ["renamed", "doomed"]
    );
    assert_eq!(templates_of(&w.client, "renamed", None).await, ["t"]);
    // Pull requests in the renamed repository still get the template's rule.
    let pr = w.pr_into(&w.client, "renamed", "feature", "main").await;
    assert_eq!(pr.approval_rules().len(), 1);
    w.client
        .delete_repository()
        .repository_name("doomed")
        .send()
        .await
        .unwrap();
    assert_eq!(repositories_of(&w.client, "t", None).await, ["renamed"]);
    // A new repository of the old name starts without associations.
    create_repo(&w.client, "doomed").await;
    assert!(templates_of(&w.client, "doomed", None).await.is_empty());
    disassociate(&w.client, "t", "renamed").await;
    w.client
        .delete_approval_rule_template()
        .approval_rule_template_name("t")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn association_changes_are_events() {
    use codecommit_local::events::Event;
    use codecommit_local::events::payload::TemplateEventKind as K;
    use std::collections::BTreeMap;
    let w = world().await;
    let second = create_repo(&w.client, "second").await;
    let app = get_repo(&w.client, REPO).await;
    create_template(&w.client, "t", &template_content(1, None)).await;
    let mut stream = w.server.state.events.subscribe_events();
    associate(&w.client, "t", REPO).await;
    associate(&w.client, "t", REPO).await; // no change, no event
    w.client
        .batch_associate_approval_rule_template_with_repositories()
        .approval_rule_template_name("t")
        .set_repository_names(Some(vec![REPO.into(), "second".into()]))
        .send()
        .await
        .unwrap();
    w.client
        .batch_disassociate_approval_rule_template_from_repositories()
        .approval_rule_template_name("t")
        .set_repository_names(Some(vec!["second".into()]))
        .send()
        .await
        .unwrap();
    disassociate(&w.client, "t", REPO).await;
    let id =
        |m: &aws_sdk_codecommit::types::RepositoryMetadata| m.repository_id().unwrap().to_owned();
    let expected = [
        (K::AssociatedWithRepository, vec![(REPO, id(&app))]),
        (K::BatchAssociated, vec![("second", id(&second))]),
        (K::BatchDisassociated, vec![("second", id(&second))]),
        (K::DisassociatedFromRepository, vec![(REPO, id(&app))]),
    ];
    for (kind, repos) in expected {
        let e = stream.recv().await.unwrap();
        let Event::ApprovalRuleTemplate(t) = &*e else {
            panic!("{e:?}")
        };
        assert_eq!(t.kind, kind);
        assert_eq!(t.template_name, "t");
        let repos: BTreeMap<String, String> =
            repos.into_iter().map(|(n, i)| (n.to_owned(), i)).collect();
        assert_eq!(t.repositories, repos);
    }
    assert!(stream.try_recv().is_err(), "no further events");
}
