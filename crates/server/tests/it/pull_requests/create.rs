//! CreatePullRequest: the answer's shape, defaults, every creation rule, idempotency and the
//! open limit; GetPullRequest on what was made.

use super::*;
use crate::assert_err;
use serde_json::json;

#[tokio::test]
async fn create_answers_the_pull_request_and_get_shows_the_same() {
    let w = world().await;
    let main = w.remote("main").unwrap();
    let tip = w.branch("feature", "main", "f.txt", "feature\n");
    let before = now_secs();
    let pr = w.create("feature", Some("main")).await;
    assert_eq!(pr.pull_request_id(), Some("1"));
    assert_eq!(pr.title(), Some("feature PR"));
    assert_eq!(pr.description(), Some("description"));
    assert!(is_open(&pr));
    assert_eq!(pr.author_arn(), Some(ROOT_ARN));
    let created = secs(pr.creation_date());
    assert!(created >= before - 1.0 && created <= now_secs() + 1.0);
    assert_eq!(secs(pr.last_activity_date()), created);
    let revision = pr.revision_id().unwrap();
    assert_eq!(revision.len(), 64);
    assert!(revision.bytes().all(|b| b.is_ascii_hexdigit()));
    // The SDK fills the idempotency token; it is echoed.
    assert!(pr.client_request_token().is_some_and(|t| !t.is_empty()));
    assert!(pr.approval_rules().is_empty());
    let t = target(&pr);
    assert_eq!(t.repository_name(), Some(REPO));
    assert_eq!(t.source_reference(), Some("refs/heads/feature"));
    assert_eq!(t.destination_reference(), Some("refs/heads/main"));
    assert_eq!(t.source_commit(), Some(tip.as_str()));
    assert_eq!(t.destination_commit(), Some(main.as_str()));
    assert_eq!(t.merge_base(), Some(main.as_str()));
    let mm = t.merge_metadata().unwrap();
    assert!(!mm.is_merged());
    assert_eq!(
        (mm.merged_by(), mm.merge_commit_id(), mm.merge_option()),
        (None, None, None)
    );
    assert_eq!(w.get("1").await, pr);

    // On the wire: an open pull request's mergeMetadata is exactly {"isMerged": false}.
    let (status, body) = w.raw("GetPullRequest", json!({"pullRequestId": "1"}));
    assert_eq!(status, 200);
    assert_eq!(
        body["pullRequest"]["pullRequestTargets"][0]["mergeMetadata"],
        json!({"isMerged": false})
    );
    assert!(body["pullRequest"]["creationDate"].is_f64());

    // The log starts with the creation.
    let events = w.events("1").await;
    assert_eq!(types(&events), [PullRequestEventType::PullRequestCreated]);
    let e = &events[0];
    assert_eq!(e.pull_request_id(), Some("1"));
    assert_eq!(e.actor_arn(), Some(ROOT_ARN));
    assert_eq!(secs(e.event_date()), created);
    let m = e.pull_request_created_event_metadata().unwrap();
    assert_eq!(m.repository_name(), Some(REPO));
    assert_eq!(m.source_commit_id(), Some(tip.as_str()));
    assert_eq!(m.destination_commit_id(), Some(main.as_str()));
    assert_eq!(m.merge_base(), Some(main.as_str()));

    // Ids count up per account and region; the author is whoever calls.
    w.branch("second", "main", "s.txt", "s\n");
    let (bob, bob_arn) = w
        .server
        .assume_role("arn:aws:iam::000000000000:role/Dev", "bob")
        .await;
    let pr2 = create_with(&bob, REPO, "second", None, "by bob").await;
    assert_eq!(pr2.pull_request_id(), Some("2"));
    assert_eq!(pr2.author_arn(), Some(bob_arn.as_str()));
    assert_ne!(pr2.revision_id(), pr.revision_id());
}

#[tokio::test]
async fn destination_defaults_to_the_default_branch_and_full_refs_are_accepted() {
    let w = world().await;
    w.branch("feature", "main", "f.txt", "f\n");
    w.branch("release", "main", "r.txt", "r\n");
    let pr = w.create("feature", None).await;
    assert_eq!(target(&pr).destination_reference(), Some("refs/heads/main"));
    w.client
        .update_default_branch()
        .repository_name(REPO)
        .default_branch_name("release")
        .send()
        .await
        .unwrap();
    let pr = w.create("refs/heads/feature", None).await;
    assert_eq!(target(&pr).source_reference(), Some("refs/heads/feature"));
    assert_eq!(
        target(&pr).destination_reference(),
        Some("refs/heads/release")
    );
    let pr = w.create("feature", Some("refs/heads/main")).await;
    assert_eq!(target(&pr).destination_reference(), Some("refs/heads/main"));
    // No description is fine, and stays absent.
    let out = w
        .client
        .create_pull_request()
        .title("t")
        .targets(
            Target::builder()
                .repository_name(REPO)
                .source_reference("release")
                .destination_reference("main")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.pull_request().unwrap().description(), None);
}

#[tokio::test]
async fn every_creation_rule_has_its_exception_and_creates_nothing() {
    let w = world().await;
    w.branch("feature", "main", "f.txt", "f\n");
    w.g(&["tag", "v1", "main"]);
    w.push(&["v1"]);
    let main = w.remote("main").unwrap();
    create_repo(&w.client, "other").await;
    let t = |repo: &str, src: &str, dst: Option<&str>| {
        let mut v = json!({"repositoryName": repo, "sourceReference": src});
        if let Some(d) = dst {
            v["destinationReference"] = json!(d);
        }
        v
    };
    let create = |targets: serde_json::Value| json!({"title": "t", "targets": targets, "clientRequestToken": uuid_token()});
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!({"title": "t"}), "TargetsRequiredException"),
        (create(json!([])), "TargetsRequiredException"),
        (
            create(json!([
                t(REPO, "feature", None),
                t("other", "feature", None)
            ])),
            "MultipleRepositoriesInPullRequestException",
        ),
        (
            create(json!([t(REPO, "feature", None), t(REPO, "feature", None)])),
            "InvalidTargetsException",
        ),
        (create(json!([{}])), "TargetRequiredException"),
        (
            create(json!([{"destinationReference": "main"}])),
            "InvalidTargetException",
        ),
        (
            create(json!([{"sourceReference": "feature"}])),
            "RepositoryNameRequiredException",
        ),
        (
            create(json!([t("bad name", "feature", None)])),
            "InvalidRepositoryNameException",
        ),
        (
            create(json!([t("missing", "feature", None)])),
            "RepositoryDoesNotExistException",
        ),
        (
            create(json!([{"repositoryName": REPO}])),
            "ReferenceNameRequiredException",
        ),
        (
            create(json!([t(REPO, "a..b", None)])),
            "InvalidReferenceNameException",
        ),
        (
            create(json!([t(REPO, "feature", Some("bad ref"))])),
            "InvalidReferenceNameException",
        ),
        (
            create(json!([t(REPO, "nope", None)])),
            "ReferenceDoesNotExistException",
        ),
        (
            create(json!([t(REPO, "feature", Some("nope"))])),
            "ReferenceDoesNotExistException",
        ),
        (
            create(json!([t(REPO, "v1", None)])),
            "ReferenceTypeNotSupportedException",
        ),
        (
            create(json!([t(REPO, "feature", Some("refs/tags/v1"))])),
            "ReferenceTypeNotSupportedException",
        ),
        (
            create(json!([t(REPO, &main, None)])),
            "ReferenceTypeNotSupportedException",
        ),
        (
            create(json!([t(REPO, "main", Some("refs/heads/main"))])),
            "SourceAndDestinationAreSameException",
        ),
        (
            create(json!([t(REPO, "main", None)])),
            "SourceAndDestinationAreSameException",
        ),
        (
            json!({"targets": [t(REPO, "feature", None)]}),
            "TitleRequiredException",
        ),
        (
            json!({"title": "", "targets": [t(REPO, "feature", None)]}),
            "TitleRequiredException",
        ),
        (
            json!({"title": "x".repeat(151), "targets": [t(REPO, "feature", None)]}),
            "InvalidTitleException",
        ),
        (
            json!({"title": "t", "description": "d".repeat(10241), "targets": [t(REPO, "feature", None)]}),
            "InvalidDescriptionException",
        ),
        (
            json!({"title": "t", "clientRequestToken": "x".repeat(129), "targets": [t(REPO, "feature", None)]}),
            "InvalidClientRequestTokenException",
        ),
        (
            json!({"title": "t", "clientRequestToken": "", "targets": [t(REPO, "feature", None)]}),
            "ClientRequestTokenRequiredException",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            w.raw_err("CreatePullRequest", body.clone()),
            expected,
            "{body}"
        );
    }
    // An empty repository has no default branch to default to.
    create_repo(&w.client, "empty").await;
    assert_eq!(
        w.raw_err("CreatePullRequest", create(json!([t("empty", "x", None)]))),
        "ReferenceDoesNotExistException"
    );
    let listed = w
        .client
        .list_pull_requests()
        .repository_name(REPO)
        .send()
        .await
        .unwrap();
    assert!(listed.pull_request_ids().is_empty());

    // The limits themselves are accepted (the model's: 150 and 10,240 characters).
    let (status, body) = w.raw(
        "CreatePullRequest",
        json!({"title": "é".repeat(150), "description": "d".repeat(10240), "targets": [t(REPO, "feature", None)]}),
    );
    assert_eq!(status, 200, "{body}");
    // Without a token there is no idempotency, and nothing is echoed.
    assert!(body["pullRequest"].get("clientRequestToken").is_none());
    assert_eq!(body["pullRequest"]["pullRequestId"], "1");
}

fn uuid_token() -> String {
    unique("token")
}

#[tokio::test]
async fn the_same_token_returns_the_original_and_different_input_is_refused() {
    let w = world().await;
    w.branch("feature", "main", "f.txt", "f\n");
    w.branch("other", "main", "o.txt", "o\n");
    let send = |token: &str, title: &str, source: &str| {
        w.client
            .create_pull_request()
            .title(title)
            .client_request_token(token)
            .targets(
                Target::builder()
                    .repository_name(REPO)
                    .source_reference(source)
                    .build()
                    .unwrap(),
            )
            .send()
    };
    let first = send("tok-1", "t", "feature")
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(first.client_request_token(), Some("tok-1"));
    let again = send("tok-1", "t", "feature")
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(again, first);
    assert_err!(
        send("tok-1", "another title", "feature").await,
        "IdempotencyParameterMismatchException"
    );
    assert_err!(
        send("tok-1", "t", "other").await,
        "IdempotencyParameterMismatchException"
    );
    // The original is answered even after it changed, and after its branch is gone.
    w.client
        .update_pull_request_title()
        .pull_request_id(id(&first))
        .title("renamed")
        .send()
        .await
        .unwrap();
    let again = send("tok-1", "t", "feature")
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(again.pull_request_id(), first.pull_request_id());
    assert_eq!(again.title(), Some("renamed"));
    let second = send("tok-2", "t", "feature")
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(second.pull_request_id(), Some("2"));
    let all = w
        .client
        .list_pull_requests()
        .repository_name(REPO)
        .send()
        .await
        .unwrap();
    assert_eq!(all.pull_request_ids().len(), 2);
    // Tokens are per account: another account's same token is a new request.
    let other = w.server.client_in("111122223333", DEFAULT_REGION);
    create_repo(&other, REPO).await;
    let put = other
        .put_file()
        .repository_name(REPO)
        .branch_name("main")
        .file_path("a.txt")
        .file_content(aws_sdk_codecommit::primitives::Blob::new("a"))
        .send()
        .await
        .unwrap();
    other
        .create_branch()
        .repository_name(REPO)
        .branch_name("topic")
        .commit_id(put.commit_id())
        .send()
        .await
        .unwrap();
    let theirs = other
        .create_pull_request()
        .title("theirs")
        .client_request_token("tok-1")
        .targets(
            Target::builder()
                .repository_name(REPO)
                .source_reference("topic")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(theirs.pull_request_id(), Some("1"));
    assert_eq!(theirs.title(), Some("theirs"));
}

#[tokio::test]
async fn open_pull_requests_per_repository_are_limited() {
    let w = world_with(|c| c.open_pull_request_limit = 2).await;
    w.branch("a", "main", "a.txt", "a\n");
    w.branch("b", "main", "b.txt", "b\n");
    w.branch("c", "main", "c.txt", "c\n");
    let first = w.create("a", None).await;
    w.create("b", None).await;
    let third = w
        .client
        .create_pull_request()
        .title("c")
        .targets(
            Target::builder()
                .repository_name(REPO)
                .source_reference("c")
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_err!(third, "MaximumOpenPullRequestsExceededException");
    // Closed ones do not count; other repositories have their own.
    w.client
        .update_pull_request_status()
        .pull_request_id(id(&first))
        .pull_request_status(PullRequestStatusEnum::Closed)
        .send()
        .await
        .unwrap();
    let pr = w.create("c", None).await;
    assert_eq!(pr.pull_request_id(), Some("3"));
}

#[tokio::test]
async fn get_pull_request_errors() {
    let w = world().await;
    assert_err!(
        w.client.get_pull_request().send().await,
        "PullRequestIdRequiredException"
    );
    for bad in ["abc", "-1", "0", "1.5", " 1"] {
        assert_err!(
            w.client
                .get_pull_request()
                .pull_request_id(bad)
                .send()
                .await,
            "InvalidPullRequestIdException"
        );
    }
    assert_err!(
        w.client
            .get_pull_request()
            .pull_request_id("42")
            .send()
            .await,
        "PullRequestDoesNotExistException"
    );
}
