//! The seam between a socket and its messaging pattern.
//!
//! A [`Pattern`] is a socket type's routing: it owns the pipes to its peers
//! and decides where a sent message goes and which received message comes
//! next. Patterns are composed from small strategies ([`LoadBalancer`],
//! [`FairQueue`]) and know nothing of I/O: they are unit-tested with pipes
//! alone.
//!
//! [`LoadBalancer`]: super::lb::LoadBalancer
//! [`FairQueue`]: super::fq::FairQueue

use super::options::Options;
use crate::error::Error;
use crate::pipe::Pipe;
use bytes::Bytes;
use ferrozmq_proto::{Message, SocketType};
use std::fmt::Debug;
use std::sync::Arc;

/// Identifies one peer (one pipe pair) of a socket for its whole life.
pub(crate) type PeerId = u64;

/// One peer as a pattern sees it.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    pub(crate) id: PeerId,
    /// Socket → peer.
    pub(crate) out: Arc<Pipe>,
    /// Peer → socket.
    pub(crate) inp: Arc<Pipe>,
    /// The `Identity` the peer announced (or the inproc peer's routing id).
    pub(crate) routing_id: Bytes,
}

/// Why a send did not complete.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No peer can take the message now: wait for the writable signal and retry.
    Full(Message),
    /// The send failed for good.
    Fail(Error),
}

/// Why a receive returned nothing.
#[derive(Debug)]
pub(crate) enum RecvError {
    /// Nothing to receive now: wait for the readable signal and retry.
    Empty,
    /// The receive failed for good.
    Fail(Error),
}

/// A socket type's routing behaviour.
pub(crate) trait Pattern: Send + Debug {
    /// A new peer is ready. Returns false if the pattern refuses it (PAIR's
    /// second peer, ROUTER's duplicate identity); the caller then drops it.
    fn attach(&mut self, peer: &Peer, opts: &Options) -> bool;

    /// A peer is gone. Its inbound pipe may still hold messages to deliver.
    fn detach(&mut self, id: PeerId);

    /// Routes one message.
    fn send(&mut self, msg: Message, opts: &Options) -> Result<(), SendError>;

    /// Returns the next message for the application.
    fn recv(&mut self, opts: &Options) -> Result<Message, RecvError>;

    /// SUB's subscribe/unsubscribe.
    fn subscribe(&mut self, _topic: &[u8], _on: bool) -> Result<(), Error> {
        Err(Error::InvalidState)
    }

    /// Prefixes to (re)send to a publisher on (re)connection.
    fn subscriptions(&self) -> Vec<Bytes> {
        Vec::new()
    }

    /// After a send: the pipe a blocking sender should pace on, if the
    /// message was large and the pipe holds more than the pacing budget
    /// (see `pipe`). Only types that block at the HWM pace.
    fn take_pacing(&mut self) -> Option<Arc<Pipe>> {
        None
    }
}

/// The pattern for a socket type.
pub(crate) fn new_pattern(kind: SocketType) -> Box<dyn Pattern> {
    use super::*;
    match kind {
        SocketType::Push => Box::new(push::Push::default()),
        SocketType::Pull => Box::new(pull::Pull::default()),
        SocketType::Pair => Box::new(pair::Pair::default()),
        SocketType::Dealer => Box::new(dealer::Dealer::default()),
        SocketType::Req => Box::new(req::Req::default()),
        SocketType::Rep => Box::new(rep::Rep::default()),
        SocketType::Router => Box::new(router::Router::new()),
        SocketType::Pub => Box::new(publisher::Publisher::new(false)),
        SocketType::XPub => Box::new(publisher::Publisher::new(true)),
        SocketType::Sub => Box::new(subscriber::Subscriber::new(false)),
        SocketType::XSub => Box::new(subscriber::Subscriber::new(true)),
        SocketType::Stream => Box::new(unsupported::Unsupported),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Fake peers for pattern unit tests.
    use super::*;
    use crate::pipe::{Notify, Pop};

    pub(crate) fn peer(id: PeerId, hwm: usize) -> Peer {
        Peer {
            id,
            out: Pipe::new(hwm, Notify::Nobody, Notify::Nobody),
            inp: Pipe::new(hwm, Notify::Nobody, Notify::Nobody),
            routing_id: Bytes::new(),
        }
    }

    /// What the peer received from the socket, messages only.
    pub(crate) fn sent_to(peer: &Peer) -> Vec<Message> {
        let mut out = Vec::new();
        while let Pop::Item(item) = peer.out.pop() {
            out.extend(item.into_message());
        }
        out
    }

    pub(crate) fn deliver(peer: &Peer, msg: impl Into<Message>) {
        peer.inp.try_push(msg.into()).unwrap();
    }
}
