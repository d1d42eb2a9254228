//! CPU use of a connection that has nothing it can do. This binary holds a
//! single test, so the process's CPU time is that test's own.

#[cfg(target_os = "linux")]
#[test]
fn a_connection_waiting_for_its_handshake_with_messages_queued_does_not_spin() {
    use ferrozmq::{Context, SocketType};
    use std::time::Duration;

    // A peer that accepts the connection and never says anything.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", listener.local_addr().unwrap());
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_linger(Some(Duration::ZERO)).unwrap();
    push.set_handshake_ivl(Some(Duration::from_secs(30)))
        .unwrap();
    push.connect(&ep).unwrap();
    let (_silent, _) = listener.accept().unwrap();
    // Queued for the connection, which cannot send before its handshake.
    push.send("queued").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let before = cpu_time();
    std::thread::sleep(Duration::from_millis(500));
    let used = cpu_time() - before;
    assert!(
        used < Duration::from_millis(150),
        "{used:?} of CPU in 500 ms of waiting for a handshake"
    );
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
