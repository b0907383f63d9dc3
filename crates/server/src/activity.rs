//! When the server last finished answering a request. Background work that can
//! wait (event delivery) looks at it to do its work in the gaps between requests rather than
//! take CPU from them during a burst (see `events::deliver`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Milliseconds on a process-wide monotonic clock.
pub fn stamp_ms() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

#[derive(Default)]
pub struct Activity {
    /// [`stamp_ms`] of the last answer's end.
    last_ms: AtomicU64,
}

impl Activity {
    /// An answer ended at `now_ms`. Stored only when the millisecond changed: the
    /// line is shared by every connection, and a load of an unchanged line costs nothing.
    pub fn seen(&self, now_ms: u64) {
        if self.last_ms.load(Ordering::Relaxed) != now_ms {
            self.last_ms.store(now_ms, Ordering::Relaxed);
        }
    }

    /// How long since an answer last ended (to the millisecond).
    pub fn quiet_for(&self) -> Duration {
        Duration::from_millis(stamp_ms().saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}
