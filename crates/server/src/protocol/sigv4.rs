//! Reads who is calling and where from a SigV4 `Authorization` header: the access key names
//! the caller (see `identity`), and the scope's region selects the region. [`parse_signed`]
//! reads every part, for `identity::verify` to check the signature (`--auth verify`).

/// The parts of `Credential=AKID/DATE/REGION/SERVICE/aws4_request` we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential<'a> {
    pub access_key_id: &'a str,
    pub region: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    /// The header is present but is not a SigV4 header we can read (the message is AWS's
    /// IncompleteSignatureException message).
    Incomplete(String),
}

/// The five parts of `keyid/date/region/service/term` (an access key id never holds a slash),
/// without allocating: this runs on every call.
fn scope_parts(credential: &str) -> Option<[&str; 5]> {
    let mut it = credential.split('/');
    let parts = [it.next()?, it.next()?, it.next()?, it.next()?, it.next()?];
    it.next().is_none().then_some(parts)
}

/// AWS's answer to a `Credential=` that is not `keyid/date/region/service/term`.
fn credential_shape_message(credential: &str) -> String {
    format!(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
    )
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
pub fn parse_authorization(header: &str) -> Result<Credential<'_>, AuthError> {
    let rest = header.strip_prefix("AWS4-HMAC-SHA256").ok_or_else(|| {
        AuthError::Incomplete("Authorization header requires the AWS4-HMAC-SHA256 algorithm".into())
    })?;
    let mut credential = None;
    let mut signature = false;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if part.starts_with("Signature=") {
            signature = true;
        }
    }
    let credential = credential.ok_or_else(|| {
        AuthError::Incomplete("Authorization header requires 'Credential' parameter".into())
    })?;
    if !signature {
        return Err(AuthError::Incomplete(
            "Authorization header requires 'Signature' parameter".into(),
        ));
    }
    let Some([access_key_id, _date, region, _service, _terminator]) = scope_parts(credential)
    else {
        return Err(AuthError::Incomplete(credential_shape_message(credential)));
    };
    if access_key_id.is_empty() || region.is_empty() {
        return Err(AuthError::Incomplete(
            "Credential should be scoped to a valid region".into(),
        ));
    }
    Ok(Credential {
        access_key_id,
        region,
    })
}

/// Every part of a SigV4 `Authorization` header (or of a presigned URL's query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed<'a> {
    pub access_key_id: &'a str,
    /// `YYYYMMDD` of the credential scope.
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// `aws4_request`.
    pub terminator: &'a str,
    /// Lowercase header names, `;`-separated.
    pub signed_headers: &'a str,
    /// Hex.
    pub signature: &'a str,
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` whole; the error is
/// AWS's IncompleteSignatureException message.
pub fn parse_signed(header: &str) -> Result<Signed<'_>, String> {
    let incomplete = |what: &str| format!("{what} Authorization={header}");
    let Some(rest) = header.strip_prefix("AWS4-HMAC-SHA256 ") else {
        let algorithm = header.split_whitespace().next().unwrap_or("");
        return Err(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'. Authorization={header}"
        ));
    };
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !value {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !missing.is_empty() {
        return Err(incomplete(missing.trim_end()));
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(incomplete("Authorization header is malformed."));
    };
    if scope_parts(credential).is_none() {
        return Err(credential_shape_message(credential));
    }
    let signed = parse_credential(credential, signed_headers, signature)
        .ok_or_else(|| incomplete("Credential should be scoped to a valid region."))?;
    Ok(signed)
}

/// `AKID/DATE/REGION/SERVICE/aws4_request` with the other two parts.
pub fn parse_credential<'a>(
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
) -> Option<Signed<'a>> {
    let [access_key_id, date, region, service, terminator] = scope_parts(credential)?;
    if access_key_id.is_empty() || region.is_empty() {
        return None;
    }
    Some(Signed {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers,
        signature,
    })
}

/// Region names as AWS spells them (`us-east-1`, `eu-central-2`, `us-gov-west-1`).
pub fn is_region_name(s: &str) -> bool {
    (3..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_key_and_region() {
        let h = "AWS4-HMAC-SHA256 Credential=111122223333/20260101/eu-west-1/codecommit/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=abcd";
        let c = parse_authorization(h).unwrap();
        assert_eq!(c.access_key_id, "111122223333");
        assert_eq!(c.region, "eu-west-1");
    }

    #[test]
    fn rejects_incomplete_headers() {
        assert!(parse_authorization("Basic Zm9vOmJhcg==").is_err());
        assert!(parse_authorization("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=x").is_err());
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=AK/2026, Signature=x").is_err());
        // Six parts: not an access key with a slash in it.
        let six = "AWS4-HMAC-SHA256 Credential=AK/x/20260101/eu-west-1/codecommit/aws4_request, \
                   SignedHeaders=host, Signature=x";
        let AuthError::Incomplete(m) = parse_authorization(six).unwrap_err();
        assert!(
            m.starts_with("Credential must have exactly 5 slash-delimited elements"),
            "{m}"
        );
        assert!(
            parse_signed(six)
                .unwrap_err()
                .starts_with("Credential must have exactly 5 slash-delimited elements")
        );
    }

    #[test]
    fn reads_every_part() {
        let h = "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/codecommit/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=abcd";
        let s = parse_signed(h).unwrap();
        assert_eq!(
            (s.access_key_id, s.date, s.region, s.service, s.terminator),
            (
                "AKID",
                "20260101",
                "eu-west-1",
                "codecommit",
                "aws4_request"
            )
        );
        assert_eq!((s.signed_headers, s.signature), ("host;x-amz-date", "abcd"));
        let e = parse_signed(
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/codecommit/aws4_request",
        )
        .unwrap_err();
        assert!(e.starts_with("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."), "{e}");
        assert!(
            parse_signed("AWS4-HMAC-SHA256 Credential=AKID, SignedHeaders=host, Signature=x")
                .is_err()
        );
        assert!(
            parse_signed("Basic abc")
                .unwrap_err()
                .starts_with("Unsupported AWS 'algorithm'")
        );
    }

    #[test]
    fn region_names() {
        assert!(is_region_name("us-east-1"));
        assert!(is_region_name("us-gov-west-1"));
        assert!(!is_region_name("US-EAST-1"));
        assert!(!is_region_name("../x"));
    }
}
