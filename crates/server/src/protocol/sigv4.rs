//! Reads who is calling and where from a SigV4 `Authorization` header. The signature is not
//! verified yet; only the credential scope is used: the access key names the caller (see
//! `identity`), and the scope's region selects the region.

/// The parts of `Credential=AKID/DATE/REGION/SERVICE/aws4_request` we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential<'a> {
    pub access_key_id: &'a str,
    pub region: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    /// The header is present but is not a SigV4 header we can read.
    Incomplete(&'static str),
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
pub fn parse_authorization(header: &str) -> Result<Credential<'_>, AuthError> {
    let rest = header
        .strip_prefix("AWS4-HMAC-SHA256")
        .ok_or(AuthError::Incomplete(
            "Authorization header requires the AWS4-HMAC-SHA256 algorithm",
        ))?;
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
    let credential = credential.ok_or(AuthError::Incomplete(
        "Authorization header requires 'Credential' parameter",
    ))?;
    if !signature {
        return Err(AuthError::Incomplete(
            "Authorization header requires 'Signature' parameter",
        ));
    }
    let mut scope = credential.split('/');
    let access_key_id = scope.next().filter(|s| !s.is_empty());
    let _date = scope.next();
    let region = scope.next().filter(|s| !s.is_empty());
    match (access_key_id, region) {
        (Some(access_key_id), Some(region)) => Ok(Credential {
            access_key_id,
            region,
        }),
        _ => Err(AuthError::Incomplete(
            "Credential should be scoped to a valid region",
        )),
    }
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
    }

    #[test]
    fn region_names() {
        assert!(is_region_name("us-east-1"));
        assert!(is_region_name("us-gov-west-1"));
        assert!(!is_region_name("US-EAST-1"));
        assert!(!is_region_name("../x"));
    }
}
