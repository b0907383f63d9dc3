//! The awsJson1.1 edge: `POST /` with `X-Amz-Target: CodeCommit_20150413.<Operation>`.
//! Reads the content type, target, SigV4 scope and body; hands the body to the operation table;
//! writes the answer or the error as AWS does (`{"__type","message"}`, HTTP 400, 500 for
//! internal faults); stamps `x-amzn-RequestId`; logs one line per call.
//!
//! Requests that are not well-formed awsJson get the answers AWS's front end gives (seen in
//! emulators built from captured traffic, see notes in ARCHITECTURE.md): a missing or unknown
//! target is `UnknownOperationException`; a body that is not JSON, or an empty one, is
//! `SerializationException`; a content type other than `application/x-amz-json-1.1` is
//! answered in XML (404 `<UnknownOperationException/>`, or 403 when no operation can be read),
//! and `application/json` gets the legacy 200 envelope.

pub mod body;
pub mod dispatch;
pub mod query;
pub mod serialization;
pub mod sigv4;

use crate::api::Ctx;
use crate::error::ApiError;
use crate::identity::Principal;
use crate::logging::{Capped, CappedBytes, api_line};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use codecommit_model::{ErrorCode, Operation, TARGET_PREFIX};
use std::sync::Arc;
use std::time::Instant;

/// Largest request body read. PutFile and CreateCommit carry up to 6 MB per file and 7 MB per
/// commit, base64-encoded; anything past this is refused before parsing (HTTP 413).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

pub const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";

static REQUEST_ID_HEADER: header::HeaderName = header::HeaderName::from_static("x-amzn-requestid");

/// One API call's bookkeeping for the log line and the response headers.
struct Call {
    request_id: String,
    account: String,
    region: String,
    op: Option<Operation>,
    started: Instant,
    /// The repository the call named, when it names one.
    repository: Option<String>,
    /// The body, kept for the log line only when the `debug` level is on.
    input: Option<bytes::Bytes>,
}

impl Call {
    fn new(state: &AppState) -> Call {
        Call {
            request_id: new_request_id(),
            account: state.config.default_account.clone(),
            region: state.config.default_region.clone(),
            op: None,
            started: Instant::now(),
            repository: None,
            input: None,
        }
    }
}

/// A fresh request id, hex-encoded without going through `fmt` (it is made on every call).
fn new_request_id() -> String {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Uuid::new_v4()
        .hyphenated()
        .encode_lower(&mut buf)
        .to_owned()
}

pub async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    // Taken whole: the `HeaderMap` and `Uri` extractors would clone them on every call.
    let (parts, body) = request.into_parts();
    let (uri, headers) = (parts.uri, parts.headers);
    let mut call = Call::new(&state);
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let op = target
        .strip_prefix(TARGET_PREFIX)
        .and_then(|r| r.strip_prefix('.'))
        .and_then(Operation::from_name);
    call.op = op;

    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case(JSON_CONTENT_TYPE) {
    } else if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") && target.is_empty()
    {
        // The query protocol: STS at the same endpoint (identity::sts).
        return query::handle(state, &uri, &headers, body).await;
    } else if essence.eq_ignore_ascii_case("application/json") {
        return legacy_envelope(call, &headers, body, &state.body_memory).await;
    } else {
        return unsupported_content_type(call, target);
    }

    // Resolved first so that every log line names the caller's account and region, even for
    // a call refused before the scope matters (oversize or malformed body). Under
    // `--auth verify` the signature covers the body, so the caller is known once it is read.
    let verify = state.config.auth.verify();
    // (Under verify the unverified scope only names the log line of a body that cannot be
    // read; the verified one replaces it.)
    let mut scope = caller_scope(&state, &headers);
    if let Ok((caller, region)) = &scope {
        // Usually the defaults Call::new already holds.
        if call.account != caller.account {
            call.account = caller.account.clone();
        }
        if call.region != *region {
            call.region = region.clone();
        }
    }
    // The reservation is held until the answer is written: the body and what is decoded
    // from it stay within the body memory budget.
    let (body, body_sha256, _reserved) =
        match body::read(&headers, body, &state.body_memory, verify).await {
            Ok(b) => b,
            Err(e) => return finish(call, Err(e)),
        };
    if tracing::enabled!(target: "codecommit_local::api", tracing::Level::DEBUG) {
        call.input = Some(body.clone());
    }
    if verify {
        let request = crate::identity::verify::SignedRequest {
            method: "POST",
            path: uri.path(),
            query: uri.query(),
            headers: &headers,
            body_sha256: body_sha256.as_deref().unwrap_or(""),
        };
        match state.identities.verify_request(
            &request,
            SIGNING_NAME,
            crate::api::now_epoch() as i64,
        ) {
            Ok(v) => {
                call.account = v.principal.account.clone();
                call.region = v.region.clone();
                scope = Ok((v.principal, v.region));
            }
            Err(failure) => return finish(call, Err(auth_error(&failure))),
        }
    }
    // AWS parses the body before it looks at the target or the signature, but an empty body
    // with no usable target is an unknown operation. A well-formed call pays for one parse
    // only: the body is checked on its own just where the answer depends on it.
    let not_json = |body: &[u8]| serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err();
    let malformed = || ApiError::client(ErrorCode::Serialization, "");
    let Some(op) = op else {
        if !body.is_empty() && not_json(&body) {
            return finish(call, Err(malformed()));
        }
        return finish(call, Err(ApiError::client(ErrorCode::UnknownOperation, "")));
    };
    if body.is_empty() {
        return finish(call, Err(malformed()));
    }
    let caller = match scope {
        Ok((caller, _)) => caller,
        Err(e) => {
            let e = if not_json(&body) { malformed() } else { e };
            return finish(call, Err(e));
        }
    };

    let result = if dispatch::is_inline(op) {
        // The call's strings are lent to the context and taken back: no copies.
        let ctx = Ctx {
            state: &state,
            account: std::mem::take(&mut call.account),
            region: std::mem::take(&mut call.region),
            request_id: std::mem::take(&mut call.request_id),
            caller,
            repository: Default::default(),
        };
        let result = dispatch::dispatch(op, &ctx, &body);
        call.account = ctx.account;
        call.region = ctx.region;
        call.request_id = ctx.request_id;
        call.repository = ctx.repository.into_inner();
        result
    } else {
        let state = state.clone();
        let body = body.clone();
        let (account, region, request_id) = (
            call.account.clone(),
            call.region.clone(),
            call.request_id.clone(),
        );
        let (result, repository) = tokio::task::spawn_blocking(move || {
            let ctx = Ctx {
                state: &state,
                account,
                region,
                request_id,
                caller,
                repository: Default::default(),
            };
            let result = dispatch::dispatch(op, &ctx, &body);
            (result, ctx.repository.into_inner())
        })
        .await
        .unwrap_or_else(|e| (Err(ApiError::internal("running the operation", e)), None));
        call.repository = repository;
        result
    };
    // A body that is not JSON at all gets AWS's bare SerializationException, whatever the
    // operation would have said (a member-type complaint, or an operation not served yet).
    let result = match result {
        Err(_) if not_json(&body) => Err(malformed()),
        other => other,
    };
    finish(call, result)
}

/// The SigV4 signing name of CodeCommit.
pub const SIGNING_NAME: &str = "codecommit";

/// AWS's JSON exception for a request whose signature does not verify.
pub fn auth_error(failure: &crate::identity::verify::Failure) -> ApiError {
    use crate::identity::verify::Failure as F;
    let code = match failure {
        F::Missing => ErrorCode::MissingAuthenticationToken,
        F::Incomplete(_) => ErrorCode::IncompleteSignature,
        F::UnknownKey | F::InvalidToken => ErrorCode::UnrecognizedClient,
        F::ExpiredToken => ErrorCode::ExpiredToken,
        F::Mismatch { .. } | F::Expired(_) | F::Scope(_) => ErrorCode::InvalidSignature,
    };
    ApiError::client(code, failure.message())
}

/// Who calls and in which region: the principal of the SigV4 access key and the credential
/// scope's region when signed, else the default account's root and the default region.
fn caller_scope(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Arc<Principal>, String), ApiError> {
    let config = &state.config;
    let Some(auth) = headers.get(header::AUTHORIZATION) else {
        return Ok((
            state.identities.resolve(None),
            config.default_region.clone(),
        ));
    };
    let text = auth.to_str().map_err(|_| {
        crate::err!(
            IncompleteSignature,
            "The Authorization header is not valid ASCII."
        )
    })?;
    let cred = sigv4::parse_authorization(text).map_err(|sigv4::AuthError::Incomplete(msg)| {
        ApiError::client(ErrorCode::IncompleteSignature, msg)
    })?;
    if !sigv4::is_region_name(cred.region) {
        return Err(crate::err!(
            IncompleteSignature,
            "Credential should be scoped to a valid region."
        ));
    }
    Ok((
        state.identities.resolve(Some(cred.access_key_id)),
        cred.region.to_owned(),
    ))
}

fn finish(call: Call, result: Result<Vec<u8>, ApiError>) -> Response {
    match result {
        Ok(body) => respond(call, StatusCode::OK, body, JSON_CONTENT_TYPE, None),
        Err(e) => {
            let code = e.code();
            let message = match e {
                ApiError::Client { message, .. } => message,
                ApiError::Internal { context, cause } => {
                    tracing::error!(
                        request_id = %call.request_id,
                        operation = call.op.map(Operation::name).unwrap_or("-"),
                        context = %Capped::quote(&context),
                        cause = %Capped::quote(&cause),
                        "internal error"
                    );
                    format!(
                        "An internal error occurred (request id {}).",
                        call.request_id
                    )
                }
            };
            let status =
                StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            let body = error_body(code, &message);
            respond(
                call,
                status,
                body,
                JSON_CONTENT_TYPE,
                Some((code, &message)),
            )
        }
    }
}

/// Writes the answer and the call's log line: request id (the `x-amzn-RequestId` the SDK
/// reports), scope, operation, repository, status, exception and its message; at `debug`, the
/// input too. Quotes are capped (`logging::Capped`).
fn respond(
    call: Call,
    status: StatusCode,
    body: Vec<u8>,
    content_type: &'static str,
    exception: Option<(ErrorCode, &str)>,
) -> Response {
    if tracing::enabled!(target: "codecommit_local::api", tracing::Level::INFO) {
        log_call(&call, status, exception);
    }
    // Built directly: `Vec`'s `IntoResponse` adds an octet-stream content type to replace.
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    // AWS's XML answers carry no content type.
    if !content_type.is_empty() {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    // The id's own buffer becomes the header value (no copy).
    if let Ok(v) = HeaderValue::from_maybe_shared(bytes::Bytes::from(call.request_id.into_bytes()))
    {
        h.insert(&REQUEST_ID_HEADER, v);
    }
    response
}

/// The call's line, formatted by hand (`logging::api_line`) or, where no buffered log is set
/// up, through tracing.
fn log_call(call: &Call, status: StatusCode, exception: Option<(ErrorCode, &str)>) {
    let line = api_line::ApiLine {
        request_id: &call.request_id,
        account: &call.account,
        region: &call.region,
        operation: call.op.map(Operation::name).unwrap_or("-"),
        repository: call.repository.as_deref().unwrap_or("-"),
        status: status.as_u16(),
        exception: exception.map(|(c, _)| c.name()).unwrap_or("-"),
        error: exception.map(|(_, m)| m).filter(|m| !m.is_empty()),
        elapsed: call.started.elapsed(),
        input: call.input.as_deref(),
    };
    if api_line::write(&line) {
        return;
    }
    tracing::info!(
        target: "codecommit_local::api",
        request_id = %line.request_id,
        account = %line.account,
        region = %line.region,
        operation = line.operation,
        repository = line.repository,
        status = line.status,
        exception = line.exception,
        error = line.error.map(|m| tracing::field::display(Capped::quote(m))),
        ms = format_args!("{:.2}", line.elapsed.as_secs_f64() * 1000.0),
        input = line
            .input
            .map(|b| tracing::field::display(CappedBytes::new(b, crate::logging::MAX_INPUT_CHARS))),
    );
}

/// `{"__type": "...", "message": "..."}`. Protocol-level errors carry no message; the
/// deserializer's errors spell it `Message`, as AWS's JSON front end does.
pub fn error_body(code: ErrorCode, message: &str) -> Vec<u8> {
    let mut map = serde_json::Map::new();
    map.insert("__type".into(), code.name().into());
    if !message.is_empty() {
        let key = if code == ErrorCode::Serialization {
            "Message"
        } else {
            "message"
        };
        map.insert(key.into(), message.into());
    }
    serde_json::to_vec(&map).unwrap_or_default()
}

/// `Content-Type: application/json`: AWS answers HTTP 200 with its legacy envelope around an
/// `UnknownOperationException` (or a `SerializationException` when the body is not JSON).
async fn legacy_envelope(
    call: Call,
    headers: &HeaderMap,
    body: Body,
    budget: &body::BodyBudget,
) -> Response {
    // Read within the same limits as any body; one that cannot be read counts as empty.
    let (bytes, _reserved) = match body::read(headers, body, budget, false).await {
        Ok((bytes, _, reserved)) => (bytes, Some(reserved)),
        Err(_) => (bytes::Bytes::new(), None),
    };
    let (code, key) =
        if !bytes.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
            (ErrorCode::Serialization, "Message")
        } else {
            (ErrorCode::UnknownOperation, "message")
        };
    let body = format!(
        "{{\"Output\":{{\"__type\":\"com.amazon.coral.service#{}\",\"{key}\":null}},\"Version\":\"1.0\"}}",
        code.name()
    );
    respond(
        call,
        StatusCode::OK,
        body.into_bytes(),
        "application/json",
        Some((code, "")),
    )
}

/// Any method but POST on the API root: AWS's front end cannot tell which operation is meant.
pub async fn other_method(State(state): State<Arc<AppState>>) -> Response {
    unsupported_content_type(Call::new(&state), "")
}

/// Any other content type: AWS's front end answers in XML.
fn unsupported_content_type(call: Call, target: &str) -> Response {
    let well_formed = target
        .split_once('.')
        .is_some_and(|(p, o)| !p.is_empty() && !o.is_empty());
    if well_formed {
        let body = b"<UnknownOperationException/>\n".to_vec();
        respond(
            call,
            StatusCode::NOT_FOUND,
            body,
            "",
            Some((ErrorCode::UnknownOperation, "")),
        )
    } else {
        let body = b"<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n".to_vec();
        respond(
            call,
            StatusCode::FORBIDDEN,
            body,
            "",
            Some((ErrorCode::AccessDenied, "")),
        )
    }
}
