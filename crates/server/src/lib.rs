//! codecommit-local: AWS CodeCommit on your own machine.
//!
//! Two listeners (HTTP, and HTTPS with a generated local CA) serve the same router: the
//! CodeCommit API (awsJson1.1, `POST /`), git smart HTTP under `/v1/repos/NAME` (and
//! `/ACCOUNT/REGION/v1/repos/NAME` for non-default scopes), `GET /health`, `POST /reset` and
//! `GET /_events` (recent events and their delivery). An API call goes `protocol` (framing, SigV4 scope, errors) →
//! `protocol::dispatch` (the operation table) → `api::<area>` (behaviour, plain sync functions)
//! → `store` (metadata in SQLite, served from memory) and `git` (bare repositories via gix; the
//! wire protocol via the real `git`). Every ref that moves goes through `events`.

pub mod activity;
pub mod api;
pub mod config;
pub mod error;
pub mod events;
pub mod git;
pub mod identity;
pub mod logbuf;
pub mod logging;
pub mod protocol;
pub mod serve;
pub mod state;
pub mod store;
pub mod timefmt;
pub mod tls;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
pub use config::Config;
pub use state::{AppState, StartupError};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// The HTTP application: API, git, health and reset on one router.
pub fn app(state: Arc<AppState>) -> Router {
    use git::transport as t;
    Router::new()
        .route("/", post(protocol::handle).fallback(protocol::other_method))
        .route("/health", get(health))
        .route("/reset", post(reset))
        .route("/_events", get(list_events))
        .route("/v1/repos/{name}/info/refs", get(t::info_refs))
        .route("/v1/repos/{name}/git-upload-pack", post(t::upload_pack))
        .route("/v1/repos/{name}/git-receive-pack", post(t::receive_pack))
        .route(
            "/{account}/{region}/v1/repos/{name}/info/refs",
            get(t::info_refs_scoped),
        )
        .route(
            "/{account}/{region}/v1/repos/{name}/git-upload-pack",
            post(t::upload_pack_scoped),
        )
        .route(
            "/{account}/{region}/v1/repos/{name}/git-receive-pack",
            post(t::receive_pack_scoped),
        )
        .with_state(state)
}

async fn health() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        "{\"status\":\"ok\"}",
    )
}

/// Wipes every repository and all metadata: for test suites that share one server. It is
/// unauthenticated (as `/health` is), so `--disable-reset` turns it off.
async fn reset(State(state): State<Arc<AppState>>) -> axum::response::Response {
    if !state.config.reset_enabled {
        tracing::info!("reset refused: disabled by --disable-reset");
        return (
            StatusCode::FORBIDDEN,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            "{\"reset\":false,\"message\":\"POST /reset is disabled on this server (--disable-reset)\"}",
        )
            .into_response();
    }
    let result = tokio::task::spawn_blocking(move || -> Result<(), String> {
        state.store.clear().map_err(|e| e.to_string())?;
        state.identities.clear_sessions();
        state.triggers.clear();
        state.outbox.clear();
        state.git.clear().map_err(|e| e.to_string())
    })
    .await;
    match result {
        Ok(Ok(())) => {
            tracing::info!("reset: all repositories and metadata wiped");
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                "{\"reset\":true}",
            )
                .into_response()
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "reset failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "reset failed").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "reset failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "reset failed").into_response()
        }
    }
}

/// `GET /_events?repository=NAME&account=…&region=…&status=…&target=…&limit=N`: the newest
/// deliveries (oldest first) with their payloads and delivery status, so tests can assert on
/// events without any AWS stack.
async fn list_events(
    State(state): State<Arc<AppState>>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 10_000);
    let filter = events::outbox::ListFilter {
        repository: q.get("repository").cloned(),
        account: q.get("account").cloned(),
        region: q.get("region").cloned(),
        status: q.get("status").cloned(),
        target: q.get("target").cloned(),
        limit,
    };
    let listed = tokio::task::spawn_blocking(move || {
        // The listing writes what the deliverer has not written yet first.
        state.outbox.list(&state.store, &filter).map(|rows| {
            serde_json::json!({ "pending": state.outbox.pending(), "events": rows }).to_string()
        })
    })
    .await;
    match listed {
        Ok(Ok(body)) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "listing events failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "listing events failed").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "listing events failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "listing events failed").into_response()
        }
    }
}

/// A server bound to its ports, ready to serve.
pub struct Bound {
    /// The plain-HTTP listener's address.
    pub addr: SocketAddr,
    /// The HTTPS listener's address, when there is one.
    pub https_addr: Option<SocketAddr>,
    /// The certificate the HTTPS listener serves and the CA to trust.
    pub tls_files: Option<tls::TlsFiles>,
    pub state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    https: Option<(tokio::net::TcpListener, Arc<rustls::ServerConfig>)>,
}

async fn listen(host: &str, port: u16) -> Result<tokio::net::TcpListener, StartupError> {
    tokio::net::TcpListener::bind((host, port))
        .await
        .map_err(|e| StartupError(format!("cannot listen on {host}:{port}: {e}")))
}

/// How `host` is written in a URL (loopback and wildcard addresses as `localhost`).
fn url_host(host: &str) -> String {
    match host {
        "0.0.0.0" | "::" | "127.0.0.1" | "::1" | "localhost" => "localhost".to_owned(),
        h if h.contains(':') => format!("[{h}]"),
        h => h.to_owned(),
    }
}

/// Binds the listeners, prepares the HTTPS certificate and opens the data directory.
pub async fn bind(config: Config) -> Result<Bound, StartupError> {
    let listener = listen(&config.host, config.port).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartupError(e.to_string()))?;
    let https_listener = match config.https_port {
        Some(port) => Some(listen(&config.host, port).await?),
        None => None,
    };
    let https_addr = match &https_listener {
        Some(l) => Some(l.local_addr().map_err(|e| StartupError(e.to_string()))?),
        None => None,
    };
    let base_url = match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}:{}", url_host(&config.host), addr.port()),
    };
    // The certificate (made on the first start) and the store open side by side.
    let tls = async {
        let Some(l) = https_listener else {
            return Ok(None);
        };
        // The certificate also names the listening host and the public URL's host.
        let mut names = config.tls_names.clone();
        if !matches!(config.host.as_str(), "0.0.0.0" | "::") {
            names.push(config.host.clone());
        }
        if let Some(host) = public_host(&base_url) {
            names.push(host);
        }
        let (dir, cert, key) = (
            config.data_dir.clone(),
            config.tls_cert.clone(),
            config.tls_key.clone(),
        );
        let made = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create data dir {}: {e}", dir.display()))?;
            tls::server_config(&dir, cert.as_deref(), key.as_deref(), &names)
        })
        .await
        .map_err(|e| StartupError(e.to_string()))?
        .map_err(StartupError)?;
        Ok::<_, StartupError>(Some((l, made)))
    };
    let open_config = config.clone();
    let open_base = base_url.clone();
    let state = async {
        tokio::task::spawn_blocking(move || AppState::open(open_config, open_base))
            .await
            .map_err(|e| StartupError(e.to_string()))?
    };
    let (tls, state) = tokio::join!(tls, state);
    let (tls, state) = (tls?, state?);
    events::deliver::spawn(state.clone());
    let (https, tls_files) = match tls {
        Some((l, (server_config, files))) => (Some((l, server_config)), Some(files)),
        None => (None, None),
    };
    Ok(Bound {
        addr,
        https_addr,
        tls_files,
        state,
        listener,
        https,
    })
}

/// The host of a URL (`https://git.example:4600/x` → `git.example`), for certificate names.
fn public_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_owned())
}

impl Bound {
    /// Serves until `shutdown` resolves, then lets requests in flight finish.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let limits = self.state.config.serve_limits();
        let state = self.state.clone();
        let activity = self.state.activity.clone();
        let server = serve::Server::new(app(state.clone()), state.clone(), limits, activity);
        let plain = serve::Http {
            https_port: self.https_addr.map(|a| a.port()),
        };
        let https = async {
            match self.https {
                Some((listener, config)) => {
                    server.accept_loop(listener, serve::Tls::new(config)).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = server.accept_loop(self.listener, plain) => {}
            () = https => {}
            () = shutdown => {}
        }
        tracing::info!("shutting down: no longer accepting connections");
        server.drain().await;
        // Delivery statuses decided since the last batch: without them, a restart would
        // deliver those events again.
        let _ = tokio::task::spawn_blocking(move || state.outbox.flush_records(&state.store)).await;
        tracing::info!("stopped: every connection is closed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn public_hosts() {
        assert_eq!(
            super::public_host("https://git.test:4600").as_deref(),
            Some("git.test")
        );
        assert_eq!(
            super::public_host("https://[::1]:4600/").as_deref(),
            Some("::1")
        );
        assert_eq!(super::public_host("nonsense"), None);
    }
}
