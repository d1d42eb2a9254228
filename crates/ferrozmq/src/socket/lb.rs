//! Round-robin load balancing over outbound pipes (RFC 28/30): each message
//! goes to the next peer that has room; a multipart message stays whole.

use super::pattern::PeerId;
use crate::pipe::Pipe;
use ferrozmq_proto::Message;
use std::sync::Arc;

#[derive(Debug, Default)]
pub(crate) struct LoadBalancer {
    pipes: Vec<(PeerId, Arc<Pipe>)>,
    next: usize,
    /// The pipe the last send went to, if its sender should pace.
    pace: Option<Arc<Pipe>>,
}

impl LoadBalancer {
    pub(crate) fn attach(&mut self, id: PeerId, pipe: Arc<Pipe>) {
        self.pipes.push((id, pipe));
    }

    pub(crate) fn detach(&mut self, id: PeerId) {
        if let Some(i) = self.pipes.iter().position(|(p, _)| *p == id) {
            self.pipes.remove(i);
            if self.next > i {
                self.next -= 1;
            }
            if self.next >= self.pipes.len() {
                self.next = 0;
            }
        }
    }

    /// Sends to the next pipe with room; gives the message back if none has.
    pub(crate) fn send(&mut self, mut msg: Message) -> Result<PeerId, Message> {
        let n = self.pipes.len();
        // No `%` on this path: a division per message showed in profiles.
        let mut i = self.next;
        for _ in 0..n {
            if i >= n {
                i = 0;
            }
            match self.pipes[i].1.try_push(msg) {
                Ok(paced) => {
                    self.next = i + 1;
                    let pipe = &self.pipes[i].1;
                    if pipe.wants_pacing(paced) {
                        self.pace = Some(pipe.clone());
                    }
                    return Ok(self.pipes[i].0);
                }
                Err(back) => msg = back,
            }
            i += 1;
        }
        Err(msg)
    }

    /// See `Pattern::take_pacing`.
    pub(crate) fn take_pacing(&mut self) -> Option<Arc<Pipe>> {
        self.pace.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::pattern::testing::*;

    #[test]
    fn round_robin_skips_full_pipes() {
        let peers: Vec<_> = (0..3).map(|i| peer(i, 2)).collect();
        let mut lb = LoadBalancer::default();
        for p in &peers {
            lb.attach(p.id, p.out.clone());
        }
        let order: Vec<_> = (0..6)
            .map(|i| lb.send(Message::from(i.to_string())).unwrap())
            .collect();
        assert_eq!(order, vec![0, 1, 2, 0, 1, 2]);
        assert!(lb.send(Message::from("full")).is_err());
        sent_to(&peers[1]);
        assert_eq!(lb.send(Message::from("x")).unwrap(), 1);
        lb.detach(1);
        assert!(lb.send(Message::from("y")).is_err());
    }
}
