//! [`Context`]: owns the I/O threads and the inproc registry.

use crate::engine::{IoCommand, IoShared, IoThread};
use crate::error::{Error, Result};
use crate::socket::core::{InprocHalf, SocketCore};
use crate::socket::Socket;
use ferrozmq_proto::SocketType;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};

/// A ZeroMQ context: the I/O threads and the inproc namespace that its
/// sockets share.
///
/// Cheap to clone. Sockets keep their context alive. When the last handle
/// (including those inside sockets) goes, the context terminates like
/// [`terminate`](Context::terminate): it waits for lingering messages to
/// be sent (LINGER, forever by default, as libzmq), then stops its threads.
///
/// ```
/// use ferrozmq::{Context, SocketType};
/// let ctx = Context::new();
/// let push = ctx.socket(SocketType::Push)?;
/// push.bind("inproc://example")?;
/// # Ok::<(), ferrozmq::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Context {
    inner: Arc<ContextInner>,
}

#[derive(Debug)]
struct ContextInner {
    shared: Arc<ContextShared>,
    threads: Vec<IoThread>,
}

/// What sockets and I/O threads share; holds no thread handles, so it can
/// be dropped anywhere.
#[derive(Debug)]
pub(crate) struct ContextShared {
    terminated: AtomicBool,
    io: Vec<Arc<IoShared>>,
    next_id: AtomicU64,
    sockets: Mutex<HashMap<u64, Weak<SocketCore>>>,
    all_closed: Condvar,
    inproc: Mutex<Inproc>,
}

#[derive(Debug, Default)]
struct Inproc {
    bound: HashMap<String, (u64, Weak<SocketCore>)>,
    pending: HashMap<String, Vec<InprocHalf>>,
}

impl Default for Context {
    fn default() -> Context {
        Context::new()
    }
}

impl Context {
    /// A context with one I/O thread (libzmq's default).
    ///
    /// # Panics
    /// If the OS refuses to create the thread or its poller; see
    /// [`with_io_threads`](Context::with_io_threads) for the fallible form.
    pub fn new() -> Context {
        Context::with_io_threads(1).expect("cannot start the I/O thread")
    }

    /// A context with `n` I/O threads (at least 1).
    pub fn with_io_threads(n: usize) -> Result<Context> {
        let threads = (0..n.max(1))
            .map(IoThread::spawn)
            .collect::<std::io::Result<Vec<_>>>()?;
        let shared = Arc::new(ContextShared {
            terminated: AtomicBool::new(false),
            io: threads.iter().map(|t| t.shared().clone()).collect(),
            next_id: AtomicU64::new(1),
            sockets: Mutex::new(HashMap::new()),
            all_closed: Condvar::new(),
            inproc: Mutex::new(Inproc::default()),
        });
        Ok(Context {
            inner: Arc::new(ContextInner { shared, threads }),
        })
    }

    /// Creates a socket of the given type.
    ///
    /// # Errors
    /// `ContextTerminated` after [`shutdown`](Context::shutdown);
    /// `UnsupportedTransport` for `Stream`, which is not built yet.
    pub fn socket(&self, kind: SocketType) -> Result<Socket> {
        let shared = &self.inner.shared;
        if shared.is_terminated() {
            return Err(Error::ContextTerminated);
        }
        if kind == SocketType::Stream {
            return Err(Error::UnsupportedTransport);
        }
        let id = shared.next_id();
        let core = Arc::new(SocketCore::new(id, kind, shared.clone()));
        shared.lock_sockets().insert(id, Arc::downgrade(&core));
        Ok(Socket::new(core, self.clone()))
    }

    /// Number of I/O threads.
    pub fn io_threads(&self) -> usize {
        self.inner.threads.len()
    }

    /// Makes every blocked and later call on this context's sockets return
    /// [`Error::ContextTerminated`] (zmq_ctx_shutdown). Does not wait.
    pub fn shutdown(&self) {
        let shared = &self.inner.shared;
        shared.terminated.store(true, Ordering::Release);
        let sockets: Vec<_> = shared
            .lock_sockets()
            .values()
            .filter_map(Weak::upgrade)
            .collect();
        for s in sockets {
            s.readable.notify();
            s.writable.notify();
        }
    }

    /// Shuts down, then waits until every socket is closed and their
    /// lingering messages are sent or discarded (zmq_ctx_term).
    pub fn terminate(&self) {
        self.shutdown();
        let shared = &self.inner.shared;
        let mut sockets = shared.lock_sockets();
        while !sockets.is_empty() {
            sockets = shared
                .all_closed
                .wait(sockets)
                .unwrap_or_else(|e| e.into_inner());
        }
        drop(sockets);
        for t in &self.inner.threads {
            t.stop_and_join();
        }
    }
}

impl Drop for ContextInner {
    fn drop(&mut self) {
        // Every socket is gone (they hold the context): wait for lingering
        // messages, then stop the threads.
        for t in &self.threads {
            t.stop_and_join();
        }
    }
}

impl ContextShared {
    pub(crate) fn is_terminated(&self) -> bool {
        self.terminated.load(Ordering::Acquire)
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn lock_sockets(&self) -> MutexGuard<'_, HashMap<u64, Weak<SocketCore>>> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_inproc(&self) -> MutexGuard<'_, Inproc> {
        self.inproc.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The I/O thread serving a socket.
    pub(crate) fn io_for(&self, socket_id: u64) -> &Arc<IoShared> {
        &self.io[(socket_id as usize) % self.io.len()]
    }

    /// A socket closed: tell the I/O threads to flush for `linger`.
    pub(crate) fn socket_closed(&self, socket_id: u64, linger: Option<std::time::Duration>) {
        for io in &self.io {
            io.send(IoCommand::CloseSocket { socket_id, linger });
        }
        let mut sockets = self.lock_sockets();
        sockets.remove(&socket_id);
        if sockets.is_empty() {
            self.all_closed.notify_all();
        }
    }

    /// Registers an inproc name and completes connections waiting for it.
    pub(crate) fn inproc_bind(&self, name: &str, socket: &Arc<SocketCore>) -> Result<()> {
        let mut inproc = self.lock_inproc();
        if let Some((_, existing)) = inproc.bound.get(name) {
            if existing.upgrade().is_some_and(|s| !s.is_closed()) {
                return Err(Error::AddressInUse);
            }
        }
        inproc
            .bound
            .insert(name.to_string(), (socket.id, Arc::downgrade(socket)));
        let waiting = inproc.pending.remove(name).unwrap_or_default();
        drop(inproc);
        for half in waiting {
            SocketCore::complete_inproc(socket, &half);
        }
        Ok(())
    }

    pub(crate) fn inproc_unbind(&self, name: &str, socket_id: u64) {
        let mut inproc = self.lock_inproc();
        if inproc
            .bound
            .get(name)
            .is_some_and(|(id, _)| *id == socket_id)
        {
            inproc.bound.remove(name);
        }
    }

    /// Connects to an inproc name, bound or not yet.
    pub(crate) fn inproc_connect(
        &self,
        name: &str,
        socket: &Arc<SocketCore>,
        endpoint: u64,
    ) -> Result<()> {
        let half = SocketCore::start_inproc(socket)?;
        let mut inproc = self.lock_inproc();
        let binder = inproc
            .bound
            .get(name)
            .and_then(|(_, b)| b.upgrade())
            .filter(|b| !b.is_closed());
        match binder {
            Some(binder) => {
                drop(inproc);
                SocketCore::attach_connector(socket, &half, Some(&binder), endpoint)?;
                SocketCore::complete_inproc(&binder, &half);
            }
            None => {
                SocketCore::attach_connector(socket, &half, None, endpoint)?;
                inproc
                    .pending
                    .entry(name.to_string())
                    .or_default()
                    .push(half);
            }
        }
        Ok(())
    }
}
