//! `--auth verify`: SigV4 on the API and STS (headers and presigned URLs) with AWS's errors;
//! `--auth off` accepts anything; health and reset are unauthenticated (reset can be off).

use crate::assert_err;
use crate::common::http::{self, RawResponse};
use crate::common::*;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use codecommit_local::config::AuthMode;
use codecommit_local::identity::PrincipalsFile;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub const ALICE_KEY: &str = "AKIAALICEEXAMPLE";
pub const ALICE_SECRET: &str = "alice/secret+Key";
pub const ALICE_ARN: &str = "arn:aws:iam::111122223333:user/alice";
pub const BOB_KEY: &str = "AKIABOBEXAMPLE";
pub const BOB_SECRET: &str = "bob-secret";
pub const BOB_ARN: &str = "arn:aws:iam::444455556666:user/bob";
pub const GIT_USER: &str = "alice-at-111122223333";
pub const GIT_PASSWORD: &str = "alice-git-password=";

/// The principals file the verifying servers use: alice (111122223333) and bob
/// (444455556666) with secrets, and a Git credential for alice.
pub fn principals() -> Arc<PrincipalsFile> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("principals.toml");
    std::fs::write(
        &path,
        format!(
            "[[principals]]\naccess_key_id = \"{ALICE_KEY}\"\nsecret_access_key = \"{ALICE_SECRET}\"\narn = \"{ALICE_ARN}\"\n\n\
             [[principals]]\naccess_key_id = \"{BOB_KEY}\"\nsecret_access_key = \"{BOB_SECRET}\"\narn = \"{BOB_ARN}\"\n\n\
             [[git_credentials]]\nuser_name = \"{GIT_USER}\"\npassword = \"{GIT_PASSWORD}\"\narn = \"{ALICE_ARN}\"\n"
        ),
    )
    .unwrap();
    Arc::new(PrincipalsFile::load(&path).unwrap())
}

/// A server that verifies, with the principals above; `https` adds the HTTPS listener.
pub fn verifying_server(https: bool) -> TestServer {
    TestServer::start_with(|c| {
        c.auth = AuthMode::Verify;
        c.principals = Some(principals());
        if https {
            c.https_port = Some(0);
        }
    })
}

/// One awsJson call signed by aws-sigv4 (the SDK's signer) at `time`, in the header or as a
/// presigned query.
#[allow(clippy::too_many_arguments)]
pub fn signed_call(
    server: &TestServer,
    target: &str,
    body: &str,
    key: &str,
    secret: &str,
    token: Option<&str>,
    time: SystemTime,
    location: SignatureLocation,
) -> RawResponse {
    let identity = aws_credential_types::Credentials::new(
        key,
        secret,
        token.map(str::to_owned),
        None,
        "tests",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = location;
    if location == SignatureLocation::QueryParams {
        settings.expires_in = Some(Duration::from_secs(300));
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(DEFAULT_REGION)
        .name("codecommit")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("http://{}/", server.addr);
    let headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", target),
    ];
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut sent: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (k, v) in instructions.headers() {
        sent.push((k.to_owned(), v.to_owned()));
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in instructions.params() {
        query.append_pair(k, v);
    }
    let query = query.finish();
    let path = if query.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{query}")
    };
    let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    http::request(server.addr, "POST", &path, &sent, body.as_bytes())
}

const GET_REPO: &str = "CodeCommit_20150413.GetRepository";
const CREATE_REPO: &str = "CodeCommit_20150413.CreateRepository";

fn error_type(r: &RawResponse) -> String {
    r.json()["__type"].as_str().unwrap_or("").to_owned()
}

#[tokio::test]
async fn real_secrets_pass_and_wrong_ones_fail_by_exception() {
    let server = verifying_server(false);
    let alice = client_with(
        &server.endpoint(),
        ALICE_KEY,
        ALICE_SECRET,
        None,
        DEFAULT_REGION,
    );
    let md = create_repo(&alice, "signed").await;
    // The verified key decides the account.
    assert_eq!(md.account_id(), Some("111122223333"));
    let got = get_repo(&alice, "signed").await;
    assert_eq!(got.repository_id(), md.repository_id());

    let wrong = client_with(
        &server.endpoint(),
        ALICE_KEY,
        "not-the-secret",
        None,
        DEFAULT_REGION,
    );
    assert_err!(
        wrong
            .create_repository()
            .repository_name("forged")
            .send()
            .await,
        "InvalidSignatureException"
    );
    let unknown = client_with(&server.endpoint(), "AKIANOBODY", "x", None, DEFAULT_REGION);
    assert_err!(
        unknown
            .get_repository()
            .repository_name("signed")
            .send()
            .await,
        "UnrecognizedClientException"
    );
    // A 12-digit key is not a credential under verify.
    let account_key = server.client_in("111122223333", DEFAULT_REGION);
    assert_err!(
        account_key.list_repositories().send().await,
        "UnrecognizedClientException"
    );
    // Nothing was created by the refused calls.
    assert_eq!(list_names(&alice).await, vec!["signed".to_owned()]);
}

#[tokio::test]
async fn unsigned_incomplete_and_expired_requests_get_aws_errors() {
    let server = verifying_server(false);
    let body = r#"{"repositoryName":"x"}"#;
    let unsigned = http::api(server.addr, CREATE_REPO, body);
    assert_eq!(unsigned.status, 403);
    assert_eq!(error_type(&unsigned), "MissingAuthenticationTokenException");
    assert_eq!(
        unsigned.json()["message"],
        "Request is missing Authentication Token"
    );

    let incomplete = http::request(
        server.addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", CREATE_REPO),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAALICEEXAMPLE/20260101/us-east-1/codecommit/aws4_request, Signature=abc",
            ),
        ],
        body.as_bytes(),
    );
    assert_eq!(incomplete.status, 400);
    assert_eq!(error_type(&incomplete), "IncompleteSignatureException");
    let msg = incomplete.json()["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("'SignedHeaders'"), "{msg}");

    let old = SystemTime::now() - Duration::from_secs(10 * 60);
    let expired = signed_call(
        &server,
        CREATE_REPO,
        body,
        ALICE_KEY,
        ALICE_SECRET,
        None,
        old,
        SignatureLocation::Headers,
    );
    assert_eq!(expired.status, 400);
    assert_eq!(error_type(&expired), "InvalidSignatureException");
    let msg = expired.json()["message"].as_str().unwrap().to_owned();
    assert!(msg.starts_with("Signature expired: "), "{msg}");
    assert!(msg.ends_with(" - 5 min.)"), "{msg}");
    let future = signed_call(
        &server,
        CREATE_REPO,
        body,
        ALICE_KEY,
        ALICE_SECRET,
        None,
        SystemTime::now() + Duration::from_secs(10 * 60),
        SignatureLocation::Headers,
    );
    assert_eq!(error_type(&future), "InvalidSignatureException");
    assert!(
        future.text().contains("Signature not yet current"),
        "{}",
        future.text()
    );

    // Within the window, the same signer passes.
    let fresh = signed_call(
        &server,
        CREATE_REPO,
        body,
        ALICE_KEY,
        ALICE_SECRET,
        None,
        SystemTime::now() - Duration::from_secs(60),
        SignatureLocation::Headers,
    );
    assert_eq!(fresh.status, 200, "{}", fresh.text());
    let alice = client_with(
        &server.endpoint(),
        ALICE_KEY,
        ALICE_SECRET,
        None,
        DEFAULT_REGION,
    );
    assert_eq!(list_names(&alice).await, vec!["x".to_owned()]);
}

/// Without `X-Amz-Date` the `Date` header carries the signing time (AWS General Reference,
/// "Handling dates in Signature Version 4"); a credential is exactly five parts.
#[tokio::test]
async fn a_date_header_stands_in_and_credentials_have_five_parts() {
    use crate::common::recorder::sigv4_authorization;
    let server = verifying_server(false);
    let stamp: String = codecommit_local::timefmt::iso8601_seconds(now_secs().floor())
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    let body = br#"{"repositoryName":"dated"}"#;
    let host = server.addr.to_string();
    let send = |date_header: &str, authorization: &str| {
        http::request(
            server.addr,
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                (date_header, stamp.as_str()),
                ("X-Amz-Target", CREATE_REPO),
                ("Authorization", authorization),
            ],
            body,
        )
    };
    let signed = |date_header: &str| {
        sigv4_authorization(
            ALICE_KEY,
            ALICE_SECRET,
            DEFAULT_REGION,
            "codecommit",
            &stamp,
            &[
                ("content-type", "application/x-amz-json-1.1"),
                (date_header, stamp.as_str()),
                ("host", host.as_str()),
                ("x-amz-target", CREATE_REPO),
            ],
            body,
        )
    };
    let with_date = send("Date", &signed("date"));
    assert_eq!(with_date.status, 200, "{}", with_date.text());
    assert_eq!(
        with_date.json()["repositoryMetadata"]["repositoryName"],
        "dated"
    );

    let six = signed("x-amz-date").replacen(
        &format!("Credential={ALICE_KEY}/"),
        &format!("Credential={ALICE_KEY}/extra/"),
        1,
    );
    let r = send("X-Amz-Date", &six);
    assert_eq!(r.status, 400);
    assert_eq!(error_type(&r), "IncompleteSignatureException");
    let msg = r.json()["message"].as_str().unwrap().to_owned();
    assert!(
        msg.starts_with("Credential must have exactly 5 slash-delimited elements"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_tampered_body_does_not_verify() {
    let server = verifying_server(false);
    // Signed for one body, sent with another: the payload hash differs.
    let identity =
        aws_credential_types::Credentials::new(ALICE_KEY, ALICE_SECRET, None, None, "t").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(DEFAULT_REGION)
        .name("codecommit")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("http://{}/", server.addr);
    let headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", CREATE_REPO),
    ];
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(br#"{"repositoryName":"a"}"#),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut sent: Vec<(&str, &str)> = headers.to_vec();
    sent.extend(instructions.headers());
    let r = http::request(
        server.addr,
        "POST",
        "/",
        &sent,
        br#"{"repositoryName":"b"}"#,
    );
    assert_eq!(error_type(&r), "InvalidSignatureException");
    let msg = r.json()["message"].as_str().unwrap().to_owned();
    assert!(
        msg.contains("The Canonical String for this request should have been"),
        "{msg}"
    );
}

#[tokio::test]
async fn presigned_urls_verify() {
    let server = verifying_server(false);
    let alice = client_with(
        &server.endpoint(),
        ALICE_KEY,
        ALICE_SECRET,
        None,
        DEFAULT_REGION,
    );
    create_repo(&alice, "pre").await;
    let body = r#"{"repositoryName":"pre"}"#;
    let ok = signed_call(
        &server,
        GET_REPO,
        body,
        ALICE_KEY,
        ALICE_SECRET,
        None,
        SystemTime::now(),
        SignatureLocation::QueryParams,
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["repositoryMetadata"]["accountId"], "111122223333");

    let wrong = signed_call(
        &server,
        GET_REPO,
        body,
        ALICE_KEY,
        "wrong",
        None,
        SystemTime::now(),
        SignatureLocation::QueryParams,
    );
    assert_eq!(error_type(&wrong), "InvalidSignatureException");
    // Presigned 300 s ahead of an hour ago: expired.
    let old = signed_call(
        &server,
        GET_REPO,
        body,
        ALICE_KEY,
        ALICE_SECRET,
        None,
        SystemTime::now() - Duration::from_secs(3600),
        SignatureLocation::QueryParams,
    );
    assert_eq!(error_type(&old), "InvalidSignatureException");
    assert!(old.text().contains("Signature expired"), "{}", old.text());
}

#[tokio::test]
async fn sts_verifies_and_its_credentials_need_their_token() {
    let server = verifying_server(false);
    let sts = server.sts_with(ALICE_KEY, ALICE_SECRET, None);
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(ALICE_ARN));
    let err = server
        .sts_with(ALICE_KEY, "wrong", None)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    use aws_sdk_sts::error::ProvideErrorMetadata as _;
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"), "{err:?}");
    let err = server
        .sts_with("AKIANOBODY", "x", None)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"), "{err:?}");

    let out = sts
        .assume_role()
        .role_arn("arn:aws:iam::111122223333:role/Reviewer")
        .role_session_name("rev")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let reviewer = client_with(
        &server.endpoint(),
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
        DEFAULT_REGION,
    );
    let md = create_repo(&reviewer, "by-role").await;
    assert_eq!(md.account_id(), Some("111122223333"));
    // The same key without its token, or with another one, is not recognized.
    let tokenless = client_with(
        &server.endpoint(),
        c.access_key_id(),
        c.secret_access_key(),
        None,
        DEFAULT_REGION,
    );
    assert_err!(
        tokenless.list_repositories().send().await,
        "UnrecognizedClientException"
    );
    let other_token = client_with(
        &server.endpoint(),
        c.access_key_id(),
        c.secret_access_key(),
        Some("not-the-token"),
        DEFAULT_REGION,
    );
    assert_err!(
        other_token.list_repositories().send().await,
        "UnrecognizedClientException"
    );
}

#[tokio::test]
async fn off_mode_accepts_any_signature() {
    let server = TestServer::start_with(|c| c.principals = Some(principals()));
    let wrong = client_with(
        &server.endpoint(),
        ALICE_KEY,
        "not-the-secret",
        None,
        DEFAULT_REGION,
    );
    let md = create_repo(&wrong, "anything-goes").await;
    assert_eq!(md.account_id(), Some("111122223333"));
    let unsigned = http::api(server.addr, GET_REPO, r#"{"repositoryName":"nope"}"#);
    assert_eq!(error_type(&unsigned), "RepositoryDoesNotExistException");
}

#[tokio::test]
async fn health_is_open_and_reset_can_be_disabled() {
    let server = TestServer::start_with(|c| {
        c.auth = AuthMode::Verify;
        c.principals = Some(principals());
        c.reset_enabled = false;
    });
    let health = http::request(server.addr, "GET", "/health", &[], b"");
    assert_eq!(health.status, 200);
    let alice = client_with(
        &server.endpoint(),
        ALICE_KEY,
        ALICE_SECRET,
        None,
        DEFAULT_REGION,
    );
    create_repo(&alice, "kept").await;
    let reset = http::request(server.addr, "POST", "/reset", &[], b"");
    assert_eq!(reset.status, 403);
    assert!(reset.text().contains("disabled"), "{}", reset.text());
    assert_eq!(list_names(&alice).await, vec!["kept".to_owned()]);

    // Enabled (the default), reset needs no signature even under verify.
    let open = verifying_server(false);
    let alice = client_with(
        &open.endpoint(),
        ALICE_KEY,
        ALICE_SECRET,
        None,
        DEFAULT_REGION,
    );
    create_repo(&alice, "gone").await;
    let reset = http::request(open.addr, "POST", "/reset", &[], b"");
    assert_eq!(reset.status, 200);
    assert!(list_names(&alice).await.is_empty());
}
