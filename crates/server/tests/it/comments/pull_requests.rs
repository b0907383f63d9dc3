//! PostCommentForPullRequest and GetCommentsForPullRequest: the pull request's repository and
//! commits, activity, closed and merged pull requests, the all-or-nothing filter.

use super::*;

async fn pull_request(w: &World) -> aws_sdk_codecommit::types::PullRequest {
    w.client
        .get_pull_request()
        .pull_request_id(&w.pr)
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap()
}

#[tokio::test]
async fn comments_on_a_pull_request_with_its_target_commits() {
    let w = world().await;
    let pr = pull_request(&w).await;
    let target = &pr.pull_request_targets()[0];
    let t0 = secs(pr.last_activity_date());
    // What Renovate posts: the target's destination and source commits.
    let out = w
        .client
        .post_comment_for_pull_request()
        .pull_request_id(&w.pr)
        .repository_name(REPO)
        .before_commit_id(target.destination_commit().unwrap())
        .after_commit_id(target.source_commit().unwrap())
        .location(after("src/lib.rs", 2))
        .content("B?")
        .send()
        .await
        .unwrap();
    assert_eq!(out.pull_request_id(), Some(w.pr.as_str()));
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
    assert_eq!(out.location(), Some(&after("src/lib.rs", 2)));
    let c = out.comment().unwrap();
    assert_eq!(c.content(), Some("B?"));
    assert_eq!(c.author_arn(), Some(ROOT_ARN));
    // A comment is activity on the pull request.
    let later = pull_request(&w).await;
    assert!(secs(later.last_activity_date()) >= t0);
    assert!(secs(later.last_activity_date()) >= secs(c.creation_date()) - 0.001);
    // The merge base works as the before commit too, and a general comment by bob.
    let general = w
        .bob
        .post_comment_for_pull_request()
        .pull_request_id(&w.pr)
        .repository_name(REPO)
        .before_commit_id(target.merge_base().unwrap())
        .after_commit_id(&w.tip)
        .content("LGTM")
        .send()
        .await
        .unwrap();
    assert_eq!(general.location(), None);
    assert_eq!(
        general.comment().unwrap().author_arn(),
        Some(w.bob_arn.as_str())
    );

    let listed = w
        .client
        .get_comments_for_pull_request()
        .pull_request_id(&w.pr)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.next_token(), None);
    let els = listed.comments_for_pull_request_data();
    assert_eq!(els.len(), 2);
    assert_eq!(els[0].pull_request_id(), Some(w.pr.as_str()));
    assert_eq!(els[0].repository_name(), Some(REPO));
    assert_eq!(els[0].before_commit_id(), Some(w.root.as_str()));
    assert_eq!(els[0].after_commit_id(), Some(w.tip.as_str()));
    assert_eq!(els[0].before_blob_id(), out.before_blob_id());
    assert_eq!(els[0].after_blob_id(), out.after_blob_id());
    assert_eq!(els[0].location(), Some(&after("src/lib.rs", 2)));
    assert_eq!(els[0].comments(), std::slice::from_ref(c));
    assert_eq!(els[1].location(), None);
    assert_eq!(els[1].before_blob_id(), None);
    assert_eq!(els[1].comments()[0].content(), Some("LGTM"));
}

#[tokio::test]
async fn older_commits_of_the_branches_belong_and_unrelated_ones_do_not() {
    let w = world().await;
    // A second source commit: the first one (an ancestor) still belongs.
    let second = w.git.commit_file(&w.dir, "src/lib.rs", "z\n", "second");
    w.git.ok(&w.dir, &["push", "-q", "origin", "feature"]);
    let out = w
        .client
        .post_comment_for_pull_request()
        .pull_request_id(&w.pr)
        .repository_name(REPO)
        .before_commit_id(&w.tip)
        .after_commit_id(&second)
        .location(before("src/lib.rs", 6))
        .content("between revisions")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.before_blob_id(),
        Some(w.blob(&w.tip, "src/lib.rs").as_str())
    );
    w.on_pr(&w.client, None, "the first revision").await;
    let stray = w.unrelated_commit("stray");
    for (b, a) in [
        (stray.as_str(), w.tip.as_str()),
        (w.root.as_str(), stray.as_str()),
    ] {
        assert_err!(
            w.client
                .post_comment_for_pull_request()
                .pull_request_id(&w.pr)
                .repository_name(REPO)
                .before_commit_id(b)
                .after_commit_id(a)
                .content("x")
                .send()
                .await,
            "CommitDoesNotExistException"
        );
    }
}

#[tokio::test]
async fn closed_and_merged_pull_requests_take_comments() {
    let w = world().await;
    w.client
        .merge_pull_request_by_fast_forward()
        .pull_request_id(&w.pr)
        .repository_name(REPO)
        .send()
        .await
        .unwrap();
    let c = w
        .on_pr(&w.client, Some(after("new.txt", 1)), "after the merge")
        .await;
    w.reply(&w.bob, &id(c.comment().unwrap()), "still fine")
        .await;
    let pages = w.pr_pages(&w.client, None).await;
    assert_eq!(pages[0][0].comments().len(), 2);
}

#[tokio::test]
async fn the_filter_is_all_or_nothing_and_selects_one_comparison() {
    let w = world().await;
    let first = w.on_pr(&w.client, None, "on the first revision").await;
    let second = w.git.commit_file(&w.dir, "x.txt", "x\n", "second");
    w.git.ok(&w.dir, &["push", "-q", "origin", "feature"]);
    let later = w
        .client
        .post_comment_for_pull_request()
        .pull_request_id(&w.pr)
        .repository_name(REPO)
        .before_commit_id(&w.root)
        .after_commit_id(&second)
        .content("on the second")
        .send()
        .await
        .unwrap();
    let list = |repo: Option<&str>, b: Option<&str>, a: Option<&str>| {
        w.client
            .get_comments_for_pull_request()
            .pull_request_id(&w.pr)
            .set_repository_name(repo.map(str::to_owned))
            .set_before_commit_id(b.map(str::to_owned))
            .set_after_commit_id(a.map(str::to_owned))
            .send()
    };
    let all = list(None, None, None).await.unwrap();
    assert_eq!(all.comments_for_pull_request_data().len(), 2);
    let only = list(Some(REPO), Some(&w.root), Some(&second))
        .await
        .unwrap();
    let els = only.comments_for_pull_request_data();
    assert_eq!(els.len(), 1);
    assert_eq!(els[0].comments(), [later.comment().unwrap().clone()]);
    let only = list(Some(REPO), Some(&w.root), Some(&w.tip)).await.unwrap();
    assert_eq!(
        only.comments_for_pull_request_data()[0].comments()[0].comment_id(),
        first.comment().unwrap().comment_id()
    );
    let (root, tip) = (Some(w.root.as_str()), Some(w.tip.as_str()));
    assert_err!(
        list(Some(REPO), None, None).await,
        "CommitIdRequiredException"
    );
    assert_err!(
        list(Some(REPO), root, None).await,
        "CommitIdRequiredException"
    );
    assert_err!(
        list(Some(REPO), None, tip).await,
        "CommitIdRequiredException"
    );
    assert_err!(
        list(None, root, tip).await,
        "RepositoryNameRequiredException"
    );
    assert_err!(
        list(None, root, None).await,
        "RepositoryNameRequiredException"
    );
    assert_err!(
        list(Some("a b"), root, tip).await,
        "InvalidRepositoryNameException"
    );
    assert_err!(
        list(Some("nope"), root, tip).await,
        "RepositoryDoesNotExistException"
    );
    create_repo(&w.client, "elsewhere").await;
    assert_err!(
        list(Some("elsewhere"), root, tip).await,
        "RepositoryNotAssociatedWithPullRequestException"
    );
    assert_err!(
        list(Some(REPO), Some("xyz"), tip).await,
        "InvalidCommitIdException"
    );
    assert_err!(
        list(
            Some(REPO),
            root,
            Some("0123456789012345678901234567890123456789")
        )
        .await,
        "CommitDoesNotExistException"
    );
    let get = |id: &str| {
        w.client
            .get_comments_for_pull_request()
            .pull_request_id(id)
            .send()
    };
    assert_err!(get("").await, "PullRequestIdRequiredException");
    assert_err!(get("abc").await, "InvalidPullRequestIdException");
    assert_err!(get("999").await, "PullRequestDoesNotExistException");
}

#[tokio::test]
async fn posting_errors() {
    let w = world().await;
    create_repo(&w.client, "elsewhere").await;
    let post = |pr: &str, repo: &str, b: Option<&str>, a: Option<&str>| {
        w.client
            .post_comment_for_pull_request()
            .pull_request_id(pr)
            .repository_name(repo)
            .set_before_commit_id(b.map(str::to_owned))
            .set_after_commit_id(a.map(str::to_owned))
            .content("x")
            .send()
    };
    let (root, tip) = (Some(w.root.as_str()), Some(w.tip.as_str()));
    let pr = w.pr.as_str();
    assert_err!(
        post("", REPO, root, tip).await,
        "PullRequestIdRequiredException"
    );
    assert_err!(
        post("-1", REPO, root, tip).await,
        "InvalidPullRequestIdException"
    );
    assert_err!(
        post("4242", REPO, root, tip).await,
        "PullRequestDoesNotExistException"
    );
    assert_err!(
        post(pr, "", root, tip).await,
        "RepositoryNameRequiredException"
    );
    assert_err!(
        post(pr, "x/y", root, tip).await,
        "InvalidRepositoryNameException"
    );
    assert_err!(
        post(pr, "nope", root, tip).await,
        "RepositoryDoesNotExistException"
    );
    assert_err!(
        post(pr, "elsewhere", root, tip).await,
        "RepositoryNotAssociatedWithPullRequestException"
    );
    assert_err!(post(pr, REPO, None, tip).await, "CommitIdRequiredException");
    assert_err!(
        post(pr, REPO, root, None).await,
        "CommitIdRequiredException"
    );
    assert_err!(
        post(pr, REPO, root, Some("feature")).await,
        "InvalidCommitIdException"
    );
    assert_err!(
        post(
            pr,
            REPO,
            Some("0123456789012345678901234567890123456789"),
            tip
        )
        .await,
        "CommitDoesNotExistException"
    );
    assert_err!(
        post(pr, REPO, tip, tip).await,
        "BeforeCommitIdAndAfterCommitIdAreSameException"
    );
    let on = |location: Location, content: &str| {
        w.client
            .post_comment_for_pull_request()
            .pull_request_id(&w.pr)
            .repository_name(REPO)
            .before_commit_id(&w.root)
            .after_commit_id(&w.tip)
            .location(location)
            .content(content)
            .send()
    };
    assert_err!(on(after("nope", 1), "x").await, "PathDoesNotExistException");
    assert_err!(
        on(after("src/lib.rs", 99), "x").await,
        "InvalidFilePositionException"
    );
    assert_err!(
        on(after("src", 1), "x").await,
        "InvalidFileLocationException"
    );
    assert_err!(on(loc("", None, None), "x").await, "PathRequiredException");
    assert_err!(
        on(after("README.md", 1), "").await,
        "CommentContentRequiredException"
    );
    assert_err!(
        on(after("README.md", 1), &"x".repeat(10_241)).await,
        "CommentContentSizeLimitExceededException"
    );
    assert_eq!(w.pr_pages(&w.client, None).await, [vec![]]);
}
