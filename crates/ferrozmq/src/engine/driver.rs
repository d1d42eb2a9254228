//! One connection: a stream, a `ferrozmq_proto::Connection`, and the pipes
//! to its socket. The driver reads in large chunks and decodes what it read,
//! as many messages as the inbound pipe has room for, before delivering the
//! whole batch to it (one lock, at most one wake-up); it drains the outbound
//! pipe in batches into one transmit queue and writes it with `writev`. A
//! full inbound pipe stops decoding and reading, which back-pressures the
//! peer through TCP.

use super::read::ReadError;
use super::wire::{self, DirectSend, Flushed, Wire};
use super::EngineNotify;
use crate::pipe::{Notify, PipeItem};
use crate::socket::core::{SendBypass, SocketCore};
use crate::socket::pattern::Peer;
use crate::transport::Stream;
use ferrozmq_proto::mechanism::Null;
use ferrozmq_proto::{Connection, ConnectionError, PeerInfo, SocketType};
use std::io::{self, IoSlice, Write};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Decoded messages held back while full reads keep coming, so that the
/// reader is woken once per batch rather than once per read (a read holds a
/// single frame when frames are large).
const DELIVER_BATCH: usize = 8;
/// Reads per turn before yielding to other connections.
const READ_BUDGET: usize = 16;
/// Writes per turn before yielding to other connections.
const WRITE_BUDGET: usize = 16;
/// Stop pulling from the pipe when this much is queued for the stream. A
/// stream of mid-sized messages is written in writes of up to this much
/// (like the raw byte stream's 1 MiB writes): at 256 KiB a tcp stream of
/// 4 KiB messages took three times as many `writev` calls, and each
/// pushes its segments through loopback's receive path on this thread.
const TRANSMIT_HIGH: usize = 1024 * 1024;
/// Items taken from the outbound pipe per lock.
const PIPE_BATCH: usize = 256;

/// How the connection came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    Accepted { listener: u64 },
    Session { id: u64 },
}

/// Why a connection ended. The causes are kept for the monitor's
/// Disconnected/HandshakeFailed events (a later issue).
#[derive(Debug)]
#[allow(dead_code, reason = "causes are read by the monitor, not yet built")]
pub(super) enum Closed {
    /// The peer closed the stream.
    Eof,
    /// The stream failed.
    Io(io::Error),
    /// A non-blocking connect failed.
    ConnectFailed(io::Error),
    /// The protocol layer gave up.
    Protocol(ConnectionError),
    /// The socket would not take the peer (PAIR's second, duplicate identity,
    /// closed socket).
    Refused,
    /// The socket closed and everything queued was written.
    Drained,
    /// The socket's linger period ended, or it disconnected or unbound.
    Abandoned,
}

impl Closed {
    /// Whether the session should dial again (spec-notes §1: protocol
    /// errors end the endpoint, losses and timeouts do not).
    pub(super) fn reconnects(&self) -> bool {
        match self {
            Closed::Eof | Closed::Io(_) | Closed::ConnectFailed(_) => true,
            Closed::Protocol(e) => e.is_transient(),
            Closed::Refused | Closed::Drained | Closed::Abandoned => false,
        }
    }
}

#[derive(Debug)]
pub(super) struct Driver {
    /// Stream and protocol state, shared with the send bypass.
    wire: Arc<Mutex<Wire>>,
    pub(super) socket: Arc<SocketCore>,
    pub(super) origin: Origin,
    pub(super) connecting: bool,
    /// Set when the socket closed: flush, then close. `Some(None)`: no deadline.
    pub(super) lingering: bool,
    pub(super) armed: Option<Instant>,
    notify: EngineNotify,
    peer: Option<Peer>,
    /// The peer was attached by this driver (and is detached when it ends);
    /// otherwise it belongs to a connect session and outlives the connection.
    owns_peer: bool,
    /// The connection's key in the socket's receive bypass, if registered.
    #[cfg(unix)]
    direct_key: Option<usize>,
}

impl Driver {
    pub(super) fn new(
        stream: Stream,
        socket: Arc<SocketCore>,
        origin: Origin,
        connecting: bool,
        peer: Option<Peer>,
        notify: EngineNotify,
        now: Instant,
    ) -> Driver {
        let config = socket.connection_config();
        Driver {
            wire: Wire::new(stream, Connection::new(config, Box::new(Null::new()), now)),
            socket,
            origin,
            connecting,
            lingering: false,
            armed: None,
            notify,
            peer,
            owns_peer: false,
            #[cfg(unix)]
            direct_key: None,
        }
    }

    /// Registers the stream with the loop's poller.
    pub(super) fn register(&self, registry: &mio::Registry, token: mio::Token) -> io::Result<()> {
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        registry.register(&mut wire::lock(&self.wire).stream, token, interest)
    }

    /// The protocol's next deadline.
    pub(super) fn deadline(&self) -> Option<Instant> {
        wire::lock(&self.wire).conn.poll_timeout()
    }

    pub(super) fn handle_timeout(&mut self, now: Instant) -> Result<(), Closed> {
        wire::lock(&self.wire)
            .conn
            .handle_timeout(now)
            .map_err(Closed::Protocol)
    }

    /// Does everything that can be done now without blocking.
    pub(super) fn run(&mut self) -> Result<(), Closed> {
        let wire = self.wire.clone();
        let mut w = wire::lock(&wire);
        if self.connecting {
            if let Some(e) = w.stream.take_error().map_err(Closed::Io)? {
                return Err(Closed::ConnectFailed(e));
            }
            if !w.stream.is_connected() {
                return Ok(());
            }
            self.connecting = false;
        }
        // A lingering connection still reads: its handshake may be in
        // progress, and EOF must be seen. What arrives is dropped, since the
        // closed socket's inbound pipes refuse it.
        if let Some(e) = w.failure.take() {
            return Err(Closed::Protocol(e));
        }
        self.read(&mut w)?;
        self.flush(&mut w)?;
        if self.lingering && self.drained_locked(&w) {
            return Err(Closed::Drained);
        }
        Ok(())
    }

    fn read(&mut self, w: &mut Wire) -> Result<(), Closed> {
        if w.read_blocked {
            if !w.deliver_stash() {
                return Ok(());
            }
            w.read_blocked = false;
        }
        for _ in 0..READ_BUDGET {
            // Input held back for lack of room is decoded before more is read.
            let mut more = true;
            if !w.held {
                match w.read_once() {
                    Ok((0, _)) => {
                        // EOF is seen again once the pipe has room for the rest.
                        if !w.deliver_stash() {
                            w.read_blocked = true;
                            return Ok(());
                        }
                        return Err(Closed::Eof);
                    }
                    Ok((_, full)) => more = full,
                    Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                        if !w.deliver_stash() {
                            w.read_blocked = true;
                            return Ok(());
                        }
                        w.input.idle();
                        return Ok(());
                    }
                    Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(ReadError::Io(e)) => return Err(Closed::Io(e)),
                    Err(ReadError::Protocol(e)) => return Err(Closed::Protocol(e)),
                }
            }
            self.decode(w)?;
            w.start_body().map_err(Closed::Protocol)?;
            if w.held {
                // The pipe takes no more for now: hand over what it does
                // take, then go on if it has room again, or wait for its
                // reader to wake us (`Pipe::room` arranged that).
                if !w.deliver_stash() || w.room_left() == 0 {
                    w.read_blocked = true;
                    return Ok(());
                }
                continue;
            }
            // Read on before waking the reader, unless a batch is ready.
            let batch_ready = !more || w.stash.len() >= DELIVER_BATCH;
            if batch_ready && !w.deliver_stash() {
                w.read_blocked = true;
                return Ok(());
            }
        }
        if !w.deliver_stash() {
            w.read_blocked = true;
            return Ok(());
        }
        // Budget spent with data left: come back after the other connections.
        self.notify.notify();
        Ok(())
    }

    /// Decodes the read buffer into the stash, as far as the inbound pipe
    /// has room; the handshake's end attaches the pipe, after which the
    /// messages right behind it are decoded too. Messages decoded before an
    /// error are still delivered (`close` hands over what is left in the
    /// stash).
    fn decode(&mut self, w: &mut Wire) -> Result<(), Closed> {
        let mut handshake = None;
        let mut result = w.decode_input(|info| handshake = Some(info));
        if let Some(info) = handshake {
            self.attach(w, info)?;
            if result.is_ok() {
                result = w.decode_input(|_| {});
            }
        }
        result.map_err(Closed::Protocol)
    }

    fn attach(&mut self, w: &mut Wire, info: PeerInfo) -> Result<(), Closed> {
        let peer = match self.peer.take() {
            Some(peer) => peer,
            None => {
                let peer = self.socket.new_peer(info.identity.clone(), false);
                let outgoing = matches!(self.origin, Origin::Session { .. });
                if !self.socket.attach(&peer, outgoing) {
                    return Err(Closed::Refused);
                }
                self.owns_peer = true;
                peer
            }
        };
        peer.out.set_reader(Notify::Engine(self.notify.clone()));
        peer.inp.set_writer(Notify::Engine(self.notify.clone()));
        w.inbound = Some(peer.inp.clone());
        if self.socket.kind.uses_send_bypass() {
            peer.out.set_bypass(Some(Arc::new(DirectSend {
                wire: self.wire.clone(),
                notify: self.notify.clone(),
                spaced: self.socket.bypass_ok.clone(),
            })));
        }
        #[cfg(unix)]
        if let Some(direct) = self.socket.direct_recv() {
            self.direct_key = direct.add(&self.wire, &w.stream, &self.notify);
        }
        if matches!(self.socket.kind, SocketType::Sub | SocketType::XSub) {
            self.socket.refresh_subscriptions(&peer.out);
        }
        self.peer = Some(peer);
        Ok(())
    }

    fn fill_transmit(&mut self, w: &mut Wire) {
        let Some(peer) = &self.peer else { return };
        if !w.conn.is_ready() {
            return;
        }
        while w.conn.transmit_len() < TRANSMIT_HIGH {
            if w.out_batch.is_empty() && peer.out.pop_batch(&mut w.out_batch, PIPE_BATCH) == 0 {
                return;
            }
            while let Some(item) = w.out_batch.pop_front() {
                // Cannot fail: the connection is ready.
                let _ = match item {
                    PipeItem::Msg(m) => w.conn.send_owned(m),
                    PipeItem::Inline(i) => w.conn.send_slice(i.as_slice()),
                    PipeItem::Subscribe(t) => w.conn.subscribe(&t),
                    PipeItem::Cancel(t) => w.conn.cancel(&t),
                };
                if w.conn.transmit_len() >= TRANSMIT_HIGH {
                    break;
                }
            }
        }
    }

    fn flush(&mut self, w: &mut Wire) -> Result<(), Closed> {
        for _ in 0..WRITE_BUDGET {
            self.fill_transmit(w);
            match w.write_out(1) {
                // Before the handshake is done, queued messages must wait:
                // the read that completes it is followed by a flush.
                Some(Flushed::All)
                    if !w.conn.is_ready() || (w.out_batch.is_empty() && !self.has_queued()) =>
                {
                    return Ok(())
                }
                Some(Flushed::All) | None => {}
                Some(Flushed::Blocked) => return Ok(()),
                Some(Flushed::Eof) => return Err(Closed::Eof),
                Some(Flushed::Failed(e)) => return Err(Closed::Io(e)),
            }
        }
        self.notify.notify();
        Ok(())
    }

    fn has_queued(&self) -> bool {
        self.peer.as_ref().is_some_and(|p| p.out.len() > 0)
    }

    /// Whether nothing is left to send.
    fn drained_locked(&self, w: &Wire) -> bool {
        w.conn.transmit_len() == 0 && w.out_batch.is_empty() && !self.has_queued()
    }

    /// Ends the connection: one last non-blocking write (an ERROR command
    /// may be queued), then the pipes are detached or handed back.
    pub(super) fn close(mut self, registry: &mio::Registry) {
        if let Some(peer) = &self.peer {
            peer.out.set_bypass(None);
        }
        {
            let mut w = wire::lock(&self.wire);
            // Messages decoded before the end: to the reader, as far as its
            // pipe has room (what does not fit is lost, as in libzmq).
            w.deliver_stash();
            w.inbound = None;
            w.closed = true;
            #[cfg(unix)]
            if let (Some(direct), Some(key)) = (self.socket.direct_recv(), self.direct_key) {
                direct.remove(key);
            }
            let mut slices = [IoSlice::new(&[]); 8];
            let n = w.conn.transmit_slices(&mut slices);
            if n > 0 && !self.connecting {
                let bytes: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
                let _ = w.stream.write(&bytes);
            }
            let _ = registry.deregister(&mut w.stream);
            w.stream.shutdown();
        }
        if let Some(peer) = self.peer.take() {
            if self.owns_peer {
                self.socket.detach(peer.id);
            } else {
                // The session keeps these pipes for the next connection.
                peer.out.set_reader(Notify::Nobody);
                peer.inp.set_writer(Notify::Nobody);
            }
        }
    }
}
