//! The 64-byte greeting that opens every ZMTP 3.x connection
//! (RFC 23 §Greeting, RFC 37).

use crate::error::ProtocolError;

/// Length of a ZMTP 3.x greeting.
pub const GREETING_LEN: usize = 64;

/// The 20-byte, NUL-padded mechanism name carried in the greeting.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MechanismName([u8; 20]);

impl MechanismName {
    /// The NULL mechanism.
    pub const NULL: MechanismName = MechanismName::new(b"NULL");
    /// The PLAIN mechanism (RFC 24).
    pub const PLAIN: MechanismName = MechanismName::new(b"PLAIN");
    /// The CURVE mechanism (RFC 25).
    pub const CURVE: MechanismName = MechanismName::new(b"CURVE");

    /// Builds a name from at most 20 ASCII bytes (longer input is truncated).
    pub const fn new(name: &[u8]) -> MechanismName {
        let mut bytes = [0u8; 20];
        let mut i = 0;
        while i < name.len() && i < 20 {
            bytes[i] = name[i];
            i += 1;
        }
        MechanismName(bytes)
    }

    /// The name without its NUL padding.
    pub fn as_bytes(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(20);
        &self.0[..end]
    }
}

impl std::fmt::Debug for MechanismName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl std::fmt::Display for MechanismName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

/// A decoded greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Greeting {
    /// Major protocol version (3 for ZMTP 3.x).
    pub major: u8,
    /// Minor protocol version (1 for ZMTP 3.1, 0 for 3.0).
    pub minor: u8,
    /// Security mechanism name.
    pub mechanism: MechanismName,
    /// The as-server bit. libzmq always sends 0 and never reads it.
    pub as_server: bool,
}

impl Greeting {
    /// The greeting we send: ZMTP 3.1 with the given mechanism.
    pub fn ours(mechanism: MechanismName, as_server: bool) -> Greeting {
        Greeting {
            major: 3,
            minor: 1,
            mechanism,
            as_server,
        }
    }

    /// Encodes the greeting. Padding and filler are zeros (RFC 23 advice).
    pub fn encode(&self) -> [u8; GREETING_LEN] {
        let mut out = [0u8; GREETING_LEN];
        out[0] = 0xFF;
        out[9] = 0x7F;
        out[10] = self.major;
        out[11] = self.minor;
        out[12..32].copy_from_slice(&self.mechanism.0);
        out[32] = self.as_server as u8;
        out
    }

    /// Checks what can be checked of a partial greeting, so that a peer that
    /// does not speak ZMTP 3.x is dropped as soon as possible instead of after
    /// the handshake timeout.
    pub fn check_prefix(buf: &[u8]) -> Result<(), ProtocolError> {
        // RFC 23 §Version Negotiation: signature is 0xFF, 8 bytes padding, 0x7F
        // (libzmq only looks at bit 0 of byte 9).
        if !buf.is_empty() && buf[0] != 0xFF {
            return Err(ProtocolError::NotZmtp);
        }
        if buf.len() > 9 && buf[9] & 0x01 == 0 {
            return Err(ProtocolError::NotZmtp);
        }
        if buf.len() > 10 && buf[10] < 3 {
            return Err(ProtocolError::UnsupportedVersion { major: buf[10] });
        }
        Ok(())
    }

    /// Decodes a complete greeting from the first [`GREETING_LEN`] bytes of `buf`.
    pub fn decode(buf: &[u8]) -> Result<Greeting, ProtocolError> {
        Greeting::check_prefix(buf)?;
        if buf.len() < GREETING_LEN {
            return Err(ProtocolError::Truncated);
        }
        let mut mechanism = [0u8; 20];
        mechanism.copy_from_slice(&buf[12..32]);
        Ok(Greeting {
            major: buf[10],
            minor: buf[11],
            mechanism: MechanismName(mechanism),
            as_server: buf[32] == 1,
        })
    }

    /// The ZMTP minor version to speak with this peer: 3.1 features are used
    /// with peers announcing 3.1 or later, including any major above 3.
    pub fn effective_minor(&self) -> u8 {
        if self.major > 3 {
            1
        } else {
            self.minor.min(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // spec-notes §17: NULL 3.0 greeting as used by libzmq's raw-socket tests.
    const LIBZMQ_NULL_30: [u8; 64] = {
        let mut g = [0u8; 64];
        g[0] = 0xFF;
        g[9] = 0x7F;
        g[10] = 3;
        g[12] = b'N';
        g[13] = b'U';
        g[14] = b'L';
        g[15] = b'L';
        g
    };

    #[test]
    fn decodes_libzmq_vector() {
        let g = Greeting::decode(&LIBZMQ_NULL_30).unwrap();
        assert_eq!(g.major, 3);
        assert_eq!(g.minor, 0);
        assert_eq!(g.mechanism, MechanismName::NULL);
        assert!(!g.as_server);
    }

    #[test]
    fn encode_round_trips() {
        let g = Greeting::ours(MechanismName::PLAIN, true);
        let bytes = g.encode();
        assert_eq!(Greeting::decode(&bytes).unwrap(), g);
        let mut v31 = LIBZMQ_NULL_30;
        v31[11] = 1;
        assert_eq!(Greeting::ours(MechanismName::NULL, false).encode(), v31);
    }

    #[test]
    fn ignores_libzmq_padding() {
        // libzmq writes routing_id_len + 1 as a big-endian u64 into bytes 1..9.
        let mut g = LIBZMQ_NULL_30;
        g[8] = 1;
        assert!(Greeting::decode(&g).is_ok());
    }

    #[test]
    fn rejects_garbage_early() {
        assert_eq!(
            Greeting::check_prefix(b"GET / HTTP"),
            Err(ProtocolError::NotZmtp)
        );
        let mut g = LIBZMQ_NULL_30;
        g[9] = 0x7E;
        assert_eq!(
            Greeting::check_prefix(&g[..10]),
            Err(ProtocolError::NotZmtp)
        );
        g[9] = 0x7F;
        g[10] = 1;
        assert_eq!(
            Greeting::check_prefix(&g[..11]),
            Err(ProtocolError::UnsupportedVersion { major: 1 })
        );
        assert!(Greeting::check_prefix(&LIBZMQ_NULL_30[..5]).is_ok());
    }

    #[test]
    fn later_versions_speak_31() {
        let mut g = Greeting::ours(MechanismName::NULL, false);
        g.major = 4;
        g.minor = 0;
        assert_eq!(g.effective_minor(), 1);
        g.major = 3;
        g.minor = 7;
        assert_eq!(g.effective_minor(), 1);
    }
}
