//! ZMTP commands: `name-len u8 | name | data` inside a COMMAND frame
//! (RFC 23/37 §Commands). One variant per command the NULL mechanism and the
//! traffic phase know; mechanism-specific commands (HELLO, WELCOME, ...) stay
//! [`RawCommand`]s and are parsed by their mechanism.

use crate::error::ProtocolError;
use crate::frame::encode_header;
use crate::metadata::Metadata;
use bytes::{Buf, BufMut, Bytes};

/// A command split into name and data, not yet interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCommand {
    /// Command name (1–255 bytes).
    pub name: Bytes,
    /// Everything after the name.
    pub data: Bytes,
}

impl RawCommand {
    /// Splits a command frame body into name and data.
    pub fn decode(mut body: Bytes) -> Result<RawCommand, ProtocolError> {
        let Some(&len) = body.first() else {
            return Err(ProtocolError::MalformedCommandName);
        };
        let len = len as usize;
        if len == 0 || body.len() < 1 + len {
            return Err(ProtocolError::MalformedCommandName);
        }
        body.advance(1);
        let name = body.split_to(len);
        Ok(RawCommand { name, data: body })
    }

    /// The name as text, for error messages.
    pub fn name_lossy(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// Writes a whole command frame (header included) for `name` and `data`.
pub fn encode_command(out: &mut impl BufMut, name: &[u8], data: &[&[u8]]) {
    let data_len: usize = data.iter().map(|d| d.len()).sum();
    encode_header(out, false, true, 1 + name.len() + data_len);
    out.put_u8(name.len() as u8);
    out.put_slice(name);
    for d in data {
        out.put_slice(d);
    }
}

/// The commands of the NULL handshake and of the traffic phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// READY with the sender's metadata.
    Ready(Metadata),
    /// ERROR with a reason (0–255 bytes).
    Error(Bytes),
    /// Heartbeat request: TTL in deciseconds and up to 16 bytes of context.
    Ping {
        /// Time-to-live the sender asks us to apply, in deciseconds.
        ttl: u16,
        /// Opaque context to echo in the PONG.
        context: Bytes,
    },
    /// Heartbeat reply.
    Pong {
        /// The context of the PING being answered.
        context: Bytes,
    },
    /// Subscribe to messages starting with this prefix (ZMTP 3.1).
    Subscribe(Bytes),
    /// Cancel one subscription to this prefix (ZMTP 3.1).
    Cancel(Bytes),
    /// Any other command; ignored in the traffic phase (as libzmq).
    Other(RawCommand),
}

/// Longest PING context echoed in a PONG (RFC 37, libzmq).
pub const MAX_PING_CONTEXT: usize = 16;

impl Command {
    /// Interprets a raw command.
    pub fn decode(raw: RawCommand) -> Result<Command, ProtocolError> {
        Ok(match &raw.name[..] {
            b"READY" => Command::Ready(Metadata::decode(&raw.data)?),
            b"ERROR" => {
                let len = *raw
                    .data
                    .first()
                    .ok_or(ProtocolError::MalformedCommand { name: "ERROR" })?
                    as usize;
                if raw.data.len() < 1 + len {
                    return Err(ProtocolError::MalformedCommand { name: "ERROR" });
                }
                Command::Error(raw.data.slice(1..1 + len))
            }
            b"PING" => {
                // A PING shorter than its TTL is a protocol error (libzmq 4.3.5
                // over-reads here; spec-notes marks it do-not-copy).
                if raw.data.len() < 2 {
                    return Err(ProtocolError::MalformedCommand { name: "PING" });
                }
                let ttl = u16::from_be_bytes([raw.data[0], raw.data[1]]);
                let end = raw.data.len().min(2 + MAX_PING_CONTEXT);
                Command::Ping {
                    ttl,
                    context: raw.data.slice(2..end),
                }
            }
            b"PONG" => Command::Pong { context: raw.data },
            b"SUBSCRIBE" => Command::Subscribe(raw.data),
            b"CANCEL" => Command::Cancel(raw.data),
            _ => Command::Other(raw),
        })
    }

    /// Writes the whole command frame.
    pub fn encode(&self, out: &mut impl BufMut) {
        match self {
            Command::Ready(md) => {
                let mut body = Vec::with_capacity(md.encoded_len());
                md.encode(&mut body);
                encode_command(out, b"READY", &[&body]);
            }
            Command::Error(reason) => {
                let reason = &reason[..reason.len().min(255)];
                encode_command(out, b"ERROR", &[&[reason.len() as u8], reason]);
            }
            Command::Ping { ttl, context } => {
                let context = &context[..context.len().min(MAX_PING_CONTEXT)];
                encode_command(out, b"PING", &[&ttl.to_be_bytes(), context]);
            }
            Command::Pong { context } => encode_command(out, b"PONG", &[context]),
            Command::Subscribe(topic) => encode_command(out, b"SUBSCRIBE", &[topic]),
            Command::Cancel(topic) => encode_command(out, b"CANCEL", &[topic]),
            Command::Other(raw) => encode_command(out, &raw.name, &[&raw.data]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FrameDecoder;
    use bytes::BytesMut;

    fn encoded(cmd: &Command) -> Vec<u8> {
        let mut out = Vec::new();
        cmd.encode(&mut out);
        out
    }

    fn decoded(wire: &[u8]) -> Command {
        let mut buf = BytesMut::from(wire);
        let frame = FrameDecoder::new(None).decode(&mut buf).unwrap().unwrap();
        assert!(frame.command());
        Command::decode(RawCommand::decode(frame.body).unwrap()).unwrap()
    }

    #[test]
    fn spec_vectors() {
        // spec-notes §17.
        let sub = b"\x04\x0b\x09SUBSCRIBEA";
        assert_eq!(
            encoded(&Command::Subscribe(Bytes::from_static(b"A"))),
            sub.to_vec()
        );
        assert_eq!(decoded(sub), Command::Subscribe(Bytes::from_static(b"A")));
        let ping = b"\x04\x0a\x04PING\x00\x00LOL";
        let Command::Ping { ttl, context } = decoded(ping) else {
            panic!("not a ping")
        };
        assert_eq!(ttl, 0);
        assert_eq!(
            encoded(&Command::Pong { context }),
            b"\x04\x08\x04PONGLOL".to_vec()
        );
        let sub_ready = b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03SUB";
        let Command::Ready(md) = decoded(sub_ready) else {
            panic!("not ready")
        };
        assert_eq!(md.get("Socket-Type").unwrap(), &b"SUB"[..]);
        assert_eq!(encoded(&Command::Ready(md)), sub_ready.to_vec());
    }

    #[test]
    fn ping_context_truncated_to_16() {
        let mut wire = vec![0x04, 4 + 1 + 2 + 58, 4];
        wire.extend_from_slice(b"PING\x00\x00");
        wire.extend(std::iter::repeat_n(b'x', 58));
        let Command::Ping { context, .. } = decoded(&wire) else {
            panic!()
        };
        let pong = encoded(&Command::Pong { context });
        assert_eq!(pong[1], 0x15);
    }

    #[test]
    fn malformed_commands() {
        assert!(RawCommand::decode(Bytes::new()).is_err());
        assert!(RawCommand::decode(Bytes::from_static(b"\x05REA")).is_err());
        let raw = RawCommand::decode(Bytes::from_static(b"\x04PING\x00")).unwrap();
        assert!(Command::decode(raw).is_err());
        let raw = RawCommand::decode(Bytes::from_static(b"\x05ERROR\x05ab")).unwrap();
        assert!(Command::decode(raw).is_err());
        let raw = RawCommand::decode(Bytes::from_static(b"\x05ERROR\x03400")).unwrap();
        assert_eq!(
            Command::decode(raw).unwrap(),
            Command::Error(Bytes::from_static(b"400"))
        );
    }
}
