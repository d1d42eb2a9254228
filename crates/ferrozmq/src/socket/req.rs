//! REQ (RFC 28): strict send/receive alternation; adds the empty delimiter,
//! and accepts a reply only from the peer the request went to.
//! ZMQ_REQ_CORRELATE adds a request-id frame; ZMQ_REQ_RELAXED allows a new
//! request before the reply.

use super::fq::FairQueue;
use super::lb::LoadBalancer;
use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::error::Error;
use bytes::Bytes;
use ferrozmq_proto::Message;

#[derive(Debug, Default)]
pub(crate) struct Req {
    lb: LoadBalancer,
    fq: FairQueue,
    /// The peer whose reply we wait for.
    awaiting: Option<PeerId>,
    request_id: u32,
}

impl Pattern for Req {
    fn attach(&mut self, peer: &Peer, _: &Options) -> bool {
        self.lb.attach(peer.id, peer.out.clone());
        self.fq.attach(peer.id, Bytes::new(), peer.inp.clone());
        true
    }

    fn detach(&mut self, id: PeerId) {
        self.lb.detach(id);
    }

    fn send(&mut self, mut msg: Message, opts: &Options) -> Result<(), SendError> {
        if self.awaiting.is_some() && !opts.req_relaxed {
            return Err(SendError::Fail(Error::InvalidState));
        }
        let request_id = self.request_id.wrapping_add(1);
        msg.push_front(Bytes::new());
        if opts.req_correlate {
            // libzmq writes the id in host byte order; it is opaque to the peer.
            msg.push_front(ferrozmq_proto::payload::copy(&request_id.to_ne_bytes()));
        }
        match self.lb.send(msg) {
            Ok(peer) => {
                self.awaiting = Some(peer);
                self.request_id = request_id;
                Ok(())
            }
            Err(mut back) => {
                back.pop_front();
                if opts.req_correlate {
                    back.pop_front();
                }
                Err(SendError::Full(back))
            }
        }
    }

    fn recv(&mut self, opts: &Options) -> Result<Message, RecvError> {
        let Some(expected) = self.awaiting else {
            return Err(RecvError::Fail(Error::InvalidState));
        };
        loop {
            let (from, mut msg) = self.fq.recv_msg().ok_or(RecvError::Empty)?;
            // Replies from other peers, or without the right envelope, are
            // silently discarded (RFC 28).
            if from != expected {
                continue;
            }
            if opts.req_correlate {
                let id = msg.pop_front();
                if id.as_deref() != Some(&self.request_id.to_ne_bytes()[..]) {
                    continue;
                }
            }
            match msg.pop_front() {
                Some(delimiter) if delimiter.is_empty() => {}
                _ => continue,
            }
            self.awaiting = None;
            return Ok(msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::pattern::testing::*;

    #[test]
    fn alternation_envelope_and_origin_check() {
        let mut req = Req::default();
        let o = Options::default();
        let a = peer(1, 0);
        let b = peer(2, 0);
        req.attach(&a, &o);
        req.attach(&b, &o);
        assert!(matches!(
            req.recv(&o),
            Err(RecvError::Fail(Error::InvalidState))
        ));
        req.send(Message::from("q1"), &o).unwrap();
        assert!(matches!(
            req.send(Message::from("q2"), &o),
            Err(SendError::Fail(Error::InvalidState))
        ));
        assert_eq!(sent_to(&a), vec![Message::from(vec!["", "q1"])]);
        deliver(&b, vec!["", "not from the right peer"]);
        deliver(&a, vec!["no delimiter"]);
        assert!(matches!(req.recv(&o), Err(RecvError::Empty)));
        deliver(&a, vec!["", "r1"]);
        assert_eq!(req.recv(&o).unwrap(), Message::from("r1"));
        // Next request goes to the next peer.
        req.send(Message::from("q2"), &o).unwrap();
        assert_eq!(sent_to(&b), vec![Message::from(vec!["", "q2"])]);
    }

    #[test]
    fn relaxed_and_correlated() {
        let mut req = Req::default();
        let o = Options {
            req_relaxed: true,
            req_correlate: true,
            ..Options::default()
        };
        let a = peer(1, 0);
        req.attach(&a, &o);
        req.send(Message::from("q1"), &o).unwrap();
        req.send(Message::from("q2"), &o).unwrap();
        let sent = sent_to(&a);
        assert_eq!(sent.len(), 2);
        // The stale reply to q1 is discarded, the reply to q2 accepted.
        for m in &sent {
            let mut reply = m.clone();
            reply.push_back("reply");
            deliver(&a, reply);
        }
        let got = req.recv(&o).unwrap();
        assert_eq!(got, Message::from(vec!["q2", "reply"]));
    }

    #[test]
    fn blocks_without_peers_and_keeps_message_intact() {
        let mut req = Req::default();
        let o = Options::default();
        match req.send(Message::from("q"), &o) {
            Err(SendError::Full(m)) => assert_eq!(m, Message::from("q")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            req.recv(&o),
            Err(RecvError::Fail(Error::InvalidState))
        ));
    }
}
