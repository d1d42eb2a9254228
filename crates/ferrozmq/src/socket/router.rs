//! ROUTER (RFC 28): prefixes each received message with the sender's routing
//! id, and routes each sent message by its first frame.
//!
//! Routing ids: the peer's `Identity` if it sent a non-empty one, else a
//! generated 5-byte id (`0x00` + a u32 counter from a random start, as
//! libzmq). A duplicate identity is refused unless ROUTER_HANDOVER is set.
//! Unroutable messages are dropped, or fail with `HostUnreachable` under
//! ROUTER_MANDATORY.

use super::fq::FairQueue;
use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::error::Error;
use crate::pipe::Pipe;
use bytes::Bytes;
use ferrozmq_proto::Message;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug)]
pub(crate) struct Router {
    fq: FairQueue,
    by_id: HashMap<Bytes, (PeerId, Arc<Pipe>)>,
    id_of: HashMap<PeerId, Bytes>,
    next_generated: u32,
}

impl Router {
    pub(crate) fn new() -> Router {
        Router {
            fq: FairQueue::default(),
            by_id: HashMap::new(),
            id_of: HashMap::new(),
            next_generated: crate::random::u32(),
        }
    }

    fn generate_id(&mut self) -> Bytes {
        loop {
            self.next_generated = self.next_generated.wrapping_add(1);
            let mut id = vec![0u8];
            id.extend_from_slice(&self.next_generated.to_be_bytes());
            let id = Bytes::from(id);
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }
}

impl Pattern for Router {
    fn attach(&mut self, peer: &Peer, opts: &Options) -> bool {
        let id = if peer.routing_id.is_empty() {
            self.generate_id()
        } else {
            if let Some((old, _)) = self.by_id.get(&peer.routing_id) {
                if !opts.router_handover {
                    return false;
                }
                // The old peer keeps its messages flowing in but can no
                // longer be addressed (libzmq relabels and closes it).
                let old = *old;
                self.id_of.remove(&old);
            }
            peer.routing_id.clone()
        };
        self.by_id.insert(id.clone(), (peer.id, peer.out.clone()));
        self.id_of.insert(peer.id, id.clone());
        self.fq.attach(peer.id, id, peer.inp.clone());
        true
    }

    fn detach(&mut self, id: PeerId) {
        if let Some(rid) = self.id_of.remove(&id) {
            self.by_id.remove(&rid);
        }
    }

    fn send(&mut self, mut msg: Message, opts: &Options) -> Result<(), SendError> {
        let more = msg.len() > 1;
        let Some(rid) = msg.pop_front() else {
            return Ok(());
        };
        // A lone routing id frame (no MORE) is ignored, as libzmq does.
        if !more {
            return Ok(());
        }
        match self.by_id.get(&rid) {
            Some((_, pipe)) => match pipe.try_push(msg) {
                Ok(_) => Ok(()),
                Err(mut back) if opts.router_mandatory => {
                    back.push_front(rid);
                    Err(SendError::Full(back))
                }
                Err(_) => Ok(()),
            },
            None if opts.router_mandatory => Err(SendError::Fail(Error::HostUnreachable)),
            None => Ok(()),
        }
    }

    fn recv(&mut self, _: &Options) -> Result<Message, RecvError> {
        let (rid, mut m) = self.fq.recv_labelled().ok_or(RecvError::Empty)?;
        m.push_front(rid);
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::pattern::testing::*;

    #[test]
    fn identities_routing_and_mandatory() {
        let mut r = Router::new();
        let mut o = Options::default();
        let mut a = peer(1, 1);
        a.routing_id = Bytes::from_static(b"A");
        let b = peer(2, 1);
        assert!(r.attach(&a, &o));
        assert!(r.attach(&b, &o));
        let mut dup = peer(3, 1);
        dup.routing_id = Bytes::from_static(b"A");
        assert!(!r.attach(&dup, &o), "duplicate identity refused");

        deliver(&b, "from b");
        let m = r.recv(&o).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].len(), 5);
        assert_eq!(m[0][0], 0, "generated ids start with a zero byte");
        let b_id = m[0].clone();

        r.send(Message::from(vec![b"A".to_vec(), b"hi".to_vec()]), &o)
            .unwrap();
        r.send(Message::from(vec![b_id.to_vec(), b"yo".to_vec()]), &o)
            .unwrap();
        r.send(Message::from(vec!["nobody", "x"]), &o).unwrap();
        assert_eq!(sent_to(&a), vec![Message::from("hi")]);
        assert_eq!(sent_to(&b), vec![Message::from("yo")]);

        o.router_mandatory = true;
        assert!(matches!(
            r.send(Message::from(vec!["nobody", "x"]), &o),
            Err(SendError::Fail(Error::HostUnreachable))
        ));
        r.send(Message::from(vec!["A", "1"]), &o).unwrap();
        assert!(matches!(
            r.send(Message::from(vec!["A", "2"]), &o),
            Err(SendError::Full(_))
        ));
        r.detach(1);
        assert!(matches!(
            r.send(Message::from(vec!["A", "x"]), &o),
            Err(SendError::Fail(Error::HostUnreachable))
        ));
    }

    #[test]
    fn handover_takes_the_identity() {
        let mut r = Router::new();
        let o = Options {
            router_handover: true,
            ..Options::default()
        };
        let mut a = peer(1, 0);
        a.routing_id = Bytes::from_static(b"A");
        let mut a2 = peer(2, 0);
        a2.routing_id = Bytes::from_static(b"A");
        assert!(r.attach(&a, &o));
        assert!(r.attach(&a2, &o));
        r.send(Message::from(vec!["A", "x"]), &o).unwrap();
        assert!(sent_to(&a).is_empty());
        assert_eq!(sent_to(&a2).len(), 1);
    }
}
