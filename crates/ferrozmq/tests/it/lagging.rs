//! A reader that lags behind its connections: the I/O thread delivers
//! decoded batches into pipes that are not empty, which then hold them as
//! segments of their own (pipe/queue.rs). Whatever the interleaving, every
//! message arrives once, intact, in its peer's order, and the HWM still
//! holds the writers back. Half of the peers are libzmq's.

use crate::support::{bind_endpoints, TIMEOUT};
use ferrozmq::{Context, SocketType};
use std::time::Duration;

const PEERS: u32 = 4;

/// A sending socket, kept open until the reader is done.
#[allow(dead_code)]
enum Peer {
    Ferro(ferrozmq::Socket),
    Zmq(zmq::Socket),
}
const EACH: u32 = 10_000;

/// A PULL with RCVHWM `hwm` bound to `ep`, and the endpoint it got.
fn bound_pull(ctx: &Context, ep: &str, hwm: usize) -> (ferrozmq::Socket, String) {
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set_rcvhwm(hwm).unwrap();
    pull.bind(ep).unwrap();
    let at = pull.last_endpoint().unwrap();
    (pull, at)
}

fn ferro_push(ctx: &Context, at: &str) -> ferrozmq::Socket {
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_sndtimeo(Some(TIMEOUT)).unwrap();
    push.connect(at).unwrap();
    push
}

/// libzmq's PUSH; LINGER 0, so it stays open until the reader is done.
fn zmq_push(ctx: &zmq::Context, at: &str) -> zmq::Socket {
    let push = ctx.socket(zmq::PUSH).unwrap();
    push.set_sndtimeo(TIMEOUT.as_millis() as i32).unwrap();
    push.set_linger(0).unwrap();
    push.connect(at).unwrap();
    push
}

fn body(peer: u32, seq: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + (seq % 40) as usize);
    b.extend_from_slice(&peer.to_be_bytes());
    b.extend_from_slice(&seq.to_be_bytes());
    b.resize(8 + (seq % 40) as usize, (seq % 251) as u8);
    b
}

#[test]
fn a_lagging_pull_gets_every_peers_messages_in_order() {
    for ep in bind_endpoints() {
        let ctx = Context::new();
        let (pull, at) = bound_pull(&ctx, &ep, 3_000);
        let zctx = zmq::Context::new();
        let senders: Vec<_> = (0..PEERS)
            .map(|peer| {
                if peer % 2 == 0 {
                    let push = ferro_push(&ctx, &at);
                    std::thread::spawn(move || {
                        for seq in 0..EACH {
                            push.send(body(peer, seq)).unwrap();
                        }
                        Peer::Ferro(push)
                    })
                } else {
                    let push = zmq_push(&zctx, &at);
                    std::thread::spawn(move || {
                        for seq in 0..EACH {
                            push.send(body(peer, seq), 0).unwrap();
                        }
                        Peer::Zmq(push)
                    })
                }
            })
            .collect();
        // Lag: let the connections fill the pipes (up to the HWM) while
        // nobody reads, then read in spurts with pauses.
        std::thread::sleep(Duration::from_millis(200));
        let mut next = [0u32; PEERS as usize];
        for i in 0..PEERS * EACH {
            if i % 5_000 == 4_999 {
                std::thread::sleep(Duration::from_millis(20));
            }
            let m = pull.recv_timeout(TIMEOUT).unwrap();
            let peer = u32::from_be_bytes(m[0][..4].try_into().unwrap());
            let seq = u32::from_be_bytes(m[0][4..8].try_into().unwrap());
            assert_eq!(seq, next[peer as usize], "peer {peer} in order over {ep}");
            assert_eq!(m[0][..], body(peer, seq)[..], "intact over {ep}");
            next[peer as usize] += 1;
        }
        assert!(next.iter().all(|&n| n == EACH));
        // The sockets stay open until everything has arrived (libzmq's
        // with LINGER 0 would drop what it has not written yet).
        let peers: Vec<Peer> = senders.into_iter().map(|s| s.join().unwrap()).collect();
        drop(peers);
        assert!(
            pull.recv_timeout(Duration::from_millis(50)).is_err(),
            "nothing more"
        );
    }
}

/// The parts of message `seq` of `peer`: one to four frames, now and then a
/// frame large enough to be received out of band (`read::BODY_MIN`).
fn parts(peer: u32, seq: u32) -> Vec<Vec<u8>> {
    (0..1 + seq % 4)
        .map(|part| {
            let mut frame = body(peer, seq);
            frame.push(part as u8);
            if seq % 97 == 0 && part == 0 {
                frame.resize(100 * 1024, (seq % 251) as u8);
            }
            frame
        })
        .collect()
}

/// RCVHWM 1: each connection may hold one decoded message, so it decodes
/// a read one message at a time and keeps the rest of it undecoded, across
/// multipart boundaries and large frames. Every message still arrives
/// whole, in order, from libzmq's peers as from ferrozmq's.
#[test]
fn a_pull_with_rcvhwm_1_gets_multipart_messages_whole_and_in_order() {
    const MSGS: u32 = 3_000;
    for ep in bind_endpoints() {
        let ctx = Context::new();
        let (pull, at) = bound_pull(&ctx, &ep, 1);
        let zctx = zmq::Context::new();
        let ferro = ferro_push(&ctx, &at);
        let ferro = std::thread::spawn(move || {
            for seq in 0..MSGS {
                ferro.send(parts(0, seq)).unwrap();
            }
            Peer::Ferro(ferro)
        });
        let libzmq = zmq_push(&zctx, &at);
        let libzmq = std::thread::spawn(move || {
            for seq in 0..MSGS {
                libzmq.send_multipart(parts(1, seq), 0).unwrap();
            }
            Peer::Zmq(libzmq)
        });
        std::thread::sleep(Duration::from_millis(100));
        let mut next = [0u32; 2];
        for i in 0..2 * MSGS {
            if i % 1_000 == 999 {
                std::thread::sleep(Duration::from_millis(20));
            }
            let m = pull.recv_timeout(TIMEOUT).unwrap();
            let peer = u32::from_be_bytes(m[0][..4].try_into().unwrap());
            let seq = next[peer as usize];
            let want = parts(peer, seq);
            assert_eq!(m.len(), want.len(), "peer {peer} message {seq} over {ep}");
            for (got, want) in m.iter().zip(&want) {
                assert!(got[..] == want[..], "peer {peer} message {seq} over {ep}");
            }
            next[peer as usize] += 1;
        }
        let peers = [ferro.join().unwrap(), libzmq.join().unwrap()];
        drop(peers);
        assert!(pull.recv_timeout(Duration::from_millis(50)).is_err());
    }
}
