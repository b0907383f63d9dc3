//! Comments survive `kill -9`; they follow a repository's rename, go with its deletion, stay
//! in their account and region; every post, edit and reaction is an event.

use super::*;
use crate::common::process::Process;
use crate::persistence::data_dir;
use codecommit_local::events::Event;
use codecommit_local::events::payload::ChangeKind;

#[tokio::test]
async fn acknowledged_comments_and_reactions_survive_kill_9() {
    let (_tmp, data) = data_dir();
    let server = Process::start(&data);
    let client = server.client();
    create_repo(&client, REPO).await;
    let git = Git::new();
    let dir = git.push_new(&server.clone_url(REPO), "work", &[&[("a.txt", "1\n2\n")]]);
    git.ok(&dir, &["checkout", "-q", "-b", "feature"]);
    let tip = git.commit_file(&dir, "a.txt", "1\n2\n3\n", "three");
    let root = git.ok(&dir, &["rev-parse", "HEAD~1"]);
    git.ok(&dir, &["push", "-q", "origin", "feature"]);
    let posted = client
        .post_comment_for_compared_commit()
        .repository_name(REPO)
        .before_commit_id(&root)
        .after_commit_id(&tip)
        .location(after("a.txt", 3))
        .content("durable")
        .send()
        .await
        .unwrap();
    let c = posted.comment().unwrap().clone();
    let reply = client
        .post_comment_reply()
        .in_reply_to(id(&c))
        .content("me too")
        .send()
        .await
        .unwrap()
        .comment
        .unwrap();
    client
        .put_comment_reaction()
        .comment_id(id(&c))
        .reaction_value(":smile:")
        .send()
        .await
        .unwrap();
    client
        .update_comment()
        .comment_id(id(&reply))
        .content("me too, edited")
        .send()
        .await
        .unwrap();
    server.kill();

    let server = Process::start(&data);
    let client = server.client();
    let got = client
        .get_comment()
        .comment_id(id(&c))
        .send()
        .await
        .unwrap()
        .comment
        .unwrap();
    assert_eq!(got.content(), Some("durable"));
    assert_eq!(got.caller_reactions(), ["SMILE"]);
    let out = client
        .get_comments_for_compared_commit()
        .repository_name(REPO)
        .before_commit_id(&root)
        .after_commit_id(&tip)
        .send()
        .await
        .unwrap();
    let els = out.comments_for_compared_commit_data();
    assert_eq!(els.len(), 1);
    assert_eq!(els[0].after_blob_id(), posted.after_blob_id());
    assert_eq!(els[0].comments().len(), 2);
    assert_eq!(els[0].comments()[1].content(), Some("me too, edited"));
    // New comments after the restart get fresh ids and join the same group.
    let more = client
        .post_comment_for_compared_commit()
        .repository_name(REPO)
        .before_commit_id(&root)
        .after_commit_id(&tip)
        .location(after("a.txt", 3))
        .content("after restart")
        .send()
        .await
        .unwrap();
    assert_ne!(more.comment().unwrap().comment_id(), c.comment_id());
    server.kill();
}

#[tokio::test]
async fn comments_follow_a_rename_and_go_with_the_repository() {
    let w = world().await;
    let c = id(w
        .compared(&w.client, Some(after("src/lib.rs", 1)), "keep me")
        .await
        .comment()
        .unwrap());
    let p = id(w
        .on_pr(&w.client, None, "on the PR")
        .await
        .comment()
        .unwrap());
    w.client
        .update_repository_name()
        .old_name(REPO)
        .new_name("renamed")
        .send()
        .await
        .unwrap();
    let out = w
        .client
        .get_comments_for_compared_commit()
        .repository_name("renamed")
        .before_commit_id(&w.root)
        .after_commit_id(&w.tip)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.comments_for_compared_commit_data()[0].repository_name(),
        Some("renamed")
    );
    let pages = w.pr_pages(&w.client, None).await;
    assert_eq!(pages[0][0].repository_name(), Some("renamed"));
    let reply = w
        .client
        .post_comment_for_pull_request()
        .pull_request_id(&w.pr)
        .repository_name("renamed")
        .before_commit_id(&w.root)
        .after_commit_id(&w.tip)
        .content("still here")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.repository_name(), Some("renamed"));

    w.client
        .delete_repository()
        .repository_name("renamed")
        .send()
        .await
        .unwrap();
    for gone in [&c, &p] {
        assert_err!(
            w.client.get_comment().comment_id(gone).send().await,
            "CommentDoesNotExistException"
        );
    }
    // A new repository with the same name and the same commits starts with no comments.
    create_repo(&w.client, "renamed").await;
    w.git.ok(
        &w.dir,
        &[
            "push",
            "-q",
            &w.server.clone_url("renamed"),
            "main",
            "feature",
        ],
    );
    let out = w
        .client
        .get_comments_for_compared_commit()
        .repository_name("renamed")
        .before_commit_id(&w.root)
        .after_commit_id(&w.tip)
        .send()
        .await
        .unwrap();
    assert!(out.comments_for_compared_commit_data().is_empty());
}

#[tokio::test]
async fn comments_stay_in_their_account_and_region() {
    let w = world().await;
    let c = id(w.on_pr(&w.client, None, "private").await.comment().unwrap());
    let other = w.server.client_in("111122223333", DEFAULT_REGION);
    let elsewhere = w.server.client_in(DEFAULT_ACCOUNT, "eu-west-1");
    for client in [&other, &elsewhere] {
        assert_err!(
            client.get_comment().comment_id(&c).send().await,
            "CommentDoesNotExistException"
        );
        assert_err!(
            client
                .post_comment_reply()
                .in_reply_to(&c)
                .content("x")
                .send()
                .await,
            "CommentDoesNotExistException"
        );
        assert_err!(
            client
                .put_comment_reaction()
                .comment_id(&c)
                .reaction_value(":clap:")
                .send()
                .await,
            "CommentDoesNotExistException"
        );
        assert_err!(
            client.delete_comment_content().comment_id(&c).send().await,
            "CommentDoesNotExistException"
        );
    }
    assert_eq!(w.get(&w.client, &c).await.content(), Some("private"));
}

#[tokio::test]
async fn posts_edits_and_reactions_are_events() {
    let w = world().await;
    let mut rx = w.server.state.events.subscribe_events();
    let c = w.on_pr(&w.client, None, "hi").await;
    let c = id(c.comment().unwrap());
    let r = w.reply(&w.bob, &c, "hello").await;
    w.client
        .update_comment()
        .comment_id(&c)
        .content("hi!")
        .send()
        .await
        .unwrap();
    let on_commit = w.compared(&w.client, None, "commit comment").await;
    for value in [":thumbsdown:", "U+1F44E", ":smile:", ""] {
        w.bob
            .put_comment_reaction()
            .comment_id(&c)
            .reaction_value(value)
            .send()
            .await
            .unwrap();
    }
    w.client
        .delete_comment_content()
        .comment_id(&c)
        .send()
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Ok(e) = rx.try_recv() {
        seen.push(e);
    }
    let names: Vec<&str> = seen.iter().map(|e| e.name()).collect();
    assert_eq!(
        names,
        [
            "commentOnPullRequestCreated",
            "commentOnPullRequestCreated",
            "commentOnPullRequestUpdated",
            "commentOnCommitCreated",
            "commentReactionCreated",
            "commentReactionUpdated",
        ]
    );
    let Event::Comment(first) = &*seen[0] else {
        panic!("{:?}", seen[0])
    };
    assert_eq!(seen[0].detail_type(), "CodeCommit Comment on Pull Request");
    assert_eq!(first.pull_request_id.as_deref(), Some(w.pr.as_str()));
    assert_eq!(first.repository_name, REPO);
    assert_eq!(first.before_commit_id.as_deref(), Some(w.root.as_str()));
    assert_eq!(first.after_commit_id.as_deref(), Some(w.tip.as_str()));
    assert_eq!(first.comment_id, c);
    assert_eq!(first.caller_arn, ROOT_ARN);
    assert_eq!(first.kind, ChangeKind::Created);
    let Event::Comment(reply) = &*seen[1] else {
        panic!()
    };
    assert_eq!(reply.in_reply_to.as_deref(), Some(c.as_str()));
    assert_eq!(reply.comment_id, id(&r));
    assert_eq!(reply.caller_arn, w.bob_arn);
    let Event::Comment(commit) = &*seen[3] else {
        panic!()
    };
    assert_eq!(seen[3].detail_type(), "CodeCommit Comment on Commit");
    assert_eq!(commit.pull_request_id, None);
    assert_eq!(commit.comment_id, id(on_commit.comment().unwrap()));
    let Event::Reaction(created) = &*seen[4] else {
        panic!()
    };
    assert_eq!(seen[4].detail_type(), "CodeCommit Comment Reaction Change");
    assert_eq!(created.emojis, ["👎"]);
    assert_eq!(created.shortcodes, [":thumbsdown:"]);
    assert_eq!(created.unicodes, ["U+1F44E"]);
    assert_eq!(created.caller_arn, w.bob_arn);
    assert_eq!(created.comment_id, c);
    let Event::Reaction(updated) = &*seen[5] else {
        panic!()
    };
    assert_eq!(updated.shortcodes, [":smile:"]);
}
