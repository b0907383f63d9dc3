//! The real binary: templates, associations, rules, approvals and overrides acknowledged
//! before a `kill -9` are all there after the restart.

use super::*;
use crate::common::process::Process;
use crate::persistence::data_dir;

/// A CodeCommit client acting as a session of role `Reviewers`, from the process's own STS.
async fn reviewer(server: &Process, session: &str) -> Client {
    let endpoint = format!("http://{}", server.addr);
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new(DEFAULT_REGION))
            .endpoint_url(&endpoint)
            .credentials_provider(aws_sdk_codecommit::config::Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "tests",
            ))
            .build(),
    );
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{DEFAULT_ACCOUNT}:role/Reviewers"))
        .role_session_name(session)
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    client_with(
        &endpoint,
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
        DEFAULT_REGION,
    )
}

#[tokio::test]
async fn everything_acknowledged_survives_kill_9() {
    let (_tmp, data) = data_dir();
    let server = Process::start(&data);
    let client = server.client();
    create_repo(&client, REPO).await;
    put(&client, REPO, "main", None, "README.md", "app\n").await;
    create_template(
        &client,
        "t",
        &template_content(1, Some(&["refs/heads/main"])),
    )
    .await;
    associate(&client, "t", REPO).await;
    branch_with_commit(&client, REPO, "feature", "main").await;
    let pr = create_pr(&client, REPO, "feature", "main").await;
    let manual = add_rule(&client, &pr, "manual", &content(1, &[])).await;
    approve(&reviewer(&server, "bob").await, &pr).await;
    set_override(
        &reviewer(&server, "carol").await,
        &pr,
        OverrideStatus::Override,
    )
    .await;
    server.kill();

    let server = Process::start(&data);
    let client = server.client();
    let after = get_pr(&client, id(&pr)).await;
    assert_eq!(after.approval_rules().len(), 2);
    assert_eq!(after.approval_rules()[1], manual);
    assert_eq!(
        approvers(&client, id(&pr), rev(&pr)).await,
        [format!(
            "arn:aws:sts::{DEFAULT_ACCOUNT}:assumed-role/Reviewers/bob"
        )]
    );
    let e = evaluate(&client, &after).await;
    assert!(e.overridden() && e.approved());
    assert_eq!(e.approval_rules_satisfied(), ["t", "manual"]);
    let templates = client
        .list_associated_approval_rule_templates_for_repository()
        .repository_name(REPO)
        .send()
        .await
        .unwrap();
    assert_eq!(templates.approval_rule_template_names(), ["t"]);
    server.kill();
}
