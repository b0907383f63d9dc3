//! codecommit-local: AWS CodeCommit on your own machine.
//!
//! One listener serves the CodeCommit API (awsJson1.1, `POST /`), git smart HTTP under
//! `/v1/repos/NAME` (and `/ACCOUNT/REGION/v1/repos/NAME` for non-default scopes), `GET /health`,
//! `POST /reset` and `GET /_events` (recent events and their delivery). An API call goes `protocol` (framing, SigV4 scope, errors) →
//! `protocol::dispatch` (the operation table) → `api::<area>` (behaviour, plain sync functions)
//! → `store` (metadata in SQLite, served from memory) and `git` (bare repositories via gix; the
//! wire protocol via the real `git`). Every ref that moves goes through `events`.

pub mod api;
pub mod config;
pub mod error;
pub mod events;
pub mod git;
pub mod identity;
pub mod protocol;
pub mod state;
pub mod store;
pub mod timefmt;

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

/// Wipes every repository and all metadata: for test suites that share one server.
async fn reset(State(state): State<Arc<AppState>>) -> impl IntoResponse {
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
        events::outbox::Outbox::list(&state.store, &filter).map(|rows| {
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

/// A server bound to its port, ready to serve.
pub struct Bound {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    listener: tokio::net::TcpListener,
}

/// Binds the listener and opens the data directory.
pub async fn bind(config: Config) -> Result<Bound, StartupError> {
    let listener = tokio::net::TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|e| {
            StartupError(format!(
                "cannot listen on {}:{}: {e}",
                config.host, config.port
            ))
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartupError(e.to_string()))?;
    let base_url = match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = match config.host.as_str() {
                "0.0.0.0" | "::" | "127.0.0.1" | "::1" | "localhost" => "localhost".to_owned(),
                h if h.contains(':') => format!("[{h}]"),
                h => h.to_owned(),
            };
            format!("http://{host}:{}", addr.port())
        }
    };
    let state = tokio::task::spawn_blocking(move || AppState::open(config, base_url))
        .await
        .map_err(|e| StartupError(e.to_string()))??;
    events::deliver::spawn(state.clone());
    Ok(Bound {
        addr,
        state,
        listener,
    })
}

impl Bound {
    /// Serves until `shutdown` resolves, then lets requests in flight finish.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, app(self.state))
            .with_graceful_shutdown(shutdown)
            .await
    }
}
