//! SUB and XSUB (RFC 29): subscriptions go upstream to every publisher and
//! incoming messages are filtered here too, so a publisher that does not
//! filter is still honoured. SUB subscribes through options; XSUB through
//! `0x01`/`0x00`-prefixed messages, and sends any other message upstream.
//!
//! As libzmq: every subscribe is forwarded, a cancel only when the last local
//! subscription to that prefix goes; on (re)connection the set of prefixes is
//! sent again.

use super::fq::FairQueue;
use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::error::Error;
use crate::pipe::{Pipe, PipeItem};
use bytes::Bytes;
use ferrozmq_proto::{Message, SubscriptionTrie};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug)]
pub(crate) struct Subscriber {
    xsub: bool,
    fq: FairQueue,
    outs: HashMap<PeerId, Arc<Pipe>>,
    /// Counted local subscriptions.
    trie: SubscriptionTrie<()>,
}

impl Subscriber {
    pub(crate) fn new(xsub: bool) -> Subscriber {
        Subscriber {
            xsub,
            fq: FairQueue::default(),
            outs: HashMap::new(),
            trie: SubscriptionTrie::new(),
        }
    }

    fn change(&mut self, topic: &[u8], on: bool) {
        let topic = Bytes::copy_from_slice(topic);
        let item = if on {
            self.trie.add(&topic, ());
            PipeItem::Subscribe(topic)
        } else if self.trie.remove(&topic, ()) {
            PipeItem::Cancel(topic)
        } else {
            return;
        };
        for pipe in self.outs.values() {
            pipe.push_control(item.clone());
        }
    }
}

impl Pattern for Subscriber {
    fn attach(&mut self, peer: &Peer, _: &Options) -> bool {
        for topic in self.subscriptions() {
            peer.out.push_control(PipeItem::Subscribe(topic));
        }
        self.outs.insert(peer.id, peer.out.clone());
        self.fq.attach(peer.id, Bytes::new(), peer.inp.clone());
        true
    }

    fn detach(&mut self, id: PeerId) {
        self.outs.remove(&id);
    }

    fn send(&mut self, msg: Message, _: &Options) -> Result<(), SendError> {
        if !self.xsub {
            return Err(SendError::Fail(Error::InvalidState));
        }
        if let Some(first) = msg.first().filter(|f| !f.is_empty()) {
            match first[0] {
                1 | 0 => {
                    let first = first.clone();
                    self.change(&first[1..], first[0] == 1);
                    return Ok(());
                }
                _ => {}
            }
        }
        for pipe in self.outs.values() {
            let _ = pipe.try_push(msg.clone());
        }
        Ok(())
    }

    fn recv(&mut self, _: &Options) -> Result<Message, RecvError> {
        loop {
            let (_, m) = self.fq.recv_msg().ok_or(RecvError::Empty)?;
            let topic = m.first().map_or(&[][..], |f| &f[..]);
            if self.trie.matches_any(topic) {
                return Ok(m);
            }
        }
    }

    fn subscribe(&mut self, topic: &[u8], on: bool) -> Result<(), Error> {
        if self.xsub {
            return Err(Error::InvalidState);
        }
        self.change(topic, on);
        Ok(())
    }

    fn subscriptions(&self) -> Vec<Bytes> {
        self.trie.prefixes().into_iter().map(Bytes::from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::Pop;
    use crate::socket::pattern::testing::*;

    fn controls(peer: &Peer) -> Vec<String> {
        let mut out = Vec::new();
        while let Pop::Item(item) = peer.out.pop() {
            out.push(match item {
                PipeItem::Subscribe(t) => format!("+{}", String::from_utf8_lossy(&t)),
                PipeItem::Cancel(t) => format!("-{}", String::from_utf8_lossy(&t)),
                item => format!("m{:?}", item.into_message().expect("a message")),
            });
        }
        out
    }

    #[test]
    fn forwards_subscriptions_and_filters_locally() {
        let mut s = Subscriber::new(false);
        let o = Options::default();
        let a = peer(1, 0);
        s.subscribe(b"A", true).unwrap();
        s.attach(&a, &o);
        s.subscribe(b"A", true).unwrap();
        s.subscribe(b"A", false).unwrap();
        s.subscribe(b"A", false).unwrap();
        s.subscribe(b"never", false).unwrap();
        assert_eq!(controls(&a), ["+A", "+A", "-A"]);
        s.subscribe(b"x", true).unwrap();
        deliver(&a, "y: filtered out");
        deliver(&a, "x: wanted");
        assert_eq!(s.recv(&o).unwrap(), Message::from("x: wanted"));
        assert!(matches!(
            s.send(Message::from("x"), &o),
            Err(SendError::Fail(_))
        ));
    }

    #[test]
    fn xsub_subscribes_by_message_and_sends_others_upstream() {
        let mut s = Subscriber::new(true);
        let o = Options::default();
        let a = peer(1, 0);
        s.attach(&a, &o);
        s.send(Message::from(&b"\x01t"[..]), &o).unwrap();
        s.send(Message::from("hello upstream"), &o).unwrap();
        s.send(Message::from(&b"\x00t"[..]), &o).unwrap();
        assert_eq!(controls(&a), ["+t", "m[b\"hello upstream\"]", "-t"]);
        assert!(s.subscribe(b"t", true).is_err());
    }
}
