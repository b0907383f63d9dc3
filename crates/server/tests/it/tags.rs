//! TagResource, UntagResource and ListTagsForResource on repository ARNs.

use crate::assert_err;
use crate::common::*;
use aws_sdk_codecommit::Client;
use std::collections::HashMap;

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn tags_of(client: &Client, arn: &str) -> HashMap<String, String> {
    client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default()
}

async fn repo_arn(client: &Client, name: &str) -> String {
    create_repo(client, name).await.arn().unwrap().to_owned()
}

#[tokio::test]
async fn tag_list_untag_round_trip() {
    let server = TestServer::start();
    let client = server.client();
    let arn = repo_arn(&client, "r").await;
    assert!(tags_of(&client, &arn).await.is_empty());

    client
        .tag_resource()
        .resource_arn(&arn)
        .tags("team", "platform")
        .tags("env", "dev test")
        .tags("empty", "")
        .tags("équipe", "données: a/b=c+d@e_f.g-h")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&client, &arn).await,
        map(&[
            ("team", "platform"),
            ("env", "dev test"),
            ("empty", ""),
            ("équipe", "données: a/b=c+d@e_f.g-h")
        ])
    );

    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("env")
        .tag_keys("not-there")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&client, &arn).await,
        map(&[
            ("team", "platform"),
            ("empty", ""),
            ("équipe", "données: a/b=c+d@e_f.g-h")
        ])
    );

    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .tag_keys("empty")
        .tag_keys("équipe")
        .send()
        .await
        .unwrap();
    assert!(tags_of(&client, &arn).await.is_empty());
}

#[tokio::test]
async fn tags_merge_across_calls() {
    let server = TestServer::start();
    let client = server.client();
    let arn = repo_arn(&client, "r").await;
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags("a", "1")
        .tags("b", "2")
        .send()
        .await
        .unwrap();
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags("b", "20")
        .tags("c", "3")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&client, &arn).await,
        map(&[("a", "1"), ("b", "20"), ("c", "3")])
    );

    // Tags are per repository.
    let other = repo_arn(&client, "other").await;
    assert!(tags_of(&client, &other).await.is_empty());
}

#[tokio::test]
async fn at_most_50_tags_in_total() {
    let server = TestServer::start();
    let client = server.client();
    let arn = repo_arn(&client, "r").await;
    let batch = |range: std::ops::Range<usize>, value: &str| -> HashMap<String, String> {
        range
            .map(|i| (format!("k{i:02}"), value.to_owned()))
            .collect()
    };
    client
        .tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(batch(0..30, "v")))
        .send()
        .await
        .unwrap();
    // 30 + 21 new keys = 51: refused, and nothing of the call is applied.
    assert_err!(
        client
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(batch(29..51, "new")))
            .send()
            .await,
        "TooManyTagsException"
    );
    assert_eq!(tags_of(&client, &arn).await, batch(0..30, "v"));

    // 30 + 20 = 50 is fine.
    client
        .tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(batch(30..50, "v")))
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&client, &arn).await.len(), 50);

    // At 50, overwriting existing keys is still allowed; one more key is not.
    client
        .tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(batch(0..10, "changed")))
        .send()
        .await
        .unwrap();
    assert_err!(
        client
            .tag_resource()
            .resource_arn(&arn)
            .tags("k99", "one too many")
            .send()
            .await,
        "TooManyTagsException"
    );
    let tags = tags_of(&client, &arn).await;
    assert_eq!(tags.len(), 50);
    assert_eq!(tags["k00"], "changed");
    assert!(!tags.contains_key("k99"));
}

#[tokio::test]
async fn the_resource_arn_is_required() {
    let server = TestServer::start();
    let client = server.client();
    assert_err!(
        client.tag_resource().tags("a", "b").send().await,
        "ResourceArnRequiredException"
    );
    assert_err!(
        client
            .tag_resource()
            .resource_arn("")
            .tags("a", "b")
            .send()
            .await,
        "ResourceArnRequiredException"
    );
    assert_err!(
        client.untag_resource().tag_keys("a").send().await,
        "ResourceArnRequiredException"
    );
    assert_err!(
        client.list_tags_for_resource().send().await,
        "ResourceArnRequiredException"
    );
}

#[tokio::test]
async fn malformed_arns_are_invalid() {
    let server = TestServer::start();
    let client = server.client();
    create_repo(&client, "r").await;
    for arn in [
        "not-an-arn",
        "arn:aws:s3:::bucket",
        "arn:aws:codecommit:us-east-1:000000000000",
        "arn:aws:codecommit:us-east-1:12345:r",
        "arn:aws:codecommit::000000000000:r",
        "arn:aws:sqs:us-east-1:000000000000:r",
    ] {
        assert_err!(
            client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await,
            "InvalidResourceArnException"
        );
        assert_err!(
            client
                .tag_resource()
                .resource_arn(arn)
                .tags("a", "b")
                .send()
                .await,
            "InvalidResourceArnException"
        );
        assert_err!(
            client
                .untag_resource()
                .resource_arn(arn)
                .tag_keys("a")
                .send()
                .await,
            "InvalidResourceArnException"
        );
    }
}

#[tokio::test]
async fn arns_of_unknown_repositories_do_not_exist() {
    let server = TestServer::start();
    let client = server.client();
    create_repo(&client, "r").await;
    for arn in [
        "arn:aws:codecommit:us-east-1:000000000000:ghost",
        // The right name in another region or account is another repository.
        "arn:aws:codecommit:eu-west-1:000000000000:r",
        "arn:aws:codecommit:us-east-1:111111111111:r",
    ] {
        assert_err!(
            client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await,
            "RepositoryDoesNotExistException"
        );
        assert_err!(
            client
                .tag_resource()
                .resource_arn(arn)
                .tags("a", "b")
                .send()
                .await,
            "RepositoryDoesNotExistException"
        );
        assert_err!(
            client
                .untag_resource()
                .resource_arn(arn)
                .tag_keys("a")
                .send()
                .await,
            "RepositoryDoesNotExistException"
        );
    }

    // The same ARN works for the caller it belongs to.
    let other = server.client_in("111111111111", "us-east-1");
    create_repo(&other, "r").await;
    other
        .tag_resource()
        .resource_arn("arn:aws:codecommit:us-east-1:111111111111:r")
        .tags("owner", "111111111111")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&other, "arn:aws:codecommit:us-east-1:111111111111:r").await,
        map(&[("owner", "111111111111")])
    );
    assert!(
        tags_of(&client, "arn:aws:codecommit:us-east-1:000000000000:r")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn tags_and_keys_are_required() {
    let server = TestServer::start();
    let client = server.client();
    let arn = repo_arn(&client, "r").await;
    assert_err!(
        client.tag_resource().resource_arn(&arn).send().await,
        "TagsMapRequiredException"
    );
    assert_err!(
        client.untag_resource().resource_arn(&arn).send().await,
        "TagKeysListRequiredException"
    );
    // An empty list is no list: "The list cannot be empty or null".
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags("team", "a")
        .send()
        .await
        .unwrap();
    assert_err!(
        client
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(vec![]))
            .send()
            .await,
        "TagKeysListRequiredException"
    );
    assert_eq!(tags_of(&client, &arn).await, map(&[("team", "a")]));
}

#[tokio::test]
async fn system_and_invalid_tags_are_refused() {
    let server = TestServer::start();
    let client = server.client();
    let arn = repo_arn(&client, "r").await;
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags("keep", "me")
        .send()
        .await
        .unwrap();
    for key in ["aws:x", "AWS:Name"] {
        assert_err!(
            client
                .tag_resource()
                .resource_arn(&arn)
                .tags(key, "v")
                .send()
                .await,
            "InvalidSystemTagUsageException"
        );
        assert_err!(
            client
                .untag_resource()
                .resource_arn(&arn)
                .tag_keys(key)
                .send()
                .await,
            "InvalidSystemTagUsageException"
        );
    }
    assert_err!(
        client
            .tag_resource()
            .resource_arn(&arn)
            .tags("bad!key", "v")
            .send()
            .await,
        "InvalidTagsMapException"
    );
    // A bad tag in a call applies none of the call's tags.
    assert_err!(
        client
            .tag_resource()
            .resource_arn(&arn)
            .tags("good", "v")
            .tags("aws:bad", "v")
            .send()
            .await,
        "InvalidSystemTagUsageException"
    );
    assert_eq!(tags_of(&client, &arn).await, map(&[("keep", "me")]));
}

#[tokio::test]
async fn untag_checks_its_keys() {
    let server = TestServer::start();
    let client = server.client();
    let arn = repo_arn(&client, "r").await;
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags("a", "1")
        .send()
        .await
        .unwrap();
    let long = "k".repeat(129);
    for key in ["bad!key", "", long.as_str()] {
        assert_err!(
            client
                .untag_resource()
                .resource_arn(&arn)
                .tag_keys("a")
                .tag_keys(key)
                .send()
                .await,
            "InvalidTagKeysListException"
        );
    }
    assert_eq!(tags_of(&client, &arn).await, map(&[("a", "1")]));
}

#[tokio::test]
async fn list_tags_rejects_a_garbage_token() {
    let server = TestServer::start();
    let client = server.client();
    let arn = repo_arn(&client, "r").await;
    assert_err!(
        client
            .list_tags_for_resource()
            .resource_arn(&arn)
            .next_token("garbage!!")
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
}

#[tokio::test]
async fn tags_follow_a_delete_and_recreate() {
    // A new repository under a deleted one's name starts without tags.
    let server = TestServer::start();
    let client = server.client();
    let arn = repo_arn(&client, "r").await;
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags("old", "yes")
        .send()
        .await
        .unwrap();
    client
        .delete_repository()
        .repository_name("r")
        .send()
        .await
        .unwrap();
    assert_err!(
        client
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    let again = repo_arn(&client, "r").await;
    assert_eq!(again, arn);
    assert!(tags_of(&client, &arn).await.is_empty());
}
