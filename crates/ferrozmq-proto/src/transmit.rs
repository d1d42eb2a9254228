//! The outgoing byte queue of a connection, shaped for vectored writes.
//!
//! Headers and small bodies are copied into one staging buffer; bodies of at
//! least [`LARGE_FRAME`] bytes are queued as their own `Bytes` chunk, so they
//! reach `writev` without a copy. The staging buffer is never cut into
//! pieces: the queue records how many staged bytes go before each large
//! body, so a large frame costs no `Bytes` handle (and no reference count)
//! for its header.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::IoSlice;

/// Bodies of at least this many bytes are passed to the writer without copying.
pub const LARGE_FRAME: usize = 2 * 1024;

/// Staging capacity kept when the queue empties.
const IDLE_CAPACITY: usize = 64 * 1024;

/// What goes out before the staged bytes not yet placed in the queue.
#[derive(Debug)]
enum Piece {
    /// The next this many bytes of the staging buffer.
    Staged(usize),
    /// A large body, by reference.
    Body(Bytes),
}

/// Outgoing bytes: a queue of pieces, then the rest of the staging buffer.
#[derive(Debug, Default)]
pub struct Transmit {
    pieces: VecDeque<Piece>,
    staging: BytesMut,
    /// Bytes at the front of `staging` that `Staged` pieces account for.
    placed: usize,
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

    /// How many slices [`slices`](Transmit::slices) would fill at most.
    pub fn slice_count(&self) -> usize {
        self.pieces.len() + usize::from(self.staging.len() > self.placed)
    }

    /// Runs `write` on the staging buffer, for headers and small bodies.
    pub fn stage(&mut self, write: impl FnOnce(&mut BytesMut)) {
        let before = self.staging.len();
        write(&mut self.staging);
        self.len += self.staging.len() - before;
    }

    /// Queues a body: copied if small, by reference if large.
    pub fn body(&mut self, body: Bytes) {
        if body.len() >= LARGE_FRAME {
            let unplaced = self.staging.len() - self.placed;
            if unplaced > 0 {
                self.pieces.push_back(Piece::Staged(unplaced));
                self.placed += unplaced;
            }
            self.len += body.len();
            self.pieces.push_back(Piece::Body(body));
        } else {
            self.stage(|s| s.extend_from_slice(&body));
        }
    }

    /// Fills `dst` with slices of the pending bytes, in order; returns how
    /// many slices were filled.
    pub fn slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut at = 0;
        let staging = &self.staging[..];
        let pieces = self.pieces.iter().map(|piece| match piece {
            Piece::Staged(n) => {
                at += n;
                &staging[at - n..at]
            }
            Piece::Body(body) => &body[..],
        });
        let rest = Some(&staging[self.placed..]).filter(|s| !s.is_empty());
        let mut n = 0;
        for (slot, chunk) in dst.iter_mut().zip(pieces.chain(rest)) {
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
            match self.pieces.front_mut() {
                Some(Piece::Staged(k)) => {
                    let taken = n.min(*k);
                    self.staging.advance(taken);
                    self.placed -= taken;
                    n -= taken;
                    *k -= taken;
                    if *k == 0 {
                        self.pieces.pop_front();
                    }
                }
                Some(Piece::Body(body)) => {
                    if n >= body.len() {
                        n -= body.len();
                        self.pieces.pop_front();
                    } else {
                        body.advance(n);
                        n = 0;
                    }
                }
                None => {
                    self.staging.advance(n);
                    n = 0;
                }
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
        t.body(big.clone());
        t.stage(|s| s.extend_from_slice(b"h2"));
        t.body(Bytes::from_static(b"small"));
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

    /// Random stages, bodies (small and large) and partial writes, checked
    /// byte for byte against a plain queue.
    #[test]
    fn agrees_with_a_plain_byte_queue() {
        let mut rng = crate::test_rng(0x9E37_79B9_7F4A_7C15);
        let mut next = move |bound: usize| rng(bound as u64) as usize;
        let mut t = Transmit::default();
        let mut model = std::collections::VecDeque::new();
        let mut fill = 0u8;
        for _ in 0..3000 {
            match next(4) {
                0 => {
                    let bytes: Vec<u8> = (0..next(12)).map(|_| fill.wrapping_add(1)).collect();
                    fill = fill.wrapping_add(1);
                    t.stage(|s| s.extend_from_slice(&bytes));
                    model.extend(bytes);
                }
                1 | 2 => {
                    let len = if next(2) == 0 {
                        next(LARGE_FRAME)
                    } else {
                        LARGE_FRAME + next(3000)
                    };
                    fill = fill.wrapping_add(1);
                    let body: Vec<u8> = (0..len).map(|i| fill ^ i as u8).collect();
                    t.body(Bytes::from(body.clone()));
                    model.extend(body);
                }
                _ => {
                    let n = next(model.len() + 1);
                    t.advance(n);
                    model.drain(..n);
                }
            }
            assert_eq!(t.len(), model.len());
            let mut slots = [IoSlice::new(&[]); 4096];
            let n = t.slices(&mut slots);
            assert_eq!(n, t.slice_count(), "every piece is one slice");
            let pending: Vec<u8> = slots[..n].iter().flat_map(|s| s.iter().copied()).collect();
            assert!(
                pending.iter().eq(model.iter()),
                "queued bytes differ from the model"
            );
        }
    }
}
