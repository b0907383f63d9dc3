//! When the server last finished answering a request, and since when answers have followed
//! each other closely (a burst). Background work that can wait (event delivery) looks at it
//! to do its work in the gaps between requests rather than take CPU from them during a burst
//! (see `events::deliver`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Answers less than this far apart belong to one burst.
pub const QUIET: Duration = Duration::from_millis(5);

/// Milliseconds on a process-wide monotonic clock.
pub fn stamp_ms() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

#[derive(Default)]
pub struct Activity {
    /// [`stamp_ms`] of the last answer's end.
    last_ms: AtomicU64,
    /// [`stamp_ms`] of the first answer of the current (or last) burst.
    burst_ms: AtomicU64,
}

impl Activity {
    /// An answer ended at `now_ms`. Stored only when the millisecond changed: the line is
    /// shared by every connection, and a load of an unchanged line costs nothing.
    pub fn seen(&self, now_ms: u64) {
        let last = self.last_ms.load(Ordering::Relaxed);
        if last != now_ms {
            if now_ms.saturating_sub(last) >= QUIET.as_millis() as u64 {
                self.burst_ms.store(now_ms, Ordering::Relaxed);
            }
            self.last_ms.store(now_ms, Ordering::Relaxed);
        }
    }

    /// How long since an answer last ended, and how long the burst it belongs to has lasted
    /// (to the millisecond).
    pub fn now(&self) -> (Duration, Duration) {
        let now = stamp_ms();
        let last = self.last_ms.load(Ordering::Relaxed);
        let burst = self.burst_ms.load(Ordering::Relaxed).min(last);
        (
            Duration::from_millis(now.saturating_sub(last)),
            Duration::from_millis(last - burst),
        )
    }
}
