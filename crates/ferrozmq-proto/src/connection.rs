//! [`Connection`]: one peer's ZMTP state, without I/O.
//!
//! The connection is a pure state machine. It never touches a socket and
//! never reads a clock; the caller (the engine's driver) moves bytes and
//! time in and out of it. Its methods come in four kinds:
//!
//! - getters (`&self`): [`is_ready`](Connection::is_ready), [`peer`](Connection::peer);
//! - input: [`handle_input`](Connection::handle_input) with bytes read from
//!   the peer, [`handle_timeout`](Connection::handle_timeout) when the
//!   deadline from `poll_timeout` has passed;
//! - commands from the socket: [`send`](Connection::send),
//!   [`subscribe`](Connection::subscribe), [`cancel`](Connection::cancel);
//! - output: [`poll_event`](Connection::poll_event) for what happened,
//!   [`transmit_slices`](Connection::transmit_slices) and
//!   [`advance_transmit`](Connection::advance_transmit) for bytes to write,
//!   [`poll_timeout`](Connection::poll_timeout) for the next deadline.
//!
//! After any input or command, drain `poll_event` until `None`, write what
//! `transmit_slices` offers, then re-arm the timer from `poll_timeout`. After
//! an error the connection is dead: write what is still queued (an ERROR
//! command may be there), then close.

use crate::command::{Command, RawCommand};
use crate::error::{ConnectionError, IncompatiblePeer, ProtocolError};
use crate::frame::{encode_header, Frame, FrameDecoder};
use crate::greeting::{Greeting, GREETING_LEN};
use crate::input::InputBuf;
use crate::mechanism::Mechanism;
use crate::message::Message;
use crate::metadata::{self, Metadata};
use crate::socket_type::SocketType;
use crate::transmit::{Transmit, LARGE_FRAME};
use bytes::Bytes;
use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::{Duration, Instant};

/// What a connection needs to know about its own socket.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Our socket type, sent as `Socket-Type` and checked against the peer's.
    pub socket_type: SocketType,
    /// Our routing id, sent as `Identity` by REQ, DEALER and ROUTER.
    pub identity: Bytes,
    /// Frames with larger bodies end the connection (ZMQ_MAXMSGSIZE).
    pub max_message_size: Option<u64>,
    /// Time allowed from creation to the end of the handshake (ZMQ_HANDSHAKE_IVL).
    pub handshake_timeout: Option<Duration>,
}

impl ConnectionConfig {
    /// A configuration with libzmq's defaults for this socket type.
    pub fn new(socket_type: SocketType) -> ConnectionConfig {
        ConnectionConfig {
            socket_type,
            identity: Bytes::new(),
            max_message_size: None,
            handshake_timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// What we learnt about the peer in the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's socket type, if it sent one (libzmq accepts its absence).
    pub socket_type: Option<SocketType>,
    /// The `Identity` the peer asked for (empty if none).
    pub identity: Bytes,
    /// Every property the peer sent.
    pub metadata: Metadata,
    /// The ZMTP minor version spoken with the peer (0 or 1).
    pub minor: u8,
}

/// Something the socket above must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake completed: traffic may flow.
    HandshakeSucceeded(PeerInfo),
    /// A whole message arrived.
    Message(Message),
    /// The peer subscribed to a prefix (SUBSCRIBE command, or on a PUB/XPUB
    /// socket a `0x01`-prefixed message, as libzmq accepts both).
    Subscribe(Bytes),
    /// The peer cancelled a subscription.
    Cancel(Bytes),
}

/// Returned by [`Connection::send`] before the handshake is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the handshake is not complete")]
pub struct NotReady;

#[derive(Debug)]
enum Phase {
    Greeting,
    Handshake,
    Traffic,
    Failed(ConnectionError),
}

/// One peer's protocol state. See the [module docs](self) for how to drive it.
#[derive(Debug)]
pub struct Connection {
    config: ConnectionConfig,
    local_metadata: Metadata,
    mechanism: Box<dyn Mechanism>,
    phase: Phase,
    decoder: FrameDecoder,
    transmit: Transmit,
    events: VecDeque<Event>,
    partial: Vec<Bytes>,
    /// A message frame whose header [`Connection::take_body_header`] took:
    /// its flags and body size; the body comes through `handle_body`.
    pending_body: Option<(u8, usize)>,
    peer: Option<PeerInfo>,
    handshake_deadline: Option<Instant>,
}

impl Connection {
    /// Starts a connection; our greeting is queued for transmission at once.
    pub fn new(
        config: ConnectionConfig,
        mechanism: Box<dyn Mechanism>,
        now: Instant,
    ) -> Connection {
        let mut local_metadata = Metadata::new();
        local_metadata.insert(
            metadata::SOCKET_TYPE,
            Bytes::from_static(config.socket_type.as_str().as_bytes()),
        );
        if config.socket_type.sends_identity() {
            local_metadata.insert(metadata::IDENTITY, config.identity.clone());
        }
        let mut transmit = Transmit::default();
        let greeting = Greeting::ours(mechanism.name(), mechanism.as_server());
        transmit.stage(|s| s.extend_from_slice(&greeting.encode()));
        Connection {
            decoder: FrameDecoder::new(config.max_message_size),
            handshake_deadline: config.handshake_timeout.map(|t| now + t),
            config,
            local_metadata,
            mechanism,
            phase: Phase::Greeting,
            transmit,
            events: VecDeque::new(),
            partial: Vec::new(),
            pending_body: None,
            peer: None,
        }
    }

    /// Whether the handshake is complete and messages may be sent.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Traffic)
    }

    /// The peer, once the handshake is complete.
    pub fn peer(&self) -> Option<&PeerInfo> {
        self.peer.as_ref()
    }

    /// Consumes every complete unit (greeting, frame) at the front of `buf`.
    /// Incomplete input is left in `buf` for the next call. Large frame
    /// bodies become slices of `buf`'s memory, not copies. What arrived is
    /// queued for [`poll_event`](Connection::poll_event).
    pub fn handle_input(&mut self, buf: &mut impl InputBuf) -> Result<(), ConnectionError> {
        let mut events = std::mem::take(&mut self.events);
        let result = self.handle_input_with(buf, |e| events.push_back(e));
        self.events = events;
        result
    }

    /// [`handle_input`](Connection::handle_input), handing each event to
    /// `on_event` as it is decoded instead of queueing it: a receiver that
    /// moves messages on at once saves a queue per message. Events still
    /// queued from earlier calls come first, so the order is kept.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use ferrozmq_proto::{Connection, ConnectionConfig, SocketType};
    /// use ferrozmq_proto::mechanism::Null;
    /// let mut conn = Connection::new(
    ///     ConnectionConfig::new(SocketType::Pull),
    ///     Box::new(Null::new()),
    ///     std::time::Instant::now(),
    /// );
    /// let mut seen = Vec::new();
    /// // Not a ZMTP greeting: an error, and nothing delivered.
    /// let mut garbage = BytesMut::from(&b"GET / HTTP/1.1\r\n"[..]);
    /// assert!(conn.handle_input_with(&mut garbage, |e| seen.push(e)).is_err());
    /// assert!(seen.is_empty());
    /// ```
    pub fn handle_input_with(
        &mut self,
        buf: &mut impl InputBuf,
        on_event: impl FnMut(Event),
    ) -> Result<(), ConnectionError> {
        self.handle_input_up_to(buf, usize::MAX, on_event)
            .map(|_| ())
    }

    /// [`handle_input_with`](Connection::handle_input_with), stopping once
    /// `max_messages` messages have been handed over: a receiver whose
    /// queue has room for only so many leaves the rest of the input in
    /// `buf`, undecoded, instead of holding decoded messages beyond its
    /// high-water mark. Returns how many messages it handed over. Commands
    /// (the handshake, subscriptions, heartbeats) are not counted, but
    /// those behind the last message allowed wait with it. Events queued
    /// by earlier calls are handed over first and count.
    pub fn handle_input_up_to(
        &mut self,
        buf: &mut impl InputBuf,
        max_messages: usize,
        mut on_event: impl FnMut(Event),
    ) -> Result<usize, ConnectionError> {
        let mut handed = 0;
        while let Some(e) = self.events.pop_front() {
            handed += usize::from(matches!(e, Event::Message(_)));
            on_event(e);
        }
        let result = self.process(buf, max_messages.saturating_sub(handed), &mut on_event);
        match result {
            Ok(n) => Ok(handed + n),
            Err(e) => {
                self.phase = Phase::Failed(e.clone());
                Err(e)
            }
        }
    }

    /// Decodes what `buf` holds, up to `max` messages; returns how many.
    fn process(
        &mut self,
        buf: &mut impl InputBuf,
        max: usize,
        out: &mut impl FnMut(Event),
    ) -> Result<usize, ConnectionError> {
        loop {
            match &self.phase {
                Phase::Greeting => {
                    Greeting::check_prefix(buf)?;
                    if buf.len() < GREETING_LEN {
                        return Ok(0);
                    }
                    let greeting = Greeting::decode(&buf[..GREETING_LEN])?;
                    buf.advance(GREETING_LEN);
                    self.handle_greeting(greeting)?;
                }
                Phase::Handshake => {
                    let Some(frame) = self.decoder.decode(buf)? else {
                        return Ok(0);
                    };
                    if !frame.command() {
                        return Err(ProtocolError::MessageDuringHandshake.into());
                    }
                    let command = RawCommand::decode(frame.body)?;
                    let Phase::Handshake = self.phase else {
                        unreachable!()
                    };
                    let local = &self.local_metadata;
                    let mechanism = &mut self.mechanism;
                    let mut done = None;
                    let mut result = Ok(());
                    self.transmit.stage(|out| {
                        match mechanism.handle_command(command, local, out) {
                            Ok(md) => done = md,
                            Err(e) => result = Err(e),
                        }
                    });
                    result?;
                    if let Some(peer_metadata) = done {
                        self.handshake_done(peer_metadata, out)?;
                    }
                }
                Phase::Traffic => return self.process_traffic(buf, max, out),
                Phase::Failed(e) => return Err(e.clone()),
            }
        }
    }

    fn handle_greeting(&mut self, greeting: Greeting) -> Result<(), ConnectionError> {
        if greeting.mechanism != self.mechanism.name() {
            return Err(IncompatiblePeer::Mechanism {
                ours: self.mechanism.name().to_string(),
                theirs: greeting.mechanism.to_string(),
            }
            .into());
        }
        self.peer = Some(PeerInfo {
            socket_type: None,
            identity: Bytes::new(),
            metadata: Metadata::new(),
            minor: greeting.effective_minor(),
        });
        self.phase = Phase::Handshake;
        let local = &self.local_metadata;
        let mechanism = &mut self.mechanism;
        self.transmit.stage(|out| mechanism.start(local, out));
        Ok(())
    }

    fn handshake_done(
        &mut self,
        peer_metadata: Metadata,
        out: &mut impl FnMut(Event),
    ) -> Result<(), ConnectionError> {
        let ours = self.config.socket_type;
        let peer_type = match peer_metadata.get(metadata::SOCKET_TYPE) {
            // libzmq accepts a peer that sends no Socket-Type at all.
            None => None,
            Some(name) => match SocketType::from_name(name).filter(|t| ours.accepts(*t)) {
                Some(t) => Some(t),
                None => {
                    // RFC 37: tell the peer why before closing.
                    let reason = Bytes::from_static(b"Invalid socket type");
                    self.transmit
                        .stage(|out| Command::Error(reason).encode(out));
                    return Err(IncompatiblePeer::SocketType {
                        ours,
                        theirs: String::from_utf8_lossy(name).into_owned(),
                    }
                    .into());
                }
            },
        };
        let peer = self.peer.as_mut().expect("set at greeting");
        peer.socket_type = peer_type;
        peer.identity = peer_metadata
            .get(metadata::IDENTITY)
            .cloned()
            .unwrap_or_default();
        peer.metadata = peer_metadata;
        self.phase = Phase::Traffic;
        self.handshake_deadline = None;
        out(Event::HandshakeSucceeded(peer.clone()));
        Ok(())
    }

    fn process_traffic(
        &mut self,
        buf: &mut impl InputBuf,
        max: usize,
        out: &mut impl FnMut(Event),
    ) -> Result<usize, ConnectionError> {
        if self.pending_body.is_some() {
            // The next bytes belong to the body being collected elsewhere.
            return Ok(0);
        }
        let mut handed = 0;
        while handed < max {
            let Some(frame) = self.decoder.decode(buf)? else {
                break;
            };
            // A message's last frame (or a legacy subscription's).
            handed += usize::from(!frame.command() && !frame.more());
            self.handle_frame(frame, out)?;
        }
        Ok(handed)
    }

    #[inline]
    fn handle_frame(
        &mut self,
        frame: Frame,
        out: &mut impl FnMut(Event),
    ) -> Result<(), ConnectionError> {
        if frame.command() {
            if !self.partial.is_empty() {
                return Err(ProtocolError::CommandInsideMessage.into());
            }
            self.handle_command(RawCommand::decode(frame.body)?, out)?;
        } else if frame.more() {
            self.partial.push(frame.body);
        } else if self.partial.is_empty() {
            self.deliver(Message::from(frame.body), out);
        } else {
            let mut frames = std::mem::take(&mut self.partial);
            frames.push(frame.body);
            self.deliver(Message::from_frames(frames), out);
        }
        Ok(())
    }

    /// Lets a large frame body be received into a buffer of its own instead
    /// of being decoded from the read buffer. If `buf` starts with the
    /// header of a message frame (not a command) whose body size is in
    /// `sizes` and is not all in `buf` yet, the header is taken off `buf`
    /// and the body's size returned. The caller allocates that much at once,
    /// so `sizes` must end at what it is willing to reserve on a header's
    /// word (a peer may announce a size it never sends). The caller then collects exactly that
    /// many bytes (those already in `buf` first) and passes them to
    /// [`handle_body`](Connection::handle_body); until then `handle_input`
    /// decodes nothing. A header that breaks a limit is an error, as in
    /// `handle_input`.
    pub fn take_body_header(
        &mut self,
        buf: &mut impl InputBuf,
        sizes: std::ops::RangeInclusive<usize>,
    ) -> Result<Option<usize>, ConnectionError> {
        if !matches!(self.phase, Phase::Traffic) || self.pending_body.is_some() {
            return Ok(None);
        }
        let header = match self.decoder.peek_header(buf) {
            Ok(Some(h)) => h,
            Ok(None) => return Ok(None),
            Err(e) => {
                self.phase = Phase::Failed(e.clone());
                return Err(e);
            }
        };
        let size = header.size as usize; // checked to fit by the decoder
        if header.command() || !sizes.contains(&size) || buf.len() - header.header_len >= size {
            return Ok(None);
        }
        buf.advance(header.header_len);
        self.pending_body = Some((header.flags, size));
        Ok(Some(size))
    }

    /// The body of the frame whose header [`take_body_header`]
    /// (Connection::take_body_header) took.
    ///
    /// # Panics
    /// If no body is pending or `body` is not of the announced size: the
    /// caller's mistake, not the peer's.
    pub fn handle_body(&mut self, body: Bytes) -> Result<(), ConnectionError> {
        let (flags, size) = self.pending_body.take().expect("no frame body pending");
        assert_eq!(body.len(), size, "frame body of the wrong size");
        let mut events = std::mem::take(&mut self.events);
        let result = self.handle_frame(Frame { flags, body }, &mut |e| events.push_back(e));
        self.events = events;
        if let Err(e) = &result {
            self.phase = Phase::Failed(e.clone());
        }
        result
    }

    fn deliver(&self, msg: Message, out: &mut impl FnMut(Event)) {
        // RFC 29 / libzmq xpub: publishers also accept the legacy form,
        // a message whose first frame starts with 0x01 (subscribe) or 0x00.
        if matches!(self.config.socket_type, SocketType::Pub | SocketType::XPub) {
            let first = msg.first().filter(|f| !f.is_empty()).cloned();
            if let Some(first) = first {
                match first[0] {
                    1 => return out(Event::Subscribe(first.slice(1..))),
                    0 => return out(Event::Cancel(first.slice(1..))),
                    _ => {}
                }
            }
        }
        out(Event::Message(msg));
    }

    fn handle_command(
        &mut self,
        raw: RawCommand,
        out: &mut impl FnMut(Event),
    ) -> Result<(), ConnectionError> {
        match Command::decode(raw)? {
            Command::Ping { context, .. } => {
                self.transmit
                    .stage(|out| Command::Pong { context }.encode(out));
            }
            Command::Subscribe(topic) => out(Event::Subscribe(topic)),
            Command::Cancel(topic) => out(Event::Cancel(topic)),
            Command::Error(reason) => {
                return Err(ConnectionError::PeerError {
                    reason: String::from_utf8_lossy(&reason).into_owned(),
                })
            }
            // PONG is only traffic; anything else is ignored, as libzmq does.
            Command::Pong { .. } | Command::Ready(_) | Command::Other(_) => {}
        }
        Ok(())
    }

    /// Handles the passage of time. Errors when the handshake deadline passed.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), ConnectionError> {
        if let Phase::Failed(e) = &self.phase {
            return Err(e.clone());
        }
        if let Some(deadline) = self.handshake_deadline {
            if now >= deadline {
                self.phase = Phase::Failed(ConnectionError::HandshakeTimeout);
                return Err(ConnectionError::HandshakeTimeout);
            }
        }
        Ok(())
    }

    /// The next instant at which [`handle_timeout`](Connection::handle_timeout) must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.handshake_deadline
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Queues a message for transmission. Large frames are not copied.
    /// A message without frames is sent as one empty frame.
    pub fn send(&mut self, msg: &Message) -> Result<(), NotReady> {
        if !self.is_ready() {
            return Err(NotReady);
        }
        let frames = msg.frames();
        if frames.is_empty() {
            self.transmit
                .stage(|out| encode_header(out, false, false, 0));
            return Ok(());
        }
        let last = frames.len() - 1;
        for (i, frame) in frames.iter().enumerate() {
            let more = i < last;
            if frame.len() >= LARGE_FRAME {
                self.queue_frame(frame.clone(), more);
            } else {
                // No clone for a frame that is copied anyway.
                self.transmit.stage(|out| {
                    encode_header(out, more, false, frame.len());
                    out.extend_from_slice(frame);
                });
            }
        }
        Ok(())
    }

    /// Like [`send`](Connection::send), taking the message: its large
    /// frames move to the transmit queue without touching their reference
    /// counts.
    pub fn send_owned(&mut self, msg: Message) -> Result<(), NotReady> {
        if !self.is_ready() {
            return Err(NotReady);
        }
        match msg.into_single() {
            Ok(frame) => self.queue_frame(frame, false),
            Err(msg) if msg.is_empty() => self
                .transmit
                .stage(|out| encode_header(out, false, false, 0)),
            Err(msg) => {
                let last = msg.len() - 1;
                for (i, frame) in msg.into_frames().into_iter().enumerate() {
                    self.queue_frame(frame, i < last);
                }
            }
        }
        Ok(())
    }

    #[inline(always)]
    fn queue_frame(&mut self, frame: Bytes, more: bool) {
        if frame.len() >= LARGE_FRAME {
            self.transmit
                .stage(|out| encode_header(out, more, false, frame.len()));
            self.transmit.body(frame);
        } else {
            self.transmit.stage(|out| {
                encode_header(out, more, false, frame.len());
                out.extend_from_slice(&frame);
            });
        }
    }

    /// Queues a message of one frame, copying `body` (for small frames held
    /// outside a [`Message`]).
    pub fn send_slice(&mut self, body: &[u8]) -> Result<(), NotReady> {
        if !self.is_ready() {
            return Err(NotReady);
        }
        self.transmit.stage(|out| {
            encode_header(out, false, false, body.len());
            out.extend_from_slice(body);
        });
        Ok(())
    }

    /// Sends a subscription: a SUBSCRIBE command to a ZMTP 3.1 peer, a
    /// `0x01`-prefixed message to a 3.0 peer (RFC 37 §Backwards Interoperability).
    pub fn subscribe(&mut self, topic: &[u8]) -> Result<(), NotReady> {
        self.send_subscription(true, topic)
    }

    /// Cancels a subscription, in the form the peer understands.
    pub fn cancel(&mut self, topic: &[u8]) -> Result<(), NotReady> {
        self.send_subscription(false, topic)
    }

    fn send_subscription(&mut self, subscribe: bool, topic: &[u8]) -> Result<(), NotReady> {
        if !self.is_ready() {
            return Err(NotReady);
        }
        let topic = Bytes::copy_from_slice(topic);
        let minor = self.peer.as_ref().map_or(1, |p| p.minor);
        if minor >= 1 {
            let cmd = if subscribe {
                Command::Subscribe(topic)
            } else {
                Command::Cancel(topic)
            };
            self.transmit.stage(|out| cmd.encode(out));
        } else {
            // Size computed after adding the prefix (libzmq's 3.0 encoder gets
            // the LONG flag wrong for 255-byte topics; spec-notes §6).
            self.transmit.stage(|out| {
                encode_header(out, false, false, topic.len() + 1);
                out.extend_from_slice(&[subscribe as u8]);
                out.extend_from_slice(&topic);
            });
        }
        Ok(())
    }

    /// Bytes queued for the peer.
    pub fn transmit_len(&self) -> usize {
        self.transmit.len()
    }

    /// Fills `dst` with the queued bytes, in order, for a vectored write.
    pub fn transmit_slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.transmit.slices(dst)
    }

    /// How many slices [`transmit_slices`](Connection::transmit_slices)
    /// would fill at most.
    pub fn transmit_slice_count(&self) -> usize {
        self.transmit.slice_count()
    }

    /// Marks `n` queued bytes as written.
    pub fn advance_transmit(&mut self, n: usize) {
        self.transmit.advance(n);
    }

    /// How many more input bytes the frame being received needs, when known.
    /// Lets the reader size a read for a large frame in one go.
    pub fn input_missing(&self, buf: &[u8]) -> Option<usize> {
        if self.pending_body.is_some() {
            return None;
        }
        match self.phase {
            Phase::Greeting => Some(GREETING_LEN.saturating_sub(buf.len())),
            _ => self.decoder.missing(buf),
        }
    }

    /// Whether [`handle_input`](Connection::handle_input) would take nothing
    /// from `buf` and have nothing to report: the handshake is done, no
    /// events wait, and `buf` holds the start of a frame (its header, when
    /// all there, within the limits) and not its end. A reader may then
    /// read more into the same buffer first, so that a frame arriving in
    /// pieces is collected in one buffer. Whenever this is false,
    /// `handle_input` must be called: it reports what is wrong with `buf`
    /// (a header over the size limit) as soon as it is seen.
    pub fn needs_more_input(&self, buf: &[u8]) -> bool {
        if !matches!(self.phase, Phase::Traffic)
            || !self.events.is_empty()
            || self.pending_body.is_some()
        {
            return false;
        }
        match self.decoder.peek_header(buf) {
            Ok(None) => true,
            Ok(Some(header)) => (buf.len() as u64) < header.header_len as u64 + header.size,
            Err(_) => false,
        }
    }
}
