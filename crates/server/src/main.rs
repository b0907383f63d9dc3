//! The `codecommit-local` binary: parses flags (also read from the environment) and serves.

use clap::Parser;
use codecommit_local::config::{AuthMode, default_data_dir};
use codecommit_local::{Config, bind};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "codecommit-local",
    version,
    about = "AWS CodeCommit on your own machine: the API and real git over HTTP"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "CODECOMMIT_LOCAL_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free port).
    #[arg(long, env = "CODECOMMIT_LOCAL_PORT", default_value_t = 4599)]
    port: u16,
    /// Where repositories and metadata are kept [default: ~/.local/share/codecommit-local].
    #[arg(long, env = "CODECOMMIT_LOCAL_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Region for requests without a SigV4 credential scope.
    #[arg(long, env = "CODECOMMIT_LOCAL_REGION", default_value = "us-east-1")]
    region: String,
    /// Account for requests without a 12-digit access key id.
    #[arg(
        long,
        env = "CODECOMMIT_LOCAL_ACCOUNT_ID",
        default_value = "000000000000"
    )]
    account_id: String,
    /// Base URL for clone URLs, e.g. http://codecommit:4599 [default: http://localhost:PORT].
    #[arg(long, env = "CODECOMMIT_LOCAL_PUBLIC_URL")]
    public_url: Option<String>,
    /// The git executable (≥ 2.38) that serves the wire protocol.
    #[arg(long, env = "CODECOMMIT_LOCAL_GIT", default_value = "git")]
    git: PathBuf,
    /// Repositories allowed per account and region (AWS's default quota).
    #[arg(long, env = "CODECOMMIT_LOCAL_MAX_REPOSITORIES", default_value_t = codecommit_local::config::DEFAULT_REPOSITORY_LIMIT)]
    max_repositories: usize,
    /// Open pull requests allowed per repository (AWS's quota).
    #[arg(long, env = "CODECOMMIT_LOCAL_MAX_OPEN_PULL_REQUESTS", default_value_t = codecommit_local::api::pull_requests::DEFAULT_OPEN_PULL_REQUEST_LIMIT)]
    max_open_pull_requests: usize,
    /// A TOML or JSON file of static principals (access key → ARN, secrets) and git
    /// credentials; see the README's "Callers" section.
    #[arg(long, env = "CODECOMMIT_LOCAL_PRINCIPALS")]
    principals: Option<PathBuf>,
    /// Seconds a client may take to send a request's headers; also how long an idle
    /// keep-alive connection stays open (0: no limit).
    #[arg(long, env = "CODECOMMIT_LOCAL_HEADER_TIMEOUT", default_value = "30", value_parser = seconds, value_name = "SECS")]
    header_timeout: Seconds,
    /// Seconds a request body may go without a byte arriving (0: no limit).
    #[arg(long, env = "CODECOMMIT_LOCAL_BODY_TIMEOUT", default_value = "60", value_parser = seconds, value_name = "SECS")]
    body_timeout: Seconds,
    /// Connections open at once; at the limit the longest-idle one is closed for a new one
    /// [default: half the open-file limit less 64, at most 4096].
    #[arg(long, env = "CODECOMMIT_LOCAL_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,
    /// Megabytes (MiB) of API request bodies held in memory at once; a call that would go over
    /// waits up to 2 s for room, then gets ThrottlingException (the SDKs retry it).
    #[arg(long, env = "CODECOMMIT_LOCAL_MAX_BODY_MEMORY", default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=1 << 40), value_name = "MIB")]
    max_body_memory: u64,
    /// Background repository maintenance (geometric repacks with a multi-pack index and
    /// bitmaps, commit-graph with changed-path Bloom filters): true or false.
    #[arg(long, env = "CODECOMMIT_LOCAL_MAINTENANCE", default_value_t = true, action = clap::ArgAction::Set)]
    maintenance: bool,
    /// Loose objects (API commits, small pushes) in a repository that trigger maintenance.
    #[arg(
        long,
        env = "CODECOMMIT_LOCAL_MAINTENANCE_LOOSE_OBJECTS",
        default_value_t = 512
    )]
    maintenance_loose_objects: usize,
    /// Packs not yet in the multi-pack index that trigger maintenance.
    #[arg(long, env = "CODECOMMIT_LOCAL_MAINTENANCE_PACKS", default_value_t = 8)]
    maintenance_packs: usize,
    /// Bytes of packs not yet in the multi-pack index that trigger maintenance.
    #[arg(long, env = "CODECOMMIT_LOCAL_MAINTENANCE_PACK_BYTES", default_value_t = 4 * 1024 * 1024)]
    maintenance_pack_bytes: u64,
    /// Repositories maintained at the same time.
    #[arg(long, env = "CODECOMMIT_LOCAL_MAINTENANCE_JOBS", default_value_t = 1)]
    maintenance_jobs: usize,
    /// Threads one maintenance run may use for packing.
    #[arg(
        long,
        env = "CODECOMMIT_LOCAL_MAINTENANCE_THREADS",
        default_value_t = 1
    )]
    maintenance_threads: usize,
    /// Log filter: `error`, `warn`, `info` (one line per API call and git request), `debug`
    /// (adds each call's input, capped), or per target, e.g. `warn,codecommit_local::api=info`.
    #[arg(
        long,
        env = "CODECOMMIT_LOCAL_LOG",
        default_value = "info",
        value_name = "FILTER"
    )]
    log: String,
    /// Port of the HTTPS listener (0 picks a free one; `off`: no HTTPS) [default: the HTTP
    /// port + 1, so 4600; a free one when --port is 0].
    #[arg(long, env = "CODECOMMIT_LOCAL_HTTPS_PORT", value_parser = https_port, value_name = "PORT|off")]
    https_port: Option<HttpsPort>,
    /// PEM certificate chain for HTTPS [default: one signed by a local CA generated into
    /// DATA_DIR/tls/].
    #[arg(long, env = "CODECOMMIT_LOCAL_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "CODECOMMIT_LOCAL_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Extra names (DNS names or IP addresses) for the generated certificate, besides
    /// localhost, 127.0.0.1 and ::1; repeat the flag or separate with commas.
    #[arg(
        long = "tls-name",
        env = "CODECOMMIT_LOCAL_TLS_NAMES",
        value_delimiter = ','
    )]
    tls_names: Vec<String>,
    /// `off`: any signature and git credentials are accepted (the access key still names the
    /// caller); `verify`: SigV4 signatures and git credentials are checked as AWS does.
    #[arg(long, env = "CODECOMMIT_LOCAL_AUTH", value_enum, default_value = "off")]
    auth: Auth,
    /// Refuse `POST /reset` (it is unauthenticated).
    #[arg(long, env = "CODECOMMIT_LOCAL_DISABLE_RESET")]
    disable_reset: bool,
    /// Endpoint that trigger and EventBridge deliveries go to (SNS, Lambda, EventBridge), e.g.
    /// LocalStack or moto; AWS_ENDPOINT_URL_SNS / _LAMBDA / _EVENTBRIDGE override it per
    /// service. Without one, events are recorded but not delivered.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    aws_endpoint_url: Option<String>,
    /// Access key deliveries are signed with.
    #[arg(
        long,
        env = "CODECOMMIT_LOCAL_AWS_ACCESS_KEY_ID",
        default_value = "test"
    )]
    aws_access_key_id: String,
    /// Secret key deliveries are signed with.
    #[arg(
        long,
        env = "CODECOMMIT_LOCAL_AWS_SECRET_ACCESS_KEY",
        default_value = "test",
        hide_env_values = true
    )]
    aws_secret_access_key: String,
    /// POST every EventBridge-shaped event to this URL as JSON.
    #[arg(long, env = "CODECOMMIT_LOCAL_WEBHOOK")]
    webhook: Option<String>,
    /// Key of the webhook's X-CodeCommit-Local-Signature-256 (HMAC-SHA256) header.
    #[arg(long, env = "CODECOMMIT_LOCAL_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Undelivered events kept at most; past it the oldest are dropped with a warning.
    #[arg(long, env = "CODECOMMIT_LOCAL_EVENTS_MAX_PENDING", default_value_t = codecommit_local::config::DEFAULT_EVENTS_MAX_PENDING)]
    events_max_pending: usize,
    /// Delivered (or given-up) events kept for GET /_events.
    #[arg(long, env = "CODECOMMIT_LOCAL_EVENTS_HISTORY", default_value_t = codecommit_local::config::DEFAULT_EVENTS_HISTORY)]
    events_history: usize,
    /// Attempts per event before delivery gives up on it.
    #[arg(long, env = "CODECOMMIT_LOCAL_DELIVERY_ATTEMPTS", default_value_t = codecommit_local::config::DEFAULT_DELIVERY_ATTEMPTS)]
    delivery_attempts: u32,
    /// Time one delivery call may take, in milliseconds.
    #[arg(
        long,
        env = "CODECOMMIT_LOCAL_DELIVERY_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    delivery_timeout_ms: u64,
    /// Wait before retrying a failed delivery, in milliseconds (doubles per attempt, up to 60 s).
    #[arg(
        long,
        env = "CODECOMMIT_LOCAL_DELIVERY_BACKOFF_MS",
        default_value_t = 500
    )]
    delivery_backoff_ms: u64,
    /// How long into a burst of requests new deliveries wait for a pause between requests
    /// (milliseconds; 0: deliver at once).
    #[arg(long, env = "CODECOMMIT_LOCAL_DELIVERY_DEFER_MS", default_value_t = codecommit_local::config::DEFAULT_DELIVERY_DEFER_MS)]
    delivery_defer_ms: u64,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Auth {
    Off,
    Verify,
}

/// An HTTPS port, or none.
#[derive(Clone, Copy, Debug)]
struct HttpsPort(Option<u16>);

fn https_port(s: &str) -> Result<HttpsPort, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") || s.eq_ignore_ascii_case("none") {
        return Ok(HttpsPort(None));
    }
    s.parse::<u16>()
        .map(|p| HttpsPort(Some(p)))
        .map_err(|_| format!("`{s}` is not a port number or `off`"))
}

/// A time limit given in seconds; `None` for 0 (no limit).
#[derive(Clone, Copy, Debug)]
struct Seconds(Option<Duration>);

/// Seconds, fractions allowed; 0 means no limit.
fn seconds(s: &str) -> Result<Seconds, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(0.0..=1e9).contains(&secs) {
        return Err(format!("`{s}` is not a number of seconds"));
    }
    Ok(Seconds((secs > 0.0).then(|| Duration::from_secs_f64(secs))))
}

/// The delivery settings from the flags and the SDK's per-service endpoint variables.
fn delivery_config(args: &Args) -> codecommit_local::config::DeliveryConfig {
    let service = |var: &str| {
        std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| args.aws_endpoint_url.clone().filter(|v| !v.is_empty()))
    };
    codecommit_local::config::DeliveryConfig {
        sns_endpoint: service("AWS_ENDPOINT_URL_SNS"),
        lambda_endpoint: service("AWS_ENDPOINT_URL_LAMBDA"),
        eventbridge_endpoint: service("AWS_ENDPOINT_URL_EVENTBRIDGE"),
        access_key_id: args.aws_access_key_id.clone(),
        secret_access_key: args.aws_secret_access_key.clone(),
        webhook: args.webhook.clone().filter(|w| !w.is_empty()).map(|url| {
            codecommit_local::config::Webhook {
                url,
                secret: args.webhook_secret.clone().filter(|s| !s.is_empty()),
            }
        }),
        max_pending: args.events_max_pending,
        history: args.events_history,
        max_attempts: args.delivery_attempts,
        timeout: std::time::Duration::from_millis(args.delivery_timeout_ms.max(1)),
        backoff_initial: std::time::Duration::from_millis(args.delivery_backoff_ms),
        defer_while_busy: std::time::Duration::from_millis(args.delivery_defer_ms),
        ..Default::default()
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Kept alive for the whole run: dropping it flushes the log.
    let _log_guard = init_logging(&args.log);
    if !codecommit_local::identity::is_account_id(&args.account_id) {
        eprintln!("codecommit-local: --account-id must be 12 digits");
        return ExitCode::from(2);
    }
    if !codecommit_local::protocol::sigv4::is_region_name(&args.region) {
        eprintln!("codecommit-local: --region is not a region name");
        return ExitCode::from(2);
    }
    let principals = match &args.principals {
        None => None,
        Some(path) => match codecommit_local::identity::PrincipalsFile::load(path) {
            Ok(f) => Some(std::sync::Arc::new(f)),
            Err(e) => {
                eprintln!("codecommit-local: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let delivery = delivery_config(&args);
    let config = Config {
        host: args.host,
        port: args.port,
        data_dir: args.data_dir.unwrap_or_else(default_data_dir),
        default_region: args.region,
        default_account: args.account_id,
        public_url: args.public_url,
        git_binary: args.git,
        repository_limit: args.max_repositories,
        merge_limits: Default::default(),
        principals,
        header_timeout: args.header_timeout.0,
        body_timeout: args.body_timeout.0,
        max_connections: args.max_connections.map(|n| n as usize),
        open_pull_request_limit: args.max_open_pull_requests,
        max_body_memory: usize::try_from(args.max_body_memory.saturating_mul(1024 * 1024))
            .unwrap_or(usize::MAX),
        maintenance: codecommit_local::git::maintenance::MaintenanceConfig {
            enabled: args.maintenance,
            loose_objects: args.maintenance_loose_objects,
            packs: args.maintenance_packs,
            pack_bytes: args.maintenance_pack_bytes,
            jobs: args.maintenance_jobs,
            threads: args.maintenance_threads,
        },
        https_port: match args.https_port {
            Some(p) => p.0,
            None if args.port == 0 => Some(0),
            None => Some(args.port.checked_add(1).unwrap_or(0)),
        },
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        tls_names: args.tls_names,
        auth: match args.auth {
            Auth::Off => AuthMode::Off,
            Auth::Verify => AuthMode::Verify,
        },
        reset_enabled: !args.disable_reset,
        delivery,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("codecommit-local: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let data_dir = config.data_dir.clone();
        // The git check runs while the store opens: it costs a process spawn.
        let git_binary = config.git_binary.clone();
        let (git_ok, bound) = tokio::join!(codecommit_local::git::check_version(&git_binary), bind(config));
        if let Err(e) = git_ok {
            eprintln!("codecommit-local: {e}");
            return ExitCode::FAILURE;
        }
        let bound = match bound {
            Ok(b) => b,
            Err(e) => {
                eprintln!("codecommit-local: {e}");
                return ExitCode::FAILURE;
            }
        };
        let auth = if bound.state.config.auth.verify() { "verify" } else { "off" };
        tracing::info!(addr = %bound.addr, data_dir = %data_dir.display(), base_url = %bound.state.base_url, auth, "codecommit-local listening");
        if let (Some(addr), Some(files)) = (bound.https_addr, &bound.tls_files) {
            match &files.ca {
                Some(ca) => {
                    tracing::info!(addr = %addr, ca = %ca.display(), names = %files.names.join(","), "HTTPS listening; clients trust the local CA with GIT_SSL_CAINFO={0} / AWS_CA_BUNDLE={0}", ca.display());
                    eprintln!("codecommit-local listening on https://{addr} (trust GIT_SSL_CAINFO={0} / AWS_CA_BUNDLE={0})", ca.display());
                }
                None => {
                    tracing::info!(addr = %addr, cert = %files.cert.display(), "HTTPS listening");
                    eprintln!("codecommit-local listening on https://{addr}");
                }
            }
        }
        // A fixed line on stderr that scripts (and the restart tests) wait for; last, so the
        // HTTPS line is out before it.
        eprintln!("codecommit-local listening on http://{}", bound.addr);
        match bound.serve(shutdown_signal()).await {
            Ok(()) => {
                tracing::info!("codecommit-local stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("codecommit-local: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Logs go to stderr through a background writer thread (`logbuf`): a request appends its
/// formatted line to a buffer and never waits on the terminal or a pipe. Nothing is dropped.
fn init_logging(filter: &str) -> Option<codecommit_local::logbuf::Guard> {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|e| {
        eprintln!("codecommit-local: log filter `{filter}` is not valid ({e}); using `info`");
        tracing_subscriber::EnvFilter::new("info")
    });
    let ansi = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi);
    match codecommit_local::logbuf::buffered(std::io::stderr()) {
        Ok((writer, guard)) => {
            codecommit_local::logging::api_line::install(writer.clone(), ansi);
            builder.with_writer(writer).init();
            Some(guard)
        }
        Err(_) => {
            builder.with_writer(std::io::stderr).init();
            None
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let signal = tokio::select! {
        () = ctrl_c => "SIGINT",
        () = term => "SIGTERM",
    };
    tracing::info!(
        signal,
        "shutting down: signal received; requests in flight finish first"
    );
}
