//! PUSH (RFC 30): round-robin to peers with room; blocks when none has; cannot receive.

use super::lb::LoadBalancer;
use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::error::Error;
use crate::pipe::Pipe;
use ferrozmq_proto::Message;
use std::sync::Arc;

#[derive(Debug, Default)]
pub(crate) struct Push {
    lb: LoadBalancer,
}

impl Pattern for Push {
    fn attach(&mut self, peer: &Peer, _: &Options) -> bool {
        self.lb.attach(peer.id, peer.out.clone());
        true
    }

    fn detach(&mut self, id: PeerId) {
        self.lb.detach(id);
    }

    fn send(&mut self, msg: Message, _: &Options) -> Result<(), SendError> {
        self.lb.send(msg).map(drop).map_err(SendError::Full)
    }

    fn take_pacing(&mut self) -> Option<Arc<Pipe>> {
        self.lb.take_pacing()
    }

    fn recv(&mut self, _: &Options) -> Result<Message, RecvError> {
        Err(RecvError::Fail(Error::InvalidState))
    }
}
