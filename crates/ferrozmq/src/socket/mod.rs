//! [`Socket`]: the user's handle on a ZeroMQ socket.
//!
//! Each messaging pattern is one small file (`push.rs`, `router.rs`, ...)
//! built from routing strategies (`lb.rs` round robin, `fq.rs` fair queue);
//! `core.rs` holds the shared state; this file is the public API.

pub(crate) mod core;
mod dealer;
mod endpoints;
mod fq;
mod future;
mod lb;
mod options;
mod options_api;
mod pair;
pub(crate) mod pattern;
mod publisher;
mod pull;
mod push;
mod rep;
mod req;
mod router;
mod subscriber;
mod unsupported;

pub use future::{RecvFuture, SendFuture};

use self::core::SocketCore;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pipe::Pipe;
use crate::signal::Signal;
use ferrozmq_proto::{Message, SocketType};
use pattern::{RecvError, SendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A ZeroMQ socket.
///
/// `Send + Sync`: every method takes `&self`, so one socket may be shared by
/// threads or tasks. Dropping (or [`close`](Socket::close)) never blocks;
/// messages already queued keep flowing in the background for up to LINGER.
///
/// ```
/// use ferrozmq::{Context, SocketType};
/// let ctx = Context::new();
/// let rep = ctx.socket(SocketType::Rep)?;
/// rep.bind("inproc://hello")?;
/// let req = ctx.socket(SocketType::Req)?;
/// req.connect("inproc://hello")?;
/// req.send("hello")?;
/// let msg = rep.recv()?;
/// assert_eq!(msg[0], b"hello"[..]);
/// rep.send(vec!["wor", "ld"])?;
/// let reply = req.recv()?;
/// assert_eq!(reply.len(), 2);
/// # Ok::<(), ferrozmq::Error>(())
/// ```
#[derive(Debug)]
pub struct Socket {
    core: Arc<SocketCore>,
    _ctx: Context,
}

/// How long a blocking call may wait.
#[derive(Debug, Clone, Copy)]
enum Wait {
    No,
    Forever,
    Until(Instant),
    /// A timeout whose clock starts when the call first has to wait: a
    /// call that succeeds at once reads no clock.
    Within(Duration),
}

impl Wait {
    fn from_timeout(t: Option<Duration>) -> Wait {
        match t {
            None => Wait::Forever,
            Some(d) if d.is_zero() => Wait::No,
            Some(d) => Wait::Within(d),
        }
    }

    /// Turns a pending timeout into a deadline from now.
    fn start(&mut self) {
        if let Wait::Within(d) = *self {
            *self = Instant::now()
                .checked_add(d)
                .map_or(Wait::Forever, Wait::Until);
        }
    }

    /// A blocking send's pacing after a large message (see `pipe`); a
    /// non-blocking send does not wait.
    fn pace(&mut self, pipe: &Pipe, signal: &Signal) {
        self.start();
        match *self {
            Wait::No | Wait::Within(_) => {}
            Wait::Forever => pipe.pace(signal, None),
            Wait::Until(deadline) => pipe.pace(signal, Some(deadline)),
        }
    }

    /// For a blocking wait, its deadline (`Some(None)`: none); `None` for
    /// a call that must not block.
    #[cfg(unix)]
    fn deadline(&mut self) -> Option<Option<Instant>> {
        self.start();
        match *self {
            Wait::No => None,
            Wait::Forever | Wait::Within(_) => Some(None),
            Wait::Until(deadline) => Some(Some(deadline)),
        }
    }

    /// Sleeps on `signal` unless it moved past `seen`; the error to return
    /// if the wait is over.
    fn wait(&mut self, signal: &Signal, seen: u64) -> Result<()> {
        self.start();
        match *self {
            Wait::No => Err(Error::WouldBlock),
            Wait::Forever | Wait::Within(_) => {
                signal.wait(seen, None);
                Ok(())
            }
            Wait::Until(deadline) => {
                if signal.wait(seen, Some(deadline)) {
                    Ok(())
                } else {
                    Err(Error::Timeout)
                }
            }
        }
    }
}

impl Socket {
    pub(crate) fn new(core: Arc<SocketCore>, ctx: Context) -> Socket {
        Socket { core, _ctx: ctx }
    }

    #[cfg(test)]
    pub(crate) fn core(&self) -> &SocketCore {
        &self.core
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.core.kind
    }

    fn send_with(&self, msg: Message, mut wait: Wait) -> Result<()> {
        let mut msg = msg;
        loop {
            let seen = self.core.writable.epoch();
            match self.core.try_send(msg) {
                Ok(pace) => {
                    if let Some(pipe) = pace {
                        wait.pace(&pipe, &self.core.writable);
                    }
                    return Ok(());
                }
                Err(SendError::Fail(e)) => return Err(e),
                Err(SendError::Full(back)) => msg = back,
            }
            wait.wait(&self.core.writable, seen)?;
        }
    }

    fn recv_with(&self, mut wait: Wait) -> Result<Message> {
        loop {
            let seen = self.core.readable.epoch();
            match self.core.try_recv() {
                Ok(m) => return Ok(m),
                Err(RecvError::Fail(e)) => return Err(e),
                Err(RecvError::Empty) => {}
            }
            #[cfg(unix)]
            if let Some(direct) = self.core.direct_recv() {
                if let Some(deadline) = wait.deadline() {
                    match direct.wait(&self.core.readable, seen, deadline) {
                        crate::engine::Waited::Retry => continue,
                        crate::engine::Waited::TimedOut => return Err(Error::Timeout),
                        crate::engine::Waited::Unavailable => {}
                    }
                }
            }
            wait.wait(&self.core.readable, seen)?;
        }
    }

    /// Sends a whole message, blocking while no peer can take it (up to
    /// SNDTIMEO, forever by default). A message without frames is sent as
    /// one empty frame.
    ///
    /// # Errors
    /// `InvalidState` if the socket type cannot send now (REQ twice, SUB);
    /// `Timeout` after SNDTIMEO; `ContextTerminated` after shutdown.
    pub fn send(&self, msg: impl Into<Message>) -> Result<()> {
        let timeout = self.core.sndtimeo();
        self.send_with(msg.into(), Wait::from_timeout(timeout))
    }

    /// Sends without blocking: `Err(WouldBlock)` if no peer can take it now.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
        self.send_with(msg.into(), Wait::No)
    }

    /// Sends, waiting at most `timeout`: `Err(Timeout)` after that.
    pub fn send_timeout(&self, msg: impl Into<Message>, timeout: Duration) -> Result<()> {
        self.send_with(msg.into(), Wait::from_timeout(Some(timeout)))
    }

    /// Receives a whole message, blocking up to RCVTIMEO (forever by default).
    pub fn recv(&self) -> Result<Message> {
        let timeout = self.core.rcvtimeo();
        self.recv_with(Wait::from_timeout(timeout))
    }

    /// Receives without blocking: `Err(WouldBlock)` if nothing is queued.
    pub fn try_recv(&self) -> Result<Message> {
        self.recv_with(Wait::No)
    }

    /// Receives, waiting at most `timeout`: `Err(Timeout)` after that.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Message> {
        self.recv_with(Wait::from_timeout(Some(timeout)))
    }

    /// Sends asynchronously. Works on any executor. If the future is dropped
    /// before it completes, the message was not sent.
    pub fn send_async(&self, msg: impl Into<Message>) -> SendFuture<'_> {
        SendFuture::new(&self.core, msg.into())
    }

    /// Receives asynchronously. Works on any executor. Cancel-safe: a
    /// dropped future has taken no message.
    pub fn recv_async(&self) -> RecvFuture<'_> {
        RecvFuture::new(&self.core)
    }

    /// Subscribes a SUB socket to messages starting with `topic` (empty:
    /// everything). Subscriptions are counted.
    pub fn subscribe(&self, topic: impl AsRef<[u8]>) -> Result<()> {
        self.core.subscribe(topic.as_ref(), true)
    }

    /// Removes one subscription to `topic`.
    pub fn unsubscribe(&self, topic: impl AsRef<[u8]>) -> Result<()> {
        self.core.subscribe(topic.as_ref(), false)
    }

    /// Closes the socket; the same as dropping it.
    pub fn close(self) {}
}

impl Drop for Socket {
    fn drop(&mut self) {
        if let Some(linger) = self.core.close() {
            self.core.ctx.socket_closed(self.core.id, linger);
        }
    }
}
