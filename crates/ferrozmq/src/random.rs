//! Unpredictable seeds without a dependency: std's `RandomState` is keyed
//! from the OS's random source once per process.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A random 64-bit value (not for cryptography).
pub(crate) fn u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

/// A random 32-bit value (not for cryptography).
pub(crate) fn u32() -> u32 {
    (u64() >> 32) as u32
}
