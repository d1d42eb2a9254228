//! A hint to the core to start loading a cache line that will be read
//! soon, without waiting for it.
//!
//! A plain load ahead of use (what the fair queue did before) holds the
//! core up once its reorder window fills while the line comes from memory;
//! a prefetch instruction does not. It needs `unsafe` in `core::arch`
//! (which this crate forbids), so it comes from `safe_arch`: a prefetch
//! never faults and has no effect but on timing, whatever the address.

/// Starts loading the cache line holding `value` into every cache level
/// of this core. Does nothing on targets without the hint wired up here.
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse"
    ))]
    safe_arch::prefetch_t0(value);
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse"
    )))]
    let _ = value;
}
