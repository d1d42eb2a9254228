//! DEALER (RFC 28): round-robin out, fair-queue in, no envelope changes.

use super::fq::FairQueue;
use super::lb::LoadBalancer;
use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::pipe::Pipe;
use bytes::Bytes;
use ferrozmq_proto::Message;
use std::sync::Arc;

#[derive(Debug, Default)]
pub(crate) struct Dealer {
    lb: LoadBalancer,
    fq: FairQueue,
}

impl Pattern for Dealer {
    fn attach(&mut self, peer: &Peer, _: &Options) -> bool {
        self.lb.attach(peer.id, peer.out.clone());
        self.fq.attach(peer.id, Bytes::new(), peer.inp.clone());
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
        self.fq.recv_msg().map(|(_, m)| m).ok_or(RecvError::Empty)
    }
}
