//! [`InputBuf`]: the buffers the decoder takes received bytes from.

use bytes::{Buf, Bytes, BytesMut};
use std::ops::Deref;

/// Received bytes that [`Connection::handle_input`](crate::Connection::handle_input)
/// and [`FrameDecoder::decode`](crate::frame::FrameDecoder::decode) consume
/// from the front. Frame bodies are cut from the buffer's own memory:
///
/// - `BytesMut`: a buffer still being read into (the spare room behind
///   the input stays writable);
/// - `Bytes`: a buffer frozen after a read, such as a recycled one from
///   the payload pool ([`BodyBuffer`](crate::payload::BodyBuffer)), whose
///   bytes need no zeroing before the next read;
/// - `&[u8]`: borrowed input; bodies are copied out of it.
///
/// ```
/// use bytes::Bytes;
/// use ferrozmq_proto::frame::FrameDecoder;
/// // A 3-byte message frame and the first byte of the next one.
/// let mut input = Bytes::from_static(&[0x00, 3, b'a', b'b', b'c', 0x00]);
/// let frame = FrameDecoder::new(None).decode(&mut input).unwrap().unwrap();
/// assert_eq!(&frame.body[..], b"abc");
/// assert_eq!(&input[..], &[0x00]);
/// ```
pub trait InputBuf: Buf + Deref<Target = [u8]> + sealed::Sealed {
    /// Removes the first `n` bytes (at most `len()`) and returns them.
    fn split_bytes(&mut self, n: usize) -> Bytes;
}

impl InputBuf for BytesMut {
    fn split_bytes(&mut self, n: usize) -> Bytes {
        self.split_to(n).freeze()
    }
}

impl InputBuf for Bytes {
    fn split_bytes(&mut self, n: usize) -> Bytes {
        self.split_to(n)
    }
}

impl InputBuf for &[u8] {
    fn split_bytes(&mut self, n: usize) -> Bytes {
        let (head, rest) = self.split_at(n);
        *self = rest;
        Bytes::copy_from_slice(head)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for bytes::BytesMut {}
    impl Sealed for bytes::Bytes {}
    impl Sealed for &[u8] {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut<B: InputBuf>(mut buf: B) -> (Bytes, Vec<u8>) {
        let head = buf.split_bytes(2);
        (head, buf.to_vec())
    }

    #[test]
    fn every_kind_cuts_the_front_and_keeps_the_rest() {
        let data = b"abcde";
        for (head, rest) in [
            cut(BytesMut::from(&data[..])),
            cut(Bytes::from_static(data)),
            cut(&data[..]),
        ] {
            assert_eq!(&head[..], b"ab");
            assert_eq!(rest, b"cde");
        }
    }
}
