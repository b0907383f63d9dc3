//! Verifying who signed a request (`--auth verify`): SigV4 on the API and STS (the
//! `Authorization` header, or a presigned URL's query), and the two kinds of git credentials
//! CodeCommit accepts over HTTPS (codecommit-facts.md §7): the SigV4 "GIT" password that
//! git-remote-codecommit and the aws CLI's credential helper make, and IAM-style Git
//! credentials (`<user>-at-<account>` with a password) from the principals file.
//!
//! Secrets are those of the principals file and of the temporary credentials our STS issued
//! ([`Identities::credential`]). Failures are protocol-neutral ([`Failure`], [`GitFailure`]);
//! the protocol edges turn them into AWS's exceptions (JSON, STS XML) or git's 401/403.
//!
//! Time windows: a signed request may be 5 minutes off the server's clock either way, as on
//! AWS ("Signature expired"); a presigned URL is good for its `X-Amz-Expires` (at most a week).
//! A git password's timestamp may be [`GIT_PASSWORD_WINDOW_SECS`] off either way: AWS does not
//! document its window; git reuses one password for every request of a clone or push, so the
//! window must outlast a long transfer's negotiation.

use super::{Credential, Identities, Principal};
use crate::protocol::sigv4::{self, Signed};
use crate::timefmt::{amz_date, parse_amz_date};
use axum::http::{HeaderMap, header};
use ring::{digest, hmac};
use std::fmt::Write as _;
use std::sync::Arc;

/// How far a signed request's `X-Amz-Date` may be from the server's clock (AWS: 5 minutes).
pub const SIGNATURE_WINDOW_SECS: i64 = 300;
/// How far a git password's timestamp may be from the server's clock, either way.
pub const GIT_PASSWORD_WINDOW_SECS: i64 = 900;
/// The longest a presigned URL may be valid (`X-Amz-Expires`), as on AWS.
pub const MAX_PRESIGNED_EXPIRES_SECS: i64 = 604_800;

/// Regions tried for a git password (it names none; the signature does). The URL's region
/// and the server's default region are tried first.
pub const KNOWN_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
];

/// A request as it arrived, for checking its signature.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent (still percent-encoded).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// Hex SHA-256 of the body as received (before any gunzip).
    pub body_sha256: &'a str,
}

/// A verified caller.
#[derive(Debug, Clone)]
pub struct Verified {
    pub principal: Arc<Principal>,
    pub access_key_id: String,
    /// The region the request was signed for.
    pub region: String,
}

/// Why a signed request is refused; the edges map these to AWS's exceptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No `Authorization` header and no presigned query (MissingAuthenticationToken).
    Missing,
    /// The signature is not complete or not readable (IncompleteSignature).
    Incomplete(String),
    /// The access key is not known (UnrecognizedClient / InvalidClientTokenId).
    UnknownKey,
    /// The session token is missing, unexpected or wrong (same exception as an unknown key).
    InvalidToken,
    /// Temporary credentials past their expiration (ExpiredToken).
    ExpiredToken,
    /// The signature does not match (InvalidSignature / SignatureDoesNotMatch).
    Mismatch {
        canonical_request: String,
        string_to_sign: String,
    },
    /// Signed too long ago or too far ahead, or a presigned URL past its expiry.
    Expired(String),
    /// Signed for another service, date or terminator (InvalidSignature).
    Scope(String),
}

impl Failure {
    /// AWS's message for the failure.
    pub fn message(&self) -> String {
        match self {
            Failure::Missing => "Request is missing Authentication Token".into(),
            Failure::Incomplete(m) | Failure::Expired(m) | Failure::Scope(m) => m.clone(),
            Failure::UnknownKey | Failure::InvalidToken => {
                "The security token included in the request is invalid.".into()
            }
            Failure::ExpiredToken => "The security token included in the request is expired".into(),
            Failure::Mismatch {
                canonical_request,
                string_to_sign,
            } => format!(
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. Consult the service \
                 documentation for details.\n\nThe Canonical String for this request should \
                 have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            ),
        }
    }
}

/// Why git credentials are refused (all answered 403; the reason goes to the log and the
/// message git shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitFailure {
    /// A `<user>-at-<account>` user name the principals file does not list.
    UnknownUser,
    /// The Git credential's password is wrong.
    WrongPassword,
    /// Neither a Git credential nor a SigV4 password (`<YYYYMMDDTHHMMSS>Z<hex>`).
    Malformed,
    UnknownKey,
    InvalidToken,
    ExpiredToken,
    /// The password's timestamp is outside the window.
    Expired(String),
    /// No region, host or path makes the signature match.
    Mismatch,
}

impl GitFailure {
    pub fn reason(&self) -> String {
        match self {
            GitFailure::UnknownUser => "unknown Git credentials user name".into(),
            GitFailure::WrongPassword => "wrong password for the Git credentials".into(),
            GitFailure::Malformed => {
                "the password is neither a Git credentials password nor a SigV4 signature".into()
            }
            GitFailure::UnknownKey => "the access key is not known".into(),
            GitFailure::InvalidToken => "the session token is missing or invalid".into(),
            GitFailure::ExpiredToken => "the session token is expired".into(),
            GitFailure::Expired(m) => m.clone(),
            GitFailure::Mismatch => "the signature does not match (check the secret access key and the region signed for)".into(),
        }
    }
}

/// A verified git caller; `region` is the one the password was signed for (Git credentials
/// name none).
#[derive(Debug, Clone)]
pub struct GitVerified {
    pub principal: Arc<Principal>,
    pub region: Option<String>,
}

/// Where a git password may have been signed: the host with and without its port, the
/// repository path, the candidate regions in order.
pub struct GitTarget<'a> {
    pub hosts: &'a [String],
    pub paths: &'a [String],
    pub regions: &'a [String],
}

/// Which signing key: `access key / date / region / service`.
pub(super) type SigningKeyId = String;

impl Identities {
    /// Checks a SigV4-signed request (header or presigned query) signed for `service`.
    pub fn verify_request(
        &self,
        req: &SignedRequest<'_>,
        service: &str,
        now: i64,
    ) -> Result<Verified, Failure> {
        let auth = req.headers.get(header::AUTHORIZATION);
        let query: Vec<(String, String)> = req
            .query
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let presigned = auth.is_none() && param("X-Amz-Algorithm").is_some();
        let (signed, date_text, token, expires) = if let Some(auth) = auth {
            let text = auth.to_str().map_err(|_| {
                Failure::Incomplete("The Authorization header is not valid ASCII.".into())
            })?;
            let signed = sigv4::parse_signed(text).map_err(Failure::Incomplete)?;
            // `X-Amz-Date`, else `Date` (AWS General Reference, "Handling dates in Signature
            // Version 4"); either way in the `YYYYMMDDTHHMMSSZ` form checked below.
            let date = header_str(req.headers, "x-amz-date")
                .or_else(|| header_str(req.headers, "date"))
                .ok_or_else(|| {
                Failure::Incomplete(format!(
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={text}"
                ))
            })?;
            let token = header_str(req.headers, "x-amz-security-token");
            (signed, date, token, None)
        } else if presigned {
            let algorithm = param("X-Amz-Algorithm").unwrap_or("");
            if algorithm != "AWS4-HMAC-SHA256" {
                return Err(Failure::Incomplete(format!(
                    "Unsupported AWS 'algorithm': '{algorithm}'."
                )));
            }
            let mut missing = Vec::new();
            for name in [
                "X-Amz-Credential",
                "X-Amz-Signature",
                "X-Amz-SignedHeaders",
                "X-Amz-Date",
            ] {
                if param(name).is_none() {
                    missing.push(format!("'{name}'"));
                }
            }
            if !missing.is_empty() {
                return Err(Failure::Incomplete(format!(
                    "AWS query-string parameters must include {}. Re-examine the query-string parameters.",
                    missing.join(", ")
                )));
            }
            let signed = sigv4::parse_credential(
                param("X-Amz-Credential").unwrap_or(""),
                param("X-Amz-SignedHeaders").unwrap_or(""),
                param("X-Amz-Signature").unwrap_or(""),
            )
            .ok_or_else(|| {
                Failure::Incomplete("Credential should be scoped to a valid region. ".into())
            })?;
            let expires = match param("X-Amz-Expires") {
                None => None,
                Some(v) => match v.parse::<i64>() {
                    Ok(n) if (0..=MAX_PRESIGNED_EXPIRES_SECS).contains(&n) => Some(n),
                    Ok(_) => {
                        return Err(Failure::Incomplete(format!(
                            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGNED_EXPIRES_SECS}"
                        )));
                    }
                    Err(_) => {
                        return Err(Failure::Incomplete(
                            "X-Amz-Expires should be a number".into(),
                        ));
                    }
                },
            };
            (
                signed,
                param("X-Amz-Date").unwrap_or(""),
                param("X-Amz-Security-Token"),
                expires,
            )
        } else {
            return Err(Failure::Missing);
        };

        if !sigv4::is_region_name(signed.region) {
            return Err(Failure::Incomplete(
                "Credential should be scoped to a valid region. ".into(),
            ));
        }
        let signed_at = parse_amz_date(date_text)
            .filter(|_| date_text.ends_with('Z'))
            .ok_or_else(|| {
                Failure::Incomplete(format!(
                    "Date must be in ISO-8601 'basic format'. Got '{date_text}'. See http://en.wikipedia.org/wiki/ISO_8601"
                ))
            })?;
        if signed.date != &date_text[..8] {
            return Err(Failure::Scope(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{date_text}'.",
                signed.date,
                &date_text[..8]
            )));
        }
        check_time(signed_at, date_text, expires, now)?;
        if signed.service != service {
            return Err(Failure::Scope(format!(
                "Credential should be scoped to correct service: '{service}'. "
            )));
        }
        if signed.terminator != "aws4_request" {
            return Err(Failure::Scope(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
                signed.terminator
            )));
        }
        let credential = self.checked_credential(signed.access_key_id, token, now)?;
        let names: Vec<&str> = signed.signed_headers.split(';').collect();
        if !names.contains(&"host") {
            return Err(Failure::Scope(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
            ));
        }
        let payload_hashes: Vec<&str> = if presigned {
            vec![req.body_sha256, "UNSIGNED-PAYLOAD"]
        } else {
            vec![header_str(req.headers, "x-amz-content-sha256").unwrap_or(req.body_sha256)]
        };
        let key = self.signing_key(&credential, &signed, service);
        let mut first = None;
        for payload in payload_hashes {
            let canonical =
                canonical_request(req, &names, signed.signed_headers, presigned, payload);
            let string_to_sign = string_to_sign(date_text, &signed, &canonical);
            let tag = hmac::sign(&key, string_to_sign.as_bytes());
            if hex_eq(tag.as_ref(), signed.signature) {
                return Ok(Verified {
                    principal: credential.principal.clone(),
                    access_key_id: credential.access_key_id.clone(),
                    region: signed.region.to_owned(),
                });
            }
            first.get_or_insert((canonical, string_to_sign));
        }
        let (canonical_request, string_to_sign) = first.unwrap_or_default();
        Err(Failure::Mismatch {
            canonical_request,
            string_to_sign,
        })
    }

    /// The credential of `access_key_id`, checked for a secret, its session token and expiry.
    fn checked_credential(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        now: i64,
    ) -> Result<Credential, Failure> {
        let credential = self
            .credential(access_key_id)
            .filter(|c| c.secret_access_key.is_some())
            .ok_or(Failure::UnknownKey)?;
        let token_ok = match (credential.session_token.as_deref(), token) {
            (None, None) => true,
            (Some(expected), Some(got)) => constant_time_eq(expected.as_bytes(), got.as_bytes()),
            _ => false,
        };
        if !token_ok {
            return Err(Failure::InvalidToken);
        }
        if credential.expiration.is_some_and(|e| e < now as f64) {
            return Err(Failure::ExpiredToken);
        }
        Ok(credential)
    }

    /// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`,
    /// remembered: it changes once a day per key and region.
    fn signing_key(
        &self,
        credential: &Credential,
        signed: &Signed<'_>,
        service: &str,
    ) -> hmac::Key {
        self.signing_key_for(credential, signed.date, signed.region, service)
    }

    fn signing_key_for(
        &self,
        credential: &Credential,
        date: &str,
        region: &str,
        service: &str,
    ) -> hmac::Key {
        let key_id = &credential.access_key_id;
        let mut id =
            String::with_capacity(key_id.len() + date.len() + region.len() + service.len() + 3);
        for (i, part) in [key_id.as_str(), date, region, service]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                id.push('/');
            }
            id.push_str(part);
        }
        if let Some(k) = self.signing_keys.read().get(&id) {
            return k.clone();
        }
        let secret = credential.secret_access_key.as_deref().unwrap_or("");
        let key = derive_signing_key(secret, date, region, service);
        let mut cache = self.signing_keys.write();
        if cache.len() >= 4096 {
            cache.clear();
        }
        cache.insert(id, key.clone());
        key
    }

    /// Checks git's HTTP Basic credentials: a Git credential of the principals file, or a
    /// SigV4 "GIT" password (`<YYYYMMDDTHHMMSS>Z<signature>`) for `KEY` or `KEY%TOKEN`.
    pub fn verify_git(
        &self,
        user: &str,
        password: &str,
        target: &GitTarget<'_>,
        now: i64,
    ) -> Result<GitVerified, GitFailure> {
        if let Some(g) = self.git_credential(user) {
            return if constant_time_eq(g.password.as_bytes(), password.as_bytes()) {
                Ok(GitVerified {
                    principal: g.principal.clone(),
                    region: None,
                })
            } else {
                Err(GitFailure::WrongPassword)
            };
        }
        let Some((timestamp, signature)) = split_git_password(password) else {
            return Err(if user.contains("-at-") {
                GitFailure::UnknownUser
            } else {
                GitFailure::Malformed
            });
        };
        let (key, token) = match user.split_once('%') {
            Some((k, t)) => (k, Some(t)),
            None => (user, None),
        };
        let credential = self
            .checked_credential(key, token, now)
            .map_err(|f| match f {
                Failure::InvalidToken => GitFailure::InvalidToken,
                Failure::ExpiredToken => GitFailure::ExpiredToken,
                _ => GitFailure::UnknownKey,
            })?;
        let Some(signed_at) = parse_amz_date(timestamp) else {
            return Err(GitFailure::Malformed);
        };
        if (signed_at - now).abs() > GIT_PASSWORD_WINDOW_SECS {
            return Err(GitFailure::Expired(format!(
                "the password was signed at {}, more than {} minutes from the server's time {}",
                amz_date(signed_at),
                GIT_PASSWORD_WINDOW_SECS / 60,
                amz_date(now)
            )));
        }
        let date = &timestamp[..8];
        let hashes: Vec<String> = target
            .hosts
            .iter()
            .flat_map(|host| {
                target.paths.iter().map(move |path| {
                    sha256_hex(format!("GIT\n{path}\n\nhost:{host}\n\nhost\n").as_bytes())
                })
            })
            .collect();
        for region in target.regions {
            let signing_key = self.signing_key_for(&credential, date, region, "codecommit");
            for hash in &hashes {
                let sts = format!(
                    "AWS4-HMAC-SHA256\n{timestamp}\n{date}/{region}/codecommit/aws4_request\n{hash}"
                );
                let tag = hmac::sign(&signing_key, sts.as_bytes());
                if hex_eq(tag.as_ref(), signature) {
                    return Ok(GitVerified {
                        principal: credential.principal.clone(),
                        region: Some(region.clone()),
                    });
                }
            }
        }
        Err(GitFailure::Mismatch)
    }
}

/// `20260101T120000Z<64 hex>` → (`20260101T120000`, hex).
fn split_git_password(password: &str) -> Option<(&str, &str)> {
    let (timestamp, signature) = (password.get(..15)?, password.get(16..)?);
    let ok = password.as_bytes().get(15) == Some(&b'Z')
        && timestamp.as_bytes()[8] == b'T'
        && signature.len() == 64
        && signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    ok.then_some((timestamp, signature))
}

fn check_time(
    signed_at: i64,
    date_text: &str,
    expires: Option<i64>,
    now: i64,
) -> Result<(), Failure> {
    let window = SIGNATURE_WINDOW_SECS;
    if signed_at > now + window {
        return Err(Failure::Expired(format!(
            "Signature not yet current: {date_text} is still later than {} ({} + 5 min.)",
            amz_date(now + window),
            amz_date(now)
        )));
    }
    match expires {
        Some(secs) if now > signed_at + secs => Err(Failure::Expired(format!(
            "Signature expired: {} is now earlier than {} ({date_text} + {secs} sec.)",
            amz_date(signed_at + secs),
            amz_date(now)
        ))),
        None if signed_at < now - window => Err(Failure::Expired(format!(
            "Signature expired: {date_text} is now earlier than {} ({} - 5 min.)",
            amz_date(now - window),
            amz_date(now)
        ))),
        _ => Ok(()),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let step = |key: &[u8], data: &str| {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
    };
    let k_date = step(format!("AWS4{secret}").as_bytes(), date);
    let k_region = step(k_date.as_ref(), region);
    let k_service = step(k_region.as_ref(), service);
    let k_signing = step(k_service.as_ref(), "aws4_request");
    hmac::Key::new(hmac::HMAC_SHA256, k_signing.as_ref())
}

fn string_to_sign(date_text: &str, signed: &Signed<'_>, canonical: &str) -> String {
    let mut out = String::with_capacity(160);
    out.push_str("AWS4-HMAC-SHA256\n");
    out.push_str(date_text);
    out.push('\n');
    for (i, part) in [
        signed.date,
        signed.region,
        signed.service,
        signed.terminator,
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            out.push('/');
        }
        out.push_str(part);
    }
    out.push('\n');
    push_hex(
        digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref(),
        &mut out,
    );
    out
}

/// The canonical request of SigV4 (non-S3 rules: the path normalized and encoded once more).
fn canonical_request(
    req: &SignedRequest<'_>,
    signed_headers: &[&str],
    signed_headers_text: &str,
    presigned: bool,
    payload_hash: &str,
) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query(req.query.unwrap_or(""), presigned));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let mut first = true;
        for value in req.headers.get_all(*name) {
            if !first {
                out.push(',');
            }
            first = false;
            let text = String::from_utf8_lossy(value.as_bytes());
            let mut words = text.split_whitespace();
            if let Some(w) = words.next() {
                out.push_str(w);
                for w in words {
                    out.push(' ');
                    out.push_str(w);
                }
            }
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed_headers_text);
    out.push('\n');
    out.push_str(payload_hash);
    out
}

fn canonical_uri(path: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    // Dot segments are removed and the path encoded once more, as the SDKs do for every
    // service but S3.
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/').skip(1) {
        match seg {
            "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len() + 8);
    for seg in &segments {
        out.push('/');
        uri_encode(seg, &mut out);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

fn canonical_query(query: &str, presigned: bool) -> String {
    if query.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
        .map(|(k, v)| {
            let (mut ek, mut ev) = (String::new(), String::new());
            uri_encode(&k, &mut ek);
            uri_encode(&v, &mut ev);
            (ek, ev)
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// RFC 3986 encoding: everything but unreserved characters as `%XX`.
fn uri_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(bytes, &mut s);
    s
}

fn push_hex(bytes: &[u8], out: &mut String) {
    for b in bytes {
        out.push(HEX_DIGITS[(b >> 4) as usize] as char);
        out.push(HEX_DIGITS[(b & 15) as usize] as char);
    }
}

/// Whether `hex` is the lowercase hex of `bytes`, in constant time.
fn hex_eq(bytes: &[u8], hex: &str) -> bool {
    let hex = hex.as_bytes();
    if hex.len() != bytes.len() * 2 {
        return false;
    }
    let mut diff = 0u8;
    for (i, b) in bytes.iter().enumerate() {
        diff |= hex[2 * i] ^ HEX_DIGITS[(b >> 4) as usize];
        diff |= hex[2 * i + 1] ^ HEX_DIGITS[(b & 15) as usize];
    }
    diff == 0
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published SigV4 example (the IAM ListUsers GET in the General Reference).
    #[test]
    fn matches_the_published_example() {
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        let canonical = "GET\n/\nAction=ListUsers&Version=2010-05-08\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let sts = format!(
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n{}",
            sha256_hex(canonical.as_bytes())
        );
        assert_eq!(
            hex(hmac::sign(&key, sts.as_bytes()).as_ref()),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn canonical_parts() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/a/./b/../c"), "/a/c");
        assert_eq!(canonical_uri("/a%20b"), "/a%2520b");
        assert_eq!(
            canonical_query("b=2&a=1&X-Amz-Signature=x&c=a%20b", true),
            "a=1&b=2&c=a%20b"
        );
        assert_eq!(canonical_query("a=1", false), "a=1");
    }

    #[test]
    fn git_passwords_split() {
        let sig = "a".repeat(64);
        let pw = format!("20260101T120000Z{sig}");
        assert_eq!(
            split_git_password(&pw),
            Some(("20260101T120000", sig.as_str()))
        );
        assert_eq!(split_git_password("hunter2"), None);
        assert_eq!(
            split_git_password(&format!("20260101T120000Z{}", "G".repeat(64))),
            None
        );
    }

    #[test]
    fn time_windows() {
        let now = parse_amz_date("20260101T120000Z").unwrap();
        assert!(check_time(now - 299, "x", None, now).is_ok());
        let e = check_time(now - 301, "20260101T115459Z", None, now).unwrap_err();
        assert_eq!(
            e.message(),
            "Signature expired: 20260101T115459Z is now earlier than 20260101T115500Z (20260101T120000Z - 5 min.)"
        );
        assert!(check_time(now + 301, "x", None, now).is_err());
        assert!(check_time(now - 3000, "x", Some(3600), now).is_ok());
        assert!(check_time(now - 3601, "x", Some(3600), now).is_err());
    }
}
