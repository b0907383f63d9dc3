//! Helpers for log lines: whatever a line quotes from a request (error messages, causes that
//! name paths, the input at `debug`) is capped and kept on one line, so a 1 MB specifier makes
//! a short line, not a 1 MB one.

pub mod api_line;

use std::fmt;

/// Longest quote of an error message or cause, in characters.
pub const MAX_QUOTE_CHARS: usize = 512;
/// Longest quote of an operation's input at `debug`, in characters.
pub const MAX_INPUT_CHARS: usize = 2048;

/// Displays a text as a quoted string (`"…"`, with `"`, `\\` and control characters escaped),
/// at most `max` characters of it, and how much was left out. Formats in place: nothing is
/// allocated.
pub struct Capped<'a> {
    text: &'a str,
    max: usize,
}

impl<'a> Capped<'a> {
    pub fn new(text: &'a str, max: usize) -> Self {
        Capped { text, max }
    }

    /// An error message or cause.
    pub fn quote(text: &'a str) -> Self {
        Capped::new(text, MAX_QUOTE_CHARS)
    }
}

impl fmt::Display for Capped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for (shown, (at, c)) in self.text.char_indices().enumerate() {
            if shown == self.max {
                return write!(f, "\"…(+{} bytes)", self.text.len() - at);
            }
            put(f, c)?;
        }
        f.write_str("\"")
    }
}

/// One character of a quoted string: `"`, `\\` and control characters escaped (`\n`,
/// `\u{1b}`), so a line stays one line and the quote's end is unambiguous.
fn put(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    use fmt::Write as _;
    if c.is_control() || c == '"' || c == '\\' {
        c.escape_default().try_for_each(|e| f.write_char(e))
    } else {
        f.write_char(c)
    }
}

/// Bytes that are mostly UTF-8 (a request body), capped like [`Capped`]; each invalid sequence
/// shows as one U+FFFD.
pub struct CappedBytes<'a> {
    bytes: &'a [u8],
    max: usize,
}

impl<'a> CappedBytes<'a> {
    pub fn new(bytes: &'a [u8], max: usize) -> Self {
        CappedBytes { bytes, max }
    }
}

impl fmt::Display for CappedBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        let (mut shown, mut consumed) = (0, 0);
        for chunk in self.bytes.utf8_chunks() {
            let invalid =
                (!chunk.invalid().is_empty()).then_some(('\u{fffd}', chunk.invalid().len()));
            for (c, len) in chunk
                .valid()
                .chars()
                .map(|c| (c, c.len_utf8()))
                .chain(invalid)
            {
                if shown == self.max {
                    return write!(f, "\"…(+{} bytes)", self.bytes.len() - consumed);
                }
                put(f, c)?;
                shown += 1;
                consumed += len;
            }
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_capped_and_on_one_line() {
        assert_eq!(Capped::new("short", 10).to_string(), "\"short\"");
        assert_eq!(
            Capped::new("a\nb\t\"c\\", 10).to_string(),
            r#""a\nb\t\"c\\""#
        );
        let long = "x".repeat(1 << 20);
        let shown = Capped::quote(&long).to_string();
        assert!(shown.len() < 600, "{}", shown.len());
        assert!(shown.ends_with(&format!("\"…(+{} bytes)", (1 << 20) - 512)));
        assert_eq!(Capped::new("ééé", 2).to_string(), "\"éé\"…(+2 bytes)");
    }

    #[test]
    fn bytes_are_capped() {
        assert_eq!(
            CappedBytes::new(b"{\"a\":1}", 100).to_string(),
            r#""{\"a\":1}""#
        );
        let body = vec![b'm'; 1 << 20];
        let shown = CappedBytes::new(&body, MAX_INPUT_CHARS).to_string();
        assert!(shown.starts_with("\"mmm"));
        assert!(shown.ends_with(&format!("\"…(+{} bytes)", (1 << 20) - MAX_INPUT_CHARS)));
        assert_eq!(
            CappedBytes::new(b"ab\xffcd", 3).to_string(),
            "\"ab\u{fffd}\"…(+2 bytes)"
        );
    }
}
