//! CPU use of a connection that has nothing it can do. This binary holds a
//! single test, so the process's CPU time is that test's own.

#[cfg(target_os = "linux")]
#[test]
fn connections_that_can_do_nothing_use_no_cpu() {
    use ferrozmq::{Context, SocketType};
    use std::time::Duration;

    let ctx = Context::new();
    let quiet = |what: &str| {
        std::thread::sleep(Duration::from_millis(100));
        let before = cpu_time();
        std::thread::sleep(Duration::from_millis(500));
        let used = cpu_time() - before;
        assert!(
            used < Duration::from_millis(150),
            "{what}: {used:?} of CPU in 500 ms"
        );
    };

    // A peer that accepts the connection and never says anything: a
    // message is queued for it, which cannot go before the handshake.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", listener.local_addr().unwrap());
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_linger(Some(Duration::ZERO)).unwrap();
    push.set_handshake_ivl(Some(Duration::from_secs(30)))
        .unwrap();
    push.connect(&ep).unwrap();
    let _silent = accept_within(&listener);
    push.send("queued").unwrap();
    quiet("waiting for a handshake with a message queued");

    // Nobody listens: the session dials again every 100 ms (default
    // RECONNECT_IVL) with a message queued.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("tcp://{}", free.local_addr().unwrap());
    drop(free);
    let dialer = ctx.socket(SocketType::Push).unwrap();
    dialer.set_linger(Some(Duration::ZERO)).unwrap();
    dialer.connect(&nowhere).unwrap();
    dialer.send("queued").unwrap();
    quiet("reconnecting with a message queued (and the above)");

    // An established pair with nothing to say.
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let idle = ctx.socket(SocketType::Push).unwrap();
    idle.connect(&pull.last_endpoint().unwrap()).unwrap();
    idle.send("hello").unwrap();
    assert_eq!(
        &pull.recv_timeout(Duration::from_secs(10)).unwrap()[0][..],
        b"hello"
    );
    quiet("an idle connection (and the above)");

    // Back-pressure both ways: a PULL that takes nothing, its pipe full at
    // RCVHWM, the PUSH's pipe full at SNDHWM, the TCP buffers full between.
    let stalled = ctx.socket(SocketType::Pull).unwrap();
    stalled.set_rcvhwm(10).unwrap();
    stalled.bind("tcp://127.0.0.1:*").unwrap();
    let pusher = ctx.socket(SocketType::Push).unwrap();
    pusher.set_sndhwm(10).unwrap();
    pusher.set_linger(Some(Duration::ZERO)).unwrap();
    pusher.connect(&stalled.last_endpoint().unwrap()).unwrap();
    let payload = vec![7u8; 64 * 1024];
    while pusher
        .send_timeout(&payload[..], Duration::from_millis(200))
        .is_ok()
    {}
    quiet("a stalled reader with every buffer full (and the above)");

    // A closed socket lingering (1 s) over a message for a silent peer.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let lingering = ctx.socket(SocketType::Push).unwrap();
    lingering.set_linger(Some(Duration::from_secs(1))).unwrap();
    lingering
        .connect(&format!("tcp://{}", listener.local_addr().unwrap()))
        .unwrap();
    let _silent_too = accept_within(&listener);
    lingering.send("queued").unwrap();
    drop(lingering);
    quiet("a closed socket lingering before its handshake (and the above)");
}

/// User plus system time of this process, from /proc/self/stat (in clock
/// ticks of 10 ms: USER_HZ is 100 on Linux).
#[cfg(target_os = "linux")]
fn cpu_time() -> std::time::Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name, which is in parentheses: state is the
    // first, utime the 12th and stime the 13th.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|f| f.parse().unwrap())
        .collect();
    std::time::Duration::from_millis((fields[0] + fields[1]) * 10)
}

/// The next connection on `listener`; fails the test after 10 s instead
/// of waiting for ever.
#[cfg(target_os = "linux")]
fn accept_within(listener: &std::net::TcpListener) -> std::net::TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no connection within 10 s"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}
