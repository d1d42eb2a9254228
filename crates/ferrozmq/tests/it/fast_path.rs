//! The send bypass (engine/wire.rs, REQ and REP only) must behave like the
//! queued path: spaced sends take the bypass, bursts take the pipe, and the
//! receiver sees one ordered, intact stream either way. A relaxed REQ can
//! send bursts, so it exercises both paths.

use crate::support::{bind_endpoints, RawPeer, TIMEOUT};
use ferrozmq::{Context, SocketType};
use std::time::Duration;

#[test]
fn bypass_and_queue_interleave_in_order() {
    for ep in bind_endpoints() {
        let ctx = Context::new();
        let pull = ctx.socket(SocketType::Router).unwrap();
        pull.bind(&ep).unwrap();
        let push = ctx.socket(SocketType::Req).unwrap();
        push.set_req_relaxed(true).unwrap();
        push.connect(&pull.last_endpoint().unwrap()).unwrap();
        // Wait for the connection, so later sends can take the bypass.
        push.send("hello").unwrap();
        let hello = pull.recv_timeout(TIMEOUT).unwrap();
        assert_eq!(hello[2], b"hello"[..]);
        let size = |i: u32| match i % 7 {
            0 => 70_000,
            1 => 0,
            _ => (i as usize * 13) % 300,
        };
        let n = 1500u32;
        let sender = std::thread::spawn(move || {
            for i in 0..n {
                if i % 40 < 4 {
                    // Spaced out: past the bypass gap.
                    std::thread::sleep(Duration::from_micros(100));
                }
                let body = vec![(i % 251) as u8; size(i)];
                push.send(vec![i.to_be_bytes().to_vec(), body]).unwrap();
            }
            push
        });
        for i in 0..n {
            let m = pull.recv_timeout(TIMEOUT).unwrap();
            // [routing id, "", seq, body]
            assert_eq!(m[2], i.to_be_bytes()[..], "message {i} in order over {ep}");
            assert_eq!(m[3].len(), size(i));
            assert!(m[3].iter().all(|b| *b == (i % 251) as u8));
        }
        drop(sender.join().unwrap());
    }
}

#[test]
fn req_rep_round_trips_over_the_bypass() {
    for ep in bind_endpoints() {
        let ctx = Context::new();
        let rep = ctx.socket(SocketType::Rep).unwrap();
        rep.bind(&ep).unwrap();
        let req = ctx.socket(SocketType::Req).unwrap();
        req.connect(&rep.last_endpoint().unwrap()).unwrap();
        let server = std::thread::spawn(move || {
            for _ in 0..200 {
                let m = rep.recv_timeout(TIMEOUT).unwrap();
                rep.send(m).unwrap();
            }
        });
        for i in 0..200u32 {
            req.send(i.to_be_bytes().to_vec()).unwrap();
            let reply = req.recv_timeout(TIMEOUT).unwrap();
            assert_eq!(reply[0], i.to_be_bytes()[..]);
        }
        server.join().unwrap();
    }
}

/// A REP blocked in `recv` reads its stream itself (the receive bypass).
/// Bursts larger than its receive HWM, and frames far larger than one
/// read, must still arrive whole and in order: the bypass hands a full
/// pipe over to the I/O thread, and either thread goes on with a large
/// frame the other began.
#[test]
fn receive_bypass_keeps_bursts_and_large_frames_whole_and_in_order() {
    for ep in bind_endpoints() {
        let ctx = Context::new();
        let rep = ctx.socket(SocketType::Rep).unwrap();
        rep.set_rcvhwm(4).unwrap();
        rep.bind(&ep).unwrap();
        let dealer = ctx.socket(SocketType::Dealer).unwrap();
        dealer.connect(&rep.last_endpoint().unwrap()).unwrap();
        let size = |i: u32| match i % 9 {
            0 => 1_500_000,
            4 => 70_000,
            _ => (i as usize * 31) % 5000,
        };
        let n = 300u32;
        let server = std::thread::spawn(move || {
            for _ in 0..n {
                let m = rep.recv_timeout(TIMEOUT).unwrap();
                rep.send(m).unwrap();
            }
        });
        let mut replies = 0u32;
        for burst in (0..n).collect::<Vec<_>>().chunks(25) {
            for &i in burst {
                let body = vec![(i % 251) as u8; size(i)];
                dealer
                    .send(vec![Vec::new(), i.to_be_bytes().to_vec(), body])
                    .unwrap();
            }
            // Let the REP drain the burst and block in `recv` again.
            for _ in burst {
                let m = dealer.recv_timeout(TIMEOUT).unwrap();
                let i = replies;
                assert_eq!(m[1], i.to_be_bytes()[..], "reply {i} in order over {ep}");
                assert_eq!(m[2].len(), size(i));
                assert!(m[2].iter().all(|b| *b == (i % 251) as u8));
                replies += 1;
            }
        }
        server.join().unwrap();
    }
}

/// libzmq closes a connection whose peer does not answer its heartbeat
/// PINGs within HEARTBEAT_TIMEOUT. A ferrozmq REQ waiting for a slow reply
/// must keep answering them (whichever thread reads the PING), so the
/// reply still arrives.
#[test]
fn a_waiting_req_answers_libzmq_heartbeats() {
    let zctx = zmq::Context::new();
    let zrep = zctx.socket(zmq::REP).unwrap();
    zrep.set_heartbeat_ivl(20).unwrap();
    zrep.set_heartbeat_timeout(150).unwrap();
    zrep.bind("tcp://127.0.0.1:*").unwrap();
    let ep = zrep.get_last_endpoint().unwrap().unwrap();
    let server = std::thread::spawn(move || {
        zrep.set_rcvtimeo(TIMEOUT.as_millis() as i32).unwrap();
        let m = zrep.recv_bytes(0).unwrap();
        // Several heartbeat timeouts pass while the REQ waits.
        std::thread::sleep(Duration::from_millis(800));
        zrep.send(m, 0).unwrap();
    });
    let ctx = Context::new();
    let req = ctx.socket(SocketType::Req).unwrap();
    req.connect(&ep).unwrap();
    req.send("slow").unwrap();
    let reply = req.recv_timeout(TIMEOUT).unwrap();
    assert_eq!(reply[0], b"slow"[..]);
    server.join().unwrap();
}

/// A frame over MAXMSGSIZE arriving while the REP waits in `recv` ends the
/// connection, as it does when the I/O thread reads it.
#[test]
fn receive_bypass_ends_the_connection_on_bad_input() {
    let ctx = Context::new();
    let rep = ctx.socket(SocketType::Rep).unwrap();
    rep.set_maxmsgsize(Some(100)).unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let mut peer = RawPeer::connect(&rep.last_endpoint().unwrap());
    peer.handshake("REQ");
    // A request (empty delimiter, body) and its reply: the connection is up.
    peer.write(&[0x01, 0x00, 0x00, 0x02, b'h', b'i']);
    let server = std::thread::spawn(move || {
        let m = rep.recv_timeout(TIMEOUT).unwrap();
        rep.send(m).unwrap();
        rep.recv_timeout(Duration::from_millis(300))
    });
    // The peer's READY, then the reply.
    let (flags, _) = peer.read_frame();
    assert_eq!(flags & 0x04, 0x04, "READY first");
    assert_eq!(peer.read_frame(), (0x01, vec![]));
    assert_eq!(peer.read_frame(), (0x00, b"hi".to_vec()));
    // The REP is (most likely) blocked in its second `recv` by now.
    std::thread::sleep(Duration::from_millis(50));
    let mut big = vec![0x01, 0x00, 0x00, 200];
    big.extend([7u8; 200]);
    peer.write(&big);
    assert!(
        peer.closed_by_peer(),
        "oversized frame must end the connection"
    );
    assert!(matches!(
        server.join().unwrap(),
        Err(ferrozmq::Error::Timeout)
    ));
}

/// A REQ waiting through the bypass still times out, and is released by
/// a context shutdown.
#[test]
fn timeout_and_shutdown_reach_a_bypass_waiter() {
    for ep in bind_endpoints() {
        let ctx = Context::new();
        let rep = ctx.socket(SocketType::Rep).unwrap();
        rep.bind(&ep).unwrap();
        let req = std::sync::Arc::new(ctx.socket(SocketType::Req).unwrap());
        req.connect(&rep.last_endpoint().unwrap()).unwrap();
        req.send("ping").unwrap();
        // Received, never answered.
        rep.recv_timeout(TIMEOUT).unwrap();
        assert!(matches!(
            req.recv_timeout(Duration::from_millis(50)),
            Err(ferrozmq::Error::Timeout)
        ));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let req = req.clone();
            std::thread::spawn(move || tx.send(req.recv().map(|_| ())));
        }
        std::thread::sleep(Duration::from_millis(50));
        ctx.shutdown();
        let result = rx
            .recv_timeout(TIMEOUT)
            .expect("shutdown released the waiter");
        assert!(matches!(result, Err(ferrozmq::Error::ContextTerminated)));
    }
}

/// The receive bypass waits on every connection of a socket at once: a
/// REP serving several REQs, and a REQ spreading requests over several
/// REPs, each get every reply from the right peer.
#[test]
fn receive_bypass_with_several_peers() {
    for ep in bind_endpoints() {
        let ctx = Context::new();
        // One REP, three REQ clients in threads of their own.
        let rep = ctx.socket(SocketType::Rep).unwrap();
        rep.bind(&ep).unwrap();
        let endpoint = rep.last_endpoint().unwrap();
        let clients: Vec<_> = (0..3u8)
            .map(|c| {
                let req = ctx.socket(SocketType::Req).unwrap();
                req.connect(&endpoint).unwrap();
                std::thread::spawn(move || {
                    for i in 0..100u32 {
                        let body = [vec![c], i.to_be_bytes().to_vec()].concat();
                        req.send(body.clone()).unwrap();
                        assert_eq!(req.recv_timeout(TIMEOUT).unwrap()[0], body[..]);
                    }
                })
            })
            .collect();
        for _ in 0..300 {
            let m = rep.recv_timeout(TIMEOUT).unwrap();
            rep.send(m).unwrap();
        }
        for c in clients {
            c.join().unwrap();
        }

        // One REQ over two REPs, each answering with its own tag.
        let req = ctx.socket(SocketType::Req).unwrap();
        let servers: Vec<_> = (0..2u8)
            .map(|tag| {
                let rep = ctx.socket(SocketType::Rep).unwrap();
                let ep = match ep.strip_suffix(".sock") {
                    Some(path) => format!("{path}-{tag}.sock"),
                    None => ep.clone(),
                };
                rep.bind(&ep).unwrap();
                req.connect(&rep.last_endpoint().unwrap()).unwrap();
                std::thread::spawn(move || {
                    while let Ok(m) = rep.recv_timeout(Duration::from_millis(500)) {
                        rep.send(vec![m[0].to_vec(), vec![tag]]).unwrap();
                    }
                })
            })
            .collect();
        let mut tags = [0u32; 2];
        for i in 0..100u32 {
            req.send(i.to_be_bytes().to_vec()).unwrap();
            let reply = req.recv_timeout(TIMEOUT).unwrap();
            assert_eq!(reply[0], i.to_be_bytes()[..], "reply {i} over {ep}");
            tags[reply[1][0] as usize] += 1;
        }
        assert!(
            tags.iter().all(|&n| n > 0),
            "both servers answered: {tags:?}"
        );
        drop(req);
        for s in servers {
            s.join().unwrap();
        }
    }
}
