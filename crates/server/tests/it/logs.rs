//! What the log shows a user: each API call's line carries the request id the SDK reports, the
//! repository and the error message; quotes are capped; `debug` adds the input; shutdown is
//! logged; `--help` names the log variable.

use crate::common::process::{BIN, Process, command};
use crate::common::*;
use aws_sdk_codecommit::operation::RequestId as _;

fn start(log: &str) -> (tempfile::TempDir, Process) {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = command(&tmp.path().join("data"));
    cmd.env("CODECOMMIT_LOCAL_LOG", log);
    (tmp, Process::spawn(cmd))
}

/// The one log line that holds `needle`.
fn line_with(server: &Process, needle: &str) -> String {
    assert!(
        server.has_log(&[needle]),
        "no line with {needle}:\n{}",
        server.log_text()
    );
    let log = server.log.lock().unwrap();
    let lines: Vec<&String> = log.iter().filter(|l| l.contains(needle)).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines[0].clone()
}

#[tokio::test]
async fn api_lines_carry_the_request_id_repository_and_error() {
    let (_tmp, server) = start("info");
    let client = server.client();
    let out = client
        .create_repository()
        .repository_name("logged")
        .send()
        .await
        .unwrap();
    let id = out.request_id().expect("request id").to_owned();
    let line = line_with(&server, &format!("request_id={id}"));
    for part in [
        "operation=\"CreateRepository\"",
        "repository=\"logged\"",
        "status=200",
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }
    assert!(!line.contains("input="), "{line}");

    let err = client
        .get_branch()
        .repository_name("logged")
        .branch_name("nope")
        .send()
        .await
        .unwrap_err();
    let id = err.request_id().expect("request id").to_owned();
    let line = line_with(&server, &format!("request_id={id}"));
    for part in [
        "operation=\"GetBranch\"",
        "repository=\"logged\"",
        "status=400",
        "exception=\"BranchDoesNotExistException\"",
        "error=",
        "nope",
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }

    // A repository that does not exist is still named; an operation without one shows "-".
    let err = client
        .get_repository()
        .repository_name("missing")
        .send()
        .await
        .unwrap_err();
    let line = line_with(
        &server,
        &format!("request_id={}", err.request_id().unwrap()),
    );
    assert!(line.contains("repository=\"missing\""), "{line}");
    let out = client.list_repositories().send().await.unwrap();
    let line = line_with(
        &server,
        &format!("request_id={}", out.request_id().unwrap()),
    );
    assert!(line.contains("repository=\"-\""), "{line}");
}

/// A 1 MB specifier, echoed in the error message, makes a short log line.
#[tokio::test]
async fn log_lines_quote_at_most_a_few_hundred_characters() {
    let (_tmp, server) = start("debug");
    let client = server.client();
    create_repo(&client, "big").await;
    let huge = "m".repeat(1 << 20);
    let err = client
        .create_branch()
        .repository_name("big")
        .branch_name("b")
        .commit_id(&huge)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidCommitIdException");
    let line = line_with(
        &server,
        &format!("request_id={}", err.request_id().unwrap()),
    );
    assert!(line.len() < 4 * 1024, "a {}-byte log line", line.len());
    // At debug the input is there too, capped.
    assert!(line.contains("input="), "{line}");
    assert!(line.contains(r#"\"branchName\":\"b\""#), "{line}");
    assert!(line.contains("bytes)"), "{line}");
    // No line of the whole log quotes the specifier whole.
    let longest = server
        .log
        .lock()
        .unwrap()
        .iter()
        .map(String::len)
        .max()
        .unwrap();
    assert!(longest < 8 * 1024, "longest log line: {longest} bytes");
}

#[tokio::test]
async fn shutdown_is_logged() {
    let (_tmp, mut server) = start("info");
    create_repo(&server.client(), "r").await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "{exit}");
    assert!(
        server.has_log(&["shutting down", "SIGTERM"]),
        "{}",
        server.log_text()
    );
    assert!(
        server.has_log(&["codecommit-local stopped"]),
        "{}",
        server.log_text()
    );
}

#[test]
fn help_lists_the_log_variable_and_the_limits() {
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "CODECOMMIT_LOCAL_LOG",
        "CODECOMMIT_LOCAL_HEADER_TIMEOUT",
        "CODECOMMIT_LOCAL_BODY_TIMEOUT",
        "CODECOMMIT_LOCAL_MAX_CONNECTIONS",
    ] {
        assert!(help.contains(var), "{var} not in --help:\n{help}");
    }
}
