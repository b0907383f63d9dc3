//! Deserialization failures phrased as AWS's JSON front end phrases them (it is a Java
//! service: "class java.lang.String can not be converted to an Integer").

use codecommit_model::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// The request body as the operation's input; anything that is not a JSON object with members
/// of the right types is a `SerializationException`.
pub fn decode<I: DeserializeOwned>(body: &[u8]) -> ApiResult<I> {
    match body.trim_ascii_start().first() {
        Some(b'{') => {}
        Some(b'[') => {
            return Err(ApiError::client(
                ErrorCode::Serialization,
                "Start of list found where not expected",
            ));
        }
        _ => return Err(ApiError::client(ErrorCode::Serialization, "Expected null")),
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::client(ErrorCode::Serialization, aws_message(&e.to_string())))
}

/// Maps serde's "invalid type: string \"x\", expected i32 at line 1 column 9" to AWS's words.
fn aws_message(serde: &str) -> String {
    let text = serde
        .rsplit_once(" at line ")
        .map(|(m, _)| m)
        .unwrap_or(serde);
    // Jackson's words (AWS's JSON front end is Java) for a number too large for its member
    // and a member given twice, instead of serde's.
    if let Some(rest) = text.strip_prefix("invalid value: integer `")
        && let Some((number, expected)) = rest.split_once("`, expected ")
    {
        let range = match expected {
            "i32" => Some("int (-2147483648 - 2147483647)"),
            "i64" => Some("long (-9223372036854775808 - 9223372036854775807)"),
            _ => None,
        };
        if let Some(range) = range {
            return format!("Numeric value ({number}) out of range of {range}");
        }
    }
    if let Some(field) = text
        .strip_prefix("duplicate field `")
        .and_then(|f| f.strip_suffix('`'))
    {
        return format!("Duplicate field '{field}'");
    }
    let Some(rest) = text.strip_prefix("invalid type: ") else {
        return text.to_owned();
    };
    let Some((found, expected)) = rest.rsplit_once(", expected ") else {
        return text.to_owned();
    };
    let java_target = match expected {
        "i32" => Some("Integer"),
        "i64" => Some("Long"),
        "f64" => Some("Double"),
        "a boolean" => Some("Boolean"),
        "a string" => Some("String"),
        _ => None,
    };
    if found == "map" {
        return "Start of structure or map found where not expected.".into();
    }
    if found == "sequence" {
        return "Start of list found where not expected".into();
    }
    if expected == "a sequence" {
        return "Expected list or null".into();
    }
    if expected == "a map" {
        return "Expected map or null".into();
    }
    if expected.starts_with("struct ") {
        return "Expected null".into();
    }
    let Some(target) = java_target else {
        return text.to_owned();
    };
    if target == "Boolean"
        && let Some(s) = found
            .strip_prefix("string \"")
            .and_then(|s| s.strip_suffix('"'))
    {
        return format!("'{}' can not be converted to an Boolean", s.to_uppercase());
    }
    let class = if found.starts_with("string") {
        "java.lang.String"
    } else if found.starts_with("boolean") {
        "java.lang.Boolean"
    } else if found.starts_with("integer") || found.starts_with("floating point") {
        "java.math.BigDecimal"
    } else {
        return text.to_owned();
    };
    format!("class {class} can not be converted to an {target}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_type_errors_like_aws() {
        assert_eq!(
            aws_message("invalid type: string \"x\", expected i32 at line 1 column 9"),
            "class java.lang.String can not be converted to an Integer"
        );
        assert_eq!(
            aws_message("invalid type: integer `5`, expected a string at line 1 column 9"),
            "class java.math.BigDecimal can not be converted to an String"
        );
        assert_eq!(
            aws_message("invalid type: map, expected a string at line 1 column 2"),
            "Start of structure or map found where not expected."
        );
        assert_eq!(
            aws_message("invalid type: string \"a\", expected a sequence at line 1 column 2"),
            "Expected list or null"
        );
        assert_eq!(
            aws_message("invalid type: string \"yes\", expected a boolean"),
            "'YES' can not be converted to an Boolean"
        );
        assert_eq!(
            aws_message("invalid value: integer `99999999999`, expected i32 at line 1 column 40"),
            "Numeric value (99999999999) out of range of int (-2147483648 - 2147483647)"
        );
        assert_eq!(
            aws_message("duplicate field `repositoryName` at line 1 column 40"),
            "Duplicate field 'repositoryName'"
        );
    }

    #[test]
    fn rejects_non_objects() {
        #[derive(serde::Deserialize, Debug)]
        struct S {}
        assert!(decode::<S>(b"[]").is_err());
        assert!(decode::<S>(b"3").is_err());
        assert!(decode::<S>(b" {}").is_ok());
    }
}
