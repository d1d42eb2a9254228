//! Owned copies of payloads, made the cheap way for their size.
//!
//! `send(&[u8])` must copy: the caller keeps its slice. A plain heap block
//! per copy costs a `malloc` on the sending thread and a `free` on the
//! thread that drops it (the I/O thread after writing, the receiver after
//! reading), and the two contend on the allocator. For large payloads it is
//! worse: glibc hands back big blocks to the kernel, so each new one is
//! fresh pages — a page fault and the kernel zeroing every 4 KiB, which cost
//! more than the copy itself. So:
//!
//! - small payloads (≤ 256 B) are cut from a per-thread chunk ([`small`]);
//! - payloads of [`POOLED_MIN`] (2 KiB) and more go into recycled buffers
//!   from a bounded pool ([`pool`]);
//! - the sizes in between get their own block, as usual.

mod pool;
mod small;

pub use pool::{BodyBuffer, POOLED_MIN, POOL_BYTES};
pub use small::{CHUNK, SMALL_MAX};

use bytes::Bytes;

/// An owned copy of `data`.
///
/// ```
/// use ferrozmq_proto::payload;
/// let b = payload::copy(b"hello");
/// assert_eq!(&b[..], b"hello");
/// ```
pub fn copy(data: &[u8]) -> Bytes {
    match data.len() {
        0 => Bytes::new(),
        n if n <= SMALL_MAX => small::copy(data),
        n if n >= POOLED_MIN => pool::copy(data),
        _ => Bytes::copy_from_slice(data),
    }
}
