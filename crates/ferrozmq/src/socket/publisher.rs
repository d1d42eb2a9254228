//! PUB and XPUB (RFC 29): fan-out to every subscriber whose subscriptions
//! prefix-match the first frame, filtered here on the publisher side with a
//! trie. A subscriber whose queue is full misses the message; sending never
//! blocks. XPUB also hands subscriptions to the application as messages of
//! `0x01`/`0x00` followed by the topic (new topics only, unless
//! XPUB_VERBOSE) and lets other upstream messages through.

use super::fq::FairQueue;
use super::options::Options;
use super::pattern::{Pattern, Peer, PeerId, RecvError, SendError};
use crate::error::Error;
use crate::pipe::{Pipe, PipeItem};
use bytes::{BufMut, Bytes, BytesMut};
use ferrozmq_proto::{Message, SubscriptionTrie};
use std::collections::VecDeque;
use std::sync::Arc;

#[derive(Debug)]
pub(crate) struct Publisher {
    xpub: bool,
    /// Sorted by peer id (ids only grow), so that sending walks it in step
    /// with the sorted matches instead of hashing an id per subscriber.
    outs: Vec<(PeerId, Arc<Pipe>)>,
    /// Subscriptions and (for XPUB) other messages coming upstream.
    ins: FairQueue,
    /// Per subscriber a set, not a count, as libzmq's mtrie: a repeated
    /// SUBSCRIBE is idempotent and one CANCEL removes it.
    trie: SubscriptionTrie<PeerId>,
    upstream: VecDeque<Message>,
    matched: Vec<PeerId>,
}

fn notice(on: bool, topic: &[u8]) -> Message {
    let mut b = BytesMut::with_capacity(topic.len() + 1);
    b.put_u8(on as u8);
    b.put_slice(topic);
    Message::from(b.freeze())
}

impl Publisher {
    pub(crate) fn new(xpub: bool) -> Publisher {
        Publisher {
            xpub,
            outs: Vec::new(),
            ins: FairQueue::default(),
            trie: SubscriptionTrie::new(),
            upstream: VecDeque::new(),
            matched: Vec::new(),
        }
    }

    fn process_upstream(&mut self, opts: &Options) {
        while let Some((id, item)) = self.ins.recv() {
            match item {
                PipeItem::Subscribe(topic) => {
                    if self.trie.contains(&topic, id) {
                        if self.xpub && opts.xpub_verbose {
                            self.upstream.push_back(notice(true, &topic));
                        }
                        continue;
                    }
                    let first = self.trie.add(&topic, id);
                    if self.xpub && (first || opts.xpub_verbose) {
                        self.upstream.push_back(notice(true, &topic));
                    }
                }
                PipeItem::Cancel(topic) => {
                    if self.trie.remove(&topic, id) && self.xpub {
                        self.upstream.push_back(notice(false, &topic));
                    }
                }
                item => {
                    if self.xpub {
                        self.upstream.extend(item.into_message());
                    }
                }
            }
        }
    }
}

impl Pattern for Publisher {
    fn attach(&mut self, peer: &Peer, _: &Options) -> bool {
        let at = self.outs.partition_point(|(id, _)| *id < peer.id);
        self.outs.insert(at, (peer.id, peer.out.clone()));
        self.ins.attach(peer.id, Bytes::new(), peer.inp.clone());
        true
    }

    fn detach(&mut self, id: PeerId) {
        self.outs.retain(|(p, _)| *p != id);
        // A subscriber that leaves takes its subscriptions with it; XPUB
        // reports the topics nobody wants any more.
        for topic in self.trie.remove_key(id) {
            if self.xpub {
                self.upstream.push_back(notice(false, &topic));
            }
        }
    }

    fn send(&mut self, msg: Message, opts: &Options) -> Result<(), SendError> {
        self.process_upstream(opts);
        let topic = msg.first().cloned().unwrap_or_default();
        self.matched.clear();
        self.trie.matches(&topic, &mut self.matched);
        // One item for all: a small message is copied into each pipe rather
        // than shared, so the connections that drop it after writing do not
        // contend on one reference count with this thread.
        let item = PipeItem::message(msg);
        // Both lists are sorted by id: one merge pass.
        let mut outs = self.outs.iter().peekable();
        for id in &self.matched {
            while outs.next_if(|(p, _)| p < id).is_some() {}
            if let Some((_, pipe)) = outs.next_if(|(p, _)| p == id) {
                // Full queue: this subscriber misses the message (RFC 29).
                pipe.offer(&item);
            }
        }
        Ok(())
    }

    fn recv(&mut self, opts: &Options) -> Result<Message, RecvError> {
        if !self.xpub {
            return Err(RecvError::Fail(Error::InvalidState));
        }
        self.process_upstream(opts);
        self.upstream.pop_front().ok_or(RecvError::Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::pattern::testing::*;

    fn sub(peer: &Peer, topic: &str) {
        peer.inp
            .push_control(PipeItem::Subscribe(Bytes::copy_from_slice(
                topic.as_bytes(),
            )));
    }

    #[test]
    fn prefix_filtering_and_drop_when_full() {
        let mut p = Publisher::new(false);
        let o = Options::default();
        let a = peer(1, 1);
        let b = peer(2, 1);
        p.attach(&a, &o);
        p.attach(&b, &o);
        sub(&a, "news");
        sub(&b, "");
        p.send(Message::from("weather"), &o).unwrap();
        p.send(Message::from(vec!["news.uk", "body"]), &o).unwrap();
        assert_eq!(sent_to(&a), vec![Message::from(vec!["news.uk", "body"])]);
        assert_eq!(sent_to(&b), vec![Message::from("weather")]);
        // b's queue holds one message: the second is dropped, not blocked on.
        p.send(Message::from("1"), &o).unwrap();
        p.send(Message::from("2"), &o).unwrap();
        assert_eq!(sent_to(&b), vec![Message::from("1")]);
        assert!(matches!(
            p.recv(&o),
            Err(RecvError::Fail(Error::InvalidState))
        ));
    }

    #[test]
    fn each_matching_subscriber_gets_the_message_once() {
        let mut p = Publisher::new(false);
        let o = Options::default();
        let peers: Vec<_> = (1..=6).map(|i| peer(i, 0)).collect();
        for q in &peers {
            p.attach(q, &o);
        }
        sub(&peers[1], "t");
        sub(&peers[2], "");
        sub(&peers[3], "t");
        sub(&peers[4], "t");
        sub(&peers[4], "");
        sub(&peers[5], "x");
        p.detach(peers[3].id);
        p.send(Message::from("t1"), &o).unwrap();
        let got: Vec<usize> = peers.iter().map(|q| sent_to(q).len()).collect();
        assert_eq!(got, [0, 1, 1, 0, 1, 0]);
    }

    #[test]
    fn xpub_reports_new_topics_and_departures() {
        let mut p = Publisher::new(true);
        let o = Options::default();
        let a = peer(1, 0);
        let b = peer(2, 0);
        p.attach(&a, &o);
        p.attach(&b, &o);
        sub(&a, "A");
        sub(&b, "A");
        sub(&b, "B");
        deliver(&a, "upstream data");
        let got: Vec<_> = std::iter::from_fn(|| p.recv(&o).ok()).collect();
        assert_eq!(
            got,
            // Fair-queued: a's subscribe, b's (a repeat: no notice), a's
            // data, b's second subscribe.
            vec![
                Message::from(&b"\x01A"[..]),
                Message::from("upstream data"),
                Message::from(&b"\x01B"[..]),
            ]
        );
        p.detach(2);
        assert_eq!(p.recv(&o).unwrap(), Message::from(&b"\x00B"[..]));
        assert!(matches!(p.recv(&o), Err(RecvError::Empty)));
        // One cancel removes a repeated subscription (libzmq's set semantics).
        sub(&a, "A");
        a.inp
            .push_control(PipeItem::Cancel(Bytes::from_static(b"A")));
        assert_eq!(p.recv(&o).unwrap(), Message::from(&b"\x00A"[..]));
        p.send(Message::from("A1"), &o).unwrap();
        assert!(sent_to(&a).is_empty());
    }

    #[test]
    fn xpub_verbose_reports_every_subscribe() {
        let mut p = Publisher::new(true);
        let o = Options {
            xpub_verbose: true,
            ..Options::default()
        };
        let a = peer(1, 0);
        let b = peer(2, 0);
        p.attach(&a, &o);
        p.attach(&b, &o);
        sub(&a, "A");
        sub(&b, "A");
        assert_eq!(p.recv(&o).unwrap(), Message::from(&b"\x01A"[..]));
        assert_eq!(p.recv(&o).unwrap(), Message::from(&b"\x01A"[..]));
    }
}
