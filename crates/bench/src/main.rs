//! Benchmark programs for codecommit-local. Results and how to run them: BENCHMARKS.md.
//!
//! * `bare PORT` — a bare axum server answering `POST /` with a fixed GetRepository body: the
//!   ceiling the real server is compared against under the same load.
//! * `gen-repo DIR [--files N] [--commits N] [--file-bytes N] [--per-commit N] [--hot-versions N]
//!   [--big-folder N] [--seed N]` — a synthetic bare repository made with `git fast-import`:
//!   files in a 5-level tree, a `big/` folder, a `hot/history.txt` with many versions.
//! * `latency ENDPOINT REPO SCENARIO ITERATIONS` — median/p90 latency of one API scenario over
//!   a keep-alive HTTP connection (`CCL_BENCH_PACE_MS=N`: an untimed pause before each call).
//! * `writers ENDPOINT REPO N COMMITS` — N concurrent writers, one branch each; throughput and
//!   lost-commit check.
//! * `comments ENDPOINT SMALL_REPO LARGE_REPO [COMMENTS] [ROUNDS] [CALLS]` — comment listing
//!   pages on a pull request with many comments against one with 10, and a line comment on
//!   the large repository next to the small one (interleaved rounds).
//! * `tls HTTPS_ADDR HTTP_ADDR CA RUNS` — a fresh connection's TLS handshake and first answer
//!   (`GET /health`) against the HTTPS listener, interleaved with the same over plain HTTP.
//! * `approvals ENDPOINT ROUNDS N` — CreatePullRequest with 25 templates vs none and
//!   EvaluatePullRequestApprovalRules with 30 rules and 200 approvals vs no rules, interleaved
//!   (the server needs the principals of bench/approvals.sh).
//! * `coldstart BIN RUNS` — time from spawning the server (fresh data dir) to its first answered
//!   request, and its resident memory once idle.
//! * `pulls ENDPOINT SCENARIO …` — pull-request latency, listing at scale, push overhead of
//!   open pull requests (see pulls.rs).

mod approvals;
mod client;
mod coldstart;
mod comments;
mod genrepo;
mod pulls;
mod scenarios;
mod tls;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bare") => bare(args.get(1).and_then(|p| p.parse().ok()).unwrap_or(4600)),
        Some("gen-repo") => genrepo::run(&args[1..]),
        Some("latency") => scenarios::latency(&args[1..]),
        Some("writers") => scenarios::writers(&args[1..]),
        Some("coldstart") => coldstart::run(&args[1..]),
        Some("pulls") => pulls::run(&args[1..]),
        Some("tls") => tls::run(&args[1..]),
        Some("approvals") => approvals::run(&args[1..]),
        Some("comments") => comments::run(&args[1..]),
        _ => Err("usage: ccl-bench bare PORT | gen-repo DIR [options] | latency ENDPOINT REPO SCENARIO N | writers ENDPOINT REPO N COMMITS | pulls ENDPOINT SCENARIO … | tls … | approvals ENDPOINT ROUNDS N | comments ENDPOINT SMALL LARGE …".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ccl-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The fixed answer of the bare handler: a realistic GetRepository body.
const BARE_BODY: &str = r#"{"repositoryMetadata":{"accountId":"000000000000","repositoryId":"7d922709-dfce-4ef0-8454-e1c275dbc09b","repositoryName":"bench","repositoryDescription":"benchmark repository","defaultBranch":"main","lastModifiedDate":1795334554.839,"creationDate":1795334554.555,"cloneUrlHttp":"http://localhost:4599/v1/repos/bench","cloneUrlSsh":"ssh://localhost/v1/repos/bench","Arn":"arn:aws:codecommit:us-east-1:000000000000:bench","kmsKeyId":"alias/aws/codecommit"}}"#;

fn bare(port: u16) -> Result<(), String> {
    use axum::body::Bytes;
    use axum::http::HeaderMap;
    use axum::routing::post;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        // Reads the headers and body like the real handler, then answers the fixed body.
        async fn handler(
            _headers: HeaderMap,
            _body: Bytes,
        ) -> ([(&'static str, &'static str); 1], &'static str) {
            ([("content-type", "application/x-amz-json-1.1")], BARE_BODY)
        }
        let app = axum::Router::new().route("/", post(handler));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        eprintln!("bare handler listening on 127.0.0.1:{port}");
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    })
}
