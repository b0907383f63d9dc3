//! PostCommentForComparedCommit and GetCommentsForComparedCommit: locations checked against
//! both versions, real blob ids, the initial-commit rule, grouping, and every exception.

use super::*;

#[tokio::test]
async fn comments_on_lines_files_and_the_whole_comparison_carry_real_blob_ids() {
    let w = world().await;
    let t0 = now_secs();
    let out = w
        .compared(&w.client, Some(after("src/lib.rs", 6)), "line six is new")
        .await;
    assert_eq!(out.repository_name(), Some(REPO));
    assert_eq!(out.before_commit_id(), Some(w.root.as_str()));
    assert_eq!(out.after_commit_id(), Some(w.tip.as_str()));
    assert_eq!(
        out.before_blob_id(),
        Some(w.blob(&w.root, "src/lib.rs").as_str())
    );
    assert_eq!(
        out.after_blob_id(),
        Some(w.blob(&w.tip, "src/lib.rs").as_str())
    );
    assert_eq!(out.location(), Some(&after("src/lib.rs", 6)));
    let c = out.comment().unwrap();
    assert_eq!(c.content(), Some("line six is new"));
    assert_eq!(c.author_arn(), Some(ROOT_ARN));
    assert!(!c.deleted());
    assert_eq!(c.in_reply_to(), None);
    assert!(c.caller_reactions().is_empty());
    assert!(c.reaction_counts().unwrap().is_empty());
    // The SDK fills in an idempotency token; the comment echoes it.
    assert!(c.client_request_token().is_some_and(|t| !t.is_empty()));
    let created = secs(c.creation_date());
    assert!(created >= t0 - 1.0 && created <= now_secs() + 1.0);
    assert_eq!(secs(c.last_modified_date()), created);

    // A line of the before version; a file added by the comparison has no before blob; a
    // deleted one no after blob; a file-level comment (no line) and a general one.
    let b = w
        .compared(&w.client, Some(before("src/lib.rs", 2)), "was b")
        .await;
    assert_eq!(b.location(), Some(&before("src/lib.rs", 2)));
    let added = w
        .compared(&w.client, Some(after("new.txt", 2)), "new")
        .await;
    assert_eq!(added.before_blob_id(), None);
    assert_eq!(
        added.after_blob_id(),
        Some(w.blob(&w.tip, "new.txt").as_str())
    );
    let deleted = w
        .compared(&w.client, Some(before("old.txt", 1)), "why?")
        .await;
    assert_eq!(
        deleted.before_blob_id(),
        Some(w.blob(&w.root, "old.txt").as_str())
    );
    assert_eq!(deleted.after_blob_id(), None);
    let file = w
        .compared(&w.client, Some(loc("README.md", None, None)), "file")
        .await;
    assert_eq!(file.location(), Some(&loc("README.md", None, None)));
    let readme = w.blob(&w.root, "README.md");
    assert_eq!(file.before_blob_id(), Some(readme.as_str()));
    assert_eq!(file.after_blob_id(), Some(readme.as_str()));
    let general = w.compared(&w.client, None, "overall fine").await;
    assert_eq!(general.location(), None);
    assert_eq!(general.before_blob_id(), None);
    assert_eq!(general.after_blob_id(), None);

    // The same things come back from the listing, one element per location.
    let pages = w
        .compared_pages(&w.client, Some(&w.root), &w.tip, None)
        .await;
    assert_eq!(pages.len(), 1);
    let els = &pages[0];
    assert_eq!(els.len(), 6);
    assert_eq!(els[0].location(), Some(&after("src/lib.rs", 6)));
    assert_eq!(els[0].before_blob_id(), out.before_blob_id());
    assert_eq!(els[0].after_blob_id(), out.after_blob_id());
    assert_eq!(els[0].repository_name(), Some(REPO));
    assert_eq!(els[0].comments()[0], *c);
    assert_eq!(els[5].location(), None);
    assert_eq!(els[5].comments()[0].content(), Some("overall fine"));
}

#[tokio::test]
async fn an_initial_commit_needs_no_before_commit_and_others_do() {
    let w = world().await;
    let out = w
        .client
        .post_comment_for_compared_commit()
        .repository_name(REPO)
        .after_commit_id(&w.root)
        .location(after("README.md", 3))
        .content("first!")
        .send()
        .await
        .unwrap();
    assert_eq!(out.before_commit_id(), None);
    assert_eq!(out.before_blob_id(), None);
    assert_eq!(
        out.after_blob_id(),
        Some(w.blob(&w.root, "README.md").as_str())
    );
    // BEFORE has nothing to point at there.
    assert_err!(
        w.client
            .post_comment_for_compared_commit()
            .repository_name(REPO)
            .after_commit_id(&w.root)
            .location(before("README.md", 1))
            .content("x")
            .send()
            .await,
        "InvalidRelativeFileVersionEnumException"
    );
    assert_err!(
        w.client
            .post_comment_for_compared_commit()
            .repository_name(REPO)
            .after_commit_id(&w.tip)
            .content("x")
            .send()
            .await,
        "CommitIdRequiredException"
    );
    // Listed without a before commit: the initial commit's comparison.
    let pages = w.compared_pages(&w.client, None, &w.root, None).await;
    assert_eq!(pages[0].len(), 1);
    assert_eq!(pages[0][0].before_commit_id(), None);
    assert_eq!(pages[0][0].comments()[0].content(), Some("first!"));
}

#[tokio::test]
async fn listing_filters_by_comparison() {
    let w = world().await;
    let on_tip = w.compared(&w.client, None, "root..tip").await;
    // Another comparison with the same after commit, and one with another after commit.
    let third = w
        .git
        .commit_file(&w.dir, "third.txt", "3\n", "third on feature");
    w.git.ok(&w.dir, &["push", "-q", "origin", "feature"]);
    let other_after = w
        .client
        .post_comment_for_compared_commit()
        .repository_name(REPO)
        .before_commit_id(&w.tip)
        .after_commit_id(&third)
        .content("tip..third")
        .send()
        .await
        .unwrap();
    let same_after = w
        .client
        .post_comment_for_compared_commit()
        .repository_name(REPO)
        .before_commit_id(&third)
        .after_commit_id(&w.tip)
        .content("third..tip")
        .send()
        .await
        .unwrap();
    let exact = w
        .compared_pages(&w.client, Some(&w.root), &w.tip, None)
        .await;
    assert_eq!(
        ids_of(exact[0].iter().map(|e| e.comments())),
        [[id(on_tip.comment().unwrap())]]
    );
    // Without a before commit: every comparison with that after commit.
    let any = w.compared_pages(&w.client, None, &w.tip, None).await;
    assert_eq!(
        ids_of(any[0].iter().map(|e| e.comments())),
        [
            [id(on_tip.comment().unwrap())],
            [id(same_after.comment().unwrap())]
        ]
    );
    assert_eq!(any[0][1].before_commit_id(), Some(third.as_str()));
    let other = w
        .compared_pages(&w.client, Some(&w.tip), &third, None)
        .await;
    assert_eq!(
        other[0][0].comments()[0].comment_id(),
        other_after.comment().unwrap().comment_id()
    );
    // Comments on a pull request are not comments on the compared commits.
    w.on_pr(&w.client, None, "on the pull request").await;
    let again = w
        .compared_pages(&w.client, Some(&w.root), &w.tip, None)
        .await;
    assert_eq!(again[0].len(), 1);
    // Nothing on a comparison nobody commented on.
    let none = w
        .compared_pages(&w.client, Some(&third), &w.root, None)
        .await;
    assert_eq!(none, [Vec::<CommentsForComparedCommit>::new()]);
}

#[tokio::test]
async fn location_errors() {
    let w = world().await;
    let post = |location: Location| {
        w.client
            .post_comment_for_compared_commit()
            .repository_name(REPO)
            .before_commit_id(&w.root)
            .after_commit_id(&w.tip)
            .location(location)
            .content("x")
            .send()
    };
    assert_err!(post(loc("", Some(1), None)).await, "PathRequiredException");
    assert_err!(
        post(Location::builder().file_position(1).build()).await,
        "PathRequiredException"
    );
    assert_err!(post(after("a//b", 1)).await, "InvalidPathException");
    assert_err!(post(after("../x", 1)).await, "InvalidPathException");
    assert_err!(post(after("src", 1)).await, "InvalidFileLocationException");
    assert_err!(post(after("src/", 1)).await, "InvalidFileLocationException");
    assert_err!(
        post(after("nope.txt", 1)).await,
        "PathDoesNotExistException"
    );
    // The file is in the other version only.
    assert_err!(post(after("old.txt", 1)).await, "PathDoesNotExistException");
    assert_err!(
        post(before("new.txt", 1)).await,
        "PathDoesNotExistException"
    );
    assert_err!(
        post(loc("old.txt", None, None)).await,
        "PathDoesNotExistException"
    );
    // Lines 1..=6 exist after, 1..=5 before.
    assert_err!(
        post(after("src/lib.rs", 7)).await,
        "InvalidFilePositionException"
    );
    assert_err!(
        post(before("src/lib.rs", 6)).await,
        "InvalidFilePositionException"
    );
    assert_err!(
        post(after("src/lib.rs", 0)).await,
        "InvalidFilePositionException"
    );
    assert_err!(
        post(after("src/lib.rs", -3)).await,
        "InvalidFilePositionException"
    );
    post(after("src/lib.rs", 6)).await.unwrap();
    post(before("src/lib.rs", 5)).await.unwrap();
    let bad_enum = w.raw_err(
        "PostCommentForComparedCommit",
        serde_json::json!({"repositoryName": REPO, "beforeCommitId": w.root, "afterCommitId": w.tip,
            "content": "x", "location": {"filePath": "README.md", "filePosition": 1, "relativeFileVersion": "SIDEWAYS"}}),
    );
    assert_eq!(bad_enum, "InvalidRelativeFileVersionEnumException");
    // Nothing was stored by the failures.
    let pages = w
        .compared_pages(&w.client, Some(&w.root), &w.tip, None)
        .await;
    assert_eq!(pages[0].len(), 2);
}

#[tokio::test]
async fn commit_content_and_repository_errors() {
    let w = world().await;
    let post = |repo: &str, before: Option<&str>, after: Option<&str>, content: &str| {
        w.client
            .post_comment_for_compared_commit()
            .repository_name(repo)
            .set_before_commit_id(before.map(str::to_owned))
            .set_after_commit_id(after.map(str::to_owned))
            .content(content)
            .send()
    };
    let (root, tip) = (Some(w.root.as_str()), Some(w.tip.as_str()));
    assert_err!(
        post("", root, tip, "x").await,
        "RepositoryNameRequiredException"
    );
    assert_err!(
        post("bad name", root, tip, "x").await,
        "InvalidRepositoryNameException"
    );
    assert_err!(
        post("nope", root, tip, "x").await,
        "RepositoryDoesNotExistException"
    );
    assert_err!(
        post(REPO, root, None, "x").await,
        "CommitIdRequiredException"
    );
    assert_err!(
        post(REPO, root, Some("main"), "x").await,
        "InvalidCommitIdException"
    );
    assert_err!(
        post(REPO, Some("abc"), tip, "x").await,
        "InvalidCommitIdException"
    );
    let missing = "0123456789012345678901234567890123456789";
    assert_err!(
        post(REPO, root, Some(missing), "x").await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        post(REPO, Some(missing), tip, "x").await,
        "CommitDoesNotExistException"
    );
    // A tree id is not a commit.
    let tree = w
        .git
        .ok(&w.dir, &["rev-parse", &format!("{}^{{tree}}", w.tip)]);
    assert_err!(
        post(REPO, root, Some(&tree), "x").await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        post(REPO, tip, tip, "x").await,
        "BeforeCommitIdAndAfterCommitIdAreSameException"
    );
    assert_err!(
        post(REPO, root, tip, "").await,
        "CommentContentRequiredException"
    );
    let limit = "é".repeat(10_240);
    post(REPO, root, tip, &limit).await.unwrap();
    assert_err!(
        post(REPO, root, tip, &format!("{limit}x")).await,
        "CommentContentSizeLimitExceededException"
    );
    let missing_content = w.raw_err(
        "PostCommentForComparedCommit",
        serde_json::json!({"repositoryName": REPO, "beforeCommitId": w.root, "afterCommitId": w.tip}),
    );
    assert_eq!(missing_content, "CommentContentRequiredException");
    let pages = w
        .compared_pages(&w.client, Some(&w.root), &w.tip, None)
        .await;
    assert_eq!(pages[0].len(), 1, "only the 10,240-character comment");
    assert_eq!(pages[0][0].comments().len(), 1);
}

#[tokio::test]
async fn listing_errors() {
    let w = world().await;
    let list = |repo: &str, before: Option<&str>, after: Option<&str>| {
        w.client
            .get_comments_for_compared_commit()
            .repository_name(repo)
            .set_before_commit_id(before.map(str::to_owned))
            .set_after_commit_id(after.map(str::to_owned))
            .send()
    };
    let tip = Some(w.tip.as_str());
    assert_err!(list("", None, tip).await, "RepositoryNameRequiredException");
    assert_err!(
        list("a/b", None, tip).await,
        "InvalidRepositoryNameException"
    );
    assert_err!(
        list("nope", None, tip).await,
        "RepositoryDoesNotExistException"
    );
    assert_err!(list(REPO, None, None).await, "CommitIdRequiredException");
    assert_err!(
        list(REPO, None, Some("feature")).await,
        "InvalidCommitIdException"
    );
    assert_err!(
        list(REPO, Some("0123456789012345678901234567890123456789"), tip).await,
        "CommitDoesNotExistException"
    );
    for bad in [0, -1, 501] {
        assert_err!(
            w.client
                .get_comments_for_compared_commit()
                .repository_name(REPO)
                .after_commit_id(&w.tip)
                .max_results(bad)
                .send()
                .await,
            "InvalidMaxResultsException"
        );
    }
    assert_err!(
        w.client
            .get_comments_for_compared_commit()
            .repository_name(REPO)
            .after_commit_id(&w.tip)
            .next_token("garbage")
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
}
