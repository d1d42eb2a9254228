//! [`Signal`]: the one wake-up primitive between threads and tasks.
//!
//! A waiter reads the epoch, tries its operation, and sleeps only if the
//! epoch is still the same: a notification that lands in between is never
//! lost. Blocked threads wait on a condition variable; async tasks leave
//! their `Waker`. Notifying costs a lock only; it is done on queue state
//! transitions (empty→non-empty, full→below low-water), never per message.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Instant;

#[derive(Debug, Default)]
pub(crate) struct Signal {
    epoch: AtomicU64,
    /// Sleeping threads plus registered wakers. Lets `notify` skip the lock
    /// when nobody waits (the common case under load). SeqCst on both sides
    /// (Dekker): a waiter counts itself, then re-reads the epoch; a notifier
    /// bumps the epoch, then reads the count; one of them sees the other.
    waiting: AtomicUsize,
    state: Mutex<Waiters>,
    cond: Condvar,
}

#[derive(Debug, Default)]
struct Waiters {
    sleepers: usize,
    wakers: Vec<Waker>,
}

impl Signal {
    pub(crate) fn new() -> Signal {
        Signal::default()
    }

    fn lock(&self) -> MutexGuard<'_, Waiters> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current epoch; pass it to `wait` or `register`.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Wakes every waiter.
    pub(crate) fn notify(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if self.waiting.load(Ordering::SeqCst) == 0 {
            return;
        }
        let (sleepers, wakers) = {
            let mut w = self.lock();
            let wakers = std::mem::take(&mut w.wakers);
            self.waiting.fetch_sub(wakers.len(), Ordering::SeqCst);
            (w.sleepers, wakers)
        };
        // Woken outside the lock: a sleeper woken under it would block at
        // once on the lock it needs to return, costing two more futex
        // calls and a context switch per wake-up. No wake-up is lost: a
        // sleeper counted above is already in (or entering) `cond.wait`,
        // which reads the condition variable's state before it unlocks.
        if sleepers > 0 {
            self.cond.notify_all();
        }
        for waker in wakers {
            waker.wake();
        }
    }

    /// Blocks until the epoch moves past `seen` or `deadline` passes.
    /// Returns false on timeout.
    pub(crate) fn wait(&self, seen: u64, deadline: Option<Instant>) -> bool {
        let mut w = self.lock();
        w.sleepers += 1;
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let result = loop {
            if self.epoch.load(Ordering::SeqCst) != seen {
                break true;
            }
            match deadline {
                None => w = self.cond.wait(w).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break false;
                    }
                    w = self
                        .cond
                        .wait_timeout(w, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        };
        w.sleepers -= 1;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// Leaves `waker` to be woken at the next notification. Returns false
    /// (and registers nothing) if the epoch already moved past `seen`: the
    /// caller must retry its operation instead of returning `Pending`.
    pub(crate) fn register(&self, seen: u64, waker: &Waker) -> bool {
        let mut w = self.lock();
        if !w.wakers.iter().any(|old| old.will_wake(waker)) {
            w.wakers.push(waker.clone());
            self.waiting.fetch_add(1, Ordering::SeqCst);
        }
        if self.epoch.load(Ordering::SeqCst) != seen {
            // Already notified: the caller retries at once. The waker stays
            // registered and gets a harmless extra wake later.
            return false;
        }
        true
    }

    /// Takes back a waker left by [`register`](Signal::register) that is
    /// no longer waiting, so that notifications stop paying for it (a
    /// thread that waited through a poller and was woken by something
    /// else).
    #[cfg_attr(
        not(unix),
        allow(dead_code, reason = "the receive bypass is unix-only")
    )]
    pub(crate) fn unregister(&self, waker: &Waker) {
        if self.waiting.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut w = self.lock();
        let before = w.wakers.len();
        w.wakers.retain(|old| !old.will_wake(waker));
        self.waiting
            .fetch_sub(before - w.wakers.len(), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn notification_between_check_and_wait_is_not_lost() {
        let s = Signal::new();
        let seen = s.epoch();
        s.notify();
        assert!(s.wait(seen, Some(Instant::now() + Duration::from_secs(5))));
    }

    #[test]
    fn wait_times_out_and_wakes() {
        let s = Arc::new(Signal::new());
        let seen = s.epoch();
        assert!(!s.wait(seen, Some(Instant::now() + Duration::from_millis(10))));
        let s2 = s.clone();
        let t = std::thread::spawn(move || {
            s2.wait(seen, Some(Instant::now() + Duration::from_secs(10)))
        });
        std::thread::sleep(Duration::from_millis(20));
        s.notify();
        assert!(t.join().unwrap());
    }

    /// Two threads hand a turn back and forth, each sleeping until the
    /// other notifies: a wake-up lost between a sleeper's check and its
    /// wait would stall one side until the deadline.
    #[test]
    fn ping_pong_loses_no_wake_up() {
        const ROUNDS: u64 = 10_000;
        let turn = Arc::new(AtomicU64::new(0));
        let signals = Arc::new([Signal::new(), Signal::new()]);
        let deadline = Instant::now() + Duration::from_secs(10);
        let player = |me: u64| {
            let (turn, signals) = (turn.clone(), signals.clone());
            std::thread::spawn(move || {
                let (mine, theirs) = (&signals[me as usize], &signals[1 - me as usize]);
                for round in 0..ROUNDS {
                    let want = 2 * round + me;
                    loop {
                        let seen = mine.epoch();
                        if turn.load(Ordering::SeqCst) == want {
                            break;
                        }
                        assert!(mine.wait(seen, Some(deadline)), "stalled at {want}");
                    }
                    turn.store(want + 1, Ordering::SeqCst);
                    theirs.notify();
                }
            })
        };
        let (a, b) = (player(0), player(1));
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(turn.load(Ordering::SeqCst), 2 * ROUNDS);
    }
}
