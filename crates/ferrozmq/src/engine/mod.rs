//! The I/O engine: one mio event loop per I/O thread.
//!
//! Each loop owns its listeners, connection drivers, connect sessions and a
//! timer heap. Sockets talk to it only through [`IoShared`]: commands
//! (listen, connect, close, ...) and "ready" tokens pushed by pipes when a
//! connection has something to do. Both land in one inbox; the loop's
//! `mio::Waker` is written only when the inbox goes from empty to non-empty,
//! so a burst of sends costs one wake-up.
//!
//! The engine interprets no ZMTP: a [`driver`] moves bytes between a stream
//! and a `ferrozmq_proto::Connection`, and messages between that connection
//! and the socket's pipes.

mod backoff;
mod body;
#[cfg(unix)]
mod direct_recv;
mod driver;
mod input;
mod io_loop;
mod read;
mod timers;
mod wire;

#[cfg(unix)]
pub(crate) use direct_recv::{DirectRecv, Waited};

use crate::socket::core::SocketCore;
use crate::socket::pattern::Peer;
use crate::transport::Listener;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Token of the loop's waker.
const WAKER: mio::Token = mio::Token(usize::MAX);

/// Where a connect session dials.
#[derive(Debug, Clone)]
pub(crate) enum ConnectTarget {
    Tcp(Vec<SocketAddr>),
    #[cfg_attr(not(unix), allow(dead_code))]
    Ipc(PathBuf),
}

/// What a socket asks of an I/O thread.
pub(crate) enum IoCommand {
    /// Accept connections on a bound listener.
    Listen {
        id: u64,
        listener: Listener,
        socket: Arc<SocketCore>,
    },
    /// Stop listening; close the connections it accepted.
    Unlisten { id: u64 },
    /// Keep a connection to `target` alive (reconnecting as needed).
    /// `peer` holds pipes already attached to the socket (IMMEDIATE off).
    Connect {
        id: u64,
        socket: Arc<SocketCore>,
        target: ConnectTarget,
        peer: Option<Peer>,
    },
    /// End a connect session.
    Disconnect { id: u64 },
    /// The socket closed: flush its queued messages for up to `linger`.
    CloseSocket {
        socket_id: u64,
        linger: Option<Duration>,
    },
    /// Exit once nothing lingers.
    Stop,
}

impl fmt::Debug for IoCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoCommand::Listen { id, .. } => write!(f, "Listen({id})"),
            IoCommand::Unlisten { id } => write!(f, "Unlisten({id})"),
            IoCommand::Connect { id, target, .. } => write!(f, "Connect({id}, {target:?})"),
            IoCommand::Disconnect { id } => write!(f, "Disconnect({id})"),
            IoCommand::CloseSocket { socket_id, linger } => {
                write!(f, "CloseSocket({socket_id}, {linger:?})")
            }
            IoCommand::Stop => write!(f, "Stop"),
        }
    }
}

#[derive(Debug, Default)]
struct Inbox {
    commands: Vec<IoCommand>,
    ready: Vec<usize>,
    woken: bool,
}

/// The part of an I/O thread that other threads hold.
#[derive(Debug)]
pub(crate) struct IoShared {
    waker: mio::Waker,
    inbox: Mutex<Inbox>,
}

impl IoShared {
    fn push(&self, f: impl FnOnce(&mut Inbox)) {
        let mut inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut inbox);
        if !inbox.woken {
            inbox.woken = true;
            drop(inbox);
            // A failed wake means the loop is gone; nothing is waiting then.
            let _ = self.waker.wake();
        }
    }

    /// Queues a command.
    pub(crate) fn send(&self, cmd: IoCommand) {
        self.push(|inbox| inbox.commands.push(cmd));
    }

    fn take(&self, commands: &mut Vec<IoCommand>, ready: &mut Vec<usize>) {
        let mut inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        inbox.woken = false;
        std::mem::swap(commands, &mut inbox.commands);
        std::mem::swap(ready, &mut inbox.ready);
    }
}

/// Wakes one connection driver: pushed into pipes as their I/O-side notify.
#[derive(Debug, Clone)]
pub(crate) struct EngineNotify {
    shared: Arc<IoShared>,
    token: usize,
}

impl EngineNotify {
    pub(crate) fn notify(&self) {
        let token = self.token;
        self.shared.push(|inbox| inbox.ready.push(token));
    }
}

/// An I/O thread: its shared half and its join handle.
#[derive(Debug)]
pub(crate) struct IoThread {
    shared: Arc<IoShared>,
    handle: Mutex<Option<JoinHandle<()>>>,
}

impl IoThread {
    pub(crate) fn spawn(index: usize) -> std::io::Result<IoThread> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER)?;
        let shared = Arc::new(IoShared {
            waker,
            inbox: Mutex::new(Inbox::default()),
        });
        let mut event_loop = io_loop::IoLoop::new(poll, shared.clone());
        let handle = std::thread::Builder::new()
            .name(format!("ferrozmq-io-{index}"))
            .spawn(move || event_loop.run())?;
        Ok(IoThread {
            shared,
            handle: Mutex::new(Some(handle)),
        })
    }

    pub(crate) fn shared(&self) -> &Arc<IoShared> {
        &self.shared
    }

    /// Asks the loop to exit once nothing lingers, and waits for it.
    pub(crate) fn stop_and_join(&self) {
        let handle = self.handle.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            self.shared.send(IoCommand::Stop);
            let _ = handle.join();
        }
    }
}
