//! Issue 9's benchmark (bench/approvals.sh): CreatePullRequest on a repository with 25
//! associated templates against one with none, and EvaluatePullRequestApprovalRules on a pull
//! request with 30 rules and 200 approvals against one with no rules, measured interleaved
//! (A, B, B, A, …) over one keep-alive connection so both sides see the same machine.
//!
//! The server must know IAM users `u000`…`u199` under access keys `AKIABENCH000`…
//! `AKIABENCH199` (the script writes that principals file).

use crate::client::Client;
use base64::Engine as _;
use serde_json::{Value, json};
use std::time::Instant;

const ACCOUNT: &str = "000000000000";
const WITH: &str = "bench-templates";
const WITHOUT: &str = "bench-plain";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn median_p90(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9))
}

/// Template `i`: realistic pools (a role's sessions, named users, a wildcard), branch filters
/// that all match `main`.
fn template_content(i: usize) -> String {
    let mut v = json!({"Version": "2018-11-08", "Statements": [{
    "Type": "Approvers",
    "NumberOfApprovalsNeeded": 1 + i % 3,
    "ApprovalPoolMembers": [
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Reviewers{i}/*"),
        format!("CodeCommitApprovers:{ACCOUNT}:u{:03}", i * 7 % 200),
        format!("CodeCommitApprovers:{ACCOUNT}:u1{}*", i % 10),
        format!("arn:aws:iam::{ACCOUNT}:user/u0{}*", i % 10),
    ]}]});
    if i.is_multiple_of(2) {
        v["DestinationReferences"] = json!(["refs/heads/main", "refs/heads/release/*"]);
    }
    v.to_string()
}

/// A manual rule with a full pool of 50 members (exact users and wildcards mixed).
fn big_rule(i: usize) -> String {
    let members: Vec<String> = (0..50)
        .map(|k| match k % 5 {
            0 => format!("CodeCommitApprovers:{ACCOUNT}:*{:02}", (i * 50 + k) % 100),
            1 => format!("arn:aws:iam::{ACCOUNT}:user/u{:03}", (i * 50 + k) % 200),
            2 => format!("arn:aws:sts::{ACCOUNT}:assumed-role/Team{k}/*"),
            _ => format!(
                "CodeCommitApprovers:{ACCOUNT}:u{:03}",
                (i * 37 + k * 3) % 200
            ),
        })
        .collect();
    json!({"Version": "2018-11-08", "Statements": [{"Type": "Approvers",
        "NumberOfApprovalsNeeded": 10 + i * 40, "ApprovalPoolMembers": members}]})
    .to_string()
}

fn setup_repo(c: &mut Client, name: &str) -> Result<(), String> {
    let _ = c.call("DeleteRepository", &json!({"repositoryName": name}))?;
    c.ok("CreateRepository", json!({"repositoryName": name}))?;
    let main = c.ok(
        "PutFile",
        json!({"repositoryName": name, "branchName": "main", "filePath": "README.md", "fileContent": b64("bench\n")}),
    )?["commitId"]
        .as_str()
        .ok_or("no commitId")?
        .to_owned();
    c.ok(
        "CreateBranch",
        json!({"repositoryName": name, "branchName": "feature", "commitId": main}),
    )?;
    c.ok(
        "PutFile",
        json!({"repositoryName": name, "branchName": "feature", "parentCommitId": main, "filePath": "f.txt", "fileContent": b64("feature\n")}),
    )?;
    Ok(())
}

fn create_pr(c: &mut Client, repo: &str) -> Result<(f64, Value), String> {
    let t = Instant::now();
    let v = c.ok(
        "CreatePullRequest",
        json!({"title": "bench", "targets": [{"repositoryName": repo, "sourceReference": "feature", "destinationReference": "main"}]}),
    )?;
    Ok((t.elapsed().as_secs_f64() * 1000.0, v["pullRequest"].clone()))
}

fn close(c: &mut Client, pr: &Value) -> Result<(), String> {
    c.ok(
        "UpdatePullRequestStatus",
        json!({"pullRequestId": pr["pullRequestId"], "pullRequestStatus": "CLOSED"}),
    )?;
    Ok(())
}

fn evaluate(c: &mut Client, pr: &Value) -> Result<(f64, Value), String> {
    let body = json!({"pullRequestId": pr["pullRequestId"], "revisionId": pr["revisionId"]});
    let t = Instant::now();
    let v = c.ok("EvaluatePullRequestApprovalRules", body)?;
    Ok((t.elapsed().as_secs_f64() * 1000.0, v))
}

struct Pair {
    with: Vec<f64>,
    without: Vec<f64>,
}

impl Pair {
    fn report(&self, what: &str, with: &str, without: &str) {
        let (wm, wp) = median_p90(self.with.clone());
        let (om, op) = median_p90(self.without.clone());
        println!(
            "{what}\t{with}: median {wm:.3} ms p90 {wp:.3}\t{without}: median {om:.3} ms p90 {op:.3}\tratio {:.2}",
            wm / om
        );
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let [endpoint, rounds, n] = args else {
        return Err("approvals ENDPOINT ROUNDS N".into());
    };
    let rounds: usize = rounds.parse().map_err(|_| "ROUNDS must be a number")?;
    let n: usize = n.parse().map_err(|_| "N must be a number")?;
    let mut c = Client::connect(endpoint)?;
    setup_repo(&mut c, WITH)?;
    setup_repo(&mut c, WITHOUT)?;
    for i in 0..25 {
        let name = format!("bench template {i:02}");
        let _ = c.call(
            "DisassociateApprovalRuleTemplateFromRepository",
            &json!({"approvalRuleTemplateName": name, "repositoryName": WITH}),
        )?;
        let _ = c.call(
            "DeleteApprovalRuleTemplate",
            &json!({"approvalRuleTemplateName": name}),
        )?;
        c.ok(
            "CreateApprovalRuleTemplate",
            json!({"approvalRuleTemplateName": name, "approvalRuleTemplateContent": template_content(i)}),
        )?;
        c.ok(
            "AssociateApprovalRuleTemplateWithRepository",
            json!({"approvalRuleTemplateName": name, "repositoryName": WITH}),
        )?;
    }

    // CreatePullRequest, interleaved; each round's pull requests are closed afterwards to stay
    // under the open limit (not timed).
    let mut create = Pair {
        with: Vec::new(),
        without: Vec::new(),
    };
    let mut rules_seen = 0;
    for round in 0..rounds {
        let mut made = Vec::new();
        let mut round_pair = Pair {
            with: Vec::new(),
            without: Vec::new(),
        };
        for i in 0..n {
            let order = if i.is_multiple_of(2) {
                [WITH, WITHOUT]
            } else {
                [WITHOUT, WITH]
            };
            for repo in order {
                let (ms, pr) = create_pr(&mut c, repo)?;
                if repo == WITH {
                    rules_seen = pr["approvalRules"].as_array().map(Vec::len).unwrap_or(0);
                    round_pair.with.push(ms);
                } else {
                    round_pair.without.push(ms);
                }
                made.push(pr);
            }
        }
        round_pair.report(
            &format!("create-pull-request round {round}"),
            "25 templates",
            "none",
        );
        create.with.extend(round_pair.with);
        create.without.extend(round_pair.without);
        for pr in &made {
            close(&mut c, pr)?;
        }
    }
    if rules_seen != 25 {
        return Err(format!("expected 25 template rules, saw {rules_seen}"));
    }

    // EvaluatePullRequestApprovalRules: 25 template rules + 5 rules with 50-member pools, 200
    // approvals, against a pull request without rules.
    let (_, heavy) = create_pr(&mut c, WITH)?;
    let (_, plain) = create_pr(&mut c, WITHOUT)?;
    for i in 0..5 {
        c.ok(
            "CreatePullRequestApprovalRule",
            json!({"pullRequestId": heavy["pullRequestId"], "approvalRuleName": format!("big pool {i}"), "approvalRuleContent": big_rule(i)}),
        )?;
    }
    for u in 0..200 {
        c.ok_as(
            Some(&format!("AKIABENCH{u:03}")),
            "UpdatePullRequestApprovalState",
            json!({"pullRequestId": heavy["pullRequestId"], "revisionId": heavy["revisionId"], "approvalState": "APPROVE"}),
        )?;
    }
    let (_, check) = evaluate(&mut c, &heavy)?;
    let e = &check["evaluation"];
    let counted = |k: &str| e[k].as_array().map(Vec::len).unwrap_or(0);
    let (sat, unsat) = (
        counted("approvalRulesSatisfied"),
        counted("approvalRulesNotSatisfied"),
    );
    if sat + unsat != 30 {
        return Err(format!("expected 30 rules evaluated: {check}"));
    }
    println!("evaluation of the 30-rule pull request: {sat} satisfied, {unsat} not");
    let mut eval = Pair {
        with: Vec::new(),
        without: Vec::new(),
    };
    for round in 0..rounds {
        let mut round_pair = Pair {
            with: Vec::new(),
            without: Vec::new(),
        };
        for i in 0..n {
            let order = if i.is_multiple_of(2) {
                [&heavy, &plain]
            } else {
                [&plain, &heavy]
            };
            for pr in order {
                let (ms, _) = evaluate(&mut c, pr)?;
                if std::ptr::eq(pr, &heavy) {
                    round_pair.with.push(ms);
                } else {
                    round_pair.without.push(ms);
                }
            }
        }
        round_pair.report(
            &format!("evaluate round {round}"),
            "30 rules/200 approvals",
            "no rules",
        );
        eval.with.extend(round_pair.with);
        eval.without.extend(round_pair.without);
    }
    // UpdatePullRequestApprovalState (a revoke and an approve by one user, alternately): the
    // write that works the evaluation out and stores it.
    c.ok_as(
        Some("AKIABENCH000"),
        "UpdatePullRequestApprovalState",
        json!({"pullRequestId": plain["pullRequestId"], "revisionId": plain["revisionId"], "approvalState": "APPROVE"}),
    )?;
    let mut state = Pair {
        with: Vec::new(),
        without: Vec::new(),
    };
    for i in 0..n {
        let status = if i.is_multiple_of(2) {
            "REVOKE"
        } else {
            "APPROVE"
        };
        let order = if (i / 2).is_multiple_of(2) {
            [&heavy, &plain]
        } else {
            [&plain, &heavy]
        };
        for pr in order {
            let body = json!({"pullRequestId": pr["pullRequestId"], "revisionId": pr["revisionId"], "approvalState": status});
            let t = Instant::now();
            c.ok_as(Some("AKIABENCH000"), "UpdatePullRequestApprovalState", body)?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if std::ptr::eq(pr, &heavy) {
                state.with.push(ms);
            } else {
                state.without.push(ms);
            }
        }
    }
    create.report("create-pull-request (all rounds)", "25 templates", "none");
    state.report(
        "update-approval-state",
        "30 rules/200 approvals",
        "no rules",
    );
    eval.report(
        "evaluate (all rounds)",
        "30 rules/200 approvals",
        "no rules",
    );
    Ok(())
}
