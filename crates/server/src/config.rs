//! Server configuration: what the command line (or its environment variables) decides.

use std::path::PathBuf;
use std::time::Duration;

/// Repositories per account and region (CodeCommit quota; codecommit-facts.md §1).
pub const DEFAULT_REPOSITORY_LIMIT: usize = 1000;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub host: String,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Where metadata (SQLite) and the bare git repositories live.
    pub data_dir: PathBuf,
    /// Region used when a request carries no SigV4 credential scope.
    pub default_region: String,
    /// Account used when a request carries no 12-digit access key id.
    pub default_account: String,
    /// Base URL put into clone URLs (e.g. `http://codecommit:4599`); derived from host and the
    /// bound port when unset.
    pub public_url: Option<String>,
    /// The `git` executable that serves the wire protocol.
    pub git_binary: PathBuf,
    /// Repositories per account and region (AWS's default quota is 1,000, adjustable).
    pub repository_limit: usize,
    /// How large a merge analysis may get before it is refused.
    pub merge_limits: crate::git::merge::MergeLimits,
    /// Static principals and git credentials (`--principals`), already loaded.
    pub principals: Option<std::sync::Arc<crate::identity::PrincipalsFile>>,
    /// How long a client may take to send a request's headers (also how long a keep-alive
    /// connection may sit idle); `None`: no limit.
    pub header_timeout: Option<Duration>,
    /// How long a request body may go without a byte arriving; `None`: no limit.
    pub body_timeout: Option<Duration>,
    /// Connections open at once; `None`: derived from the open-file limit.
    pub max_connections: Option<usize>,
    /// Open pull requests per repository (AWS's quota is 1,000).
    pub open_pull_request_limit: usize,
    /// Bytes of API request bodies held in memory at once (decoded); a call that would go over
    /// waits briefly, then gets `ThrottlingException`.
    pub max_body_memory: usize,
    /// Background repository maintenance: on/off, what triggers a run, how hard it works.
    pub maintenance: crate::git::maintenance::MaintenanceConfig,
    /// Port of the HTTPS listener (0 picks a free one); `None`: no HTTPS listener.
    pub https_port: Option<u16>,
    /// The HTTPS certificate chain and key (PEM); unset: a generated local CA signs one.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Names the generated certificate carries besides `localhost`, `127.0.0.1` and `::1`.
    pub tls_names: Vec<String>,
    /// Whether signatures and git credentials are checked.
    pub auth: AuthMode,
    /// Whether `POST /reset` wipes the server (it is unauthenticated).
    pub reset_enabled: bool,
    /// Where events go (triggers, EventBridge, webhook) and how hard delivery tries.
    pub delivery: DeliveryConfig,
}

/// Event delivery: endpoints, credentials, the webhook, retries and the outbox's bounds.
#[derive(Clone)]
pub struct DeliveryConfig {
    /// Endpoint of SNS (`--aws-endpoint-url`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_SNS`).
    pub sns_endpoint: Option<String>,
    /// Endpoint of Lambda (`AWS_ENDPOINT_URL_LAMBDA` or the general one).
    pub lambda_endpoint: Option<String>,
    /// Endpoint of EventBridge (`AWS_ENDPOINT_URL_EVENTBRIDGE` or the general one).
    pub eventbridge_endpoint: Option<String>,
    /// Credentials deliveries are signed with.
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `--webhook`: every EventBridge-shaped event is also POSTed here.
    pub webhook: Option<Webhook>,
    /// Undelivered events kept at most; past it the oldest are dropped (with a warning).
    pub max_pending: usize,
    /// Finished deliveries kept for `GET /_events`.
    pub history: usize,
    /// Attempts per event before it is given up.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubles per attempt up to `backoff_max`.
    pub backoff_initial: std::time::Duration,
    pub backoff_max: std::time::Duration,
    /// Time one delivery call may take (connect, send, answer).
    pub timeout: std::time::Duration,
    /// Deliveries in flight at once (to different destinations or repositories).
    pub concurrency: usize,
    /// During this much of a burst of requests (a script writing as fast as it can), new
    /// deliveries wait for a pause between requests; past it they go beside the burst.
    /// Zero: never wait.
    pub defer_while_busy: std::time::Duration,
}

#[derive(Clone)]
pub struct Webhook {
    pub url: String,
    /// Key of the `X-CodeCommit-Local-Signature-256` HMAC-SHA256 header; no header without it.
    pub secret: Option<String>,
}

/// Defaults for `--events-max-pending`, `--events-history`, `--delivery-attempts`.
pub const DEFAULT_EVENTS_MAX_PENDING: usize = 10_000;
pub const DEFAULT_EVENTS_HISTORY: usize = 1_000;
pub const DEFAULT_DELIVERY_ATTEMPTS: u32 = 10;
/// Default for `--delivery-defer-ms`.
pub const DEFAULT_DELIVERY_DEFER_MS: u64 = 250;

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            sns_endpoint: None,
            lambda_endpoint: None,
            eventbridge_endpoint: None,
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
            webhook: None,
            max_pending: DEFAULT_EVENTS_MAX_PENDING,
            history: DEFAULT_EVENTS_HISTORY,
            max_attempts: DEFAULT_DELIVERY_ATTEMPTS,
            backoff_initial: std::time::Duration::from_millis(500),
            backoff_max: std::time::Duration::from_secs(60),
            timeout: std::time::Duration::from_secs(10),
            concurrency: 16,
            defer_while_busy: std::time::Duration::from_millis(DEFAULT_DELIVERY_DEFER_MS),
        }
    }
}

impl DeliveryConfig {
    /// Sets every service's endpoint to `url` (what `--aws-endpoint-url` does).
    pub fn with_endpoint(mut self, url: &str) -> Self {
        self.sns_endpoint = Some(url.to_owned());
        self.lambda_endpoint = Some(url.to_owned());
        self.eventbridge_endpoint = Some(url.to_owned());
        self
    }
}

impl std::fmt::Debug for DeliveryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryConfig")
            .field("sns_endpoint", &self.sns_endpoint)
            .field("lambda_endpoint", &self.lambda_endpoint)
            .field("eventbridge_endpoint", &self.eventbridge_endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("webhook", &self.webhook.as_ref().map(|w| &w.url))
            .field("max_pending", &self.max_pending)
            .field("history", &self.history)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// Default body memory budget: two of the largest bodies, or a dozen of the largest commits.
pub const DEFAULT_MAX_BODY_MEMORY: usize = 128 * 1024 * 1024;

/// How callers are authenticated (`--auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Any signature and any git credentials are accepted; the access key names the caller.
    #[default]
    Off,
    /// SigV4 signatures (API, STS) and git credentials are verified against the principals
    /// file and STS-issued credentials; what AWS would refuse is refused.
    Verify,
}

impl AuthMode {
    pub fn verify(self) -> bool {
        self == AuthMode::Verify
    }
}

/// The default HTTPS port (one above the HTTP port's default).
pub const DEFAULT_HTTPS_PORT: u16 = 4600;

/// Default header timeout (hyper's and many web servers' choice).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default body idle timeout: generous for a slow push, short of forever.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);

impl Config {
    /// A configuration for tests and embedding: loopback, a free port, the given data dir.
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 0,
            data_dir: data_dir.into(),
            default_region: "us-east-1".into(),
            default_account: "000000000000".into(),
            public_url: None,
            git_binary: "git".into(),
            repository_limit: DEFAULT_REPOSITORY_LIMIT,
            merge_limits: Default::default(),
            principals: None,
            header_timeout: Some(DEFAULT_HEADER_TIMEOUT),
            body_timeout: Some(DEFAULT_BODY_TIMEOUT),
            max_connections: None,
            open_pull_request_limit: crate::api::pull_requests::DEFAULT_OPEN_PULL_REQUEST_LIMIT,
            max_body_memory: DEFAULT_MAX_BODY_MEMORY,
            maintenance: Default::default(),
            https_port: None,
            tls_cert: None,
            tls_key: None,
            tls_names: Vec::new(),
            auth: AuthMode::Off,
            reset_enabled: true,
            delivery: DeliveryConfig::default(),
        }
    }
}

impl Config {
    /// The connection limits the serving loop applies.
    pub fn serve_limits(&self) -> crate::serve::Limits {
        crate::serve::Limits {
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            max_connections: self
                .max_connections
                .unwrap_or_else(crate::serve::default_max_connections),
        }
    }
}

/// The default data directory: `$XDG_DATA_HOME/codecommit-local`, else
/// `~/.local/share/codecommit-local`, else `./codecommit-local-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("codecommit-local");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/codecommit-local");
    }
    PathBuf::from("codecommit-local-data")
}
