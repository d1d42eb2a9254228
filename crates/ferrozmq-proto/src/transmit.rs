//! The outgoing byte queue of a connection, shaped for vectored writes.
//!
//! Headers and small bodies are copied into one staging buffer; bodies of at
//! least [`LARGE_FRAME`] bytes are queued as their own `Bytes` chunk, so they
//! reach `writev` without a copy.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::IoSlice;

/// Bodies of at least this many bytes are passed to the writer without copying.
pub const LARGE_FRAME: usize = 2 * 1024;

/// Staging capacity kept when the queue empties.
const IDLE_CAPACITY: usize = 64 * 1024;

/// Outgoing bytes: a queue of chunks followed by the staging buffer.
#[derive(Debug, Default)]
pub struct Transmit {
    chunks: VecDeque<Bytes>,
    staging: BytesMut,
    len: usize,
}

impl Transmit {
    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Runs `write` on the staging buffer, for headers and small bodies.
    pub fn stage(&mut self, write: impl FnOnce(&mut BytesMut)) {
        let before = self.staging.len();
        write(&mut self.staging);
        self.len += self.staging.len() - before;
    }

    /// Queues a body: copied if small, by reference if large.
    pub fn body(&mut self, body: &Bytes) {
        if body.len() >= LARGE_FRAME {
            if !self.staging.is_empty() {
                self.chunks.push_back(self.staging.split().freeze());
            }
            self.chunks.push_back(body.clone());
            self.len += body.len();
        } else {
            self.stage(|s| s.extend_from_slice(body));
        }
    }

    /// Fills `dst` with slices of the pending bytes, in order; returns how
    /// many slices were filled.
    pub fn slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let staging = Some(&self.staging[..]).filter(|s| !s.is_empty());
        let pending = self.chunks.iter().map(|c| &c[..]).chain(staging);
        let mut n = 0;
        for (slot, chunk) in dst.iter_mut().zip(pending) {
            *slot = IoSlice::new(chunk);
            n += 1;
        }
        n
    }

    /// Marks `n` bytes as written.
    pub fn advance(&mut self, mut n: usize) {
        assert!(n <= self.len, "advanced past the queued bytes");
        self.len -= n;
        while n > 0 {
            if let Some(front) = self.chunks.front_mut() {
                if n >= front.len() {
                    n -= front.len();
                    self.chunks.pop_front();
                } else {
                    front.advance(n);
                    n = 0;
                }
            } else {
                self.staging.advance(n);
                n = 0;
            }
        }
        if self.len == 0 {
            if self.staging.capacity() > IDLE_CAPACITY {
                // A burst is over: give its memory back (idle connections
                // should cost little).
                self.staging = BytesMut::new();
            } else {
                self.staging.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(t: &Transmit) -> Vec<u8> {
        let mut slots = [IoSlice::new(&[]); 8];
        let n = t.slices(&mut slots);
        slots[..n].iter().flat_map(|s| s.iter().copied()).collect()
    }

    #[test]
    fn large_bodies_are_not_copied_and_order_holds() {
        let mut t = Transmit::default();
        let big = Bytes::from(vec![7u8; LARGE_FRAME]);
        t.stage(|s| s.extend_from_slice(b"h1"));
        t.body(&big);
        t.stage(|s| s.extend_from_slice(b"h2"));
        t.body(&Bytes::from_static(b"small"));
        assert_eq!(t.len(), 2 + LARGE_FRAME + 7);
        let mut slots = [IoSlice::new(&[]); 8];
        assert_eq!(t.slices(&mut slots), 3);
        assert_eq!(slots[1].as_ptr(), big.as_ptr());
        let all = pending(&t);
        assert_eq!(&all[..2], b"h1");
        assert_eq!(&all[all.len() - 7..], b"h2small");
        t.advance(3);
        assert_eq!(pending(&t).len(), LARGE_FRAME - 1 + 7);
        t.advance(LARGE_FRAME - 1 + 3);
        assert_eq!(pending(&t), b"mall");
        t.advance(4);
        assert!(t.is_empty());
    }
}
