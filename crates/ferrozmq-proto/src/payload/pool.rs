//! Recycled buffers for payload copies of [`POOLED_MIN`] bytes and more.
//!
//! Such a copy is made into a buffer taken from a process-wide free list;
//! when the last reference to it is dropped, the buffer goes back to the
//! list, so its pages stay mapped and warm, and neither thread calls the
//! allocator (a `malloc` on the sending thread and a `free` on the I/O
//! thread contend on the allocator's lock, and its freed memory is handed
//! back to the kernel and faulted in again). Buffers are kept by size class
//! (powers of two), so taking one is a pop, whatever else is idle. The list
//! keeps at most [`POOL_BYTES`] bytes of buffers; a buffer that would go
//! beyond is freed.

use bytes::Bytes;
use std::sync::{Mutex, MutexGuard};

/// Copies of at least this many bytes use pooled buffers.
pub const POOLED_MIN: usize = 2 * 1024;

/// Most bytes of idle buffers the pool keeps.
pub const POOL_BYTES: usize = 32 * 1024 * 1024;

/// Size classes: buffer capacities are powers of two, up to 2^(CLASSES - 1).
const CLASSES: usize = usize::BITS as usize;

/// Idle buffers by size class (the log2 of their capacity), and the sum of
/// their capacities.
struct Free {
    classes: [Vec<Vec<u8>>; CLASSES],
    bytes: usize,
}

/// A free list of buffers; the process has one ([`GLOBAL`]).
struct Pool {
    free: Mutex<Free>,
}

static GLOBAL: Pool = Pool::new();

/// The class of buffers that can hold `len` bytes: the smallest power of
/// two at least `len` (so a buffer is never more than twice too big).
fn class_for(len: usize) -> Option<usize> {
    len.checked_next_power_of_two()
        .map(|c| c.trailing_zeros() as usize)
}

impl Pool {
    const fn new() -> Pool {
        Pool {
            free: Mutex::new(Free {
                classes: [const { Vec::new() }; CLASSES],
                bytes: 0,
            }),
        }
    }

    fn free(&self) -> MutexGuard<'_, Free> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A buffer of at least `len` bytes' capacity: an idle one of its size
    /// class, or a new one (rounded up to a power of two, so that messages
    /// of similar sizes share buffers).
    fn take(&self, len: usize) -> Vec<u8> {
        let Some(class) = class_for(len) else {
            return Vec::with_capacity(len);
        };
        self.idle(class)
            .unwrap_or_else(|| Vec::with_capacity(1 << class))
    }

    /// An idle buffer of size class `class`, if the pool has one.
    fn idle(&self, class: usize) -> Option<Vec<u8>> {
        let mut free = self.free();
        let buffer = free.classes[class].pop()?;
        free.bytes -= buffer.capacity();
        Some(buffer)
    }

    fn give_back(&self, buffer: Vec<u8>) {
        let cap = buffer.capacity();
        if !cap.is_power_of_two() {
            return;
        }
        let mut free = self.free();
        if free.bytes + cap <= POOL_BYTES {
            free.bytes += cap;
            free.classes[cap.trailing_zeros() as usize].push(buffer);
        }
    }

    /// A buffer for `len` bytes that commits no memory it has not held
    /// before: an idle one of its size class as it is, or fresh address
    /// space reserved for the class (or nothing, if that is refused: the
    /// buffer then grows as it is filled).
    fn reserved(&'static self, len: usize) -> BodyBuffer {
        let mut buffer = match class_for(len) {
            Some(class) => self.idle(class).unwrap_or_else(|| {
                let mut fresh = Vec::new();
                let _ = fresh.try_reserve_exact(1 << class);
                fresh
            }),
            None => Vec::new(),
        };
        buffer.truncate(len);
        BodyBuffer(Pooled { buffer, pool: self })
    }

    fn body(&'static self, len: usize) -> BodyBuffer {
        let mut buffer = self.take(len);
        buffer.resize(len, 0);
        BodyBuffer(Pooled { buffer, pool: self })
    }

    fn copy(&'static self, data: &[u8]) -> Bytes {
        let mut buffer = self.take(data.len());
        buffer.clear();
        buffer.extend_from_slice(data);
        Bytes::from_owner(Pooled { buffer, pool: self })
    }
}

/// A buffer from the pool to receive into (a large frame's body, a
/// connection's reads): `len` initialised bytes (only bytes the buffer
/// never held before are zeroed), handed out as `Bytes` that bring it back
/// to the pool when the last reference goes.
///
/// ```
/// use ferrozmq_proto::payload::BodyBuffer;
/// let mut body = BodyBuffer::new(100_000);
/// body.bytes_mut()[..5].copy_from_slice(b"hello");
/// let bytes = body.into_bytes();
/// assert_eq!(bytes.len(), 100_000);
/// assert_eq!(&bytes[..5], b"hello");
/// ```
#[derive(Debug)]
pub struct BodyBuffer(Pooled);

impl BodyBuffer {
    /// A buffer of exactly `len` bytes from the process's pool.
    pub fn new(len: usize) -> BodyBuffer {
        GLOBAL.body(len)
    }

    /// A buffer for a body of `len` bytes announced before they arrive:
    /// it holds no more initialised bytes than it held in the pool (its
    /// [`bytes`](BodyBuffer::bytes) may be fewer than `len`); make room with
    /// [`resize`](BodyBuffer::resize) as the bytes come. Only address space
    /// is reserved ahead, so a header announcing a huge size commits no
    /// memory; if even that is refused, the buffer grows as it fills.
    ///
    /// ```
    /// use ferrozmq_proto::payload::BodyBuffer;
    /// let mut body = BodyBuffer::reserve(10 << 20);
    /// body.resize(5);
    /// body.bytes_mut().copy_from_slice(b"hello");
    /// assert_eq!(&body.into_bytes()[..], b"hello");
    /// ```
    pub fn reserve(len: usize) -> BodyBuffer {
        GLOBAL.reserved(len)
    }

    /// The bytes, as filled so far.
    pub fn bytes(&self) -> &[u8] {
        &self.0.buffer
    }

    /// The bytes to fill.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.0.buffer
    }

    /// Makes the buffer `len` bytes long, keeping its bytes; bytes beyond
    /// its old length are zeroed. Growth reallocates as a `Vec` does
    /// (amortised: a buffer grown a read at a time is copied O(1) times
    /// per byte).
    pub fn resize(&mut self, len: usize) {
        self.0.buffer.resize(len, 0);
    }

    /// The filled buffer as `Bytes`.
    pub fn into_bytes(self) -> Bytes {
        Bytes::from_owner(self.0)
    }
}

/// A pooled buffer holding one payload; returns itself to its pool on drop.
struct Pooled {
    buffer: Vec<u8>,
    pool: &'static Pool,
}

impl std::fmt::Debug for Pooled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pooled({} bytes)", self.buffer.len())
    }
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buffer));
    }
}

/// An owned copy of `data` in a buffer from the process's pool.
pub(crate) fn copy(data: &[u8]) -> Bytes {
    GLOBAL.copy(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool of the test's own: tests run in parallel.
    fn pool() -> &'static Pool {
        Box::leak(Box::new(Pool::new()))
    }

    #[test]
    fn buffers_come_back_and_are_reused() {
        let pool = pool();
        let len = POOLED_MIN * 8 + 12_345;
        let a = pool.copy(&vec![1u8; len]);
        assert!(a.iter().all(|&b| b == 1));
        let first = a.as_ptr();
        drop(a);
        let b = pool.copy(&vec![2u8; len]);
        assert_eq!(b.as_ptr(), first, "the returned buffer is reused");
        assert_eq!(b.len(), len);
        assert!(b.iter().all(|&x| x == 2));
        // Slices keep the buffer alive past the original handle.
        let tail = b.slice(len - 10..);
        drop(b);
        assert!(tail.iter().all(|&x| x == 2));
    }

    #[test]
    fn body_buffers_are_exact_recycled_and_not_rezeroed() {
        let pool = pool();
        let len = POOLED_MIN * 2 + 7;
        let mut body = pool.body(len);
        assert_eq!(body.bytes_mut().len(), len);
        assert!(
            body.bytes_mut().iter().all(|&b| b == 0),
            "fresh bytes are zeroed"
        );
        body.bytes_mut().fill(9);
        let bytes = body.into_bytes();
        let first = bytes.as_ptr();
        drop(bytes);
        // The same buffer comes back with its old bytes: nothing is zeroed
        // again, and the caller overwrites all of it anyway.
        let mut again = pool.body(len - 3);
        assert_eq!(again.bytes_mut().as_ptr(), first);
        assert_eq!(again.bytes_mut().len(), len - 3);
        assert!(again.bytes_mut().iter().all(|&b| b == 9));
        drop(again);
        // A copy reuses it too.
        assert_eq!(pool.copy(&vec![1u8; len]).as_ptr(), first);
    }

    #[test]
    fn buffers_are_reused_only_within_their_size_class() {
        let pool = pool();
        let big = pool.copy(&vec![1u8; 64 * 1024]);
        let big_at = big.as_ptr();
        drop(big);
        // 4 KiB is another class: a new buffer, not the idle 64 KiB one.
        let small = pool.copy(&vec![2u8; 4096]);
        assert_ne!(small.as_ptr(), big_at);
        let small_at = small.as_ptr();
        drop(small);
        // Anything from 2 KiB + 1 to 4 KiB shares the 4 KiB class.
        let again = pool.copy(&vec![3u8; 2049]);
        assert_eq!(again.as_ptr(), small_at);
        assert_eq!(again.len(), 2049);
        assert_eq!(pool.copy(&vec![4u8; 40_000]).as_ptr(), big_at);
    }

    #[test]
    fn the_pool_is_bounded() {
        let pool = pool();
        let len = POOL_BYTES / 4 + 1;
        let copies: Vec<Bytes> = (0..8).map(|_| pool.copy(&vec![3u8; len])).collect();
        drop(copies);
        let free = pool.free();
        assert!(free.bytes <= POOL_BYTES);
        let held: Vec<&Vec<u8>> = free.classes.iter().flatten().collect();
        assert_eq!(free.bytes, held.iter().map(|b| b.capacity()).sum::<usize>());
        assert!(!held.is_empty());
    }

    #[test]
    fn the_global_pool_copies_exactly() {
        let data: Vec<u8> = (0..POOLED_MIN + 7).map(|i| i as u8).collect();
        assert_eq!(copy(&data)[..], data[..]);
    }
}
