//! Comment benchmarks (BENCHMARKS.md, issue 10), measured side by side in interleaved rounds:
//!
//! * a page of GetCommentsForPullRequest on a pull request with 10,000 comments against the
//!   same page on one with 10 (first page and a page deep in the listing), both made of
//!   threads of 10 comments on lines of one file;
//! * PostCommentForPullRequest with a line location on the large repository, next to the
//!   same post on the small one.

use crate::client::Client;
use base64::Engine as _;
use serde_json::{Value, json};
use std::time::Instant;

/// The file the pull requests change (an existing deep file of the generated layout) and
/// its new content: 1,000 lines, so comments can sit on many lines.
const FILE: &str = "src/m03/p02/l00/file-000023.txt";
const LINES: usize = 1000;
/// Comments per line thread: both pull requests' pages then read the same number of groups.
const THREAD: usize = 10;

fn lines(tag: &str) -> String {
    (1..=LINES).map(|i| format!("{tag} line {i}\n")).collect()
}

struct Pr {
    id: String,
    before: String,
    after: String,
}

/// A branch `name` from main that rewrites FILE, and a pull request from it to main.
fn pull_request(c: &mut Client, repo: &str, name: &str) -> Result<Pr, String> {
    let main = c.ok(
        "GetBranch",
        json!({"repositoryName": repo, "branchName": "main"}),
    )?["branch"]["commitId"]
        .as_str()
        .ok_or("no main")?
        .to_owned();
    let _ = c.call(
        "DeleteBranch",
        &json!({"repositoryName": repo, "branchName": name}),
    )?;
    c.ok(
        "CreateBranch",
        json!({"repositoryName": repo, "branchName": name, "commitId": main}),
    )?;
    let content = base64::engine::general_purpose::STANDARD.encode(lines(name));
    let v = c.ok(
        "PutFile",
        json!({"repositoryName": repo, "branchName": name, "parentCommitId": main,
               "filePath": FILE, "fileContent": content}),
    )?;
    let after = v["commitId"].as_str().ok_or("no commitId")?.to_owned();
    let v = c.ok(
        "CreatePullRequest",
        json!({"title": name, "targets": [{"repositoryName": repo, "sourceReference": name,
               "destinationReference": "main"}]}),
    )?;
    Ok(Pr {
        id: v["pullRequest"]["pullRequestId"]
            .as_str()
            .ok_or("no pullRequestId")?
            .to_owned(),
        before: main,
        after,
    })
}

fn post_body(repo: &str, pr: &Pr, line: usize, content: &str) -> Value {
    json!({"pullRequestId": pr.id, "repositoryName": repo, "beforeCommitId": pr.before,
           "afterCommitId": pr.after, "content": content,
           "location": {"filePath": FILE, "filePosition": line, "relativeFileVersion": "AFTER"}})
}

/// `n` comments on `pr`: threads of 10 on consecutive lines of the file, every other comment
/// a reply to the first comment of its thread.
fn fill(c: &mut Client, repo: &str, pr: &Pr, n: usize) -> Result<(), String> {
    let mut first: Vec<Option<String>> = vec![None; LINES];
    for i in 0..n {
        let line = (i / THREAD) % LINES;
        let v = match (&first[line], i % 2) {
            (Some(parent), 1) => c.ok(
                "PostCommentReply",
                json!({"inReplyTo": parent, "content": format!("reply {i}")}),
            )?,
            _ => c.ok(
                "PostCommentForPullRequest",
                post_body(repo, pr, line + 1, &format!("comment {i}")),
            )?,
        };
        if first[line].is_none() {
            first[line] = v["comment"]["commentId"].as_str().map(str::to_owned);
        }
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn p90(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * 0.9).round() as usize]
}

/// Times one call; checks it succeeded.
fn timed(c: &mut Client, op: &str, body: &Value) -> Result<(f64, Value), String> {
    let t = Instant::now();
    let a = c.call(op, body)?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if a.status != 200 {
        return Err(format!(
            "{op} failed ({}): {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        ));
    }
    Ok((ms, a.json()?))
}

fn count(page: &Value) -> usize {
    page["commentsForPullRequestData"]
        .as_array()
        .map(|els| {
            els.iter()
                .map(|e| e["comments"].as_array().map(Vec::len).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

/// `comments ENDPOINT SMALL_REPO LARGE_REPO [COMMENTS] [ROUNDS] [CALLS]`
pub fn run(args: &[String]) -> Result<(), String> {
    let (endpoint, small, large) = match args {
        [e, s, l, ..] => (e.as_str(), s.as_str(), l.as_str()),
        _ => {
            return Err(
                "comments ENDPOINT SMALL_REPO LARGE_REPO [COMMENTS] [ROUNDS] [CALLS]".into(),
            );
        }
    };
    let num = |i: usize, default: usize| -> Result<usize, String> {
        args.get(i)
            .map(|s| s.parse().map_err(|_| format!("not a number: {s}")))
            .unwrap_or(Ok(default))
    };
    let (many, rounds, calls) = (num(3, 10_000)?, num(4, 5)?, num(5, 40)?);
    let mut c = Client::connect(endpoint)?;

    let few_pr = pull_request(&mut c, small, "bench-few")?;
    let many_pr = pull_request(&mut c, small, "bench-many")?;
    let started = Instant::now();
    fill(&mut c, small, &few_pr, 10)?;
    fill(&mut c, small, &many_pr, many)?;
    eprintln!(
        "posted {} comments in {:.1} s",
        many + 10,
        started.elapsed().as_secs_f64()
    );
    // A token half way through the big listing.
    let mut deep_token = Value::Null;
    let mut seen = 0;
    while seen < many / 2 {
        let (_, page) = timed(
            &mut c,
            "GetCommentsForPullRequest",
            &json!({"pullRequestId": many_pr.id, "maxResults": 500, "nextToken": deep_token}),
        )?;
        seen += count(&page);
        deep_token = page["nextToken"].clone();
    }
    let large_pr = pull_request(&mut c, large, "bench-post")?;
    let small_pr = pull_request(&mut c, small, "bench-post")?;

    let list = |pr: &Pr, max: Option<usize>, token: &Value| {
        let mut body = json!({"pullRequestId": pr.id});
        if let Some(m) = max {
            body["maxResults"] = json!(m);
        }
        if !token.is_null() {
            body["nextToken"] = token.clone();
        }
        body
    };
    let cases: Vec<(&str, Value, usize)> = vec![
        (
            "page of 10, PR with 10 comments",
            list(&few_pr, None, &Value::Null),
            10,
        ),
        (
            "page of 10, PR with 10,000: first",
            list(&many_pr, Some(10), &Value::Null),
            10,
        ),
        (
            "page of 10, PR with 10,000: middle",
            list(&many_pr, Some(10), &deep_token),
            10,
        ),
        (
            "page of 100, PR with 10,000: first",
            list(&many_pr, None, &Value::Null),
            100,
        ),
        (
            "page of 100, PR with 10,000: middle",
            list(&many_pr, None, &deep_token),
            100,
        ),
    ];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    let mut post_large = Vec::new();
    let mut post_small = Vec::new();
    // Warm-up, then interleaved rounds: every case in turn, `calls` calls each.
    for (_, body, _) in &cases {
        timed(&mut c, "GetCommentsForPullRequest", body)?;
    }
    for round in 0..rounds {
        for (i, (name, body, want)) in cases.iter().enumerate() {
            for _ in 0..calls {
                let (ms, page) = timed(&mut c, "GetCommentsForPullRequest", body)?;
                if count(&page) != *want {
                    return Err(format!(
                        "{name}: {} comments, expected {want}",
                        count(&page)
                    ));
                }
                samples[i].push(ms);
            }
        }
        for k in 0..calls {
            let line = (round * calls + k) % LINES + 1;
            let (ms, _) = timed(
                &mut c,
                "PostCommentForPullRequest",
                &post_body(large, &large_pr, line, "timed"),
            )?;
            post_large.push(ms);
            let (ms, _) = timed(
                &mut c,
                "PostCommentForPullRequest",
                &post_body(small, &small_pr, line, "timed"),
            )?;
            post_small.push(ms);
        }
    }
    let base = median(samples[0].clone());
    for (i, (name, _, _)) in cases.iter().enumerate() {
        let m = median(samples[i].clone());
        println!(
            "{name:38}\tmedian {m:.3} ms\tp90 {:.3} ms\tvs 10-comment PR {:.2}",
            p90(samples[i].clone()),
            m / base
        );
    }
    let (ml, ms) = (median(post_large.clone()), median(post_small.clone()));
    println!(
        "PostCommentForPullRequest, line location: large repo median {ml:.3} ms p90 {:.3} ms; small repo median {ms:.3} ms p90 {:.3} ms; large/small {:.2}",
        p90(post_large),
        p90(post_small),
        ml / ms
    );
    Ok(())
}
