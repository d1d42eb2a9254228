//! Fair queueing over inbound pipes (RFC 28/30): take one message from each
//! peer in turn, so no peer can starve the others.

use super::pattern::PeerId;
use crate::pipe::{Pipe, PipeItem, Pop, ReadyList};
use crate::prefetch::prefetch;
use bytes::Bytes;
use ferrozmq_proto::Message;
use std::collections::VecDeque;
use std::sync::Arc;

/// With fewer active pipes than this, their items stay in the cache.
const TOUCH_MIN_PIPES: usize = 16;
/// How many turns ahead [`FairQueue::recv`] loads a pipe's front item.
const ITEM_AHEAD: usize = 8;
/// How many turns ahead it loads the first byte of its payload.
const PAYLOAD_AHEAD: usize = 4;

/// One inbound pipe and the items already taken from it in one batch.
#[derive(Debug)]
struct Input {
    id: PeerId,
    label: Bytes,
    pipe: Arc<Pipe>,
    /// Items moved out of the pipe by `pop_all`: served without locking the
    /// pipe, so a busy reader takes the pipe lock once per batch.
    cache: VecDeque<PipeItem>,
    /// In the turn order; otherwise parked until the pipe reports.
    active: bool,
}

/// Takes turns between the pipes that have something; a pipe found empty
/// is parked and left alone until its writer reports it ([`ReadyList`]),
/// so a reader of 1 000 mostly idle peers does not visit them all.
#[derive(Debug, Default)]
pub(crate) struct FairQueue {
    /// Inputs by slot (the number a parked pipe reports); `None`: free.
    slots: Vec<Option<Input>>,
    free: Vec<usize>,
    /// Slots in turn order; a parked or removed one is swapped with the
    /// last, as libzmq's `fq_t` does.
    active: Vec<usize>,
    next: usize,
    ready: Arc<ReadyList>,
    reported: Vec<usize>,
    /// The slot the last item came from (for its label).
    last: usize,
}

impl FairQueue {
    pub(crate) fn attach(&mut self, id: PeerId, label: Bytes, pipe: Arc<Pipe>) {
        let input = Some(Input {
            id,
            label,
            pipe,
            cache: VecDeque::new(),
            active: true,
        });
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = input;
                slot
            }
            None => {
                self.slots.push(input);
                self.slots.len() - 1
            }
        };
        self.active.push(slot);
    }

    /// The next message (subscription items are skipped: only publishers
    /// read those, through [`recv`](FairQueue::recv)), with its peer and label.
    pub(crate) fn recv_msg(&mut self) -> Option<(PeerId, Message)> {
        loop {
            let (id, item) = self.recv()?;
            if let Some(m) = item.into_message() {
                return Some((id, m));
            }
        }
    }

    /// [`recv_msg`](FairQueue::recv_msg) with the label of the pipe it came
    /// from (a ROUTER's routing id). Only this form clones the label.
    pub(crate) fn recv_labelled(&mut self) -> Option<(Bytes, Message)> {
        let (_, m) = self.recv_msg()?;
        let input = self.slots[self.last]
            .as_ref()
            .expect("the last item's input");
        Some((input.label.clone(), m))
    }

    /// Puts the pipes that reported since the last call back in turn.
    #[inline]
    fn take_reported(&mut self) {
        if !self.ready.take(&mut self.reported) {
            return;
        }
        for slot in self.reported.drain(..) {
            // A report may be stale (its pipe left and the slot was reused):
            // the pipe is then looked at once and parked again.
            if let Some(input) = self.slots.get_mut(slot).and_then(Option::as_mut) {
                if !input.active {
                    input.active = true;
                    self.active.push(slot);
                }
            }
        }
    }

    /// Prefetches the front item of the pipe [`ITEM_AHEAD`] turns ahead
    /// and the first payload byte of the one [`PAYLOAD_AHEAD`] turns ahead
    /// (whose item was prefetched turns before), so that both are in this
    /// core's cache when their turn comes. With many busy peers each pipe's
    /// turn comes round only after every other pipe's, by when its items
    /// and payloads (written by the I/O thread on another core) have left
    /// the cache; taken one after another they cost two dependent misses
    /// per message.
    #[inline]
    fn touch_ahead(&self) {
        let n = self.active.len();
        if n < TOUCH_MIN_PIPES {
            return;
        }
        let front = |ahead: usize| {
            let slot = self.active[(self.next + ahead) % n];
            self.slots[slot].as_ref().and_then(|i| i.cache.front())
        };
        if let Some(item) = front(ITEM_AHEAD) {
            prefetch(item);
        }
        if let Some(PipeItem::Msg(m)) = front(PAYLOAD_AHEAD) {
            if let Some(byte) = m.first().and_then(|f| f.first()) {
                prefetch(byte);
            }
        }
    }

    /// The next item from the next non-empty pipe, with its peer. Pipes
    /// whose writer is gone are dropped once drained.
    pub(crate) fn recv(&mut self) -> Option<(PeerId, PipeItem)> {
        self.take_reported();
        while !self.active.is_empty() {
            if self.next >= self.active.len() {
                self.next = 0;
            }
            let slot = self.active[self.next];
            let input = self.slots[slot].as_mut().expect("active slots are used");
            // The last active pipe is not parked: there is nothing to skip,
            // and a stream from one peer would pay a report per wake-up.
            let last = self.active.len() == 1;
            let park = (!last).then_some((&self.ready, slot));
            let popped = match input.cache.pop_front() {
                Some(item) => Pop::Item(item),
                None => input.pipe.pop_all_or_park(&mut input.cache, park),
            };
            match popped {
                Pop::Item(item) => {
                    let id = input.id;
                    self.next += 1;
                    self.last = slot;
                    self.touch_ahead();
                    return Some((id, item));
                }
                Pop::Empty if last => return None,
                Pop::Empty => {
                    input.active = false;
                    self.active.swap_remove(self.next);
                }
                Pop::Closed => {
                    self.slots[slot] = None;
                    self.free.push(slot);
                    self.active.swap_remove(self.next);
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

    /// `n` peers with unbounded pipes, all attached to one fair queue.
    fn fq_over(n: u64) -> (Vec<crate::socket::pattern::Peer>, FairQueue) {
        let peers: Vec<_> = (0..n).map(|i| peer(i, 0)).collect();
        let mut fq = FairQueue::default();
        for p in &peers {
            fq.attach(p.id, Bytes::new(), p.inp.clone());
        }
        (peers, fq)
    }

    #[test]
    fn takes_turns_between_peers() {
        let (peers, mut fq) = fq_over(3);
        for (i, p) in peers.iter().enumerate() {
            for k in 0..3 {
                deliver(p, format!("{i}{k}"));
            }
        }
        // Peer 2 has one more message than the others.
        deliver(&peers[2], "23");
        let got: Vec<_> = std::iter::from_fn(|| fq.recv())
            .map(|(_, item)| {
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
    fn many_peers_keep_their_turns_while_items_are_loaded_ahead() {
        // More pipes than TOUCH_MIN_PIPES, with uneven queues, so that the
        // turn order shrinks below it as pipes run dry and are parked.
        let n = TOUCH_MIN_PIPES as u64 + 5;
        let (peers, mut fq) = fq_over(n);
        for (i, p) in (0..n).zip(&peers) {
            for k in 0..=i % 4 {
                // Message items (these fake pipes never carry inline ones),
                // so the payload loads run too.
                deliver(
                    p,
                    format!("{k} from peer {i:02}, long enough not to be inline"),
                );
            }
        }
        let got: Vec<(u64, u64)> = std::iter::from_fn(|| fq.recv())
            .map(|(id, item)| {
                let m = item.into_message().expect("a message");
                let k = m[0][0] - b'0';
                (u64::from(k), id)
            })
            .collect();
        // Every message once, and round k (each peer's k-th message) whole
        // before round k + 1 begins.
        let mut want: Vec<_> = (0..n)
            .flat_map(|i| (0..=i % 4).map(move |k| (k, i)))
            .collect();
        want.sort();
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(sorted, want);
        assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "{got:?}");
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
        assert!(fq.active.is_empty());
        assert!(fq.slots.iter().all(Option::is_none));
    }

    #[test]
    fn parked_pipes_come_back_when_written_or_closed() {
        let (peers, mut fq) = fq_over(3);
        assert!(fq.recv().is_none());
        assert_eq!(fq.active.len(), 1, "two parked; the last active one stays");
        deliver(&peers[1], "b");
        let (id, item) = fq.recv().expect("reported");
        assert_eq!((id, item.into_message()), (1, Some(Message::from("b"))));
        assert!(fq.recv().is_none());
        peers[2].inp.close_writer();
        assert!(fq.recv().is_none());
        assert!(fq.slots[2].is_none(), "closed while parked: dropped");
        // Its slot is reused; the other parked pipes still report.
        let late = peer(7, 0);
        fq.attach(late.id, Bytes::new(), late.inp.clone());
        deliver(&peers[0], "a");
        deliver(&late, "z");
        let mut got: Vec<_> = std::iter::from_fn(|| fq.recv()).map(|(id, _)| id).collect();
        got.sort();
        assert_eq!(got, [0, 7]);
    }
}
