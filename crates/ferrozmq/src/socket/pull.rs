//! PULL (RFC 30): fair-queues messages from all peers; cannot send.

use super::fq::FairQueue;
use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::error::Error;
use bytes::Bytes;
use ferrozmq_proto::Message;

#[derive(Debug, Default)]
pub(crate) struct Pull {
    fq: FairQueue,
}

impl Pattern for Pull {
    fn attach(&mut self, peer: &Peer, _: &Options) -> bool {
        self.fq.attach(peer.id, Bytes::new(), peer.inp.clone());
        true
    }

    fn detach(&mut self, _: PeerId) {}

    fn send(&mut self, _: Message, _: &Options) -> Result<(), SendError> {
        Err(SendError::Fail(Error::InvalidState))
    }

    fn recv(&mut self, _: &Options) -> Result<Message, RecvError> {
        self.fq.recv_msg().map(|(_, m)| m).ok_or(RecvError::Empty)
    }
}
