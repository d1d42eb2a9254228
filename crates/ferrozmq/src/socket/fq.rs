//! Fair queueing over inbound pipes (RFC 28/30): take one message from each
//! peer in turn, so no peer can starve the others.

use super::pattern::PeerId;
use crate::pipe::{Pipe, PipeItem, Pop};
use bytes::Bytes;
use ferrozmq_proto::Message;
use std::collections::VecDeque;
use std::sync::Arc;

/// One inbound pipe and the items already taken from it in one batch.
#[derive(Debug)]
struct Input {
    id: PeerId,
    label: Bytes,
    pipe: Arc<Pipe>,
    /// Items moved out of the pipe by `pop_all`: served without locking the
    /// pipe, so a busy reader takes the pipe lock once per batch.
    cache: VecDeque<PipeItem>,
}

#[derive(Debug, Default)]
pub(crate) struct FairQueue {
    pipes: Vec<Input>,
    next: usize,
}

impl FairQueue {
    pub(crate) fn attach(&mut self, id: PeerId, label: Bytes, pipe: Arc<Pipe>) {
        self.pipes.push(Input {
            id,
            label,
            pipe,
            cache: VecDeque::new(),
        });
    }

    /// The next message (subscription items are skipped: only publishers
    /// read those, through [`recv`](FairQueue::recv)), with its peer and label.
    pub(crate) fn recv_msg(&mut self) -> Option<(PeerId, Bytes, Message)> {
        loop {
            let (id, label, item) = self.recv()?;
            if let Some(m) = item.into_message() {
                return Some((id, label, m));
            }
        }
    }

    /// The next item from the next non-empty pipe, with its peer and label.
    /// Pipes whose writer is gone are dropped once drained.
    pub(crate) fn recv(&mut self) -> Option<(PeerId, Bytes, PipeItem)> {
        let mut tried = 0;
        while tried < self.pipes.len() {
            if self.next >= self.pipes.len() {
                self.next = 0;
            }
            let i = self.next;
            let input = &mut self.pipes[i];
            let popped = match input.cache.pop_front() {
                Some(item) => Pop::Item(item),
                None if input.pipe.looks_empty() => Pop::Empty,
                None => input.pipe.pop_all(&mut input.cache),
            };
            match popped {
                Pop::Item(item) => {
                    self.next = i + 1;
                    return Some((input.id, input.label.clone(), item));
                }
                Pop::Empty => {
                    self.next = i + 1;
                    tried += 1;
                }
                Pop::Closed => {
                    self.pipes.remove(i);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::pattern::testing::*;

    #[test]
    fn takes_turns_between_peers() {
        let peers: Vec<_> = (0..3).map(|i| peer(i, 0)).collect();
        let mut fq = FairQueue::default();
        for p in &peers {
            fq.attach(p.id, Bytes::new(), p.inp.clone());
        }
        for (i, p) in peers.iter().enumerate() {
            for k in 0..3 {
                deliver(p, format!("{i}{k}"));
            }
        }
        // Peer 2 has one more message than the others.
        deliver(&peers[2], "23");
        let got: Vec<_> = std::iter::from_fn(|| fq.recv())
            .map(|(_, _, item)| {
                let m = item.into_message().expect("a message");
                String::from_utf8(m[0].to_vec()).unwrap()
            })
            .collect();
        assert_eq!(
            got,
            ["00", "10", "20", "01", "11", "21", "02", "12", "22", "23"]
        );
    }

    #[test]
    fn drains_closed_pipes_then_drops_them() {
        let p = peer(0, 0);
        let mut fq = FairQueue::default();
        fq.attach(0, Bytes::new(), p.inp.clone());
        deliver(&p, Message::from("last"));
        p.inp.close_writer();
        assert!(fq.recv().is_some());
        assert!(fq.recv().is_none());
        assert!(fq.pipes.is_empty());
    }
}
