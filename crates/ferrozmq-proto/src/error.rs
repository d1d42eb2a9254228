//! Errors of the protocol layer, typed by who is at fault.
//!
//! [`ProtocolError`]: the peer broke ZMTP. [`IncompatiblePeer`]: the peer
//! speaks ZMTP but cannot talk to this socket. [`ConnectionError`] is what a
//! [`Connection`](crate::Connection) reports, and says what goes on the wire
//! and whether reconnecting makes sense.

use crate::socket_type::SocketType;
use thiserror::Error;

/// The peer sent bytes that violate ZMTP.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The first bytes are not a ZMTP signature.
    #[error("peer does not speak ZMTP (bad signature)")]
    NotZmtp,
    /// The peer speaks a ZMTP version older than 3.0.
    #[error("peer speaks ZMTP major version {major}, need 3 or later")]
    UnsupportedVersion {
        /// The peer's announced major version.
        major: u8,
    },
    /// Input ended inside a structure that must be complete.
    #[error("truncated input")]
    Truncated,
    /// A frame's flags byte has the LONG bit but the size does not fit memory.
    #[error("frame size {0} does not fit in memory")]
    FrameTooLarge(u64),
    /// A command frame larger than [`MAX_COMMAND_LEN`](crate::frame::MAX_COMMAND_LEN).
    #[error("command frame of {0} bytes is too large")]
    CommandTooLarge(u64),
    /// A message frame arrived before the handshake was complete.
    #[error("message frame during the handshake")]
    MessageDuringHandshake,
    /// A command arrived in the middle of a multipart message.
    #[error("command frame inside a multipart message")]
    CommandInsideMessage,
    /// A command that makes no sense at this point.
    #[error("unexpected command {name:?}")]
    UnexpectedCommand {
        /// The command's name.
        name: String,
    },
    /// A command whose body could not be parsed.
    #[error("malformed {name} command")]
    MalformedCommand {
        /// The command's name.
        name: &'static str,
    },
    /// A command frame with an empty or invalid name.
    #[error("command frame without a valid name")]
    MalformedCommandName,
    /// Metadata whose properties run past the end of the command.
    #[error("malformed metadata")]
    MalformedMetadata,
}

/// The peer speaks ZMTP but cannot be connected to this socket.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IncompatiblePeer {
    /// The greeting named another security mechanism.
    #[error("mechanism mismatch: we use {ours}, peer uses {theirs}")]
    Mechanism {
        /// Our mechanism.
        ours: String,
        /// The peer's mechanism.
        theirs: String,
    },
    /// The peer's socket type is not a valid partner for ours (RFC 37).
    #[error("socket type mismatch: {ours} cannot talk to {theirs}")]
    SocketType {
        /// Our socket type.
        ours: SocketType,
        /// The peer's `Socket-Type` value.
        theirs: String,
    },
}

/// Why a [`Connection`](crate::Connection) ended.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The peer broke the protocol.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The peer cannot talk to us.
    #[error("incompatible peer: {0}")]
    Incompatible(#[from] IncompatiblePeer),
    /// The peer sent an ERROR command.
    #[error("peer sent ERROR: {reason}")]
    PeerError {
        /// The reason text the peer gave.
        reason: String,
    },
    /// A frame larger than the configured maximum message size arrived.
    #[error("frame of {size} bytes exceeds the maximum message size {max}")]
    MessageTooLarge {
        /// The frame's announced size.
        size: u64,
        /// The configured maximum.
        max: u64,
    },
    /// The handshake did not complete within the handshake interval.
    #[error("handshake timed out")]
    HandshakeTimeout,
    /// Nothing arrived from the peer within the heartbeat timeout.
    #[error("heartbeat timed out")]
    HeartbeatTimeout,
}

impl ConnectionError {
    /// Whether the connecting side should try again after this error.
    ///
    /// As libzmq 4.3 (`session_base::engine_error`): timeouts are transient,
    /// protocol errors end the endpoint for good (RFC 37: do not reconnect
    /// with the same parameters after an ERROR).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ConnectionError::HandshakeTimeout | ConnectionError::HeartbeatTimeout
        )
    }
}
