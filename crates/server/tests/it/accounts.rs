//! Accounts and regions are separate namespaces, for the API and for git.

use crate::assert_err;
use crate::common::git::Git;
use crate::common::*;
use std::collections::HashSet;

const ACCOUNTS: [&str; 2] = ["111111111111", "222222222222"];
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

fn scopes() -> Vec<(&'static str, &'static str)> {
    ACCOUNTS
        .iter()
        .flat_map(|a| REGIONS.iter().map(move |r| (*a, *r)))
        .collect()
}

#[tokio::test]
async fn the_same_name_lives_independently_in_each_scope() {
    let server = TestServer::start();
    let mut ids = HashSet::new();
    for (account, region) in scopes() {
        let client = server.client_in(account, region);
        // Each scope also gets a repository of its own, to tell the listings apart.
        let md = create_repo(&client, "shared").await;
        create_repo(&client, &format!("only-{account}-{region}")).await;
        assert_eq!(md.account_id(), Some(account));
        assert_eq!(
            md.arn(),
            Some(format!("arn:aws:codecommit:{region}:{account}:shared").as_str())
        );
        assert_eq!(
            md.clone_url_http(),
            Some(format!("{}/{account}/{region}/v1/repos/shared", server.base_url).as_str())
        );
        assert!(
            md.clone_url_ssh()
                .unwrap()
                .ends_with(&format!("/{account}/{region}/v1/repos/shared")),
            "{:?}",
            md.clone_url_ssh()
        );
        ids.insert(md.repository_id().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 4, "every scope has its own repository");

    // The default scope has none of them, and the name is still free there.
    assert!(list_names(&server.client()).await.is_empty());
    let default = create_repo(&server.client(), "shared").await;
    assert_eq!(
        default.clone_url_http(),
        Some(server.clone_url("shared").as_str())
    );

    for (account, region) in scopes() {
        let client = server.client_in(account, region);
        let mut expected = vec!["shared".to_owned(), format!("only-{account}-{region}")];
        expected.sort();
        assert_eq!(list_names(&client).await, expected, "{account}/{region}");
    }
}

#[tokio::test]
async fn names_of_other_scopes_do_not_exist() {
    let server = TestServer::start();
    let a = server.client_in("111111111111", "us-east-1");
    let b_region = server.client_in("111111111111", "eu-west-1");
    let b_account = server.client_in("222222222222", "us-east-1");
    let md = create_repo(&a, "mine").await;

    for other in [&b_region, &b_account, &server.client()] {
        assert_err!(
            other.get_repository().repository_name("mine").send().await,
            "RepositoryDoesNotExistException"
        );
        let batch = other
            .batch_get_repositories()
            .repository_names("mine")
            .send()
            .await
            .unwrap();
        assert!(batch.repositories().is_empty());
        assert_eq!(batch.repositories_not_found(), ["mine"]);
        assert_err!(
            other
                .update_repository_name()
                .old_name("mine")
                .new_name("stolen")
                .send()
                .await,
            "RepositoryDoesNotExistException"
        );
        // Deleting "mine" elsewhere deletes nothing.
        let out = other
            .delete_repository()
            .repository_name("mine")
            .send()
            .await
            .unwrap();
        assert_eq!(out.repository_id(), None);
    }
    assert_eq!(
        get_repo(&a, "mine").await.repository_id(),
        md.repository_id()
    );
}

#[tokio::test]
async fn each_scope_has_its_own_git_contents() {
    let server = TestServer::start();
    let git = Git::new();
    let mut rx = server.state.events.subscribe();
    for (i, (account, region)) in scopes().into_iter().enumerate() {
        let client = server.client_in(account, region);
        let md = create_repo(&client, "code").await;
        let content = format!("{account} {region}\n");
        git.push_new(
            md.clone_url_http().unwrap(),
            &format!("work-{i}"),
            &[&[("scope.txt", content.as_str())]],
        );
        // The push's event names the scope it happened in.
        let event = rx.try_recv().expect("an event for the push");
        assert_eq!(
            (event.account.as_str(), event.region.as_str()),
            (account, region)
        );
        assert_eq!(Some(event.repository_id.as_str()), md.repository_id());
        assert!(rx.try_recv().is_err(), "one event per push");
    }
    let mut heads = HashSet::new();
    for (i, (account, region)) in scopes().into_iter().enumerate() {
        let url = format!("{}/{account}/{region}/v1/repos/code", server.base_url);
        let clone = git.clone(&url, &format!("clone-{i}"));
        let content = std::fs::read_to_string(clone.join("scope.txt")).unwrap();
        assert_eq!(content, format!("{account} {region}\n"));
        heads.insert(git.ok(&clone, &["rev-parse", "HEAD"]));
        let client = server.client_in(account, region);
        assert_eq!(
            get_repo(&client, "code").await.default_branch(),
            Some("main")
        );
    }
    assert_eq!(heads.len(), 4);

    // The default scope has no repository of that name, so its URL is not found.
    let stderr = git.fails(git.root(), &["ls-remote", &server.clone_url("code")]);
    assert!(stderr.contains("not found"), "{stderr}");
    // Nor does a scope that has none.
    let url = format!("{}/333333333333/us-east-1/v1/repos/code", server.base_url);
    git.fails(git.root(), &["ls-remote", &url]);
}
