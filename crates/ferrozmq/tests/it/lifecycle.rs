//! Blocking, timeouts, async, HWM and back-pressure, shutdown and linger.

use crate::support::{eventually, TIMEOUT};
use ferrozmq::{Context, Error, Message, SocketType};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::{Duration, Instant};

/// A minimal executor: the futures must work with no runtime at all.
struct ThreadWaker {
    thread: std::thread::Thread,
    wakes: AtomicUsize,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker {
        thread: std::thread::current(),
        wakes: AtomicUsize::new(0),
    }));
    let mut cx = TaskContext::from_waker(&waker);
    let mut f = pin!(f);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        assert!(Instant::now() < deadline, "future never completed");
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

#[test]
fn timeouts_and_would_block() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("inproc://t").unwrap();
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
    let start = Instant::now();
    assert!(matches!(
        pull.recv_timeout(Duration::from_millis(30)),
        Err(Error::Timeout)
    ));
    assert!(start.elapsed() >= Duration::from_millis(30));
    pull.set_rcvtimeo(Some(Duration::ZERO)).unwrap();
    assert!(matches!(pull.recv(), Err(Error::WouldBlock)));
    // A PUSH with no peer blocks (no pipe yet: nothing to queue into).
    let push = ctx.socket(SocketType::Push).unwrap();
    assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));
    assert!(matches!(
        push.send_timeout("x", Duration::from_millis(10)),
        Err(Error::Timeout)
    ));
}

#[test]
fn push_blocks_at_hwm_when_peer_absent() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_sndhwm(3).unwrap();
    push.set_linger(Some(Duration::ZERO)).unwrap();
    push.connect(&format!("tcp://127.0.0.1:{}", crate::support::free_port()))
        .unwrap();
    for i in 0..3 {
        push.try_send(i.to_string()).unwrap();
    }
    assert!(matches!(push.try_send("4"), Err(Error::WouldBlock)));
}

#[test]
fn immediate_queues_only_for_live_connections() {
    let ctx = Context::new();
    let nowhere = format!("tcp://127.0.0.1:{}", crate::support::free_port());
    // IMMEDIATE off (default): a pipe exists from connect(), messages queue.
    let queued = ctx.socket(SocketType::Push).unwrap();
    queued.set_linger(Some(Duration::ZERO)).unwrap();
    queued.connect(&nowhere).unwrap();
    queued.try_send("queued").unwrap();
    // IMMEDIATE on: no live peer, no pipe, so sending would block.
    let immediate = ctx.socket(SocketType::Push).unwrap();
    immediate.set_linger(Some(Duration::ZERO)).unwrap();
    immediate.set_immediate(true).unwrap();
    assert!(immediate.immediate().unwrap());
    immediate.connect(&nowhere).unwrap();
    assert!(matches!(immediate.try_send("x"), Err(Error::WouldBlock)));
    // Once a peer is there, it flows.
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    immediate.connect(&pull.last_endpoint().unwrap()).unwrap();
    immediate.send_timeout("live", TIMEOUT).unwrap();
    assert_eq!(pull.recv_timeout(TIMEOUT).unwrap(), Message::from("live"));
}

#[test]
fn tcp_back_pressure_loses_nothing() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set_rcvhwm(10).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_sndhwm(10).unwrap();
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    let payload = vec![7u8; 64 * 1024];
    let mut sent = 0u32;
    // Fill the pipes and the kernel buffers until the sender is stopped.
    loop {
        let mut m = Message::from(payload.clone());
        m.push_front(sent.to_be_bytes().to_vec());
        match push.send_timeout(m, Duration::from_millis(200)) {
            Ok(()) => sent += 1,
            Err(Error::Timeout) => break,
            Err(e) => panic!("{e}"),
        }
        assert!(sent < 100_000, "sender never blocked");
    }
    for i in 0..sent {
        let m = pull.recv_timeout(TIMEOUT).unwrap();
        assert_eq!(m[0], i.to_be_bytes()[..], "in order, none lost");
        assert_eq!(m[1].len(), payload.len());
    }
}

#[test]
fn async_send_and_recv_without_a_runtime() {
    let ctx = Context::new();
    let rep = ctx.socket(SocketType::Rep).unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let req = ctx.socket(SocketType::Req).unwrap();
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    let server = std::thread::spawn(move || {
        block_on(async {
            let m = rep.recv_async().await.unwrap();
            rep.send_async(m).await.unwrap();
        })
    });
    let reply = block_on(async {
        req.send_async("ping").await.unwrap();
        req.recv_async().await.unwrap()
    });
    assert_eq!(reply, Message::from("ping"));
    server.join().unwrap();
}

#[test]
fn dropped_recv_future_loses_no_message() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("inproc://cancel").unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect("inproc://cancel").unwrap();
    let waker = Waker::from(Arc::new(ThreadWaker {
        thread: std::thread::current(),
        wakes: AtomicUsize::new(0),
    }));
    let mut cx = TaskContext::from_waker(&waker);
    {
        let mut fut = pin!(pull.recv_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    push.send("kept").unwrap();
    assert_eq!(pull.try_recv().unwrap(), Message::from("kept"));
}

#[test]
fn async_recv_is_woken_by_a_send() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("inproc://wake").unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect("inproc://wake").unwrap();
    let tw = Arc::new(ThreadWaker {
        thread: std::thread::current(),
        wakes: AtomicUsize::new(0),
    });
    let waker = Waker::from(tw.clone());
    let mut cx = TaskContext::from_waker(&waker);
    let mut fut = pin!(pull.recv_async());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    push.send("wake up").unwrap();
    assert!(tw.wakes.load(Ordering::SeqCst) >= 1);
    assert!(matches!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(_))));
}

#[test]
fn shutdown_releases_blocked_calls() {
    let ctx = Context::new();
    let pull = Arc::new(ctx.socket(SocketType::Pull).unwrap());
    pull.bind("inproc://blocked").unwrap();
    let blocked = {
        let pull = pull.clone();
        std::thread::spawn(move || pull.recv())
    };
    let rep = ctx.socket(SocketType::Rep).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    ctx.shutdown();
    assert!(matches!(
        blocked.join().unwrap(),
        Err(Error::ContextTerminated)
    ));
    assert!(matches!(rep.send("x"), Err(Error::ContextTerminated)));
    assert!(matches!(
        ctx.socket(SocketType::Pub),
        Err(Error::ContextTerminated)
    ));
    let waker = Waker::noop();
    let mut cx = TaskContext::from_waker(waker);
    let mut fut = pin!(rep.recv_async());
    assert!(matches!(
        fut.as_mut().poll(&mut cx),
        Poll::Ready(Err(Error::ContextTerminated))
    ));
}

#[test]
fn linger_delivers_after_close() {
    let ctx = Context::new();
    let port = crate::support::free_port();
    let ep = format!("tcp://127.0.0.1:{port}");
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    push.send("sent before close").unwrap();
    drop(push); // returns at once; the message lingers (LINGER forever by default)
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind(&ep).unwrap();
    assert_eq!(
        pull.recv_timeout(TIMEOUT).unwrap(),
        Message::from("sent before close")
    );
}

#[test]
fn linger_zero_discards_and_terminate_returns() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_linger(Some(Duration::ZERO)).unwrap();
    push.connect(&format!("tcp://127.0.0.1:{}", crate::support::free_port()))
        .unwrap();
    push.send("never delivered").unwrap();
    drop(push);
    let start = Instant::now();
    ctx.terminate();
    assert!(start.elapsed() < TIMEOUT);
}

#[test]
fn linger_timeout_bounds_terminate() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_linger(Some(Duration::from_millis(100))).unwrap();
    push.connect(&format!("tcp://127.0.0.1:{}", crate::support::free_port()))
        .unwrap();
    push.send("never delivered").unwrap();
    drop(push);
    ctx.terminate();
}

#[test]
fn unbind_and_disconnect() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = pull.last_endpoint().unwrap();
    assert!(ep.starts_with("tcp://127.0.0.1:"));
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    push.send("1").unwrap();
    assert_eq!(pull.recv_timeout(TIMEOUT).unwrap(), Message::from("1"));
    pull.unbind(&ep).unwrap();
    assert!(matches!(pull.unbind(&ep), Err(Error::AddressNotAvailable)));
    // The port is free again.
    eventually("the port to be released", || {
        let other = ctx.socket(SocketType::Pull).unwrap();
        other.bind(&ep).ok().map(|_| other)
    });
    push.disconnect(&ep).unwrap();
    assert!(matches!(
        push.disconnect(&ep),
        Err(Error::AddressNotAvailable)
    ));
}

#[test]
fn bind_errors_are_typed() {
    let ctx = Context::new();
    let a = ctx.socket(SocketType::Pull).unwrap();
    a.bind("tcp://127.0.0.1:*").unwrap();
    let b = ctx.socket(SocketType::Pull).unwrap();
    assert!(matches!(
        b.bind(&a.last_endpoint().unwrap()),
        Err(Error::AddressInUse)
    ));
    assert!(matches!(
        b.bind("tcp://nonsense"),
        Err(Error::InvalidEndpoint(_))
    ));
    assert!(matches!(
        b.bind("bogus://x"),
        Err(Error::UnsupportedTransport)
    ));
    assert!(matches!(
        b.connect("tcp://*:5555"),
        Err(Error::InvalidEndpoint(_))
    ));
    a.bind("inproc://taken").unwrap();
    assert!(matches!(b.bind("inproc://taken"), Err(Error::AddressInUse)));
    assert!(matches!(
        ctx.socket(SocketType::Stream),
        Err(Error::UnsupportedTransport)
    ));
}

#[test]
fn ipv6_and_wildcard() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set_ipv6(true).unwrap();
    // Loopback IPv6 may be absent in some sandboxes; skip quietly then.
    if pull.bind("tcp://[::1]:*").is_err() {
        return;
    }
    let ep = pull.last_endpoint().unwrap();
    assert!(ep.starts_with("tcp://[::1]:"), "{ep}");
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_ipv6(true).unwrap();
    push.connect(&ep).unwrap();
    push.send("v6").unwrap();
    assert_eq!(pull.recv_timeout(TIMEOUT).unwrap(), Message::from("v6"));

    let any = ctx.socket(SocketType::Pull).unwrap();
    any.bind("tcp://*:*").unwrap();
    let port = any
        .last_endpoint()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&format!("tcp://localhost:{port}")).unwrap();
    push.send("by name").unwrap();
    assert_eq!(any.recv_timeout(TIMEOUT).unwrap(), Message::from("by name"));
}

#[cfg(unix)]
#[test]
fn ipc_stale_file_and_unlink() {
    let ep = crate::support::ipc_endpoint();
    let path = ep.trim_start_matches("ipc://").to_string();
    // A stale socket file from a dead process.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(std::path::Path::new(&path).exists());
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind(&ep).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    push.send("over ipc").unwrap();
    assert_eq!(
        pull.recv_timeout(TIMEOUT).unwrap(),
        Message::from("over ipc")
    );
    drop(pull);
    eventually("the socket file to be removed", || {
        (!std::path::Path::new(&path).exists()).then_some(())
    });
}

#[test]
fn conflate_keeps_only_the_newest() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set_conflate(true).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    for i in 0..100 {
        push.send(i.to_string()).unwrap();
    }
    let last = eventually("the last update", || {
        let mut newest = None;
        while let Ok(m) = pull.recv_timeout(Duration::from_millis(20)) {
            newest = Some(m);
        }
        newest.filter(|m| m == &Message::from("99"))
    });
    assert_eq!(last, Message::from("99"));
}

#[test]
fn inproc_connect_before_bind() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect("inproc://later").unwrap();
    push.send("early").unwrap();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("inproc://later").unwrap();
    assert_eq!(pull.recv_timeout(TIMEOUT).unwrap(), Message::from("early"));
}
