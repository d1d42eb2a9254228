//! PAIR (RFC 31): exactly one peer; a second one is refused.

use super::fq::FairQueue;
use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::pipe::Pipe;
use bytes::Bytes;
use ferrozmq_proto::Message;
use std::sync::Arc;

#[derive(Debug, Default)]
pub(crate) struct Pair {
    out: Option<(PeerId, Arc<Pipe>)>,
    // A queue rather than one pipe: messages from a peer that just left are
    // still delivered while a new one may already be attached.
    fq: FairQueue,
    /// Set by a send whose sender should pace (see `Pattern::take_pacing`).
    pace: Option<Arc<Pipe>>,
}

impl Pattern for Pair {
    fn attach(&mut self, peer: &Peer, _: &Options) -> bool {
        if self.out.is_some() {
            return false;
        }
        self.out = Some((peer.id, peer.out.clone()));
        self.fq.attach(peer.id, Bytes::new(), peer.inp.clone());
        true
    }

    fn detach(&mut self, id: PeerId) {
        if self.out.as_ref().is_some_and(|(p, _)| *p == id) {
            self.out = None;
        }
    }

    fn send(&mut self, msg: Message, _: &Options) -> Result<(), SendError> {
        match &self.out {
            Some((_, pipe)) => {
                let paced = pipe.try_push(msg).map_err(SendError::Full)?;
                if pipe.wants_pacing(paced) {
                    self.pace = Some(pipe.clone());
                }
                Ok(())
            }
            None => Err(SendError::Full(msg)),
        }
    }

    fn take_pacing(&mut self) -> Option<Arc<Pipe>> {
        self.pace.take()
    }

    fn recv(&mut self, _: &Options) -> Result<Message, RecvError> {
        self.fq.recv_msg().map(|(_, m)| m).ok_or(RecvError::Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::pattern::testing::*;

    #[test]
    fn second_peer_refused_and_blocks_without_peer() {
        let mut p = Pair::default();
        let o = Options::default();
        assert!(matches!(
            p.send(Message::from("x"), &o),
            Err(SendError::Full(_))
        ));
        let a = peer(1, 0);
        assert!(p.attach(&a, &o));
        assert!(!p.attach(&peer(2, 0), &o));
        p.send(Message::from("x"), &o).unwrap();
        assert_eq!(sent_to(&a), vec![Message::from("x")]);
        deliver(&a, "back");
        p.detach(1);
        assert_eq!(p.recv(&o).unwrap(), Message::from("back"));
        assert!(p.attach(&peer(3, 0), &o));
    }
}
