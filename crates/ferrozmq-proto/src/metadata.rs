//! Connection metadata: the properties carried by READY (and PLAIN/CURVE's
//! INITIATE): `name-len u8 | name | value-len u32 BE | value`, repeated
//! (RFC 23/37 §Connection Metadata).

use crate::error::ProtocolError;
use bytes::{BufMut, Bytes};

/// Property name of the sender's socket type.
pub const SOCKET_TYPE: &str = "Socket-Type";
/// Property name of the routing id the sender asks a ROUTER to use.
pub const IDENTITY: &str = "Identity";

/// An ordered list of metadata properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    properties: Vec<(String, Bytes)>,
}

impl Metadata {
    /// Empty metadata.
    pub fn new() -> Metadata {
        Metadata::default()
    }

    /// Appends a property. Names longer than 255 bytes are truncated
    /// (the wire cannot carry them).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Bytes>) {
        let mut name = name.into();
        if name.len() > 255 {
            let mut end = 255;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            name.truncate(end);
        }
        self.properties.push((name, value.into()));
    }

    /// The value of the first property with this name. Names are compared
    /// case-insensitively, as RFC 37 says (libzmq compares exactly, so we
    /// always *send* the canonical spelling).
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.properties
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All properties in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.properties.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of bytes [`encode`](Metadata::encode) writes.
    pub fn encoded_len(&self) -> usize {
        self.properties
            .iter()
            .map(|(n, v)| 1 + n.len() + 4 + v.len())
            .sum()
    }

    /// Appends the wire form to `out`.
    pub fn encode(&self, out: &mut impl BufMut) {
        for (name, value) in &self.properties {
            out.put_u8(name.len() as u8);
            out.put_slice(name.as_bytes());
            out.put_u32(value.len() as u32);
            out.put_slice(value);
        }
    }

    /// Parses the wire form. As libzmq, trailing bytes too short to hold a
    /// property (fewer than 2) are ignored; a property that runs past the
    /// end is an error.
    pub fn decode(mut data: &[u8]) -> Result<Metadata, ProtocolError> {
        let mut md = Metadata::new();
        while data.len() >= 2 {
            let name_len = data[0] as usize;
            if name_len == 0 || data.len() < 1 + name_len + 4 {
                return Err(ProtocolError::MalformedMetadata);
            }
            let name = &data[1..1 + name_len];
            if !name
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.+".contains(b))
            {
                return Err(ProtocolError::MalformedMetadata);
            }
            let len_at = 1 + name_len;
            let value_len =
                u32::from_be_bytes(data[len_at..len_at + 4].try_into().expect("4 bytes")) as usize;
            let value_at = len_at + 4;
            if value_len > data.len() - value_at {
                return Err(ProtocolError::MalformedMetadata);
            }
            let name = String::from_utf8_lossy(name).into_owned();
            md.insert(
                name,
                Bytes::copy_from_slice(&data[value_at..value_at + value_len]),
            );
            data = &data[value_at + value_len..];
        }
        Ok(md)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut md = Metadata::new();
        md.insert(SOCKET_TYPE, &b"DEALER"[..]);
        md.insert(IDENTITY, Bytes::new());
        let mut out = Vec::new();
        md.encode(&mut out);
        assert_eq!(out.len(), md.encoded_len());
        // spec-notes §9: the DEALER READY body after `05 READY`.
        assert_eq!(
            out,
            b"\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00"
        );
        let back = Metadata::decode(&out).unwrap();
        assert_eq!(back, md);
        assert_eq!(back.get("socket-type").unwrap(), &b"DEALER"[..]);
    }

    #[test]
    fn tolerates_one_trailing_byte_rejects_overrun() {
        assert!(Metadata::decode(b"\x00").unwrap().iter().next().is_none());
        assert_eq!(
            Metadata::decode(b"\x03abc\x00\x00\x00\x09xyz"),
            Err(ProtocolError::MalformedMetadata)
        );
        assert_eq!(
            Metadata::decode(b"\x03a c\x00\x00\x00\x00"),
            Err(ProtocolError::MalformedMetadata)
        );
    }
}
