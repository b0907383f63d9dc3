//! The awsJson1.1 edge over raw HTTP: framing errors, content types, request ids, body limits,
//! the SigV4 credential scope, and the `/health` and `/reset` endpoints.

use crate::common::git::Git;
use crate::common::http::{RawResponse, api, request, request_large};
use crate::common::*;

const PREFIX: &str = "CodeCommit_20150413";

fn target(op: &str) -> String {
    format!("{PREFIX}.{op}")
}

/// The `__type` of a JSON error answer, and checks it is a 400 in awsJson 1.1.
fn json_error(r: &RawResponse) -> String {
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/x-amz-json-1.1"),
        "{:?}",
        r.headers
    );
    r.json()["__type"].as_str().expect("__type").to_owned()
}

fn assert_request_id(r: &RawResponse) {
    let id = r
        .header("x-amzn-RequestId")
        .unwrap_or_else(|| panic!("no x-amzn-RequestId in {:?}", r.headers));
    assert!(!id.is_empty());
}

#[test]
fn unknown_target_is_unknown_operation() {
    let server = TestServer::start();
    for t in [
        target("NoSuchOperation"),
        "Kinesis_20131202.ListStreams".to_owned(),
        "ListRepositories".to_owned(),
        format!("{PREFIX}."),
    ] {
        let r = api(server.addr, &t, "{}");
        assert_eq!(json_error(&r), "UnknownOperationException", "target {t}");
        assert_eq!(
            r.json(),
            serde_json::json!({"__type": "UnknownOperationException"})
        );
        assert_request_id(&r);
    }
}

#[test]
fn missing_target_is_unknown_operation() {
    let server = TestServer::start();
    for body in ["{}", ""] {
        let r = request(
            server.addr,
            "POST",
            "/",
            &[("Content-Type", "application/x-amz-json-1.1")],
            body.as_bytes(),
        );
        assert_eq!(json_error(&r), "UnknownOperationException", "body {body:?}");
        assert_request_id(&r);
    }
}

#[test]
fn bodies_that_are_not_json_objects_are_serialization_errors() {
    let server = TestServer::start();
    let list = target("ListRepositories");
    for body in [
        "{not json",
        "{\"a\":",
        "",
        "[]",
        "[{\"repositoryName\":\"x\"}]",
    ] {
        let r = api(server.addr, &list, body);
        assert_eq!(json_error(&r), "SerializationException", "body {body:?}");
        assert_request_id(&r);
    }
    // Framing errors carry no message.
    for body in ["{not json", ""] {
        let r = api(server.addr, &list, body);
        assert_eq!(
            r.json(),
            serde_json::json!({"__type": "SerializationException"})
        );
    }
    // A body that does not parse is refused before the target is looked at, whatever the
    // operation: unknown, a blocking write, a pull-request write, or a comment read.
    for op in [
        "NoSuchOperation",
        "PutFile",
        "CreatePullRequest",
        "GetComment",
    ] {
        let r = api(server.addr, &target(op), "{oops");
        assert_eq!(
            r.json(),
            serde_json::json!({"__type": "SerializationException"}),
            "{op}"
        );
    }
}

#[test]
fn a_member_of_the_wrong_type_is_a_serialization_error() {
    let server = TestServer::start();
    let r = api(
        server.addr,
        &target("GetRepository"),
        r#"{"repositoryName": 5}"#,
    );
    assert_eq!(json_error(&r), "SerializationException");
    assert_eq!(
        r.json()["Message"],
        "class java.math.BigDecimal can not be converted to an String"
    );
    assert_request_id(&r);

    // A string where a list is expected.
    let r = api(
        server.addr,
        &target("BatchGetRepositories"),
        r#"{"repositoryNames": "r"}"#,
    );
    assert_eq!(json_error(&r), "SerializationException");
}

#[test]
fn null_members_are_absent_and_unknown_members_are_ignored() {
    let server = TestServer::start();
    let r = api(
        server.addr,
        &target("GetRepository"),
        r#"{"repositoryName": null}"#,
    );
    assert_eq!(json_error(&r), "RepositoryNameRequiredException");
    let r = api(
        server.addr,
        &target("CreateRepository"),
        r#"{"repositoryName": "r", "repositoryDescription": null, "somethingNew": {"a": [1]}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["repositoryMetadata"]["repositoryName"], "r");
}

#[test]
fn other_content_types_are_answered_in_xml() {
    let server = TestServer::start();
    let r = request(
        server.addr,
        "POST",
        "/",
        &[
            ("Content-Type", "text/plain"),
            ("X-Amz-Target", &target("ListRepositories")),
        ],
        b"{}",
    );
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.text().trim(), "<UnknownOperationException/>");
    assert_request_id(&r);

    // No operation can be read at all: access denied, also in XML.
    let r = request(
        server.addr,
        "POST",
        "/",
        &[("Content-Type", "text/plain")],
        b"{}",
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("<AccessDeniedException>"), "{}", r.text());
}

#[test]
fn xml_answers_have_no_content_type() {
    let server = TestServer::start();
    for target_header in [Some(target("ListRepositories")), None] {
        let mut headers = vec![("Content-Type", "text/plain")];
        if let Some(t) = &target_header {
            headers.push(("X-Amz-Target", t.as_str()));
        }
        let r = request(server.addr, "POST", "/", &headers, b"{}");
        assert!(r.text().starts_with('<'), "{}", r.text());
        assert_eq!(r.header("content-type"), None, "{:?}", r.headers);
    }
}

#[test]
fn other_methods_on_the_api_root_are_access_denied() {
    // As recorded against AWS's JSON front end by kinesalite's tests ("should return
    // AccessDeniedException if GET"/"PUT").
    let server = TestServer::start();
    for method in ["GET", "PUT"] {
        let r = request(
            server.addr,
            method,
            "/",
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", &target("ListRepositories")),
            ],
            b"",
        );
        assert_eq!(r.status, 403, "{method}: {} {}", r.status, r.text());
        assert!(
            r.text().contains("<AccessDeniedException>")
                && r.text()
                    .contains("Unable to determine service/operation name to be authorized"),
            "{method}: {}",
            r.text()
        );
        assert_request_id(&r);
    }
}

#[test]
fn content_type_parameters_are_ignored() {
    let server = TestServer::start();
    let r = request(
        server.addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1; charset=utf-8"),
            ("X-Amz-Target", &target("ListRepositories")),
        ],
        b"{}",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["repositories"], serde_json::json!([]));
}

#[test]
fn gzip_request_bodies_are_decoded() {
    use std::io::Write as _;
    let server = TestServer::start();
    let gzip = |body: &[u8]| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(body).unwrap();
        enc.finish().unwrap()
    };
    let (create, list) = (target("CreateRepository"), target("ListRepositories"));
    let headers = |t: &str| -> Vec<(&'static str, String)> {
        vec![
            ("Content-Type", "application/x-amz-json-1.1".into()),
            ("Content-Encoding", "gzip".into()),
            ("X-Amz-Target", t.to_owned()),
        ]
    };
    let send = |t: &str, body: &[u8]| {
        let h = headers(t);
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        request(server.addr, "POST", "/", &h, body)
    };
    let body = gzip(br#"{"repositoryName":"zipped"}"#);
    let r = send(&create, &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["repositoryMetadata"]["repositoryName"], "zipped");

    // A body that does not gunzip is not JSON.
    let r = send(&list, b"{}");
    assert_eq!(json_error(&r), "SerializationException");

    // The size limit applies to the decoded body.
    let mut big = Vec::with_capacity(65 * 1024 * 1024 + 64);
    big.extend_from_slice(br#"{"repositoryName":""#);
    big.resize(big.len() + 65 * 1024 * 1024, b' ');
    big.extend_from_slice(br#""}"#);
    let r = send(&create, &gzip(&big));
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(list_names_raw(&server), ["zipped"]);
}

fn list_names_raw(server: &TestServer) -> Vec<String> {
    let r = api(server.addr, &target("ListRepositories"), "{}");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repositoryName"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn application_json_gets_the_legacy_envelope() {
    let server = TestServer::start();
    let r = request(
        server.addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/json"),
            ("X-Amz-Target", &target("ListRepositories")),
        ],
        b"{}",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        v["Output"]["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    assert_eq!(v["Version"], "1.0");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_request_id(&r);

    // A body that is not JSON: the envelope holds a SerializationException (capital Message).
    let r = request(
        server.addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/json"),
            ("X-Amz-Target", &target("ListRepositories")),
        ],
        b"hello",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({
            "Output": {"__type": "com.amazon.coral.service#SerializationException", "Message": null},
            "Version": "1.0"
        })
    );
}

#[test]
fn every_json_answer_has_a_request_id_and_the_json_content_type() {
    let server = TestServer::start();
    let answers = [
        api(
            server.addr,
            &target("CreateRepository"),
            r#"{"repositoryName":"r"}"#,
        ),
        api(server.addr, &target("ListRepositories"), "{}"),
        api(
            server.addr,
            &target("GetRepository"),
            r#"{"repositoryName":"ghost"}"#,
        ),
        api(server.addr, &target("GetRepository"), "{}"),
        api(server.addr, &target("Nope"), "{}"),
        api(server.addr, &target("ListRepositories"), "{bad"),
        // Operations without an output shape answer 200 with an empty body.
        api(
            server.addr,
            &target("UpdateRepositoryDescription"),
            r#"{"repositoryName":"r","repositoryDescription":"d"}"#,
        ),
    ];
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 400, 400, 400, 400, 200]);
    let mut ids = std::collections::HashSet::new();
    for r in &answers {
        assert_request_id(r);
        assert_eq!(
            r.header("content-type"),
            Some("application/x-amz-json-1.1"),
            "{:?}",
            r.headers
        );
        ids.insert(r.header("x-amzn-RequestId").unwrap().to_owned());
    }
    assert_eq!(ids.len(), answers.len(), "request ids are not unique");
    assert_eq!(
        answers[0].json()["repositoryMetadata"]["repositoryName"],
        "r"
    );
    assert_eq!(
        answers[2].json()["__type"],
        "RepositoryDoesNotExistException"
    );
    assert!(answers[2].json()["message"].is_string());
    assert_eq!(
        answers[3].json()["__type"],
        "RepositoryNameRequiredException"
    );
}

#[test]
fn oversize_bodies_are_refused_with_413() {
    let server = TestServer::start();
    let mut body = Vec::with_capacity(65 * 1024 * 1024 + 64);
    body.extend_from_slice(br#"{"repositoryName":""#);
    body.resize(body.len() + 65 * 1024 * 1024, b' ');
    body.extend_from_slice(br#""}"#);
    let t = target("CreateRepository");
    let r = request_large(
        server.addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", &t),
        ],
        body,
    );
    assert_eq!(r.status, 413, "{}", r.text());
    assert_request_id(&r);
    // The server is still there and created nothing.
    let r = api(server.addr, &target("ListRepositories"), "{}");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["repositories"], serde_json::json!([]));
}

/// A body cut short or framed wrongly is not "too large": 400 (or a closed connection).
#[test]
fn truncated_and_malformed_bodies_are_400_not_413() {
    let server = TestServer::start();
    let head = |framing: &str| {
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n\
             X-Amz-Target: {}\r\n{framing}\r\n",
            target("CreateRepository")
        )
    };
    let body = r#"{"repositoryName":"cut"}"#;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "Content-Length longer than the body",
            format!("{}{}", head("Content-Length: 500\r\n"), &body[..10]).into_bytes(),
        ),
        (
            "a chunk size that is not hex",
            format!(
                "{}zz\r\n{body}\r\n0\r\n\r\n",
                head("Transfer-Encoding: chunked\r\n")
            )
            .into_bytes(),
        ),
        (
            "a chunk longer than announced",
            format!(
                "{}4\r\n{body}\r\n0\r\n\r\n",
                head("Transfer-Encoding: chunked\r\n")
            )
            .into_bytes(),
        ),
        (
            "chunks cut short",
            format!("{}ff\r\n{body}", head("Transfer-Encoding: chunked\r\n")).into_bytes(),
        ),
    ];
    for (what, raw) in cases {
        if let Some(r) = crate::common::http::send_raw(server.addr, &raw, true) {
            assert_eq!(r.status, 400, "{what}: {}", r.text());
            if r.header("content-type") == Some("application/x-amz-json-1.1") {
                assert_eq!(r.json()["__type"], "SerializationException", "{what}");
            }
        }
    }
    assert_eq!(list_names_raw(&server), Vec::<String>::new());
}

#[test]
fn a_non_sigv4_authorization_is_an_incomplete_signature() {
    let server = TestServer::start();
    let t = target("ListRepositories");
    for auth in [
        "Basic abc",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
    ] {
        let r = request(
            server.addr,
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", &t),
                ("Authorization", auth),
            ],
            b"{}",
        );
        assert_eq!(json_error(&r), "IncompleteSignatureException", "{auth}");
    }
}

#[test]
fn a_non_sigv4_authorization_is_refused() {
    // The part of the check above that holds today: the call is refused with a 400 and does
    // not run.
    let server = TestServer::start();
    let r = request(
        server.addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", &target("CreateRepository")),
            ("Authorization", "Basic abc"),
        ],
        br#"{"repositoryName":"r"}"#,
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.json()["__type"]
            .as_str()
            .unwrap()
            .starts_with("IncompleteSignature"),
        "{}",
        r.text()
    );
    let r = api(server.addr, &target("ListRepositories"), "{}");
    assert_eq!(r.json()["repositories"], serde_json::json!([]));
}

#[tokio::test]
async fn the_sigv4_credential_scope_picks_account_and_region() {
    let server = TestServer::start();
    let t = target("CreateRepository");
    let r = request(
        server.addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", &t),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=111122223333/20260101/eu-west-1/codecommit/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=abcd",
            ),
            ("X-Amz-Date", "20260101T000000Z"),
        ],
        br#"{"repositoryName":"scoped"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let md = &r.json()["repositoryMetadata"];
    assert_eq!(md["accountId"], "111122223333");
    assert_eq!(
        md["Arn"],
        "arn:aws:codecommit:eu-west-1:111122223333:scoped"
    );

    let scoped = server.client_in("111122223333", "eu-west-1");
    let got = get_repo(&scoped, "scoped").await;
    assert_eq!(got.account_id(), Some("111122223333"));
    assert_eq!(
        got.repository_id(),
        md["repositoryId"].as_str(),
        "the SDK sees the same repository"
    );
    // Not in the default scope, nor in the same account's other region.
    assert!(list_names(&server.client()).await.is_empty());
    assert!(
        list_names(&server.client_in("111122223333", "us-east-1"))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn health_and_reset() {
    let server = TestServer::start();
    let r = request(server.addr, "GET", "/health", &[], b"");
    assert_eq!(r.status, 200);

    let client = server.client();
    let md = create_repo(&client, "r").await;
    let other = server.client_in("111111111111", "eu-west-1");
    create_repo(&other, "elsewhere").await;
    let url = md.clone_url_http().unwrap().to_owned();
    let git = Git::new();
    git.push_new(&url, "work", &[&[("a", "a")]]);

    let r = request(server.addr, "POST", "/reset", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["reset"], true);

    assert!(list_names(&client).await.is_empty());
    assert!(list_names(&other).await.is_empty());
    let path = "/v1/repos/r/info/refs?service=git-upload-pack";
    let r = request(server.addr, "GET", path, &[], b"");
    assert_eq!(r.status, 404);
    git.fails(git.root(), &["ls-remote", &url]);

    // The server works as before afterwards: the name is free again.
    let again = create_repo(&client, "r").await;
    assert_ne!(again.repository_id(), md.repository_id());
    assert!(git.ls_remote(&url).is_empty());
}
