//! [`ReadyList`]: how a reader of many pipes learns which ones have
//! something, without looking at the others.
//!
//! A fair queue over 1 000 peers that polls every pipe in turn spends most
//! of its time on empty ones, each a cache miss on a line the I/O thread
//! writes. Instead the reader parks a pipe it finds empty (under the pipe's
//! lock, so no push slips in between) and leaves its slot number there; the
//! push that makes the pipe non-empty, or the writer closing it, puts the
//! slot on this list before waking the reader, as libzmq's `activate_read`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Slots of parked pipes that became readable, for one reader.
#[derive(Debug, Default)]
pub(crate) struct ReadyList {
    /// Set after a slot is added: lets the reader skip the lock when
    /// nothing happened (the common case while messages flow).
    pending: AtomicBool,
    slots: Mutex<Vec<usize>>,
}

impl ReadyList {
    /// Reports `slot` readable. Called with the pipe's lock held: this lock
    /// is always taken last.
    pub(crate) fn push(&self, slot: usize) {
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(slot);
        self.pending.store(true, Ordering::Release);
    }

    /// Moves the reported slots into `into`; false if there were none. A
    /// report that lands while this runs is either taken now or leaves
    /// `pending` set for the next call; its writer wakes the reader after
    /// reporting, so it is never missed.
    #[inline]
    pub(crate) fn take(&self, into: &mut Vec<usize>) -> bool {
        // Load first: a swap would take the line from the writers' cores
        // on every call, reported or not.
        if !self.pending.load(Ordering::Relaxed) || !self.pending.swap(false, Ordering::Acquire) {
            return false;
        }
        into.append(&mut self.slots.lock().unwrap_or_else(|e| e.into_inner()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_taken_once_in_order() {
        let r = ReadyList::default();
        let mut got = Vec::new();
        assert!(!r.take(&mut got));
        assert!(got.is_empty());
        r.push(3);
        r.push(1);
        r.take(&mut got);
        assert_eq!(got, [3, 1]);
        got.clear();
        r.take(&mut got);
        assert!(got.is_empty());
    }
}
