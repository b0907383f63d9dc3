//! git over HTTPS the way CodeCommit users connect: the generated CA, git-remote-codecommit
//! (unchanged, from the test virtualenv), the aws CLI's credential helper, IAM-style Git
//! credentials; and what `--auth verify` refuses (401 without credentials, 403 for bad ones,
//! nothing changed).

use crate::auth::*;
use crate::common::git::Git;
use crate::common::process::{Process, command};
use crate::common::*;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

fn https_url(server: &TestServer, path: &str) -> String {
    format!(
        "https://localhost:{}{path}",
        server.https_addr.unwrap().port()
    )
}

/// A git runner that trusts the server's CA and sees the virtualenv's tools, with no AWS
/// configuration of its own (and no instance-metadata lookups).
fn https_git(server: &TestServer) -> Git {
    let mut git = Git::new();
    git.set_env(
        "GIT_SSL_CAINFO",
        server.ca.as_ref().expect("a generated CA"),
    );
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![venv_bin()];
    paths.extend(std::env::split_paths(&path));
    git.set_env("PATH", std::env::join_paths(paths).unwrap());
    let home = git.home().to_owned();
    git.set_env("AWS_CONFIG_FILE", home.join("no-aws-config"));
    git.set_env(
        "AWS_SHARED_CREDENTIALS_FILE",
        home.join("no-aws-credentials"),
    );
    git.set_env("AWS_EC2_METADATA_DISABLED", "true");
    for var in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        git.remove_env(var);
    }
    git
}

fn aws_credentials(git: &mut Git, key: &str, secret: &str, token: Option<&str>, region: &str) {
    git.set_env("AWS_ACCESS_KEY_ID", key);
    git.set_env("AWS_SECRET_ACCESS_KEY", secret);
    match token {
        Some(t) => git.set_env("AWS_SESSION_TOKEN", t),
        None => git.remove_env("AWS_SESSION_TOKEN"),
    }
    git.set_env("AWS_DEFAULT_REGION", region);
}

/// The aws CLI's credential helper, as the CodeCommit User Guide configures it.
fn use_credential_helper(git: &Git) {
    git.ok(
        git.root(),
        &[
            "config",
            "--global",
            "credential.helper",
            "!aws codecommit credential-helper --ignore-host-check $@",
        ],
    );
    git.ok(
        git.root(),
        &["config", "--global", "credential.UseHttpPath", "true"],
    );
}

async fn branch_tip(
    client: &aws_sdk_codecommit::Client,
    repo: &str,
    branch: &str,
) -> Option<String> {
    client
        .get_branch()
        .repository_name(repo)
        .branch_name(branch)
        .send()
        .await
        .ok()
        .and_then(|o| o.branch)
        .and_then(|b| b.commit_id)
}

#[tokio::test]
async fn clone_fetch_push_and_shallow_over_https_with_the_generated_ca() {
    let server = TestServer::start_with(|c| c.https_port = Some(0));
    let client = server.client();
    create_repo(&client, "tls").await;
    let git = https_git(&server);
    let url = https_url(&server, "/v1/repos/tls");
    let work = git.push_new(
        &url,
        "work",
        &[&[("a.txt", "one\n")], &[("a.txt", "two\n")]],
    );
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    assert_eq!(
        branch_tip(&client, "tls", "main").await.as_deref(),
        Some(head.as_str())
    );

    let clone = git.clone(&url, "clone");
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]), head);
    let next = git.commit_file(&work, "b.txt", "three\n", "third");
    git.ok(&work, &["push", "-q", "origin", "main"]);
    git.ok(&clone, &["fetch", "-q", "origin"]);
    assert_eq!(git.ok(&clone, &["rev-parse", "origin/main"]), next);

    let shallow = git.dir("shallow");
    git.ok(
        git.root(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &url,
            shallow.to_str().unwrap(),
        ],
    );
    assert_eq!(git.ok(&shallow, &["rev-list", "--count", "HEAD"]), "1");
    assert_eq!(git.ok(&shallow, &["rev-parse", "HEAD"]), next);

    // Without the CA, git refuses the certificate.
    let mut untrusting = https_git(&server);
    untrusting.remove_env("GIT_SSL_CAINFO");
    untrusting.set_env("GIT_SSL_CAINFO", git.home().join("empty.pem"));
    std::fs::write(git.home().join("empty.pem"), "").unwrap();
    let stderr = untrusting.fails(untrusting.root(), &["ls-remote", &url]);
    assert!(
        stderr.contains("certificate") || stderr.contains("SSL"),
        "{stderr}"
    );
}

#[tokio::test]
async fn git_remote_codecommit_clones_and_pushes_through_code_commit_endpoint() {
    let server = verifying_server(true);
    let alice = client_with(
        &server.endpoint(),
        ALICE_KEY,
        ALICE_SECRET,
        None,
        DEFAULT_REGION,
    );
    let alice_eu = client_with(
        &server.endpoint(),
        ALICE_KEY,
        ALICE_SECRET,
        None,
        "eu-west-1",
    );
    create_repo(&alice, "grc").await;
    create_repo(&alice_eu, "grc-eu").await;
    let mut git = https_git(&server);
    aws_credentials(&mut git, ALICE_KEY, ALICE_SECRET, None, DEFAULT_REGION);
    // The host with its port, as git-remote-codecommit signs it.
    git.set_env(
        "CODE_COMMIT_ENDPOINT",
        format!("localhost:{}", server.https_addr.unwrap().port()),
    );
    let mut events = server.state.events.subscribe();

    let work = git.push_new("codecommit://grc", "work", &[&[("a", "via grc\n")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    assert_eq!(
        branch_tip(&alice, "grc", "main").await.as_deref(),
        Some(head.as_str())
    );
    let event = events.try_recv().expect("the push was recorded");
    assert_eq!(event.account, "111122223333");
    assert_eq!(event.actor_arn, ALICE_ARN);

    let clone = git.clone("codecommit::us-east-1://grc", "clone");
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]), head);

    // The region in the URL is the region signed for, and so the repository's region.
    let eu = git.push_new(
        "codecommit::eu-west-1://grc-eu",
        "work-eu",
        &[&[("b", "eu\n")]],
    );
    let eu_head = git.ok(&eu, &["rev-parse", "HEAD"]);
    assert_eq!(
        branch_tip(&alice_eu, "grc-eu", "main").await.as_deref(),
        Some(eu_head.as_str())
    );
    // grc-eu does not exist in us-east-1.
    let stderr = git.fails(git.root(), &["ls-remote", "codecommit::us-east-1://grc-eu"]);
    assert!(stderr.contains("not found"), "{stderr}");
}

#[tokio::test]
async fn git_remote_codecommit_with_temporary_credentials() {
    let server = verifying_server(true);
    let alice = client_with(
        &server.endpoint(),
        ALICE_KEY,
        ALICE_SECRET,
        None,
        DEFAULT_REGION,
    );
    create_repo(&alice, "temp").await;
    let out = server
        .sts_with(ALICE_KEY, ALICE_SECRET, None)
        .assume_role()
        .role_arn("arn:aws:iam::111122223333:role/Pusher")
        .role_session_name("ci")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let mut git = https_git(&server);
    aws_credentials(
        &mut git,
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
        DEFAULT_REGION,
    );
    git.set_env(
        "CODE_COMMIT_ENDPOINT",
        format!("localhost:{}", server.https_addr.unwrap().port()),
    );
    let mut events = server.state.events.subscribe();
    git.push_new("codecommit://temp", "work", &[&[("a", "temporary\n")]]);
    let event = events.try_recv().expect("the push was recorded");
    assert_eq!(
        event.actor_arn,
        "arn:aws:sts::111122223333:assumed-role/Pusher/ci"
    );

    // The key with another token is refused.
    aws_credentials(
        &mut git,
        c.access_key_id(),
        c.secret_access_key(),
        Some("not-the-token"),
        DEFAULT_REGION,
    );
    let stderr = git.fails(git.root(), &["ls-remote", "codecommit://temp"]);
    assert!(stderr.contains("403"), "{stderr}");
}

#[tokio::test]
async fn the_aws_cli_credential_helper_on_both_listeners() {
    let server = verifying_server(true);
    let bob = client_with(
        &server.endpoint(),
        BOB_KEY,
        BOB_SECRET,
        None,
        DEFAULT_REGION,
    );
    create_repo(&bob, "helper").await;
    let mut git = https_git(&server);
    aws_credentials(&mut git, BOB_KEY, BOB_SECRET, None, DEFAULT_REGION);
    use_credential_helper(&git);
    let mut events = server.state.events.subscribe();
    // The unprefixed URL: the credentials name the account (444455556666).
    let url = https_url(&server, "/v1/repos/helper");
    let work = git.push_new(&url, "work", &[&[("a", "helper\n")]]);
    assert_eq!(events.try_recv().unwrap().actor_arn, BOB_ARN);
    let clone = git.clone(&url, "clone");
    assert_eq!(
        git.ok(&clone, &["rev-parse", "HEAD"]),
        git.ok(&work, &["rev-parse", "HEAD"])
    );
    // The prefixed clone URL the API hands out works too, over plain HTTP as well.
    let prefixed = format!("{}/444455556666/us-east-1/v1/repos/helper", server.base_url);
    git.clone(&prefixed, "clone-http");
    let plain = format!("{}/v1/repos/helper", server.base_url);
    git.clone(&plain, "clone-http-unprefixed");

    // A wrong secret: 403, nothing changed.
    let before = branch_tip(&bob, "helper", "main").await;
    aws_credentials(&mut git, BOB_KEY, "not-bob's-secret", None, DEFAULT_REGION);
    git.commit_file(&work, "b", "forged\n", "forged");
    let stderr = git.fails(&work, &["push", "origin", "main"]);
    assert!(stderr.contains("403"), "{stderr}");
    assert!(stderr.contains("signature does not match"), "{stderr}");
    assert_eq!(branch_tip(&bob, "helper", "main").await, before);
    // An unknown key likewise.
    aws_credentials(&mut git, "AKIANOBODY", "x", None, DEFAULT_REGION);
    let stderr = git.fails(&work, &["push", "origin", "main"]);
    assert!(stderr.contains("access key is not known"), "{stderr}");
    assert_eq!(branch_tip(&bob, "helper", "main").await, before);
}

#[tokio::test]
async fn git_credentials_and_refusals() {
    let server = verifying_server(true);
    let alice = client_with(
        &server.endpoint(),
        ALICE_KEY,
        ALICE_SECRET,
        None,
        DEFAULT_REGION,
    );
    let bob = client_with(
        &server.endpoint(),
        BOB_KEY,
        BOB_SECRET,
        None,
        DEFAULT_REGION,
    );
    create_repo(&alice, "creds").await;
    create_repo(&bob, "bobs").await;
    let git = https_git(&server);
    let port = server.https_addr.unwrap().port();
    let password = GIT_PASSWORD.replace('=', "%3D");
    let url = format!("https://{GIT_USER}:{password}@localhost:{port}/v1/repos/creds");
    let mut events = server.state.events.subscribe();
    let work = git.push_new(&url, "work", &[&[("a", "git credentials\n")]]);
    assert_eq!(events.try_recv().unwrap().actor_arn, ALICE_ARN);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);

    // A wrong password: 403 and nothing changed.
    git.commit_file(&work, "b", "x\n", "second");
    let wrong = format!("https://{GIT_USER}:nope@localhost:{port}/v1/repos/creds");
    let stderr = git.fails(&work, &["push", &wrong, "main"]);
    assert!(stderr.contains("403"), "{stderr}");
    assert!(stderr.contains("wrong password"), "{stderr}");
    // A user the principals file does not list.
    let stranger = format!("https://eve-at-111122223333:pw@localhost:{port}/v1/repos/creds");
    let stderr = git.fails(&work, &["push", &stranger, "main"]);
    assert!(stderr.contains("unknown Git credentials user"), "{stderr}");
    assert_eq!(
        branch_tip(&alice, "creds", "main").await.as_deref(),
        Some(head.as_str())
    );

    // Alice's credentials on the URL of bob's account: 403.
    let foreign = format!(
        "https://{GIT_USER}:{password}@localhost:{port}/444455556666/us-east-1/v1/repos/bobs"
    );
    let stderr = git.fails(git.root(), &["ls-remote", &foreign]);
    assert!(stderr.contains("403"), "{stderr}");
    assert!(stderr.contains("in account 444455556666"), "{stderr}");

    // A SigV4 password signed 20 minutes ago (made with the SDK's signer): refused.
    let signed_at = SystemTime::now() - Duration::from_secs(20 * 60);
    let stamp = codecommit_local::timefmt::amz_date(
        signed_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    );
    let stamp = stamp.trim_end_matches('Z');
    let canonical = format!("GIT\n/v1/repos/creds\n\nhost:localhost:{port}\n\nhost\n");
    let hash = codecommit_local::identity::verify::sha256_hex(canonical.as_bytes());
    let sts = format!(
        "AWS4-HMAC-SHA256\n{stamp}\n{}/us-east-1/codecommit/aws4_request\n{hash}",
        &stamp[..8]
    );
    let key = aws_sigv4::sign::v4::generate_signing_key(
        ALICE_SECRET,
        signed_at,
        "us-east-1",
        "codecommit",
    );
    let signature = aws_sigv4::sign::v4::calculate_signature(key, sts.as_bytes());
    let old = format!("https://{ALICE_KEY}:{stamp}Z{signature}@localhost:{port}/v1/repos/creds");
    let stderr = git.fails(git.root(), &["ls-remote", &old]);
    assert!(stderr.contains("403"), "{stderr}");
    assert!(stderr.contains("more than 15 minutes"), "{stderr}");

    // No credentials at all: 401 with a Basic challenge, so git asks its helper.
    let r = crate::common::http::request(
        server.addr,
        "GET",
        "/v1/repos/creds/info/refs?service=git-upload-pack",
        &[],
        b"",
    );
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
    let stderr = git.fails(
        git.root(),
        &["ls-remote", &https_url(&server, "/v1/repos/creds")],
    );
    assert!(stderr.contains("could not read Username"), "{stderr}");
    assert_eq!(
        branch_tip(&alice, "creds", "main").await.as_deref(),
        Some(head.as_str())
    );
}

#[tokio::test]
async fn the_aws_cli_over_https_with_aws_ca_bundle() {
    let server = verifying_server(true);
    let alice = client_with(
        &server.endpoint(),
        ALICE_KEY,
        ALICE_SECRET,
        None,
        DEFAULT_REGION,
    );
    create_repo(&alice, "cli").await;
    let aws = |secret: &str| {
        let home = tempfile::tempdir().unwrap();
        std::process::Command::new(venv_bin().join("aws"))
            .args([
                "--endpoint-url",
                &https_url(&server, ""),
                "codecommit",
                "get-repository",
                "--repository-name",
                "cli",
                "--output",
                "json",
            ])
            .env("HOME", home.path())
            .env("AWS_CA_BUNDLE", server.ca.as_ref().unwrap())
            .env("AWS_ACCESS_KEY_ID", ALICE_KEY)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env("AWS_DEFAULT_REGION", DEFAULT_REGION)
            .env("AWS_CONFIG_FILE", home.path().join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap()
    };
    let ok = aws(ALICE_SECRET);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(out["repositoryMetadata"]["accountId"], "111122223333");
    let bad = aws("wrong");
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("InvalidSignatureException"), "{stderr}");
}

#[tokio::test]
async fn https_public_url_makes_https_clone_urls() {
    // A free port for the HTTPS listener, known before it starts (the clone URL names it).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = TestServer::start_with(|c| {
        c.https_port = Some(port);
        c.public_url = Some(format!("https://localhost:{port}"));
    });
    let md = create_repo(&server.client(), "pub").await;
    let url = md.clone_url_http().unwrap().to_owned();
    assert_eq!(url, format!("https://localhost:{port}/v1/repos/pub"));
    let git = https_git(&server);
    git.push_new(&url, "work", &[&[("a", "public\n")]]);
    git.clone(&url, "clone");
}

/// The binary: its startup line says which CA to trust, it reuses the CA on restart, and a
/// TLS client on the plain-HTTP port gets a log line naming the HTTPS port.
#[test]
fn the_binary_names_its_ca_and_notices_tls_on_the_http_port() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let start = || {
        let mut cmd = command(&data);
        cmd.args(["--https-port", "0"]);
        Process::spawn(cmd)
    };
    let server = start();
    let ca: PathBuf = data.join("tls/ca.pem");
    let line = format!("GIT_SSL_CAINFO={}", ca.display());
    assert!(
        server.has_log(&["listening on https://", &line]),
        "{}",
        server.log_text()
    );
    let https_port: u16 = {
        let log = server.log_text();
        let at = log.find("listening on https://").unwrap();
        let rest = &log[at + "listening on https://".len()..];
        let addr: std::net::SocketAddr = rest.split_whitespace().next().unwrap().parse().unwrap();
        addr.port()
    };
    // A ClientHello's first bytes on the plain port.
    let mut tcp = std::net::TcpStream::connect(server.addr).unwrap();
    use std::io::{Read as _, Write as _};
    tcp.write_all(&[
        0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,
    ])
    .unwrap();
    let mut buf = Vec::new();
    let _ = tcp.read_to_end(&mut buf);
    assert!(buf.is_empty(), "no HTTP answer to a TLS client");
    assert!(
        server.has_log(&[
            "TLS handshake arrived on the plain-HTTP port",
            &format!("port {https_port}")
        ]),
        "{}",
        server.log_text()
    );
    let first = std::fs::read(&ca).unwrap();
    drop(server);
    let again = start();
    assert!(again.has_log(&[&line]));
    assert_eq!(std::fs::read(&ca).unwrap(), first, "the CA is reused");
}

/// `--auth off` over HTTPS: git-remote-codecommit reaches a repository of the account its key
/// names (any secret), because a repository the default account lacks asks for credentials.
#[tokio::test]
async fn off_mode_https_asks_for_credentials_before_not_found() {
    let server = TestServer::start_with(|c| c.https_port = Some(0));
    let client = server.client_in("111122223333", DEFAULT_REGION);
    create_repo(&client, "elsewhere").await;
    let mut git = https_git(&server);
    aws_credentials(&mut git, "111122223333", "any-secret", None, DEFAULT_REGION);
    git.set_env(
        "CODE_COMMIT_ENDPOINT",
        format!("localhost:{}", server.https_addr.unwrap().port()),
    );
    let work = git.push_new("codecommit://elsewhere", "work", &[&[("a", "off\n")]]);
    let head = git.ok(&work, &["rev-parse", "HEAD"]);
    assert_eq!(
        branch_tip(&client, "elsewhere", "main").await.as_deref(),
        Some(head.as_str())
    );
    // Without credentials, the HTTPS answer is a challenge, not "not found".
    let stderr = git.fails(
        git.root(),
        &["ls-remote", &https_url(&server, "/v1/repos/elsewhere")],
    );
    assert!(stderr.contains("could not read Username"), "{stderr}");
    // A repository that really is missing is still not found once credentials come.
    let stderr = git.fails(git.root(), &["ls-remote", "codecommit://nowhere"]);
    assert!(stderr.contains("not found"), "{stderr}");
}

/// `--tls-cert`/`--tls-key`: a given certificate is served as it is (here, one another
/// server generated), and no CA is generated.
#[tokio::test]
async fn a_given_certificate_is_served() {
    let first = TestServer::start_with(|c| c.https_port = Some(0));
    let tls = first.data_dir.join("tls");
    let server = TestServer::start_with(|c| {
        c.https_port = Some(0);
        c.tls_cert = Some(tls.join("server.pem"));
        c.tls_key = Some(tls.join("server-key.pem"));
    });
    assert!(server.ca.is_none());
    assert!(!server.data_dir.join("tls").exists());
    create_repo(&server.client(), "given").await;
    let mut git = Git::new();
    git.set_env("GIT_SSL_CAINFO", tls.join("ca.pem"));
    git.push_new(
        &https_url(&server, "/v1/repos/given"),
        "work",
        &[&[("a", "given\n")]],
    );
}
