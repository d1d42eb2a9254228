//! REP (RFC 28): fair-queues requests, strips the envelope (everything up to
//! the first empty frame) and sends the reply back along it.

use super::fq::FairQueue;
use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::error::Error;
use crate::pipe::Pipe;
use bytes::Bytes;
use ferrozmq_proto::Message;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Default)]
pub(crate) struct Rep {
    fq: FairQueue,
    outs: HashMap<PeerId, Arc<Pipe>>,
    /// Where the reply to the request being processed goes, and its envelope.
    replying: Option<(PeerId, Vec<Bytes>)>,
}

impl Pattern for Rep {
    fn attach(&mut self, peer: &Peer, _: &Options) -> bool {
        self.outs.insert(peer.id, peer.out.clone());
        self.fq.attach(peer.id, Bytes::new(), peer.inp.clone());
        true
    }

    fn detach(&mut self, id: PeerId) {
        self.outs.remove(&id);
    }

    fn send(&mut self, msg: Message, _: &Options) -> Result<(), SendError> {
        let Some((peer, envelope)) = self.replying.take() else {
            return Err(SendError::Fail(Error::InvalidState));
        };
        let mut frames = envelope;
        frames.extend(msg.into_frames());
        // A reply to a vanished peer, or to one whose queue is full, is
        // dropped (RFC 28, libzmq).
        if let Some(pipe) = self.outs.get(&peer) {
            let _ = pipe.try_push(Message::from_frames(frames));
        }
        Ok(())
    }

    fn recv(&mut self, _: &Options) -> Result<Message, RecvError> {
        if self.replying.is_some() {
            return Err(RecvError::Fail(Error::InvalidState));
        }
        loop {
            let (from, msg) = self.fq.recv_msg().ok_or(RecvError::Empty)?;
            let mut frames = msg.into_frames();
            // Requests without a delimiter are malformed and dropped.
            let Some(split) = frames.iter().position(|f| f.is_empty()) else {
                continue;
            };
            let body = frames.split_off(split + 1);
            self.replying = Some((from, frames));
            return Ok(Message::from_frames(body));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::pattern::testing::*;

    #[test]
    fn envelope_round_trip_and_state() {
        let mut rep = Rep::default();
        let o = Options::default();
        let a = peer(1, 0);
        rep.attach(&a, &o);
        assert!(matches!(
            rep.send(Message::from("x"), &o),
            Err(SendError::Fail(_))
        ));
        deliver(&a, "no delimiter: dropped");
        deliver(&a, vec!["id1", "id2", "", "req"]);
        assert_eq!(rep.recv(&o).unwrap(), Message::from("req"));
        assert!(matches!(
            rep.recv(&o),
            Err(RecvError::Fail(Error::InvalidState))
        ));
        rep.send(Message::from("rep"), &o).unwrap();
        assert_eq!(
            sent_to(&a),
            vec![Message::from(vec!["id1", "id2", "", "rep"])]
        );
        assert!(matches!(rep.recv(&o), Err(RecvError::Empty)));
    }
}
