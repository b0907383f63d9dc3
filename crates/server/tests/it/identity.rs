//! Callers: STS at the same endpoint (GetCallerIdentity, AssumeRole, GetSessionToken,
//! GetFederationToken) through the official `aws-sdk-sts`, temporary credentials acting as
//! their principal on CodeCommit calls, and the principals file.

use crate::assert_err;
use crate::common::{self, DEFAULT_ACCOUNT, TestServer, client_with, create_repo};
use aws_sdk_sts::error::ProvideErrorMetadata as _;

/// The author name of an API commit made without a name is the caller's ARN
/// (codecommit-facts.md §2 "Commits"): a way to see which principal the server saw.
async fn commit_author(client: &aws_sdk_codecommit::Client, repo: &str) -> String {
    create_repo(client, repo).await;
    let put = client
        .put_file()
        .repository_name(repo)
        .branch_name("main")
        .file_path("a.txt")
        .file_content(aws_sdk_codecommit::primitives::Blob::new("a"))
        .send()
        .await
        .unwrap();
    let commit = client
        .get_commit()
        .repository_name(repo)
        .commit_id(put.commit_id())
        .send()
        .await
        .unwrap();
    commit
        .commit()
        .unwrap()
        .author()
        .unwrap()
        .name()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn caller_identity_of_plain_keys() {
    let server = TestServer::start();
    let me = server
        .sts("AKIDEXAMPLE")
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some(DEFAULT_ACCOUNT));
    assert_eq!(me.arn(), Some("arn:aws:iam::000000000000:root"));
    assert_eq!(me.user_id(), Some(DEFAULT_ACCOUNT));
    let other = server
        .sts("111122223333")
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(other.account(), Some("111122223333"));
    assert_eq!(other.arn(), Some("arn:aws:iam::111122223333:root"));
    // The root ARN is also what CodeCommit records.
    let author = commit_author(&server.client(), "who").await;
    assert_eq!(author, "arn:aws:iam::000000000000:root");
}

#[tokio::test]
async fn assumed_roles_act_as_their_session() {
    let server = TestServer::start();
    let (client, arn) = server
        .assume_role("arn:aws:iam::111122223333:role/path/Reviewer", "bob")
        .await;
    assert_eq!(arn, "arn:aws:sts::111122223333:assumed-role/Reviewer/bob");
    // The role's account, not the caller's: the repository lives in 111122223333.
    let author = commit_author(&client, "reviewed").await;
    assert_eq!(author, arn);
    let in_account = server.client_in("111122223333", common::DEFAULT_REGION);
    common::get_repo(&in_account, "reviewed").await;
    assert_err!(
        server
            .client()
            .get_repository()
            .repository_name("reviewed")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
}

#[tokio::test]
async fn temporary_credentials_report_their_principal_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let out = {
        let server = TestServer::start_with(|c| c.data_dir = data.clone());
        let out = server
            .sts("AKIDEXAMPLE")
            .assume_role()
            .role_arn("arn:aws:iam::111122223333:role/Dev")
            .role_session_name("carol@example.com")
            .duration_seconds(900)
            .send()
            .await
            .unwrap();
        let user = out.assumed_role_user().unwrap();
        assert!(user.assumed_role_id().starts_with("AROA"));
        assert!(user.assumed_role_id().ends_with(":carol@example.com"));
        let c = out.credentials().unwrap();
        assert!(c.access_key_id().starts_with("ASIA"));
        assert_eq!(c.access_key_id().len(), 20);
        let left = c.expiration().secs() as f64 - common::now_secs();
        assert!((800.0..=901.0).contains(&left), "expires in {left}s");
        out
    };
    let server = TestServer::start_with(|c| c.data_dir = data.clone());
    let c = out.credentials().unwrap();
    let me = server
        .sts_with(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::111122223333:assumed-role/Dev/carol@example.com")
    );
    assert_eq!(me.account(), Some("111122223333"));
    assert_eq!(
        me.user_id(),
        Some(out.assumed_role_user().unwrap().assumed_role_id())
    );
}

#[tokio::test]
async fn federation_and_session_tokens() {
    let server = TestServer::start();
    let fed = server
        .sts("111122223333")
        .get_federation_token()
        .name("fedUser")
        .send()
        .await
        .unwrap();
    let user = fed.federated_user().unwrap();
    assert_eq!(
        user.arn(),
        "arn:aws:sts::111122223333:federated-user/fedUser"
    );
    assert_eq!(user.federated_user_id(), "111122223333:fedUser");
    let c = fed.credentials().unwrap();
    let client = client_with(
        &server.endpoint(),
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
        common::DEFAULT_REGION,
    );
    assert_eq!(
        commit_author(&client, "fed").await,
        "arn:aws:sts::111122223333:federated-user/fedUser"
    );
    // Temporary credentials cannot ask for more.
    let temp = server.sts_with(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    let err = temp.get_session_token().send().await.unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let session = server
        .sts("111122223333")
        .get_session_token()
        .send()
        .await
        .unwrap();
    let c = session.credentials().unwrap();
    let me = server
        .sts_with(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::111122223333:root"));
}

#[tokio::test]
async fn invalid_sts_input_is_a_validation_error() {
    let server = TestServer::start();
    let sts = server.sts("AKIDEXAMPLE");
    for (role, session) in [
        ("arn:aws:iam::111122223333:role/Dev", "x"),
        ("arn:aws:iam::111122223333:role/Dev", "has space"),
        ("arn:aws:iam::111122223333:user/alice", "ok-session"),
        ("not-an-arn-at-all-really", "ok-session"),
    ] {
        let err = sts
            .assume_role()
            .role_arn(role)
            .role_session_name(session)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("ValidationError"), "{role} {session}");
    }
    let err = sts
        .assume_role()
        .role_arn("arn:aws:iam::111122223333:role/Dev")
        .role_session_name("fine")
        .duration_seconds(60)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    // Unknown actions, raw.
    let r = common::http::request(
        server.addr,
        "POST",
        "/",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"Action=DeleteEverything&Version=2011-06-15",
    );
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("<Code>InvalidAction</Code>"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn principals_file_maps_keys_to_arns() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("principals.toml");
    std::fs::write(
        &file,
        r#"
[[principals]]
access_key_id = "AKIAALICE"
secret_access_key = "alice-secret"
arn = "arn:aws:iam::111122223333:user/alice"
"#,
    )
    .unwrap();
    let loaded = codecommit_local::identity::PrincipalsFile::load(&file).unwrap();
    let server = TestServer::start_with(|c| c.principals = Some(std::sync::Arc::new(loaded)));
    let me = server
        .sts_with("AKIAALICE", "alice-secret", None)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::111122223333:user/alice"));
    assert!(me.user_id().unwrap().starts_with("AIDA"));
    let alice = client_with(
        &server.endpoint(),
        "AKIAALICE",
        "alice-secret",
        None,
        common::DEFAULT_REGION,
    );
    assert_eq!(
        commit_author(&alice, "alices").await,
        "arn:aws:iam::111122223333:user/alice"
    );
    common::get_repo(
        &server.client_in("111122223333", common::DEFAULT_REGION),
        "alices",
    )
    .await;
}

/// Session tags `displayName` and `emailAddress` reach the EventBridge events of what the
/// session does (codecommit-facts.md §6, §8), from a ref move and from another event, and
/// still after a restart; a session without them adds nothing.
#[tokio::test]
async fn session_tags_name_the_caller_in_events() {
    use aws_sdk_sts::types::Tag;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
    let (tagged, plain) = {
        let server = TestServer::start_with(|c| c.data_dir = data.clone());
        let tagged = server
            .sts("AKIDEXAMPLE")
            .assume_role()
            .role_arn(format!("arn:aws:iam::{DEFAULT_ACCOUNT}:role/Reviewer"))
            .role_session_name("bob")
            .tags(tag("displayName", "Bob B"))
            .tags(tag("emailAddress", "bob@example.com"))
            .tags(tag("team", "web"))
            .send()
            .await
            .unwrap();
        let plain = server
            .sts("AKIDEXAMPLE")
            .get_federation_token()
            .name("Mary_Major")
            .send()
            .await
            .unwrap();
        (tagged, plain)
    };
    let server = TestServer::start_with(|c| c.data_dir = data.clone());
    let client_of = |out: &aws_sdk_sts::types::Credentials| {
        client_with(
            &server.endpoint(),
            out.access_key_id(),
            out.secret_access_key(),
            Some(out.session_token()),
            common::DEFAULT_REGION,
        )
    };
    let bob = client_of(tagged.credentials().unwrap());
    let mary = client_of(plain.credentials().unwrap());
    commit_author(&bob, "tagged").await;
    commit_author(&mary, "untagged").await;
    bob.create_approval_rule_template()
        .approval_rule_template_name("t")
        .approval_rule_template_content(
            r#"{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}"#,
        )
        .send()
        .await
        .unwrap();

    let listed =
        crate::events::list_events(&server, "target=eventbridge&limit=100")["events"].clone();
    let detail_of = |event: &str, repository: Option<&str>| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["payload"]["detail"].clone())
            .find(|d| d["event"] == event && repository.is_none_or(|r| d["repositoryName"] == r))
            .unwrap_or_else(|| panic!("no {event} event in {listed}"))
    };
    for d in [
        detail_of("referenceCreated", Some("tagged")),
        detail_of("approvalRuleTemplateCreated", None),
    ] {
        assert_eq!(d["displayName"], "Bob B", "{d}");
        assert_eq!(d["emailAddress"], "bob@example.com", "{d}");
        assert_eq!(
            d["callerUserArn"],
            format!("arn:aws:sts::{DEFAULT_ACCOUNT}:assumed-role/Reviewer/bob")
        );
    }
    let d = detail_of("referenceCreated", Some("untagged"));
    assert!(
        d.get("displayName").is_none() && d.get("emailAddress").is_none(),
        "{d}"
    );
}
