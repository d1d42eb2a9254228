//! Every valid socket-type pair against real libzmq (4.3.4, built by the
//! `zmq` crate), with ferrozmq and libzmq each on either side, each side
//! binding, over tcp and ipc.

use crate::support::*;
use std::time::Duration;

/// Runs `scenario(a, b)` for every implementation placement, bind side
/// and transport. `a` is of type `ta`, `b` of type `tb`.
fn matrix(ta: zmq::SocketType, tb: zmq::SocketType, scenario: fn(&dyn Side, &dyn Side)) {
    for ferro_is_a in [true, false] {
        for a_binds in [true, false] {
            for ep in bind_endpoints() {
                let fctx = ferrozmq::Context::new();
                let zctx = zmq::Context::new();
                let (a, b): (Box<dyn Side>, Box<dyn Side>) = if ferro_is_a {
                    (
                        Box::new(Ferro::new(&fctx, ta)),
                        Box::new(Zmq::new(&zctx, tb)),
                    )
                } else {
                    (
                        Box::new(Zmq::new(&zctx, ta)),
                        Box::new(Ferro::new(&fctx, tb)),
                    )
                };
                let (binder, connector) = if a_binds { (&a, &b) } else { (&b, &a) };
                let resolved = binder.bind(&ep);
                connector.connect(&resolved);
                eprintln!(
                    "{:?}({}) <-> {:?}({}) over {resolved}, {} binds",
                    ta,
                    a.name(),
                    tb,
                    b.name(),
                    if a_binds { "a" } else { "b" }
                );
                scenario(a.as_ref(), b.as_ref());
            }
        }
    }
}

fn one_way(a: &dyn Side, b: &dyn Side) {
    let msg = frames(&[b"multi", b"", b"part"]);
    a.send(msg.clone());
    a.send(frames(&[b""]));
    assert_eq!(b.recv(), msg);
    assert_eq!(b.recv(), frames(&[b""]));
}

fn both_ways(a: &dyn Side, b: &dyn Side) {
    one_way(a, b);
    one_way(b, a);
}

#[test]
fn push_pull() {
    matrix(zmq::PUSH, zmq::PULL, one_way);
}

#[test]
fn pair_pair() {
    matrix(zmq::PAIR, zmq::PAIR, both_ways);
}

#[test]
fn dealer_dealer() {
    matrix(zmq::DEALER, zmq::DEALER, both_ways);
}

#[test]
fn req_rep() {
    matrix(zmq::REQ, zmq::REP, |req, rep| {
        for i in 0..3u8 {
            req.send(frames(&[b"question", &[i]]));
            assert_eq!(rep.recv(), frames(&[b"question", &[i]]));
            rep.send(frames(&[b"answer", &[i]]));
            assert_eq!(req.recv(), frames(&[b"answer", &[i]]));
        }
        // Frames larger than a read: a ferrozmq REQ or REP waiting in
        // `recv` receives them out of band, on its own thread or the I/O
        // thread's, whichever reads first.
        for size in [70_000usize, 1_300_000] {
            let body: Vec<u8> = (0..size).map(|k| (k % 253) as u8).collect();
            req.send(vec![b"big".to_vec(), body.clone()]);
            assert_eq!(rep.recv(), vec![b"big".to_vec(), body.clone()]);
            rep.send(vec![body.clone(), b"back".to_vec()]);
            assert_eq!(req.recv(), vec![body, b"back".to_vec()]);
        }
    });
}

#[test]
fn req_router() {
    matrix(zmq::REQ, zmq::ROUTER, |req, router| {
        req.send(frames(&[b"q"]));
        let got = router.recv();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(&got[1..], &frames(&[b"", b"q"])[..]);
        router.send(vec![got[0].clone(), vec![], b"r".to_vec()]);
        assert_eq!(req.recv(), frames(&[b"r"]));
    });
}

#[test]
fn dealer_rep() {
    matrix(zmq::DEALER, zmq::REP, |dealer, rep| {
        dealer.send(frames(&[b"", b"q"]));
        assert_eq!(rep.recv(), frames(&[b"q"]));
        rep.send(frames(&[b"r"]));
        assert_eq!(dealer.recv(), frames(&[b"", b"r"]));
    });
}

#[test]
fn dealer_router() {
    matrix(zmq::DEALER, zmq::ROUTER, |dealer, router| {
        dealer.send(frames(&[b"q", b"2"]));
        let got = router.recv();
        assert_eq!(&got[1..], &frames(&[b"q", b"2"])[..]);
        assert_eq!(got[0].len(), 5, "generated routing id");
        router.send(vec![got[0].clone(), b"r".to_vec()]);
        assert_eq!(dealer.recv(), frames(&[b"r"]));
    });
}

/// Publishes until the subscriber has joined, then checks filtering.
fn pubsub(publisher: &dyn Side, subscriber: &dyn Side, xpub: bool, xsub: bool) {
    if xsub {
        subscriber.send(frames(&[b"\x01A"]));
    } else {
        subscriber.subscribe(b"A");
    }
    if xpub {
        // libzmq processes its pipe attachments only inside socket calls, so
        // a libzmq subscriber must be poked while we wait.
        let notice = eventually("subscription at the XPUB", || {
            assert!(subscriber.recv_within(Duration::from_millis(1)).is_none());
            publisher.recv_within(Duration::from_millis(20))
        });
        assert_eq!(notice, frames(&[b"\x01A"]));
    }
    let joined = eventually("subscriber to join", || {
        publisher.send(frames(&[b"B: filtered"]));
        publisher.send(frames(&[b"A", b"wanted"]));
        subscriber.recv_within(Duration::from_millis(20))
    });
    assert_eq!(joined, frames(&[b"A", b"wanted"]));
    // Drain: only A messages may arrive.
    while let Some(m) = subscriber.recv_within(Duration::from_millis(50)) {
        assert_eq!(m, frames(&[b"A", b"wanted"]));
    }
}

#[test]
fn pub_sub() {
    matrix(zmq::PUB, zmq::SUB, |p, s| pubsub(p, s, false, false));
}

#[test]
fn xpub_sub() {
    matrix(zmq::XPUB, zmq::SUB, |p, s| pubsub(p, s, true, false));
}

#[test]
fn pub_xsub() {
    matrix(zmq::PUB, zmq::XSUB, |p, s| pubsub(p, s, false, true));
}

#[test]
fn xpub_xsub() {
    matrix(zmq::XPUB, zmq::XSUB, |p, s| pubsub(p, s, true, true));
}

/// Large frames (read into their own buffers by ferrozmq), alone, inside
/// multipart messages and between small ones, arrive whole and in order.
fn large_and_mixed(a: &dyn Side, b: &dyn Side) {
    let pattern = |len: usize, seed: u8| -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    };
    let msgs: Vec<Frames> = vec![
        vec![b"small".to_vec()],
        vec![pattern(65_536, 1)],
        vec![
            b"head".to_vec(),
            pattern(200_000, 2),
            Vec::new(),
            pattern(70_001, 3),
        ],
        vec![pattern((1 << 20) + 3, 4)],
        vec![pattern(65_535, 5), pattern(65_537, 6)],
        vec![b"tail".to_vec()],
    ];
    for m in &msgs {
        a.send(m.clone());
    }
    for m in &msgs {
        let got = b.recv();
        assert_eq!(got.len(), m.len());
        assert!(
            got == *m,
            "frames differ (sizes {:?})",
            got.iter().map(Vec::len).collect::<Vec<_>>()
        );
    }
}

#[test]
fn push_pull_large_and_mixed() {
    matrix(zmq::PUSH, zmq::PULL, large_and_mixed);
}
