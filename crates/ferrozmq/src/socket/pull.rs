//! PULL (RFC 30): fair-queues messages from all peers; cannot send.

use super::fq::FairQueue;
use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::error::Error;
use crate::pipe::PipeItem;
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
        loop {
            match self.fq.recv() {
                Some((_, _, PipeItem::Msg(m))) => return Ok(m),
                Some(_) => continue,
                None => return Err(RecvError::Empty),
            }
        }
    }
}
