//! Pull-request benchmarks (BENCHMARKS.md, "Issue 8"): operation latency, listing at scale,
//! and what open pull requests add to a push.
//!
//! * `pulls ENDPOINT create REPO N` — CreatePullRequest
//! * `pulls ENDPOINT get REPO N` — GetPullRequest
//! * `pulls ENDPOINT merge REPO N` — MergePullRequestByThreeWay and MergeBranchesByThreeWay
//!   of the same kind of pair (100 rewritten files per side), interleaved
//! * `pulls ENDPOINT seed REPO COUNT` — COUNT open pull requests in REPO
//! * `pulls ENDPOINT pages SMALL LARGE N` — a ListPullRequests page and a
//!   DescribePullRequestEvents page in two repositories, interleaved
//! * `pulls ENDPOINT push REPO WORKDIR PRS N` — pushes of one commit to a branch that is the
//!   source of PRS open pull requests and to one that is the source of none, interleaved

use crate::client::Client;
use crate::scenarios::{commit_files, fresh_branch, median_p90, rewrite_existing, tip};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn create_pr(
    c: &mut Client,
    repo: &str,
    src: &str,
    dst: &str,
    token: &str,
) -> Result<String, String> {
    let v = c.ok(
        "CreatePullRequest",
        json!({"title": format!("bench {token}"), "description": "benchmark",
               "clientRequestToken": token,
               "targets": [{"repositoryName": repo, "sourceReference": src, "destinationReference": dst}]}),
    )?;
    v["pullRequest"]["pullRequestId"]
        .as_str()
        .map(str::to_owned)
        .ok_or("no pullRequestId".into())
}

/// A branch one commit ahead of main (10 new files).
fn source_branch(c: &mut Client, repo: &str, name: &str) -> Result<(), String> {
    let base = fresh_branch(c, repo, name)?;
    commit_files(c, repo, name, &base, "bench/pr", 10, 0)?;
    Ok(())
}

fn report(name: &str, samples: Vec<f64>) -> f64 {
    let (median, p90) = median_p90(samples);
    println!("{name}\t{median:.2}\t{p90:.2}");
    median
}

pub fn run(args: &[String]) -> Result<(), String> {
    let usage = "pulls ENDPOINT create|get|merge REPO N | seed REPO COUNT | pages SMALL LARGE N | push REPO WORKDIR PRS N";
    let (Some(endpoint), Some(scenario)) = (args.first(), args.get(1)) else {
        return Err(usage.into());
    };
    let rest = &args[2..];
    let num = |i: usize| -> Result<usize, String> {
        rest.get(i)
            .and_then(|s| s.parse().ok())
            .ok_or(usage.to_owned())
    };
    let arg = |i: usize| rest.get(i).map(String::as_str).ok_or(usage.to_owned());
    let mut c = Client::connect(endpoint)?;
    let run_id = std::process::id();
    match scenario.as_str() {
        "create" => {
            let (repo, n) = (arg(0)?, num(1)?);
            source_branch(&mut c, repo, "bench-pr-create")?;
            let mut samples = Vec::new();
            for i in 0..n {
                let t = Instant::now();
                create_pr(
                    &mut c,
                    repo,
                    "bench-pr-create",
                    "main",
                    &format!("c-{run_id}-{i}"),
                )?;
                samples.push(ms(t));
            }
            report("CreatePullRequest", samples);
        }
        "get" => {
            let (repo, n) = (arg(0)?, num(1)?);
            source_branch(&mut c, repo, "bench-pr-get")?;
            let id = create_pr(&mut c, repo, "bench-pr-get", "main", &format!("g-{run_id}"))?;
            let mut samples = Vec::new();
            for _ in 0..n {
                let t = Instant::now();
                let v = c.ok("GetPullRequest", json!({"pullRequestId": id}))?;
                samples.push(ms(t));
                if v["pullRequest"]["pullRequestId"] != json!(id) {
                    return Err("wrong pull request".into());
                }
            }
            report("GetPullRequest", samples);
        }
        "merge" => {
            let (repo, n) = (arg(0)?, num(1)?);
            // As bench/merge.sh: two branches that each rewrote 100 different existing files.
            let base = fresh_branch(&mut c, repo, "bench-prm-src")?;
            rewrite_existing(&mut c, repo, "bench-prm-src", &base, 7, 997, 100, 1)?;
            fresh_branch(&mut c, repo, "bench-prm-dst")?;
            rewrite_existing(&mut c, repo, "bench-prm-dst", &base, 500, 991, 100, 2)?;
            let dst_tip = tip(&mut c, repo, "bench-prm-dst")?;
            let (mut pr_samples, mut branch_samples) = (Vec::new(), Vec::new());
            for i in 0..n {
                for (kind, samples) in [("pr", &mut pr_samples), ("branch", &mut branch_samples)] {
                    let target = format!("bench-prm-{kind}-{i}");
                    let _ = c.call(
                        "DeleteBranch",
                        &json!({"repositoryName": repo, "branchName": target}),
                    )?;
                    c.ok(
                        "CreateBranch",
                        json!({"repositoryName": repo, "branchName": target, "commitId": dst_tip}),
                    )?;
                    if kind == "pr" {
                        let id = create_pr(
                            &mut c,
                            repo,
                            "bench-prm-src",
                            &target,
                            &format!("m-{run_id}-{i}"),
                        )?;
                        let t = Instant::now();
                        let v = c.ok(
                            "MergePullRequestByThreeWay",
                            json!({"pullRequestId": id, "repositoryName": repo}),
                        )?;
                        samples.push(ms(t));
                        if v["pullRequest"]["pullRequestTargets"][0]["mergeMetadata"]["isMerged"]
                            != json!(true)
                        {
                            return Err("not merged".into());
                        }
                    } else {
                        let t = Instant::now();
                        c.ok(
                            "MergeBranchesByThreeWay",
                            json!({"repositoryName": repo, "sourceCommitSpecifier": "bench-prm-src",
                                   "destinationCommitSpecifier": target, "targetBranch": target}),
                        )?;
                        samples.push(ms(t));
                    }
                }
            }
            let pr = report("MergePullRequestByThreeWay", pr_samples);
            let branch = report("MergeBranchesByThreeWay", branch_samples);
            println!("ratio\t{:.2}", pr / branch);
        }
        "seed" => {
            let (repo, count) = (arg(0)?, num(1)?);
            source_branch(&mut c, repo, "bench-seed")?;
            let t = Instant::now();
            for i in 0..count {
                create_pr(
                    &mut c,
                    repo,
                    "bench-seed",
                    "main",
                    &format!("s-{run_id}-{i}"),
                )?;
            }
            println!("seeded\t{count}\t{:.1} s", t.elapsed().as_secs_f64());
        }
        "pages" => {
            let (small, large, n) = (arg(0)?, arg(1)?, num(2)?);
            let mut ids = Vec::new();
            for repo in [small, large] {
                let v = c.ok(
                    "ListPullRequests",
                    json!({"repositoryName": repo, "maxResults": 1}),
                )?;
                ids.push(
                    v["pullRequestIds"][0]
                        .as_str()
                        .ok_or("no pull requests")?
                        .to_owned(),
                );
            }
            let mut samples: [Vec<f64>; 4] = Default::default();
            for _ in 0..n {
                for (k, repo) in [small, large].into_iter().enumerate() {
                    let t = Instant::now();
                    let v = c.ok(
                        "ListPullRequests",
                        json!({"repositoryName": repo, "maxResults": 10}),
                    )?;
                    samples[k].push(ms(t));
                    // The next page, from the token.
                    if let Some(token) = v["nextToken"].as_str() {
                        c.ok(
                            "ListPullRequests",
                            json!({"repositoryName": repo, "maxResults": 10, "nextToken": token}),
                        )?;
                    }
                    let t = Instant::now();
                    let e = c.ok(
                        "DescribePullRequestEvents",
                        json!({"pullRequestId": ids[k]}),
                    )?;
                    samples[2 + k].push(ms(t));
                    if e["pullRequestEvents"].as_array().map(Vec::len).unwrap_or(0) == 0 {
                        return Err("no events".into());
                    }
                }
            }
            let [ls, ll, es, el] = samples;
            let (ls, ll) = (
                report("ListPullRequests small", ls),
                report("ListPullRequests large", ll),
            );
            let (es, el) = (
                report("DescribePullRequestEvents small", es),
                report("DescribePullRequestEvents large", el),
            );
            println!("ratio list\t{:.2}\nratio events\t{:.2}", ll / ls, el / es);
        }
        "push" => {
            let (repo, work, prs, n) = (arg(0)?, arg(1)?, num(2)?, num(3)?);
            push_overhead(&mut c, endpoint, repo, Path::new(work), prs, n)?;
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
        ])
        .args(args)
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// One commit on `branch` in the work tree, then a timed `git push`.
fn commit_and_push(dir: &Path, branch: &str, round: usize) -> Result<(f64, String), String> {
    git(dir, &["checkout", "-q", branch])?;
    std::fs::write(
        dir.join(format!("{branch}.txt")),
        format!("round {round}\n"),
    )
    .map_err(|e| e.to_string())?;
    git(
        dir,
        &["commit", "-q", "-a", "-m", &format!("{branch} {round}")],
    )?;
    let t = Instant::now();
    git(dir, &["push", "-q", "origin", branch])?;
    Ok((ms(t), git(dir, &["rev-parse", "HEAD"])?))
}

fn push_overhead(
    c: &mut Client,
    endpoint: &str,
    repo: &str,
    work: &Path,
    prs: usize,
    n: usize,
) -> Result<(), String> {
    let url = format!("{}/v1/repos/{repo}", endpoint.trim_end_matches('/'));
    let _ = std::fs::remove_dir_all(work);
    let parent = work.parent().ok_or("WORKDIR needs a parent")?;
    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    git(parent, &["clone", "-q", &url, &work.to_string_lossy()])?;
    for branch in ["hot", "cold"] {
        git(work, &["checkout", "-q", "-b", branch, "origin/main"])?;
        std::fs::write(work.join(format!("{branch}.txt")), "start\n").map_err(|e| e.to_string())?;
        git(work, &["add", "-A"])?;
        git(work, &["commit", "-q", "-m", branch])?;
        git(work, &["push", "-q", "origin", branch])?;
    }
    // PRS destinations, each the destination of one pull request from `hot`.
    let refspecs: Vec<String> = (0..prs)
        .map(|i| format!("origin/main:refs/heads/dest-{i}"))
        .collect();
    for chunk in refspecs.chunks(100) {
        let mut args = vec!["push", "-q", "origin"];
        args.extend(chunk.iter().map(String::as_str));
        git(work, &args)?;
    }
    let mut ids = Vec::new();
    for i in 0..prs {
        ids.push(create_pr(
            c,
            repo,
            "hot",
            &format!("dest-{i}"),
            &format!("p-{}-{i}", std::process::id()),
        )?);
    }
    // Warm-up, then interleaved rounds, alternating which goes first.
    commit_and_push(work, "cold", 0)?;
    commit_and_push(work, "hot", 0)?;
    let (mut cold, mut hot) = (Vec::new(), Vec::new());
    let mut hot_tip = String::new();
    for round in 1..=n {
        let order = if round % 2 == 0 {
            ["hot", "cold"]
        } else {
            ["cold", "hot"]
        };
        for branch in order {
            let (t, tip) = commit_and_push(work, branch, round)?;
            if branch == "hot" {
                hot.push(t);
                hot_tip = tip;
            } else {
                cold.push(t);
            }
        }
    }
    // The bookkeeping really happened: every pull request is at the last pushed commit.
    for id in [&ids[0], &ids[ids.len() - 1]] {
        let v: Value = c.ok("GetPullRequest", json!({"pullRequestId": id}))?;
        if v["pullRequest"]["pullRequestTargets"][0]["sourceCommit"] != json!(hot_tip) {
            return Err(format!("pull request {id} did not follow the push"));
        }
    }
    let cold = report("push, no pull requests", cold);
    let hot = report(&format!("push, source of {prs} pull requests"), hot);
    println!("ratio\t{:.2}", hot / cold);
    Ok(())
}
