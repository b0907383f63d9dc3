//! The one line every API call logs, formatted by hand. It is written on every call, and going
//! through tracing's formatter (a visitor per field, `fmt` for each value, the timestamp
//! through `Display`) cost about a tenth of GetRepository's throughput (BENCHMARKS.md, issue
//! 13). The line looks exactly as tracing's `fmt` would print it, with or without colours, and
//! lands in the same buffered log, so the lines around it keep their order. tracing's filter
//! still decides whether it is written (`CODECOMMIT_LOCAL_LOG`, target `codecommit_local::api`).

use super::{Capped, CappedBytes, MAX_INPUT_CHARS};
use crate::logbuf::BufferedLog;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Sink {
    log: BufferedLog,
    ansi: bool,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Sends API lines straight to the buffered log (set once, by `main` when it sets up logging).
/// Without it, the line goes through tracing (tests and embedders with their own subscriber).
pub fn install(log: BufferedLog, ansi: bool) {
    let _ = SINK.set(Sink { log, ansi });
}

/// What one call's line says; `None` fields are left out, as tracing leaves out `None`.
pub struct ApiLine<'a> {
    pub request_id: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    pub operation: &'a str,
    pub repository: &'a str,
    pub status: u16,
    pub exception: &'a str,
    pub error: Option<&'a str>,
    pub elapsed: Duration,
    pub input: Option<&'a [u8]>,
}

thread_local! {
    /// The line being formatted, and the `YYYY-MM-DDTHH:MM:SS` of the last second seen.
    static SCRATCH: RefCell<(String, u64, String)> = const {
        RefCell::new((String::new(), u64::MAX, String::new()))
    };
}

/// Writes the line at `INFO`; false when no sink is installed (the caller logs through
/// tracing instead).
pub fn write(line: &ApiLine<'_>) -> bool {
    let Some(sink) = SINK.get() else {
        return false;
    };
    SCRATCH.with(|scratch| {
        let Ok(mut scratch) = scratch.try_borrow_mut() else {
            return false;
        };
        let (buf, last_second, stamp) = &mut *scratch;
        buf.clear();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        if now.as_secs() != *last_second {
            *last_second = now.as_secs();
            let c = crate::timefmt::civil(now.as_secs() as f64);
            stamp.clear();
            let _ = write!(
                stamp,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            );
        }
        format(buf, sink.ansi, stamp, now.subsec_micros(), line);
        sink.log.append(buf.as_bytes());
        // A line with a huge quote (capped, but up to a few KB) does not keep its memory.
        if buf.capacity() > 16 * 1024 {
            *buf = String::new();
        }
        true
    })
}

/// The line as tracing's `Full` format prints an event without a message and without target:
/// `TIMESTAMP  INFO key=value …`, `&str` values debug-quoted, displayed values bare.
fn format(buf: &mut String, ansi: bool, stamp: &str, micros: u32, line: &ApiLine<'_>) {
    if ansi {
        buf.push_str("\x1b[2m");
    }
    buf.push_str(stamp);
    buf.push('.');
    push_padded(buf, micros, 6);
    buf.push('Z');
    buf.push_str(if ansi {
        "\x1b[0m \x1b[32m INFO\x1b[0m "
    } else {
        "  INFO "
    });
    let mut first = true;
    let mut key = |buf: &mut String, name: &str| {
        if !std::mem::take(&mut first) {
            buf.push(' ');
        }
        if ansi {
            buf.push_str("\x1b[3m");
            buf.push_str(name);
            buf.push_str("\x1b[0m\x1b[2m=\x1b[0m");
        } else {
            buf.push_str(name);
            buf.push('=');
        }
    };
    key(buf, "request_id");
    buf.push_str(line.request_id);
    key(buf, "account");
    buf.push_str(line.account);
    key(buf, "region");
    buf.push_str(line.region);
    key(buf, "operation");
    push_debug_str(buf, line.operation);
    key(buf, "repository");
    push_debug_str(buf, line.repository);
    key(buf, "status");
    push_padded(buf, u32::from(line.status), 3);
    key(buf, "exception");
    push_debug_str(buf, line.exception);
    if let Some(error) = line.error {
        key(buf, "error");
        let _ = write!(buf, "{}", Capped::quote(error));
    }
    key(buf, "ms");
    // Hundredths of a millisecond, as `{:.2}` shows them.
    let hundredths = (line.elapsed.as_nanos() + 5_000) / 10_000;
    push_padded(buf, u32::try_from(hundredths / 100).unwrap_or(u32::MAX), 1);
    buf.push('.');
    push_padded(buf, (hundredths % 100) as u32, 2);
    if let Some(input) = line.input {
        key(buf, "input");
        let _ = write!(buf, "{}", CappedBytes::new(input, MAX_INPUT_CHARS));
    }
    buf.push('\n');
}

fn push_padded(buf: &mut String, n: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut n = n;
    let mut i = digits.len();
    while n > 0 && i > 0 {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = i.min(digits.len() - width);
    for &d in &digits[start..] {
        buf.push(char::from(d));
    }
}

/// `"text"` as `{:?}` prints a `&str`; plain names take the short way.
fn push_debug_str(buf: &mut String, s: &str) {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        buf.push('"');
        buf.push_str(s);
        buf.push('"');
    } else {
        let _ = write!(buf, "{s:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(error: Option<&'a str>, input: Option<&'a [u8]>) -> ApiLine<'a> {
        ApiLine {
            request_id: "0f2c8a1e-5b7d-4c3a-9e21-6a8b4f0d2c11",
            account: "000000000000",
            region: "us-east-1",
            operation: "GetRepository",
            repository: "my repo\"",
            status: 400,
            exception: "RepositoryDoesNotExistException",
            error,
            elapsed: Duration::from_micros(1_234_567),
            input,
        }
    }

    #[test]
    fn the_line_is_the_one_tracing_prints() {
        let mut buf = String::new();
        format(
            &mut buf,
            false,
            "2026-12-02T07:01:23",
            42,
            &line(Some("a\nb"), Some(b"{\"x\":1}")),
        );
        assert_eq!(
            buf,
            "2026-12-02T07:01:23.000042Z  INFO request_id=0f2c8a1e-5b7d-4c3a-9e21-6a8b4f0d2c11 \
             account=000000000000 region=us-east-1 operation=\"GetRepository\" \
             repository=\"my repo\\\"\" status=400 exception=\"RepositoryDoesNotExistException\" \
             error=\"a\\nb\" ms=1234.57 input=\"{\\\"x\\\":1}\"\n"
        );
        buf.clear();
        let mut quick = line(None, None);
        quick.elapsed = Duration::from_nanos(7_000);
        format(&mut buf, false, "2026-12-02T07:01:23", 999_999, &quick);
        assert!(
            buf.starts_with("2026-12-02T07:01:23.999999Z  INFO "),
            "{buf}"
        );
        assert!(
            buf.ends_with("exception=\"RepositoryDoesNotExistException\" ms=0.01\n"),
            "{buf}"
        );
    }

    #[test]
    fn colours_wrap_the_stamp_level_and_keys() {
        let mut buf = String::new();
        format(&mut buf, true, "2026-12-02T07:01:23", 1, &line(None, None));
        assert!(
            buf.starts_with(
                "\x1b[2m2026-12-02T07:01:23.000001Z\x1b[0m \x1b[32m INFO\x1b[0m \
                 \x1b[3mrequest_id\x1b[0m\x1b[2m=\x1b[0m0f2c8a1e"
            ),
            "{buf:?}"
        );
    }
}
