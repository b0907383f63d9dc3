//! The test harness: `TestServer` (an in-process server on its own runtime and thread),
//! SDK clients for any account/region, a `git` CLI runner with an isolated HOME, and a raw
//! HTTP helper for protocol-level checks.
#![allow(dead_code)]

pub mod git;
pub mod http;
pub mod process;

use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_codecommit::types::RepositoryMetadata;
use codecommit_local::{AppState, Config};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub const DEFAULT_ACCOUNT: &str = "000000000000";
pub const DEFAULT_REGION: &str = "us-east-1";

/// A server bound to a free loopback port with a fresh data directory. It runs on its own
/// runtime thread, so tests may block (e.g. on `git`) without starving it.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The HTTPS listener, when the configuration asked for one.
    pub https_addr: Option<SocketAddr>,
    /// The CA that signed the HTTPS certificate (generated into the data dir).
    pub ca: Option<PathBuf>,
    pub base_url: String,
    pub state: Arc<AppState>,
    pub data_dir: PathBuf,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(|_| {})
    }

    /// Starts a server after letting the test adjust its configuration.
    pub fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        let mut config = Config::for_data_dir(&data_dir);
        adjust(&mut config);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("server runtime");
            rt.block_on(async move {
                let bound = codecommit_local::bind(config).await.expect("server starts");
                let ca = bound.tls_files.as_ref().and_then(|f| f.ca.clone());
                ready_tx
                    .send((bound.addr, bound.https_addr, ca, bound.state.clone()))
                    .expect("ready");
                bound
                    .serve(async move {
                        let _ = shutdown_rx.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        let (addr, https_addr, ca, state) = ready_rx.recv().expect("server ready");
        TestServer {
            base_url: state.base_url.clone(),
            addr,
            https_addr,
            ca,
            state,
            data_dir,
            _dir: dir,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// A client for the default account and region (an access key that is not an account id).
    pub fn client(&self) -> Client {
        client_for(&self.endpoint(), "AKIDEXAMPLE", DEFAULT_REGION)
    }

    /// A client whose access key is the 12-digit `account`, signing for `region`.
    pub fn client_in(&self, account: &str, region: &str) -> Client {
        client_for(&self.endpoint(), account, region)
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The clone URL the API hands out for a repository of the default scope.
    pub fn clone_url(&self, name: &str) -> String {
        format!("{}/v1/repos/{name}", self.base_url)
    }
}

impl TestServer {
    /// An STS client (the same endpoint answers STS) signing with the given access key.
    pub fn sts(&self, access_key: &str) -> aws_sdk_sts::Client {
        self.sts_with(access_key, "secret", None)
    }

    pub fn sts_with(
        &self,
        access_key: &str,
        secret: &str,
        session_token: Option<&str>,
    ) -> aws_sdk_sts::Client {
        let creds = Credentials::new(
            access_key,
            secret,
            session_token.map(str::to_owned),
            None,
            "tests",
        );
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new(DEFAULT_REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(creds)
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    /// Temporary credentials for `role_arn` from our STS, and a CodeCommit client using them.
    pub async fn assume_role(&self, role_arn: &str, session: &str) -> (Client, String) {
        let out = self
            .sts("AKIDEXAMPLE")
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session)
            .send()
            .await
            .expect("AssumeRole");
        let c = out.credentials().expect("credentials");
        let arn = out.assumed_role_user().expect("user").arn().to_owned();
        let client = client_with(
            &self.endpoint(),
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
            DEFAULT_REGION,
        );
        (client, arn)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn client_for(endpoint: &str, access_key: &str, region: &str) -> Client {
    client_with(endpoint, access_key, "secret", None, region)
}

/// A CodeCommit client signing with the given credentials (e.g. temporary ones from STS).
pub fn client_with(
    endpoint: &str,
    access_key: &str,
    secret: &str,
    session_token: Option<&str>,
    region: &str,
) -> Client {
    let creds = Credentials::new(
        access_key,
        secret,
        session_token.map(str::to_owned),
        None,
        "tests",
    );
    let conf = aws_sdk_codecommit::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .build();
    Client::from_conf(conf)
}

/// The exception name (`__type`) of an SDK error, for `assert_eq!(code(&err), "…Exception")`.
pub fn code<E, R>(err: &aws_sdk_codecommit::error::SdkError<E, R>) -> String
where
    E: aws_sdk_codecommit::error::ProvideErrorMetadata,
{
    use aws_sdk_codecommit::error::ProvideErrorMetadata as _;
    err.code().unwrap_or("<no code>").to_owned()
}

/// Asserts that an SDK call failed with the named exception.
#[macro_export]
macro_rules! assert_err {
    ($result:expr, $name:expr) => {{
        match $result {
            Ok(v) => panic!("expected {} but the call succeeded: {:?}", $name, v),
            Err(e) => assert_eq!($crate::common::code(&e), $name, "unexpected error: {e:?}"),
        }
    }};
}

/// A tool installed in the test virtualenv (`git-remote-codecommit`, `aws`): `.ci/run` makes it
/// at `$CODECOMMIT_LOCAL_TEST_VENV` (default `target/test-venv`). Tests that need these tools
/// fail, not skip, when it is missing.
pub fn venv_bin() -> PathBuf {
    let venv = std::env::var_os("CODECOMMIT_LOCAL_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv")
        });
    let bin = venv.join("bin");
    for tool in ["git-remote-codecommit", "aws"] {
        assert!(
            bin.join(tool).is_file(),
            "{tool} is not installed in the test virtualenv {}: create it with\n  python3 -m venv {0} && {0}/bin/pip install git-remote-codecommit awscli\n(.ci/run does this; CODECOMMIT_LOCAL_TEST_VENV names another venv)",
            venv.display()
        );
    }
    bin
}

/// Creates a repository (default options) and returns its metadata.
pub async fn create_repo(client: &Client, name: &str) -> RepositoryMetadata {
    client
        .create_repository()
        .repository_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating {name}: {e:?}"))
        .repository_metadata
        .expect("repositoryMetadata")
}

/// A server with one empty repository `name`: the server, a client of the default scope and
/// the repository's clone URL.
pub async fn server_with(name: &str) -> (TestServer, Client, String) {
    let server = TestServer::start();
    let client = server.client();
    let md = create_repo(&client, name).await;
    let url = md.clone_url_http().unwrap().to_owned();
    (server, client, url)
}

/// GetRepository, which must succeed.
pub async fn get_repo(client: &Client, name: &str) -> RepositoryMetadata {
    client
        .get_repository()
        .repository_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("getting {name}: {e:?}"))
        .repository_metadata
        .expect("repositoryMetadata")
}

/// The names of every repository ListRepositories shows (all pages), in the order given.
pub async fn list_names(client: &Client) -> Vec<String> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_repositories()
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        names.extend(
            out.repositories()
                .iter()
                .map(|r| r.repository_name().unwrap().to_owned()),
        );
        match out.next_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return names,
        }
    }
}

/// Seconds since the epoch, as the API's timestamps count them.
pub fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A DateTime from the API as epoch seconds.
pub fn secs(t: Option<&aws_sdk_codecommit::primitives::DateTime>) -> f64 {
    let t = t.expect("timestamp present");
    t.secs() as f64 + f64::from(t.subsec_nanos()) / 1e9
}

/// A unique-enough name for resources in one test.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid_like()[..8])
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:016x}", nanos ^ (std::process::id() as u128) << 32)
}
