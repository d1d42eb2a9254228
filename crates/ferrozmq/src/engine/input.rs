//! [`Input`]: a connection's read buffer and how much to read next. It
//! lives in the `Wire`, next to the stream and the protocol state: the
//! driver reads into it, and so does a REQ or REP user thread waiting in
//! `recv` (the receive bypass, `direct_recv.rs`).
//!
//! Reads of a stream go into buffers from the payload pool, whose bytes
//! are initialised once in their life: a fresh read buffer had to be
//! zeroed before every use (safe Rust reads only into initialised memory),
//! and its pages faulted in again each time the allocator had handed them
//! back, about a sixth of a receiving I/O thread's time at 4 KiB. Decoded
//! frames are slices of the buffer, which goes back to the pool when the
//! last of them is dropped.

use super::body::PendingBody;
use crate::transport::Stream;
use bytes::{Bytes, BytesMut};
use ferrozmq_proto::payload::BodyBuffer;
use ferrozmq_proto::{Connection, ConnectionError, Event};
use std::io::{self, Read};
use std::ops::RangeInclusive;

/// Read size bounds. The size adapts: it doubles while reads fill it (a
/// stream) and halves when they come back small (requests, idle peers),
/// and an idle connection gives its buffer back, so 10 000 quiet peers do
/// not hold a large buffer each. A big frame on its way is read at its
/// full size. A stream is read up to 256 KiB at a time: fewer reads, and
/// fewer window updates, each of which runs loopback's transmit path for
/// the sender's next segments on this thread (the raw byte stream reads
/// 1 MiB at a time).
pub(super) const MIN_READ_CHUNK: usize = 8 * 1024;
pub(super) const MAX_READ_CHUNK: usize = 256 * 1024;
/// Largest single read.
pub(super) const MAX_READ: usize = 4 * 1024 * 1024;

thread_local! {
    /// Each thread's buffer for small reads (see [`Input::read_small`]).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[derive(Debug)]
pub(super) struct Input {
    /// Input left by the last decode, not decoded yet: the start of a
    /// frame, or frames held back for lack of room in the pipe. A slice of
    /// the buffer it was read into, or a copy.
    rest: Bytes,
    /// A pooled buffer being read into and how many of its bytes are
    /// input; all its bytes are initialised. Undecoded input is here or
    /// in `rest`, never in both: while `rest` holds any, this holds none.
    open: Option<(BodyBuffer, usize)>,
    /// Where small input is copied to (see [`copy_small`]).
    small: BytesMut,
    chunk: usize,
    last: usize,
    /// Input bytes moved from one buffer to another, for the tests.
    #[cfg(test)]
    copied: usize,
}

impl Input {
    pub(super) fn new() -> Input {
        Input {
            rest: Bytes::new(),
            open: None,
            small: BytesMut::new(),
            chunk: MIN_READ_CHUNK,
            last: 0,
            #[cfg(test)]
            copied: 0,
        }
    }

    /// The input read and not decoded yet.
    pub(super) fn bytes(&self) -> &[u8] {
        undecoded(&self.rest, &self.open)
    }

    /// How many bytes of input wait to be decoded.
    pub(super) fn len(&self) -> usize {
        self.bytes().len()
    }

    /// How much the next plain read asks for: what the protocol says is
    /// missing from the frame at hand, and at least the current chunk.
    pub(super) fn want(&self, conn: &Connection) -> usize {
        conn.input_missing(self.bytes())
            .unwrap_or(0)
            .clamp(self.chunk, MAX_READ)
    }

    /// Whether the open buffer holds the input and has room for `want`
    /// bytes behind it.
    fn has_room(&self, want: usize) -> bool {
        self.rest.is_empty()
            && matches!(&self.open, Some((buf, len)) if buf.bytes().len() - len >= want)
    }

    /// Makes room for `want` more bytes behind the input and returns it:
    /// the open buffer's spare bytes, with the input moved into it if it
    /// was in `rest`; the open buffer grown in place if it holds the input
    /// (a frame larger than a read, collected over many: the vector's
    /// growth keeps the copies proportional to the frame, where a new
    /// buffer per read would copy it over and over); or a pooled buffer of
    /// just that size the input moves into (the pool rounds its capacity
    /// up to a power of two; pages beyond what is read are not touched).
    fn room(&mut self, want: usize) -> &mut [u8] {
        if !self.has_room(want) {
            let len = self.len();
            match &mut self.open {
                Some((buf, open_len)) if *open_len > 0 => {
                    // `has_room` failed with the input here: too small.
                    buf.resize(*open_len + want);
                }
                // Emptied by the last decode, and big enough.
                Some((buf, 0)) if buf.bytes().len() >= len + want => {
                    buf.bytes_mut()[..len].copy_from_slice(&self.rest);
                    self.open.as_mut().expect("matched").1 = len;
                    #[cfg(test)]
                    {
                        self.copied += len;
                    }
                }
                _ => {
                    let mut buf = BodyBuffer::new(len + want);
                    buf.bytes_mut()[..len].copy_from_slice(self.bytes());
                    self.open = Some((buf, len));
                    #[cfg(test)]
                    {
                        self.copied += len;
                    }
                }
            }
            self.rest = Bytes::new();
        }
        let (buf, len) = self.open.as_mut().expect("made above");
        &mut buf.bytes_mut()[*len..*len + want]
    }

    /// Adds `data` behind the input.
    pub(super) fn append(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let total = self.len() + data.len();
        if !self.has_room(data.len()) && total <= MIN_READ_CHUNK {
            // Small input (a request, a handshake) is copied to its size
            // rather than taking a pooled buffer for a few bytes.
            let input = undecoded(&self.rest, &self.open);
            let rest = copy_small(&mut self.small, &[input, data]);
            self.open = None;
            self.rest = rest;
            return;
        }
        self.room(data.len()).copy_from_slice(data);
        self.open.as_mut().expect("made by room").1 += data.len();
    }

    /// One read of up to `want` bytes of plain input (no body pending).
    /// Small reads with no room at hand go through the thread's scratch
    /// buffer, so that a request costs its size, not a pooled buffer.
    pub(super) fn read(&mut self, stream: &mut Stream, want: usize) -> io::Result<usize> {
        if self.chunk == MIN_READ_CHUNK && want <= MIN_READ_CHUNK && !self.has_room(want) {
            return SCRATCH.with_borrow_mut(|scratch| {
                if scratch.len() < want {
                    scratch.resize(want, 0);
                }
                let n = stream.read(&mut scratch[..want])?;
                self.append(&scratch[..n]);
                Ok(n)
            });
        }
        let n = stream.read(self.room(want))?;
        self.open.as_mut().expect("made by room").1 += n;
        Ok(n)
    }

    /// Records a read of `n` bytes of `want` asked for.
    pub(super) fn filled(&mut self, n: usize, want: usize) {
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
    /// small reads less next time and gives its buffers back. An open
    /// buffer holding no input goes back to the pool in any case (a quiet
    /// stream does not hold one of up to 256 KiB; the next read takes it
    /// back, still warm, from the pool).
    pub(super) fn idle(&mut self) {
        if self.len() == 0 && self.last < self.chunk / 4 {
            self.chunk = (self.chunk / 2).max(MIN_READ_CHUNK);
            self.rest = Bytes::new();
            self.small = BytesMut::new();
        }
        if matches!(self.open, Some((_, 0))) {
            self.open = None;
        }
    }

    /// Feeds the input to the protocol, up to `max` messages. Frames
    /// become slices of the buffer they were read into; what is left (a
    /// partial frame, or frames beyond `max`) waits for the next call.
    /// What was decoded goes to `on_event`; returns how many messages.
    ///
    /// The open buffer is frozen for that, unless it holds nothing to
    /// decode yet (the first part of a frame: it is read on into the same
    /// buffer, so a frame is copied at most once whatever the pieces it
    /// arrives in), or less than half of it is input: that is copied out
    /// and the buffer kept for the next read, so that a buffer is never
    /// held by messages much smaller than it.
    pub(super) fn decode(
        &mut self,
        conn: &mut Connection,
        max: usize,
        on_event: impl FnMut(Event),
    ) -> Result<usize, ConnectionError> {
        if let Some((buf, len)) = self.open.as_mut().filter(|(_, len)| *len > 0) {
            if conn.needs_more_input(&buf.bytes()[..*len]) {
                return Ok(0);
            }
            if *len * 2 < buf.bytes().len() {
                self.rest = copy_small(&mut self.small, &[&buf.bytes()[..*len]]);
                *len = 0;
            } else {
                let (buf, len) = self.open.take().expect("matched above");
                self.rest = buf.into_bytes().slice(..len);
            }
        }
        let result = conn.handle_input_up_to(&mut self.rest, max, on_event);
        if self.rest.is_empty() {
            // An empty slice still holds its buffer.
            self.rest = Bytes::new();
        }
        result
    }

    /// If the input starts with the header of a message frame whose body
    /// size is in `sizes` and which is not all here, takes it and returns
    /// the body, with the bytes already read in it, to be received out of
    /// band (`Connection::take_body_header`).
    pub(super) fn take_body(
        &mut self,
        conn: &mut Connection,
        sizes: RangeInclusive<usize>,
    ) -> Result<Option<PendingBody>, ConnectionError> {
        let mut input = self.bytes();
        let Some(size) = conn.take_body_header(&mut input, sizes)? else {
            return Ok(None);
        };
        let body = PendingBody::new(size, input);
        self.rest = Bytes::new();
        if let Some((_, len)) = &mut self.open {
            *len = 0;
        }
        Ok(Some(body))
    }
}

/// The undecoded input of an [`Input`] with these `rest` and `open`.
fn undecoded<'a>(rest: &'a Bytes, open: &'a Option<(BodyBuffer, usize)>) -> &'a [u8] {
    match open {
        Some((buf, len)) if rest.is_empty() => &buf.bytes()[..*len],
        _ => rest,
    }
}

/// `parts` joined, cut from the spare room of `small`, which is taken
/// up by successive copies and replaced (at least [`MIN_READ_CHUNK`]) when
/// spent: a peer's small bursts cost one allocation per few of them, not
/// one each, and no zeroing (the bytes are copied in).
fn copy_small(small: &mut BytesMut, parts: &[&[u8]]) -> Bytes {
    let total = parts.iter().map(|p| p.len()).sum();
    if small.capacity() < total {
        *small = BytesMut::with_capacity(total.max(MIN_READ_CHUNK));
    }
    for part in parts {
        small.extend_from_slice(part);
    }
    small.split().freeze()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use ferrozmq_proto::mechanism::Null;
    use ferrozmq_proto::{ConnectionConfig, Message, SocketType};
    use std::io::{IoSlice, Write};
    use std::time::Instant;

    fn transmit(c: &mut Connection) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut slots = [IoSlice::new(&[]); 64];
            let n = c.transmit_slices(&mut slots);
            if n == 0 {
                return out;
            }
            for s in &slots[..n] {
                out.extend_from_slice(s);
            }
            let len: usize = slots[..n].iter().map(|s| s.len()).sum();
            c.advance_transmit(len);
        }
    }

    /// A PUSH and a PULL connection past the handshake.
    fn ready_pair() -> (Connection, Connection) {
        let now = Instant::now();
        let new = |t| Connection::new(ConnectionConfig::new(t), Box::new(Null::new()), now);
        let (mut push, mut pull) = (new(SocketType::Push), new(SocketType::Pull));
        while !(push.is_ready() && pull.is_ready()) {
            pull.handle_input(&mut BytesMut::from(&transmit(&mut push)[..]))
                .unwrap();
            push.handle_input(&mut BytesMut::from(&transmit(&mut pull)[..]))
                .unwrap();
        }
        while pull.poll_event().is_some() {}
        (push, pull)
    }

    fn stream_pair() -> (Stream, mio::net::UnixStream) {
        let (a, b) = mio::net::UnixStream::pair().unwrap();
        (Stream::Unix(a), b)
    }

    /// Reads what the stream has, as the driver does, decoding after
    /// each read no more than `max` messages.
    fn read_all(
        input: &mut Input,
        stream: &mut Stream,
        pull: &mut Connection,
        max: usize,
    ) -> Vec<Message> {
        let mut got = Vec::new();
        loop {
            let want = input.want(pull);
            match input.read(stream, want) {
                Ok(n) => input.filled(n, want),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    input.idle();
                    break;
                }
                Err(e) => panic!("{e}"),
            }
            input
                .decode(pull, max, |e| {
                    if let Event::Message(m) = e {
                        got.push(m)
                    }
                })
                .unwrap();
        }
        got
    }

    /// A frame arriving in pieces is read into one buffer, where the
    /// decoded body then lies: nothing is copied while it is incomplete.
    #[test]
    fn a_frame_in_pieces_is_collected_in_one_buffer_and_not_copied() {
        let (mut push, mut pull) = ready_pair();
        let (mut stream, mut peer) = stream_pair();
        let mut input = Input::new();
        let body: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
        push.send(&Message::from(body.clone())).unwrap();
        let wire = transmit(&mut push);
        let mut at = None;
        let mut got = Vec::new();
        for piece in wire.chunks(1000) {
            peer.write_all(piece).unwrap();
            got.extend(read_all(&mut input, &mut stream, &mut pull, usize::MAX));
            if got.is_empty() {
                let start = input.bytes().as_ptr();
                assert_eq!(*at.get_or_insert(start), start, "the input moved");
            }
        }
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].frames()[0], body);
        assert_eq!(
            got[0].frames()[0].as_ptr(),
            at.unwrap().wrapping_add(9),
            "decoded in place"
        );
        assert_eq!(input.len(), 0);
    }

    /// A peer that goes quiet between frames leaves no buffer behind; one
    /// that goes quiet in the middle of a frame leaves its start, and the
    /// frame completes when the rest comes.
    #[test]
    fn a_quiet_peer_holds_no_spare_buffer_and_resumes_mid_frame() {
        let (mut push, mut pull) = ready_pair();
        let (mut stream, mut peer) = stream_pair();
        let mut input = Input::new();
        for fill in 1..=3u8 {
            push.send(&Message::from(vec![fill; 100_000])).unwrap();
        }
        let wire = transmit(&mut push);
        let frame = 9 + 100_000;
        peer.write_all(&wire[..frame]).unwrap();
        let got = read_all(&mut input, &mut stream, &mut pull, usize::MAX);
        assert_eq!(got.len(), 1);
        assert_eq!(input.len(), 0);
        assert!(input.open.is_none(), "an empty buffer kept while quiet");
        peer.write_all(&wire[frame..2 * frame + 5]).unwrap();
        let got = read_all(&mut input, &mut stream, &mut pull, usize::MAX);
        assert_eq!(got.len(), 1);
        assert_eq!(input.len(), 5);
        peer.write_all(&wire[2 * frame + 5..]).unwrap();
        let got = read_all(&mut input, &mut stream, &mut pull, usize::MAX);
        assert_eq!(got.len(), 1);
        assert!(got[0].frames()[0].iter().all(|&b| b == 3));
    }

    /// A frame larger than the largest read is collected over many reads
    /// in one buffer grown in place: its bytes are not moved from buffer
    /// to buffer once per read (which would copy it over and over).
    #[test]
    fn a_frame_beyond_the_largest_read_is_not_copied_per_read() {
        let (mut push, mut pull) = ready_pair();
        let (mut stream, mut peer) = stream_pair();
        let mut input = Input::new();
        let big: Vec<u8> = (0..3 * MAX_READ as u32).map(|i| (i % 253) as u8).collect();
        push.send(&Message::from(big.clone())).unwrap();
        push.send(&Message::from("after")).unwrap();
        let wire = transmit(&mut push);
        let mut got = Vec::new();
        for piece in wire.chunks(100_000) {
            peer.write_all(piece).unwrap();
            got.extend(read_all(&mut input, &mut stream, &mut pull, usize::MAX));
        }
        assert_eq!(got.len(), 2);
        assert!(got[0].frames()[0] == big);
        assert_eq!(got[1], Message::from("after"));
        assert!(
            input.copied < MAX_READ_CHUNK,
            "{} bytes moved between buffers for a {} byte frame",
            input.copied,
            big.len()
        );
    }

    /// A stream of mixed sizes (a few bytes to beyond the largest read),
    /// written in pieces of every size and decoded a few messages at a
    /// time, arrives whole and in order: the input moves between the
    /// frozen rest, the open buffer and fresh buffers without losing or
    /// reordering a byte.
    #[test]
    fn mixed_sizes_in_any_pieces_arrive_whole_and_in_order() {
        let (mut push, mut pull) = ready_pair();
        let (mut stream, mut peer) = stream_pair();
        let mut input = Input::new();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let sizes = [0, 1, 16, 200, 255, 256, 4096, 20_000, 70_000, 300_000];
        let mut sent = Vec::new();
        for i in 0..400u32 {
            let size = sizes[next(sizes.len() as u64) as usize].max(4);
            let mut body = vec![(i % 251) as u8; size];
            body[..4].copy_from_slice(&i.to_be_bytes());
            let msg = Message::from(body);
            push.send(&msg).unwrap();
            sent.push(msg);
        }
        let wire = transmit(&mut push);
        let mut got = Vec::new();
        let mut at = 0;
        while at < wire.len() {
            let piece = (1 + next(100_000) as usize).min(wire.len() - at);
            peer.write_all(&wire[at..at + piece]).unwrap();
            at += piece;
            let max = 1 + next(8) as usize;
            got.extend(read_all(&mut input, &mut stream, &mut pull, max));
            // What a lagging reader left undecoded comes out without a read.
            while got.len() < sent.len() {
                let before = got.len();
                input
                    .decode(&mut pull, max, |e| {
                        if let Event::Message(m) = e {
                            got.push(m)
                        }
                    })
                    .unwrap();
                if got.len() == before {
                    break;
                }
            }
        }
        assert_eq!(got.len(), sent.len());
        for (i, (a, b)) in got.iter().zip(&sent).enumerate() {
            assert!(a == b, "message {i} differs");
        }
        assert_eq!(input.len(), 0);
    }
}
