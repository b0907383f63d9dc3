//! Git smart HTTP, served by the real `git` (codecommit-facts.md §7, git-foundations.md §3):
//!
//! * `GET  …/v1/repos/NAME/info/refs?service=git-upload-pack|git-receive-pack`
//!   runs `git <service> --stateless-rpc --advertise-refs` (prefixed by the `# service=` line
//!   unless the client speaks protocol v2, exactly as git-http-backend does);
//! * `POST …/v1/repos/NAME/git-upload-pack|git-receive-pack` streams the (possibly gzip) request
//!   body into `git <service> --stateless-rpc` and its output back, never holding a pack whole.
//!
//! A push records its ref changes through the post-receive hook (see `git::HOOKS`);
//! the response is held open until they are recorded, so when `git push` returns, the API
//! already shows the push (default branch, lastModifiedDate).

use crate::events::{self, Origin, RefMoves, parse_post_receive};
use crate::git::HIDDEN_REF_PREFIX;
use crate::identity::verify::{GitTarget, GitVerified, KNOWN_REGIONS};
use crate::identity::{Principal, is_account_id};
use crate::logging::{Capped, MAX_INPUT_CHARS};
use crate::protocol::sigv4;
use crate::serve::Listener;
use crate::state::AppState;
use crate::store::RepoRecord;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;
use futures_util::TryStreamExt as _;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::Command;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Service {
    UploadPack,
    ReceivePack,
}

impl Service {
    fn from_param(s: &str) -> Option<Self> {
        match s {
            "git-upload-pack" => Some(Service::UploadPack),
            "git-receive-pack" => Some(Service::ReceivePack),
            _ => None,
        }
    }
    /// The git subcommand.
    fn command(self) -> &'static str {
        match self {
            Service::UploadPack => "upload-pack",
            Service::ReceivePack => "receive-pack",
        }
    }
}

/// Who a git request acts as and where: (account, region) select the repository, the
/// principal is the pusher events name.
#[derive(Clone)]
struct Scope {
    account: String,
    region: String,
    principal: Arc<Principal>,
    /// Sent no credentials where a missing repository should ask for them (401) rather
    /// than be reported missing.
    anonymous: bool,
}

/// Path parameters of the prefixed routes (`/ACCOUNT/REGION/v1/repos/NAME/...`).
#[derive(serde::Deserialize)]
pub struct ScopedRepo {
    account: String,
    region: String,
    name: String,
}

pub async fn info_refs(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    listener: Option<Extension<Listener>>,
    headers: HeaderMap,
) -> Response {
    match unprefixed_scope(&state, &headers, &name, listener) {
        Ok(scope) => advertise(state, scope, name, query, headers).await,
        Err(denied) => denied.answer(&state, None, &name, "info/refs"),
    }
}

pub async fn info_refs_scoped(
    State(state): State<Arc<AppState>>,
    Path(p): Path<ScopedRepo>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    match explicit_scope(&state, &p, &headers) {
        Ok(scope) => advertise(state, scope, p.name, query, headers).await,
        Err(denied) => denied.answer(&state, Some(&p), &p.name, "info/refs"),
    }
}

pub async fn upload_pack(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    listener: Option<Extension<Listener>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match unprefixed_scope(&state, &headers, &name, listener) {
        Ok(scope) => rpc(state, scope, name, Service::UploadPack, headers, body).await,
        Err(denied) => denied.answer(&state, None, &name, "upload-pack"),
    }
}

pub async fn upload_pack_scoped(
    State(state): State<Arc<AppState>>,
    Path(p): Path<ScopedRepo>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match explicit_scope(&state, &p, &headers) {
        Ok(scope) => rpc(state, scope, p.name, Service::UploadPack, headers, body).await,
        Err(denied) => denied.answer(&state, Some(&p), &p.name, "upload-pack"),
    }
}

pub async fn receive_pack(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    listener: Option<Extension<Listener>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match unprefixed_scope(&state, &headers, &name, listener) {
        Ok(scope) => rpc(state, scope, name, Service::ReceivePack, headers, body).await,
        Err(denied) => denied.answer(&state, None, &name, "receive-pack"),
    }
}

pub async fn receive_pack_scoped(
    State(state): State<Arc<AppState>>,
    Path(p): Path<ScopedRepo>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match explicit_scope(&state, &p, &headers) {
        Ok(scope) => rpc(state, scope, p.name, Service::ReceivePack, headers, body).await,
        Err(denied) => denied.answer(&state, Some(&p), &p.name, "receive-pack"),
    }
}

/// Why a git request is not served.
enum Denied {
    /// A prefixed URL whose account or region is malformed: not found.
    BadPrefix,
    /// No credentials where they are needed: 401, so git asks its credential helper.
    Unauthorized,
    /// Credentials that do not verify or do not fit the URL: 403, with the reason.
    Forbidden(String),
}

impl Denied {
    fn answer(self, state: &AppState, p: Option<&ScopedRepo>, name: &str, what: &str) -> Response {
        let started = Instant::now();
        let (account, region) = match p {
            Some(p) => (p.account.as_str(), p.region.as_str()),
            None => (
                state.config.default_account.as_str(),
                state.config.default_region.as_str(),
            ),
        };
        let response = match &self {
            Denied::BadPrefix => not_found(),
            Denied::Unauthorized => {
                let mut r = plain(
                    StatusCode::UNAUTHORIZED,
                    "Authentication required: this server checks git credentials (--auth verify); use git-remote-codecommit, the aws CLI credential helper or Git credentials\n",
                );
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"codecommit-local\""),
                );
                r
            }
            Denied::Forbidden(reason) => {
                tracing::info!(
                    target: "codecommit_local::git",
                    repository = %name,
                    request = what,
                    reason = %reason,
                    "git credentials refused"
                );
                let text = format!("Access denied: {reason}\n");
                (
                    StatusCode::FORBIDDEN,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    text,
                )
                    .into_response()
            }
        };
        log_refused(account, region, name, what, &response, started);
        response
    }
}

/// A prefixed URL names the account and region. Unverified (`--auth off`), the caller is
/// whoever the credentials name when they belong to that account, else the account's root;
/// verified, the credentials must check out and belong to that account (and, for a SigV4
/// password, have been signed for that region).
fn explicit_scope(state: &AppState, p: &ScopedRepo, headers: &HeaderMap) -> Result<Scope, Denied> {
    if !(is_account_id(&p.account) && sigv4::is_region_name(&p.region)) {
        return Err(Denied::BadPrefix);
    }
    if state.config.auth.verify() {
        let verified = verify_credentials(state, headers, &p.name, Some((&p.account, &p.region)))?;
        if verified.principal.account != p.account {
            return Err(Denied::Forbidden(format!(
                "the credentials are those of {} in account {}, and the repository URL is in account {}",
                verified.principal.arn, verified.principal.account, p.account
            )));
        }
        if let Some(signed) = verified.region.as_deref()
            && signed != p.region
        {
            return Err(Denied::Forbidden(format!(
                "the password was signed for region {signed}, and the repository URL is in region {}",
                p.region
            )));
        }
        return Ok(Scope {
            account: p.account.clone(),
            region: p.region.clone(),
            principal: verified.principal,
            anonymous: false,
        });
    }
    let user = basic_credentials(headers).map(|(u, _)| u);
    let principal = user
        .as_deref()
        .map(|u| state.identities.resolve_git_user(u))
        .filter(|pr| pr.account == p.account)
        .unwrap_or_else(|| Arc::new(Principal::root(&p.account)));
    Ok(Scope {
        account: p.account.clone(),
        region: p.region.clone(),
        principal,
        anonymous: false,
    })
}

/// Without a scope in the path, HTTP Basic credentials decide the caller and so the account,
/// as on AWS: an access key id (credential helper, git-remote-codecommit) or a
/// `<user>-at-<account>` Git credential user name; otherwise the default account's root.
/// Verified, the credentials must check out, and a SigV4 password's region is the region.
fn unprefixed_scope(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    listener: Option<Extension<Listener>>,
) -> Result<Scope, Denied> {
    if state.config.auth.verify() {
        let verified = verify_credentials(state, headers, name, None)?;
        return Ok(Scope {
            account: verified.principal.account.clone(),
            region: verified
                .region
                .unwrap_or_else(|| state.config.default_region.clone()),
            principal: verified.principal,
            anonymous: false,
        });
    }
    let user = basic_credentials(headers).map(|(u, _)| u);
    let principal = match &user {
        Some(user) => state.identities.resolve_git_user(user),
        None => state.identities.resolve(None),
    };
    Ok(Scope {
        account: principal.account.clone(),
        region: state.config.default_region.clone(),
        principal,
        // Over HTTPS (git-remote-codecommit, the credential helper) a repository the default
        // account lacks is first asked for credentials: they may name another account.
        anonymous: user.is_none() && listener.is_some_and(|Extension(l)| l.secure),
    })
}

/// Checks a git request's HTTP Basic credentials (`--auth verify`).
fn verify_credentials(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    prefix: Option<(&str, &str)>,
) -> Result<GitVerified, Denied> {
    let Some((user, password)) = basic_credentials(headers) else {
        return Err(Denied::Unauthorized);
    };
    // git-remote-codecommit signs the host as CODE_COMMIT_ENDPOINT gives it (with a port, if
    // any); the aws CLI's helper signs it without the port.
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut hosts = vec![host.to_owned()];
    let without_port = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().map(|h| format!("[{h}]")),
        None => host.split(':').next().map(str::to_owned),
    };
    for h in [without_port, host.split(':').next().map(str::to_owned)]
        .into_iter()
        .flatten()
    {
        if !hosts.contains(&h) {
            hosts.push(h);
        }
    }
    let mut paths = Vec::new();
    if let Some((account, region)) = prefix {
        paths.push(format!("/{account}/{region}/v1/repos/{name}"));
    }
    paths.push(format!("/v1/repos/{name}"));
    let mut regions: Vec<String> = Vec::new();
    let preferred = prefix.map(|(_, r)| r);
    for r in preferred
        .into_iter()
        .chain([state.config.default_region.as_str()])
        .chain(KNOWN_REGIONS.iter().copied())
    {
        if !regions.iter().any(|x| x == r) {
            regions.push(r.to_owned());
        }
    }
    let target = GitTarget {
        hosts: &hosts,
        paths: &paths,
        regions: &regions,
    };
    state
        .identities
        .verify_git(
            &user,
            &password,
            &target,
            crate::timefmt::now_epoch() as i64,
        )
        .map_err(|f| {
            let user_shown = user.split('%').next().unwrap_or("");
            Denied::Forbidden(format!("{} (user {user_shown})", f.reason()))
        })
}

/// The user name and password of HTTP Basic credentials.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())))
        .filter(|(u, _)| !u.is_empty())
}

fn find_repo(state: &AppState, scope: &Scope, name: &str) -> Option<Arc<RepoRecord>> {
    state.store.get(&scope.account, &scope.region, name)
}

/// The log line of a git request answered without running git (unknown repository, bad
/// request): every git request gets one line, like every API call.
fn log_refused(
    account: &str,
    region: &str,
    name: &str,
    what: &str,
    response: &Response,
    started: Instant,
) {
    if response.status().is_success() {
        return;
    }
    tracing::info!(
        target: "codecommit_local::git",
        account = %account,
        region = %region,
        repository = %Capped::quote(name),
        request = what,
        status = response.status().as_u16(),
        ms = format_args!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
    );
}

/// A repository the scope does not have: not found, or, for a caller that sent no
/// credentials over HTTPS, a request for them first.
fn missing(scope: &Scope) -> Response {
    if scope.anonymous {
        let mut r = plain(
            StatusCode::UNAUTHORIZED,
            "Repository not found without credentials\n",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"codecommit-local\""),
        );
        return r;
    }
    not_found()
}

fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "Repository not found\n")
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// `Git-Protocol` is passed to git as `GIT_PROTOCOL` only when it looks like what git sends
/// (`version=2`, `key=value:key=value`).
fn git_protocol(headers: &HeaderMap) -> Option<String> {
    let v = headers.get("git-protocol")?.to_str().ok()?;
    let ok = !v.is_empty()
        && v.len() <= 256
        && v.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'=' | b':' | b',' | b'.' | b'-' | b'_')
        });
    ok.then(|| v.to_owned())
}

fn git_command(state: &AppState, service: Service, protocol: Option<&str>) -> Command {
    let git = &state.git;
    let mut cmd = Command::new(&git.git_binary);
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("HOME", &git.home_dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    if let Some(p) = protocol {
        cmd.env("GIT_PROTOCOL", p);
    }
    let hooks = format!("core.hooksPath={}", git.hooks_dir.display());
    let hide = format!(
        "transfer.hideRefs={}",
        HIDDEN_REF_PREFIX.trim_end_matches('/')
    );
    cmd.args(["-c", "uploadpack.allowFilter=true"])
        .args(["-c", "uploadpack.allowAnySHA1InWant=true"])
        .args(["-c", "receive.autogc=false"])
        // `git push -o …` (CI hints like ci.skip) must not fail the push; the options are
        // accepted and ignored.
        .args(["-c", "receive.advertisePushOptions=true"])
        // The pre-receive hook refuses deleting the default branch with CodeCommit's reason.
        .args(["-c", "receive.denyDeleteCurrent=ignore"])
        .args(["-c", "gc.auto=0"])
        .args(["-c", hide.as_str()])
        .args(["-c", hooks.as_str()]);
    if service == Service::ReceivePack {
        // Pushed objects are checked as `git fsck` checks them (strict: its warnings are
        // errors), so no tree with a `.git` entry or a hostile `.gitmodules` gets in.
        cmd.args(["-c", "receive.fsckObjects=true"]);
        // Every push is kept as a pack, never unpacked into loose objects: moving loose
        // objects out of the push's quarantine races maintenance's `repack -d`, whose
        // prune-packed removes emptied `objects/xx` directories between receive-pack's mkdir
        // and rename ("unable to migrate objects to permanent storage"). `objects/pack` is
        // never removed.
        cmd.args(["-c", "receive.unpackLimit=1"]);
        for setting in FSCK_TOLERATED {
            cmd.args(["-c", setting]);
        }
    }
    cmd.arg(service.command());
    cmd
}

/// fsck findings a push may carry anyway: how old or foreign tools wrote authors, dates, file
/// modes and messages. Real histories have them (migrated repositories are pushed whole with
/// `--mirror`), CodeCommit takes such migrations, and they harm no client. Everything about
/// paths (`.git`, `.`, `..`, `/`), tree structure, `.gitmodules` and missing or broken objects
/// stays an error.
const FSCK_TOLERATED: &[&str] = &[
    "receive.fsck.badDate=warn",
    "receive.fsck.badDateOverflow=warn",
    "receive.fsck.badEmail=warn",
    "receive.fsck.badName=warn",
    "receive.fsck.badTimezone=warn",
    "receive.fsck.extraHeaderEntry=warn",
    "receive.fsck.missingEmail=warn",
    "receive.fsck.missingNameBeforeEmail=warn",
    "receive.fsck.missingSpaceBeforeDate=warn",
    "receive.fsck.missingSpaceBeforeEmail=warn",
    "receive.fsck.multipleAuthors=warn",
    "receive.fsck.nulInCommit=warn",
    "receive.fsck.zeroPaddedDate=warn",
    "receive.fsck.zeroPaddedFilemode=warn",
];

async fn advertise(
    state: Arc<AppState>,
    scope: Scope,
    name: String,
    query: HashMap<String, String>,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let response = advertise_refs(state, scope.clone(), &name, query, headers, started).await;
    log_refused(
        &scope.account,
        &scope.region,
        &name,
        "info/refs",
        &response,
        started,
    );
    response
}

async fn advertise_refs(
    state: Arc<AppState>,
    scope: Scope,
    name: &str,
    query: HashMap<String, String>,
    headers: HeaderMap,
    started: Instant,
) -> Response {
    let Some(service) = query.get("service").and_then(|s| Service::from_param(s)) else {
        // Only the smart protocol is served.
        return plain(
            StatusCode::FORBIDDEN,
            "Only the smart HTTP protocol is supported\n",
        );
    };
    let Some(rec) = find_repo(&state, &scope, name) else {
        return missing(&scope);
    };
    let protocol = git_protocol(&headers);
    let v2 = protocol
        .as_deref()
        .is_some_and(|p| p.split(':').any(|kv| kv == "version=2"));
    let cacheable = v2 && service == Service::UploadPack;
    if cacheable
        && let Some(p) = protocol.as_deref()
        && let Some(advert) = state.git.v2_advertisement(p)
    {
        log_git(&rec, service, "info/refs", 0, advert.len() as u64, started);
        return git_response(
            format!("application/x-git-{}-advertisement", service.command()),
            Body::from(advert),
        );
    }
    let mut cmd = git_command(&state, service, protocol.as_deref());
    cmd.args(["--stateless-rpc", "--advertise-refs"])
        .arg(state.git.path(&rec.id));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = match cmd.output().await {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            tracing::error!(repository = %rec.name, service = service.command(), stderr = %Capped::new(&String::from_utf8_lossy(&o.stderr), MAX_INPUT_CHARS), "git advertisement failed");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "git failed\n");
        }
        Err(e) => {
            tracing::error!(error = %e, "could not run git");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "git failed\n");
        }
    };
    let mut body = Vec::with_capacity(output.stdout.len() + 64);
    if !v2 {
        let line = format!("# service=git-{}\n", service.command());
        body.extend_from_slice(format!("{:04x}{line}0000", line.len() + 4).as_bytes());
    }
    body.extend_from_slice(&output.stdout);
    let body = bytes::Bytes::from(body);
    // A v2 advertisement lists capabilities only (`version 2`, no refs): safe to reuse.
    if cacheable
        && let Some(p) = protocol.as_deref()
        && body.starts_with(b"000eversion 2\n")
    {
        state.git.keep_v2_advertisement(p, body.clone());
    }
    log_git(&rec, service, "info/refs", 0, body.len() as u64, started);
    git_response(
        format!("application/x-git-{}-advertisement", service.command()),
        Body::from(body),
    )
}

fn git_response(content_type: String, body: Body) -> Response {
    let mut response = Response::new(body);
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, max-age=0, must-revalidate"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn log_git(
    rec: &RepoRecord,
    service: Service,
    what: &str,
    bytes_in: u64,
    bytes_out: u64,
    started: Instant,
) {
    tracing::info!(
        target: "codecommit_local::git",
        account = %rec.account,
        region = %rec.region,
        repository = rec.name.as_str(),
        service = service.command(),
        request = what,
        status = 200,
        bytes_in,
        bytes_out,
        ms = format_args!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
    );
}

async fn rpc(
    state: Arc<AppState>,
    scope: Scope,
    name: String,
    service: Service,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let response = run_rpc(state, &scope, &name, service, headers, body, started).await;
    log_refused(
        &scope.account,
        &scope.region,
        &name,
        service.command(),
        &response,
        started,
    );
    response
}

async fn run_rpc(
    state: Arc<AppState>,
    scope: &Scope,
    name: &str,
    service: Service,
    headers: HeaderMap,
    body: Body,
    started: Instant,
) -> Response {
    let Some(rec) = find_repo(&state, scope, name) else {
        return missing(scope);
    };
    let expected = format!("application/x-git-{}-request", service.command());
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != expected {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unexpected content type\n",
        );
    }
    let gzip = match headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
    {
        None | Some("identity") => false,
        Some("gzip") | Some("x-gzip") => true,
        Some(_) => {
            return plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported content encoding\n",
            );
        }
    };

    let events_file = (service == Service::ReceivePack).then(|| {
        state
            .git
            .tmp_dir
            .join(format!("push-{}.refs", uuid::Uuid::new_v4()))
    });
    let mut cmd = git_command(&state, service, git_protocol(&headers).as_deref());
    cmd.arg("--stateless-rpc").arg(state.git.path(&rec.id));
    if let Some(f) = &events_file {
        cmd.env("CODECOMMIT_LOCAL_EVENTS", f);
        if let Some(b) = &rec.default_branch {
            cmd.env("CODECOMMIT_LOCAL_DEFAULT_BRANCH", b);
        }
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // upload-pack is killed if the client goes away; receive-pack always runs to its end, so a
    // push that git applied is always recorded.
    cmd.kill_on_drop(service == Service::UploadPack);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "could not run git");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "git failed\n");
        }
    };
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "git failed\n");
    };

    // Request body → stdin, decompressing on the fly.
    let request =
        tokio_util::io::StreamReader::new(body.into_data_stream().map_err(std::io::Error::other));
    let mut reader: Box<dyn AsyncRead + Send + Unpin> = if gzip {
        Box::new(async_compression::tokio::bufread::GzipDecoder::new(request))
    } else {
        Box::new(request)
    };
    let feeder = tokio::spawn(async move {
        let copied = tokio::io::copy(&mut reader, &mut stdin).await;
        let _ = stdin.shutdown().await;
        copied.unwrap_or(0)
    });
    let stderr_task = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut buf).await;
        let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
        buf
    });

    // stdout → response, through a small channel; the supervisor owns the child.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let supervisor_state = state.clone();
    let pusher = scope.principal.clone();
    tokio::spawn(async move {
        let mut bytes_out = 0u64;
        let mut client_gone = false;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match stdout.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => {
                    bytes_out += n as u64;
                    if !client_gone
                        && tx
                            .send(Ok(Bytes::copy_from_slice(&buf[..n])))
                            .await
                            .is_err()
                    {
                        client_gone = true;
                        if service == Service::UploadPack {
                            let _ = child.start_kill();
                            break;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading git output");
                    break;
                }
            }
        }
        let status = child.wait().await;
        let bytes_in = feeder.await.unwrap_or(0);
        let stderr_text = stderr_task.await.unwrap_or_default();
        match &status {
            Ok(s) if s.success() => {}
            // upload-pack ends non-zero on some shallow negotiations and when the client left.
            _ if client_gone || service == Service::UploadPack => {
                tracing::debug!(status = ?status, stderr = %Capped::new(&String::from_utf8_lossy(&stderr_text), MAX_INPUT_CHARS), "git ended early");
            }
            _ => {
                tracing::warn!(status = ?status, stderr = %Capped::new(&String::from_utf8_lossy(&stderr_text), MAX_INPUT_CHARS), "git exited with an error")
            }
        }
        if service == Service::ReceivePack {
            supervisor_state.git.packs_added(&rec.id);
        }
        if let Some(file) = events_file {
            let applied = tokio::fs::read_to_string(&file).await.unwrap_or_default();
            let _ = tokio::fs::remove_file(&file).await;
            let updates = parse_post_receive(&applied);
            if !updates.is_empty() {
                let moves = RefMoves {
                    repository_id: rec.id.clone(),
                    actor_arn: pusher.arn.clone(),
                    origin: Origin::Push,
                    updates,
                    merge: None,
                };
                let st = supervisor_state.clone();
                let _ =
                    tokio::task::spawn_blocking(move || events::record_ref_moves(&st, moves)).await;
            }
        }
        log_git(
            &rec,
            service,
            service.command(),
            bytes_in,
            bytes_out,
            started,
        );
        // Dropping `tx` here ends the response: only now does the client see the push finish.
        drop(tx);
    });

    let stream = tokio_stream_from(rx);
    git_response(
        format!("application/x-git-{}-result", service.command()),
        Body::from_stream(stream),
    )
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
