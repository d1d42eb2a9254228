//! Copies of small payloads without an allocation each.
//!
//! Copying a 16-byte frame into its own heap block costs a `malloc` on the
//! sending thread and a `free` on whichever thread drops it (the I/O thread,
//! the receiving thread), and the two contend on the allocator. Instead, small
//! copies are appended to a per-thread chunk and handed out as shared slices
//! of it: one allocation per chunk, a reference count per message, and
//! payloads that sit next to each other in memory, in sending order.
//!
//! The cost: a chunk is freed when the last message cut from it is dropped,
//! so a small message that is kept for long keeps up to [`CHUNK`] bytes
//! alive — the same trade as received frames, which are slices of the read
//! buffer.

use bytes::{Bytes, BytesMut};
use std::cell::RefCell;

/// Payloads up to this size are copied into the shared chunk.
pub const SMALL_MAX: usize = 256;

/// Size of each chunk.
pub const CHUNK: usize = 8 * 1024;

thread_local! {
    static CURRENT: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// An owned copy of `data` (at most [`SMALL_MAX`] bytes), cut from this
/// thread's chunk.
pub(crate) fn copy(data: &[u8]) -> Bytes {
    debug_assert!(data.len() <= SMALL_MAX);
    CURRENT
        .try_with(|chunk| {
            let mut chunk = chunk.borrow_mut();
            if chunk.capacity() < data.len() {
                *chunk = BytesMut::with_capacity(CHUNK);
            }
            chunk.extend_from_slice(data);
            chunk.split().freeze()
        })
        // The thread is exiting and its chunk is gone: copy plainly.
        .unwrap_or_else(|_| Bytes::copy_from_slice(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_independent_and_exact() {
        let a = copy(b"first");
        let b = copy(b"second");
        assert_eq!(&a[..], b"first");
        assert_eq!(&b[..], b"second");
        // Cut from the same chunk, one after the other.
        assert_eq!(a.as_ptr().wrapping_add(a.len()), b.as_ptr());
        drop(a);
        assert_eq!(&b[..], b"second");
    }

    #[test]
    fn a_full_chunk_is_replaced() {
        let payload = [7u8; SMALL_MAX];
        let copies: Vec<Bytes> = (0..3 * CHUNK / SMALL_MAX).map(|_| copy(&payload)).collect();
        assert!(copies.iter().all(|c| c[..] == payload[..]));
    }
}
