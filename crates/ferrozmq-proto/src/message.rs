//! [`Message`]: one ZeroMQ message, made of one or more frames, delivered
//! atomically.

use crate::payload;
use bytes::Bytes;
use std::ops::Index;

/// A multipart message: an ordered list of frames, sent and received whole.
///
/// A single-frame message (the common case) is stored without a `Vec`, so
/// building one costs no allocation beyond its payload.
///
/// ```
/// use ferrozmq_proto::Message;
/// let m = Message::from(vec!["wor", "ld"]);
/// assert_eq!(m.len(), 2);
/// assert_eq!(m[0], b"wor"[..]);
/// ```
#[derive(Clone, Default)]
pub struct Message {
    frames: Frames,
}

#[derive(Clone)]
enum Frames {
    One(Bytes),
    Many(Vec<Bytes>),
}

impl Default for Frames {
    fn default() -> Frames {
        Frames::Many(Vec::new())
    }
}

impl Message {
    /// A message with no frames; add some with [`push_back`](Message::push_back).
    pub fn new() -> Message {
        Message::default()
    }

    /// Builds a message from its frames.
    pub fn from_frames(frames: Vec<Bytes>) -> Message {
        if frames.len() == 1 {
            let mut frames = frames;
            Message {
                frames: Frames::One(frames.pop().expect("one frame")),
            }
        } else {
            Message {
                frames: Frames::Many(frames),
            }
        }
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        match &self.frames {
            Frames::One(_) => 1,
            Frames::Many(v) => v.len(),
        }
    }

    /// Whether the message has no frames at all (a message of one empty
    /// frame is *not* empty).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The frames, in order.
    pub fn frames(&self) -> &[Bytes] {
        match &self.frames {
            Frames::One(b) => std::slice::from_ref(b),
            Frames::Many(v) => v,
        }
    }

    /// Takes the frames out.
    pub fn into_frames(self) -> Vec<Bytes> {
        match self.frames {
            Frames::One(b) => vec![b],
            Frames::Many(v) => v,
        }
    }

    /// The frame of a one-frame message, or the message back.
    pub(crate) fn into_single(self) -> Result<Bytes, Message> {
        match self.frames {
            Frames::One(b) => Ok(b),
            Frames::Many(mut v) if v.len() == 1 => Ok(v.pop().unwrap_or_default()),
            frames => Err(Message { frames }),
        }
    }

    /// Iterates over the frames.
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.frames().iter()
    }

    /// The first frame, if any.
    pub fn first(&self) -> Option<&Bytes> {
        self.frames().first()
    }

    /// The frame at `index`, if any.
    pub fn get(&self, index: usize) -> Option<&Bytes> {
        self.frames().get(index)
    }

    /// Sum of all frame sizes in bytes.
    pub fn byte_len(&self) -> usize {
        // Asked per message sent (pacing): no loop for the usual one frame.
        match &self.frames {
            Frames::One(b) => b.len(),
            Frames::Many(v) => v.iter().map(Bytes::len).sum(),
        }
    }

    fn make_many(&mut self) -> &mut Vec<Bytes> {
        if let Frames::One(b) = &mut self.frames {
            let b = std::mem::take(b);
            self.frames = Frames::Many(vec![b]);
        }
        match &mut self.frames {
            Frames::Many(v) => v,
            Frames::One(_) => unreachable!("converted above"),
        }
    }

    /// Appends a frame.
    pub fn push_back(&mut self, frame: impl Into<Bytes>) {
        let frame = frame.into();
        if let Frames::Many(v) = &self.frames {
            if v.is_empty() {
                self.frames = Frames::One(frame);
                return;
            }
        }
        self.make_many().push(frame);
    }

    /// Prepends a frame (for envelopes: routing ids, the empty delimiter).
    pub fn push_front(&mut self, frame: impl Into<Bytes>) {
        let frame = frame.into();
        match &mut self.frames {
            Frames::Many(v) if v.is_empty() => self.frames = Frames::One(frame),
            Frames::Many(v) => v.insert(0, frame),
            // An envelope on a one-frame message (a ROUTER's routing id on
            // each message it receives): one allocation of the right size.
            Frames::One(b) => {
                let b = std::mem::take(b);
                self.frames = Frames::Many(vec![frame, b]);
            }
        }
    }

    /// Removes and returns the first frame.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        match &mut self.frames {
            Frames::One(b) => {
                let b = std::mem::take(b);
                self.frames = Frames::Many(Vec::new());
                Some(b)
            }
            Frames::Many(v) if v.is_empty() => None,
            // Down to one frame: back to the form without a `Vec`, freed
            // here rather than by whichever thread drops the message.
            Frames::Many(v) if v.len() == 2 => {
                let last = v.pop().expect("two frames");
                let first = v.pop().expect("two frames");
                self.frames = Frames::One(last);
                Some(first)
            }
            Frames::Many(v) => Some(v.remove(0)),
        }
    }
}

/// Messages are equal when their frames are, however they are stored.
impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        self.frames() == other.frames()
    }
}

impl Eq for Message {}

impl std::hash::Hash for Message {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.frames().hash(state);
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.frames()).finish()
    }
}

impl Index<usize> for Message {
    type Output = Bytes;
    fn index(&self, index: usize) -> &Bytes {
        &self.frames()[index]
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Message {
    type Item = Bytes;
    type IntoIter = std::vec::IntoIter<Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_frames().into_iter()
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Message {
        Message {
            frames: Frames::One(b),
        }
    }
}

macro_rules! single_frame_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Message {
            fn from(v: $t) -> Message {
                Message::from(Bytes::from(v))
            }
        }
    )*};
}
single_frame_from!(Vec<u8>, String);

impl From<&[u8]> for Message {
    fn from(b: &[u8]) -> Message {
        Message::from(payload::copy(b))
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Message {
        Message::from(payload::copy(s.as_bytes()))
    }
}

impl From<&String> for Message {
    fn from(s: &String) -> Message {
        Message::from(s.as_str())
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    fn from(b: &[u8; N]) -> Message {
        Message::from(payload::copy(b))
    }
}

macro_rules! multipart_from {
    ($($t:ty => $conv:expr),*) => {$(
        impl From<Vec<$t>> for Message {
            fn from(v: Vec<$t>) -> Message {
                Message::from_frames(v.into_iter().map($conv).collect())
            }
        }
    )*};
}
multipart_from!(
    Bytes => |b| b,
    Vec<u8> => Bytes::from,
    String => Bytes::from,
    &str => |s: &str| payload::copy(s.as_bytes()),
    &[u8] => payload::copy
);

impl FromIterator<Bytes> for Message {
    fn from_iter<I: IntoIterator<Item = Bytes>>(iter: I) -> Message {
        Message::from_frames(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_multi() {
        let mut m = Message::from("a");
        assert_eq!(m.len(), 1);
        assert_eq!(m.byte_len(), 1);
        m.push_front(Bytes::new());
        m.push_back("c");
        assert_eq!(
            m.frames(),
            &[Bytes::new(), Bytes::from("a"), Bytes::from("c")]
        );
        assert_eq!(m.pop_front(), Some(Bytes::new()));
        assert_eq!(m.byte_len(), 2);
        m.pop_front();
        assert_eq!(m, Message::from("c"), "equality ignores the storage form");
        let mut e = Message::new();
        assert!(e.is_empty());
        assert_eq!(e.pop_front(), None);
        e.push_back("x");
        assert_eq!(e, Message::from("x"));
        assert_eq!(e.pop_front(), Some(Bytes::from("x")));
        assert!(e.is_empty());
    }

    #[test]
    fn an_envelope_on_one_frame_comes_off_to_the_vec_free_form() {
        let mut m = Message::from("body");
        m.push_front(Bytes::from_static(b"id"));
        match &m.frames {
            Frames::Many(v) => assert_eq!(v.capacity(), 2, "allocated once, exactly"),
            Frames::One(_) => panic!("two frames need the Vec"),
        }
        assert_eq!(m.pop_front(), Some(Bytes::from_static(b"id")));
        assert!(matches!(m.frames, Frames::One(_)), "{m:?}");
        assert_eq!(m, Message::from("body"));
        // Three frames lose one and keep their order.
        let mut m = Message::from(vec!["a", "b", "c"]);
        assert_eq!(m.pop_front(), Some(Bytes::from("a")));
        assert_eq!(m.frames(), &[Bytes::from("b"), Bytes::from("c")]);
        assert_eq!(m.pop_front(), Some(Bytes::from("b")));
        assert!(matches!(m.frames, Frames::One(_)));
    }

    #[test]
    fn conversions() {
        assert_eq!(Message::from(vec!["a", "b"]).len(), 2);
        assert_eq!(Message::from(vec![b"a".to_vec()]).len(), 1);
        assert_eq!(Message::from(&b"xy"[..])[0], b"xy"[..]);
        assert_eq!(Message::from(String::from("s"))[0], b"s"[..]);
        let m: Message = vec![Bytes::from("1"), Bytes::from("2")]
            .into_iter()
            .collect();
        assert_eq!(m.into_frames().len(), 2);
    }
}
