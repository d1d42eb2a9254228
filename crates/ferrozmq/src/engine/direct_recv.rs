//! [`DirectRecv`]: the receive bypass. A REQ or REP socket's blocking
//! `recv` that finds nothing queued waits on its connections' streams
//! itself (a poller of the socket's own) and reads and decodes what
//! arrives on the user thread, instead of sleeping until the I/O thread
//! has read it and handed it over. Together with the send bypass
//! (`wire::DirectSend`) a request/reply round trip then wakes one thread
//! per side, as a plain socket's does, where it woke two.
//!
//! The I/O thread stays registered for the same streams and is woken by
//! the same arrivals; whichever thread takes the `Wire` first reads, and
//! both decode into the same pipe under its lock, so order holds. (Leaving
//! arrivals to the waiting thread, or taking the stream out of the I/O
//! thread's poller for the wait, both measured slower round trips on the
//! project's machine: docs/BENCHMARKS.md.) Both read the same way
//! (`read.rs`), a large frame body out of band included, so either goes
//! on with a body the other began. The user thread only reads while the
//! driver has nothing of its own in progress (nothing decoded and
//! undelivered, no protocol failure); anything it cannot finish (end of
//! stream, an error, a full pipe, a read budget spent, an unwritten reply
//! to a heartbeat) is left where the driver finds it, and the driver is
//! notified.
//!
//! Each stream is registered edge-triggered, so an arrival while nobody
//! waits stays pending in the poller: the next wait returns at once. A
//! notification of the socket's readable signal (a message from another
//! pipe, shutdown, close) reaches a waiting thread through the poller's
//! waker, registered with the signal for the duration of the wait.

use super::read::ReadError;
use super::wire::{self, Flushed, Wire};
use super::EngineNotify;
use crate::signal::Signal;
use crate::transport::Stream;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Wake, Waker};
use std::time::Instant;

/// Token of the poller's waker; streams use their slab keys.
const WAKER: Token = Token(usize::MAX);
/// Reads per stream and wake-up before the rest is left to the driver.
const DIRECT_READS: usize = 4;
/// Events taken per poll.
const EVENTS: usize = 16;

/// A socket's receive bypass: its connections, and the poller they are
/// registered in, made by the first blocking `recv` that waits (its three
/// descriptors are not spent on sockets that never block in `recv`).
#[derive(Debug, Default)]
pub(crate) struct DirectRecv {
    /// One lock for the connections and the poller, so that none is added
    /// or removed unseen while the poller is made.
    wires: Mutex<Wires>,
    /// Reads that brought input, for tests.
    reads: AtomicU64,
    /// Large bodies those reads completed, for tests.
    #[cfg(test)]
    bodies: AtomicU64,
}

#[derive(Debug, Default)]
struct Wires {
    slab: Slab<Registered>,
    poller: PollerState,
}

#[derive(Debug, Default)]
enum PollerState {
    #[default]
    NotYet,
    Made(Arc<Poller>),
    /// It could not be made (out of descriptors): the socket waits on its
    /// signal as without the bypass.
    Failed,
}

impl PollerState {
    fn get(&self) -> Option<&Arc<Poller>> {
        match self {
            PollerState::Made(p) => Some(p),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct Poller {
    /// Held by the one thread waiting through it; others use the signal.
    poll: Mutex<(Poll, Events)>,
    /// For (de)registering streams while a thread waits in `poll`.
    registry: mio::Registry,
    waker: Waker,
}

/// A connection registered with the bypass: its wire, its driver's
/// notification and its stream's descriptor (stable while the entry holds
/// the wire).
type Registered = (Arc<Mutex<Wire>>, EngineNotify, RawFd);

/// Wakes the poller when the socket's readable signal is notified.
struct PollWaker(mio::Waker);

impl Wake for PollWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // A failed wake leaves the waiter to its deadline; the poller only
        // fails when the process is out of descriptors.
        let _ = self.0.wake();
    }
}

/// What a wait through the bypass came to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// Something may be ready: try the socket again.
    Retry,
    /// The deadline passed.
    TimedOut,
    /// The bypass cannot be used now (another thread waits through it, or
    /// no stream is registered): wait on the signal instead.
    Unavailable,
}

impl Poller {
    fn new() -> io::Result<Poller> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Arc::new(PollWaker(mio::Waker::new(poll.registry(), WAKER)?));
        Ok(Poller {
            poll: Mutex::new((poll, Events::with_capacity(EVENTS))),
            registry,
            waker: Waker::from(waker),
        })
    }

    fn register(&self, key: usize, fd: RawFd) -> io::Result<()> {
        self.registry
            .register(&mut SourceFd(&fd), Token(key), Interest::READABLE)
    }
}

impl DirectRecv {
    /// The poller, made on first use with every connection registered;
    /// `None` if there is no connection or no poller.
    fn poller(&self) -> Option<Arc<Poller>> {
        let mut wires = self.wires();
        if wires.slab.is_empty() {
            return None;
        }
        if let PollerState::NotYet = wires.poller {
            let made = Poller::new().and_then(|poller| {
                for (key, (.., fd)) in wires.slab.iter() {
                    poller.register(key, *fd)?;
                }
                Ok(poller)
            });
            wires.poller = match made {
                Ok(poller) => PollerState::Made(Arc::new(poller)),
                Err(_) => PollerState::Failed,
            };
        }
        wires.poller.get().cloned()
    }

    fn wires(&self) -> MutexGuard<'_, Wires> {
        self.wires.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a connection whose handshake is done; returns its key for
    /// [`remove`](DirectRecv::remove).
    /// `stream` is the wire's (locked by the caller).
    pub(super) fn add(
        &self,
        wire: &Arc<Mutex<Wire>>,
        stream: &Stream,
        notify: &EngineNotify,
    ) -> Option<usize> {
        let fd = stream_fd(stream);
        let mut wires = self.wires();
        let Wires { slab, poller } = &mut *wires;
        let entry = slab.vacant_entry();
        let key = entry.key();
        if let Some(poller) = poller.get() {
            poller.register(key, fd).ok()?;
        }
        entry.insert((wire.clone(), notify.clone(), fd));
        Some(key)
    }

    /// Unregisters a connection before its stream closes.
    pub(super) fn remove(&self, key: usize) {
        let mut wires = self.wires();
        if let Some((.., fd)) = wires.slab.try_remove(key) {
            if let Some(poller) = wires.poller.get() {
                let _ = poller.registry.deregister(&mut SourceFd(&fd));
            }
        }
    }

    /// Waits until a registered stream has input or `signal` moves past
    /// `seen`, up to `deadline`, and reads and decodes what arrived into
    /// the connections' inbound pipes.
    pub(crate) fn wait(&self, signal: &Signal, seen: u64, deadline: Option<Instant>) -> Waited {
        let Some(poller) = self.poller() else {
            return Waited::Unavailable;
        };
        let Ok(mut guard) = poller.poll.try_lock() else {
            return Waited::Unavailable;
        };
        if !signal.register(seen, &poller.waker) {
            return Waited::Retry;
        }
        let (poll, events) = &mut *guard;
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let polled = poll.poll(events, timeout);
        signal.unregister(&poller.waker);
        if polled.is_ok() {
            for event in events.iter() {
                if event.token() == WAKER {
                    continue;
                }
                let Some((wire, notify, ..)) = self.wires().slab.get(event.token().0).cloned()
                else {
                    continue;
                };
                let mut wire = wire::lock(&wire);
                #[cfg(test)]
                let bodies = wire.bodies;
                if wire.read_direct(&notify) {
                    self.reads.fetch_add(1, Ordering::Relaxed);
                }
                #[cfg(test)]
                self.bodies
                    .fetch_add(wire.bodies - bodies, Ordering::Relaxed);
            }
        }
        match polled {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => Waited::Unavailable,
            _ if events.is_empty() && deadline.is_some_and(|d| Instant::now() >= d) => {
                Waited::TimedOut
            }
            _ => Waited::Retry,
        }
    }

    /// How many waits read input themselves.
    #[cfg(test)]
    pub(crate) fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// How many large bodies a waiting thread's reads completed.
    #[cfg(test)]
    pub(crate) fn bodies(&self) -> u64 {
        self.bodies.load(Ordering::Relaxed)
    }
}

impl Wire {
    /// Reads and decodes what the stream has, on a user thread, unless the
    /// driver has reading of its own in progress. What this cannot finish
    /// is left to the driver, which it notifies. True if input was read.
    pub(super) fn read_direct(&mut self, notify: &EngineNotify) -> bool {
        if self.closed {
            return false;
        }
        if !self.conn.is_ready()
            || self.inbound.is_none()
            || self.read_blocked
            || self.held
            || self.failure.is_some()
            || !self.stash.is_empty()
        {
            // The arrival is the driver's to read: make sure it hears of
            // it, also if this thread took its event first.
            notify.notify();
            return false;
        }
        let mut handover = true;
        let mut read = false;
        for _ in 0..DIRECT_READS {
            match self.read_once() {
                // End of stream: the driver reads it again and closes.
                Ok((0, _)) => break,
                Ok((_, full)) => {
                    read = true;
                    // The handshake is done: only traffic comes now.
                    let result = self.decode_input(|_| {}).and_then(|()| self.start_body());
                    if !self.deliver_stash() {
                        // The pipe's writer notification resumes the driver.
                        self.read_blocked = true;
                    }
                    if let Err(e) = result {
                        self.failure = Some(e);
                        break;
                    }
                    if self.read_blocked {
                        handover = false;
                        break;
                    }
                    if self.held {
                        // Input beyond the pipe's room: the driver's.
                        break;
                    }
                    // A short read emptied the stream: later arrivals
                    // raise new edges, in this poller and the driver's.
                    if !full {
                        handover = false;
                        break;
                    }
                }
                Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.input.idle();
                    handover = false;
                    break;
                }
                Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                // A large body's message came before the error: the
                // driver delivers it and ends the connection.
                Err(ReadError::Protocol(e)) => {
                    self.failure = Some(e);
                    break;
                }
                // The driver meets the error again (or the end of stream
                // after it) on its next read.
                Err(ReadError::Io(_)) => break,
            }
        }
        // A heartbeat's reply, queued by the decoder.
        if self.conn.transmit_len() > 0 && !matches!(self.write_out(4), Some(Flushed::All)) {
            handover = true;
        }
        if handover {
            notify.notify();
        }
        read
    }
}

fn stream_fd(stream: &Stream) -> RawFd {
    use std::os::fd::AsRawFd;
    match stream {
        Stream::Tcp(s) => s.as_raw_fd(),
        Stream::Unix(s) => s.as_raw_fd(),
    }
}

#[cfg(test)]
mod tests {
    use super::PollerState;
    use crate::{Context, SocketType};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// The poller's descriptors are spent only once a blocking `recv`
    /// waits, and connections already up are registered in it then.
    #[test]
    fn the_poller_is_made_by_the_first_blocking_wait() {
        let ctx = Context::new();
        let rep = ctx.socket(SocketType::Rep).unwrap();
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let req = ctx.socket(SocketType::Req).unwrap();
        req.connect(&rep.last_endpoint().unwrap()).unwrap();
        let made = |s: &crate::Socket| {
            !matches!(
                s.core().direct_recv().unwrap().wires().poller,
                PollerState::NotYet
            )
        };
        req.send("a").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let request = loop {
            match rep.try_recv() {
                Ok(m) => break m,
                Err(_) => {
                    assert!(Instant::now() < deadline, "no request");
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        };
        assert!(
            !made(&rep) && !made(&req),
            "no poller before a blocking wait"
        );
        // Nothing to receive yet: this waits, through the bypass.
        assert!(req.recv_timeout(Duration::from_millis(20)).is_err());
        assert!(made(&req), "a blocking wait made the poller");
        rep.send(request).unwrap();
        assert_eq!(
            req.recv_timeout(Duration::from_secs(10)).unwrap()[0],
            b"a"[..]
        );
        assert!(!made(&rep));
    }

    /// A connection decodes no more messages than its pipe has room for:
    /// 20 000 requests sent at once to a REP with RCVHWM 10 wait in the
    /// pipe (10), in the read buffer undecoded, and in the kernel; none sit
    /// decoded in the connection's stash (before, one read's worth did:
    /// thousands). Then every request comes through, in order.
    #[test]
    fn a_connection_holds_no_more_decoded_messages_than_the_hwm() {
        const HWM: usize = 10;
        const REQUESTS: u32 = 20_000;
        let ctx = Context::new();
        let rep = ctx.socket(SocketType::Rep).unwrap();
        rep.set_rcvhwm(HWM).unwrap();
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let dealer = ctx.socket(SocketType::Dealer).unwrap();
        dealer.set_sndhwm(0).unwrap();
        dealer.connect(&rep.last_endpoint().unwrap()).unwrap();
        for i in 0..REQUESTS {
            dealer
                .send(vec![Vec::new(), i.to_be_bytes().to_vec()])
                .unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        let held = loop {
            let state = {
                let wires = rep.core().direct_recv().unwrap().wires();
                wires.slab.iter().next().map(|(_, (wire, _, _))| {
                    let w = super::wire::lock(wire);
                    let queued = w.inbound.as_ref().map_or(0, |p| p.len());
                    let next_read = w.input.want(&w.conn);
                    (
                        w.read_blocked,
                        w.held,
                        w.stash.len(),
                        queued,
                        w.input.len(),
                        next_read,
                    )
                })
            };
            if let Some(state @ (true, ..)) = state {
                break state;
            }
            assert!(
                Instant::now() < deadline,
                "the pipe never filled: {state:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        let (_, is_held, stashed, queued, undecoded, next_read) = held;
        assert!(is_held && undecoded > 0, "input waits undecoded: {held:?}");
        assert!(stashed + queued <= HWM, "decoded beyond the HWM: {held:?}");
        assert_eq!(
            next_read,
            super::super::input::MIN_READ_CHUNK,
            "a lagging reader's connection reads small"
        );
        for i in 0..REQUESTS {
            let m = rep.recv_timeout(Duration::from_secs(10)).unwrap();
            assert_eq!(m[0], i.to_be_bytes()[..]);
            rep.send("ok").unwrap();
        }
    }

    /// Runs `exchange` with a REQ connected to a REP, over tcp and then
    /// ipc (`name` keeps the ipc path apart from other tests'), while a
    /// thread echoes every request; an empty request, echoed too, ends it.
    fn with_echoing_rep(
        name: &str,
        mut exchange: impl FnMut(&str, &crate::Socket, &crate::Socket),
    ) {
        let ipc = format!(
            "ipc://{}/ferrozmq-{name}-{}.sock",
            std::env::temp_dir().display(),
            std::process::id()
        );
        for ep in ["tcp://127.0.0.1:*", ipc.as_str()] {
            let ctx = Context::new();
            let rep = Arc::new(ctx.socket(SocketType::Rep).unwrap());
            rep.bind(ep).unwrap();
            let req = ctx.socket(SocketType::Req).unwrap();
            req.connect(&rep.last_endpoint().unwrap()).unwrap();
            let limit = Duration::from_secs(10);
            let server = {
                let rep = rep.clone();
                std::thread::spawn(move || {
                    while let Ok(m) = rep.recv_timeout(limit) {
                        let last = m[0].is_empty();
                        rep.send(m).unwrap();
                        if last {
                            return;
                        }
                    }
                    panic!("no request");
                })
            };
            exchange(ep, &req, &rep);
            req.send(Vec::<u8>::new()).unwrap();
            assert!(req.recv_timeout(limit).unwrap()[0].is_empty());
            server.join().unwrap();
        }
    }

    /// Round trips until both sides have read a message on their own
    /// thread: a bypass that is never taken fails here, not in a benchmark.
    #[test]
    fn a_waiting_reader_reads_the_stream_itself() {
        with_echoing_rep("direct", |ep, req, rep| {
            let limit = Duration::from_secs(10);
            let deadline = Instant::now() + limit;
            let reads = |s: &crate::Socket| s.core().direct_recv().map_or(0, |d| d.reads());
            let mut i = 0u32;
            while reads(req) == 0 || reads(rep) == 0 {
                assert!(
                    Instant::now() < deadline,
                    "no read by a user thread over {ep}"
                );
                i += 1;
                req.send(i.to_be_bytes().to_vec()).unwrap();
                assert_eq!(req.recv_timeout(limit).unwrap()[0], i.to_be_bytes()[..]);
            }
        });
    }

    /// A waiting thread receives a large frame body out of band, as the
    /// driver does, and goes on with one the driver began: round trips of
    /// 300 KiB messages (several reads each) until a user thread on each
    /// side has completed a body, every reply checked byte for byte.
    #[test]
    fn a_waiting_reader_receives_large_bodies_out_of_band() {
        const SIZE: usize = 300 * 1024;
        with_echoing_rep("direct-body", |ep, req, rep| {
            let limit = Duration::from_secs(10);
            let deadline = Instant::now() + Duration::from_secs(30);
            let bodies = |s: &crate::Socket| s.core().direct_recv().map_or(0, |d| d.bodies());
            let mut i = 0usize;
            while bodies(req) == 0 || bodies(rep) == 0 {
                assert!(
                    Instant::now() < deadline,
                    "no body received by a user thread over {ep}"
                );
                i += 1;
                let request: Vec<u8> = (0..SIZE).map(|k| (k * 7 + i) as u8).collect();
                req.send(request.clone()).unwrap();
                let reply = req.recv_timeout(limit).unwrap();
                assert!(reply[0] == request[..], "reply {i} differs");
            }
        });
    }
}
