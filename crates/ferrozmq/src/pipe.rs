//! [`Pipe`]: the bounded, one-way queue between a socket and one peer.
//!
//! A pipe has one writer and one reader, each of which is a socket (user
//! side) or a connection driver (I/O thread side); inproc pipes connect two
//! sockets directly. The high-water mark counts whole messages
//! (ZMQ_SNDHWM/RCVHWM; 0 = unlimited); subscription items are never refused,
//! so a full pipe cannot lose a subscription (libzmq can: spec-notes §6).
//!
//! Wake-ups happen on transitions only: the reader is notified when the
//! queue goes from empty to non-empty, the writer when a queue it found full
//! drains to the low-water mark `(hwm + 1) / 2`, as libzmq.

use crate::signal::Signal;
use bytes::Bytes;
use ferrozmq_proto::Message;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What travels through a pipe.
#[derive(Debug, Clone)]
pub(crate) enum PipeItem {
    Msg(Message),
    Subscribe(Bytes),
    Cancel(Bytes),
}

/// A way to hand a message straight to the connection behind an empty
/// pipe, skipping the queue and the I/O thread (see `engine::wire`).
pub(crate) trait Bypass: Send + Sync + std::fmt::Debug {
    /// Takes the message if it can do so at once; false means: queue it.
    fn try_send(&self, msg: &Message) -> bool;
}

/// Whom to wake when something happens at the other end.
#[derive(Debug, Clone, Default)]
pub(crate) enum Notify {
    /// Nobody listens yet (a connect session without a live connection).
    #[default]
    Nobody,
    /// A socket waiting on its readable or writable signal.
    Signal(Arc<Signal>),
    /// A connection driver on an I/O thread.
    Engine(crate::engine::EngineNotify),
}

impl Notify {
    fn notify(&self) {
        match self {
            Notify::Nobody => {}
            Notify::Signal(s) => s.notify(),
            Notify::Engine(e) => e.notify(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Pipe {
    conflate: bool,
    /// Queue length, mirrored outside the lock so a reader polling many
    /// pipes (fair queue over 64 peers, a publisher checking for
    /// subscriptions) skips empty ones without locking them. A stale zero
    /// is harmless: the push that makes it stale also notifies the reader.
    len_hint: AtomicUsize,
    closed_hint: AtomicBool,
    inner: Mutex<Inner>,
    hwm: usize,
    lwm: usize,
}

#[derive(Debug)]
struct Inner {
    items: VecDeque<PipeItem>,
    msgs: usize,
    writer_closed: bool,
    reader_closed: bool,
    writer_blocked: bool,
    reader: Notify,
    writer: Notify,
    bypass: Option<Arc<dyn Bypass>>,
}

/// Result of a pop.
#[derive(Debug)]
pub(crate) enum Pop {
    Item(PipeItem),
    Empty,
    /// Empty, and the writer is gone: nothing will ever come.
    Closed,
}

impl Pipe {
    /// A pipe holding at most `hwm` messages (0 = unlimited).
    #[cfg(test)]
    pub(crate) fn new(hwm: usize, reader: Notify, writer: Notify) -> Arc<Pipe> {
        Pipe::new_with(hwm, false, reader, writer)
    }

    /// A pipe; with `conflate`, only the newest message is kept (ZMQ_CONFLATE).
    pub(crate) fn new_with(
        hwm: usize,
        conflate: bool,
        reader: Notify,
        writer: Notify,
    ) -> Arc<Pipe> {
        let hwm = if hwm == 0 { usize::MAX } else { hwm };
        Arc::new(Pipe {
            conflate,
            len_hint: AtomicUsize::new(0),
            closed_hint: AtomicBool::new(false),
            inner: Mutex::new(Inner {
                items: VecDeque::new(),
                msgs: 0,
                writer_closed: false,
                reader_closed: false,
                writer_blocked: false,
                reader,
                writer,
                bypass: None,
            }),
            hwm,
            lwm: if hwm == usize::MAX {
                hwm
            } else {
                hwm.div_ceil(2)
            },
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Pushes a message unless the pipe is full. When full, the writer is
    /// marked blocked (and will be notified) and the message comes back.
    /// A message for a pipe whose reader is gone is dropped, as libzmq does
    /// with a terminated pipe.
    pub(crate) fn try_push(&self, msg: Message) -> Result<(), Message> {
        let mut inner = self.lock();
        if inner.reader_closed {
            return Ok(());
        }
        if inner.items.is_empty() {
            if let Some(bypass) = &inner.bypass {
                if bypass.try_send(&msg) {
                    return Ok(());
                }
            }
        }
        if self.conflate && inner.msgs > 0 {
            inner.items.retain(|i| !matches!(i, PipeItem::Msg(_)));
            inner.msgs = 0;
        }
        if inner.msgs >= self.hwm {
            inner.writer_blocked = true;
            return Err(msg);
        }
        inner.msgs += 1;
        self.push_locked(inner, PipeItem::Msg(msg));
        Ok(())
    }

    /// Pushes a subscription item; never refused.
    pub(crate) fn push_control(&self, item: PipeItem) {
        let inner = self.lock();
        if !inner.reader_closed {
            self.push_locked(inner, item);
        }
    }

    /// Moves items from `batch` into the pipe until it is full; returns true
    /// if everything fit. One lock and at most one wake-up per batch.
    pub(crate) fn push_batch(&self, batch: &mut VecDeque<PipeItem>) -> bool {
        let mut inner = self.lock();
        if inner.reader_closed {
            batch.clear();
            return true;
        }
        let was_empty = inner.items.is_empty();
        while let Some(item) = batch.pop_front() {
            if let PipeItem::Msg(_) = item {
                if self.conflate && inner.msgs > 0 {
                    inner.items.retain(|i| !matches!(i, PipeItem::Msg(_)));
                    inner.msgs = 0;
                }
                if inner.msgs >= self.hwm {
                    batch.push_front(item);
                    inner.writer_blocked = true;
                    break;
                }
                inner.msgs += 1;
            }
            inner.items.push_back(item);
        }
        self.len_hint.store(inner.items.len(), Ordering::Release);
        let notify = (was_empty && !inner.items.is_empty()).then(|| inner.reader.clone());
        drop(inner);
        if let Some(n) = notify {
            n.notify();
        }
        batch.is_empty()
    }

    fn push_locked(&self, mut inner: MutexGuard<'_, Inner>, item: PipeItem) {
        let was_empty = inner.items.is_empty();
        inner.items.push_back(item);
        self.len_hint.store(inner.items.len(), Ordering::Release);
        if was_empty {
            let n = inner.reader.clone();
            drop(inner);
            n.notify();
        }
    }

    /// Pops the oldest item (tests; readers use `pop_all`/`pop_batch`).
    #[cfg(test)]
    pub(crate) fn pop(&self) -> Pop {
        let mut inner = self.lock();
        let popped = inner.items.pop_front();
        self.len_hint.store(inner.items.len(), Ordering::Release);
        match popped {
            Some(item) => {
                if let PipeItem::Msg(_) = item {
                    inner.msgs -= 1;
                }
                self.after_pop(inner);
                Pop::Item(item)
            }
            None if inner.writer_closed => Pop::Closed,
            None => Pop::Empty,
        }
    }

    /// Pops up to `max` items into `out`: one lock per batch.
    pub(crate) fn pop_batch(&self, out: &mut VecDeque<PipeItem>, max: usize) -> usize {
        let mut inner = self.lock();
        let n = inner.items.len().min(max);
        for _ in 0..n {
            let item = inner.items.pop_front().expect("counted");
            if let PipeItem::Msg(_) = item {
                inner.msgs -= 1;
            }
            out.push_back(item);
        }
        self.len_hint.store(inner.items.len(), Ordering::Release);
        if n > 0 {
            self.after_pop(inner);
        }
        n
    }

    /// Whether the pipe is certainly idle for a reader: nothing queued (as
    /// last seen) and the writer still there. Lock-free.
    pub(crate) fn looks_empty(&self) -> bool {
        self.len_hint.load(Ordering::Acquire) == 0 && !self.closed_hint.load(Ordering::Acquire)
    }

    /// Moves everything queued into `out` (one lock for the whole batch);
    /// the reader then serves messages from `out` without locking.
    pub(crate) fn pop_all(&self, out: &mut VecDeque<PipeItem>) -> Pop {
        let mut inner = self.lock();
        if inner.items.is_empty() {
            return if inner.writer_closed {
                Pop::Closed
            } else {
                Pop::Empty
            };
        }
        if out.is_empty() {
            std::mem::swap(out, &mut inner.items);
        } else {
            out.append(&mut inner.items);
        }
        inner.msgs = 0;
        self.len_hint.store(0, Ordering::Release);
        let first = out.pop_front().expect("non-empty");
        self.after_pop(inner);
        Pop::Item(first)
    }

    fn after_pop(&self, mut inner: MutexGuard<'_, Inner>) {
        if inner.writer_blocked && inner.msgs <= self.lwm {
            inner.writer_blocked = false;
            let n = inner.writer.clone();
            drop(inner);
            n.notify();
        }
    }

    /// Number of queued items.
    pub(crate) fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// The writer will send nothing more; the reader may drain what is queued.
    pub(crate) fn close_writer(&self) {
        let mut inner = self.lock();
        inner.writer_closed = true;
        self.closed_hint.store(true, Ordering::Release);
        let n = inner.reader.clone();
        drop(inner);
        n.notify();
    }

    /// The reader is gone: queued items are dropped, later pushes discarded.
    pub(crate) fn close_reader(&self) {
        let mut inner = self.lock();
        inner.reader_closed = true;
        inner.items.clear();
        self.len_hint.store(0, Ordering::Release);
        inner.msgs = 0;
        let n = inner.writer.clone();
        drop(inner);
        n.notify();
    }

    /// Changes whom to wake when items arrive; wakes the new reader if
    /// items are already waiting.
    pub(crate) fn set_reader(&self, reader: Notify) {
        let mut inner = self.lock();
        inner.reader = reader.clone();
        let pending = !inner.items.is_empty();
        drop(inner);
        if pending {
            reader.notify();
        }
    }

    /// Installs or removes the send bypass of the connection behind the pipe.
    pub(crate) fn set_bypass(&self, bypass: Option<Arc<dyn Bypass>>) {
        self.lock().bypass = bypass;
    }

    /// Changes whom to wake when room appears.
    pub(crate) fn set_writer(&self, writer: Notify) {
        self.lock().writer = writer;
    }

    /// Removes queued subscription items (they are about to be re-sent as a
    /// snapshot) and keeps messages in order.
    pub(crate) fn purge_control(&self) {
        self.lock().items.retain(|i| matches!(i, PipeItem::Msg(_)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(s: &str) -> Message {
        Message::from(s)
    }

    #[test]
    fn hwm_and_low_water_wakeup() {
        let writer = Arc::new(Signal::new());
        let p = Pipe::new(4, Notify::Nobody, Notify::Signal(writer.clone()));
        for i in 0..4 {
            p.try_push(msg(&i.to_string())).unwrap();
        }
        assert!(p.try_push(msg("x")).is_err());
        // Subscriptions are never refused.
        p.push_control(PipeItem::Subscribe(Bytes::new()));
        let seen = writer.epoch();
        assert!(matches!(p.pop(), Pop::Item(PipeItem::Msg(_))));
        assert_eq!(writer.epoch(), seen, "no wake-up above the low-water mark");
        assert!(matches!(p.pop(), Pop::Item(_)));
        assert_ne!(writer.epoch(), seen, "woken at the low-water mark");
        assert!(p.try_push(msg("y")).is_ok());
    }

    #[test]
    fn reader_woken_only_on_empty_to_non_empty() {
        let reader = Arc::new(Signal::new());
        let p = Pipe::new(0, Notify::Signal(reader.clone()), Notify::Nobody);
        let e0 = reader.epoch();
        p.try_push(msg("a")).unwrap();
        let e1 = reader.epoch();
        assert_ne!(e0, e1);
        p.try_push(msg("b")).unwrap();
        let mut batch: VecDeque<_> = (0..10).map(|_| PipeItem::Msg(msg("c"))).collect();
        assert!(p.push_batch(&mut batch));
        assert_eq!(reader.epoch(), e1);
        let mut out = VecDeque::new();
        assert_eq!(p.pop_batch(&mut out, 100), 12);
    }

    #[test]
    fn close_semantics() {
        let p = Pipe::new(0, Notify::Nobody, Notify::Nobody);
        p.try_push(msg("a")).unwrap();
        p.close_writer();
        assert!(matches!(p.pop(), Pop::Item(_)));
        assert!(matches!(p.pop(), Pop::Closed));
        let q = Pipe::new(1, Notify::Nobody, Notify::Nobody);
        q.close_reader();
        assert!(q.try_push(msg("dropped")).is_ok());
        assert!(q.try_push(msg("dropped")).is_ok());
        assert_eq!(q.len(), 0);
    }
}
