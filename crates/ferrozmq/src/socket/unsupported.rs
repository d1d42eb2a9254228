//! Socket types not built yet (STREAM): every operation fails cleanly.

use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::error::Error;
use ferrozmq_proto::Message;

#[derive(Debug)]
pub(crate) struct Unsupported;

impl Pattern for Unsupported {
    fn attach(&mut self, _: &Peer, _: &Options) -> bool {
        false
    }

    fn detach(&mut self, _: PeerId) {}

    fn send(&mut self, _: Message, _: &Options) -> Result<(), SendError> {
        Err(SendError::Fail(Error::UnsupportedTransport))
    }

    fn recv(&mut self, _: &Options) -> Result<Message, RecvError> {
        Err(RecvError::Fail(Error::UnsupportedTransport))
    }
}
