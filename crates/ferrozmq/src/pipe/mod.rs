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
//!
//! Pacing: a blocking sender of messages of [`PACE_MIN`] bytes or more to a
//! connection that is writing them out waits after its send while more than
//! [`PACE_BUDGET`] bytes of them are queued, until half of that is written
//! (the budget is a kernel socket buffer's size; for tiny messages the HWM
//! is reached first).
//! The message is already accepted, so nothing changes for the peer or the
//! HWM; what changes is that a fast sender does not run gigabytes ahead of
//! the wire, each new payload in fresh memory the kernel must fault in and
//! zero, while the writes it waits for compete with that for the CPU. With
//! the buffers recycled instead (`ferrozmq_proto::payload`), large-message
//! throughput comes close to a plain byte stream's. A connection that stops
//! draining for [`PACE_STALL`] ends the wait: the sender then queues up to
//! the HWM as libzmq does.

mod item;
mod queue;
mod ready;

pub(crate) use item::PipeItem;
pub(crate) use ready::ReadyList;

use crate::signal::Signal;
use ferrozmq_proto::Message;
use queue::Queue;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Messages of at least this many bytes count toward the pacing budget.
/// Smaller ones reach the HWM long before the budget; not counting them
/// keeps their push and pop as cheap as they were.
pub(crate) const PACE_MIN: usize = 256;
/// Queued bytes of counted messages above which a blocking sender waits.
pub(crate) const PACE_BUDGET: usize = 4 * 1024 * 1024;
/// How long a connection may write nothing before a pacing wait gives up.
pub(crate) const PACE_STALL: Duration = Duration::from_millis(10);

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
    /// Whether queued bytes are counted for pacing: not in a pipe read by
    /// a socket from the start (inbound pipes), whose writer never paces.
    counts_paced: bool,
    /// `Inner::paced_bytes`, mirrored for the lock-free pacing check.
    paced_hint: AtomicUsize,
    inner: Mutex<Inner>,
    hwm: usize,
    lwm: usize,
}

#[derive(Debug)]
struct Inner {
    queue: Queue,
    writer_closed: bool,
    reader_closed: bool,
    writer_blocked: bool,
    /// Bytes of queued messages of at least `PACE_MIN` bytes each.
    paced_bytes: usize,
    /// Pops so far: a pacing writer tells a stalled reader by it.
    pops: u64,
    /// A writer is in `pace` and wants a wake-up at half the budget.
    pacing: bool,
    reader: Notify,
    writer: Notify,
    bypass: Option<Arc<dyn Bypass>>,
    /// Set by a reader that found the pipe empty: the slot to report on
    /// `ready` when the pipe has something again (see [`ReadyList`]).
    parked: Option<usize>,
    /// The reader's list, kept from the first park on (no reference count
    /// touched per park).
    ready: Option<Arc<ReadyList>>,
}

impl Inner {
    /// The pipe has something for its reader again: un-park it.
    fn report_ready(&mut self) {
        if let (Some(slot), Some(ready)) = (self.parked.take(), &self.ready) {
            ready.push(slot);
        }
    }
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
            counts_paced: !matches!(reader, Notify::Signal(_)),
            paced_hint: AtomicUsize::new(0),
            inner: Mutex::new(Inner {
                queue: Queue::default(),
                writer_closed: false,
                reader_closed: false,
                writer_blocked: false,
                paced_bytes: 0,
                pops: 0,
                pacing: false,
                reader,
                writer,
                bypass: None,
                parked: None,
                ready: None,
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
    /// with a terminated pipe. On success, returns the bytes the message
    /// counts for in the pacing budget (for [`wants_pacing`](Pipe::wants_pacing)).
    pub(crate) fn try_push(&self, msg: Message) -> Result<usize, Message> {
        let mut inner = self.lock();
        if inner.reader_closed {
            return Ok(0);
        }
        if inner.queue.is_empty() {
            if let Some(bypass) = &inner.bypass {
                if bypass.try_send(&msg) {
                    return Ok(0);
                }
            }
        }
        if !self.admit(&mut inner) {
            return Err(msg);
        }
        // Inline only between two sockets (inproc): a connection driver
        // works through a batch of messages while the socket makes the
        // next ones, so their shared counts rarely bounce, and the extra
        // copies would cost more than they save.
        let item = match inner.reader {
            Notify::Signal(_) => PipeItem::message(msg),
            _ => PipeItem::Msg(msg),
        };
        let paced = self.paced_len(&item);
        self.add_paced(&mut inner, paced);
        self.push_locked(inner, item);
        Ok(paced)
    }

    /// Pushes a copy of `item` (a message) unless the pipe is full; false
    /// if full. For a publisher: an inline item is copied, not counted.
    pub(crate) fn offer(&self, item: &PipeItem) -> bool {
        debug_assert!(item.is_message());
        let mut inner = self.lock();
        if inner.reader_closed {
            return true;
        }
        if !self.admit(&mut inner) {
            return false;
        }
        self.add_paced(&mut inner, self.paced_len(item));
        self.push_locked(inner, item.clone());
        true
    }

    /// Makes room for one more message (conflation); false (and the
    /// writer marked blocked) if the pipe is full. The queue counts the
    /// message when it is pushed.
    fn admit(&self, inner: &mut Inner) -> bool {
        if self.conflate && inner.queue.msgs() > 0 {
            self.drop_messages(inner);
        }
        if inner.queue.msgs() >= self.hwm {
            inner.writer_blocked = true;
            return false;
        }
        true
    }

    /// Conflation: drops the queued messages, keeps subscription items.
    fn drop_messages(&self, inner: &mut Inner) {
        inner.queue.retain(|i| !i.is_message());
        self.no_messages_left(inner);
    }

    /// Resets the paced bytes once no message is queued any more.
    fn no_messages_left(&self, inner: &mut Inner) {
        inner.paced_bytes = 0;
        self.paced_hint.store(0, Ordering::Relaxed);
    }

    /// The bytes `item` counts for in this pipe's pacing budget.
    fn paced_len(&self, item: &PipeItem) -> usize {
        if self.counts_paced {
            item.paced_len()
        } else {
            0
        }
    }

    fn add_paced(&self, inner: &mut Inner, n: usize) {
        if n > 0 {
            inner.paced_bytes += n;
            self.paced_hint.store(inner.paced_bytes, Ordering::Relaxed);
        }
    }

    fn remove_paced(&self, inner: &mut Inner, n: usize) {
        if n > 0 {
            inner.paced_bytes -= n;
            self.paced_hint.store(inner.paced_bytes, Ordering::Relaxed);
        }
    }

    /// Whether a blocking sender that just queued a message counting `len`
    /// bytes (as `try_push` returned) should [`pace`](Pipe::pace). Lock-free.
    pub(crate) fn wants_pacing(&self, len: usize) -> bool {
        len >= PACE_MIN && self.paced_hint.load(Ordering::Relaxed) > PACE_BUDGET
    }

    /// Waits while more than half of [`PACE_BUDGET`] is queued and the
    /// connection keeps writing; returns at once for a pipe not read by a
    /// connection (inproc), and when `deadline` passes or the reader stalls.
    pub(crate) fn pace(&self, signal: &Signal, deadline: Option<Instant>) {
        loop {
            let seen = signal.epoch();
            let pops = {
                let mut inner = self.lock();
                if inner.reader_closed
                    || inner.paced_bytes <= PACE_BUDGET / 2
                    || !matches!(inner.reader, Notify::Engine(_))
                {
                    inner.pacing = false;
                    return;
                }
                inner.pacing = true;
                inner.pops
            };
            let now = Instant::now();
            let stall = now + PACE_STALL;
            let until = deadline.map_or(stall, |d| d.min(stall));
            if until <= now {
                return;
            }
            signal.wait(seen, Some(until));
            if self.lock().pops == pops || deadline.is_some_and(|d| Instant::now() >= d) {
                // The connection wrote nothing meanwhile, or time is up.
                self.lock().pacing = false;
                return;
            }
        }
    }

    /// Pushes a subscription item; never refused.
    pub(crate) fn push_control(&self, item: PipeItem) {
        let inner = self.lock();
        if !inner.reader_closed {
            self.push_locked(inner, item);
        }
    }

    /// Moves items from `batch` into the pipe until it is full; what did
    /// not fit stays in `batch`. One lock and at most one wake-up per batch.
    /// Returns [`room`](Pipe::room) as it is after the batch.
    pub(crate) fn push_batch(&self, batch: &mut VecDeque<PipeItem>) -> usize {
        // Counted before locking: when the reader keeps up, the pipe is
        // empty and the whole batch moves in by a swap of the two queues;
        // when it lags, the batch moves in whole as a segment of the queue
        // (only where no bytes are counted for pacing: a reader takes a
        // segment at a time and would not know its bytes).
        let (msgs, paced) = batch.iter().fold((0, 0), |(m, p), item| {
            (m + usize::from(item.is_message()), p + self.paced_len(item))
        });
        let mut inner = self.lock();
        if inner.reader_closed {
            batch.clear();
            return usize::MAX;
        }
        let was_empty = inner.queue.is_empty();
        let fits = !self.conflate && msgs <= self.hwm.saturating_sub(inner.queue.msgs());
        if fits && (was_empty || !self.counts_paced) && inner.queue.move_in(batch, msgs) {
            self.add_paced(&mut inner, paced);
        }
        while let Some(item) = batch.pop_front() {
            if item.is_message() {
                if self.conflate && inner.queue.msgs() > 0 {
                    self.drop_messages(&mut inner);
                }
                if inner.queue.msgs() >= self.hwm {
                    batch.push_front(item);
                    inner.writer_blocked = true;
                    break;
                }
                self.add_paced(&mut inner, self.paced_len(&item));
            }
            inner.queue.push_back(item);
        }
        let notify = (was_empty && !inner.queue.is_empty()).then(|| {
            inner.report_ready();
            inner.reader.clone()
        });
        let room = self.room_locked(&inner);
        drop(inner);
        if let Some(n) = notify {
            n.notify();
        }
        room
    }

    /// How many more messages the pipe takes before its HWM: `usize::MAX`
    /// when it never refuses one (no HWM, conflation, reader gone). When it
    /// takes none, the writer is woken at the low-water mark, as after a
    /// refused push: a writer that holds its input back for lack of room
    /// (a connection leaving frames undecoded) learns when to go on.
    pub(crate) fn room(&self) -> usize {
        let mut inner = self.lock();
        let room = self.room_locked(&inner);
        if room == 0 {
            inner.writer_blocked = true;
        }
        room
    }

    fn room_locked(&self, inner: &Inner) -> usize {
        if self.conflate || inner.reader_closed || self.hwm == usize::MAX {
            usize::MAX
        } else {
            self.hwm.saturating_sub(inner.queue.msgs())
        }
    }

    fn push_locked(&self, mut inner: MutexGuard<'_, Inner>, item: PipeItem) {
        let was_empty = inner.queue.is_empty();
        inner.queue.push_back(item);
        if was_empty {
            inner.report_ready();
            let n = inner.reader.clone();
            drop(inner);
            n.notify();
        }
    }

    /// Pops the oldest item (tests; readers use `pop_all`/`pop_batch`).
    #[cfg(test)]
    pub(crate) fn pop(&self) -> Pop {
        let mut inner = self.lock();
        let popped = inner.queue.pop_front();
        match popped {
            Some(item) => {
                if item.is_message() {
                    self.remove_paced(&mut inner, self.paced_len(&item));
                }
                self.after_pop(inner);
                Pop::Item(item)
            }
            None if inner.writer_closed => Pop::Closed,
            None => Pop::Empty,
        }
    }

    /// Pops up to `max` items (of the queue's first segment) into `out`:
    /// one lock per batch. When the whole segment fits and `out` is empty,
    /// the two queues are swapped, so the lock is held for a few
    /// instructions whatever the batch's size (a writer that finds it taken
    /// would otherwise sleep on it).
    pub(crate) fn pop_batch(&self, out: &mut VecDeque<PipeItem>, max: usize) -> usize {
        let mut inner = self.lock();
        let n = inner.queue.head_len().min(max);
        if n == 0 {
            return 0;
        }
        if n == inner.queue.head_len() && out.is_empty() {
            inner.queue.take_head(out);
            if inner.queue.is_empty() {
                self.no_messages_left(&mut inner);
            }
        } else {
            let mut paced = 0;
            inner
                .queue
                .take_some(n, out, |item| paced += self.paced_len(item));
            self.remove_paced(&mut inner, paced);
        }
        self.after_pop(inner);
        n
    }

    /// Moves what is queued (the queue's first segment: all of it unless the
    /// reader lagged behind several batches) into `out`, one lock for the
    /// whole batch; the reader then serves messages from `out` without
    /// locking.
    #[cfg(test)]
    pub(crate) fn pop_all(&self, out: &mut VecDeque<PipeItem>) -> Pop {
        self.pop_all_or_park(out, None)
    }

    /// [`pop_all`](Pipe::pop_all); when it finds nothing and `park` is
    /// given, the pipe is parked: the next push, or the writer closing,
    /// reports `slot` on the reader's list (then wakes the reader).
    pub(crate) fn pop_all_or_park(
        &self,
        out: &mut VecDeque<PipeItem>,
        park: Option<(&Arc<ReadyList>, usize)>,
    ) -> Pop {
        let mut inner = self.lock();
        if inner.queue.is_empty() {
            if inner.writer_closed {
                return Pop::Closed;
            }
            if let Some((ready, slot)) = park {
                if inner.ready.is_none() {
                    inner.ready = Some(ready.clone());
                }
                inner.parked = Some(slot);
            }
            return Pop::Empty;
        }
        inner.queue.take_head(out);
        if inner.queue.is_empty() {
            self.no_messages_left(&mut inner);
        }
        let first = out.pop_front().expect("non-empty");
        self.after_pop(inner);
        Pop::Item(first)
    }

    fn after_pop(&self, mut inner: MutexGuard<'_, Inner>) {
        inner.pops += 1;
        let room = inner.writer_blocked && inner.queue.msgs() <= self.lwm;
        let paced = inner.pacing && inner.paced_bytes <= PACE_BUDGET / 2;
        if room || paced {
            inner.writer_blocked &= !room;
            inner.pacing &= !paced;
            let n = inner.writer.clone();
            drop(inner);
            n.notify();
        }
    }

    /// Number of queued items.
    pub(crate) fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// The writer will send nothing more; the reader may drain what is queued.
    pub(crate) fn close_writer(&self) {
        let mut inner = self.lock();
        inner.writer_closed = true;
        inner.report_ready();
        let n = inner.reader.clone();
        drop(inner);
        n.notify();
    }

    /// The reader is gone: queued items are dropped, later pushes discarded.
    pub(crate) fn close_reader(&self) {
        let mut inner = self.lock();
        inner.reader_closed = true;
        inner.queue.clear();
        self.no_messages_left(&mut inner);
        let n = inner.writer.clone();
        drop(inner);
        n.notify();
    }

    /// Changes whom to wake when items arrive; wakes the new reader if
    /// items are already waiting.
    pub(crate) fn set_reader(&self, reader: Notify) {
        let mut inner = self.lock();
        inner.reader = reader.clone();
        let pending = !inner.queue.is_empty();
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
        self.lock().queue.retain(PipeItem::is_message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn msg(s: &str) -> Message {
        Message::from(s)
    }

    /// Pushes `batch`; true if all of it fit.
    fn fits(p: &Pipe, batch: &mut VecDeque<PipeItem>) -> bool {
        p.push_batch(batch);
        batch.is_empty()
    }

    #[test]
    fn room_counts_down_to_the_hwm_and_a_writer_that_found_none_is_woken() {
        let writer = Arc::new(Signal::new());
        let p = Pipe::new(4, Notify::Nobody, Notify::Signal(writer.clone()));
        assert_eq!(p.room(), 4);
        let mut batch: VecDeque<_> = (0..3).map(|_| PipeItem::Msg(msg("m"))).collect();
        batch.push_back(PipeItem::Subscribe(Bytes::from_static(b"t")));
        assert_eq!(p.push_batch(&mut batch), 1, "subscriptions take no room");
        p.try_push(msg("4th")).unwrap();
        let seen = writer.epoch();
        assert_eq!(p.room(), 0);
        let mut out = VecDeque::new();
        assert_eq!(p.pop_batch(&mut out, 1), 1);
        assert_eq!(writer.epoch(), seen, "above the low-water mark");
        assert_eq!(p.pop_batch(&mut out, 1), 1);
        assert_ne!(writer.epoch(), seen, "woken at the low-water mark");
        assert_eq!(p.room(), 2);
        // Pipes that never refuse a message.
        assert_eq!(
            Pipe::new(0, Notify::Nobody, Notify::Nobody).room(),
            usize::MAX
        );
        let conflating = Pipe::new_with(1, true, Notify::Nobody, Notify::Nobody);
        conflating.try_push(msg("a")).unwrap();
        assert_eq!(conflating.room(), usize::MAX);
        p.close_reader();
        assert_eq!(p.room(), usize::MAX);
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
        assert!(matches!(p.pop(), Pop::Item(i) if i.is_message()));
        assert_eq!(writer.epoch(), seen, "no wake-up above the low-water mark");
        assert!(matches!(p.pop(), Pop::Item(_)));
        assert_ne!(writer.epoch(), seen, "woken at the low-water mark");
        assert!(p.try_push(msg("y")).is_ok());
    }

    #[test]
    fn pacing_counts_messages_from_pace_min_up() {
        let writer = Arc::new(Signal::new());
        let p = Pipe::new_with(0, false, Notify::Nobody, Notify::Signal(writer.clone()));
        let big = || Message::from(vec![0u8; 1 << 20]);
        // Tiny messages are not counted.
        for _ in 0..1000 {
            p.try_push(msg("tiny")).unwrap();
        }
        assert!(!p.wants_pacing(1 << 20));
        for _ in 0..4 {
            p.try_push(big()).unwrap();
        }
        assert!(!p.wants_pacing(1 << 20), "at the budget, not over it");
        p.try_push(big()).unwrap();
        assert!(p.wants_pacing(1 << 20));
        assert!(!p.wants_pacing(PACE_MIN - 1), "a small send never paces");
        // Pops take their bytes off; every path that empties the pipe resets.
        let mut out = VecDeque::new();
        p.pop_batch(&mut out, 1001);
        assert!(!p.wants_pacing(1 << 20));
        for _ in 0..8 {
            p.try_push(big()).unwrap();
        }
        assert!(matches!(p.pop_all(&mut out), Pop::Item(_)));
        assert!(!p.wants_pacing(1 << 20));
        for _ in 0..8 {
            p.try_push(big()).unwrap();
        }
        p.close_reader();
        assert!(!p.wants_pacing(1 << 20));
        // A pipe read by no connection (here: nobody) is never waited on.
        let q = Pipe::new_with(0, false, Notify::Nobody, Notify::Signal(writer.clone()));
        for _ in 0..8 {
            q.try_push(big()).unwrap();
        }
        assert!(q.wants_pacing(1 << 20));
        q.pace(&writer, None);
    }

    #[test]
    fn conflation_resets_the_paced_bytes() {
        let p = Pipe::new_with(0, true, Notify::Nobody, Notify::Nobody);
        for _ in 0..8 {
            p.try_push(Message::from(vec![0u8; 1 << 20])).unwrap();
        }
        assert!(!p.wants_pacing(1 << 20), "only the newest is kept");
        let mut batch: VecDeque<_> = (0..8)
            .map(|_| PipeItem::Msg(Message::from(vec![0u8; 1 << 20])))
            .collect();
        assert!(fits(&p, &mut batch));
        assert!(!p.wants_pacing(1 << 20));
        let mut out = VecDeque::new();
        assert_eq!(p.pop_batch(&mut out, 10), 1);
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
        assert!(fits(&p, &mut batch));
        assert_eq!(reader.epoch(), e1);
        let mut out = VecDeque::new();
        assert_eq!(p.pop_batch(&mut out, 100), 12);
    }

    #[test]
    fn batches_move_whole_or_in_part_and_keep_the_counts() {
        let texts = |q: &VecDeque<PipeItem>| -> Vec<Vec<u8>> {
            q.iter()
                .map(|i| match i {
                    PipeItem::Msg(m) => m[0].to_vec(),
                    PipeItem::Subscribe(t) => [b"sub:", &t[..]].concat(),
                    _ => unreachable!(),
                })
                .collect()
        };
        let big = |i: u8| Message::from(vec![i; PACE_MIN]);
        // Into an empty pipe, a batch that fits moves whole (a swap).
        let p = Pipe::new(4, Notify::Nobody, Notify::Nobody);
        let mut batch: VecDeque<_> = (0..3).map(|i| PipeItem::Msg(big(i))).collect();
        batch.insert(1, PipeItem::Subscribe(Bytes::from_static(b"t")));
        assert!(fits(&p, &mut batch));
        assert!(batch.is_empty());
        assert_eq!(p.lock().paced_bytes, 3 * PACE_MIN);
        assert!(
            p.try_push(msg("4th")).is_ok(),
            "the subscription is not counted"
        );
        assert!(p.try_push(msg("5th")).is_err(), "three + one reach the HWM");
        // Out again, also by a swap when everything fits: order and counts.
        let mut out = VecDeque::new();
        assert_eq!(p.pop_batch(&mut out, 10), 5);
        assert_eq!(
            texts(&out),
            [
                vec![0; PACE_MIN],
                b"sub:t".to_vec(),
                vec![1; PACE_MIN],
                vec![2; PACE_MIN],
                b"4th".to_vec()
            ]
        );
        let counts = |p: &Pipe| {
            let inner = p.lock();
            (inner.queue.msgs(), inner.paced_bytes)
        };
        assert_eq!(counts(&p), (0, 0));
        // A batch beyond the HWM moves in part; the rest stays in order.
        let mut batch: VecDeque<_> = (10..16).map(|i| PipeItem::Msg(big(i))).collect();
        assert!(!fits(&p, &mut batch));
        assert_eq!(batch.len(), 2);
        assert_eq!(p.lock().queue.msgs(), 4);
        // A part of the queue comes out item by item, counts follow.
        out.clear();
        assert_eq!(p.pop_batch(&mut out, 3), 3);
        assert_eq!(counts(&p), (1, PACE_MIN));
        assert!(fits(&p, &mut batch), "appended behind what is queued");
        out.clear();
        assert_eq!(p.pop_batch(&mut out, 10), 3);
        let firsts: Vec<u8> = texts(&out).iter().map(|t| t[0]).collect();
        assert_eq!(firsts, [13, 14, 15]);
    }

    #[test]
    fn a_lagging_reader_gets_batches_as_segments_in_order_with_the_hwm_kept() {
        let reader = Arc::new(Signal::new());
        let writer = Arc::new(Signal::new());
        let p = Pipe::new(
            100,
            Notify::Signal(reader.clone()),
            Notify::Signal(writer.clone()),
        );
        let n = |i: usize| PipeItem::Msg(msg(&i.to_string()));
        for i in 0..10 {
            p.try_push(msg(&i.to_string())).unwrap();
        }
        let mut batch: VecDeque<_> = (10..60).map(n).collect();
        assert!(fits(&p, &mut batch));
        let mut batch: VecDeque<_> = (60..160).map(n).collect();
        assert!(!fits(&p, &mut batch), "40 of 100 fit under the HWM");
        assert_eq!(batch.len(), 60);
        assert_eq!((p.len(), p.lock().queue.msgs()), (100, 100));
        let seen = writer.epoch();
        let mut out = VecDeque::new();
        let mut got = Vec::new();
        let mut turns = 0;
        loop {
            match p.pop_all(&mut out) {
                Pop::Item(first) => got.extend(std::iter::once(first).chain(out.drain(..))),
                _ => break,
            }
            turns += 1;
            if turns == 1 {
                assert_eq!(writer.epoch(), seen, "90 left: above the low-water mark");
            }
        }
        assert!(turns >= 2, "the lagging batch came as a segment of its own");
        assert_ne!(writer.epoch(), seen, "woken once drained");
        let texts: Vec<String> = got
            .into_iter()
            .map(|i| String::from_utf8(i.into_message().unwrap()[0].to_vec()).unwrap())
            .collect();
        let want: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        assert_eq!(texts, want);
        assert!(fits(&p, &mut batch), "room again");
        assert_eq!(p.lock().queue.msgs(), 60);
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
