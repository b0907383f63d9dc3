//! PutCommentReaction and GetCommentReactions: the three notations, one reaction per user,
//! replacement and removal, counts and callerReactions per caller, the user filter, paging.

use super::*;
use std::collections::HashMap;

async fn react(client: &Client, comment: &str, value: &str) {
    client
        .put_comment_reaction()
        .comment_id(comment)
        .reaction_value(value)
        .send()
        .await
        .unwrap_or_else(|e| panic!("reacting {value:?}: {e:?}"));
}

fn counts(c: &Comment) -> HashMap<String, i32> {
    c.reaction_counts().cloned().unwrap_or_default()
}

/// The confirmed reactions in their three notations (facts-9-10 §1.1): emoji, short code,
/// code point; and the key reactionCounts uses.
const CONFIRMED: &[(&str, &str, &str, &str)] = &[
    ("👍", ":thumbsup:", "U+1F44D", "THUMBSUP"),
    ("👎", ":thumbsdown:", "U+1F44E", "THUMBSDOWN"),
    ("😄", ":smile:", "U+1F604", "SMILE"),
    ("😕", ":confused:", "U+1F615", "CONFUSED"),
    ("👏", ":clap:", "U+1F44F", "CLAP"),
];

#[tokio::test]
async fn every_notation_names_the_same_reaction() {
    let w = world().await;
    let c = id(w
        .on_pr(&w.client, None, "react to me")
        .await
        .comment()
        .unwrap());
    for (emoji, short, code, key) in CONFIRMED {
        let bare = short.trim_matches(':');
        for value in [
            emoji.to_string(),
            short.to_string(),
            bare.to_string(),
            short.to_uppercase(),
            code.to_string(),
            code.to_lowercase(),
        ] {
            react(&w.client, &c, &value).await;
            let got = w.get(&w.client, &c).await;
            assert_eq!(got.caller_reactions(), [key.to_string()], "{value}");
            assert_eq!(
                counts(&got),
                HashMap::from([(key.to_string(), 1)]),
                "{value}"
            );
        }
        let out = w
            .client
            .get_comment_reactions()
            .comment_id(&c)
            .send()
            .await
            .unwrap();
        let groups = out.reactions_for_comment();
        assert_eq!(groups.len(), 1);
        let r = groups[0].reaction().unwrap();
        assert_eq!(r.emoji(), Some(*emoji));
        // GetCommentReactions shows the short code without colons (UG/CLI example).
        assert_eq!(r.short_code(), Some(bare));
        assert_eq!(r.unicode(), Some(*code));
        assert_eq!(groups[0].reaction_users(), [ROOT_ARN]);
        assert_eq!(groups[0].reactions_from_deleted_users_count(), Some(0));
        assert_eq!(out.next_token(), None);
    }
    // The heart with and without its variation selector.
    for value in ["❤️", "❤", ":heart:", "U+2764"] {
        react(&w.client, &c, value).await;
        assert_eq!(w.get(&w.client, &c).await.caller_reactions(), ["HEART"]);
    }
}

#[tokio::test]
async fn one_reaction_per_user_replaced_and_removed() {
    let w = world().await;
    let posted = w.compared(&w.client, None, "ship it?").await;
    let c = id(posted.comment().unwrap());
    react(&w.client, &c, ":thumbsup:").await;
    react(&w.bob, &c, "👍").await;
    let mine = w.get(&w.client, &c).await;
    assert_eq!(counts(&mine), HashMap::from([("THUMBSUP".into(), 2)]));
    assert_eq!(mine.caller_reactions(), ["THUMBSUP"]);
    // A new value replaces the old one.
    react(&w.bob, &c, ":confused:").await;
    let bobs = w.get(&w.bob, &c).await;
    assert_eq!(bobs.caller_reactions(), ["CONFUSED"]);
    assert_eq!(
        counts(&bobs),
        HashMap::from([("THUMBSUP".into(), 1), ("CONFUSED".into(), 1)])
    );
    // The same value again changes nothing.
    react(&w.bob, &c, ":confused:").await;
    assert_eq!(counts(&w.get(&w.bob, &c).await).len(), 2);
    // Listed comments carry the caller's reactions too.
    let pages = w.compared_pages(&w.bob, Some(&w.root), &w.tip, None).await;
    assert_eq!(pages[0][0].comments()[0].caller_reactions(), ["CONFUSED"]);
    let out = w
        .client
        .get_comment_reactions()
        .comment_id(&c)
        .send()
        .await
        .unwrap();
    let groups: Vec<(String, Vec<String>)> = out
        .reactions_for_comment()
        .iter()
        .map(|g| {
            (
                g.reaction().unwrap().short_code().unwrap().to_owned(),
                g.reaction_users().to_vec(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("thumbsup".into(), vec![ROOT_ARN.to_owned()]),
            ("confused".into(), vec![w.bob_arn.clone()])
        ]
    );
    // Removal: blank, "none", and the user's reaction is gone.
    react(&w.bob, &c, "").await;
    assert!(w.get(&w.bob, &c).await.caller_reactions().is_empty());
    react(&w.client, &c, "none").await;
    let gone = w.get(&w.client, &c).await;
    assert!(gone.caller_reactions().is_empty());
    assert!(counts(&gone).is_empty());
    // Removing what is not there is fine.
    react(&w.client, &c, "NONE").await;
    let empty = w
        .client
        .get_comment_reactions()
        .comment_id(&c)
        .send()
        .await
        .unwrap();
    assert!(empty.reactions_for_comment().is_empty());
}

#[tokio::test]
async fn the_user_filter_and_paging() {
    let w = world().await;
    let c = id(w.on_pr(&w.client, None, "vote").await.comment().unwrap());
    let (carol, carol_arn) = w.server.assume_role(OTHER_ROLE, "carol").await;
    react(&w.client, &c, ":thumbsup:").await;
    react(&w.bob, &c, ":tada:").await;
    react(&carol, &c, ":thumbsup:").await;
    let by = |user: Option<&str>, max: Option<i32>, token: Option<String>| {
        w.client
            .get_comment_reactions()
            .comment_id(&c)
            .set_reaction_user_arn(user.map(str::to_owned))
            .set_max_results(max)
            .set_next_token(token)
            .send()
    };
    let all = by(None, None, None).await.unwrap();
    let users: Vec<Vec<String>> = all
        .reactions_for_comment()
        .iter()
        .map(|g| g.reaction_users().to_vec())
        .collect();
    assert_eq!(
        users,
        [
            vec![ROOT_ARN.to_owned(), carol_arn.clone()],
            vec![w.bob_arn.clone()]
        ]
    );
    let bobs = by(Some(&w.bob_arn), None, None).await.unwrap();
    assert_eq!(bobs.reactions_for_comment().len(), 1);
    assert_eq!(
        bobs.reactions_for_comment()[0]
            .reaction()
            .unwrap()
            .unicode(),
        Some("U+1F389")
    );
    assert_eq!(
        bobs.reactions_for_comment()[0].reaction_users(),
        [w.bob_arn.as_str()]
    );
    let nobody = by(Some("arn:aws:iam::000000000000:user/nobody"), None, None)
        .await
        .unwrap();
    assert!(nobody.reactions_for_comment().is_empty());
    assert_err!(
        by(Some("not-an-arn"), None, None).await,
        "InvalidReactionUserArnException"
    );
    // One group per page.
    let first = by(None, Some(1), None).await.unwrap();
    assert_eq!(first.reactions_for_comment().len(), 1);
    let token = first.next_token().unwrap().to_owned();
    let second = by(None, Some(1), Some(token.clone())).await.unwrap();
    assert_eq!(
        second.reactions_for_comment()[0].reaction_users(),
        [w.bob_arn.as_str()]
    );
    assert_eq!(second.next_token(), None);
    assert_err!(by(None, Some(0), None).await, "InvalidMaxResultsException");
    assert_err!(
        by(None, Some(1001), None).await,
        "InvalidMaxResultsException"
    );
    by(None, Some(1000), None).await.unwrap();
    assert_err!(
        by(Some(&w.bob_arn), Some(1), Some(token)).await,
        "InvalidContinuationTokenException"
    );
}

#[tokio::test]
async fn reaction_errors() {
    let w = world().await;
    let c = id(w.on_pr(&w.client, None, "x").await.comment().unwrap());
    let put = |comment: &str, value: &str| {
        w.client
            .put_comment_reaction()
            .comment_id(comment)
            .reaction_value(value)
            .send()
    };
    assert_err!(put(&c, ":shrug:").await, "InvalidReactionValueException");
    assert_err!(put(&c, "U+1F44C").await, "InvalidReactionValueException");
    assert_err!(put(&c, "thumbs up").await, "InvalidReactionValueException");
    assert_err!(put("", ":clap:").await, "CommentIdRequiredException");
    assert_err!(put("zzz", ":clap:").await, "InvalidCommentIdException");
    assert_err!(
        put("a7e5471e-0123-4567-89ab-cdef01234567", ":clap:").await,
        "CommentDoesNotExistException"
    );
    assert_eq!(
        w.raw_err("PutCommentReaction", serde_json::json!({"commentId": c})),
        "ReactionValueRequiredException"
    );
    assert_eq!(
        w.raw_err(
            "PutCommentReaction",
            serde_json::json!({"commentId": c, "reactionValue": null})
        ),
        "ReactionValueRequiredException"
    );
    // The HTTP answer is an empty 200.
    let (status, body) = w.raw(
        "PutCommentReaction",
        serde_json::json!({"commentId": c, "reactionValue": ":clap:"}),
    );
    assert_eq!((status, body), (200, serde_json::Value::Null));
    let get = |comment: &str| w.client.get_comment_reactions().comment_id(comment).send();
    assert_err!(get("").await, "CommentIdRequiredException");
    assert_err!(get("zzz").await, "InvalidCommentIdException");
    assert_err!(
        get("a7e5471e-0123-4567-89ab-cdef01234567").await,
        "CommentDoesNotExistException"
    );
    w.client
        .delete_comment_content()
        .comment_id(&c)
        .send()
        .await
        .unwrap();
    assert_err!(put(&c, ":clap:").await, "CommentDeletedException");
    assert_err!(get(&c).await, "CommentDeletedException");
    // The failures changed nothing: the one clap is still counted.
    let pages = w.pr_pages(&w.client, None).await;
    assert_eq!(
        counts(&pages[0][0].comments()[0]),
        HashMap::from([("CLAP".into(), 1)])
    );
}
