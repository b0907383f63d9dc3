//! A small STS at the same endpoint, so a test suite gets more principals the standard way:
//! `GetCallerIdentity`, `AssumeRole`, `GetSessionToken` and `GetFederationToken` in the query
//! protocol the SDKs and the aws CLI send (`Action=…&Version=2011-06-15`, form-encoded), with
//! STS's XML answers. Temporary credentials it hands out act as their principal on every later
//! call (see [`super::Identities::resolve`]).

use super::{Credential, Identities, Principal, SessionTags, unique_id};
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;

pub const STS_VERSION: &str = "2011-06-15";
const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// An STS error: HTTP status, `Type` (Sender/Receiver), `Code`, `Message`.
#[derive(Debug)]
pub struct StsError {
    pub status: u16,
    pub sender: bool,
    pub code: &'static str,
    pub message: String,
}

impl StsError {
    fn validation(message: impl Into<String>) -> Self {
        StsError {
            status: 400,
            sender: true,
            code: "ValidationError",
            message: message.into(),
        }
    }

    fn access_denied(message: impl Into<String>) -> Self {
        StsError {
            status: 403,
            sender: true,
            code: "AccessDenied",
            message: message.into(),
        }
    }

    /// The `<ErrorResponse>` document.
    pub fn to_xml(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"{XMLNS}\">\n  <Error>\n    <Type>{}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
            if self.sender { "Sender" } else { "Receiver" },
            self.code,
            escape(&self.message)
        )
    }
}

/// What a call needs besides its parameters.
pub struct StsCall<'a> {
    pub identities: &'a Identities,
    pub store: &'a Store,
    pub caller: &'a Arc<Principal>,
    /// The access key the call was signed with (temporary keys cannot call some actions).
    pub access_key_id: Option<&'a str>,
    pub request_id: &'a str,
}

/// Answers one STS query call; `params` are the decoded form fields.
pub fn call(c: &StsCall<'_>, params: &HashMap<String, String>) -> Result<String, StsError> {
    let action = params.get("Action").map(String::as_str).unwrap_or("");
    if let Some(v) = params.get("Version")
        && v != STS_VERSION
    {
        return Err(StsError {
            status: 400,
            sender: true,
            code: "InvalidAction",
            message: format!("Could not find operation {action} for version {v}"),
        });
    }
    let result = match action {
        "GetCallerIdentity" => get_caller_identity(c),
        "AssumeRole" => assume_role(c, params)?,
        "GetSessionToken" => get_session_token(c, params)?,
        "GetFederationToken" => get_federation_token(c, params)?,
        "" => {
            return Err(StsError {
                status: 400,
                sender: true,
                code: "MissingAction",
                message: "Missing Action".into(),
            });
        }
        other => {
            return Err(StsError {
                status: 400,
                sender: true,
                code: "InvalidAction",
                message: format!(
                    "Could not find operation {} for version {STS_VERSION}",
                    escape(other)
                ),
            });
        }
    };
    Ok(format!(
        "<{action}Response xmlns=\"{XMLNS}\">\n  <{action}Result>\n{result}  </{action}Result>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n",
        c.request_id
    ))
}

fn get_caller_identity(c: &StsCall<'_>) -> String {
    format!(
        "    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n",
        escape(&c.caller.arn),
        escape(&c.caller.user_id),
        c.caller.account
    )
}

/// `DurationSeconds`: within [min, max], default `default`.
fn duration(
    params: &HashMap<String, String>,
    min: u64,
    max: u64,
    default: u64,
) -> Result<u64, StsError> {
    let Some(raw) = params.get("DurationSeconds") else {
        return Ok(default);
    };
    let value: u64 = raw.parse().map_err(|_| {
        StsError::validation(format!(
            "1 validation error detected: Value '{}' at 'durationSeconds' failed to satisfy constraint: Member must be a number",
            escape(raw)
        ))
    })?;
    if value < min {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to {min}"
        )));
    }
    if value > max {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )));
    }
    Ok(value)
}

/// STS names (`RoleSessionName`, `Name`): `[\w+=,.@-]*` within a length range.
fn sts_name<'p>(
    params: &'p HashMap<String, String>,
    key: &str,
    member: &str,
    max: usize,
) -> Result<&'p str, StsError> {
    let Some(value) = params.get(key) else {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        )));
    };
    let len = value.chars().count();
    if len < 2 {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{}' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 2",
            escape(value)
        )));
    }
    if len > max {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}",
            escape(value)
        )));
    }
    let ok = value
        .chars()
        .all(|ch| ch.is_alphanumeric() || ch == '_' || "+=,.@-".contains(ch));
    if !ok {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
            escape(value)
        )));
    }
    Ok(value)
}

fn assume_role(c: &StsCall<'_>, params: &HashMap<String, String>) -> Result<String, StsError> {
    let Some(role_arn) = params.get("RoleArn") else {
        return Err(StsError::validation(
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
        ));
    };
    let session = sts_name(params, "RoleSessionName", "roleSessionName", 64)?;
    let seconds = duration(params, 900, 43_200, 3_600)?;
    // arn:aws:iam::ACCOUNT:role/[PATH/]NAME; the session ARN keeps only the role's name.
    let role = role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(':'))
        .filter(|(account, _)| super::is_account_id(account))
        .and_then(|(account, resource)| {
            let path = resource.strip_prefix("role/")?;
            let name = path.rsplit('/').next().filter(|n| !n.is_empty())?;
            Some((account, name))
        });
    let Some((account, role_name)) = role else {
        return Err(StsError::validation(format!(
            "{} is not a valid IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
            escape(role_arn)
        )));
    };
    let arn = format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}");
    let role_id = unique_id("AROA", &format!("{account}:{role_name}"));
    let principal = Principal {
        account: account.to_owned(),
        arn: arn.clone(),
        user_id: format!("{role_id}:{session}"),
    };
    let tags = session_tags(params)?;
    let creds = issue(c, principal, tags, seconds)?;
    Ok(format!(
        "{creds}    <AssumedRoleUser>\n      <AssumedRoleId>{role_id}:{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    </AssumedRoleUser>\n",
        escape(session),
        escape(&arn)
    ))
}

/// Temporary credentials cannot ask for more of the same kind (STS's rule for
/// GetSessionToken and GetFederationToken).
fn refuse_temporary(c: &StsCall<'_>, action: &str) -> Result<(), StsError> {
    let temporary = c
        .access_key_id
        .and_then(|k| c.identities.credential(k))
        .is_some_and(|cred| cred.session_token.is_some() && cred.expiration.is_some());
    if temporary {
        return Err(StsError::access_denied(format!(
            "Cannot call {action} with session credentials"
        )));
    }
    Ok(())
}

fn get_session_token(
    c: &StsCall<'_>,
    params: &HashMap<String, String>,
) -> Result<String, StsError> {
    refuse_temporary(c, "GetSessionToken")?;
    let seconds = duration(params, 900, 129_600, 43_200)?;
    // A long-term key's own tags (principals file) carry over; GetSessionToken takes none.
    let tags = c.identities.tags_of(&c.caller.arn).unwrap_or_default();
    issue(c, (**c.caller).clone(), tags, seconds)
}

fn get_federation_token(
    c: &StsCall<'_>,
    params: &HashMap<String, String>,
) -> Result<String, StsError> {
    refuse_temporary(c, "GetFederationToken")?;
    let name = sts_name(params, "Name", "name", 32)?;
    let seconds = duration(params, 900, 129_600, 43_200)?;
    let account = c.caller.account.clone();
    let arn = format!("arn:aws:sts::{account}:federated-user/{name}");
    let principal = Principal {
        account: account.clone(),
        arn: arn.clone(),
        user_id: format!("{account}:{name}"),
    };
    let tags = session_tags(params)?;
    let creds = issue(c, principal, tags, seconds)?;
    Ok(format!(
        "{creds}    <FederatedUser>\n      <FederatedUserId>{account}:{}</FederatedUserId>\n      <Arn>{}</Arn>\n    </FederatedUser>\n    <PackedPolicySize>0</PackedPolicySize>\n",
        escape(name),
        escape(&arn)
    ))
}

/// Session tags STS accepts on one call.
const MAX_SESSION_TAGS: usize = 50;

/// The `Tags.member.N.Key` / `.Value` of AssumeRole and GetFederationToken: the two that
/// CodeCommit reads (`displayName`, `emailAddress`; keys compare without case, as IAM's tag
/// keys do) are kept, others are accepted and have no effect here.
fn session_tags(params: &HashMap<String, String>) -> Result<SessionTags, StsError> {
    let mut tags = SessionTags::default();
    for i in 1..=MAX_SESSION_TAGS + 1 {
        let Some(key) = params.get(&format!("Tags.member.{i}.Key")) else {
            break;
        };
        if i > MAX_SESSION_TAGS {
            return Err(StsError::validation(format!(
                "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to {MAX_SESSION_TAGS}"
            )));
        }
        let value = params
            .get(&format!("Tags.member.{i}.Value"))
            .cloned()
            .unwrap_or_default();
        if key.eq_ignore_ascii_case("displayName") {
            tags.display_name = Some(value);
        } else if key.eq_ignore_ascii_case("emailAddress") {
            tags.email_address = Some(value);
        }
    }
    Ok(tags)
}

/// Creates, records and renders a set of temporary credentials for `principal`.
fn issue(
    c: &StsCall<'_>,
    principal: Principal,
    tags: SessionTags,
    seconds: u64,
) -> Result<String, StsError> {
    let now = crate::api::now_epoch();
    let expiration = (now + seconds as f64).floor();
    let cred = Credential {
        access_key_id: format!(
            "ASIA{}",
            random_chars(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        ),
        secret_access_key: Some(random_chars(
            40,
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        )),
        session_token: Some(format!(
            "FwoGZXIvYXdzE{}",
            random_chars(
                300,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
            )
        )),
        expiration: Some(expiration),
        tags,
        principal: Arc::new(principal),
    };
    let xml = format!(
        "    <Credentials>\n      <AccessKeyId>{}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      <Expiration>{}</Expiration>\n    </Credentials>\n",
        cred.access_key_id,
        escape(cred.secret_access_key.as_deref().unwrap_or("")),
        escape(cred.session_token.as_deref().unwrap_or("")),
        crate::timefmt::iso8601_seconds(expiration)
    );
    c.identities.add_session(c.store, cred).map_err(|e| {
        tracing::error!(error = %e, "could not record temporary credentials");
        StsError {
            status: 500,
            sender: false,
            code: "InternalFailure",
            message: "An internal error occurred.".into(),
        }
    })?;
    Ok(xml)
}

fn random_chars(n: usize, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in uuid::Uuid::new_v4().as_bytes() {
            if out.len() == n {
                break;
            }
            out.push(alphabet[usize::from(*b) % alphabet.len()] as char);
        }
    }
    out
}

/// XML text escaping.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
