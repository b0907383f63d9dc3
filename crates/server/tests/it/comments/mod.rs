//! Comments and reactions through the SDK: the shared world (a repository whose `main` has
//! an initial commit and whose `feature` changes, adds and deletes files, a pull request
//! between them, a second caller) and helpers; the tests live in the submodules.

pub(super) use crate::assert_err;
use crate::common::git::Git;
use crate::common::*;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::operation::post_comment_for_compared_commit::PostCommentForComparedCommitOutput;
use aws_sdk_codecommit::operation::post_comment_for_pull_request::PostCommentForPullRequestOutput;
use aws_sdk_codecommit::types::{
    Comment, CommentsForComparedCommit, CommentsForPullRequest, Location, RelativeFileVersionEnum,
    Target,
};
use std::path::PathBuf;

mod compared;
mod durability;
mod edits;
mod idempotency;
mod pull_requests;
mod reactions;
mod threads;

const REPO: &str = "app";
const OTHER_ROLE: &str = "arn:aws:iam::000000000000:role/Reviewer";

/// `main`: the initial commit (README.md 3 lines, src/lib.rs 5 lines, old.txt). `feature`: one
/// commit on top that rewrites src/lib.rs (6 lines), adds new.txt and deletes old.txt. A pull
/// request from `feature` to `main`. `bob` is a second principal (an assumed role).
struct World {
    server: TestServer,
    client: Client,
    bob: Client,
    bob_arn: String,
    git: Git,
    dir: PathBuf,
    root: String,
    tip: String,
    pr: String,
}

const README: &str = "one\ntwo\nthree\n";
const LIB_BEFORE: &str = "a\nb\nc\nd\ne\n";
const LIB_AFTER: &str = "a\nB\nc\nd\ne\nf\n";

async fn world() -> World {
    let server = TestServer::start();
    let client = server.client();
    create_repo(&client, REPO).await;
    let url = server.clone_url(REPO);
    let git = Git::new();
    let dir = git.push_new(
        &url,
        "work",
        &[&[
            ("README.md", README),
            ("src/lib.rs", LIB_BEFORE),
            ("old.txt", "gone\n"),
        ]],
    );
    let root = git.ok(&dir, &["rev-parse", "HEAD"]);
    git.ok(&dir, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(dir.join("src/lib.rs"), LIB_AFTER).unwrap();
    std::fs::write(dir.join("new.txt"), "n1\nn2\n").unwrap();
    std::fs::remove_file(dir.join("old.txt")).unwrap();
    git.ok(&dir, &["add", "-A"]);
    git.ok(&dir, &["commit", "-q", "-m", "feature work"]);
    let tip = git.ok(&dir, &["rev-parse", "HEAD"]);
    git.ok(&dir, &["push", "-q", "origin", "feature"]);
    let pr = client
        .create_pull_request()
        .title("feature")
        .targets(
            Target::builder()
                .repository_name(REPO)
                .source_reference("feature")
                .destination_reference("main")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .pull_request
        .unwrap()
        .pull_request_id
        .unwrap();
    let (bob, bob_arn) = server.assume_role(OTHER_ROLE, "bob").await;
    World {
        server,
        client,
        bob,
        bob_arn,
        git,
        dir,
        root,
        tip,
        pr,
    }
}

fn loc(path: &str, position: Option<i64>, version: Option<RelativeFileVersionEnum>) -> Location {
    Location::builder()
        .file_path(path)
        .set_file_position(position)
        .set_relative_file_version(version)
        .build()
}

fn after(path: &str, line: i64) -> Location {
    loc(path, Some(line), Some(RelativeFileVersionEnum::After))
}

fn before(path: &str, line: i64) -> Location {
    loc(path, Some(line), Some(RelativeFileVersionEnum::Before))
}

const ROOT_ARN: &str = "arn:aws:iam::000000000000:root";

impl World {
    /// `git rev-parse COMMIT:PATH`: the blob id of a file at a commit.
    fn blob(&self, commit: &str, path: &str) -> String {
        self.git
            .ok(&self.dir, &["rev-parse", &format!("{commit}:{path}")])
    }

    /// A commit on a new branch `name` from `main` that is in no pull request.
    fn unrelated_commit(&self, name: &str) -> String {
        self.git
            .ok(&self.dir, &["checkout", "-q", "-b", name, "main"]);
        let c = self
            .git
            .commit_file(&self.dir, "unrelated.txt", name, "unrelated");
        self.git.ok(&self.dir, &["push", "-q", "origin", name]);
        self.git.ok(&self.dir, &["checkout", "-q", "feature"]);
        c
    }

    async fn compared(
        &self,
        client: &Client,
        location: Option<Location>,
        content: &str,
    ) -> PostCommentForComparedCommitOutput {
        client
            .post_comment_for_compared_commit()
            .repository_name(REPO)
            .before_commit_id(&self.root)
            .after_commit_id(&self.tip)
            .set_location(location)
            .content(content)
            .send()
            .await
            .unwrap_or_else(|e| panic!("posting {content:?}: {e:?}"))
    }

    async fn on_pr(
        &self,
        client: &Client,
        location: Option<Location>,
        content: &str,
    ) -> PostCommentForPullRequestOutput {
        client
            .post_comment_for_pull_request()
            .pull_request_id(&self.pr)
            .repository_name(REPO)
            .before_commit_id(&self.root)
            .after_commit_id(&self.tip)
            .set_location(location)
            .content(content)
            .send()
            .await
            .unwrap_or_else(|e| panic!("posting {content:?} on the pull request: {e:?}"))
    }

    async fn reply(&self, client: &Client, to: &str, content: &str) -> Comment {
        client
            .post_comment_reply()
            .in_reply_to(to)
            .content(content)
            .send()
            .await
            .unwrap_or_else(|e| panic!("replying to {to}: {e:?}"))
            .comment
            .unwrap()
    }

    async fn get(&self, client: &Client, id: &str) -> Comment {
        client
            .get_comment()
            .comment_id(id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("getting comment {id}: {e:?}"))
            .comment
            .unwrap()
    }

    /// Every element of GetCommentsForPullRequest (all pages, `page` comments per page),
    /// pages joined as the client sees them.
    async fn pr_pages(
        &self,
        client: &Client,
        page: Option<i32>,
    ) -> Vec<Vec<CommentsForPullRequest>> {
        let mut pages = Vec::new();
        let mut token = None;
        loop {
            let out = client
                .get_comments_for_pull_request()
                .pull_request_id(&self.pr)
                .set_max_results(page)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            pages.push(out.comments_for_pull_request_data().to_vec());
            match out.next_token {
                Some(t) => token = Some(t),
                None => return pages,
            }
        }
    }

    async fn compared_pages(
        &self,
        client: &Client,
        before_commit: Option<&str>,
        after_commit: &str,
        page: Option<i32>,
    ) -> Vec<Vec<CommentsForComparedCommit>> {
        let mut pages = Vec::new();
        let mut token = None;
        loop {
            let out = client
                .get_comments_for_compared_commit()
                .repository_name(REPO)
                .set_before_commit_id(before_commit.map(str::to_owned))
                .after_commit_id(after_commit)
                .set_max_results(page)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            pages.push(out.comments_for_compared_commit_data().to_vec());
            match out.next_token {
                Some(t) => token = Some(t),
                None => return pages,
            }
        }
    }

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

    fn raw_err(&self, operation: &str, body: serde_json::Value) -> String {
        let (status, json) = self.raw(operation, body);
        assert_eq!(status, 400, "{json}");
        json["__type"].as_str().unwrap_or_default().to_owned()
    }
}

fn id(c: &Comment) -> String {
    c.comment_id().unwrap().to_owned()
}

/// The comment ids of each element, in order.
fn ids_of<'a>(comments: impl IntoIterator<Item = &'a [Comment]>) -> Vec<Vec<String>> {
    comments
        .into_iter()
        .map(|cs| cs.iter().map(id).collect())
        .collect()
}

/// A group as a client sees it: (before, after, location).
type GroupId = (Option<String>, Option<String>, Option<Location>);

/// Joins pages: an element that continues the last group of the previous page (a page
/// boundary inside a group) is merged into it. Answers each group with its comment ids.
fn joined(pages: &[Vec<CommentsForPullRequest>]) -> Vec<(GroupId, Vec<String>)> {
    let mut out: Vec<(GroupId, Vec<String>)> = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        for (i, e) in page.iter().enumerate() {
            let g: GroupId = (
                e.before_commit_id().map(str::to_owned),
                e.after_commit_id().map(str::to_owned),
                e.location().cloned(),
            );
            let ids: Vec<String> = e.comments().iter().map(id).collect();
            match out.last_mut() {
                Some((last, more)) if p > 0 && i == 0 && *last == g => more.extend(ids),
                _ => out.push((g, ids)),
            }
        }
    }
    out
}
