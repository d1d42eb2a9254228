//! [`SocketCore`]: a socket's shared state, used by user threads (through
//! [`Socket`](crate::Socket)) and by I/O threads (attaching and detaching
//! peers). One mutex guards the pattern and options; it is never held while
//! blocking or doing I/O.

use super::options::Options;
use super::pattern::{new_pattern, Pattern, Peer, PeerId, RecvError, SendError};
use crate::context::ContextShared;
use crate::error::Error;
use crate::pipe::{Notify, Pipe, PipeItem};
use crate::signal::Signal;
use bytes::Bytes;
use ferrozmq_proto::{ConnectionConfig, Message, SocketType};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// Sends closer together than this (on one socket) are left to the I/O
/// thread's batching instead of taking the send bypass.
pub(crate) const BYPASS_GAP: Duration = Duration::from_micros(20);

/// Which socket types write spaced-out sends themselves.
pub(crate) trait SendBypass {
    /// REQ and REP have at most one message in flight per peer, so batching
    /// cannot help them and the hand-off to the I/O thread is pure latency.
    /// Streams (PUSH, PUB, DEALER, ROUTER, PAIR) measured slower with the
    /// bypass: a server that keeps up with its input sends "spaced out"
    /// messages and paid a syscall for each (docs/BENCHMARKS.md).
    fn uses_send_bypass(self) -> bool;
}

impl SendBypass for SocketType {
    fn uses_send_bypass(self) -> bool {
        matches!(self, SocketType::Req | SocketType::Rep)
    }
}

/// A bound or connected endpoint, for unbind/disconnect.
#[derive(Debug, Clone)]
pub(crate) struct EndpointRecord {
    pub(crate) id: u64,
    /// As the user wrote it.
    pub(crate) given: String,
    /// As `last_endpoint` reports it.
    pub(crate) resolved: String,
    pub(crate) bound: bool,
    pub(crate) inproc: bool,
}

#[derive(Debug)]
struct PeerEntry {
    peer: Peer,
    inproc: bool,
    /// For inproc: the socket at the other end and its id for us.
    remote: Option<(Weak<SocketCore>, PeerId)>,
    /// For inproc: the endpoint id that created it.
    endpoint: Option<u64>,
}

#[derive(Debug)]
struct State {
    last_send: Option<Instant>,
    options: Options,
    pattern: Box<dyn Pattern>,
    peers: HashMap<PeerId, PeerEntry>,
    next_peer: PeerId,
    closed: bool,
    last_endpoint: String,
    endpoints: Vec<EndpointRecord>,
}

#[derive(Debug)]
pub(crate) struct SocketCore {
    /// Set for the duration of a send when the previous send was at least
    /// `BYPASS_GAP` earlier: only then may a connection take the send
    /// bypass. Judged per socket, not per connection, and only for REQ and
    /// REP (see `SendBypass`), so streams keep the I/O thread's batching.
    pub(crate) bypass_ok: Arc<AtomicBool>,
    pub(crate) id: u64,
    pub(crate) kind: SocketType,
    pub(crate) ctx: Arc<ContextShared>,
    pub(crate) readable: Arc<Signal>,
    pub(crate) writable: Arc<Signal>,
    /// SNDTIMEO and RCVTIMEO, mirrored from the options so that every
    /// blocking send and recv does not take the state lock twice.
    sndtimeo: TimeoutCell,
    rcvtimeo: TimeoutCell,
    /// The receive bypass, for the socket types that use the send bypass
    /// (one message in flight per peer, so a waiting reader is the common
    /// case).
    #[cfg(unix)]
    direct_recv: Option<crate::engine::DirectRecv>,
    state: Mutex<State>,
}

/// An `Option<Duration>` in an atomic: nanoseconds, `u64::MAX` for none.
#[derive(Debug)]
struct TimeoutCell(AtomicU64);

impl TimeoutCell {
    fn new(value: Option<Duration>) -> TimeoutCell {
        let cell = TimeoutCell(AtomicU64::new(u64::MAX));
        cell.set(value);
        cell
    }

    fn set(&self, value: Option<Duration>) {
        // Durations beyond ~584 years are as good as forever.
        let nanos = value.map_or(u64::MAX, |d| {
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
        });
        self.0.store(nanos, Ordering::Relaxed);
    }

    fn get(&self) -> Option<Duration> {
        match self.0.load(Ordering::Relaxed) {
            u64::MAX => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }
}

impl SocketCore {
    pub(crate) fn new(id: u64, kind: SocketType, ctx: Arc<ContextShared>) -> SocketCore {
        SocketCore {
            id,
            kind,
            ctx,
            readable: Arc::new(Signal::new()),
            writable: Arc::new(Signal::new()),
            bypass_ok: Arc::new(AtomicBool::new(false)),
            sndtimeo: TimeoutCell::new(Options::default().sndtimeo),
            rcvtimeo: TimeoutCell::new(Options::default().rcvtimeo),
            #[cfg(unix)]
            direct_recv: kind.uses_send_bypass().then(Default::default),
            state: Mutex::new(State {
                last_send: None,
                options: Options::default(),
                pattern: new_pattern(kind),
                peers: HashMap::new(),
                next_peer: 1,
                closed: false,
                last_endpoint: String::new(),
                endpoints: Vec::new(),
            }),
        }
    }

    /// The receive bypass (REQ and REP).
    #[cfg(unix)]
    pub(crate) fn direct_recv(&self) -> Option<&crate::engine::DirectRecv> {
        self.direct_recv.as_ref()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check_open(&self, state: &State) -> Result<(), Error> {
        if self.ctx.is_terminated() {
            Err(Error::ContextTerminated)
        } else if state.closed {
            Err(Error::SocketClosed)
        } else {
            Ok(())
        }
    }

    /// Sends one message; on success, the pipe a blocking sender should
    /// pace on, if any (see `pipe`).
    pub(crate) fn try_send(&self, msg: Message) -> Result<Option<Arc<Pipe>>, SendError> {
        let mut state = self.lock();
        if let Err(e) = self.check_open(&state) {
            return Err(SendError::Fail(e));
        }
        // The gap runs from the end of the previous send: a send that is
        // slow itself (a publisher with 64 subscribers) must not make the
        // next one look spaced out.
        if !self.kind.uses_send_bypass() {
            // No clock reads on the streaming types' hot path.
            let State {
                options, pattern, ..
            } = &mut *state;
            pattern.send(msg, options)?;
            return Ok(pattern.take_pacing());
        }
        let spaced = state.last_send.is_none_or(|t| t.elapsed() >= BYPASS_GAP);
        self.bypass_ok.store(spaced, Ordering::Relaxed);
        let State {
            options, pattern, ..
        } = &mut *state;
        let result = pattern.send(msg, options);
        self.bypass_ok.store(false, Ordering::Relaxed);
        state.last_send = Some(Instant::now());
        result.map(|()| None)
    }

    pub(crate) fn try_recv(&self) -> Result<Message, RecvError> {
        let mut state = self.lock();
        if let Err(e) = self.check_open(&state) {
            return Err(RecvError::Fail(e));
        }
        let State {
            options, pattern, ..
        } = &mut *state;
        pattern.recv(options)
    }

    pub(crate) fn subscribe(&self, topic: &[u8], on: bool) -> Result<(), Error> {
        let mut state = self.lock();
        self.check_open(&state)?;
        state.pattern.subscribe(topic, on)
    }

    pub(crate) fn options(&self) -> Options {
        self.lock().options.clone()
    }

    pub(crate) fn with_options<T>(&self, f: impl FnOnce(&mut Options) -> T) -> T {
        let mut state = self.lock();
        let result = f(&mut state.options);
        self.sndtimeo.set(state.options.sndtimeo);
        self.rcvtimeo.set(state.options.rcvtimeo);
        result
    }

    /// SNDTIMEO, without taking the state lock.
    pub(crate) fn sndtimeo(&self) -> Option<Duration> {
        self.sndtimeo.get()
    }

    /// RCVTIMEO, without taking the state lock.
    pub(crate) fn rcvtimeo(&self) -> Option<Duration> {
        self.rcvtimeo.get()
    }

    pub(crate) fn reconnect_settings(&self) -> (Option<Duration>, Duration) {
        let state = self.lock();
        (state.options.reconnect_ivl, state.options.reconnect_ivl_max)
    }

    /// What a new connection's protocol state needs.
    pub(crate) fn connection_config(&self) -> ConnectionConfig {
        let state = self.lock();
        let o = &state.options;
        ConnectionConfig {
            socket_type: self.kind,
            identity: o.routing_id.clone(),
            max_message_size: o.maxmsgsize.map(|m| m as u64),
            handshake_timeout: o.handshake_ivl,
        }
    }

    fn next_peer_id(state: &mut State) -> PeerId {
        let id = state.next_peer;
        state.next_peer += 1;
        id
    }

    /// A new pipe pair toward a network peer; the I/O side's notify is set
    /// by the driver that serves it.
    pub(crate) fn new_peer(&self, routing_id: Bytes, _inproc: bool) -> Peer {
        let mut state = self.lock();
        let id = Self::next_peer_id(&mut state);
        let (sndhwm, rcvhwm, conflate) = (
            state.options.sndhwm,
            state.options.rcvhwm,
            state.options.conflate,
        );
        drop(state);
        Peer {
            id,
            out: Pipe::new_with(
                sndhwm,
                conflate,
                Notify::Nobody,
                Notify::Signal(self.writable.clone()),
            ),
            inp: Pipe::new_with(
                rcvhwm,
                conflate,
                Notify::Signal(self.readable.clone()),
                Notify::Nobody,
            ),
            routing_id,
        }
    }

    /// Hands a peer to the pattern. False if refused (or the socket closed).
    pub(crate) fn attach(&self, peer: &Peer, outgoing: bool) -> bool {
        self.attach_entry(peer, outgoing, false, None, None)
    }

    fn attach_entry(
        &self,
        peer: &Peer,
        outgoing: bool,
        inproc: bool,
        remote: Option<(Weak<SocketCore>, PeerId)>,
        endpoint: Option<u64>,
    ) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        let State {
            options, pattern, ..
        } = &mut *state;
        if !pattern.attach(peer, options) {
            return false;
        }
        // ZMQ_PROBE_ROUTER: an empty message on connect lets a ROUTER peer
        // learn our routing id.
        if outgoing
            && options.probe_router
            && matches!(
                self.kind,
                SocketType::Router | SocketType::Dealer | SocketType::Req
            )
        {
            let _ = peer.out.try_push(Message::from(Bytes::new()));
        }
        state.peers.insert(
            peer.id,
            PeerEntry {
                peer: peer.clone(),
                inproc: inproc || remote.is_some(),
                remote,
                endpoint,
            },
        );
        drop(state);
        self.readable.notify();
        self.writable.notify();
        true
    }

    /// Removes a peer from the pattern and the peer table.
    fn take_peer(&self, id: PeerId) -> Option<PeerEntry> {
        let mut state = self.lock();
        state.pattern.detach(id);
        state.peers.remove(&id)
    }

    /// The peer is gone: outbound queue dropped, inbound drained by the pattern.
    pub(crate) fn detach(&self, id: PeerId) {
        if let Some(entry) = self.take_peer(id) {
            entry.peer.out.close_reader();
            entry.peer.inp.close_writer();
            if let Some((remote, remote_id)) = entry.remote {
                if let Some(remote) = remote.upgrade() {
                    remote.detach(remote_id);
                }
            }
        }
        self.writable.notify();
        self.readable.notify();
    }

    /// Re-sends the current subscriptions to a (re)connected publisher,
    /// replacing any subscription items still queued (so none is doubled).
    pub(crate) fn refresh_subscriptions(&self, out: &Arc<Pipe>) {
        let state = self.lock();
        out.purge_control();
        for topic in state.pattern.subscriptions() {
            out.push_control(PipeItem::Subscribe(topic));
        }
    }

    pub(crate) fn set_last_endpoint(&self, ep: String) {
        self.lock().last_endpoint = ep;
    }

    pub(crate) fn last_endpoint(&self) -> String {
        self.lock().last_endpoint.clone()
    }

    pub(crate) fn add_endpoint(&self, record: EndpointRecord) {
        self.lock().endpoints.push(record);
    }

    /// Removes and returns the endpoint matching `ep` (as given or resolved).
    pub(crate) fn take_endpoint(&self, ep: &str, bound: bool) -> Option<EndpointRecord> {
        let mut state = self.lock();
        let i = state
            .endpoints
            .iter()
            .position(|r| r.bound == bound && (r.resolved == ep || r.given == ep))?;
        Some(state.endpoints.remove(i))
    }

    /// Peers created by an inproc endpoint.
    pub(crate) fn peers_of_endpoint(&self, endpoint: u64) -> Vec<PeerId> {
        self.lock()
            .peers
            .iter()
            .filter(|(_, e)| e.endpoint == Some(endpoint))
            .map(|(id, _)| *id)
            .collect()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Closes the socket: inbound pipes stop accepting, inproc peers are
    /// told, the I/O threads flush what is queued for up to `linger`.
    /// Returns the linger to apply (`None` inside: forever), or `None` if
    /// the socket was already closed.
    pub(crate) fn close(&self) -> Option<Option<Duration>> {
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        state.closed = true;
        let linger = state.options.linger;
        let inproc_ids: Vec<PeerId> = state
            .peers
            .iter()
            .filter(|(_, e)| e.inproc)
            .map(|(id, _)| *id)
            .collect();
        let peers: Vec<PeerEntry> = inproc_ids
            .iter()
            .filter_map(|id| state.peers.remove(id))
            .collect();
        let others: Vec<Peer> = state.peers.values().map(|e| e.peer.clone()).collect();
        let endpoints = std::mem::take(&mut state.endpoints);
        drop(state);
        for peer in others {
            peer.inp.close_reader();
        }
        for entry in peers {
            // inproc: what we sent stays readable for the peer; we read no more.
            entry.peer.inp.close_reader();
            entry.peer.out.close_writer();
            if let Some((remote, remote_id)) = entry.remote {
                if let Some(remote) = remote.upgrade() {
                    remote.detach_inproc(remote_id);
                }
            }
        }
        for ep in endpoints.iter().filter(|e| e.inproc && e.bound) {
            self.ctx.inproc_unbind(&ep.resolved, self.id);
        }
        self.readable.notify();
        self.writable.notify();
        Some(linger)
    }

    /// An inproc peer closed: stop sending to it, keep reading what it sent.
    fn detach_inproc(&self, id: PeerId) {
        if let Some(entry) = self.take_peer(id) {
            entry.peer.out.close_reader();
        }
        self.writable.notify();
        self.readable.notify();
    }

    /// Starts an inproc connection from `a`: the pipes exist, and `a` can
    /// queue messages, before anyone binds the name (libzmq allows
    /// connect-before-bind for inproc). `complete_inproc` attaches the binder.
    pub(crate) fn start_inproc(a: &Arc<SocketCore>) -> Result<InprocHalf, Error> {
        let oa = a.options();
        let hwm = |h: usize| if h == 0 { 0 } else { h * 2 };
        let to_binder = Pipe::new_with(
            hwm(oa.sndhwm),
            oa.conflate,
            Notify::Nobody,
            Notify::Signal(a.writable.clone()),
        );
        let from_binder = Pipe::new_with(
            hwm(oa.rcvhwm),
            oa.conflate,
            Notify::Signal(a.readable.clone()),
            Notify::Nobody,
        );
        let id = {
            let mut sa = a.lock();
            Self::next_peer_id(&mut sa)
        };
        let half = InprocHalf {
            connector: Arc::downgrade(a),
            connector_peer: id,
            kind: a.kind,
            routing_id: oa.routing_id.clone(),
            to_binder,
            from_binder,
        };
        Ok(half)
    }

    /// Attaches the connector's half (unless its type cannot talk to `b`'s,
    /// checked when `b` is known) and then the binder's.
    pub(crate) fn attach_connector(
        a: &Arc<SocketCore>,
        half: &InprocHalf,
        binder: Option<&Arc<SocketCore>>,
        endpoint: u64,
    ) -> Result<(), Error> {
        if let Some(b) = binder {
            if !a.kind.accepts(b.kind) {
                return Err(Error::Protocol(
                    ferrozmq_proto::IncompatiblePeer::SocketType {
                        ours: a.kind,
                        theirs: b.kind.to_string(),
                    }
                    .into(),
                ));
            }
        }
        let peer_a = Peer {
            id: half.connector_peer,
            out: half.to_binder.clone(),
            inp: half.from_binder.clone(),
            routing_id: binder.map(|b| b.options().routing_id).unwrap_or_default(),
        };
        if !a.attach_entry(&peer_a, true, true, None, Some(endpoint)) {
            return Err(Error::InvalidState);
        }
        Ok(())
    }

    /// The binder side of an inproc connection: attaches `b` to the pipes
    /// and links the two sockets so each learns when the other closes.
    pub(crate) fn complete_inproc(b: &Arc<SocketCore>, half: &InprocHalf) -> bool {
        let Some(a) = half.connector.upgrade() else {
            return false;
        };
        if !b.kind.accepts(half.kind) {
            a.detach(half.connector_peer);
            return false;
        }
        let id_b = {
            let mut sb = b.lock();
            Self::next_peer_id(&mut sb)
        };
        half.to_binder
            .set_reader(Notify::Signal(b.readable.clone()));
        half.from_binder
            .set_writer(Notify::Signal(b.writable.clone()));
        let peer_b = Peer {
            id: id_b,
            out: half.from_binder.clone(),
            inp: half.to_binder.clone(),
            routing_id: half.routing_id.clone(),
        };
        let remote_a = Some((Arc::downgrade(&a), half.connector_peer));
        if !b.attach_entry(&peer_b, false, true, remote_a, None) {
            a.detach(half.connector_peer);
            return false;
        }
        let mut sa = a.lock();
        match sa.peers.get_mut(&half.connector_peer) {
            Some(entry) => {
                entry.remote = Some((Arc::downgrade(b), id_b));
                true
            }
            None => {
                // The connector went away meanwhile.
                drop(sa);
                b.detach_inproc(id_b);
                false
            }
        }
    }
}

/// The connector's side of an inproc connection, waiting for its binder.
#[derive(Debug)]
pub(crate) struct InprocHalf {
    connector: Weak<SocketCore>,
    connector_peer: PeerId,
    kind: SocketType,
    routing_id: Bytes,
    to_binder: Arc<Pipe>,
    from_binder: Arc<Pipe>,
}
