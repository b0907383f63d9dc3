//! `clientRequestToken` on the three posting operations: a retry answers the original
//! comment, a different request with the same token is refused, malformed tokens too.

use super::*;

#[tokio::test]
async fn a_retry_answers_the_original_comment_and_posts_nothing() {
    let w = world().await;
    let post = |content: &str| {
        w.client
            .post_comment_for_compared_commit()
            .repository_name(REPO)
            .before_commit_id(&w.root)
            .after_commit_id(&w.tip)
            .location(after("src/lib.rs", 1))
            .content(content)
            .client_request_token("token-1")
            .send()
    };
    let first = post("once").await.unwrap();
    let again = post("once").await.unwrap();
    assert_eq!(again.comment(), first.comment());
    assert_eq!(again.location(), first.location());
    assert_eq!(again.before_blob_id(), first.before_blob_id());
    assert_eq!(again.after_blob_id(), first.after_blob_id());
    assert_eq!(
        first.comment().unwrap().client_request_token(),
        Some("token-1")
    );
    assert_err!(post("twice").await, "IdempotencyParameterMismatchException");
    let pages = w
        .compared_pages(&w.client, Some(&w.root), &w.tip, None)
        .await;
    assert_eq!(pages[0].len(), 1);
    assert_eq!(pages[0][0].comments().len(), 1);

    // On a pull request and as a reply, likewise; a token is not reusable across operations.
    let on_pr = || {
        w.client
            .post_comment_for_pull_request()
            .pull_request_id(&w.pr)
            .repository_name(REPO)
            .before_commit_id(&w.root)
            .after_commit_id(&w.tip)
            .content("pr")
            .client_request_token("token-2")
            .send()
    };
    let p1 = on_pr().await.unwrap();
    let p2 = on_pr().await.unwrap();
    assert_eq!(p2.comment(), p1.comment());
    assert_eq!(p2.pull_request_id(), p1.pull_request_id());
    let parent = id(p1.comment().unwrap());
    let reply = || {
        w.client
            .post_comment_reply()
            .in_reply_to(&parent)
            .content("re")
            .client_request_token("token-3")
            .send()
    };
    let r1 = reply().await.unwrap();
    assert_eq!(reply().await.unwrap().comment(), r1.comment());
    assert_err!(
        w.client
            .post_comment_reply()
            .in_reply_to(&parent)
            .content("pr")
            .client_request_token("token-2")
            .send()
            .await,
        "IdempotencyParameterMismatchException"
    );
    assert_err!(
        w.client
            .post_comment_for_pull_request()
            .pull_request_id(&w.pr)
            .repository_name(REPO)
            .before_commit_id(&w.root)
            .after_commit_id(&w.tip)
            .content("pr")
            .client_request_token("token-1")
            .send()
            .await,
        "IdempotencyParameterMismatchException"
    );
    let pages = w.pr_pages(&w.client, None).await;
    assert_eq!(
        ids_of(pages[0].iter().map(|e| e.comments())),
        [[parent.clone(), id(r1.comment().unwrap())]]
    );
    // The same token from another caller is a different request.
    assert_err!(
        w.bob
            .post_comment_for_pull_request()
            .pull_request_id(&w.pr)
            .repository_name(REPO)
            .before_commit_id(&w.root)
            .after_commit_id(&w.tip)
            .content("pr")
            .client_request_token("token-2")
            .send()
            .await,
        "IdempotencyParameterMismatchException"
    );
}

#[tokio::test]
async fn without_a_token_every_post_is_new() {
    let w = world().await;
    for _ in 0..2 {
        w.raw(
            "PostCommentForComparedCommit",
            serde_json::json!({"repositoryName": REPO, "beforeCommitId": w.root,
                "afterCommitId": w.tip, "content": "same"}),
        );
    }
    let pages = w
        .compared_pages(&w.client, Some(&w.root), &w.tip, None)
        .await;
    let comments = pages[0][0].comments();
    assert_eq!(comments.len(), 2);
    assert_ne!(comments[0].comment_id(), comments[1].comment_id());
    assert_eq!(comments[0].client_request_token(), None);
}

#[tokio::test]
async fn malformed_tokens() {
    let w = world().await;
    let body = |token: serde_json::Value| {
        serde_json::json!({"repositoryName": REPO, "beforeCommitId": w.root,
            "afterCommitId": w.tip, "content": "x", "clientRequestToken": token})
    };
    for (token, want) in [
        (
            serde_json::json!("x".repeat(129)),
            "InvalidClientRequestTokenException",
        ),
        (
            serde_json::json!("has space"),
            "InvalidClientRequestTokenException",
        ),
        (
            serde_json::json!("ünïcode"),
            "InvalidClientRequestTokenException",
        ),
        (serde_json::json!(""), "ClientRequestTokenRequiredException"),
    ] {
        assert_eq!(w.raw_err("PostCommentForComparedCommit", body(token)), want);
    }
    assert_eq!(
        w.raw_err(
            "PostCommentReply",
            serde_json::json!({"inReplyTo": "a7e5471e-0123-4567-89ab-cdef01234567",
                "content": "x", "clientRequestToken": "x".repeat(200)})
        ),
        "InvalidClientRequestTokenException"
    );
    assert_eq!(
        w.raw_err(
            "PostCommentForPullRequest",
            serde_json::json!({"pullRequestId": w.pr, "repositoryName": REPO,
                "beforeCommitId": w.root, "afterCommitId": w.tip, "content": "x",
                "clientRequestToken": "bad token"})
        ),
        "InvalidClientRequestTokenException"
    );
    let (status, _) = w.raw(
        "PostCommentForComparedCommit",
        body(serde_json::json!("x".repeat(128))),
    );
    assert_eq!(status, 200);
}
