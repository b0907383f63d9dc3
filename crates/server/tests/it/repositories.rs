//! Repository operations through the SDK.

use crate::assert_err;
use crate::common::git::Git;
use crate::common::*;
use aws_sdk_codecommit::types::{BatchGetRepositoriesErrorCodeEnum, OrderEnum, SortByEnum};
use std::collections::{HashMap, HashSet};

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

// ---------------------------------------------------------------------------------------------
// CreateRepository
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn create_returns_aws_shaped_metadata() {
    let server = TestServer::start();
    let client = server.client();
    let before = now_secs();
    let out = client
        .create_repository()
        .repository_name("my-app")
        .repository_description("the app")
        .send()
        .await
        .unwrap();
    let after = now_secs();
    let md = out.repository_metadata.unwrap();
    assert_eq!(md.account_id(), Some(DEFAULT_ACCOUNT));
    assert_eq!(md.repository_name(), Some("my-app"));
    assert_eq!(md.repository_description(), Some("the app"));
    assert_eq!(
        md.arn(),
        Some("arn:aws:codecommit:us-east-1:000000000000:my-app")
    );
    assert_eq!(
        md.clone_url_http(),
        Some(server.clone_url("my-app").as_str())
    );
    let ssh = md.clone_url_ssh().expect("cloneUrlSsh");
    assert!(
        ssh.starts_with("ssh://") && ssh.ends_with("/v1/repos/my-app"),
        "{ssh}"
    );
    assert_eq!(md.kms_key_id(), Some("alias/aws/codecommit"));
    assert!(md.default_branch().is_none());
    let id = md.repository_id().unwrap();
    assert!(is_uuid(id), "repositoryId {id} is not a UUID");
    for date in [secs(md.creation_date()), secs(md.last_modified_date())] {
        assert!(
            date >= before - 1.0 && date <= after + 1.0,
            "{date} not within [{before}, {after}]"
        );
    }

    // GetRepository answers the same metadata.
    let got = get_repo(&client, "my-app").await;
    assert_eq!(got.repository_id(), Some(id));
    assert_eq!(got.arn(), md.arn());
    assert_eq!(got.clone_url_http(), md.clone_url_http());
    assert_eq!(got.creation_date(), md.creation_date());

    assert_err!(
        client
            .create_repository()
            .repository_name("my-app")
            .send()
            .await,
        "RepositoryNameExistsException"
    );
}

#[tokio::test]
async fn clone_urls_follow_the_public_url() {
    let server = TestServer::start_with(|c| c.public_url = Some("http://codecommit:4599/".into()));
    let client = server.client();
    let md = create_repo(&client, "r").await;
    assert_eq!(
        md.clone_url_http(),
        Some("http://codecommit:4599/v1/repos/r")
    );
    assert_eq!(md.clone_url_ssh(), Some("ssh://codecommit/v1/repos/r"));
    let scoped = create_repo(&server.client_in("111111111111", "eu-west-1"), "r").await;
    assert_eq!(
        scoped.clone_url_http(),
        Some("http://codecommit:4599/111111111111/eu-west-1/v1/repos/r")
    );
}

#[tokio::test]
async fn create_gives_every_repository_its_own_id() {
    let server = TestServer::start();
    let client = server.client();
    let a = create_repo(&client, "one").await;
    let b = create_repo(&client, "two").await;
    assert_ne!(a.repository_id(), b.repository_id());
}

#[tokio::test]
async fn create_echoes_a_given_kms_key() {
    let server = TestServer::start();
    let client = server.client();
    let key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let md = client
        .create_repository()
        .repository_name("encrypted")
        .kms_key_id(key)
        .send()
        .await
        .unwrap()
        .repository_metadata
        .unwrap();
    assert_eq!(md.kms_key_id(), Some(key));
    assert_eq!(get_repo(&client, "encrypted").await.kms_key_id(), Some(key));
}

#[tokio::test]
async fn create_does_not_echo_tags_but_stores_them() {
    let server = TestServer::start();
    let client = server.client();
    let md = client
        .create_repository()
        .repository_name("tagged")
        .tags("team", "platform")
        .tags("cost-center", "42")
        .send()
        .await
        .unwrap()
        .repository_metadata
        .unwrap();
    // RepositoryMetadata has no tags member at all; what matters is that the stored tags are
    // exactly the given ones.
    let tags = client
        .list_tags_for_resource()
        .resource_arn(md.arn().unwrap())
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default();
    let expected: HashMap<String, String> = [("team", "platform"), ("cost-center", "42")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(tags, expected);
}

#[tokio::test]
async fn create_rejects_invalid_names() {
    let server = TestServer::start();
    let client = server.client();
    let long = "x".repeat(101);
    for name in ["a b", "a/b", "app.git", long.as_str(), "café", "a@b", "a:b"] {
        assert_err!(
            client
                .create_repository()
                .repository_name(name)
                .send()
                .await,
            "InvalidRepositoryNameException"
        );
    }
    assert!(list_names(&client).await.is_empty());

    // The message echoes the name as sent (not escaped the way Rust debug-prints it).
    let err = client
        .create_repository()
        .repository_name("ümlaut\"q")
        .send()
        .await
        .unwrap_err();
    let message = aws_sdk_codecommit::error::ProvideErrorMetadata::message(&err).unwrap_or("");
    assert!(message.contains("ümlaut\"q"), "{message}");

    // The boundaries that are allowed.
    let hundred = "y".repeat(100);
    for name in [hundred.as_str(), "a", "My_App.v2-x"] {
        create_repo(&client, name).await;
    }
}

#[tokio::test]
async fn create_requires_a_name() {
    let server = TestServer::start();
    let client = server.client();
    assert_err!(
        client.create_repository().send().await,
        "RepositoryNameRequiredException"
    );
    assert_err!(
        client.create_repository().repository_name("").send().await,
        "RepositoryNameRequiredException"
    );
}

#[tokio::test]
async fn create_checks_the_description_length() {
    let server = TestServer::start();
    let client = server.client();
    assert_err!(
        client
            .create_repository()
            .repository_name("too-long")
            .repository_description("d".repeat(1001))
            .send()
            .await,
        "InvalidRepositoryDescriptionException"
    );
    assert!(list_names(&client).await.is_empty());

    // 1,000 characters (not bytes) are fine.
    let exactly = "é".repeat(1000);
    let md = client
        .create_repository()
        .repository_name("just-right")
        .repository_description(&exactly)
        .send()
        .await
        .unwrap()
        .repository_metadata
        .unwrap();
    assert_eq!(md.repository_description(), Some(exactly.as_str()));
}

#[tokio::test]
async fn create_rejects_a_bad_kms_key() {
    let server = TestServer::start();
    let client = server.client();
    assert_err!(
        client
            .create_repository()
            .repository_name("r")
            .kms_key_id("bad key!")
            .send()
            .await,
        "EncryptionKeyInvalidIdException"
    );
    assert!(list_names(&client).await.is_empty());
}

#[tokio::test]
async fn create_rejects_bad_tags() {
    let server = TestServer::start();
    let client = server.client();
    let cases: Vec<(HashMap<String, String>, &str)> = vec![
        (
            HashMap::from([("bad!key".to_owned(), "v".to_owned())]),
            "InvalidTagsMapException",
        ),
        (
            HashMap::from([("k".to_owned(), "bad<value>".to_owned())]),
            "InvalidTagsMapException",
        ),
        (
            HashMap::from([("k".repeat(129), "v".to_owned())]),
            "InvalidTagsMapException",
        ),
        (
            HashMap::from([("aws:x".to_owned(), "v".to_owned())]),
            "InvalidSystemTagUsageException",
        ),
        (
            (0..51).map(|i| (format!("k{i}"), "v".to_owned())).collect(),
            "TooManyTagsException",
        ),
    ];
    for (tags, expected) in cases {
        assert_err!(
            client
                .create_repository()
                .repository_name("r")
                .set_tags(Some(tags))
                .send()
                .await,
            expected
        );
    }
    assert!(list_names(&client).await.is_empty());

    // Exactly 50 tags are fine.
    let fifty: HashMap<String, String> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
    client
        .create_repository()
        .repository_name("r")
        .set_tags(Some(fifty))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn create_respects_the_repository_limit() {
    let server = TestServer::start_with(|c| c.repository_limit = 2);
    let client = server.client();
    create_repo(&client, "one").await;
    create_repo(&client, "two").await;
    assert_err!(
        client
            .create_repository()
            .repository_name("three")
            .send()
            .await,
        "RepositoryLimitExceededException"
    );
    assert_eq!(list_names(&client).await, ["one", "two"]);

    // The limit is per account and region.
    let other = server.client_in("111111111111", "us-east-1");
    create_repo(&other, "three").await;

    // A deleted repository frees its slot.
    client
        .delete_repository()
        .repository_name("one")
        .send()
        .await
        .unwrap();
    create_repo(&client, "three").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_name_have_one_winner() {
    let server = TestServer::start();
    let client = server.client();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .create_repository()
                    .repository_name("contested")
                    .send()
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(out) => winners.push(out.repository_metadata.unwrap()),
            Err(e) => assert_eq!(code(&e), "RepositoryNameExistsException", "{e:?}"),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(
        get_repo(&client, "contested").await.repository_id(),
        winners[0].repository_id()
    );
    assert_eq!(list_names(&client).await, ["contested"]);
    // The winner's repository is a working git repository.
    let git = Git::new();
    git.push_new(winners[0].clone_url_http().unwrap(), "w", &[&[("a", "a")]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_stop_at_the_limit() {
    let server = TestServer::start_with(|c| c.repository_limit = 5);
    let client = server.client();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .create_repository()
                    .repository_name(format!("r{i:02}"))
                    .send()
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => created += 1,
            Err(e) => assert_eq!(code(&e), "RepositoryLimitExceededException", "{e:?}"),
        }
    }
    assert_eq!(created, 5);
    assert_eq!(list_names(&client).await.len(), 5);
}

// ---------------------------------------------------------------------------------------------
// GetRepository / BatchGetRepositories
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_repository_errors() {
    let server = TestServer::start();
    let client = server.client();
    assert_err!(
        client.get_repository().repository_name("nope").send().await,
        "RepositoryDoesNotExistException"
    );
    assert_err!(
        client.get_repository().repository_name("a b").send().await,
        "InvalidRepositoryNameException"
    );
    assert_err!(
        client.get_repository().send().await,
        "RepositoryNameRequiredException"
    );
    // Names are case-sensitive.
    create_repo(&client, "Mixed").await;
    assert_err!(
        client
            .get_repository()
            .repository_name("mixed")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
}

#[tokio::test]
async fn batch_get_reports_found_and_missing() {
    let server = TestServer::start();
    let client = server.client();
    let a = create_repo(&client, "alpha").await;
    let b = create_repo(&client, "bravo").await;
    let out = client
        .batch_get_repositories()
        .repository_names("alpha")
        .repository_names("ghost")
        .repository_names("bravo")
        .send()
        .await
        .unwrap();
    let mut found: Vec<(&str, &str)> = out
        .repositories()
        .iter()
        .map(|r| (r.repository_name().unwrap(), r.repository_id().unwrap()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("alpha", a.repository_id().unwrap()),
            ("bravo", b.repository_id().unwrap())
        ]
    );
    let full = out
        .repositories()
        .iter()
        .find(|r| r.repository_name() == Some("alpha"))
        .unwrap();
    assert_eq!(full.arn(), a.arn());
    assert_eq!(full.clone_url_http(), a.clone_url_http());

    assert_eq!(out.repositories_not_found(), ["ghost"]);
    let errors = out.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].repository_name(), Some("ghost"));
    assert_eq!(
        errors[0].error_code(),
        Some(&BatchGetRepositoriesErrorCodeEnum::RepositoryDoesNotExistException)
    );
}

#[tokio::test]
async fn batch_get_checks_its_list() {
    let server = TestServer::start();
    let client = server.client();
    create_repo(&client, "r").await;
    let names: Vec<String> = (0..101).map(|i| format!("r{i}")).collect();
    assert_err!(
        client
            .batch_get_repositories()
            .set_repository_names(Some(names.clone()))
            .send()
            .await,
        "MaximumRepositoryNamesExceededException"
    );
    // 100 names are fine.
    let out = client
        .batch_get_repositories()
        .set_repository_names(Some(names[..100].to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.repositories_not_found().len(), 100);

    // "The array itself can be empty": empty lists back; only a missing list is an error.
    let out = client
        .batch_get_repositories()
        .set_repository_names(Some(vec![]))
        .send()
        .await
        .unwrap();
    assert!(out.repositories().is_empty());
    assert!(out.repositories_not_found().is_empty());
    let raw = crate::common::http::api(
        server.addr,
        "CodeCommit_20150413.BatchGetRepositories",
        r#"{"repositoryNames":[]}"#,
    );
    assert_eq!(raw.status, 200, "{}", raw.text());
    assert_eq!(raw.json()["repositories"], serde_json::json!([]));
    assert_eq!(raw.json()["repositoriesNotFound"], serde_json::json!([]));
    assert_err!(
        client.batch_get_repositories().send().await,
        "RepositoryNamesRequiredException"
    );
    assert_err!(
        client
            .batch_get_repositories()
            .repository_names("r")
            .repository_names("not valid")
            .send()
            .await,
        "InvalidRepositoryNameException"
    );
}

// ---------------------------------------------------------------------------------------------
// ListRepositories
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn list_defaults_to_name_ascending() {
    let server = TestServer::start();
    let client = server.client();
    assert!(list_names(&client).await.is_empty());
    let mut ids = HashMap::new();
    for name in ["delta", "Alpha", "charlie", "bravo", "alpha-2"] {
        let md = create_repo(&client, name).await;
        ids.insert(name.to_owned(), md.repository_id().unwrap().to_owned());
    }
    let out = client.list_repositories().send().await.unwrap();
    assert!(out.next_token().is_none());
    let listed: Vec<(String, String)> = out
        .repositories()
        .iter()
        .map(|r| {
            (
                r.repository_name().unwrap().to_owned(),
                r.repository_id().unwrap().to_owned(),
            )
        })
        .collect();
    let names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Alpha", "alpha-2", "bravo", "charlie", "delta"]);
    for (name, id) in &listed {
        assert_eq!(&ids[name], id);
    }

    // Explicit repositoryName/descending is the reverse.
    let desc = client
        .list_repositories()
        .sort_by(SortByEnum::RepositoryName)
        .order(OrderEnum::Descending)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = desc
        .repositories()
        .iter()
        .map(|r| r.repository_name().unwrap())
        .collect();
    assert_eq!(names, ["delta", "charlie", "bravo", "alpha-2", "Alpha"]);
}

#[tokio::test]
async fn list_sorts_by_last_modified_date_both_ways() {
    let server = TestServer::start();
    let client = server.client();
    for name in ["bravo", "charlie", "alpha"] {
        create_repo(&client, name).await;
    }
    // Touch bravo last, so modification order differs from both name and creation order.
    client
        .update_repository_description()
        .repository_name("bravo")
        .repository_description("touched")
        .send()
        .await
        .unwrap();
    let mut by_date = Vec::new();
    for name in ["bravo", "charlie", "alpha"] {
        let md = get_repo(&client, name).await;
        by_date.push((secs(md.last_modified_date()), name.to_owned()));
    }
    let bravo_date = by_date[0].0;
    assert!(
        by_date
            .iter()
            .all(|(d, n)| n == "bravo" || *d <= bravo_date),
        "the description update did not move lastModifiedDate: {by_date:?}"
    );
    let bravo_is_newest = by_date.iter().all(|(d, n)| n == "bravo" || *d < bravo_date);
    // Ties (same millisecond) are broken by name.
    by_date.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let ascending: Vec<String> = by_date.into_iter().map(|(_, n)| n).collect();
    if bravo_is_newest {
        assert_eq!(ascending.last().map(String::as_str), Some("bravo"));
    }

    let list = |order: OrderEnum| {
        let client = client.clone();
        async move {
            client
                .list_repositories()
                .sort_by(SortByEnum::ModifiedDate)
                .order(order)
                .send()
                .await
                .unwrap()
                .repositories()
                .iter()
                .map(|r| r.repository_name().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(OrderEnum::Ascending).await, ascending);
    let mut descending = ascending.clone();
    descending.reverse();
    assert_eq!(list(OrderEnum::Descending).await, descending);
}

#[tokio::test]
async fn list_rejects_bad_arguments() {
    let server = TestServer::start();
    let client = server.client();
    create_repo(&client, "r").await;
    assert_err!(
        client
            .list_repositories()
            .sort_by(SortByEnum::from("bogus"))
            .send()
            .await,
        "InvalidSortByException"
    );
    assert_err!(
        client
            .list_repositories()
            .order(OrderEnum::from("sideways"))
            .send()
            .await,
        "InvalidOrderException"
    );
    assert_err!(
        client
            .list_repositories()
            .next_token("garbage-token!!")
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_by_1000() {
    const TOTAL: usize = 1001;
    const TASKS: usize = 8;
    let server = TestServer::start_with(|c| c.repository_limit = 1100);
    let client = server.client();
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in (t..TOTAL).step_by(TASKS) {
                create_repo(&client, &format!("repo-{i:04}")).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    let first = client.list_repositories().send().await.unwrap();
    assert_eq!(first.repositories().len(), 1000);
    let token = first.next_token().expect("a second page").to_owned();
    assert!(!token.is_empty());
    let second = client
        .list_repositories()
        .next_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.repositories().len(), 1);
    assert!(
        second.next_token().is_none_or(str::is_empty),
        "{:?}",
        second.next_token()
    );

    let all: Vec<&str> = first
        .repositories()
        .iter()
        .chain(second.repositories())
        .map(|r| r.repository_name().unwrap())
        .collect();
    let unique: HashSet<&str> = all.iter().copied().collect();
    assert_eq!(unique.len(), TOTAL, "duplicates across pages");
    let expected: Vec<String> = (0..TOTAL).map(|i| format!("repo-{i:04}")).collect();
    assert_eq!(all, expected);
}

// ---------------------------------------------------------------------------------------------
// DeleteRepository
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn delete_returns_the_id_and_removes_the_repository() {
    let server = TestServer::start();
    let client = server.client();
    let md = create_repo(&client, "doomed").await;
    let url = md.clone_url_http().unwrap().to_owned();
    let git = Git::new();
    git.push_new(&url, "work", &[&[("a.txt", "a")]]);
    assert_eq!(git.ls_remote(&url).len(), 2, "HEAD and main");

    let out = client
        .delete_repository()
        .repository_name("doomed")
        .send()
        .await
        .unwrap();
    assert_eq!(out.repository_id(), md.repository_id());
    assert_err!(
        client
            .get_repository()
            .repository_name("doomed")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert!(list_names(&client).await.is_empty());
    let stderr = git.fails(git.root(), &["ls-remote", &url]);
    assert!(stderr.contains("not found"), "{stderr}");

    // The name is free again, for a new, empty repository with a new id.
    let again = create_repo(&client, "doomed").await;
    assert_ne!(again.repository_id(), md.repository_id());
    assert!(git.ls_remote(&url).is_empty());
}

#[tokio::test]
async fn delete_of_a_missing_repository_succeeds_without_id() {
    let server = TestServer::start();
    let client = server.client();
    let out = client
        .delete_repository()
        .repository_name("never-was")
        .send()
        .await
        .unwrap();
    assert_eq!(out.repository_id(), None);

    // Twice in a row: the second is a no-op.
    create_repo(&client, "once").await;
    let first = client
        .delete_repository()
        .repository_name("once")
        .send()
        .await
        .unwrap();
    assert!(first.repository_id().is_some());
    let second = client
        .delete_repository()
        .repository_name("once")
        .send()
        .await
        .unwrap();
    assert_eq!(second.repository_id(), None);
}

#[tokio::test]
async fn delete_checks_the_name() {
    let server = TestServer::start();
    let client = server.client();
    assert_err!(
        client
            .delete_repository()
            .repository_name("bad/name")
            .send()
            .await,
        "InvalidRepositoryNameException"
    );
    assert_err!(
        client.delete_repository().send().await,
        "RepositoryNameRequiredException"
    );
}

// ---------------------------------------------------------------------------------------------
// UpdateRepositoryName
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn rename_moves_arn_and_clone_url() {
    let server = TestServer::start();
    let client = server.client();
    let md = client
        .create_repository()
        .repository_name("old-name")
        .tags("team", "a")
        .send()
        .await
        .unwrap()
        .repository_metadata
        .unwrap();
    let old_url = md.clone_url_http().unwrap().to_owned();
    let git = Git::new();
    let work = git.push_new(&old_url, "work", &[&[("a.txt", "a")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);

    client
        .update_repository_name()
        .old_name("old-name")
        .new_name("new-name")
        .send()
        .await
        .unwrap();

    let renamed = get_repo(&client, "new-name").await;
    assert_eq!(renamed.repository_id(), md.repository_id());
    assert_eq!(renamed.repository_name(), Some("new-name"));
    assert_eq!(
        renamed.arn(),
        Some("arn:aws:codecommit:us-east-1:000000000000:new-name")
    );
    let new_url = server.clone_url("new-name");
    assert_eq!(renamed.clone_url_http(), Some(new_url.as_str()));
    assert!(
        renamed
            .clone_url_ssh()
            .unwrap()
            .ends_with("/v1/repos/new-name")
    );
    assert_eq!(renamed.default_branch(), Some("main"));
    assert_err!(
        client
            .get_repository()
            .repository_name("old-name")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert_eq!(list_names(&client).await, ["new-name"]);

    // Git follows the name.
    assert_eq!(
        git.remote_ref(&new_url, "refs/heads/main").as_deref(),
        Some(head.as_str())
    );
    git.fails(git.root(), &["ls-remote", &old_url]);
    let next = git.commit_file(&work, "b.txt", "b", "after rename");
    let stderr = git.fails(&work, &["push", "origin", "main"]);
    assert!(stderr.contains("not found"), "{stderr}");
    let mut rx = server.state.events.subscribe();
    git.ok(&work, &["push", "-q", &new_url, "main"]);
    let event = rx.try_recv().expect("an event for the push");
    assert_eq!(event.repository_name, "new-name");
    assert_eq!(Some(event.repository_id.as_str()), md.repository_id());
    assert_eq!(event.new.as_deref(), Some(next.as_str()));

    // Tags follow the repository to its new ARN.
    let tags = client
        .list_tags_for_resource()
        .resource_arn(renamed.arn().unwrap())
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default();
    assert_eq!(tags.get("team").map(String::as_str), Some("a"));

    // The old name can be taken by a new repository.
    let fresh = create_repo(&client, "old-name").await;
    assert_ne!(fresh.repository_id(), md.repository_id());
}

#[tokio::test]
async fn rename_errors() {
    let server = TestServer::start();
    let client = server.client();
    let a = create_repo(&client, "a").await;
    let b = create_repo(&client, "b").await;
    assert_err!(
        client
            .update_repository_name()
            .old_name("a")
            .new_name("b")
            .send()
            .await,
        "RepositoryNameExistsException"
    );
    assert_eq!(
        get_repo(&client, "a").await.repository_id(),
        a.repository_id()
    );
    assert_eq!(
        get_repo(&client, "b").await.repository_id(),
        b.repository_id()
    );

    assert_err!(
        client
            .update_repository_name()
            .old_name("ghost")
            .new_name("c")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert_err!(
        client
            .update_repository_name()
            .old_name("a")
            .new_name("has space")
            .send()
            .await,
        "InvalidRepositoryNameException"
    );
    assert_err!(
        client
            .update_repository_name()
            .old_name("a")
            .new_name("x.git")
            .send()
            .await,
        "InvalidRepositoryNameException"
    );
    assert_err!(
        client.update_repository_name().old_name("a").send().await,
        "RepositoryNameRequiredException"
    );
    assert_eq!(list_names(&client).await, ["a", "b"]);
}

// ---------------------------------------------------------------------------------------------
// UpdateRepositoryDescription / UpdateRepositoryEncryptionKey
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn update_description_sets_and_clears() {
    let server = TestServer::start();
    let client = server.client();
    let md = create_repo(&client, "r").await;
    assert!(md.repository_description().is_none());

    client
        .update_repository_description()
        .repository_name("r")
        .repository_description("now described")
        .send()
        .await
        .unwrap();
    let got = get_repo(&client, "r").await;
    assert_eq!(got.repository_description(), Some("now described"));
    assert!(secs(got.last_modified_date()) >= secs(md.last_modified_date()));

    client
        .update_repository_description()
        .repository_name("r")
        .send()
        .await
        .unwrap();
    assert!(
        get_repo(&client, "r")
            .await
            .repository_description()
            .is_none_or(str::is_empty)
    );

    assert_err!(
        client
            .update_repository_description()
            .repository_name("r")
            .repository_description("d".repeat(1001))
            .send()
            .await,
        "InvalidRepositoryDescriptionException"
    );
    assert_err!(
        client
            .update_repository_description()
            .repository_name("ghost")
            .repository_description("x")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
}

#[tokio::test]
async fn update_encryption_key() {
    let server = TestServer::start();
    let client = server.client();
    let md = create_repo(&client, "r").await;
    let key = "alias/my-key";
    let out = client
        .update_repository_encryption_key()
        .repository_name("r")
        .kms_key_id(key)
        .send()
        .await
        .unwrap();
    assert_eq!(out.repository_id(), md.repository_id());
    assert_eq!(out.kms_key_id(), Some(key));
    assert_eq!(out.original_kms_key_id(), Some("alias/aws/codecommit"));
    assert_eq!(get_repo(&client, "r").await.kms_key_id(), Some(key));

    // The original of the next change is the key just set.
    let out = client
        .update_repository_encryption_key()
        .repository_name("r")
        .kms_key_id("alias/aws/codecommit")
        .send()
        .await
        .unwrap();
    assert_eq!(out.original_kms_key_id(), Some(key));

    assert_err!(
        client
            .update_repository_encryption_key()
            .repository_name("r")
            .send()
            .await,
        "EncryptionKeyRequiredException"
    );
    assert_err!(
        client
            .update_repository_encryption_key()
            .repository_name("r")
            .kms_key_id("bad key!")
            .send()
            .await,
        "EncryptionKeyInvalidIdException"
    );
    assert_err!(
        client
            .update_repository_encryption_key()
            .repository_name("ghost")
            .kms_key_id(key)
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert_eq!(
        get_repo(&client, "r").await.kms_key_id(),
        Some("alias/aws/codecommit")
    );
}

// ---------------------------------------------------------------------------------------------
// UpdateDefaultBranch
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn update_default_branch_changes_what_clones_check_out() {
    let server = TestServer::start();
    let client = server.client();
    let md = create_repo(&client, "r").await;
    let url = md.clone_url_http().unwrap().to_owned();
    let git = Git::new();
    let work = git.init_with_commits("work", &[&[("main.txt", "main")]]);
    git.ok(&work, &["checkout", "-q", "-b", "dev"]);
    let dev_head = git.commit_file(&work, "dev.txt", "dev", "on dev");
    git.ok(&work, &["remote", "add", "origin", &url]);
    git.ok(&work, &["push", "-q", "origin", "main", "dev"]);
    assert_eq!(get_repo(&client, "r").await.default_branch(), Some("main"));

    client
        .update_default_branch()
        .repository_name("r")
        .default_branch_name("dev")
        .send()
        .await
        .unwrap();
    assert_eq!(get_repo(&client, "r").await.default_branch(), Some("dev"));

    let clone = git.clone(&url, "clone");
    assert_eq!(
        git.ok(&clone, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "dev"
    );
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]), dev_head);
    assert!(clone.join("dev.txt").exists());
}

#[tokio::test]
async fn update_default_branch_errors() {
    let server = TestServer::start();
    let client = server.client();
    let md = create_repo(&client, "r").await;
    let git = Git::new();
    git.push_new(md.clone_url_http().unwrap(), "work", &[&[("a", "a")]]);

    assert_err!(
        client
            .update_default_branch()
            .repository_name("r")
            .default_branch_name("nope")
            .send()
            .await,
        "BranchDoesNotExistException"
    );
    assert_err!(
        client
            .update_default_branch()
            .repository_name("r")
            .default_branch_name("a..b")
            .send()
            .await,
        "InvalidBranchNameException"
    );
    assert_err!(
        client
            .update_default_branch()
            .repository_name("r")
            .send()
            .await,
        "BranchNameRequiredException"
    );
    assert_err!(
        client
            .update_default_branch()
            .repository_name("ghost")
            .default_branch_name("main")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert_eq!(get_repo(&client, "r").await.default_branch(), Some("main"));
}

#[tokio::test]
async fn update_default_branch_on_an_empty_repository_fails() {
    let server = TestServer::start();
    let client = server.client();
    create_repo(&client, "empty").await;
    assert_err!(
        client
            .update_default_branch()
            .repository_name("empty")
            .default_branch_name("main")
            .send()
            .await,
        "BranchDoesNotExistException"
    );
    assert!(get_repo(&client, "empty").await.default_branch().is_none());
}
