//! The event loop of one I/O thread. It reads like quinn's connection
//! driver: poll, dispatch stream events, take the inbox (commands and
//! ready tokens), fire due timers, repeat.

use super::backoff::Backoff;
use super::driver::{Closed, Driver, Origin};
use super::timers::{Timer, Timers};
use super::{ConnectTarget, EngineNotify, IoCommand, IoShared, WAKER};
use crate::socket::core::SocketCore;
use crate::socket::pattern::Peer;
use crate::transport::{self, Listener, Stream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::Instant;

enum Entry {
    Listener {
        id: u64,
        listener: Listener,
        socket: Arc<SocketCore>,
    },
    Conn(Box<Driver>),
}

/// A connect endpoint kept alive across reconnections.
struct Session {
    socket: Arc<SocketCore>,
    target: ConnectTarget,
    /// Pipes attached to the socket at connect time (IMMEDIATE off); they
    /// survive reconnections, with whatever is queued in them.
    peer: Option<Peer>,
    token: Option<usize>,
    backoff: Backoff,
    /// The socket closed: end once the queue is flushed.
    lingering: bool,
}

pub(super) struct IoLoop {
    poll: Poll,
    shared: Arc<IoShared>,
    entries: Slab<Entry>,
    sessions: HashMap<u64, Session>,
    timers: Timers,
    stopping: bool,
}

impl IoLoop {
    pub(super) fn new(poll: Poll, shared: Arc<IoShared>) -> IoLoop {
        IoLoop {
            poll,
            shared,
            entries: Slab::new(),
            sessions: HashMap::new(),
            timers: Timers::default(),
            stopping: false,
        }
    }

    pub(super) fn run(&mut self) {
        let mut events = Events::with_capacity(1024);
        let mut commands = Vec::new();
        let mut ready = Vec::new();
        loop {
            let timeout = self
                .timers
                .next_deadline()
                .map(|d| d.saturating_duration_since(Instant::now()));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    // The poller itself failed: nothing can be driven any more.
                    return;
                }
            }
            for event in events.iter() {
                if event.token() != WAKER {
                    self.on_event(event.token().0);
                }
            }
            self.shared.take(&mut commands, &mut ready);
            for cmd in commands.drain(..) {
                self.on_command(cmd);
            }
            ready.sort_unstable();
            ready.dedup();
            for token in ready.drain(..) {
                self.drive(token);
            }
            self.fire_timers();
            if self.stopping && self.entries.is_empty() && self.sessions.is_empty() {
                return;
            }
        }
    }

    fn on_event(&mut self, token: usize) {
        match self.entries.get(token) {
            Some(Entry::Listener { .. }) => self.accept(token),
            Some(Entry::Conn(_)) => self.drive(token),
            None => {}
        }
    }

    fn accept(&mut self, token: usize) {
        loop {
            let Some(Entry::Listener {
                id,
                listener,
                socket,
            }) = self.entries.get(token)
            else {
                return;
            };
            let (id, socket) = (*id, socket.clone());
            match listener.accept() {
                Ok(stream) => {
                    self.add_conn(
                        stream,
                        socket,
                        Origin::Accepted { listener: id },
                        false,
                        None,
                    );
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                // Out of descriptors, aborted handshakes: try again at the next event.
                Err(_) => return,
            }
        }
    }

    fn add_conn(
        &mut self,
        stream: Stream,
        socket: Arc<SocketCore>,
        origin: Origin,
        connecting: bool,
        peer: Option<Peer>,
    ) -> Option<usize> {
        let entry = self.entries.vacant_entry();
        let token = entry.key();
        let notify = EngineNotify {
            shared: self.shared.clone(),
            token,
        };
        let driver = Driver::new(
            stream,
            socket,
            origin,
            connecting,
            peer,
            notify,
            Instant::now(),
        );
        if driver.register(self.poll.registry(), Token(token)).is_err() {
            return None;
        }
        entry.insert(Entry::Conn(Box::new(driver)));
        self.drive(token);
        Some(token)
    }

    /// Runs a connection and handles its end.
    fn drive(&mut self, token: usize) {
        let Some(Entry::Conn(driver)) = self.entries.get_mut(token) else {
            return;
        };
        match driver.run() {
            Ok(()) => {
                if let Some(deadline) = driver.deadline() {
                    if driver.armed != Some(deadline) {
                        driver.armed = Some(deadline);
                        self.timers.add(deadline, Timer::Connection(token));
                    }
                }
            }
            Err(why) => self.close_conn(token, why),
        }
    }

    fn close_conn(&mut self, token: usize, why: Closed) {
        let Some(Entry::Conn(driver)) = self.entries.try_remove(token) else {
            return;
        };
        let origin = driver.origin;
        driver.close(self.poll.registry());
        let Origin::Session { id } = origin else {
            return;
        };
        let Some(session) = self.sessions.get_mut(&id) else {
            return;
        };
        session.token = None;
        let keep = why.reconnects()
            && !(session.lingering && session.peer.as_ref().is_none_or(|p| p.out.len() == 0));
        if !keep {
            self.end_session(id);
            return;
        }
        if !matches!(why, Closed::ConnectFailed(_)) {
            // The TCP connection had succeeded: back-off starts over.
            session.backoff.reset();
        }
        match session.backoff.next_delay() {
            Some(delay) => self
                .timers
                .add(Instant::now() + delay, Timer::Reconnect(id)),
            None => self.end_session(id),
        }
    }

    fn end_session(&mut self, id: u64) {
        let Some(session) = self.sessions.remove(&id) else {
            return;
        };
        if let Some(token) = session.token {
            self.close_conn(token, Closed::Abandoned);
        }
        if let Some(peer) = session.peer {
            session.socket.detach(peer.id);
        }
    }

    fn start_connect(&mut self, id: u64) {
        let Some(session) = self.sessions.get_mut(&id) else {
            return;
        };
        if session.token.is_some() {
            return;
        }
        let attempt = match &session.target {
            ConnectTarget::Tcp(addrs) => addrs
                .first()
                .ok_or_else(|| io::Error::from(io::ErrorKind::AddrNotAvailable))
                .and_then(|a| transport::tcp::connect(*a)),
            #[cfg(unix)]
            ConnectTarget::Ipc(path) => transport::ipc::connect(path),
            #[cfg(not(unix))]
            ConnectTarget::Ipc(_) => Err(io::Error::from(io::ErrorKind::Unsupported)),
        };
        match attempt {
            Ok(stream) => {
                let socket = session.socket.clone();
                let peer = session.peer.clone();
                let lingering = session.lingering;
                if let Some(token) =
                    self.add_conn(stream, socket, Origin::Session { id }, true, peer)
                {
                    // The connection may already have ended inside add_conn.
                    if let Some(Entry::Conn(d)) = self.entries.get_mut(token) {
                        d.lingering = lingering;
                        if let Some(s) = self.sessions.get_mut(&id) {
                            s.token = Some(token);
                        }
                    }
                }
            }
            Err(_) => {
                let delay = session.backoff.next_delay();
                match delay {
                    Some(delay) => self
                        .timers
                        .add(Instant::now() + delay, Timer::Reconnect(id)),
                    None => self.end_session(id),
                }
            }
        }
    }

    fn on_command(&mut self, cmd: IoCommand) {
        match cmd {
            IoCommand::Listen {
                id,
                mut listener,
                socket,
            } => {
                let entry = self.entries.vacant_entry();
                let token = entry.key();
                if self
                    .poll
                    .registry()
                    .register(&mut listener, Token(token), Interest::READABLE)
                    .is_ok()
                {
                    entry.insert(Entry::Listener {
                        id,
                        listener,
                        socket,
                    });
                    self.accept(token);
                }
            }
            IoCommand::Unlisten { id } => self.unlisten(|lid, _| lid == id),
            IoCommand::Connect {
                id,
                socket,
                target,
                peer,
            } => {
                let backoff = {
                    let (ivl, max) = socket.reconnect_settings();
                    Backoff::new(ivl, max)
                };
                self.sessions.insert(
                    id,
                    Session {
                        socket,
                        target,
                        peer,
                        token: None,
                        backoff,
                        lingering: false,
                    },
                );
                self.start_connect(id);
            }
            IoCommand::Disconnect { id } => self.end_session(id),
            IoCommand::CloseSocket { socket_id, linger } => self.close_socket(socket_id, linger),
            IoCommand::Stop => self.stopping = true,
        }
    }

    /// Removes matching listeners and closes the connections they accepted.
    fn unlisten(&mut self, matches: impl Fn(u64, &SocketCore) -> bool) {
        let mut gone = Vec::new();
        self.entries.retain(|_, entry| match entry {
            Entry::Listener { id, socket, .. } if matches(*id, socket) => {
                gone.push(*id);
                false
            }
            _ => true,
        });
        // Dropped listeners deregister themselves when their fd closes.
        let accepted: Vec<usize> = self
            .entries
            .iter()
            .filter_map(|(token, e)| match e {
                Entry::Conn(d) => match d.origin {
                    Origin::Accepted { listener } if gone.contains(&listener) && !d.lingering => {
                        Some(token)
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect();
        for token in accepted {
            self.close_conn(token, Closed::Abandoned);
        }
    }

    fn close_socket(&mut self, socket_id: u64, linger: Option<std::time::Duration>) {
        let mut listeners = Vec::new();
        let mut conns = Vec::new();
        for (token, entry) in self.entries.iter() {
            match entry {
                Entry::Listener { socket, .. } if socket.id == socket_id => listeners.push(token),
                Entry::Conn(d) if d.socket.id == socket_id => conns.push(token),
                _ => {}
            }
        }
        for token in listeners {
            if let Some(Entry::Listener { mut listener, .. }) = self.entries.try_remove(token) {
                let _ = self.poll.registry().deregister(&mut listener);
            }
        }
        let sessions: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.socket.id == socket_id)
            .map(|(id, _)| *id)
            .collect();
        if linger.is_some_and(|l| l.is_zero()) {
            for id in sessions {
                self.end_session(id);
            }
            for token in conns {
                self.close_conn(token, Closed::Abandoned);
            }
            return;
        }
        for id in sessions {
            let Some(s) = self.sessions.get_mut(&id) else {
                continue;
            };
            s.lingering = true;
            let idle = s.token.is_none() && s.peer.as_ref().is_none_or(|p| p.out.len() == 0);
            if idle {
                self.end_session(id);
            }
        }
        for token in conns {
            if let Some(Entry::Conn(d)) = self.entries.get_mut(token) {
                d.lingering = true;
            }
            self.drive(token);
        }
        if let Some(linger) = linger {
            self.timers
                .add(Instant::now() + linger, Timer::Linger(socket_id));
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(timer) = self.timers.pop_due(now) {
            match timer {
                Timer::Connection(token) => {
                    let Some(Entry::Conn(d)) = self.entries.get_mut(token) else {
                        continue;
                    };
                    d.armed = None;
                    match d.handle_timeout(now) {
                        Ok(()) => self.drive(token),
                        Err(why) => self.close_conn(token, why),
                    }
                }
                Timer::Reconnect(id) => self.start_connect(id),
                Timer::Linger(socket_id) => {
                    let sessions: Vec<u64> = self
                        .sessions
                        .iter()
                        .filter(|(_, s)| s.socket.id == socket_id && s.lingering)
                        .map(|(id, _)| *id)
                        .collect();
                    for id in sessions {
                        self.end_session(id);
                    }
                    let conns: Vec<usize> = self
                        .entries
                        .iter()
                        .filter_map(|(t, e)| match e {
                            Entry::Conn(d) if d.socket.id == socket_id && d.lingering => Some(t),
                            _ => None,
                        })
                        .collect();
                    for token in conns {
                        self.close_conn(token, Closed::Abandoned);
                    }
                }
            }
        }
    }
}

impl std::fmt::Debug for IoLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoLoop")
            .field("entries", &self.entries.len())
            .field("sessions", &self.sessions.len())
            .finish()
    }
}
