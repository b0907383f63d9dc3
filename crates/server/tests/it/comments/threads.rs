//! Replies and threads, grouping by (before, after, location), and paging to the end with
//! stable tokens.

use super::*;

#[tokio::test]
async fn replies_join_the_group_of_the_comment_they_answer() {
    let w = world().await;
    let line = w
        .on_pr(&w.client, Some(after("src/lib.rs", 2)), "Why B?")
        .await;
    let root_id = id(line.comment().unwrap());
    let general = w.on_pr(&w.client, None, "Overall").await;
    let reply = w.reply(&w.bob, &root_id, "Because.").await;
    assert_eq!(reply.in_reply_to(), Some(root_id.as_str()));
    assert_eq!(reply.author_arn(), Some(w.bob_arn.as_str()));
    assert_eq!(reply.content(), Some("Because."));
    assert!(!reply.deleted());
    // A reply to a reply stays in the thread; a second comment on the same line joins the
    // same element, after the thread's earlier comments.
    let nested = w.reply(&w.client, &id(&reply), "OK").await;
    assert_eq!(nested.in_reply_to(), Some(id(&reply).as_str()));
    let same_line = w
        .on_pr(&w.bob, Some(after("src/lib.rs", 2)), "Also: naming")
        .await;
    let general_reply = w
        .reply(&w.bob, &id(general.comment().unwrap()), "Agreed")
        .await;
    let pages = w.pr_pages(&w.client, None).await;
    assert_eq!(pages.len(), 1);
    let els = &pages[0];
    assert_eq!(
        ids_of(els.iter().map(|e| e.comments())),
        vec![
            vec![
                root_id.clone(),
                id(&reply),
                id(&nested),
                id(same_line.comment().unwrap())
            ],
            vec![id(general.comment().unwrap()), id(&general_reply)],
        ]
    );
    assert_eq!(els[0].location(), Some(&after("src/lib.rs", 2)));
    assert_eq!(els[1].location(), None);
    // The same thread through GetComment.
    assert_eq!(w.get(&w.client, &id(&nested)).await, nested);
}

#[tokio::test]
async fn replies_on_compared_commits_and_to_deleted_comments() {
    let w = world().await;
    let c = w
        .compared(&w.client, Some(after("new.txt", 1)), "typo")
        .await;
    let parent = id(c.comment().unwrap());
    w.client
        .delete_comment_content()
        .comment_id(&parent)
        .send()
        .await
        .unwrap();
    let r = w
        .reply(&w.bob, &parent, "the comment is gone, the thread is not")
        .await;
    let pages = w
        .compared_pages(&w.client, Some(&w.root), &w.tip, None)
        .await;
    let els = &pages[0];
    assert_eq!(els.len(), 1);
    assert_eq!(els[0].location(), Some(&after("new.txt", 1)));
    assert_eq!(ids_of(els.iter().map(|e| e.comments())), [[parent, id(&r)]]);
    assert!(els[0].comments()[0].deleted());
    assert_eq!(els[0].comments()[0].content(), None);
}

#[tokio::test]
async fn reply_errors() {
    let w = world().await;
    let reply = |to: &str, content: &str| {
        w.client
            .post_comment_reply()
            .in_reply_to(to)
            .content(content)
            .send()
    };
    assert_err!(reply("", "x").await, "CommentIdRequiredException");
    assert_err!(reply("abc", "x").await, "InvalidCommentIdException");
    assert_err!(
        reply("a7e5471e-0123-4567-89ab", "x").await,
        "InvalidCommentIdException"
    );
    assert_err!(
        reply("a7e5471e-0123-4567-89ab-cdef01234567", "x").await,
        "CommentDoesNotExistException"
    );
    let c = w.on_pr(&w.client, None, "root").await;
    let parent = id(c.comment().unwrap());
    assert_err!(reply(&parent, "").await, "CommentContentRequiredException");
    assert_err!(
        reply(&parent, &"r".repeat(10_241)).await,
        "CommentContentSizeLimitExceededException"
    );
    let missing = w.raw_err("PostCommentReply", serde_json::json!({"content": "x"}));
    assert_eq!(missing, "CommentIdRequiredException");
    assert_eq!(w.pr_pages(&w.client, None).await[0][0].comments().len(), 1);
}

/// 4 line groups and a general group, 23 comments in all, posted interleaved.
async fn crowd(w: &World) -> Vec<(GroupId, Vec<String>)> {
    let places: Vec<Option<Location>> = vec![
        Some(after("src/lib.rs", 1)),
        None,
        Some(before("src/lib.rs", 3)),
        Some(after("new.txt", 2)),
        Some(loc("README.md", None, None)),
    ];
    let mut expected: Vec<(GroupId, Vec<String>)> = places
        .iter()
        .map(|p| {
            (
                (Some(w.root.clone()), Some(w.tip.clone()), p.clone()),
                Vec::new(),
            )
        })
        .collect();
    let mut threads: Vec<Option<String>> = vec![None; places.len()];
    // Groups are listed in the order they were started.
    let mut started = Vec::new();
    for i in 0..23 {
        let g = (i * 3) % places.len();
        let who = if i % 2 == 0 { &w.client } else { &w.bob };
        let c = match &threads[g] {
            // Every third comment of a group replies to its first one.
            Some(first) if i % 3 == 0 => w.reply(who, first, &format!("reply {i}")).await,
            _ => w
                .on_pr(who, places[g].clone(), &format!("comment {i}"))
                .await
                .comment
                .unwrap(),
        };
        if threads[g].is_none() {
            started.push(g);
            threads[g] = Some(id(&c));
        }
        expected[g].1.push(id(&c));
    }
    started.into_iter().map(|g| expected[g].clone()).collect()
}

#[tokio::test]
async fn pages_count_comments_and_end_with_every_comment_once() {
    let w = world().await;
    let expected = crowd(&w).await;
    for page in [1, 2, 3, 7, 22, 23, 24] {
        let pages = w.pr_pages(&w.client, Some(page)).await;
        let sizes: Vec<usize> = pages
            .iter()
            .map(|p| p.iter().map(|e| e.comments().len()).sum())
            .collect();
        assert!(sizes.iter().all(|&n| n <= page as usize), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 23);
        assert_eq!(pages.len(), 23usize.div_ceil(page as usize).max(1));
        assert_eq!(joined(&pages), expected, "page size {page}");
    }
    // The default page holds them all.
    let pages = w.pr_pages(&w.client, None).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(joined(&pages), expected);
}

#[tokio::test]
async fn tokens_are_stable_and_bound_to_their_listing() {
    let w = world().await;
    crowd(&w).await;
    let first = w
        .client
        .get_comments_for_pull_request()
        .pull_request_id(&w.pr)
        .max_results(5)
        .send()
        .await
        .unwrap();
    let token = first.next_token().unwrap().to_owned();
    // New comments after the token was handed out: the rest of the listing is unchanged
    // for the comments that existed (new ones of later groups may appear, none repeat).
    let seen: Vec<String> = first
        .comments_for_pull_request_data()
        .iter()
        .flat_map(|e| e.comments().iter().map(id))
        .collect();
    w.on_pr(&w.client, Some(after("src/lib.rs", 6)), "late")
        .await;
    let mut rest = Vec::new();
    let mut next = Some(token.clone());
    while let Some(t) = next {
        let page = w
            .client
            .get_comments_for_pull_request()
            .pull_request_id(&w.pr)
            .max_results(5)
            .next_token(t)
            .send()
            .await
            .unwrap();
        rest.extend(
            page.comments_for_pull_request_data()
                .iter()
                .flat_map(|e| e.comments().iter().map(id)),
        );
        next = page.next_token;
    }
    assert!(rest.iter().all(|c| !seen.contains(c)));
    assert_eq!(seen.len() + rest.len(), 24);
    // The token belongs to that listing: not to a filtered one, not to compared commits.
    assert_err!(
        w.client
            .get_comments_for_pull_request()
            .pull_request_id(&w.pr)
            .repository_name(REPO)
            .before_commit_id(&w.root)
            .after_commit_id(&w.tip)
            .next_token(&token)
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
    assert_err!(
        w.client
            .get_comments_for_compared_commit()
            .repository_name(REPO)
            .after_commit_id(&w.tip)
            .next_token(&token)
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
    for bad in [0, 501] {
        assert_err!(
            w.client
                .get_comments_for_pull_request()
                .pull_request_id(&w.pr)
                .max_results(bad)
                .send()
                .await,
            "InvalidMaxResultsException"
        );
    }
    assert_err!(
        w.client
            .get_comments_for_pull_request()
            .pull_request_id(&w.pr)
            .next_token("bm90IGEgdG9rZW4")
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
    // 500 is the maximum page.
    w.client
        .get_comments_for_pull_request()
        .pull_request_id(&w.pr)
        .max_results(500)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn compared_commit_listing_pages_too() {
    let w = world().await;
    let mut expected = Vec::new();
    for i in 0..7 {
        let location = (i % 2 == 0).then(|| after("src/lib.rs", 1));
        expected.push((
            i % 2,
            id(w.compared(&w.client, location, &format!("{i}"))
                .await
                .comment()
                .unwrap()),
        ));
    }
    let pages = w
        .compared_pages(&w.client, Some(&w.root), &w.tip, Some(2))
        .await;
    assert_eq!(pages.len(), 4);
    let flat: Vec<String> = pages
        .iter()
        .flatten()
        .flat_map(|e| e.comments().iter().map(id))
        .collect();
    let mut want: Vec<String> = expected
        .iter()
        .filter(|(g, _)| *g == 0)
        .map(|(_, c)| c.clone())
        .collect();
    want.extend(
        expected
            .iter()
            .filter(|(g, _)| *g == 1)
            .map(|(_, c)| c.clone()),
    );
    assert_eq!(flat, want);
}
