//! Approval rules, approvals, overrides and templates through the SDK (and git for the push
//! that bypasses rules): the shared world — a server whose principals file knows a few IAM
//! users, repository `app` with `main`, pull requests made through the API — and helpers; the
//! tests live in the submodules.

use crate::common::*;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::primitives::Blob;
use aws_sdk_codecommit::types::{
    ApprovalRule, ApprovalState, Evaluation, OverrideStatus, PullRequest, Target,
};
use codecommit_local::identity::{PrincipalEntry, PrincipalsFile};
use std::sync::Arc;

mod approvals;
mod associations;
mod durability;
mod matrix;
mod merging;
mod rules;
mod template_rules;
mod templates;

const REPO: &str = "app";

/// IAM users every world knows (access key `AKIA<NAME>`), besides the default root caller.
const USERS: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "dave",
    "Mary_Major",
    "team/Li_Juan",
];

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{DEFAULT_ACCOUNT}:user/{name}")
}

fn key_of(name: &str) -> String {
    format!("AKIA{}", name.replace('/', "_").to_uppercase())
}

/// A principals file with the given IAM users of the default account.
fn principals(users: &[String]) -> PrincipalsFile {
    PrincipalsFile {
        principals: users
            .iter()
            .map(|u| PrincipalEntry {
                access_key_id: key_of(u),
                secret_access_key: Some("secret".into()),
                session_token: None,
                arn: user_arn(u),
                user_id: None,
                display_name: None,
                email_address: None,
            })
            .collect(),
        git_credentials: Vec::new(),
    }
}

struct World {
    server: TestServer,
    /// The default caller (the account's root).
    client: Client,
}

async fn world() -> World {
    world_with_users(USERS.iter().map(|u| (*u).to_owned()).collect()).await
}

async fn world_with_users(users: Vec<String>) -> World {
    let file = Arc::new(principals(&users));
    let server = TestServer::start_with(move |c| c.principals = Some(file));
    let client = server.client();
    create_repo(&client, REPO).await;
    put(&client, REPO, "main", None, "README.md", "app\n").await;
    World { server, client }
}

/// PutFile; returns the new commit id.
async fn put(
    client: &Client,
    repo: &str,
    branch: &str,
    parent: Option<&str>,
    path: &str,
    content: &str,
) -> String {
    client
        .put_file()
        .repository_name(repo)
        .branch_name(branch)
        .set_parent_commit_id(parent.map(str::to_owned))
        .file_path(path)
        .file_content(Blob::new(content))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutFile {path} on {branch}: {e:?}"))
        .commit_id
}

async fn tip(client: &Client, repo: &str, branch: &str) -> String {
    client
        .get_branch()
        .repository_name(repo)
        .branch_name(branch)
        .send()
        .await
        .unwrap()
        .branch
        .unwrap()
        .commit_id
        .unwrap()
}

impl World {
    /// A client acting as IAM user `name` (one of the world's users).
    fn user(&self, name: &str) -> Client {
        client_with(
            &self.server.endpoint(),
            &key_of(name),
            "secret",
            None,
            DEFAULT_REGION,
        )
    }

    /// A client acting as a session of role `role` of the default account, and its ARN.
    async fn role(&self, role: &str, session: &str) -> (Client, String) {
        self.server
            .assume_role(
                &format!("arn:aws:iam::{DEFAULT_ACCOUNT}:role/{role}"),
                session,
            )
            .await
    }

    /// A client acting as federated user `name` of the default account, and its ARN.
    async fn federated(&self, name: &str) -> (Client, String) {
        let out = self
            .server
            .sts(DEFAULT_ACCOUNT)
            .get_federation_token()
            .name(name)
            .send()
            .await
            .expect("GetFederationToken");
        let c = out.credentials().unwrap();
        let arn = out.federated_user().unwrap().arn().to_owned();
        let client = client_with(
            &self.server.endpoint(),
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
            DEFAULT_REGION,
        );
        (client, arn)
    }

    /// A branch `name` off main with one commit, and a pull request from it into main made by
    /// `author`.
    async fn pr_by(&self, author: &Client, name: &str) -> PullRequest {
        self.pr_into(author, REPO, name, "main").await
    }

    async fn pr(&self, name: &str) -> PullRequest {
        self.pr_by(&self.client, name).await
    }

    /// A branch `name` off `destination` with one commit, and a pull request into
    /// `destination`.
    async fn pr_into(
        &self,
        author: &Client,
        repo: &str,
        name: &str,
        destination: &str,
    ) -> PullRequest {
        branch_with_commit(&self.client, repo, name, destination).await;
        create_pr(author, repo, name, destination).await
    }

    /// Another commit on a pull request's source branch: a new revision. Returns the pull
    /// request as it is then.
    async fn push_to(&self, pr: &PullRequest, content: &str) -> PullRequest {
        let t = &pr.pull_request_targets()[0];
        let branch = t
            .source_reference()
            .unwrap()
            .trim_start_matches("refs/heads/");
        let parent = tip(&self.client, REPO, branch).await;
        put(
            &self.client,
            REPO,
            branch,
            Some(&parent),
            "more.txt",
            content,
        )
        .await;
        get_pr(&self.client, id(pr)).await
    }
}

/// Branch `name` off `from` with one commit of its own.
async fn branch_with_commit(client: &Client, repo: &str, name: &str, from: &str) {
    let base = tip(client, repo, from).await;
    client
        .create_branch()
        .repository_name(repo)
        .branch_name(name)
        .commit_id(&base)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateBranch {name}: {e:?}"));
    put(
        client,
        repo,
        name,
        Some(&base),
        &format!("{}.txt", name.replace('/', "-")),
        name,
    )
    .await;
}

async fn create_pr(client: &Client, repo: &str, source: &str, destination: &str) -> PullRequest {
    client
        .create_pull_request()
        .title(format!("{source} into {destination}"))
        .targets(
            Target::builder()
                .repository_name(repo)
                .source_reference(source)
                .destination_reference(destination)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreatePullRequest from {source}: {e:?}"))
        .pull_request
        .unwrap()
}

async fn get_pr(client: &Client, id: &str) -> PullRequest {
    client
        .get_pull_request()
        .pull_request_id(id)
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap()
}

fn id(pr: &PullRequest) -> &str {
    pr.pull_request_id().unwrap()
}

fn rev(pr: &PullRequest) -> &str {
    pr.revision_id().unwrap()
}

/// Rule content: one statement needing `needed` approvals from `pool` (no pool when empty).
fn content(needed: u32, pool: &[&str]) -> String {
    let mut statement = serde_json::json!({"Type": "Approvers", "NumberOfApprovalsNeeded": needed});
    if !pool.is_empty() {
        statement["ApprovalPoolMembers"] = serde_json::json!(pool);
    }
    serde_json::json!({"Version": "2018-11-08", "Statements": [statement]}).to_string()
}

/// Template content with branch filters (none when `destinations` is `None`).
fn template_content(needed: u32, destinations: Option<&[&str]>) -> String {
    let mut v = serde_json::json!({"Version": "2018-11-08",
        "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": needed}]});
    if let Some(d) = destinations {
        v["DestinationReferences"] = serde_json::json!(d);
    }
    v.to_string()
}

fn sha256(s: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn add_rule(client: &Client, pr: &PullRequest, name: &str, content: &str) -> ApprovalRule {
    client
        .create_pull_request_approval_rule()
        .pull_request_id(id(pr))
        .approval_rule_name(name)
        .approval_rule_content(content)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreatePullRequestApprovalRule {name}: {e:?}"))
        .approval_rule
        .unwrap()
}

async fn set_state(client: &Client, pr: &PullRequest, state: ApprovalState) {
    client
        .update_pull_request_approval_state()
        .pull_request_id(id(pr))
        .revision_id(rev(pr))
        .approval_state(state)
        .send()
        .await
        .unwrap_or_else(|e| panic!("UpdatePullRequestApprovalState: {e:?}"));
}

async fn approve(client: &Client, pr: &PullRequest) {
    set_state(client, pr, ApprovalState::Approve).await;
}

async fn evaluate(client: &Client, pr: &PullRequest) -> Evaluation {
    client
        .evaluate_pull_request_approval_rules()
        .pull_request_id(id(pr))
        .revision_id(rev(pr))
        .send()
        .await
        .unwrap_or_else(|e| panic!("EvaluatePullRequestApprovalRules: {e:?}"))
        .evaluation
        .unwrap()
}

async fn set_override(client: &Client, pr: &PullRequest, status: OverrideStatus) {
    client
        .override_pull_request_approval_rules()
        .pull_request_id(id(pr))
        .revision_id(rev(pr))
        .override_status(status)
        .send()
        .await
        .unwrap_or_else(|e| panic!("OverridePullRequestApprovalRules: {e:?}"));
}

/// The approvers GetPullRequestApprovalStates lists for a revision.
async fn approvers(client: &Client, pr_id: &str, revision: &str) -> Vec<String> {
    client
        .get_pull_request_approval_states()
        .pull_request_id(pr_id)
        .revision_id(revision)
        .send()
        .await
        .unwrap()
        .approvals()
        .iter()
        .map(|a| {
            assert_eq!(a.approval_state(), Some(&ApprovalState::Approve));
            a.user_arn().unwrap().to_owned()
        })
        .collect()
}

async fn create_template(client: &Client, name: &str, content: &str) {
    client
        .create_approval_rule_template()
        .approval_rule_template_name(name)
        .approval_rule_template_content(content)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateApprovalRuleTemplate {name}: {e:?}"));
}

async fn associate(client: &Client, template: &str, repo: &str) {
    client
        .associate_approval_rule_template_with_repository()
        .approval_rule_template_name(template)
        .repository_name(repo)
        .send()
        .await
        .unwrap_or_else(|e| panic!("Associate {template} with {repo}: {e:?}"));
}

impl World {
    /// A raw awsJson call (for inputs the SDK's builders refuse to make): status and JSON.
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
