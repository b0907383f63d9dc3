//! Background repository maintenance: what a run leaves on disk (multi-pack index, bitmap,
//! commit-graph with Bloom filters, no loose objects), what it must keep (unreferenced merge
//! commits, objects no ref reaches), that pushes, fetches and API writes racing it never fail
//! or lose data, and that ListFileCommitHistory answers the same with and without the graph.

use crate::common::git::Git;
use crate::common::*;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::primitives::Blob;
use aws_sdk_codecommit::types::MergeOptionTypeEnum;
use codecommit_local::git::commitgraph::CommitGraph;
use codecommit_local::git::maintenance::{MaintenanceConfig, Report};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Maintenance after every change: any new data crosses the thresholds.
fn eager() -> MaintenanceConfig {
    MaintenanceConfig {
        enabled: true,
        loose_objects: 1,
        packs: 1,
        pack_bytes: 1,
        jobs: 1,
        threads: 1,
    }
}

fn off() -> MaintenanceConfig {
    MaintenanceConfig {
        enabled: false,
        ..MaintenanceConfig::default()
    }
}

fn git_in(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn loose_objects(repo: &Path) -> usize {
    (0..=255u8)
        .filter_map(|i| std::fs::read_dir(repo.join(format!("objects/{i:02x}"))).ok())
        .map(|d| d.count())
        .sum()
}

fn pack_files(repo: &Path, suffix: &str) -> usize {
    std::fs::read_dir(repo.join("objects/pack"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
        .count()
}

fn repo_dir(server: &TestServer, id: &str) -> PathBuf {
    server.state.git.path(id)
}

/// The next background report about repository `id` that ran the commands.
async fn next_run(rx: &mut tokio::sync::broadcast::Receiver<Report>, id: &str) -> Report {
    loop {
        let r = rx.recv().await.expect("maintenance reports");
        if r.repository_id == id && r.ran {
            return r;
        }
    }
}

/// A fast-import stream of a history with merges, a rename and a non-ASCII path: `commits`
/// commits on main, a two-commit side branch merged every tenth commit.
fn history_stream(commits: usize) -> Vec<u8> {
    let mut s = Vec::new();
    let mut mark = 0;
    let blob = |s: &mut Vec<u8>, path: &str, content: &str| {
        writeln!(
            s,
            "M 100644 inline {path}\ndata {}\n{content}",
            content.len()
        )
        .unwrap();
    };
    let files = [
        "src/a.txt",
        "src/b/ü.txt",
        "docs/readme.md",
        "deep/x/y/z.txt",
        "filler/f1.txt",
        "filler/f2.txt",
        "filler/f3.txt",
        "filler/f4.txt",
        "filler/f5.txt",
        "filler/f6.txt",
        "filler/f7.txt",
    ];
    let mut main_tip = 0;
    for i in 0..commits {
        // A side branch from the current tip, merged back below.
        let side = if i % 10 == 9 && main_tip != 0 {
            let mut tip = main_tip;
            for k in 0..2 {
                mark += 1;
                writeln!(
                    s,
                    "commit refs/heads/side\nmark :{mark}\ncommitter S <s@example.com> {} +0000\ndata 4\nside\nfrom :{tip}",
                    1_600_000_000 + i * 100 + k
                )
                .unwrap();
                blob(&mut s, "docs/readme.md", &format!("side {i} {k}\n"));
                tip = mark;
            }
            Some(tip)
        } else {
            None
        };
        mark += 1;
        writeln!(
            s,
            "commit refs/heads/main\nmark :{mark}\ncommitter M <m@example.com> {} +0000\ndata 7\nmain {:02}",
            1_600_000_000 + i * 100 + 50,
            i % 100
        )
        .unwrap();
        if main_tip != 0 {
            writeln!(s, "from :{main_tip}").unwrap();
        }
        if let Some(t) = side {
            writeln!(s, "merge :{t}").unwrap();
        }
        if i == 0 {
            for f in files {
                blob(&mut s, f, &format!("{f} v0\n"));
            }
        } else if i == commits / 2 {
            writeln!(s, "R src/a.txt src/renamed.txt").unwrap();
        } else {
            let f = files[(i * 7) % files.len()];
            let f = if f == "src/a.txt" && i > commits / 2 {
                "src/renamed.txt"
            } else {
                f
            };
            blob(&mut s, f, &format!("{f} v{i}\n"));
            if i % 3 == 0 {
                blob(&mut s, "src/b/ü.txt", &format!("ü v{i}\n"));
            }
        }
        main_tip = mark;
    }
    s
}

/// A bare repository made from [`history_stream`].
fn history_repo(git: &Git, commits: usize) -> PathBuf {
    let dir = git.dir("history.git");
    git.ok(&dir, &["init", "-q", "--bare"]);
    let mut child = git
        .command(&dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&history_stream(commits))
        .unwrap();
    assert!(child.wait().unwrap().success());
    dir
}

type Dag = Vec<(String, String, String, Vec<String>)>;

/// Every page of ListFileCommitHistory for `path` at main.
async fn history(client: &Client, repo: &str, path: &str) -> Dag {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_file_commit_history()
            .repository_name(repo)
            .file_path(path)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListFileCommitHistory {path}: {e:?}"));
        for v in page.revision_dag() {
            out.push((
                v.commit().unwrap().commit_id().unwrap().to_owned(),
                v.blob_id().unwrap().to_owned(),
                v.path().unwrap().to_owned(),
                v.revision_children().to_vec(),
            ));
        }
        match page.next_token {
            Some(t) => token = Some(t),
            None => return out,
        }
    }
}

const PATHS: [&str; 5] = [
    "src/b/ü.txt",
    "docs/readme.md",
    "deep/x/y/z.txt",
    "src/renamed.txt",
    "filler/f7.txt",
];

#[tokio::test]
async fn a_push_is_maintained_in_the_background() {
    let server = TestServer::start_with(|c| c.maintenance = eager());
    let client = server.client();
    let md = create_repo(&client, "kept").await;
    let id = md.repository_id().unwrap().to_owned();
    let mut reports = server.state.maintenance.subscribe();
    let git = Git::new();
    let source = history_repo(&git, 120);
    let url = md.clone_url_http().unwrap();
    git.ok(&source, &["push", "-q", url, "main", "side"]);
    let report = next_run(&mut reports, &id).await;
    assert_eq!(report.error, None);

    let repo = repo_dir(&server, &id);
    assert!(repo.join("objects/pack/multi-pack-index").is_file());
    assert_eq!(pack_files(&repo, ".bitmap"), 1, "a multi-pack bitmap");
    assert!(repo.join("objects/info/commit-graph").is_file());
    let graph = CommitGraph::open(&repo).expect("a commit-graph this reader understands");
    assert!(graph.has_bloom_filters());
    let commits = git_in(&repo, &["rev-list", "--all"]).lines().count();
    assert_eq!(graph.len() as usize, commits);
    assert_eq!(loose_objects(&repo), 0);
    let pending = server.state.maintenance.pending(&id).unwrap();
    assert_eq!((pending.loose_objects, pending.packs), (0, 0));
    git_in(&repo, &["fsck", "--no-progress", "--no-dangling"]);

    // API commits leave loose objects; the next run packs them into the index.
    let main = git_in(&repo, &["rev-parse", "main"]).trim().to_owned();
    client
        .put_file()
        .repository_name("kept")
        .branch_name("main")
        .parent_commit_id(&main)
        .file_path("new/file.txt")
        .file_content(Blob::new("hello"))
        .send()
        .await
        .unwrap();
    next_run(&mut reports, &id).await;
    assert_eq!(loose_objects(&repo), 0);
    assert_eq!(server.state.maintenance.pending(&id).unwrap().packs, 0);

    // A clone through the server gets everything.
    let clone = git.clone(url, "clone");
    git.ok(&clone, &["fsck", "--no-progress"]);
    assert_eq!(
        git.ok(&clone, &["rev-list", "--count", "origin/main"]),
        git_in(&repo, &["rev-list", "--count", "main"]).trim()
    );
}

#[tokio::test]
async fn unreferenced_merge_commits_and_unreachable_objects_survive() {
    let server = TestServer::start_with(|c| c.maintenance = off());
    let client = server.client();
    let md = create_repo(&client, "merges").await;
    let id = md.repository_id().unwrap().to_owned();
    let git = Git::new();
    let url = md.clone_url_http().unwrap();
    let work = git.push_new(url, "work", &[&[("a.txt", "a\n")]]);
    git.ok(&work, &["checkout", "-q", "-b", "feature"]);
    git.commit_file(&work, "b.txt", "b\n", "feature");
    git.ok(&work, &["checkout", "-q", "main"]);
    git.commit_file(&work, "c.txt", "c\n", "main moves");
    git.ok(&work, &["push", "-q", "origin", "main", "feature"]);

    let merge = client
        .create_unreferenced_merge_commit()
        .repository_name("merges")
        .source_commit_specifier("feature")
        .destination_commit_specifier("main")
        .merge_option(MergeOptionTypeEnum::ThreeWayMerge)
        .send()
        .await
        .unwrap()
        .commit_id
        .unwrap();
    let repo = repo_dir(&server, &id);
    // An object nothing reaches (as a write that lost its race leaves behind).
    let orphan = {
        let mut child = Command::new("git")
            .arg("--git-dir")
            .arg(&repo)
            .args(["hash-object", "-w", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"orphan\n").unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert!(loose_objects(&repo) > 0);

    for round in 0..2 {
        let report = server.state.maintenance.run_now(&id);
        assert!(report.ran, "round {round}: {report:?}");
        assert_eq!(report.error, None);
        assert_eq!(loose_objects(&repo), 0);
        let merged = client
            .get_commit()
            .repository_name("merges")
            .commit_id(&merge)
            .send()
            .await
            .unwrap();
        assert_eq!(merged.commit().unwrap().parents().len(), 2);
        git_in(&repo, &["cat-file", "-e", &orphan]);
        // Something new for the second round.
        git.commit_file(&work, "d.txt", &format!("{round}\n"), "more");
        git.ok(&work, &["push", "-q", "origin", "main"]);
    }
    git_in(&repo, &["fsck", "--no-progress", "--no-dangling"]);
    // The merge commit is still not advertised.
    assert!(!git.ls_remote(url).iter().any(|(_, id)| *id == merge));
}

#[tokio::test]
async fn startup_maintains_repositories_that_need_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let id = {
        let d = data.clone();
        let server = TestServer::start_with(|c| {
            c.data_dir = d;
            c.maintenance = off();
        });
        let md = create_repo(&server.client(), "old").await;
        let git = Git::new();
        let source = history_repo(&git, 30);
        git.ok(
            &source,
            &["push", "-q", md.clone_url_http().unwrap(), "main"],
        );
        md.repository_id().unwrap().to_owned()
    };
    let server = TestServer::start_with(|c| {
        c.data_dir = data.clone();
        c.maintenance = eager();
    });
    let mut reports = server.state.maintenance.subscribe();
    let repo = repo_dir(&server, &id);
    if !repo.join("objects/info/commit-graph").is_file() {
        next_run(&mut reports, &id).await;
    }
    assert!(repo.join("objects/info/commit-graph").is_file());
    assert!(repo.join("objects/pack/multi-pack-index").is_file());
}

/// The changed-path filters git writes (both hash versions, non-ASCII paths included) never
/// rule out a path a commit changed, and do rule out most that it did not.
#[test]
fn bloom_filters_agree_with_git() {
    let git = Git::new();
    let repo = history_repo(&git, 80);
    for version in ["1", "2"] {
        git_in(
            &repo,
            &[
                "-c",
                &format!("commitGraph.changedPathsVersion={version}"),
                "commit-graph",
                "write",
                "--reachable",
                "--changed-paths",
            ],
        );
        let graph = CommitGraph::open(&repo).unwrap();
        assert!(graph.has_bloom_filters());
        let mut ruled_out = 0;
        let mut checks = 0;
        for line in git_in(&repo, &["rev-list", "--all", "--parents"]).lines() {
            let ids: Vec<&str> = line.split(' ').collect();
            if ids.len() < 2 {
                continue;
            }
            let changed = git_in(
                &repo,
                &["diff-tree", "-r", "--name-only", "-z", ids[1], ids[0]],
            );
            let changed: Vec<&str> = changed.split('\0').filter(|p| !p.is_empty()).collect();
            let pos = graph.lookup(&gix::ObjectId::from_hex(ids[0].as_bytes()).unwrap());
            let pos = pos.unwrap();
            for path in PATHS.iter().chain(["filler/f1.txt", "src/a.txt"].iter()) {
                let keys = graph.keys(path).unwrap();
                let unchanged = graph.unchanged(pos, &keys);
                if changed.contains(path) {
                    assert!(!unchanged, "v{version}: {path} changed in {}", ids[0]);
                } else {
                    checks += 1;
                    ruled_out += usize::from(unchanged);
                }
            }
        }
        assert!(
            ruled_out * 10 >= checks * 9,
            "v{version}: only {ruled_out} of {checks} unchanged paths ruled out"
        );
    }
}

#[tokio::test]
async fn history_is_the_same_with_and_without_the_commit_graph() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let start = |maintenance: MaintenanceConfig| {
        let d = data.clone();
        TestServer::start_with(move |c| {
            c.data_dir = d;
            c.maintenance = maintenance;
        })
    };
    let git = Git::new();
    let source = history_repo(&git, 160);
    let (id, before) = {
        let server = start(off());
        let client = server.client();
        let md = create_repo(&client, "hist").await;
        git.ok(
            &source,
            &["push", "-q", md.clone_url_http().unwrap(), "main", "side"],
        );
        let mut before = Vec::new();
        for p in PATHS {
            before.push(history(&client, "hist", p).await);
        }
        (md.repository_id().unwrap().to_owned(), before)
    };
    assert!(before.iter().all(|d| d.len() > 3), "{before:?}");
    for version in ["2", "1"] {
        // A fresh server (no remembered walks) over the maintained repository.
        let server = start(off());
        let repo = repo_dir(&server, &id);
        if version == "2" {
            assert!(server.state.maintenance.run_now(&id).ran);
        } else {
            git_in(
                &repo,
                &[
                    "-c",
                    "commitGraph.changedPathsVersion=1",
                    "commit-graph",
                    "write",
                    "--reachable",
                    "--changed-paths",
                ],
            );
        }
        assert!(CommitGraph::open(&repo).unwrap().has_bloom_filters());
        let client = server.client();
        for (p, expected) in PATHS.iter().zip(&before) {
            assert_eq!(
                &history(&client, "hist", p).await,
                expected,
                "v{version} {p}"
            );
        }
    }
}

/// Pushes, fetches, API writes and API reads while maintenance runs over and over on the same
/// repository: none fails, nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pushes_fetches_and_api_writes_race_maintenance() {
    let server = TestServer::start_with(|c| c.maintenance = eager());
    let client = server.client();
    let md = create_repo(&client, "race").await;
    let id = md.repository_id().unwrap().to_owned();
    let url = md.clone_url_http().unwrap().to_owned();
    let git = std::sync::Arc::new(Git::new());
    let source = history_repo(&git, 60);
    git.ok(&source, &["push", "-q", &url, "main"]);
    let first = git_in(&source, &["rev-parse", "main"]).trim().to_owned();
    let older = git_in(&source, &["rev-parse", "main~20"]).trim().to_owned();
    const ROUNDS: usize = 12;

    let state = server.state.clone();
    let maintainer = {
        let id = id.clone();
        tokio::task::spawn_blocking(move || {
            for _ in 0..ROUNDS * 2 {
                let r = state.maintenance.run_now(&id);
                assert_eq!(r.error, None);
            }
        })
    };
    let pusher = {
        let (git, url) = (git.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            let work = Git::clone(&git, &url, "pusher");
            git.ok(&work, &["checkout", "-q", "-b", "pushed"]);
            let mut tips = Vec::new();
            for i in 0..ROUNDS {
                // Enough objects for a pack now and then, a few loose ones otherwise.
                for k in 0..(if i % 3 == 0 { 120 } else { 3 }) {
                    std::fs::write(work.join(format!("p{k}.txt")), format!("{i} {k}\n")).unwrap();
                }
                git.ok(&work, &["add", "-A"]);
                git.ok(&work, &["commit", "-q", "-m", &format!("push {i}")]);
                git.ok(&work, &["push", "-q", "origin", "pushed"]);
                tips.push(git.ok(&work, &["rev-parse", "HEAD"]));
            }
            tips
        })
    };
    let fetcher = {
        let (git, url) = (git.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            let work = Git::clone(&git, &url, "fetcher");
            for _ in 0..ROUNDS {
                git.ok(&work, &["fetch", "-q", "origin"]);
                git.ok(&work, &["fsck", "--no-progress", "--connectivity-only"]);
                let bare = git.root().join("fresh.git");
                let _ = std::fs::remove_dir_all(&bare);
                git.ok(
                    git.root(),
                    &["clone", "-q", "--bare", &url, bare.to_str().unwrap()],
                );
            }
        })
    };
    let writer = {
        let client = client.clone();
        let first = first.clone();
        tokio::spawn(async move {
            client
                .create_branch()
                .repository_name("race")
                .branch_name("api")
                .commit_id(&first)
                .send()
                .await
                .unwrap();
            let mut parent = first;
            let mut commits = Vec::new();
            for i in 0..ROUNDS * 2 {
                let out = client
                    .put_file()
                    .repository_name("race")
                    .branch_name("api")
                    .parent_commit_id(&parent)
                    .file_path(format!("api/{}/file{i}.txt", i % 4))
                    .file_content(Blob::new(format!("api {i}\n")))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("PutFile {i}: {e:?}"));
                parent = out.commit_id;
                commits.push(parent.clone());
            }
            commits
        })
    };
    let reader = {
        let client = client.clone();
        let first = first.clone();
        tokio::spawn(async move {
            for _ in 0..ROUNDS * 4 {
                client
                    .get_file()
                    .repository_name("race")
                    .commit_specifier(&first)
                    .file_path("deep/x/y/z.txt")
                    .send()
                    .await
                    .unwrap();
                client
                    .get_differences()
                    .repository_name("race")
                    .before_commit_specifier(&older)
                    .after_commit_specifier(&first)
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    maintainer.await.unwrap();
    let pushed = pusher.await.unwrap();
    fetcher.await.unwrap();
    let written = writer.await.unwrap();
    reader.await.unwrap();

    let repo = repo_dir(&server, &id);
    server.state.maintenance.run_now(&id);
    git_in(&repo, &["fsck", "--no-progress", "--no-dangling"]);
    assert_eq!(
        git_in(&repo, &["rev-parse", "pushed"]).trim(),
        pushed.last().unwrap()
    );
    assert_eq!(
        git_in(&repo, &["rev-parse", "api"]).trim(),
        written.last().unwrap()
    );
    let api_chain = git_in(&repo, &["rev-list", &format!("{first}..api")]);
    assert_eq!(api_chain.lines().count(), written.len());
    for c in pushed.iter().chain(&written) {
        git_in(&repo, &["cat-file", "-e", c]);
    }
}

/// Every push stores a pack. gix sizes a handle's table of pack indices when it opens the
/// repository and then fails every object read once more indices are on disk than it has
/// room for ("too few index slots"): without maintenance, API calls failed with
/// InternalFailure after some thirty pushes. Hundreds of packs are made here directly (as
/// hundreds of pushes would), then a real push and API calls that read what it brought.
#[tokio::test]
async fn packs_piling_up_without_maintenance_never_break_api_reads() {
    let server = TestServer::start_with(|c| c.maintenance = off());
    let client = server.client();
    let md = create_repo(&client, "piles").await;
    let id = md.repository_id().unwrap().to_owned();
    let url = md.clone_url_http().unwrap();
    let git = Git::new();
    let work = git.push_new(url, "w", &[&[("a.txt", "1")]]);
    // The server opens the repository (and sizes its handle) while it has one pack.
    let first = client
        .get_branch()
        .repository_name("piles")
        .branch_name("main")
        .send()
        .await
        .unwrap();
    let first = first.branch().unwrap().commit_id().unwrap().to_owned();

    let repo = repo_dir(&server, &id);
    let blobs: Vec<PathBuf> = (0..300)
        .map(|i| {
            let p = git.root().join(format!("blob-{i}"));
            std::fs::write(&p, format!("blob {i}\n")).unwrap();
            p
        })
        .collect();
    let mut hash = Command::new("git");
    hash.arg("--git-dir").arg(&repo).args(["hash-object", "-w"]);
    let ids = String::from_utf8(hash.args(&blobs).output().unwrap().stdout).unwrap();
    for id in ids.lines() {
        let mut pack = Command::new("git")
            .arg("--git-dir")
            .arg(&repo)
            .args(["pack-objects", "-q"])
            .arg(repo.join("objects/pack/pack"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        writeln!(pack.stdin.take().unwrap(), "{id}").unwrap();
        assert!(pack.wait().unwrap().success());
    }
    assert!(pack_files(&repo, ".idx") > 300);

    let pushed = git.commit_file(&work, "b.txt", "2", "second");
    git.ok(&work, &["push", "-q", "origin", "main"]);
    let tip = client
        .get_branch()
        .repository_name("piles")
        .branch_name("main")
        .send()
        .await
        .unwrap();
    assert_eq!(tip.branch().unwrap().commit_id(), Some(pushed.as_str()));
    let file = client
        .get_file()
        .repository_name("piles")
        .file_path("b.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(file.file_content().as_ref(), b"2");
    assert_eq!(file.commit_id(), pushed);
    let commit = client
        .get_commit()
        .repository_name("piles")
        .commit_id(&pushed)
        .send()
        .await
        .unwrap();
    assert_eq!(commit.commit().unwrap().parents(), [first]);
    client
        .create_branch()
        .repository_name("piles")
        .branch_name("from-tip")
        .commit_id(&pushed)
        .send()
        .await
        .unwrap();
}
