//! GetComment, UpdateComment (the author only) and DeleteCommentContent, with two callers.

use super::*;

#[tokio::test]
async fn get_comment_answers_it_as_posted() {
    let w = world().await;
    let posted = w
        .on_pr(&w.client, Some(after("src/lib.rs", 1)), "hello")
        .await;
    let c = posted.comment().unwrap();
    assert_eq!(w.get(&w.client, &id(c)).await, *c);
    // Any caller of the account reads it (callerReactions are theirs).
    let seen_by_bob = w.get(&w.bob, &id(c)).await;
    assert_eq!(seen_by_bob.content(), Some("hello"));
    assert_eq!(seen_by_bob.author_arn(), Some(ROOT_ARN));
    // Ids are case-insensitive hex.
    assert_eq!(w.get(&w.client, &id(c).to_uppercase()).await, *c);
    let get = |id: &str| w.client.get_comment().comment_id(id).send();
    assert_err!(get("").await, "CommentIdRequiredException");
    assert_err!(get("not-a-comment-id").await, "InvalidCommentIdException");
    assert_err!(
        get("00000000-0000-0000-0000-000000000000").await,
        "CommentDoesNotExistException"
    );
}

#[tokio::test]
async fn only_the_author_updates_and_the_update_shows_everywhere() {
    let w = world().await;
    let posted = w.compared(&w.bob, None, "first draft").await;
    let c = posted.comment().unwrap();
    assert_err!(
        w.client
            .update_comment()
            .comment_id(id(c))
            .content("hijacked")
            .send()
            .await,
        "CommentNotCreatedByCallerException"
    );
    let updated = w
        .bob
        .update_comment()
        .comment_id(id(c))
        .content("final")
        .send()
        .await
        .unwrap()
        .comment
        .unwrap();
    assert_eq!(updated.comment_id(), c.comment_id());
    assert_eq!(updated.content(), Some("final"));
    assert_eq!(updated.creation_date(), c.creation_date());
    assert!(secs(updated.last_modified_date()) >= secs(c.last_modified_date()));
    assert_eq!(updated.author_arn(), Some(w.bob_arn.as_str()));
    assert_eq!(updated.client_request_token(), c.client_request_token());
    assert_eq!(w.get(&w.client, &id(c)).await.content(), Some("final"));
    let pages = w
        .compared_pages(&w.client, Some(&w.root), &w.tip, None)
        .await;
    assert_eq!(pages[0][0].comments()[0].content(), Some("final"));
    let update = |id: &str, content: &str| {
        w.bob
            .update_comment()
            .comment_id(id)
            .content(content)
            .send()
    };
    assert_err!(update(&id(c), "").await, "CommentContentRequiredException");
    assert_err!(
        update(&id(c), &"u".repeat(10_241)).await,
        "CommentContentSizeLimitExceededException"
    );
    update(&id(c), &"u".repeat(10_240)).await.unwrap();
    assert_err!(update("", "x").await, "CommentIdRequiredException");
    assert_err!(update("x", "x").await, "InvalidCommentIdException");
    assert_err!(
        update("a7e5471e-0123-4567-89ab-cdef01234567", "x").await,
        "CommentDoesNotExistException"
    );
}

#[tokio::test]
async fn a_pull_request_comment_update_is_activity() {
    let w = world().await;
    let posted = w.on_pr(&w.client, None, "v1").await;
    let before_update = w
        .client
        .get_pull_request()
        .pull_request_id(&w.pr)
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    let updated = w
        .client
        .update_comment()
        .comment_id(id(posted.comment().unwrap()))
        .content("v2")
        .send()
        .await
        .unwrap()
        .comment
        .unwrap();
    let after_update = w
        .client
        .get_pull_request()
        .pull_request_id(&w.pr)
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap();
    assert!(secs(after_update.last_activity_date()) >= secs(before_update.last_activity_date()));
    assert!(secs(after_update.last_activity_date()) >= secs(updated.last_modified_date()) - 0.001);
}

#[tokio::test]
async fn anyone_deletes_content_once_and_the_comment_stays_deleted() {
    let w = world().await;
    let posted = w.on_pr(&w.client, Some(after("new.txt", 1)), "oops").await;
    let c = posted.comment().unwrap();
    w.bob
        .put_comment_reaction()
        .comment_id(id(c))
        .reaction_value(":clap:")
        .send()
        .await
        .unwrap();
    // The author is not required: bob (not the author) deletes it.
    let deleted = w
        .bob
        .delete_comment_content()
        .comment_id(id(c))
        .send()
        .await
        .unwrap()
        .comment
        .unwrap();
    assert!(deleted.deleted());
    assert_eq!(deleted.content(), None);
    assert_eq!(deleted.comment_id(), c.comment_id());
    assert_eq!(deleted.author_arn(), Some(ROOT_ARN));
    assert_eq!(deleted.creation_date(), c.creation_date());
    assert_eq!(deleted.client_request_token(), c.client_request_token());
    // Reactions stay, and bob's are his.
    assert_eq!(deleted.caller_reactions(), ["CLAP"]);
    assert_eq!(deleted.reaction_counts().unwrap().get("CLAP"), Some(&1));
    // The raw answer has no content member at all.
    let (status, json) = w.raw(
        "GetCommentsForPullRequest",
        serde_json::json!({"pullRequestId": w.pr}),
    );
    assert_eq!(status, 200);
    let listed = &json["commentsForPullRequestData"][0]["comments"][0];
    assert_eq!(listed["deleted"], true);
    assert!(listed.get("content").is_none(), "{listed}");
    let delete = |id: &str| w.client.delete_comment_content().comment_id(id).send();
    assert_err!(delete(&id(c)).await, "CommentDeletedException");
    assert_err!(
        w.client.get_comment().comment_id(id(c)).send().await,
        "CommentDeletedException"
    );
    assert_err!(
        w.client
            .update_comment()
            .comment_id(id(c))
            .content("back")
            .send()
            .await,
        "CommentDeletedException"
    );
    assert_err!(delete("").await, "CommentIdRequiredException");
    assert_err!(delete("123").await, "InvalidCommentIdException");
    assert_err!(
        delete("a7e5471e-0123-4567-89ab-cdef01234567").await,
        "CommentDoesNotExistException"
    );
    // Still listed, deleted; callerReactions are the caller's (the author has none).
    let pages = w.pr_pages(&w.client, None).await;
    let listed = &pages[0][0].comments()[0];
    assert!(listed.deleted());
    assert_eq!(listed.content(), None);
    assert_eq!(listed.last_modified_date(), deleted.last_modified_date());
    assert!(listed.caller_reactions().is_empty());
    assert_eq!(listed.reaction_counts(), deleted.reaction_counts());
}
