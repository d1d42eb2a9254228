//! ferrozmq: a pure-Rust ZeroMQ.
//!
//! It speaks ZMTP 3.1 (and 3.0) to any libzmq 4.x peer over tcp and ipc,
//! passes messages between sockets of one [`Context`] over inproc without
//! encoding, and needs no C library.
//!
//! ```text
//!  user thread / task                      I/O thread (mio event loop)
//!  Socket::send ─▶ pattern routing ─▶ pipe (HWM) ─▶ driver: encode batch ─▶ writev
//!  Socket::recv ◀─ pattern routing ◀─ pipe (HWM) ◀─ driver: decode batch ◀─ read ≤256 KiB
//! ```
//!
//! ```
//! use ferrozmq::{Context, SocketType};
//! let ctx = Context::new();
//! let pull = ctx.socket(SocketType::Pull)?;
//! pull.bind("tcp://127.0.0.1:*")?;
//! let push = ctx.socket(SocketType::Push)?;
//! push.connect(&pull.last_endpoint()?)?;
//! push.send(vec!["two", "frames"])?;
//! let msg = pull.recv()?;
//! assert_eq!(msg.frames(), &["two", "frames"]);
//! # Ok::<(), ferrozmq::Error>(())
//! ```
//!
//! The wire protocol itself lives in the sans-I/O crate `ferrozmq-proto`.

#![forbid(unsafe_code)]

mod context;
mod engine;
mod error;
mod pipe;
mod prefetch;
mod random;
mod signal;
mod socket;
mod transport;

pub use bytes::Bytes;
pub use context::Context;
pub use error::{Error, Result};
pub use ferrozmq_proto::{ConnectionError, IncompatiblePeer, Message, ProtocolError, SocketType};
pub use socket::{RecvFuture, SendFuture, Socket};
