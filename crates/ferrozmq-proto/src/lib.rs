//! Sans-I/O implementation of ZMTP, the ZeroMQ wire protocol (RFC 23/37).
//!
//! This crate has no sockets, no threads and no clocks. A [`Connection`]
//! takes bytes read from a peer and returns [`Event`]s and bytes to write;
//! time is passed in as `Instant`s. The `ferrozmq` crate drives it over
//! TCP and IPC.
//!
//! ```text
//!   bytes from peer ──▶ handle_input ──▶ ┌────────────┐ ──▶ poll_event (messages, subscriptions)
//!                                        │ Connection │
//!   bytes to peer  ◀── transmit_slices ◀─└────────────┘ ◀── send / subscribe (from the socket)
//! ```
//!
//! Wire elements each have their own module: [`greeting`], [`frame`],
//! [`command`], [`metadata`]; security handshakes live in [`mechanism`].

#![forbid(unsafe_code)]

pub mod command;
pub mod connection;
pub mod error;
pub mod frame;
pub mod greeting;
pub mod input;
pub mod mechanism;
pub mod message;
pub mod metadata;
pub mod payload;
pub mod socket_type;
pub mod subscription;
pub mod transmit;

#[cfg(any(fuzzing, test))]
pub mod fuzzing;

#[cfg(test)]
mod tests;

/// A seeded xorshift generator for the model tests: `next(n)` is in `0..n`.
#[cfg(test)]
pub(crate) fn test_rng(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    }
}

pub use connection::{Connection, ConnectionConfig, Event, NotReady, PeerInfo};
pub use error::{ConnectionError, IncompatiblePeer, ProtocolError};
pub use input::InputBuf;
pub use message::Message;
pub use metadata::Metadata;
pub use socket_type::SocketType;
pub use subscription::SubscriptionTrie;
