//! ZMTP frames: `flags (1) | size (1 or 8, big-endian) | body`
//! (RFC 23/37 §Framing).

use crate::error::{ConnectionError, ProtocolError};
use crate::input::InputBuf;
use bytes::{BufMut, Bytes};

/// More frames of this message follow.
pub const FLAG_MORE: u8 = 0x01;
/// The size field is 8 bytes long.
pub const FLAG_LONG: u8 = 0x02;
/// The frame is a command.
pub const FLAG_COMMAND: u8 = 0x04;

/// Longest possible frame header.
pub const MAX_HEADER_LEN: usize = 9;

/// Largest command body accepted. Commands carry handshake data and
/// metadata, never user payloads, so this bounds what a peer can make us
/// buffer before the handshake even completes.
pub const MAX_COMMAND_LEN: u64 = 1 << 20;

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Raw flags byte. Reserved bits are kept but not interpreted (libzmq
    /// does not check them either).
    pub flags: u8,
    /// Body size in bytes.
    pub size: u64,
    /// Size of the header itself (2 or 9).
    pub header_len: usize,
}

impl FrameHeader {
    /// Decodes a header from the start of `buf`; `Ok(None)` if more bytes are needed.
    pub fn decode(buf: &[u8]) -> Option<FrameHeader> {
        let flags = *buf.first()?;
        if flags & FLAG_LONG != 0 {
            let raw: [u8; 8] = buf.get(1..9)?.try_into().ok()?;
            Some(FrameHeader {
                flags,
                size: u64::from_be_bytes(raw),
                header_len: 9,
            })
        } else {
            Some(FrameHeader {
                flags,
                size: u64::from(*buf.get(1)?),
                header_len: 2,
            })
        }
    }

    /// Whether the MORE flag is set.
    pub fn more(&self) -> bool {
        self.flags & FLAG_MORE != 0
    }

    /// Whether the COMMAND flag is set.
    pub fn command(&self) -> bool {
        self.flags & FLAG_COMMAND != 0
    }
}

/// Writes a frame header for a body of `size` bytes. Short form iff the body
/// is at most 255 bytes, as libzmq does (RFC 23: long frame if size > 255).
pub fn encode_header(out: &mut impl BufMut, more: bool, command: bool, size: usize) {
    let mut flags = 0;
    if more {
        flags |= FLAG_MORE;
    }
    if command {
        flags |= FLAG_COMMAND;
    }
    if size > 255 {
        out.put_u8(flags | FLAG_LONG);
        out.put_u64(size as u64);
    } else {
        out.put_u8(flags);
        out.put_u8(size as u8);
    }
}

/// A complete frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Raw flags byte.
    pub flags: u8,
    /// The body. For large frames this is a slice of the read buffer, not a copy.
    pub body: Bytes,
}

impl Frame {
    /// Whether the MORE flag is set.
    pub fn more(&self) -> bool {
        self.flags & FLAG_MORE != 0
    }

    /// Whether the COMMAND flag is set.
    pub fn command(&self) -> bool {
        self.flags & FLAG_COMMAND != 0
    }
}

/// Splits complete frames off the front of a read buffer.
///
/// The decoder never allocates ahead of the data the peer really sent, so a
/// header announcing an enormous size costs nothing until the bytes arrive
/// (compare CVE-2019-6250); [`max_size`](FrameDecoder::new) rejects such
/// frames as soon as their header is seen.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    max_size: Option<u64>,
}

impl FrameDecoder {
    /// A decoder that rejects message frames with bodies larger than
    /// `max_size` (ZMQ_MAXMSGSIZE, applied per frame as libzmq does).
    pub fn new(max_size: Option<u64>) -> FrameDecoder {
        FrameDecoder { max_size }
    }

    /// Decodes one frame from the front of `buf`, removing its bytes.
    /// `Ok(None)` means more input is needed; `buf` is then untouched.
    pub fn decode(&self, buf: &mut impl InputBuf) -> Result<Option<Frame>, ConnectionError> {
        let Some(header) = FrameHeader::decode(buf) else {
            return Ok(None);
        };
        self.check(&header)?;
        let total = header.header_len as u64 + header.size;
        if (buf.len() as u64) < total {
            return Ok(None);
        }
        buf.advance(header.header_len);
        let body = buf.split_bytes(header.size as usize);
        Ok(Some(Frame {
            flags: header.flags,
            body,
        }))
    }

    /// The header at the front of `buf`, checked as [`decode`](FrameDecoder::decode)
    /// checks it; `Ok(None)` if it is not all there. Consumes nothing.
    pub fn peek_header(&self, buf: &[u8]) -> Result<Option<FrameHeader>, ConnectionError> {
        let Some(header) = FrameHeader::decode(buf) else {
            return Ok(None);
        };
        self.check(&header)?;
        Ok(Some(header))
    }

    /// How many more bytes the frame at the front of `buf` needs, if known.
    /// Lets the reader size its next read for large frames.
    pub fn missing(&self, buf: &[u8]) -> Option<usize> {
        let header = FrameHeader::decode(buf)?;
        let total = (header.header_len as u64).saturating_add(header.size);
        usize::try_from(total.saturating_sub(buf.len() as u64)).ok()
    }

    fn check(&self, header: &FrameHeader) -> Result<(), ConnectionError> {
        if header.command() {
            // The message size limit is the user's, for messages; commands
            // (handshake metadata above all) get a fixed bound of their own.
            if header.size > MAX_COMMAND_LEN {
                return Err(ProtocolError::CommandTooLarge(header.size).into());
            }
        } else if let Some(max) = self.max_size {
            if header.size > max {
                return Err(ConnectionError::MessageTooLarge {
                    size: header.size,
                    max,
                });
            }
        }
        if usize::try_from(header.size).is_err() || header.size > i64::MAX as u64 {
            return Err(ProtocolError::FrameTooLarge(header.size).into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    fn decode_all(bytes: &[u8]) -> Vec<Frame> {
        let mut buf = BytesMut::from(bytes);
        let dec = FrameDecoder::new(None);
        let mut out = Vec::new();
        while let Some(f) = dec.decode(&mut buf).unwrap() {
            out.push(f);
        }
        assert!(buf.is_empty());
        out
    }

    #[test]
    fn spec_examples() {
        // spec-notes §4: "Hello" and ["", "Hi"].
        let f = decode_all(&[0x00, 0x05, b'H', b'e', b'l', b'l', b'o']);
        assert_eq!(f[0].body, &b"Hello"[..]);
        assert!(!f[0].more());
        let f = decode_all(&[0x01, 0x00, 0x00, 0x02, b'H', b'i']);
        assert_eq!(f.len(), 2);
        assert!(f[0].more() && f[0].body.is_empty());
        assert_eq!(f[1].body, &b"Hi"[..]);
    }

    #[test]
    fn long_frame_header() {
        let mut out = BytesMut::new();
        encode_header(&mut out, false, false, 300);
        assert_eq!(&out[..], &[0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x2C]);
        out.clear();
        encode_header(&mut out, true, true, 255);
        assert_eq!(&out[..], &[0x05, 0xFF]);
    }

    #[test]
    fn accepts_long_size_for_small_body() {
        let f = decode_all(&[0x02, 0, 0, 0, 0, 0, 0, 0, 1, b'x']);
        assert_eq!(f[0].body, &b"x"[..]);
    }

    #[test]
    fn waits_for_whole_frame_byte_by_byte() {
        let wire = [0x00, 0x03, b'a', b'b', b'c'];
        let dec = FrameDecoder::new(None);
        let mut buf = BytesMut::new();
        for (i, b) in wire.iter().enumerate() {
            assert!(dec.decode(&mut buf).unwrap().is_none());
            if i > 1 {
                assert_eq!(dec.missing(&buf), Some(wire.len() - i));
            }
            buf.extend_from_slice(&[*b]);
        }
        assert_eq!(dec.decode(&mut buf).unwrap().unwrap().body, &b"abc"[..]);
    }

    #[test]
    fn rejects_oversize_before_data_arrives() {
        let dec = FrameDecoder::new(Some(10));
        let mut buf = BytesMut::from(&[0x00u8, 11][..]);
        assert!(matches!(
            dec.decode(&mut buf),
            Err(ConnectionError::MessageTooLarge { size: 11, max: 10 })
        ));
        let dec = FrameDecoder::new(None);
        let mut buf = BytesMut::from(&[0x02u8, 0xFF, 0, 0, 0, 0, 0, 0, 0][..]);
        assert!(matches!(
            dec.decode(&mut buf),
            Err(ConnectionError::Protocol(ProtocolError::FrameTooLarge(_)))
        ));
    }
}
