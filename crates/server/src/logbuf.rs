//! The log sink: formatted lines are appended to a shared buffer (a short lock, no syscall, no
//! thread wake-up) and a background thread writes the buffer out every few milliseconds, or
//! sooner when it fills up. A request never waits on the terminal, a pipe or a file, and never
//! pays for waking the writer: tracing-appender's channel woke its worker (a futex syscall) and
//! flushed stderr for nearly every line under load. Nothing is dropped: past `MAX_PENDING`
//! bytes a logging thread waits for the writer (backpressure), as before.

use parking_lot::{Condvar, Mutex};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often buffered lines are written out.
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// The writer is woken early past this many pending bytes.
const WAKE_AT: usize = 256 * 1024;
/// Logging threads wait past this many pending bytes.
const MAX_PENDING: usize = 16 * 1024 * 1024;

struct Shared {
    pending: Mutex<Vec<u8>>,
    /// Signals the writer (buffer large, or stopping) and the threads waiting for room.
    wake: Condvar,
    room: Condvar,
    stop: AtomicBool,
}

/// A `MakeWriter` for `tracing_subscriber::fmt` that buffers lines for the writer thread.
#[derive(Clone)]
pub struct BufferedLog {
    shared: Arc<Shared>,
}

/// Stops the writer thread and writes what is still buffered when dropped.
pub struct Guard {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A buffered log in front of `out`, and the guard that flushes it at the end.
pub fn buffered(mut out: impl Write + Send + 'static) -> std::io::Result<(BufferedLog, Guard)> {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Vec::with_capacity(WAKE_AT)),
        wake: Condvar::new(),
        room: Condvar::new(),
        stop: AtomicBool::new(false),
    });
    let s = shared.clone();
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || {
            let mut spare = Vec::with_capacity(WAKE_AT);
            loop {
                let stopping = {
                    let mut pending = s.pending.lock();
                    if pending.len() < WAKE_AT && !s.stop.load(Ordering::Acquire) {
                        s.wake.wait_for(&mut pending, FLUSH_EVERY);
                    }
                    std::mem::swap(&mut *pending, &mut spare);
                    s.stop.load(Ordering::Acquire)
                };
                s.room.notify_all();
                if !spare.is_empty() {
                    // A failing stderr cannot be reported anywhere; the lines are dropped.
                    let _ = out.write_all(&spare).and_then(|()| out.flush());
                    spare.clear();
                }
                if stopping && s.pending.lock().is_empty() {
                    return;
                }
            }
        })?;
    Ok((
        BufferedLog {
            shared: shared.clone(),
        },
        Guard {
            shared,
            thread: Some(thread),
        },
    ))
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One event's writer: fmt formats a whole line and writes it at once.
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

impl Shared {
    fn append(&self, buf: &[u8]) {
        let mut pending = self.pending.lock();
        while pending.len() >= MAX_PENDING && !self.stop.load(Ordering::Acquire) {
            self.wake.notify_one();
            self.room.wait(&mut pending);
        }
        pending.extend_from_slice(buf);
        if pending.len() >= WAKE_AT {
            self.wake.notify_one();
        }
    }
}

impl BufferedLog {
    /// Appends whole lines formatted elsewhere (the API's own line, `logging::api_line`).
    pub fn append(&self, lines: &[u8]) {
        self.shared.append(lines);
    }
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.shared.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BufferedLog {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_by_the_end() {
        let sink = Sink::default();
        let (log, guard) = buffered(sink.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    use tracing_subscriber::fmt::MakeWriter as _;
                    for i in 0..10_000 {
                        let line = format!("thread {t} line {i}\n");
                        log.make_writer().write_all(line.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(sink.0.lock().clone()).unwrap();
        assert_eq!(text.lines().count(), 40_000);
        for t in 0..4 {
            let mine: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            assert_eq!(mine.len(), 10_000);
            assert_eq!(mine[9_999], format!("thread {t} line 9999"));
        }
    }
}
