//! Transports: endpoint parsing, and the platform streams the engine drives.
//!
//! Contract: everything platform-specific lives here, behind [`Stream`] and
//! [`Listener`]. The engine sees byte streams that are non-blocking, that
//! can be registered with mio, and that report `WouldBlock` when empty or
//! full. ipc is Unix-only; elsewhere it answers `Error::UnsupportedTransport`.

pub(crate) mod endpoint;
pub(crate) mod stream;
pub(crate) mod tcp;

#[cfg(unix)]
pub(crate) mod ipc;

pub(crate) use endpoint::Endpoint;
pub(crate) use stream::{Listener, Stream};

use crate::error::Error;
use std::io;

/// Maps an OS bind/connect error to the API's error.
pub(crate) fn map_io_error(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::AddrInUse => Error::AddressInUse,
        io::ErrorKind::AddrNotAvailable => Error::AddressNotAvailable,
        _ => Error::Io(e),
    }
}
