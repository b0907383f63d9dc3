//! Pull requests through the SDK and the git CLI: the shared world (a server, a repository
//! with `main`, a working clone) and helpers; the tests live in the submodules.

use crate::common::git::Git;
use crate::common::*;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::types::{
    MergeOptionTypeEnum, PullRequest, PullRequestEvent, PullRequestEventType,
    PullRequestStatusEnum, PullRequestTarget, Target,
};
use base64::Engine as _;
use std::path::PathBuf;

mod create;
mod durability;
mod following;
mod listing;
mod merging;
mod races;
mod updates;

const REPO: &str = "app";

/// A server with repository `app` (`main` has one commit) and a working clone of it.
struct World {
    server: TestServer,
    client: Client,
    git: Git,
    dir: PathBuf,
    url: String,
}

async fn world() -> World {
    world_with(|_| {}).await
}

async fn world_with(adjust: impl FnOnce(&mut codecommit_local::Config)) -> World {
    let server = TestServer::start_with(adjust);
    let client = server.client();
    create_repo(&client, REPO).await;
    let url = server.clone_url(REPO);
    let git = Git::new();
    let dir = git.push_new(&url, "work", &[&[("README.md", "app\n")]]);
    World {
        server,
        client,
        git,
        dir,
        url,
    }
}

/// Basic credentials of a Git user `<name>-at-<account>`: pushes act as
/// `arn:aws:iam::<account>:user/<name>`.
fn basic_auth_header(name: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD
        .encode(format!("{name}-at-{DEFAULT_ACCOUNT}:password"));
    format!("http.extraHeader=Authorization: Basic {token}")
}

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{DEFAULT_ACCOUNT}:user/{name}")
}

const ROOT_ARN: &str = "arn:aws:iam::000000000000:root";

impl World {
    fn g(&self, args: &[&str]) -> String {
        self.git.ok(&self.dir, args)
    }

    /// A new branch from `from` with one commit writing `path`, pushed; returns its tip.
    fn branch(&self, name: &str, from: &str, path: &str, content: &str) -> String {
        self.g(&["checkout", "-q", "-B", name, from]);
        let tip = self
            .git
            .commit_file(&self.dir, path, content, &format!("{name}: {path}"));
        self.push(&[name]);
        tip
    }

    /// One more commit on an existing local branch, pushed; returns the new tip.
    fn commit(&self, branch: &str, path: &str, content: &str) -> String {
        self.g(&["checkout", "-q", branch]);
        let tip = self
            .git
            .commit_file(&self.dir, path, content, &format!("{branch}: {path}"));
        self.push(&[branch]);
        tip
    }

    fn push(&self, refspecs: &[&str]) {
        let mut args = vec!["push", "-q", "origin"];
        args.extend_from_slice(refspecs);
        self.g(&args);
    }

    /// `git push` acting as the Git user `name`.
    fn push_as(&self, name: &str, refspecs: &[&str]) {
        let header = basic_auth_header(name);
        let mut args = vec!["-c", header.as_str(), "push", "-q", "origin"];
        args.extend_from_slice(refspecs);
        self.g(&args);
    }

    fn remote(&self, branch: &str) -> Option<String> {
        self.git
            .remote_ref(&self.url, &format!("refs/heads/{branch}"))
    }

    async fn create(&self, source: &str, destination: Option<&str>) -> PullRequest {
        create_with(
            &self.client,
            REPO,
            source,
            destination,
            &format!("{source} PR"),
        )
        .await
    }

    async fn get(&self, id: &str) -> PullRequest {
        get(&self.client, id).await
    }

    async fn events(&self, id: &str) -> Vec<PullRequestEvent> {
        all_events(&self.client, id, None, None).await
    }
}

async fn create_with(
    client: &Client,
    repo: &str,
    source: &str,
    destination: Option<&str>,
    title: &str,
) -> PullRequest {
    client
        .create_pull_request()
        .title(title)
        .description("description")
        .targets(
            Target::builder()
                .repository_name(repo)
                .source_reference(source)
                .set_destination_reference(destination.map(str::to_owned))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating a pull request from {source}: {e:?}"))
        .pull_request
        .expect("pullRequest")
}

async fn get(client: &Client, id: &str) -> PullRequest {
    client
        .get_pull_request()
        .pull_request_id(id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("getting pull request {id}: {e:?}"))
        .pull_request
        .expect("pullRequest")
}

/// Every event (all pages), optionally filtered.
async fn all_events(
    client: &Client,
    id: &str,
    event_type: Option<PullRequestEventType>,
    actor: Option<&str>,
) -> Vec<PullRequestEvent> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .describe_pull_request_events()
            .pull_request_id(id)
            .set_pull_request_event_type(event_type.clone())
            .set_actor_arn(actor.map(str::to_owned))
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        out.extend(page.pull_request_events().iter().cloned());
        match page.next_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return out,
        }
    }
}

fn target(pr: &PullRequest) -> &PullRequestTarget {
    assert_eq!(pr.pull_request_targets().len(), 1, "one target: {pr:?}");
    &pr.pull_request_targets()[0]
}

fn id(pr: &PullRequest) -> String {
    pr.pull_request_id().unwrap().to_owned()
}

fn types(events: &[PullRequestEvent]) -> Vec<PullRequestEventType> {
    events
        .iter()
        .map(|e| e.pull_request_event_type().unwrap().clone())
        .collect()
}

fn is_open(pr: &PullRequest) -> bool {
    pr.pull_request_status() == Some(&PullRequestStatusEnum::Open)
}

fn merged(pr: &PullRequest) -> bool {
    target(pr)
        .merge_metadata()
        .map(|m| m.is_merged())
        .unwrap_or(false)
}

fn merge_option(pr: &PullRequest) -> Option<MergeOptionTypeEnum> {
    target(pr)
        .merge_metadata()
        .and_then(|m| m.merge_option())
        .cloned()
}

impl World {
    /// A raw awsJson call (for inputs the SDK's builders refuse to make); the answer's status
    /// and JSON.
    fn raw(&self, operation: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let r = crate::common::http::api(
            self.server.addr,
            &format!("CodeCommit_20150413.{operation}"),
            &body.to_string(),
        );
        let json = if r.body.is_empty() {
            serde_json::Value::Null
        } else {
            r.json()
        };
        (r.status, json)
    }

    /// A raw call that must fail: its exception name.
    fn raw_err(&self, operation: &str, body: serde_json::Value) -> String {
        let (status, json) = self.raw(operation, body);
        assert_eq!(status, 400, "{json}");
        json["__type"].as_str().unwrap_or_default().to_owned()
    }
}
