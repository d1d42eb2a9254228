//! The one error type of the public API.

use ferrozmq_proto::ConnectionError;
use thiserror::Error;

/// Everything a ferrozmq call can fail with.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The operation would block (non-blocking call, EAGAIN).
    #[error("operation would block")]
    WouldBlock,
    /// The timeout elapsed before the operation could complete.
    #[error("operation timed out")]
    Timeout,
    /// The context was shut down (ETERM).
    #[error("context terminated")]
    ContextTerminated,
    /// The socket was closed.
    #[error("socket closed")]
    SocketClosed,
    /// The endpoint string is malformed.
    #[error("invalid endpoint: {0}")]
    InvalidEndpoint(String),
    /// The address is already bound (EADDRINUSE).
    #[error("address in use")]
    AddressInUse,
    /// The address cannot be bound or found (EADDRNOTAVAIL, unknown inproc name).
    #[error("address not available")]
    AddressNotAvailable,
    /// The transport is unknown or not supported on this platform.
    #[error("unsupported transport")]
    UnsupportedTransport,
    /// The operation is not valid in the socket's current state (EFSM),
    /// or for its type (ENOTSUP).
    #[error("operation not valid in the current socket state")]
    InvalidState,
    /// ROUTER_MANDATORY: no peer with that routing id (EHOSTUNREACH).
    #[error("host unreachable")]
    HostUnreachable,
    /// A message exceeds a size limit.
    #[error("message too large")]
    MessageTooLarge,
    /// A peer broke the protocol or could not be talked to.
    #[error("protocol error: {0}")]
    Protocol(#[from] ConnectionError),
    /// Security handshake failure (PLAIN/CURVE/ZAP; reserved).
    #[error("security error: {0}")]
    Security(String),
    /// An invalid option value.
    #[error("invalid option value: {0}")]
    InvalidOption(&'static str),
    /// An operating-system I/O error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// `Result` with [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        use std::io::ErrorKind;
        let kind = match &e {
            Error::Io(inner) => return std::io::Error::new(inner.kind(), e),
            Error::WouldBlock => ErrorKind::WouldBlock,
            Error::Timeout => ErrorKind::TimedOut,
            Error::AddressInUse => ErrorKind::AddrInUse,
            Error::AddressNotAvailable => ErrorKind::AddrNotAvailable,
            Error::InvalidEndpoint(_) | Error::InvalidOption(_) => ErrorKind::InvalidInput,
            Error::UnsupportedTransport => ErrorKind::Unsupported,
            Error::ContextTerminated | Error::SocketClosed => ErrorKind::NotConnected,
            _ => ErrorKind::Other,
        };
        std::io::Error::new(kind, e)
    }
}
