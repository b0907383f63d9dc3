//! UpdatePullRequestTitle, UpdatePullRequestDescription and UpdatePullRequestStatus.

use super::*;
use crate::assert_err;
use serde_json::json;

#[tokio::test]
async fn title_and_description_change_on_open_pull_requests_only() {
    let w = world().await;
    w.branch("feature", "main", "f.txt", "f\n");
    let pr = w.create("feature", None).await;
    let pid = id(&pr);
    let out = w
        .client
        .update_pull_request_title()
        .pull_request_id(&pid)
        .title("New title")
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(out.title(), Some("New title"));
    assert_eq!(
        out.revision_id(),
        pr.revision_id(),
        "a title is not a revision"
    );
    assert!(secs(out.last_activity_date()) >= secs(pr.last_activity_date()));
    assert_eq!(secs(out.creation_date()), secs(pr.creation_date()));
    let out = w
        .client
        .update_pull_request_description()
        .pull_request_id(&pid)
        .description("New description")
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(out.description(), Some("New description"));
    assert_eq!(out.title(), Some("New title"));
    assert_eq!(w.get(&pid).await, out);
    // An empty description clears it.
    let out = w
        .client
        .update_pull_request_description()
        .pull_request_id(&pid)
        .description("")
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(out.description(), None);
    // Neither is an event of the log.
    assert_eq!(
        types(&w.events(&pid).await),
        [PullRequestEventType::PullRequestCreated]
    );

    let title = |id: &str, t: &str| {
        w.client
            .update_pull_request_title()
            .pull_request_id(id)
            .title(t)
            .send()
    };
    assert_err!(title(&pid, "").await, "TitleRequiredException");
    assert_err!(title(&pid, &"x".repeat(151)).await, "InvalidTitleException");
    assert_err!(title("", "t").await, "PullRequestIdRequiredException");
    assert_err!(title("x1", "t").await, "InvalidPullRequestIdException");
    assert_err!(title("99", "t").await, "PullRequestDoesNotExistException");
    assert_eq!(
        w.raw_err("UpdatePullRequestTitle", json!({"pullRequestId": pid})),
        "TitleRequiredException"
    );
    let description = |id: &str, d: &str| {
        w.client
            .update_pull_request_description()
            .pull_request_id(id)
            .description(d)
            .send()
    };
    assert_err!(
        description(&pid, &"d".repeat(10241)).await,
        "InvalidDescriptionException"
    );
    assert_err!(
        description("99", "d").await,
        "PullRequestDoesNotExistException"
    );
    assert_err!(
        description("nope", "d").await,
        "InvalidPullRequestIdException"
    );
    assert_eq!(w.get(&pid).await.title(), Some("New title"));

    w.client
        .update_pull_request_status()
        .pull_request_id(&pid)
        .pull_request_status(PullRequestStatusEnum::Closed)
        .send()
        .await
        .unwrap();
    assert_err!(title(&pid, "t").await, "PullRequestAlreadyClosedException");
    assert_err!(
        description(&pid, "d").await,
        "PullRequestAlreadyClosedException"
    );
    assert_eq!(w.get(&pid).await.title(), Some("New title"));
}

#[tokio::test]
async fn status_moves_open_to_closed_and_never_back() {
    let w = world().await;
    w.branch("feature", "main", "f.txt", "f\n");
    let pr = w.create("feature", None).await;
    let pid = id(&pr);
    let status = |s: PullRequestStatusEnum| {
        w.client
            .update_pull_request_status()
            .pull_request_id(&pid)
            .pull_request_status(s)
            .send()
    };
    // OPEN → OPEN changes nothing.
    let out = status(PullRequestStatusEnum::Open).await.unwrap();
    assert_eq!(out.pull_request().unwrap(), &pr);
    let (bob, bob_arn) = w
        .server
        .assume_role("arn:aws:iam::000000000000:role/Dev", "bob")
        .await;
    let closed = bob
        .update_pull_request_status()
        .pull_request_id(&pid)
        .pull_request_status(PullRequestStatusEnum::Closed)
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert_eq!(
        closed.pull_request_status(),
        Some(&PullRequestStatusEnum::Closed)
    );
    assert!(!merged(&closed));
    assert!(secs(closed.last_activity_date()) >= secs(pr.last_activity_date()));
    // CLOSED → CLOSED is allowed and changes nothing; CLOSED → OPEN is not.
    let again = status(PullRequestStatusEnum::Closed).await.unwrap();
    assert_eq!(again.pull_request().unwrap(), &closed);
    assert_err!(
        status(PullRequestStatusEnum::Open).await,
        "InvalidPullRequestStatusUpdateException"
    );
    assert_err!(
        status(PullRequestStatusEnum::from("MERGED")).await,
        "InvalidPullRequestStatusException"
    );
    assert_eq!(
        w.raw_err("UpdatePullRequestStatus", json!({"pullRequestId": pid})),
        "PullRequestStatusRequiredException"
    );
    assert_eq!(
        w.raw_err(
            "UpdatePullRequestStatus",
            json!({"pullRequestId": "77", "pullRequestStatus": "CLOSED"})
        ),
        "PullRequestDoesNotExistException"
    );
    let events = w.events(&pid).await;
    assert_eq!(
        types(&events),
        [
            PullRequestEventType::PullRequestCreated,
            PullRequestEventType::PullRequestStatusChanged
        ]
    );
    assert_eq!(events[1].actor_arn(), Some(bob_arn.as_str()));
    assert_eq!(
        events[1]
            .pull_request_status_changed_event_metadata()
            .unwrap()
            .pull_request_status(),
        Some(&PullRequestStatusEnum::Closed)
    );
    // A closed pull request no longer follows its branches.
    let before = w.get(&pid).await;
    w.commit("feature", "g.txt", "g\n");
    assert_eq!(w.get(&pid).await, before);
}
