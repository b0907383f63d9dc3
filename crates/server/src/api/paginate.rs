//! Opaque continuation tokens. A token is the URL-safe base64 of `<kind>\n<key>`: the kind ties
//! it to one listing (a ListBranches token is not a ListRepositories token) and the key is the
//! last item returned, so pages stay stable when items are added concurrently.

use crate::bail;
use crate::error::ApiResult;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub fn encode(kind: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}\n{key}"))
}

/// Returns the key of a token made by [`encode`] with the same kind, or
/// `InvalidContinuationTokenException`.
pub fn decode(kind: &str, token: &str) -> ApiResult<String> {
    let invalid = || {
        crate::err!(
            InvalidContinuationToken,
            "The continuation token is not valid."
        )
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    match text.split_once('\n') {
        Some((k, key)) if k == kind => Ok(key.to_owned()),
        _ => Err(invalid()),
    }
}

/// An optional token: `None` and `""` both mean "from the start".
pub fn decode_opt(kind: &str, token: &Option<String>) -> ApiResult<Option<String>> {
    match token.as_deref() {
        None | Some("") => Ok(None),
        Some(t) => decode(kind, t).map(Some),
    }
}

/// A page size: absent → `default`; 1..=max accepted; anything else is invalid.
pub fn page_size(v: Option<i32>, default: usize, max: usize) -> ApiResult<usize> {
    match v {
        None => Ok(default),
        Some(n) if n >= 1 && (n as usize) <= max => Ok(n as usize),
        Some(n) => bail!(
            InvalidMaxResults,
            "The specified number of maximum results is not valid: {n}. It must be between 1 and {max}."
        ),
    }
}

/// An offset-style page over an immutable, ordered result (diffs between two fixed commits):
/// the key is the index of the next item.
pub fn decode_index(kind: &str, token: &Option<String>) -> ApiResult<usize> {
    match decode_opt(kind, token)? {
        None => Ok(0),
        Some(k) => k.parse().map_err(|_| {
            crate::err!(
                InvalidContinuationToken,
                "The continuation token is not valid."
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_kind_bound() {
        let t = encode("branches", "feature/x");
        assert_eq!(decode("branches", &t).unwrap(), "feature/x");
        assert!(decode("repositories", &t).is_err());
        assert!(decode("branches", "not base64!").is_err());
        assert_eq!(decode_opt("x", &Some(String::new())).unwrap(), None);
    }

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(None, 100, 1000).unwrap(), 100);
        assert_eq!(page_size(Some(5), 100, 1000).unwrap(), 5);
        assert!(page_size(Some(0), 100, 1000).is_err());
        assert!(page_size(Some(-1), 100, 1000).is_err());
        assert!(page_size(Some(1001), 100, 1000).is_err());
    }
}
