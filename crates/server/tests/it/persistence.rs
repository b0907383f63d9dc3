//! The real binary on a data directory: what it acknowledged survives `kill -9` and a restart,
//! and two servers cannot share a data directory.

use crate::assert_err;
use crate::common::git::Git;
use crate::common::process::*;
use crate::common::*;
use aws_sdk_codecommit::Client;
use std::collections::HashMap;
use std::path::PathBuf;

pub(crate) fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    (tmp, dir)
}

async fn tags(client: &Client, arn: &str) -> HashMap<String, String> {
    client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default()
}

#[tokio::test]
async fn acknowledged_state_survives_kill_9() {
    let (_tmp, dir) = data_dir();
    let git = Git::new();

    let server = Process::start(&dir);
    let client = server.client();
    client
        .create_repository()
        .repository_name("keep")
        .repository_description("kept across restarts")
        .tags("team", "platform")
        .send()
        .await
        .unwrap();
    create_repo(&client, "rename-me").await;
    create_repo(&client, "delete-me").await;
    create_repo(&client, "untouched").await;
    let scoped_client = server.client_in("111111111111", "eu-west-1");
    let scoped = create_repo(&scoped_client, "keep").await;
    client
        .update_repository_name()
        .old_name("rename-me")
        .new_name("renamed")
        .send()
        .await
        .unwrap();
    client
        .delete_repository()
        .repository_name("delete-me")
        .send()
        .await
        .unwrap();
    let keep_arn = get_repo(&client, "keep").await.arn().unwrap().to_owned();
    client
        .tag_resource()
        .resource_arn(&keep_arn)
        .tags("stage", "prod")
        .send()
        .await
        .unwrap();
    client
        .update_repository_encryption_key()
        .repository_name("keep")
        .kms_key_id("alias/custom")
        .send()
        .await
        .unwrap();

    // Git contents: `keep` has main and dev, with dev made the default; `renamed` got `trunk`
    // as its first branch.
    let work = git.init_with_commits("keep", &[&[("f", "main 1")], &[("f", "main 2")]]);
    let main_head = git.ok(&work, &["rev-parse", "HEAD"]);
    git.ok(&work, &["checkout", "-q", "-b", "dev"]);
    let dev_head = git.commit_file(&work, "f", "dev", "dev");
    git.ok(
        &work,
        &["remote", "add", "origin", &server.clone_url("keep")],
    );
    git.ok(&work, &["push", "-q", "origin", "main", "dev"]);
    client
        .update_default_branch()
        .repository_name("keep")
        .default_branch_name("dev")
        .send()
        .await
        .unwrap();
    let trunk = git.init_with_commits("trunk", &[&[("t", "trunk")]]);
    git.ok(&trunk, &["branch", "-m", "trunk"]);
    git.ok(
        &trunk,
        &["push", "-q", &server.clone_url("renamed"), "trunk"],
    );

    let mut before = HashMap::new();
    for name in ["keep", "renamed", "untouched"] {
        before.insert(name, get_repo(&client, name).await);
    }
    server.kill();

    let server = Process::start(&dir);
    let client = server.client();
    assert_eq!(list_names(&client).await, ["keep", "renamed", "untouched"]);
    assert_err!(
        client
            .get_repository()
            .repository_name("delete-me")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert_err!(
        client
            .get_repository()
            .repository_name("rename-me")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    for (name, old) in &before {
        let now = get_repo(&client, name).await;
        assert_eq!(now.repository_id(), old.repository_id(), "{name}");
        assert_eq!(now.repository_description(), old.repository_description());
        assert_eq!(now.default_branch(), old.default_branch(), "{name}");
        assert_eq!(now.kms_key_id(), old.kms_key_id(), "{name}");
        assert_eq!(now.creation_date(), old.creation_date(), "{name}");
        assert_eq!(now.last_modified_date(), old.last_modified_date(), "{name}");
        assert_eq!(now.arn(), old.arn());
    }
    let keep = get_repo(&client, "keep").await;
    assert_eq!(keep.repository_description(), Some("kept across restarts"));
    assert_eq!(keep.default_branch(), Some("dev"));
    assert_eq!(keep.kms_key_id(), Some("alias/custom"));
    assert_eq!(
        get_repo(&client, "renamed").await.default_branch(),
        Some("trunk")
    );
    let expected_tags: HashMap<String, String> = [("team", "platform"), ("stage", "prod")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(tags(&client, &keep_arn).await, expected_tags);
    let scoped_again = get_repo(&server.client_in("111111111111", "eu-west-1"), "keep").await;
    assert_eq!(scoped_again.repository_id(), scoped.repository_id());

    // Git contents, through the new server's clone URLs.
    let url = server.clone_url("keep");
    let clone = git.clone(&url, "clone-keep");
    assert_eq!(
        git.ok(&clone, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "dev"
    );
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]), dev_head);
    assert_eq!(git.ok(&clone, &["rev-parse", "origin/main"]), main_head);
    let clone = git.clone(&server.clone_url("renamed"), "clone-renamed");
    assert_eq!(std::fs::read_to_string(clone.join("t")).unwrap(), "trunk");
    assert!(git.ls_remote(&server.clone_url("untouched")).is_empty());

    // The restarted server takes pushes, and those survive the next kill too.
    let third = git.commit_file(&work, "f", "after restart", "after restart");
    git.ok(&work, &["push", "-q", &url, "dev"]);
    server.kill();

    let server = Process::start(&dir);
    assert_eq!(
        git.remote_ref(&server.clone_url("keep"), "refs/heads/dev")
            .as_deref(),
        Some(third.as_str())
    );
    assert_eq!(
        list_names(&server.client()).await,
        ["keep", "renamed", "untouched"]
    );
}

#[tokio::test]
async fn every_api_call_and_git_request_is_logged() {
    let (_tmp, dir) = data_dir();
    let mut cmd = command(&dir);
    cmd.env("CODECOMMIT_LOCAL_LOG", "info");
    let server = Process::spawn(cmd);
    let scoped = server.client_in("111111111111", "eu-west-1");
    let md = create_repo(&scoped, "logged").await;
    assert_err!(
        server
            .client()
            .get_repository()
            .repository_name("logged")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    // A body that is not JSON is logged in the signer's scope too.
    let auth = "AWS4-HMAC-SHA256 Credential=111111111111/20260101/eu-west-1/codecommit/aws4_request, SignedHeaders=host, Signature=00";
    let headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Target", "CodeCommit_20150413.ListRepositories"),
        ("Authorization", auth),
    ];
    let r = crate::common::http::request(server.addr, "POST", "/", &headers, b"{bad");
    assert_eq!(r.status, 400, "{}", r.text());
    let git = Git::new();
    git.push_new(md.clone_url_http().unwrap(), "work", &[&[("a", "a")]]);
    // Refused before git runs: unknown repository, in the default scope and a malformed one.
    git.fails(git.root(), &["ls-remote", &server.clone_url("nope")]);
    let bad_scope = format!("http://{}/12345/eu-west-1/v1/repos/logged", server.addr);
    git.fails(git.root(), &["ls-remote", &bad_scope]);

    let has = |parts: &[&str]| server.has_log(parts);
    for parts in [
        &[
            "account=111111111111",
            "region=eu-west-1",
            "operation=\"CreateRepository\"",
            "status=200",
            "exception=\"-\"",
            "ms=",
        ][..],
        &[
            "account=000000000000",
            "operation=\"GetRepository\"",
            "status=400",
            "exception=\"RepositoryDoesNotExistException\"",
        ],
        &[
            "account=111111111111",
            "region=eu-west-1",
            "operation=\"ListRepositories\"",
            "status=400",
            "exception=\"SerializationException\"",
        ],
        &[
            "account=111111111111",
            "repository=\"logged\"",
            "service=\"receive-pack\"",
            "request=\"receive-pack\"",
            "status=200",
            "ms=",
        ],
        &["repository=\"nope\"", "request=\"info/refs\"", "status=404"],
        &["account=12345", "repository=\"logged\"", "status=404"],
    ] {
        let log = server.log.lock().unwrap().join("\n");
        assert!(has(parts), "no log line with {parts:?} in:\n{log}");
    }
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_is_refused() {
    let (_tmp, dir) = data_dir();
    let first = Process::start(&dir);
    create_repo(&first.client(), "r").await;

    let out = command(&dir).output().expect("second binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "second server started: {stderr}");
    assert!(
        stderr.contains(dir.to_str().unwrap()),
        "the message should name the data dir: {stderr}"
    );
    assert!(!stderr.contains(READY), "{stderr}");

    // The first one is unharmed.
    assert_eq!(list_names(&first.client()).await, ["r"]);
}
