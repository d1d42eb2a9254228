//! [`PendingBody`]: a large frame body received into a buffer of its own
//! (see `read::BODY_MIN`), outside the read buffer.

use bytes::Bytes;
use ferrozmq_proto::payload::BodyBuffer;

/// The body of a frame whose header was taken (`Connection::take_body_header`),
/// as far as it has arrived. Its buffer is initialised only ahead of the
/// bytes being read (one read's worth at a time), so a size announced by
/// the peer costs memory only as the bytes come; a buffer of the body's
/// size class from the pool needs no initialising at all.
#[derive(Debug)]
pub(super) struct PendingBody {
    buf: BodyBuffer,
    filled: usize,
    size: usize,
}

impl PendingBody {
    /// A body of `size` bytes, whose first bytes (already read) are `start`.
    pub(super) fn new(size: usize, start: &[u8]) -> PendingBody {
        let mut buf = BodyBuffer::reserve(size);
        if buf.bytes().len() < start.len() {
            buf.resize(start.len());
        }
        buf.bytes_mut()[..start.len()].copy_from_slice(start);
        PendingBody {
            buf,
            filled: start.len(),
            size,
        }
    }

    /// Room for the next `max` bytes of the body at most, and whether it
    /// reaches the body's end.
    pub(super) fn room(&mut self, max: usize) -> (&mut [u8], bool) {
        let end = self.size.min(self.filled.saturating_add(max));
        if self.buf.bytes().len() < end {
            self.buf.resize(end);
        }
        (
            &mut self.buf.bytes_mut()[self.filled..end],
            end == self.size,
        )
    }

    /// Counts up to `n` bytes just read into [`room`](PendingBody::room)
    /// toward the body; returns how many it took.
    pub(super) fn fill(&mut self, n: usize) -> usize {
        let taken = n.min(self.size - self.filled);
        self.filled += taken;
        taken
    }

    pub(super) fn is_complete(&self) -> bool {
        self.filled == self.size
    }

    /// The whole body.
    pub(super) fn into_bytes(self) -> Bytes {
        debug_assert!(self.is_complete());
        let mut buf = self.buf;
        buf.resize(self.size);
        buf.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body beyond one read is offered a read's worth at a time, the
    /// header behind it only with its last part, and comes out whole.
    #[test]
    fn a_body_fills_a_window_at_a_time_and_comes_out_whole() {
        const WINDOW: usize = 1 << 20;
        let data: Vec<u8> = (0..5 * WINDOW / 2).map(|i| (i % 251) as u8).collect();
        let mut body = PendingBody::new(data.len(), &data[..100]);
        let mut at = 100;
        let mut windows = Vec::new();
        while !body.is_complete() {
            let (room, last) = body.room(WINDOW);
            let n = room.len();
            room.copy_from_slice(&data[at..at + n]);
            windows.push((n, last));
            // The last read may bring the next header too: not the body's.
            let extra = if last { 7 } else { 0 };
            assert_eq!(body.fill(n + extra), n);
            at += n;
        }
        assert_eq!(
            windows,
            [(WINDOW, false), (WINDOW, false), (WINDOW / 2 - 100, true)]
        );
        assert!(body.into_bytes() == data);
    }

    /// A size announced far beyond memory costs nothing until its bytes
    /// come: the buffer is initialised only ahead of each read.
    #[test]
    fn a_huge_announced_body_commits_only_what_arrives() {
        let mut body = PendingBody::new(1 << 50, b"abc");
        let (room, last) = body.room(16);
        assert_eq!(room.len(), 16);
        assert!(!last);
        assert_eq!(body.fill(16), 16);
        assert!(!body.is_complete());
    }
}
