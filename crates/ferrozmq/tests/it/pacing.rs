//! Pacing of blocking senders (see `pipe`): it only ever
//! delays a send's return; it never loses, reorders or blocks for good.

use crate::support::*;
use ferrozmq::{Context, SocketType};
use std::sync::mpsc;
use std::time::Duration;

const MIB: usize = 1 << 20;

fn payload(i: usize, len: usize) -> Vec<u8> {
    let mut p = vec![(i % 251) as u8; len];
    p[..8].copy_from_slice(&(i as u64).to_le_bytes());
    p
}

#[test]
fn a_peer_that_reads_nothing_does_not_hold_blocking_sends() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    let ep = {
        push.bind("tcp://127.0.0.1:*").unwrap();
        push.last_endpoint().unwrap()
    };
    let mut raw = RawPeer::connect(&ep);
    raw.handshake("PULL");
    let (flags, ready) = raw.read_frame();
    assert_eq!(flags, 0x04);
    assert!(ready.starts_with(b"\x05READY"));
    // 24 MiB, far beyond the pacing budget and the kernel's buffers, to a
    // peer that reads nothing: every send must still return (the pacing
    // wait gives up when the connection stops writing).
    let count = 24;
    let (done_tx, done_rx) = mpsc::channel();
    let sender = std::thread::spawn(move || {
        for i in 0..count {
            push.send(payload(i, MIB)).unwrap();
        }
        done_tx.send(()).unwrap();
        push
    });
    done_rx
        .recv_timeout(TIMEOUT)
        .expect("blocking sends returned while the peer read nothing");
    let push = sender.join().unwrap();
    // Now the peer reads: everything arrives, whole and in order.
    for i in 0..count {
        let (flags, body) = raw.read_frame();
        assert_eq!(flags & 0x01, 0, "single-frame messages");
        assert!(body == payload(i, MIB), "message {i} intact");
    }
    drop(push);
}

#[test]
fn paced_messages_arrive_whole_and_in_order() {
    // A libzmq reader and a ferrozmq reader; 4 KiB and 256 KiB messages,
    // 16 and 64 MiB in all, so the sender paces many times.
    let zctx = zmq::Context::new();
    let ctx = Context::new();
    let cases = [
        (true, 4096, 4096),
        (true, 256, 256 * 1024),
        (false, 4096, 4096),
        (false, 256, 256 * 1024),
    ];
    for (reader_is_libzmq, count, len) in cases {
        let push = ctx.socket(SocketType::Push).unwrap();
        if reader_is_libzmq {
            let pull = zctx.socket(zmq::PULL).unwrap();
            pull.set_rcvtimeo(TIMEOUT.as_millis() as i32).unwrap();
            pull.bind("tcp://127.0.0.1:*").unwrap();
            push.connect(&pull.get_last_endpoint().unwrap().unwrap())
                .unwrap();
            let sender = std::thread::spawn(move || {
                for i in 0..count {
                    push.send(payload(i, len)).unwrap();
                }
                push
            });
            for i in 0..count {
                let m = pull.recv_bytes(0).expect("message within the timeout");
                assert!(m == payload(i, len), "message {i} intact");
            }
            drop(sender.join().unwrap());
        } else {
            let pull = ctx.socket(SocketType::Pull).unwrap();
            pull.bind("tcp://127.0.0.1:*").unwrap();
            push.connect(&pull.last_endpoint().unwrap()).unwrap();
            let sender = std::thread::spawn(move || {
                for i in 0..count {
                    push.send(payload(i, len)).unwrap();
                }
                push
            });
            for i in 0..count {
                let m = pull
                    .recv_timeout(TIMEOUT)
                    .expect("message within the timeout");
                assert!(m[0][..] == payload(i, len)[..], "message {i} intact");
            }
            drop(sender.join().unwrap());
        }
    }
}

#[test]
fn a_send_timeout_bounds_the_pacing_wait() {
    // SNDTIMEO is honoured by the pacing wait too: with a reader that takes
    // nothing, sends with a short timeout return Ok (the messages are
    // accepted, under the HWM) rather than hang or fail.
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_sndtimeo(Some(Duration::from_millis(1))).unwrap();
    push.bind("tcp://127.0.0.1:*").unwrap();
    let ep = push.last_endpoint().unwrap();
    let mut raw = RawPeer::connect(&ep);
    raw.handshake("PULL");
    // The I/O thread attaches the peer once it has read the handshake; a
    // send before that waits for a peer, which 1 ms may not cover on a
    // busy machine. Wait for it, then hold every send to 1 ms.
    push.send_timeout("first", TIMEOUT).unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let sender = std::thread::spawn(move || {
        for i in 0..12 {
            push.send(payload(i, MIB)).unwrap();
        }
        done_tx.send(()).unwrap();
        push
    });
    done_rx.recv_timeout(TIMEOUT).expect("sends returned");
    drop(sender.join().unwrap());
}
