//! The send bypass (engine/wire.rs, REQ and REP only) must behave like the
//! queued path: spaced sends take the bypass, bursts take the pipe, and the
//! receiver sees one ordered, intact stream either way. A relaxed REQ can
//! send bursts, so it exercises both paths.

use crate::support::{bind_endpoints, TIMEOUT};
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
