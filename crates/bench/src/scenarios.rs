//! API latency scenarios over one keep-alive connection, and the concurrent-writers check.

use crate::client::Client;
use base64::Engine as _;
use serde_json::{Value, json};
use std::time::Instant;

pub(crate) fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub(crate) fn tip(c: &mut Client, repo: &str, branch: &str) -> Result<String, String> {
    let v = c.ok(
        "GetBranch",
        json!({"repositoryName": repo, "branchName": branch}),
    )?;
    v["branch"]["commitId"]
        .as_str()
        .map(str::to_owned)
        .ok_or("no commitId".into())
}

/// A branch at main's tip, made fresh (deleted first if it exists).
pub(crate) fn fresh_branch(c: &mut Client, repo: &str, name: &str) -> Result<String, String> {
    let main = tip(c, repo, "main")?;
    let _ = c.call(
        "DeleteBranch",
        &json!({"repositoryName": repo, "branchName": name}),
    )?;
    c.ok(
        "CreateBranch",
        json!({"repositoryName": repo, "branchName": name, "commitId": main}),
    )?;
    Ok(main)
}

/// One CreateCommit of `puts` (path, content) on `branch`; returns the new commit id.
fn commit_puts(
    c: &mut Client,
    repo: &str,
    branch: &str,
    parent: &str,
    puts: impl Iterator<Item = (String, String)>,
) -> Result<String, String> {
    let puts: Vec<Value> = puts
        .map(|(path, content)| json!({"filePath": path, "fileContent": b64(content.as_bytes())}))
        .collect();
    let v = c.ok("CreateCommit", json!({"repositoryName": repo, "branchName": branch, "parentCommitId": parent, "putFiles": puts}))?;
    v["commitId"]
        .as_str()
        .map(str::to_owned)
        .ok_or("no commitId".into())
}

/// One CreateCommit changing `n` files under `prefix`; returns the new commit id.
pub(crate) fn commit_files(
    c: &mut Client,
    repo: &str,
    branch: &str,
    parent: &str,
    prefix: &str,
    n: usize,
    round: usize,
) -> Result<String, String> {
    let puts = (0..n).map(|i| {
        (
            format!("{prefix}/f-{i:03}.txt"),
            format!("round {round} file {i}\n"),
        )
    });
    commit_puts(c, repo, branch, parent, puts)
}

/// One CreateCommit rewriting existing files of the generated layout (see genrepo.rs), spread
/// over the tree: `first`, `first + step`, … (`n` files).
#[allow(clippy::too_many_arguments)]
pub(crate) fn rewrite_existing(
    c: &mut Client,
    repo: &str,
    branch: &str,
    parent: &str,
    first: usize,
    step: usize,
    n: usize,
    round: usize,
) -> Result<String, String> {
    let puts = (0..n).map(|k| {
        let i = first + k * step;
        (
            crate::genrepo::path_of(i),
            format!("round {round} rewrites file {i}\n"),
        )
    });
    commit_puts(c, repo, branch, parent, puts)
}

/// An existing deep file of the generated layout (see genrepo.rs).
const DEEP_FILE: &str = "src/m03/p02/l00/file-000023.txt";

pub(crate) fn median_p90(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9))
}

pub fn latency(args: &[String]) -> Result<(), String> {
    let [endpoint, repo, scenario, n] = args else {
        return Err("latency ENDPOINT REPO SCENARIO ITERATIONS".into());
    };
    let n: usize = n.parse().map_err(|_| "ITERATIONS must be a number")?;
    let mut c = Client::connect(endpoint)?;
    let repo = repo.as_str();
    let mut samples = Vec::with_capacity(n);
    let mut time = |c: &mut Client, op: &str, body: Value| -> Result<Value, String> {
        let t = Instant::now();
        let v = c.ok(op, body)?;
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        Ok(v)
    };
    match scenario.as_str() {
        "get-repository" => {
            for _ in 0..n {
                time(&mut c, "GetRepository", json!({"repositoryName": repo}))?;
            }
        }
        "put-file" => {
            let mut parent = fresh_branch(&mut c, repo, "bench-put")?;
            for i in 0..n {
                let v = time(
                    &mut c,
                    "PutFile",
                    json!({"repositoryName": repo, "branchName": "bench-put", "parentCommitId": parent,
                           "filePath": "bench/put.txt", "fileContent": b64(format!("iteration {i}\n").as_bytes())}),
                )?;
                parent = v["commitId"].as_str().ok_or("no commitId")?.to_owned();
            }
        }
        "create-commit-10" => {
            let mut parent = fresh_branch(&mut c, repo, "bench-cc")?;
            for i in 0..n {
                let t = Instant::now();
                parent = commit_files(&mut c, repo, "bench-cc", &parent, "bench/cc", 10, i)?;
                samples.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        "get-file" => {
            for _ in 0..n {
                time(
                    &mut c,
                    "GetFile",
                    json!({"repositoryName": repo, "filePath": DEEP_FILE}),
                )?;
            }
        }
        "get-folder" => {
            for _ in 0..n {
                let v = time(
                    &mut c,
                    "GetFolder",
                    json!({"repositoryName": repo, "folderPath": "big"}),
                )?;
                if v["files"].as_array().map(Vec::len) != Some(1000) {
                    return Err("big/ should list 1000 files".into());
                }
            }
        }
        "get-differences" => {
            let before = fresh_branch(&mut c, repo, "bench-diff")?;
            let after = commit_files(&mut c, repo, "bench-diff", &before, "bench/diff", 10, 0)?;
            for _ in 0..n {
                let v = time(
                    &mut c,
                    "GetDifferences",
                    json!({"repositoryName": repo, "beforeCommitSpecifier": before, "afterCommitSpecifier": after}),
                )?;
                if v["differences"].as_array().map(Vec::len) != Some(10) {
                    return Err("expected 10 differences".into());
                }
            }
        }
        "file-history" => {
            for _ in 0..n {
                let v = time(
                    &mut c,
                    "ListFileCommitHistory",
                    json!({"repositoryName": repo, "filePath": "hot/history.txt", "maxResults": 100}),
                )?;
                if v["revisionDag"].as_array().map(Vec::len) != Some(50) {
                    return Err(format!(
                        "expected 50 versions, got {:?}",
                        v["revisionDag"].as_array().map(Vec::len)
                    ));
                }
            }
        }
        "get-commit" => {
            let id = tip(&mut c, repo, "main")?;
            for _ in 0..n {
                time(
                    &mut c,
                    "GetCommit",
                    json!({"repositoryName": repo, "commitId": id}),
                )?;
            }
        }
        "merge-conflicts" | "merge-three-way" => {
            // Two branches that each rewrote 100 different existing files spread over the
            // tree (one CreateCommit of 100 entries each; needs a repository of >= 100,000
            // generated files).
            let base = fresh_branch(&mut c, repo, "bench-src")?;
            rewrite_existing(&mut c, repo, "bench-src", &base, 7, 997, 100, 1)?;
            fresh_branch(&mut c, repo, "bench-dst")?;
            rewrite_existing(&mut c, repo, "bench-dst", &base, 500, 991, 100, 2)?;
            let dst_tip = tip(&mut c, repo, "bench-dst")?;
            for i in 0..n {
                if scenario == "merge-conflicts" {
                    let v = time(
                        &mut c,
                        "GetMergeConflicts",
                        json!({"repositoryName": repo, "sourceCommitSpecifier": "bench-src",
                               "destinationCommitSpecifier": "bench-dst", "mergeOption": "THREE_WAY_MERGE"}),
                    )?;
                    if v["mergeable"] != json!(true) {
                        return Err("expected a mergeable pair".into());
                    }
                } else {
                    let target = format!("bench-target-{i}");
                    let _ = c.call(
                        "DeleteBranch",
                        &json!({"repositoryName": repo, "branchName": target}),
                    )?;
                    c.ok(
                        "CreateBranch",
                        json!({"repositoryName": repo, "branchName": target, "commitId": dst_tip}),
                    )?;
                    time(
                        &mut c,
                        "MergeBranchesByThreeWay",
                        json!({"repositoryName": repo, "sourceCommitSpecifier": "bench-src",
                               "destinationCommitSpecifier": target, "targetBranch": target}),
                    )?;
                }
            }
        }
        other => return Err(format!("unknown scenario {other}")),
    }
    let (median, p90) = median_p90(samples);
    println!("{scenario}\t{median:.2}\t{p90:.2}");
    Ok(())
}

/// N writers on N branches of one repository, COMMITS PutFiles each: throughput, and a check
/// that every branch has exactly its writer's commits.
pub fn writers(args: &[String]) -> Result<(), String> {
    let [endpoint, repo, n, commits] = args else {
        return Err("writers ENDPOINT REPO N COMMITS".into());
    };
    let n: usize = n.parse().map_err(|_| "N must be a number")?;
    let commits: usize = commits.parse().map_err(|_| "COMMITS must be a number")?;
    let mut setup = Client::connect(endpoint)?;
    let mut starts = Vec::new();
    for w in 0..n {
        starts.push(fresh_branch(&mut setup, repo, &format!("writer-{w}"))?);
    }
    let started = Instant::now();
    let handles: Vec<_> = starts
        .into_iter()
        .enumerate()
        .map(|(w, start)| {
            let (endpoint, repo) = (endpoint.clone(), repo.clone());
            std::thread::spawn(move || -> Result<(String, String), String> {
                let mut c = Client::connect(&endpoint)?;
                let branch = format!("writer-{w}");
                let mut parent = start.clone();
                for i in 0..commits {
                    let v = c.ok(
                        "PutFile",
                        json!({"repositoryName": repo, "branchName": branch, "parentCommitId": parent,
                               "filePath": format!("writers/{w}.txt"), "fileContent": b64(format!("{w} {i}\n").as_bytes())}),
                    )?;
                    parent = v["commitId"].as_str().ok_or("no commitId")?.to_owned();
                }
                Ok((start, parent))
            })
        })
        .collect();
    let mut results = Vec::new();
    for h in handles {
        results.push(h.join().map_err(|_| "writer panicked")??);
    }
    let secs = started.elapsed().as_secs_f64();
    // Every branch tip is its writer's last commit, and walking back COMMITS parents reaches
    // the start: nothing lost, nothing interleaved.
    let mut lost = 0usize;
    for (w, (start, last)) in results.iter().enumerate() {
        if tip(&mut setup, repo, &format!("writer-{w}"))? != *last {
            lost += 1;
        }
        let mut id = last.clone();
        for _ in 0..commits {
            let v = setup.ok("GetCommit", json!({"repositoryName": repo, "commitId": id}))?;
            id = v["commit"]["parents"][0]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
        if id != *start {
            lost += 1;
        }
    }
    println!(
        "writers\t{n}\t{}\t{:.1} commits/s\tlost={lost}",
        n * commits,
        (n * commits) as f64 / secs
    );
    if lost > 0 {
        Err(format!("{lost} branches lost commits"))
    } else {
        Ok(())
    }
}
