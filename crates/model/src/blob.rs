use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A model `blob`: raw bytes, base64-encoded in JSON.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl Blob {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Self {
        Blob(v)
    }
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(&self.0))
    }
}

/// What is wrong with a blob's base64, in plain words (the decoder's own are terse).
fn base64_message(e: &base64::DecodeError) -> String {
    use base64::DecodeError as E;
    match e {
        E::InvalidByte(at, byte) | E::InvalidLastSymbol(at, byte) => format!(
            "Illegal character '{}' (code 0x{byte:02x}) in base64 content at offset {at}",
            char::from(*byte).escape_default()
        ),
        E::InvalidLength(_) => "Base64 content has a length that is not valid".into(),
        E::InvalidPadding => "Base64 content has padding that is not valid".into(),
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map(Blob)
            .map_err(|e| serde::de::Error::custom(base64_message(&e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_base64() {
        let b = Blob(b"hello\0world".to_vec());
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, "\"aGVsbG8Ad29ybGQ=\"");
        let back: Blob = serde_json::from_str(&json).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn rejects_invalid_base64() {
        let e = serde_json::from_str::<Blob>("\"!!notb64\"").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Illegal character '!' (code 0x21) in base64 content at offset 0"),
            "{e}"
        );
        assert!(serde_json::from_str::<Blob>("\"YWJj=\"").is_err());
    }
}
