//! The NULL mechanism (RFC 37 §NULL): both sides send READY with their
//! metadata at once (libzmq does not wait for the peer's), and the handshake
//! is done when the peer's READY arrives.

use super::Mechanism;
use crate::command::{Command, RawCommand};
use crate::error::{ConnectionError, ProtocolError};
use crate::greeting::MechanismName;
use crate::metadata::Metadata;
use bytes::BytesMut;

/// The NULL mechanism: no authentication, no encryption.
#[derive(Debug, Default, Clone)]
pub struct Null;

impl Null {
    /// A NULL mechanism.
    pub fn new() -> Null {
        Null
    }
}

impl Mechanism for Null {
    fn name(&self) -> MechanismName {
        MechanismName::NULL
    }

    fn as_server(&self) -> bool {
        false
    }

    fn start(&mut self, local: &Metadata, out: &mut BytesMut) {
        Command::Ready(local.clone()).encode(out);
    }

    fn handle_command(
        &mut self,
        command: RawCommand,
        _local: &Metadata,
        _out: &mut BytesMut,
    ) -> Result<Option<Metadata>, ConnectionError> {
        match &command.name[..] {
            b"READY" | b"ERROR" => match Command::decode(command)? {
                Command::Ready(md) => Ok(Some(md)),
                Command::Error(reason) => Err(ConnectionError::PeerError {
                    reason: String::from_utf8_lossy(&reason).into_owned(),
                }),
                _ => unreachable!("name checked above"),
            },
            _ => Err(ProtocolError::UnexpectedCommand {
                name: command.name_lossy(),
            }
            .into()),
        }
    }
}
