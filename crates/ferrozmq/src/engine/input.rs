//! [`Input`]: a connection's read buffer and how much to read next. It
//! lives in the `Wire`, next to the stream and the protocol state: the
//! driver reads into it, and so does a REQ or REP user thread waiting in
//! `recv` (the receive bypass, `direct_recv.rs`).

use crate::transport::Stream;
use bytes::BytesMut;
use ferrozmq_proto::{Connection, ConnectionError, Event};
use std::io::{self, Read};

/// Read size bounds. The size adapts: it doubles while reads fill it (a
/// stream) and halves when they come back small (requests, idle peers),
/// and an idle connection gives its buffer back, so 10 000 quiet peers do
/// not hold 64 KiB each. A big frame on its way is read at its full size.
pub(super) const MIN_READ_CHUNK: usize = 8 * 1024;
pub(super) const MAX_READ_CHUNK: usize = 64 * 1024;
/// Largest single read.
pub(super) const MAX_READ: usize = 4 * 1024 * 1024;

thread_local! {
    /// Each thread's buffer for small reads (see [`Input::read_small`]).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[derive(Debug)]
pub(super) struct Input {
    /// `[valid input | spare bytes already initialised]`.
    pub(super) buf: BytesMut,
    /// How much of `buf` is input; the rest is spare room.
    pub(super) valid: usize,
    chunk: usize,
    last: usize,
}

impl Input {
    pub(super) fn new() -> Input {
        Input {
            buf: BytesMut::new(),
            valid: 0,
            chunk: MIN_READ_CHUNK,
            last: 0,
        }
    }

    /// How much the next plain read asks for: what the protocol says is
    /// missing from the frame at hand, and at least the current chunk.
    pub(super) fn want(&self, conn: &Connection) -> usize {
        conn.input_missing(&self.buf[..self.valid])
            .unwrap_or(0)
            .clamp(self.chunk, MAX_READ)
    }

    /// Whether a read of `want` bytes should go through the thread's
    /// scratch buffer: a small read with no room left, for which a fresh
    /// buffer would be zeroed in full for a few bytes of input.
    fn small(&self, want: usize) -> bool {
        self.chunk == MIN_READ_CHUNK && want <= MIN_READ_CHUNK && self.buf.len() - self.valid < want
    }

    /// Makes room for `want` more bytes behind the valid input. Only
    /// bytes never used before are zeroed, so each byte of a buffer is
    /// zeroed once, not once per read.
    pub(super) fn reserve(&mut self, want: usize) {
        if self.buf.len() - self.valid < want {
            if self.buf.capacity() < self.valid + want {
                // A new buffer is coming: do not copy stale spare bytes.
                self.buf.truncate(self.valid);
            }
            self.buf.resize(self.valid + want, 0);
        }
    }

    /// The `want` bytes of room made by [`reserve`](Input::reserve).
    pub(super) fn tail(&mut self, want: usize) -> &mut [u8] {
        &mut self.buf[self.valid..self.valid + want]
    }

    /// One read of up to `want` bytes of plain input (no body pending).
    pub(super) fn read(&mut self, stream: &mut Stream, want: usize) -> io::Result<usize> {
        if self.small(want) {
            self.read_small(stream, want)
        } else {
            self.reserve(want);
            stream.read(self.tail(want))
        }
    }

    /// Reads into this thread's scratch buffer and appends what came to the
    /// valid input: the read buffer grows by the bytes received only.
    fn read_small(&mut self, stream: &mut Stream, want: usize) -> io::Result<usize> {
        SCRATCH.with_borrow_mut(|scratch| {
            if scratch.len() < want {
                scratch.resize(want, 0);
            }
            let n = stream.read(&mut scratch[..want])?;
            self.buf.truncate(self.valid);
            self.buf.extend_from_slice(&scratch[..n]);
            Ok(n)
        })
    }

    /// Records a read of `n` bytes (of `want` asked for), `to_buf` of which
    /// landed behind the valid input.
    pub(super) fn filled(&mut self, to_buf: usize, n: usize, want: usize) {
        self.valid += to_buf;
        if n == want {
            self.chunk = (self.chunk * 2).min(MAX_READ_CHUNK);
        }
        self.last = n;
    }

    /// The reader lags (its pipe is full): read no more than the smallest
    /// chunk while it does, so that what waits for it here is one small
    /// buffer rather than one of the largest reads per connection.
    pub(super) fn lagging(&mut self) {
        self.chunk = MIN_READ_CHUNK;
    }

    /// Nothing more to read for now: a connection whose reads come back
    /// small reads less next time and gives its buffer back.
    pub(super) fn idle(&mut self) {
        if self.valid == 0 && self.last < self.chunk / 4 {
            self.chunk = (self.chunk / 2).max(MIN_READ_CHUNK);
            self.buf = BytesMut::new();
        }
    }

    /// Feeds the valid input to the protocol, up to `max` messages. Frames
    /// become slices of the buffer; what is left (a partial frame, or
    /// frames beyond `max`) stays in front of the spare bytes, which are
    /// joined back without copying. What was decoded goes to `on_event`;
    /// returns how many messages.
    pub(super) fn decode(
        &mut self,
        conn: &mut Connection,
        max: usize,
        on_event: impl FnMut(Event),
    ) -> Result<usize, ConnectionError> {
        let mut input = self.buf.split_to(self.valid);
        let result = conn.handle_input_up_to(&mut input, max, on_event);
        self.valid = input.len();
        input.unsplit(std::mem::take(&mut self.buf));
        self.buf = input;
        result
    }
}
