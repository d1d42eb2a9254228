//! [`Wire`]: the parts of a connection that a user thread may drive too —
//! the stream, the protocol state, the batch taken from the pipe and what
//! was decoded for the inbound pipe — and [`DirectSend`], the send bypass
//! built on it (the receive bypass is in `direct_recv.rs`).
//!
//! The bypass (DESIGN §2, "fast paths may bypass the I/O thread"): when a
//! socket sends to a pipe that is empty, and the connection has nothing
//! queued, the user thread encodes the message and writes it to the stream
//! itself, saving the hand-off to the I/O thread and back. Ordering holds
//! because the I/O thread only moves messages from the pipe to the stream
//! while holding the same lock, and the bypass is only taken when both the
//! pipe and the transmit queue are empty. Streams keep their batching: a
//! send less than `BYPASS_GAP` after the previous send *of the same socket*
//! goes through the pipe, so a burst costs one syscall per batch, not per
//! message, also when it is spread over many peers (PUB, ROUTER).

use super::body::PendingBody;
use super::input::Input;
use super::EngineNotify;
use crate::pipe::{Bypass, Pipe, PipeItem};
use crate::transport::Stream;
use ferrozmq_proto::{Connection, ConnectionError, Event, Message, PeerInfo};
use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Most slices per vectored write: Linux's and macOS's `IOV_MAX`, so that
/// a write can take the driver's `TRANSMIT_HIGH` of 4 KiB messages (a
/// header and a body slice each).
const MAX_SLICES: usize = 1024;
/// Writes of up to this many slices fill a slice array on the stack of
/// their size (a request, a short burst); larger ones a vector sized to
/// the write.
const FEW_SLICES: usize = 4;
const SOME_SLICES: usize = 128;

#[derive(Debug)]
pub(super) struct Wire {
    pub(super) stream: Stream,
    pub(super) conn: Connection,
    /// Bytes read and not decoded yet.
    pub(super) input: Input,
    /// Items taken from the outbound pipe, not yet encoded.
    pub(super) out_batch: VecDeque<PipeItem>,
    /// Decoded items not yet in the inbound pipe.
    pub(super) stash: VecDeque<PipeItem>,
    /// The inbound pipe was full: reading waits until it drains.
    pub(super) read_blocked: bool,
    /// Messages the inbound pipe had room for at the last look (a push or
    /// [`Pipe::room`]); it only grows behind our back, as the reader drains.
    room: usize,
    /// Decoding stopped at the pipe's room with input left: the rest is
    /// decoded, not read further, once there is room. So a connection holds
    /// no more decoded messages than its pipe's HWM allows, and no more
    /// undecoded bytes than one read, whatever the messages' size (one read
    /// of tiny messages is thousands of them).
    pub(super) held: bool,
    /// A large frame body being received into a buffer of its own (see
    /// `read::BODY_MIN`).
    pub(super) body: Option<PendingBody>,
    /// The pipe decoded messages go to, once the handshake is done.
    pub(super) inbound: Option<Arc<Pipe>>,
    /// A protocol error met by a user thread's read (the receive bypass):
    /// the driver ends the connection with it.
    pub(super) failure: Option<ConnectionError>,
    /// The connection is over: the bypass must not touch it.
    pub(super) closed: bool,
    /// Most slices the next write offers. A stream takes only so much per
    /// write (a Unix socket ~200 KiB, loopback tcp several times that);
    /// offering far more costs the kernel a copy of the whole slice list
    /// for nothing. So it follows what the stream took: twice the slices
    /// of the last short write, doubling after writes taken whole.
    slice_cap: usize,
    /// Large bodies received out of band, for the tests.
    #[cfg(test)]
    pub(super) bodies: u64,
}

/// Outcome of writing the transmit queue.
pub(super) enum Flushed {
    /// Everything was written.
    All,
    /// The stream is full; the rest waits for a writable event.
    Blocked,
    /// The peer closed the stream.
    Eof,
    /// The stream failed.
    Failed(io::Error),
}

impl Wire {
    pub(super) fn new(stream: Stream, conn: Connection) -> Arc<Mutex<Wire>> {
        Arc::new(Mutex::new(Wire {
            stream,
            conn,
            input: Input::new(),
            out_batch: VecDeque::new(),
            stash: VecDeque::new(),
            read_blocked: false,
            room: 0,
            held: false,
            body: None,
            inbound: None,
            failure: None,
            closed: false,
            slice_cap: SOME_SLICES,
            #[cfg(test)]
            bodies: 0,
        }))
    }

    /// Writes queued bytes until done or blocked, `budget` writes at most.
    pub(super) fn write_out(&mut self, budget: usize) -> Option<Flushed> {
        for _ in 0..budget {
            if self.conn.transmit_len() == 0 {
                return Some(Flushed::All);
            }
            let count = self.conn.transmit_slice_count().min(self.slice_cap);
            let result = if count <= FEW_SLICES {
                self.write_slices(&mut [IoSlice::new(&[]); FEW_SLICES])
            } else if count <= SOME_SLICES {
                self.write_slices(&mut [IoSlice::new(&[]); SOME_SLICES])
            } else {
                self.write_slices(&mut vec![IoSlice::new(&[]); count])
            };
            match result {
                Ok(Written { bytes: 0, .. }) => return Some(Flushed::Eof),
                Ok(written) => {
                    self.conn.advance_transmit(written.bytes);
                    self.slice_cap = written.next_cap(self.slice_cap);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Some(Flushed::Blocked),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Some(Flushed::Failed(e)),
            }
        }
        // Budget spent with bytes left.
        None
    }

    /// Moves decoded items into the inbound pipe; false if it is full.
    pub(super) fn deliver_stash(&mut self) -> bool {
        if self.stash.is_empty() {
            return true;
        }
        match &self.inbound {
            Some(pipe) => {
                self.room = pipe.push_batch(&mut self.stash);
                self.stash.is_empty()
            }
            None => {
                self.stash.clear();
                true
            }
        }
    }

    /// How many more messages may be decoded: the pipe's room less what
    /// the stash holds (control items counted too: they are few), looked
    /// up again when spent. None before the handshake, which must attach
    /// the pipe first; with no room the pipe wakes the driver when it has.
    pub(super) fn room_left(&mut self) -> usize {
        let Some(pipe) = &self.inbound else {
            return if self.conn.is_ready() { usize::MAX } else { 0 };
        };
        if self.room <= self.stash.len() {
            self.room = pipe.room();
        }
        self.room.saturating_sub(self.stash.len())
    }

    /// Decodes the buffered input into the stash, no more messages than
    /// [`room_left`](Wire::room_left) (see `held`). The handshake's end
    /// goes to `on_handshake`; the messages behind it wait for the pipe.
    pub(super) fn decode_input(
        &mut self,
        mut on_handshake: impl FnMut(PeerInfo),
    ) -> Result<(), ConnectionError> {
        let max = self.room_left();
        let stash = &mut self.stash;
        let result = self.input.decode(&mut self.conn, max, |event| {
            if let Some(info) = stash_event(stash, event) {
                on_handshake(info);
            }
        });
        // Before the handshake's end nothing is held back: the rest of it
        // is still to be read.
        self.held =
            matches!(result, Ok(n) if n >= max) && self.input.len() > 0 && self.conn.is_ready();
        if self.held {
            self.input.lagging();
        }
        result.map(|_| ())
    }

    /// One vectored write of as many slices of the transmit queue as
    /// `slices` holds.
    fn write_slices<'a>(&'a mut self, slices: &mut [IoSlice<'a>]) -> io::Result<Written> {
        let offered = self.conn.transmit_slices(slices);
        let slices = &slices[..offered];
        let bytes = self.stream.write_vectored(slices)?;
        // The slices the write reached, the last one possibly in part.
        let mut reached = 0;
        let mut covered = 0;
        while covered < bytes {
            covered += slices[reached].len();
            reached += 1;
        }
        Ok(Written {
            bytes,
            offered,
            reached,
            whole: covered == bytes && reached == offered,
        })
    }
}

/// What one vectored write took.
struct Written {
    bytes: usize,
    offered: usize,
    reached: usize,
    /// Every slice offered was written.
    whole: bool,
}

impl Written {
    /// The slice cap after this write (see `Wire::slice_cap`).
    fn next_cap(&self, cap: usize) -> usize {
        if self.whole {
            if self.offered == cap {
                (cap * 2).min(MAX_SLICES)
            } else {
                cap
            }
        } else {
            (self.reached * 2).clamp(SOME_SLICES, MAX_SLICES)
        }
    }
}

/// Queues a traffic event for the inbound pipe; the handshake's end comes
/// back for the caller to act on.
#[inline]
pub(super) fn stash_event(stash: &mut VecDeque<PipeItem>, event: Event) -> Option<PeerInfo> {
    match event {
        Event::Message(m) => stash.push_back(PipeItem::Msg(m)),
        Event::Subscribe(t) => stash.push_back(PipeItem::Subscribe(t)),
        Event::Cancel(t) => stash.push_back(PipeItem::Cancel(t)),
        Event::HandshakeSucceeded(info) => return Some(info),
    }
    None
}

pub(super) fn lock(wire: &Mutex<Wire>) -> MutexGuard<'_, Wire> {
    wire.lock().unwrap_or_else(|e| e.into_inner())
}

/// The send bypass for one connection; installed in the outbound pipe while
/// the connection is up.
#[derive(Debug)]
pub(super) struct DirectSend {
    pub(super) wire: Arc<Mutex<Wire>>,
    pub(super) notify: EngineNotify,
    /// The socket's "this send is spaced out" flag (`SocketCore::bypass_ok`).
    pub(super) spaced: Arc<AtomicBool>,
}

impl Bypass for DirectSend {
    fn try_send(&self, msg: &Message) -> bool {
        if !self.spaced.load(Ordering::Relaxed) {
            return false;
        }
        // Never wait for the I/O thread: if it holds the wire, queue instead.
        let Ok(mut w) = self.wire.try_lock() else {
            return false;
        };
        if w.closed || !w.conn.is_ready() || w.conn.transmit_len() > 0 || !w.out_batch.is_empty() {
            return false;
        }
        if w.conn.send(msg).is_err() {
            return false;
        }
        // The message is accepted now, like one handed to the I/O thread:
        // whatever the stream does not take now, or any error, is the
        // driver's to handle on its next turn.
        if !matches!(w.write_out(4), Some(Flushed::All)) {
            drop(w);
            self.notify.notify();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(offered: usize, reached: usize, whole: bool) -> Written {
        Written {
            bytes: 1,
            offered,
            reached,
            whole,
        }
    }

    #[test]
    fn the_slice_cap_follows_what_the_stream_takes() {
        // Whole writes that used every slice allowed: offer more next time,
        // up to IOV_MAX.
        assert_eq!(written(128, 128, true).next_cap(128), 256);
        assert_eq!(written(1024, 1024, true).next_cap(1024), MAX_SLICES);
        // Whole writes below the cap leave it alone.
        assert_eq!(written(10, 10, true).next_cap(512), 512);
        // A short write: twice what it reached, within the bounds.
        assert_eq!(written(1024, 300, false).next_cap(1024), 600);
        assert_eq!(written(256, 5, false).next_cap(256), SOME_SLICES);
        assert_eq!(written(1024, 900, false).next_cap(1024), MAX_SLICES);
    }
}
