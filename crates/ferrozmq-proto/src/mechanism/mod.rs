//! Security mechanisms: the handshake between the greeting and traffic.
//!
//! A [`Mechanism`] is a small state machine fed with the peer's handshake
//! commands. It writes its own commands and, once the peer is accepted,
//! returns the peer's metadata. NULL is the only one today; PLAIN (RFC 24)
//! and CURVE (RFC 25/26) plug in behind the same trait. CURVE will also need
//! to transform traffic frames (MESSAGE boxes); that hook is added to this
//! trait when CURVE is built, so the [`Connection`](crate::Connection) never
//! branches on which mechanism it runs.

mod null;

pub use null::Null;

use crate::command::RawCommand;
use crate::error::ConnectionError;
use crate::greeting::MechanismName;
use crate::metadata::Metadata;
use bytes::BytesMut;
use std::fmt::Debug;

/// One side of a security handshake.
pub trait Mechanism: Debug + Send {
    /// The name announced in the greeting.
    fn name(&self) -> MechanismName;

    /// Whether we act as the server of this mechanism (the greeting's
    /// as-server bit).
    fn as_server(&self) -> bool;

    /// Called once when both greetings are exchanged: write the first
    /// handshake commands, if this side speaks first. `local` is the metadata
    /// this side must send (Socket-Type, Identity).
    fn start(&mut self, local: &Metadata, out: &mut BytesMut);

    /// Handles one handshake command from the peer, writing any answer to
    /// `out`. Returns the peer's metadata once the handshake is complete.
    fn handle_command(
        &mut self,
        command: RawCommand,
        local: &Metadata,
        out: &mut BytesMut,
    ) -> Result<Option<Metadata>, ConnectionError>;
}
