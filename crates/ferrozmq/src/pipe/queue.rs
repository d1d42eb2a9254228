//! [`Queue`]: a pipe's items in order, in segments that are moved, never
//! copied to grow.
//!
//! A batch that arrives while the pipe is not empty and whose items would
//! not fit the last segment without growing it becomes a segment of its
//! own, moved in whole. Growing one `VecDeque` instead copies everything
//! queued at each doubling and faults in a new block each time: with 1 000
//! peers whose backlogs grow through a run, that copy was about a quarter
//! of the receiving I/O thread. The reader takes the first segment
//! (`take_head`); the buffer it gives back in exchange is kept as a spare
//! for a later batch's writer, so buffers go round instead of being
//! allocated.

use super::PipeItem;
use std::collections::VecDeque;

#[derive(Debug, Default)]
pub(super) struct Queue {
    /// The first segment; empty only when the whole queue is.
    head: VecDeque<PipeItem>,
    head_msgs: usize,
    /// Later segments, each with its count of messages.
    later: VecDeque<(VecDeque<PipeItem>, usize)>,
    later_msgs: usize,
    /// Empty buffers with room, for the writers of the next segments.
    spares: Vec<VecDeque<PipeItem>>,
}

/// Most empty buffers a queue keeps for writers.
const SPARES: usize = 4;
/// Fewest items a batch needs to become a segment.
const SEGMENT_MIN: usize = 16;
/// Largest buffer (in items) handed to a writer beyond its batch's size.
const REFILL_MAX: usize = 1024;

impl Queue {
    /// Messages queued (subscription items are not counted).
    #[inline]
    pub(super) fn msgs(&self) -> usize {
        self.head_msgs + self.later_msgs
    }

    /// Whether nothing is queued (the head is empty only then).
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.head.is_empty()
    }

    /// Items queued.
    pub(super) fn len(&self) -> usize {
        self.head.len() + self.later.iter().map(|(s, _)| s.len()).sum::<usize>()
    }

    /// Appends one item at the end.
    #[inline(always)]
    pub(super) fn push_back(&mut self, item: PipeItem) {
        let m = usize::from(item.is_message());
        if self.later.is_empty() {
            self.head.push_back(item);
            self.head_msgs += m;
        } else {
            self.push_back_later(item, m);
        }
    }

    fn push_back_later(&mut self, item: PipeItem, m: usize) {
        let (segment, msgs) = self.later.back_mut().expect("not empty");
        segment.push_back(item);
        *msgs += m;
        self.later_msgs += m;
    }

    /// Moves all of `batch` (holding `msgs` messages) to the end without
    /// copying it, when that is cheaper than appending item by item: into an
    /// empty queue by a swap, or as a new segment when the last one has no
    /// room for it. `batch` gets an empty buffer back. False: nothing moved,
    /// append the items one by one.
    pub(super) fn move_in(&mut self, batch: &mut VecDeque<PipeItem>, msgs: usize) -> bool {
        if self.head.is_empty() {
            std::mem::swap(batch, &mut self.head);
            self.head_msgs = msgs;
            return true;
        }
        let tail = self.later.back().map_or(&self.head, |(s, _)| s);
        // Small batches are copied: not worth a buffer of their own.
        if batch.len() < SEGMENT_MIN || tail.len() + batch.len() <= tail.capacity() {
            return false;
        }
        // The writer fills its buffer again with about as many items: give
        // it one as big as its own (so that it need not grow), but no
        // bigger than REFILL_MAX unless the batch itself was (so that one
        // burst does not leave every later segment with a huge buffer).
        let want = batch.capacity().min(REFILL_MAX).max(batch.len());
        let buffer = self
            .spares
            .pop()
            .filter(|s| s.capacity() >= want)
            .unwrap_or_else(|| VecDeque::with_capacity(want));
        self.later
            .push_back((std::mem::replace(batch, buffer), msgs));
        self.later_msgs += msgs;
        true
    }

    /// Moves the first segment into `out` (by a swap when `out` is empty);
    /// returns how many messages moved.
    pub(super) fn take_head(&mut self, out: &mut VecDeque<PipeItem>) -> usize {
        if out.is_empty() {
            std::mem::swap(out, &mut self.head);
        } else {
            out.append(&mut self.head);
        }
        let moved = std::mem::take(&mut self.head_msgs);
        self.promote();
        moved
    }

    /// Takes the first item (tests; readers take segments or runs).
    #[cfg(test)]
    pub(super) fn pop_front(&mut self) -> Option<PipeItem> {
        let item = self.head.pop_front()?;
        self.head_msgs -= usize::from(item.is_message());
        if self.head.is_empty() {
            self.promote();
        }
        Some(item)
    }

    /// Moves the first `n` items of the first segment (`n` at most its
    /// length) into `out`, showing each to `each` on the way.
    pub(super) fn take_some(
        &mut self,
        n: usize,
        out: &mut VecDeque<PipeItem>,
        mut each: impl FnMut(&PipeItem),
    ) {
        let mut msgs = 0;
        for item in self.head.drain(..n) {
            msgs += usize::from(item.is_message());
            each(&item);
            out.push_back(item);
        }
        self.head_msgs -= msgs;
        if self.head.is_empty() {
            self.promote();
        }
    }

    /// Items in the first segment (a reader may take fewer than all).
    #[inline]
    pub(super) fn head_len(&self) -> usize {
        self.head.len()
    }

    /// Keeps only the items `keep` accepts, in order.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&PipeItem) -> bool) {
        self.head.retain(&mut keep);
        for (segment, msgs) in &mut self.later {
            segment.retain(&mut keep);
            *msgs = segment.iter().filter(|i| i.is_message()).count();
        }
        self.later.retain(|(s, _)| !s.is_empty());
        self.head_msgs = self.head.iter().filter(|i| i.is_message()).count();
        self.later_msgs = self.later.iter().map(|(_, m)| m).sum();
        if self.head.is_empty() {
            self.promote();
        }
    }

    /// Drops everything queued (the spares stay).
    pub(super) fn clear(&mut self) {
        self.head.clear();
        self.later.clear();
        self.head_msgs = 0;
        self.later_msgs = 0;
    }

    /// The head ran empty: the next segment becomes the head, and the empty
    /// buffer it replaces is kept for a writer.
    fn promote(&mut self) {
        if let Some((segment, msgs)) = self.later.pop_front() {
            let empty = std::mem::replace(&mut self.head, segment);
            self.head_msgs = msgs;
            self.later_msgs -= msgs;
            if empty.capacity() > 0 && self.spares.len() < SPARES {
                self.spares.push(empty);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use ferrozmq_proto::Message;

    fn msg(i: u32) -> PipeItem {
        PipeItem::Msg(Message::from(i.to_string()))
    }

    fn sub() -> PipeItem {
        PipeItem::Subscribe(Bytes::new())
    }

    fn drain(q: &mut Queue) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(item) = q.pop_front() {
            out.push(match item {
                PipeItem::Msg(m) => String::from_utf8(m[0].to_vec()).unwrap(),
                _ => "sub".into(),
            });
        }
        out
    }

    #[test]
    fn batches_that_do_not_fit_become_segments_and_order_holds() {
        let mut q = Queue::default();
        q.push_back(msg(0));
        let mut batch: VecDeque<PipeItem> = (1..100).map(msg).collect();
        batch.push_back(sub());
        let buffer = batch.as_slices().0.as_ptr();
        assert!(q.move_in(&mut batch, 99), "the head has no room for 100");
        assert!(batch.is_empty());
        assert_eq!(q.msgs(), 100);
        assert_eq!(q.len(), 101);
        // Later single items go behind the segment, not into the head.
        q.push_back(msg(100));
        assert_eq!(q.msgs(), 101);
        // The reader takes the head, then the segment (the same buffer,
        // moved in whole).
        let mut out = VecDeque::new();
        assert_eq!(q.take_head(&mut out), 1);
        out.clear();
        assert_eq!(q.head_len(), 101);
        assert_eq!(q.take_head(&mut out), 100);
        assert_eq!(out.as_slices().0.as_ptr(), buffer);
        assert!(q.is_empty());
        assert_eq!((q.msgs(), q.len()), (0, 0));
        // The buffer the reader gives back when a segment takes the head's
        // place is the next writer's spare.
        q.push_back(msg(0));
        let mut batch: VecDeque<PipeItem> = (1..100).map(msg).collect();
        assert!(q.move_in(&mut batch, 99));
        let mut reader: VecDeque<PipeItem> = VecDeque::with_capacity(300);
        let given = reader.capacity();
        assert_eq!(q.take_head(&mut reader), 1);
        let mut refill: VecDeque<PipeItem> = (0..200).map(msg).collect();
        assert!(
            q.move_in(&mut refill, 200),
            "99 + 200 do not fit 99's buffer"
        );
        assert_eq!(refill.capacity(), given, "the spare went to the writer");
        let rest = drain(&mut q);
        assert_eq!(rest.len(), 299);
        assert_eq!((rest[0].as_str(), rest[99].as_str()), ("1", "0"));
    }

    #[test]
    fn several_segments_come_out_in_the_order_they_went_in() {
        let mut q = Queue::default();
        q.push_back(msg(0));
        for start in [1, 21, 41] {
            let mut batch: VecDeque<PipeItem> = (start..start + 20).map(msg).collect();
            assert!(q.move_in(&mut batch, 20));
        }
        q.push_back(msg(61));
        assert_eq!(q.msgs(), 62);
        let want: Vec<String> = (0..62).map(|i| i.to_string()).collect();
        assert_eq!(drain(&mut q), want);
        assert_eq!((q.msgs(), q.len()), (0, 0));
    }

    #[test]
    fn batches_move_by_swap_into_an_empty_queue_and_by_copy_where_room_is() {
        let mut q = Queue::default();
        let mut batch: VecDeque<PipeItem> = VecDeque::with_capacity(64);
        batch.extend((0..3).map(msg));
        assert!(q.move_in(&mut batch, 3));
        assert!(batch.is_empty());
        let mut small: VecDeque<PipeItem> = (3..5).map(msg).collect();
        assert!(!q.move_in(&mut small, 2), "room in the head: copy");
        for item in small.drain(..) {
            q.push_back(item);
        }
        // No room, but a small batch is not worth a segment: copied too.
        let mut few: VecDeque<PipeItem> = (5..10).map(msg).collect();
        assert!(!q.move_in(&mut few, 5));
        for item in few.drain(..) {
            q.push_back(item);
        }
        // A segment from a sparse buffer leaves its writer a buffer of at
        // most REFILL_MAX items.
        let mut sparse: VecDeque<PipeItem> = VecDeque::with_capacity(REFILL_MAX * 8);
        sparse.extend((10..100).map(msg));
        assert!(q.move_in(&mut sparse, 90));
        assert!(sparse.capacity() >= REFILL_MAX && sparse.capacity() < REFILL_MAX * 2);
        let got = drain(&mut q);
        assert_eq!(got.len(), 100);
        assert_eq!(got[..6], ["0", "1", "2", "3", "4", "5"]);
    }

    #[test]
    fn retain_and_clear_keep_the_counts_across_segments() {
        let mut q = Queue::default();
        q.push_back(msg(0));
        let mut batch: VecDeque<PipeItem> = (1..40).map(msg).collect();
        batch.push_front(sub());
        assert!(q.move_in(&mut batch, 39));
        q.push_back(sub());
        q.retain(PipeItem::is_message);
        assert_eq!((q.msgs(), q.len()), (40, 40));
        q.retain(|i| !i.is_message());
        assert!(q.is_empty());
        assert_eq!((q.msgs(), q.len()), (0, 0));
        // A head emptied by retain hands over to the next segment.
        q.push_back(sub());
        let mut batch: VecDeque<PipeItem> = (0..40).map(msg).collect();
        assert!(q.move_in(&mut batch, 40));
        q.retain(PipeItem::is_message);
        assert_eq!(q.head_len(), 40);
        assert_eq!(q.msgs(), 40);
        q.clear();
        assert!(q.is_empty());
        assert_eq!(q.msgs(), 0);
    }
}
