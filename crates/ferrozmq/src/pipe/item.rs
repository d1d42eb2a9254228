//! [`PipeItem`]: what travels through a pipe, and the inline form of small
//! messages.
//!
//! A small payload copied by `send(&[u8])` is a slice of the sending
//! thread's chunk (`ferrozmq_proto::payload`), and a small received frame is
//! a slice of the connection's read buffer: many messages share one
//! reference count. When one socket makes those slices while another, on
//! another core, drops the ones before (inproc), that count's cache line
//! moves between them twice per message — at 16 B this cost more than
//! everything else in the hand-over. So between two sockets a single-frame
//! message of at most [`INLINE_MAX`] bytes crosses the pipe by value, as
//! libzmq's "very small messages" do, and the reader makes its own `Bytes`
//! from its own chunk.

use super::PACE_MIN;
use bytes::Bytes;
use ferrozmq_proto::{payload, Message};

/// Single-frame messages up to this size cross a pipe inline.
pub(crate) const INLINE_MAX: usize = 30;

/// What travels through a pipe.
#[derive(Debug, Clone)]
pub(crate) enum PipeItem {
    Msg(Message),
    /// A message of one frame of at most [`INLINE_MAX`] bytes, by value.
    Inline(Inline),
    Subscribe(Bytes),
    Cancel(Bytes),
}

/// The bytes of a small single-frame message.
#[derive(Clone, Copy)]
pub(crate) struct Inline {
    len: u8,
    data: [u8; INLINE_MAX],
}

impl Inline {
    /// The frame's bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.data[..self.len as usize]
    }

    /// The message, its payload copied on the calling thread.
    #[inline(never)]
    pub(crate) fn to_message(self) -> Message {
        Message::from(payload::copy(self.as_slice()))
    }
}

impl std::fmt::Debug for Inline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Inline").field(&self.as_slice()).finish()
    }
}

impl PipeItem {
    /// A message item: inline if it is one small frame.
    pub(crate) fn message(msg: Message) -> PipeItem {
        match msg.frames() {
            [frame] if frame.len() <= INLINE_MAX => {
                let mut data = [0; INLINE_MAX];
                data[..frame.len()].copy_from_slice(frame);
                PipeItem::Inline(Inline {
                    len: frame.len() as u8,
                    data,
                })
            }
            _ => PipeItem::Msg(msg),
        }
    }

    /// Whether this is a message (counted by the HWM), not a subscription.
    pub(crate) fn is_message(&self) -> bool {
        matches!(self, PipeItem::Msg(_) | PipeItem::Inline(_))
    }

    /// The message, if this is one.
    #[inline]
    pub(crate) fn into_message(self) -> Option<Message> {
        match self {
            PipeItem::Msg(m) => Some(m),
            PipeItem::Inline(i) => Some(i.to_message()),
            PipeItem::Subscribe(_) | PipeItem::Cancel(_) => None,
        }
    }

    /// The bytes this item counts for in the pacing budget.
    pub(crate) fn paced_len(&self) -> usize {
        match self {
            PipeItem::Msg(m) => match m.byte_len() {
                n if n >= PACE_MIN => n,
                _ => 0,
            },
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_single_frames_go_inline_and_come_back_equal() {
        for m in [
            Message::from(""),
            Message::from("hello"),
            Message::from(&[7u8; INLINE_MAX][..]),
        ] {
            let item = PipeItem::message(m.clone());
            assert!(matches!(item, PipeItem::Inline(_)), "{m:?}");
            assert!(item.is_message());
            assert_eq!(item.into_message(), Some(m));
        }
        for m in [
            Message::from(&[7u8; INLINE_MAX + 1][..]),
            Message::from(vec!["a", "b"]),
            Message::new(),
        ] {
            let item = PipeItem::message(m.clone());
            assert!(matches!(item, PipeItem::Msg(_)), "{m:?}");
            assert_eq!(item.into_message(), Some(m));
        }
        assert_eq!(PipeItem::Subscribe(Bytes::new()).into_message(), None);
        assert!(!PipeItem::Cancel(Bytes::new()).is_message());
    }

    #[test]
    fn inline_items_are_no_bigger_than_a_message_item() {
        assert!(
            std::mem::size_of::<PipeItem>() <= 40,
            "{}",
            std::mem::size_of::<PipeItem>()
        );
    }
}
