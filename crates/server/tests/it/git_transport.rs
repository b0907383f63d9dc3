//! Git smart HTTP with the real `git` CLI against the `cloneUrlHttp` the API hands out, plus
//! what pushes do to repository metadata and the ref-change events.

use crate::common::git::Git;
use crate::common::http::request;
use crate::common::*;
use codecommit_local::events::RefChange;
use std::collections::HashSet;
use std::io::Write as _;
use std::sync::Barrier;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::TryRecvError;

/// A server with one empty repository named `name`; returns its clone URL.
async fn server_with_repo(name: &str) -> (TestServer, String) {
    let server = TestServer::start();
    let md = create_repo(&server.client(), name).await;
    let url = md.clone_url_http().unwrap().to_owned();
    (server, url)
}

/// Every event published so far (the publisher has finished when `git push` returns).
fn drain(rx: &mut Receiver<RefChange>) -> Vec<RefChange> {
    let mut out = Vec::new();
    loop {
        match rx.try_recv() {
            Ok(e) => out.push(e),
            Err(TryRecvError::Empty) => return out,
            Err(e) => panic!("event stream: {e}"),
        }
    }
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn cloning_an_empty_repository_warns_and_succeeds() {
    let (_server, url) = server_with_repo("empty").await;
    let git = Git::new();
    let dir = git.root().join("clone");
    let out = git.run(git.root(), &["clone", &url, dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("You appear to have cloned an empty repository"),
        "{stderr}"
    );
    assert!(dir.join(".git").is_dir());
    assert_eq!(git.ok(&dir, &["remote", "get-url", "origin"]), url);

    // The empty clone can push a first commit.
    git.commit_file(&dir, "first.txt", "first", "first");
    git.ok(&dir, &["push", "-q", "origin", "main"]);
    assert!(git.remote_ref(&url, "refs/heads/main").is_some());
}

#[tokio::test]
async fn push_then_clone_back() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let binary: String = (0..=255u8).map(char::from).collect();
    let work = git.push_new(
        &url,
        "work",
        &[
            &[("README.md", "hello\n"), ("src/lib.rs", "pub fn f() {}\n")],
            &[
                ("data.bin", binary.as_str()),
                ("README.md", "hello again\n"),
            ],
        ],
    );
    let head = git.ok(&work, &["rev-parse", "HEAD"]);

    let clone = git.clone(&url, "clone");
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]), head);
    assert_eq!(read(&clone.join("README.md")), "hello again\n");
    assert_eq!(read(&clone.join("src/lib.rs")), "pub fn f() {}\n");
    assert_eq!(
        std::fs::read(clone.join("data.bin")).unwrap(),
        std::fs::read(work.join("data.bin")).unwrap()
    );
    assert_eq!(git.ok(&clone, &["rev-list", "--count", "HEAD"]), "2");
    // The repository checks out clean and whole.
    git.ok(&clone, &["fsck", "--no-progress"]);

    let md = get_repo(&server.client(), "r").await;
    assert_eq!(md.default_branch(), Some("main"));
}

/// Incompressible bytes (xorshift), so a pack really carries them.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

#[tokio::test]
async fn large_files_go_both_ways() {
    let (_server, url) = server_with_repo("big").await;
    let git = Git::new();
    let work = git.init_with_commits("work", &[&[("small", "s")]]);
    let big = noise(12 * 1024 * 1024, 0x9e37_79b9_7f4a_7c15);
    std::fs::write(work.join("big.bin"), &big).unwrap();
    git.ok(&work, &["add", "big.bin"]);
    git.ok(&work, &["commit", "-q", "-m", "big"]);
    git.ok(&work, &["remote", "add", "origin", &url]);
    git.ok(&work, &["push", "-q", "origin", "main"]);

    let clone = git.clone(&url, "clone");
    assert!(std::fs::read(clone.join("big.bin")).unwrap() == big);
}

#[tokio::test]
async fn fetch_and_pull_see_new_commits() {
    let (_server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a.txt", "1")]]);
    let clone = git.clone(&url, "clone");

    let second = git.commit_file(&work, "a.txt", "2", "second");
    git.ok(&work, &["push", "-q", "origin", "main"]);

    git.ok(&clone, &["fetch", "-q", "origin"]);
    assert_eq!(git.ok(&clone, &["rev-parse", "origin/main"]), second);
    assert_eq!(
        read(&clone.join("a.txt")),
        "1",
        "fetch does not touch the tree"
    );

    let third = git.commit_file(&work, "a.txt", "3", "third");
    git.ok(&work, &["push", "-q", "origin", "main"]);
    git.ok(&clone, &["pull", "-q", "--ff-only", "origin", "main"]);
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]), third);
    assert_eq!(read(&clone.join("a.txt")), "3");
}

#[tokio::test]
async fn ls_remote_lists_head_and_branches() {
    let (_server, url) = server_with_repo("r").await;
    let git = Git::new();
    assert!(git.ls_remote(&url).is_empty());
    let work = git.push_new(&url, "work", &[&[("a", "a")]]);
    let main = git.ok(&work, &["rev-parse", "HEAD"]);
    git.ok(&work, &["checkout", "-q", "-b", "feature/x"]);
    let feature = git.commit_file(&work, "b", "b", "feature");
    git.ok(&work, &["push", "-q", "origin", "feature/x"]);

    let mut refs = git.ls_remote(&url);
    refs.sort();
    assert_eq!(
        refs,
        [
            ("HEAD".to_owned(), main.clone()),
            ("refs/heads/feature/x".to_owned(), feature),
            ("refs/heads/main".to_owned(), main),
        ]
    );
    let symref = git.ok(git.root(), &["ls-remote", "--symref", &url, "HEAD"]);
    assert!(
        symref.contains("ref: refs/heads/main\tHEAD"),
        "HEAD should point at main: {symref}"
    );
}

/// Clones with a forced protocol version and returns git's packet trace.
fn clone_with_protocol(git: &Git, url: &str, version: &str, dir: &str) -> String {
    let target = git.root().join(dir);
    let out = git
        .command(git.root())
        .env("GIT_TRACE_PACKET", "1")
        .args(["-c", &format!("protocol.version={version}")])
        .args(["clone", "-q", url, target.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "v{version} clone failed: {stderr}");
    stderr
}

#[tokio::test]
async fn protocol_v0_and_v2_clones_both_work() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a.txt", "a")], &[("b.txt", "b")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);

    let v2 = clone_with_protocol(&git, &url, "2", "v2");
    assert!(v2.contains("git< version 2"), "not a v2 exchange:\n{v2}");
    let v0 = clone_with_protocol(&git, &url, "0", "v0");
    assert!(
        v0.contains("# service=git-upload-pack") && !v0.contains("git< version 2"),
        "not a v0 exchange:\n{v0}"
    );
    for dir in ["v0", "v2"] {
        let clone = git.root().join(dir);
        assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]), head);
        assert_eq!(read(&clone.join("b.txt")), "b");
    }

    // And the raw advertisements: v0 starts with the service line, v2 with its version.
    let path = "/v1/repos/r/info/refs?service=git-upload-pack";
    let plain = request(server.addr, "GET", path, &[], b"");
    assert_eq!(plain.status, 200);
    assert_eq!(
        plain.header("content-type"),
        Some("application/x-git-upload-pack-advertisement")
    );
    assert!(
        plain
            .body
            .starts_with(b"001e# service=git-upload-pack\n0000")
    );
    let v2 = request(
        server.addr,
        "GET",
        path,
        &[("Git-Protocol", "version=2")],
        b"",
    );
    assert_eq!(v2.status, 200);
    assert!(v2.body.starts_with(b"000eversion 2\n"), "{}", v2.text());
}

/// The v2 advertisement is made once and reused (it names no refs): every repository still
/// gets it, unknown repositories are still not found, and a fetch after a push sees the push.
#[tokio::test]
async fn the_v2_advertisement_is_reused_and_fetches_stay_current() {
    let (server, url) = server_with_repo("r").await;
    create_repo(&server.client(), "other").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a.txt", "a")]]);
    let v2 = |repo: &str| {
        request(
            server.addr,
            "GET",
            &format!("/v1/repos/{repo}/info/refs?service=git-upload-pack"),
            &[("Git-Protocol", "version=2")],
            b"",
        )
    };
    let first = v2("r");
    assert_eq!(first.status, 200);
    assert!(
        first.body.starts_with(b"000eversion 2\n"),
        "{}",
        first.text()
    );
    assert!(first.text().contains("ls-refs"), "{}", first.text());
    assert_eq!(v2("r").body, first.body);
    assert_eq!(v2("other").body, first.body);
    let unknown = v2("nope");
    assert!(
        matches!(unknown.status, 401 | 404) && !unknown.body.starts_with(b"000eversion"),
        "{} {}",
        unknown.status,
        unknown.text()
    );
    // v0 still names the refs, so it is never the cached answer.
    let plain = request(
        server.addr,
        "GET",
        "/v1/repos/r/info/refs?service=git-upload-pack",
        &[],
        b"",
    );
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    assert!(plain.text().contains(&head), "{}", plain.text());

    let clone = git.root().join("clone");
    git.ok(
        git.root(),
        &[
            "-c",
            "protocol.version=2",
            "clone",
            "-q",
            &url,
            clone.to_str().unwrap(),
        ],
    );
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]), head);
    std::fs::write(work.join("b.txt"), "b").unwrap();
    git.ok(&work, &["add", "b.txt"]);
    git.ok(&work, &["commit", "-q", "-m", "b"]);
    git.ok(&work, &["push", "-q", "origin", "main"]);
    let new_head = git.ok(&work, &["rev-parse", "HEAD"]);
    git.ok(
        &clone,
        &["-c", "protocol.version=2", "pull", "-q", "--ff-only"],
    );
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]), new_head);
    assert_eq!(read(&clone.join("b.txt")), "b");
}

#[tokio::test]
async fn shallow_clone_then_deepen() {
    let (_server, url) = server_with_repo("r").await;
    let git = Git::new();
    git.push_new(
        &url,
        "work",
        &[
            &[("f", "1")],
            &[("f", "2")],
            &[("f", "3")],
            &[("f", "4")],
            &[("f", "5")],
        ],
    );
    let dir = git.root().join("shallow");
    git.ok(
        git.root(),
        &["clone", "-q", "--depth", "1", &url, dir.to_str().unwrap()],
    );
    assert_eq!(git.ok(&dir, &["rev-list", "--count", "HEAD"]), "1");
    assert_eq!(
        git.ok(&dir, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    assert_eq!(read(&dir.join("f")), "5");

    git.ok(&dir, &["fetch", "-q", "--deepen", "2"]);
    assert_eq!(git.ok(&dir, &["rev-list", "--count", "HEAD"]), "3");

    git.ok(&dir, &["fetch", "-q", "--unshallow"]);
    assert_eq!(git.ok(&dir, &["rev-list", "--count", "HEAD"]), "5");
    assert_eq!(
        git.ok(&dir, &["rev-parse", "--is-shallow-repository"]),
        "false"
    );
}

#[tokio::test]
async fn partial_clone_without_blobs() {
    let (_server, url) = server_with_repo("r").await;
    let git = Git::new();
    git.push_new(
        &url,
        "work",
        &[&[("a.txt", "a"), ("dir/b.txt", "b")], &[("c.txt", "c")]],
    );
    let dir = git.root().join("partial");
    git.ok(
        git.root(),
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            "--no-checkout",
            &url,
            dir.to_str().unwrap(),
        ],
    );
    let missing = |git: &Git| -> usize {
        git.ok(&dir, &["rev-list", "--objects", "--missing=print", "HEAD"])
            .lines()
            .filter(|l| l.starts_with('?'))
            .count()
    };
    // Three blobs (a, b, c), none of them fetched.
    assert_eq!(missing(&git), 3);
    assert_eq!(git.ok(&dir, &["config", "remote.origin.promisor"]), "true");

    // Checking out fetches the blobs it needs on demand.
    git.ok(&dir, &["checkout", "-q", "main"]);
    assert_eq!(read(&dir.join("dir/b.txt")), "b");
    assert_eq!(missing(&git), 0);
}

#[tokio::test]
async fn tags_are_pushed_and_fetched() {
    let (_server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a", "a")]]);
    let commit = git.ok(&work, &["rev-parse", "HEAD"]);
    let clone = git.clone(&url, "clone");

    git.ok(&work, &["tag", "v1"]);
    git.ok(&work, &["tag", "-a", "v2", "-m", "release two"]);
    let v2_tag = git.ok(&work, &["rev-parse", "v2"]);
    git.ok(&work, &["push", "-q", "origin", "--tags"]);

    let mut tags: Vec<(String, String)> = git
        .ok(git.root(), &["ls-remote", "--tags", &url])
        .lines()
        .map(|l| {
            let (id, name) = l.split_once('\t').unwrap();
            (name.to_owned(), id.to_owned())
        })
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("refs/tags/v1".to_owned(), commit.clone()),
            ("refs/tags/v2".to_owned(), v2_tag.clone()),
            ("refs/tags/v2^{}".to_owned(), commit.clone()),
        ]
    );

    git.ok(&clone, &["fetch", "-q", "--tags", "origin"]);
    assert_eq!(git.ok(&clone, &["tag", "-l"]), "v1\nv2");
    assert_eq!(git.ok(&clone, &["rev-parse", "v2"]), v2_tag);
    assert_eq!(
        git.ok(&clone, &["cat-file", "-p", "v2"])
            .lines()
            .last()
            .unwrap(),
        "release two"
    );

    // Deleting a tag by push.
    git.ok(&work, &["push", "-q", "origin", "--delete", "v1"]);
    assert!(git.remote_ref(&url, "refs/tags/v1").is_none());
    assert!(git.remote_ref(&url, "refs/tags/v2").is_some());
}

#[tokio::test]
async fn force_push_rewrites_a_branch() {
    let (_server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("f", "1")], &[("f", "2")]]);
    let old_head = git.ok(&work, &["rev-parse", "HEAD"]);
    git.ok(&work, &["reset", "-q", "--hard", "HEAD~1"]);
    let new_head = git.commit_file(&work, "f", "rewritten", "rewrite");

    let stderr = git.fails(&work, &["push", "origin", "main"]);
    assert!(stderr.contains("rejected"), "{stderr}");
    assert_eq!(
        git.remote_ref(&url, "refs/heads/main").as_deref(),
        Some(old_head.as_str())
    );

    git.ok(&work, &["push", "-q", "--force", "origin", "main"]);
    assert_eq!(
        git.remote_ref(&url, "refs/heads/main").as_deref(),
        Some(new_head.as_str())
    );
    let clone = git.clone(&url, "clone");
    assert_eq!(read(&clone.join("f")), "rewritten");
    let log = git.ok(&clone, &["log", "--format=%H"]);
    assert!(!log.contains(&old_head), "{log}");
}

/// `git push -o ci.skip` (push options, as CI hints) lands like any push; the options are ignored.
#[tokio::test]
async fn push_options_are_accepted() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("f", "1")]]);
    let head = git.commit_file(&work, "f", "2", "second");
    git.ok(
        &work,
        &[
            "push", "-q", "-o", "ci.skip", "-o", "note=x y", "origin", "main", "main:dev",
        ],
    );
    assert_eq!(git.remote_ref(&url, "refs/heads/main"), Some(head.clone()));
    assert_eq!(git.remote_ref(&url, "refs/heads/dev"), Some(head));
    let branches = server
        .client()
        .list_branches()
        .repository_name("r")
        .send()
        .await
        .unwrap();
    assert_eq!(branches.branches(), ["dev", "main"]);
}

#[tokio::test]
async fn non_fast_forward_push_is_rejected() {
    let (_server, url) = server_with_repo("r").await;
    let git = Git::new();
    git.push_new(&url, "a", &[&[("f", "base")]]);
    let b = git.clone(&url, "b");
    let a = git.root().join("a");

    let a_head = git.commit_file(&a, "f", "from a", "a");
    git.ok(&a, &["push", "-q", "origin", "main"]);
    git.commit_file(&b, "g", "from b", "b");
    let stderr = git.fails(&b, &["push", "origin", "main"]);
    assert!(stderr.contains("rejected"), "{stderr}");
    assert_eq!(
        git.remote_ref(&url, "refs/heads/main").as_deref(),
        Some(a_head.as_str())
    );
}

#[tokio::test]
async fn branches_are_deleted_by_push() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.init_with_commits("work", &[&[("a", "a")]]);
    git.ok(&work, &["branch", "dev"]);
    git.ok(&work, &["remote", "add", "origin", &url]);
    git.ok(&work, &["push", "-q", "origin", "main", "dev"]);
    assert!(git.remote_ref(&url, "refs/heads/dev").is_some());

    git.ok(&work, &["push", "-q", "origin", "--delete", "dev"]);
    assert!(git.remote_ref(&url, "refs/heads/dev").is_none());
    assert!(git.remote_ref(&url, "refs/heads/main").is_some());
    assert_eq!(
        get_repo(&server.client(), "r").await.default_branch(),
        Some("main")
    );
}

#[tokio::test]
async fn deleting_the_default_branch_by_push_is_refused() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.init_with_commits("work", &[&[("a", "a")]]);
    let main = git.ok(&work, &["rev-parse", "HEAD"]);
    git.ok(&work, &["branch", "dev"]);
    git.ok(&work, &["remote", "add", "origin", &url]);
    git.ok(&work, &["push", "-q", "origin", "main", "dev"]);
    let mut rx = server.state.events.subscribe();

    let stderr = git.fails(&work, &["push", "origin", "--delete", "main"]);
    assert!(stderr.contains("[remote rejected] main"), "{stderr}");
    assert_eq!(
        git.remote_ref(&url, "refs/heads/main").as_deref(),
        Some(main.as_str())
    );
    assert_eq!(
        get_repo(&server.client(), "r").await.default_branch(),
        Some("main")
    );
    assert!(drain(&mut rx).is_empty());

    // Once another branch is the default, the old one can go.
    server
        .client()
        .update_default_branch()
        .repository_name("r")
        .default_branch_name("dev")
        .send()
        .await
        .unwrap();
    git.ok(&work, &["push", "-q", "origin", "--delete", "main"]);
    assert!(git.remote_ref(&url, "refs/heads/main").is_none());
}

#[tokio::test]
async fn pushed_branch_names_follow_the_api_rules() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a", "a")]]);
    // Exactly 40 hex digits, or more than 256 characters: names the API refuses
    // (InvalidBranchNameException) are refused by a push too, and nothing moves.
    let hex40 = "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd";
    let long = format!("{}y", "x/".repeat(128));
    assert_eq!(long.len(), 257);
    for name in [hex40, long.as_str()] {
        let stderr = git.fails(
            &work,
            &["push", "origin", &format!("HEAD:refs/heads/{name}")],
        );
        assert!(stderr.contains("[remote rejected]"), "{stderr}");
        assert!(
            git.remote_ref(&url, &format!("refs/heads/{name}"))
                .is_none()
        );
    }
    // One digit short, or 256 characters, are branch names like any other.
    let hex39 = &hex40[..39];
    let at_limit = format!("{}yz", "x/".repeat(127));
    assert_eq!(at_limit.len(), 256);
    for name in [hex39, at_limit.as_str()] {
        git.ok(
            &work,
            &["push", "-q", "origin", &format!("HEAD:refs/heads/{name}")],
        );
        let got = server
            .client()
            .get_branch()
            .repository_name("r")
            .branch_name(name)
            .send()
            .await
            .unwrap();
        assert_eq!(got.branch().and_then(|b| b.branch_name()), Some(name));
    }
}

#[tokio::test]
async fn refusing_to_delete_the_default_branch_says_why() {
    let (_server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a", "a")]]);
    let stderr = git.fails(&work, &["push", "origin", "--delete", "main"]);
    assert!(stderr.contains("default branch"), "{stderr}");
    assert!(!stderr.contains("receive.denyDeleteCurrent"), "{stderr}");
}

#[tokio::test]
async fn the_first_pushed_branch_becomes_the_default() {
    let (server, url) = server_with_repo("r").await;
    let client = server.client();
    assert!(get_repo(&client, "r").await.default_branch().is_none());
    let git = Git::new();
    let work = git.init_with_commits("work", &[&[("t", "trunk")]]);
    git.ok(&work, &["branch", "-m", "trunk"]);
    git.ok(&work, &["remote", "add", "origin", &url]);
    git.ok(&work, &["push", "-q", "origin", "trunk"]);

    // Visible as soon as the push returns.
    assert_eq!(get_repo(&client, "r").await.default_branch(), Some("trunk"));
    let clone = git.clone(&url, "clone");
    assert_eq!(
        git.ok(&clone, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "trunk"
    );
    assert_eq!(read(&clone.join("t")), "trunk");

    // A later branch does not take over.
    git.ok(&work, &["push", "-q", "origin", "trunk:main"]);
    assert_eq!(get_repo(&client, "r").await.default_branch(), Some("trunk"));
}

#[tokio::test]
async fn a_first_push_of_only_tags_sets_no_default_branch() {
    let (server, url) = server_with_repo("r").await;
    let client = server.client();
    let git = Git::new();
    let work = git.init_with_commits("work", &[&[("a", "a")]]);
    git.ok(&work, &["tag", "v1"]);
    git.ok(&work, &["remote", "add", "origin", &url]);
    git.ok(&work, &["push", "-q", "origin", "v1"]);
    assert!(git.remote_ref(&url, "refs/tags/v1").is_some());
    assert!(get_repo(&client, "r").await.default_branch().is_none());

    // The first branch that arrives later is the default.
    git.ok(&work, &["push", "-q", "origin", "main:dev"]);
    assert_eq!(get_repo(&client, "r").await.default_branch(), Some("dev"));
    let clone = git.clone(&url, "clone");
    assert_eq!(
        git.ok(&clone, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "dev"
    );
}

#[tokio::test]
async fn unknown_repositories_are_not_found() {
    let server = TestServer::start();
    let git = Git::new();
    let work = git.init_with_commits("work", &[&[("a", "a")]]);
    let url = server.clone_url("nope");
    let stderr = git.fails(&work, &["push", &url, "main"]);
    assert!(stderr.contains("not found"), "{stderr}");
    let stderr = git.fails(git.root(), &["clone", &url, "x"]);
    assert!(stderr.contains("not found"), "{stderr}");
    // Nothing was created by the attempt.
    assert!(list_names(&server.client()).await.is_empty());
}

#[tokio::test]
async fn gzip_request_bodies_are_accepted() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a", "gzip me")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);

    let raw = format!("0032want {head}\n00000009done\n");
    assert_eq!(&raw[..4], "0032");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(raw.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();

    let r = request(
        server.addr,
        "POST",
        "/v1/repos/r/git-upload-pack",
        &[
            ("Content-Type", "application/x-git-upload-pack-request"),
            ("Content-Encoding", "gzip"),
        ],
        &gz,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/x-git-upload-pack-result")
    );
    assert!(r.body.starts_with(b"0008NAK\n"), "{:?}", r.text());
    assert!(
        r.body.windows(4).any(|w| w == b"PACK"),
        "no pack in the answer"
    );

    // The same request uncompressed gets the same answer.
    let plain = request(
        server.addr,
        "POST",
        "/v1/repos/r/git-upload-pack",
        &[("Content-Type", "application/x-git-upload-pack-request")],
        raw.as_bytes(),
    );
    assert_eq!(plain.status, 200);
    assert_eq!(plain.body, r.body);
}

#[tokio::test]
async fn a_push_yields_one_event_per_ref_it_moved() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.init_with_commits("work", &[&[("a", "a")]]);
    let base = git.ok(&work, &["rev-parse", "HEAD"]);
    git.ok(&work, &["branch", "dev"]);
    git.ok(&work, &["branch", "old"]);
    git.ok(&work, &["remote", "add", "origin", &url]);
    let mut rx = server.state.events.subscribe();
    git.ok(&work, &["push", "-q", "origin", "main", "dev", "old"]);
    let first = drain(&mut rx);
    assert_eq!(first.len(), 3, "{first:?}");
    assert!(
        first
            .iter()
            .all(|e| e.old.is_none() && e.new.as_deref() == Some(&base))
    );

    // One push: create `new`, update `dev`, delete `old`.
    git.ok(&work, &["checkout", "-q", "dev"]);
    let dev = git.commit_file(&work, "d", "d", "dev moves");
    git.ok(&work, &["checkout", "-q", "-b", "new"]);
    let new = git.commit_file(&work, "n", "n", "new branch");
    git.ok(&work, &["push", "-q", "origin", "new", "dev", ":old"]);

    let md = get_repo(&server.client(), "r").await;
    let mut events = drain(&mut rx);
    events.sort_by(|a, b| a.ref_name.cmp(&b.ref_name));
    let summary: Vec<(&str, Option<&str>, Option<&str>)> = events
        .iter()
        .map(|e| (e.ref_name.as_str(), e.old.as_deref(), e.new.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("refs/heads/dev", Some(base.as_str()), Some(dev.as_str())),
            ("refs/heads/new", None, Some(new.as_str())),
            ("refs/heads/old", Some(base.as_str()), None),
        ]
    );
    let zero = "0".repeat(40);
    for e in &events {
        assert_eq!(e.account, DEFAULT_ACCOUNT);
        assert_eq!(e.region, DEFAULT_REGION);
        assert_eq!(Some(e.repository_id.as_str()), md.repository_id());
        assert_eq!(e.repository_name, "r");
        assert_ne!(e.old.as_deref(), Some(zero.as_str()));
        assert_ne!(e.new.as_deref(), Some(zero.as_str()));
    }
    assert_eq!(events[0].kind(), "updated");
    assert_eq!(events[1].kind(), "created");
    assert_eq!(events[2].kind(), "deleted");

    // A push that changes nothing yields nothing.
    let out = git.run(&work, &["push", "origin", "new", "dev", "main"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Everything up-to-date"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(drain(&mut rx).is_empty());
    // Nor do fetches and clones.
    git.clone(&url, "clone");
    assert!(drain(&mut rx).is_empty());
}

#[tokio::test]
async fn tag_pushes_are_events_too() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a", "a")]]);
    let mut rx = server.state.events.subscribe();
    git.ok(&work, &["tag", "-a", "v1", "-m", "v1"]);
    let tag = git.ok(&work, &["rev-parse", "v1"]);
    git.ok(&work, &["push", "-q", "origin", "v1"]);
    let events = drain(&mut rx);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].ref_name, "refs/tags/v1");
    assert_eq!(events[0].old, None);
    assert_eq!(events[0].new.as_deref(), Some(tag.as_str()));
}

/// A pkt-line.
fn pkt(data: &str) -> String {
    format!("{:04x}{data}", data.len() + 4)
}

/// A hand-made receive-pack request creating `refs` at `id`, as `git send-pack` would send it
/// (the objects are on the server already, so the pack is empty). Made by hand because the git
/// client itself needs seconds of CPU to match thousands of refspecs.
fn create_refs_request(git: &Git, repo: &std::path::Path, refs: &[String], id: &str) -> Vec<u8> {
    let zero = "0".repeat(40);
    let mut body = String::new();
    for (i, name) in refs.iter().enumerate() {
        let caps = if i == 0 {
            "\0report-status side-band-64k"
        } else {
            ""
        };
        body.push_str(&pkt(&format!("{zero} {id} {name}{caps}\n")));
    }
    body.push_str("0000");
    let pack = git
        .command(repo)
        .args(["pack-objects", "--stdout", "-q"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(pack.status.success());
    assert!(pack.stdout.starts_with(b"PACK"));
    let mut bytes = body.into_bytes();
    bytes.extend_from_slice(&pack.stdout);
    bytes
}

fn post_receive_pack(server: &TestServer, name: &str, body: &[u8]) -> String {
    let r = request(
        server.addr,
        "POST",
        &format!("/v1/repos/{name}/git-receive-pack"),
        &[("Content-Type", "application/x-git-receive-pack-request")],
        body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

#[tokio::test]
async fn a_push_may_change_at_most_4000_refs() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a", "a")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    let mut rx = server.state.events.subscribe();

    let refs: Vec<String> = (0..4001).map(|i| format!("refs/tags/t{i:04}")).collect();
    let answer = post_receive_pack(
        &server,
        "r",
        &create_refs_request(&git, &work, &refs, &head),
    );
    assert!(answer.contains("at most 4000"), "{answer}");
    assert!(answer.contains("ng refs/tags/t0000"), "{answer}");
    assert!(!answer.contains("ok refs/"), "{answer}");
    assert_eq!(git.ok(git.root(), &["ls-remote", "--tags", &url]), "");
    assert!(drain(&mut rx).is_empty());

    // Well under the limit, the same request shape is applied whole.
    let answer = post_receive_pack(
        &server,
        "r",
        &create_refs_request(&git, &work, &refs[..50], &head),
    );
    assert!(answer.contains("unpack ok"), "{answer}");
    assert!(!answer.contains("ng refs/"), "{answer}");
    let tags = git.ok(git.root(), &["ls-remote", "--tags", &url]);
    assert_eq!(tags.lines().count(), 50);
    assert_eq!(drain(&mut rx).len(), 50);
}

#[tokio::test]
async fn exactly_4000_refs_are_accepted() {
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a", "a")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    let mut rx = server.state.events.subscribe();
    let refs: Vec<String> = (0..4000).map(|i| format!("refs/tags/t{i:04}")).collect();
    let answer = post_receive_pack(
        &server,
        "r",
        &create_refs_request(&git, &work, &refs, &head),
    );
    assert!(answer.contains("unpack ok"), "{answer}");
    assert!(!answer.contains("ng refs/"), "{answer}");
    let tags = git.ok(git.root(), &["ls-remote", "--tags", &url]);
    assert_eq!(tags.lines().count(), 4000);
    assert_eq!(drain(&mut rx).len(), 4000);
}

#[tokio::test]
async fn last_modified_date_moves_with_pushes() {
    let (server, url) = server_with_repo("r").await;
    let client = server.client();
    let created = get_repo(&client, "r").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a", "1")]]);
    let first = get_repo(&client, "r").await;
    assert!(
        secs(first.last_modified_date()) > secs(created.last_modified_date()),
        "{:?} -> {:?}",
        created.last_modified_date(),
        first.last_modified_date()
    );
    assert_eq!(first.creation_date(), created.creation_date());

    git.commit_file(&work, "a", "2", "second");
    git.ok(&work, &["push", "-q", "origin", "main"]);
    let second = get_repo(&client, "r").await;
    assert!(secs(second.last_modified_date()) > secs(first.last_modified_date()));

    // A push that changes nothing leaves it alone.
    git.ok(&work, &["push", "-q", "origin", "main"]);
    let third = get_repo(&client, "r").await;
    assert_eq!(third.last_modified_date(), second.last_modified_date());
}

#[tokio::test]
async fn concurrent_pushes_to_different_branches_all_land() {
    const N: usize = 8;
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    git.push_new(&url, "base", &[&[("base", "base")]]);
    let mut rx = server.state.events.subscribe();

    // Independent histories, prepared up front so the pushes overlap as much as possible.
    let mut work = Vec::new();
    for i in 0..N {
        let content = format!("branch {i}");
        let dir = git.init_with_commits(&format!("w{i}"), &[&[("f", content.as_str())]]);
        let head = git.ok(&dir, &["rev-parse", "HEAD"]);
        work.push((dir, head));
    }
    let barrier = Barrier::new(N);
    std::thread::scope(|s| {
        for (i, (dir, _)) in work.iter().enumerate() {
            let (git, url, barrier) = (&git, &url, &barrier);
            s.spawn(move || {
                barrier.wait();
                git.ok(dir, &["push", "-q", url, &format!("main:refs/heads/b{i}")]);
            });
        }
    });

    let refs = git.ls_remote(&url);
    for (i, (_, head)) in work.iter().enumerate() {
        let name = format!("refs/heads/b{i}");
        let found = refs.iter().find(|(n, _)| *n == name).map(|(_, id)| id);
        assert_eq!(found, Some(head), "{name}");
    }
    let events = drain(&mut rx);
    assert_eq!(events.len(), N, "{events:?}");
    let names: HashSet<&str> = events.iter().map(|e| e.ref_name.as_str()).collect();
    assert_eq!(names.len(), N);
    assert_eq!(
        get_repo(&server.client(), "r").await.default_branch(),
        Some("main")
    );
}

#[tokio::test]
async fn racing_pushes_to_one_branch_have_one_winner() {
    const N: usize = 6;
    let (server, url) = server_with_repo("r").await;
    let git = Git::new();
    let base_dir = git.push_new(&url, "base", &[&[("f", "base")]]);
    let base = git.ok(&base_dir, &["rev-parse", "HEAD"]);

    let mut clones = Vec::new();
    for i in 0..N {
        let dir = git.clone(&url, &format!("c{i}"));
        let head = git.commit_file(&dir, "f", &format!("contender {i}"), &format!("c{i}"));
        clones.push((dir, head));
    }
    let mut rx = server.state.events.subscribe();
    let barrier = Barrier::new(N);
    let results: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = clones
            .iter()
            .map(|(dir, _)| {
                let (git, barrier) = (&git, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    git.run(dir, &["push", "-q", "origin", "main"])
                        .status
                        .success()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let winners: Vec<usize> = (0..N).filter(|i| results[*i]).collect();
    assert_eq!(winners.len(), 1, "pushes that succeeded: {winners:?}");
    let winner = &clones[winners[0]].1;
    assert_eq!(
        git.remote_ref(&url, "refs/heads/main").as_ref(),
        Some(winner)
    );
    let events = drain(&mut rx);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].ref_name, "refs/heads/main");
    assert_eq!(events[0].old.as_deref(), Some(base.as_str()));
    assert_eq!(events[0].new.as_ref(), Some(winner));

    let clone = git.clone(&url, "after");
    assert_eq!(read(&clone.join("f")), format!("contender {}", winners[0]));
}
