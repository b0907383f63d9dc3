//! The query protocol at `POST /` (form-encoded `Action=…&Version=…`, XML answers): how the
//! SDKs and the aws CLI call STS. Only STS is answered this way (see `identity::sts`).

use crate::identity::sts::{self, StsCall, StsError};
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Query requests are small: a few parameters.
const MAX_QUERY_BODY_BYTES: usize = 64 * 1024;

/// The SigV4 signing name of STS.
const SIGNING_NAME: &str = "sts";

pub async fn handle(
    state: Arc<AppState>,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut access_key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| super::sigv4::parse_authorization(v).ok())
        .map(|c| c.access_key_id.to_owned());
    let mut caller = state.identities.resolve(access_key.as_deref());
    let read = axum::body::to_bytes(body, MAX_QUERY_BODY_BYTES).await;
    // Under `--auth verify` the call must be signed for STS by a known key.
    let verified = match &read {
        Ok(bytes) if state.config.auth.verify() => {
            let body_sha256 = crate::identity::verify::sha256_hex(bytes);
            let request = crate::identity::verify::SignedRequest {
                method: "POST",
                path: uri.path(),
                query: uri.query(),
                headers,
                body_sha256: &body_sha256,
            };
            match state.identities.verify_request(
                &request,
                SIGNING_NAME,
                crate::api::now_epoch() as i64,
            ) {
                Ok(v) => {
                    caller = v.principal.clone();
                    access_key = Some(v.access_key_id.clone());
                    Ok(())
                }
                Err(f) => Err(auth_error(&f)),
            }
        }
        _ => Ok(()),
    };
    let result = match (read, verified) {
        (_, Err(e)) => Err(e),
        (Err(_), _) => Err(StsError {
            status: 413,
            sender: true,
            code: "RequestEntityTooLarge",
            message: "Request body too large".into(),
        }),
        (Ok(bytes), Ok(())) => {
            let params: HashMap<String, String> = form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let action = params.get("Action").cloned().unwrap_or_default();
            // Issuing credentials writes to SQLite: off the async worker.
            let (state, caller, key, id) = (
                state.clone(),
                caller.clone(),
                access_key.clone(),
                request_id.clone(),
            );
            tokio::task::spawn_blocking(move || {
                let call = StsCall {
                    identities: &state.identities,
                    store: &state.store,
                    caller: &caller,
                    access_key_id: key.as_deref(),
                    request_id: &id,
                };
                sts::call(&call, &params)
            })
            .await
            .unwrap_or_else(|_| {
                Err(StsError {
                    status: 500,
                    sender: false,
                    code: "InternalFailure",
                    message: "An internal error occurred.".into(),
                })
            })
            .map(|xml| (action, xml))
        }
    };
    let (status, body, action, code) = match result {
        Ok((action, xml)) => (StatusCode::OK, xml, action, None),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.to_xml(&request_id),
            String::new(),
            Some(e.code),
        ),
    };
    tracing::info!(
        target: "codecommit_local::api",
        account = %caller.account,
        service = "sts",
        operation = %action,
        status = status.as_u16(),
        exception = code.unwrap_or("-"),
        ms = format_args!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
    );
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-amzn-requestid", v);
    }
    response
}

/// STS's answer to a request whose signature does not verify (query-protocol codes).
fn auth_error(failure: &crate::identity::verify::Failure) -> StsError {
    use crate::identity::verify::Failure as F;
    let (status, code) = match failure {
        F::Missing => (403, "MissingAuthenticationToken"),
        F::Incomplete(_) => (400, "IncompleteSignature"),
        F::UnknownKey | F::InvalidToken => (403, "InvalidClientTokenId"),
        F::ExpiredToken => (400, "ExpiredToken"),
        F::Mismatch { .. } | F::Expired(_) | F::Scope(_) => (403, "SignatureDoesNotMatch"),
    };
    StsError {
        status,
        sender: true,
        code,
        message: failure.message(),
    }
}
