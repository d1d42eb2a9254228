//! ZeroMQ socket types as they appear in the `Socket-Type` metadata property,
//! and which pairs of them may talk to each other (RFC 37 §Socket-Type).

use std::fmt;

/// The type of a ZeroMQ socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketType {
    /// Exclusive pair (RFC 31).
    Pair,
    /// Publisher (RFC 29).
    Pub,
    /// Subscriber (RFC 29).
    Sub,
    /// Extended publisher: receives subscriptions as messages.
    XPub,
    /// Extended subscriber: sends subscriptions as messages.
    XSub,
    /// Requester (RFC 28).
    Req,
    /// Replier (RFC 28).
    Rep,
    /// Asynchronous requester (RFC 28).
    Dealer,
    /// Asynchronous replier with identity routing (RFC 28).
    Router,
    /// Pipeline producer (RFC 30).
    Push,
    /// Pipeline consumer (RFC 30).
    Pull,
    /// Raw TCP, no ZMTP.
    Stream,
}

impl SocketType {
    /// Every socket type, in libzmq's numbering order.
    pub const ALL: [SocketType; 12] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::XPub,
        SocketType::XSub,
        SocketType::Stream,
    ];

    /// The name sent in the `Socket-Type` property (upper case, as libzmq).
    pub fn as_str(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Push => "PUSH",
            SocketType::Pull => "PULL",
            SocketType::Stream => "STREAM",
        }
    }

    /// Parses a `Socket-Type` value. Names are matched exactly, as libzmq does.
    pub fn from_name(name: &[u8]) -> Option<SocketType> {
        SocketType::ALL
            .into_iter()
            .find(|t| t.as_str().as_bytes() == name)
    }

    /// Whether a socket of this type accepts a peer of type `peer`
    /// (RFC 37 §Socket-Type; libzmq `check_socket_type`).
    pub fn accepts(self, peer: SocketType) -> bool {
        use SocketType::*;
        match self {
            Req => matches!(peer, Rep | Router),
            Rep => matches!(peer, Req | Dealer),
            Dealer => matches!(peer, Rep | Dealer | Router),
            Router => matches!(peer, Req | Dealer | Router),
            Pub | XPub => matches!(peer, Sub | XSub),
            Sub | XSub => matches!(peer, Pub | XPub),
            Push => peer == Pull,
            Pull => peer == Push,
            Pair => peer == Pair,
            Stream => false,
        }
    }

    /// Whether this type sends an `Identity` property in its READY
    /// (libzmq sends it from REQ, DEALER and ROUTER only, even when empty).
    pub fn sends_identity(self) -> bool {
        matches!(
            self,
            SocketType::Req | SocketType::Dealer | SocketType::Router
        )
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in SocketType::ALL {
            assert_eq!(SocketType::from_name(t.as_str().as_bytes()), Some(t));
        }
        assert_eq!(SocketType::from_name(b"push"), None);
    }

    #[test]
    fn compatibility_is_symmetric() {
        for a in SocketType::ALL {
            for b in SocketType::ALL {
                assert_eq!(a.accepts(b), b.accepts(a), "{a} {b}");
            }
        }
        assert!(SocketType::Req.accepts(SocketType::Router));
        assert!(!SocketType::Push.accepts(SocketType::Push));
    }
}
