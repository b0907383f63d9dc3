//! The `codecommit-local` binary: parses flags (also read from the environment) and serves.

use clap::Parser;
use codecommit_local::{Config, bind, config::default_data_dir};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// A TOML or JSON file of static principals (access key → ARN, secrets) and git
    /// credentials; see the README's "Callers" section.
    #[arg(long, env = "CODECOMMIT_LOCAL_PRINCIPALS")]
    principals: Option<PathBuf>,
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
        ..Default::default()
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Kept alive for the whole run: dropping it flushes the log.
    let _log_guard = init_logging();
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
        tracing::info!(addr = %bound.addr, data_dir = %data_dir.display(), base_url = %bound.state.base_url, "codecommit-local listening");
        // A fixed line on stderr that scripts (and the restart tests) wait for.
        eprintln!("codecommit-local listening on http://{}", bound.addr);
        match bound.serve(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("codecommit-local: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Logs go to stderr through a background writer thread with a buffer, so request handlers
/// never wait on the terminal or a pipe. Nothing is dropped: a full queue applies backpressure.
fn init_logging() -> tracing_appender::non_blocking::WorkerGuard {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("CODECOMMIT_LOCAL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(writer)
        .init();
    guard
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
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
