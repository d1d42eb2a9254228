//! Pattern semantics between ferrozmq sockets, over inproc (and tcp where
//! the transport matters).

use crate::support::TIMEOUT;
use ferrozmq::{Context, Error, Message, Socket, SocketType};
use std::time::Duration;

fn sock(ctx: &Context, t: SocketType) -> Socket {
    let s = ctx.socket(t).unwrap();
    s.set_rcvtimeo(Some(TIMEOUT)).unwrap();
    s.set_sndtimeo(Some(TIMEOUT)).unwrap();
    s
}

fn text(m: &Message) -> String {
    String::from_utf8(m[m.len() - 1].to_vec()).unwrap()
}

#[test]
fn push_round_robins_in_order() {
    let ctx = Context::new();
    let push = sock(&ctx, SocketType::Push);
    push.bind("inproc://rr").unwrap();
    let pulls: Vec<Socket> = (0..3)
        .map(|_| {
            let p = sock(&ctx, SocketType::Pull);
            p.connect("inproc://rr").unwrap();
            p
        })
        .collect();
    for i in 0..9 {
        push.send(i.to_string()).unwrap();
    }
    for (k, p) in pulls.iter().enumerate() {
        let got: Vec<String> = (0..3).map(|_| text(&p.recv().unwrap())).collect();
        let want: Vec<String> = (0..3).map(|j| (k + 3 * j).to_string()).collect();
        assert_eq!(got, want);
        assert!(matches!(p.try_recv(), Err(Error::WouldBlock)));
    }
}

#[test]
fn pull_fair_queues() {
    let ctx = Context::new();
    let pull = sock(&ctx, SocketType::Pull);
    pull.bind("inproc://fq").unwrap();
    let pushes: Vec<Socket> = (0..3)
        .map(|_| {
            let p = sock(&ctx, SocketType::Push);
            p.connect("inproc://fq").unwrap();
            p
        })
        .collect();
    for (k, p) in pushes.iter().enumerate() {
        for j in 0..3 {
            p.send(format!("{k}{j}")).unwrap();
        }
    }
    let got: Vec<String> = (0..9).map(|_| text(&pull.recv().unwrap())).collect();
    assert_eq!(got, ["00", "10", "20", "01", "11", "21", "02", "12", "22"]);
}

#[test]
fn pub_sub_prefix_filtering() {
    let ctx = Context::new();
    let publisher = sock(&ctx, SocketType::Pub);
    publisher.bind("inproc://news").unwrap();
    let sport = sock(&ctx, SocketType::Sub);
    sport.subscribe("sport").unwrap();
    sport.connect("inproc://news").unwrap();
    let all = sock(&ctx, SocketType::Sub);
    all.subscribe("").unwrap();
    all.connect("inproc://news").unwrap();
    for topic in ["weather", "sport.football", "sports", "spor"] {
        publisher.send(vec![topic, "body"]).unwrap();
    }
    let got: Vec<String> = (0..2)
        .map(|_| String::from_utf8(sport.recv().unwrap()[0].to_vec()).unwrap())
        .collect();
    assert_eq!(got, ["sport.football", "sports"]);
    assert!(matches!(sport.try_recv(), Err(Error::WouldBlock)));
    for _ in 0..4 {
        all.recv().unwrap();
    }
    sport.unsubscribe("sport").unwrap();
    publisher.send("sport again").unwrap();
    assert_eq!(all.recv().unwrap(), Message::from("sport again"));
    assert!(matches!(sport.try_recv(), Err(Error::WouldBlock)));
    assert!(matches!(publisher.try_recv(), Err(Error::InvalidState)));
    assert!(matches!(sport.send("x"), Err(Error::InvalidState)));
}

#[test]
fn pub_drops_for_a_full_subscriber_and_never_blocks() {
    let ctx = Context::new();
    let publisher = sock(&ctx, SocketType::Pub);
    publisher.set_sndhwm(5).unwrap();
    publisher.bind("inproc://drop").unwrap();
    let sub = sock(&ctx, SocketType::Sub);
    sub.set_rcvhwm(5).unwrap();
    sub.subscribe("").unwrap();
    sub.connect("inproc://drop").unwrap();
    for i in 0..100 {
        publisher.try_send(i.to_string()).unwrap();
    }
    let mut n = 0;
    while sub.try_recv().is_ok() {
        n += 1;
    }
    assert_eq!(n, 10, "inproc holds SNDHWM + RCVHWM, the rest is dropped");
}

#[test]
fn req_rep_state_machine() {
    let ctx = Context::new();
    let rep = sock(&ctx, SocketType::Rep);
    rep.bind("inproc://reqrep").unwrap();
    let req = sock(&ctx, SocketType::Req);
    req.connect("inproc://reqrep").unwrap();
    assert!(matches!(req.recv(), Err(Error::InvalidState)));
    assert!(matches!(rep.send("x"), Err(Error::InvalidState)));
    req.send("q").unwrap();
    assert!(matches!(req.send("again"), Err(Error::InvalidState)));
    assert_eq!(rep.recv().unwrap(), Message::from("q"));
    assert!(matches!(rep.recv(), Err(Error::InvalidState)));
    rep.send("a").unwrap();
    assert_eq!(req.recv().unwrap(), Message::from("a"));
    req.send("q2").unwrap();
}

#[test]
fn req_relaxed_and_correlated_talk_to_rep() {
    let ctx = Context::new();
    let rep = sock(&ctx, SocketType::Rep);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let req = sock(&ctx, SocketType::Req);
    req.set_req_relaxed(true).unwrap();
    req.set_req_correlate(true).unwrap();
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    req.send("first").unwrap();
    assert_eq!(rep.recv().unwrap(), Message::from("first"));
    req.send("second").unwrap();
    rep.send("reply to first").unwrap();
    assert_eq!(rep.recv().unwrap(), Message::from("second"));
    rep.send("reply to second").unwrap();
    assert_eq!(req.recv().unwrap(), Message::from("reply to second"));
}

#[test]
fn dealer_router_identities_over_inproc() {
    let ctx = Context::new();
    let router = sock(&ctx, SocketType::Router);
    router.bind("inproc://ids").unwrap();
    let named = sock(&ctx, SocketType::Dealer);
    named.set_routing_id(b"named").unwrap();
    named.connect("inproc://ids").unwrap();
    let anon = sock(&ctx, SocketType::Dealer);
    anon.connect("inproc://ids").unwrap();
    named.send("n").unwrap();
    let m = router.recv().unwrap();
    assert_eq!(m[0], b"named"[..]);
    anon.send("a").unwrap();
    let m = router.recv().unwrap();
    assert_eq!(m[0].len(), 5);
    assert_eq!(m[0][0], 0);
    router.send(vec![m[0].clone(), "to anon".into()]).unwrap();
    router.send(vec!["named", "to named"]).unwrap();
    router.send(vec!["nobody", "dropped"]).unwrap();
    assert_eq!(anon.recv().unwrap(), Message::from("to anon"));
    assert_eq!(named.recv().unwrap(), Message::from("to named"));
    router.set_router_mandatory(true).unwrap();
    assert!(matches!(
        router.send(vec!["nobody", "x"]),
        Err(Error::HostUnreachable)
    ));
    assert!(router.set_routing_id(b"").is_err());
    assert!(router.set_routing_id(b"\x00zero").is_err());
}

#[test]
fn pair_refuses_a_second_peer() {
    let ctx = Context::new();
    let a = sock(&ctx, SocketType::Pair);
    a.bind("tcp://127.0.0.1:*").unwrap();
    let ep = a.last_endpoint().unwrap();
    let b = sock(&ctx, SocketType::Pair);
    b.connect(&ep).unwrap();
    b.send("from b").unwrap();
    assert_eq!(a.recv().unwrap(), Message::from("from b"));
    let c = sock(&ctx, SocketType::Pair);
    c.set_immediate(true).unwrap();
    c.connect(&ep).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    a.send("to b").unwrap();
    assert_eq!(b.recv().unwrap(), Message::from("to b"));
    assert!(matches!(
        c.recv_timeout(Duration::from_millis(50)),
        Err(Error::Timeout)
    ));
}

#[test]
fn xpub_xsub_proxy_shape() {
    let ctx = Context::new();
    let xpub = sock(&ctx, SocketType::XPub);
    xpub.bind("inproc://x").unwrap();
    let xsub = sock(&ctx, SocketType::XSub);
    xsub.connect("inproc://x").unwrap();
    xsub.send(&b"\x01topic"[..]).unwrap();
    assert_eq!(xpub.recv().unwrap(), Message::from(&b"\x01topic"[..]));
    xpub.send(vec!["topic", "payload"]).unwrap();
    xpub.send("other").unwrap();
    assert_eq!(
        xsub.recv().unwrap(),
        Message::from(vec!["topic", "payload"])
    );
    xsub.send("upstream").unwrap();
    assert_eq!(xpub.recv().unwrap(), Message::from("upstream"));
    drop(xsub);
    assert_eq!(xpub.recv().unwrap(), Message::from(&b"\x00topic"[..]));
}

#[test]
fn sub_resubscribes_after_publisher_restart() {
    let ctx = Context::new();
    let port = crate::support::free_port();
    let ep = format!("tcp://127.0.0.1:{port}");
    let sub = sock(&ctx, SocketType::Sub);
    sub.subscribe("t").unwrap();
    sub.connect(&ep).unwrap();
    for round in 0..2 {
        let publisher = sock(&ctx, SocketType::Pub);
        publisher.set_linger(Some(Duration::ZERO)).unwrap();
        publisher.bind(&ep).unwrap();
        let got = crate::support::eventually("subscription to reach the publisher", || {
            publisher.send(format!("t{round}")).unwrap();
            sub.recv_timeout(Duration::from_millis(20)).ok()
        });
        assert_eq!(got, Message::from(format!("t{round}")));
        drop(publisher);
        while sub.recv_timeout(Duration::from_millis(20)).is_ok() {}
    }
}

/// Many writers starting and stopping against one fair-queueing reader:
/// every pipe the reader parks while empty must come back when written
/// (a lost report would leave messages stranded and the receive timing out).
#[test]
fn fair_queue_loses_no_wake_up_with_many_bursty_peers() {
    const PEERS: usize = 24;
    const BURSTS: usize = 40;
    const BURST: usize = 5;
    for transport in ["inproc", "tcp"] {
        let ctx = Context::new();
        let pull = sock(&ctx, SocketType::Pull);
        let ep = if transport == "tcp" {
            pull.bind("tcp://127.0.0.1:*").unwrap();
            pull.last_endpoint().unwrap()
        } else {
            pull.bind("inproc://fq-bursty").unwrap();
            "inproc://fq-bursty".to_string()
        };
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let ctx = ctx.clone();
                let ep = ep.clone();
                std::thread::spawn(move || {
                    let pushes: Vec<Socket> = (0..PEERS / 4)
                        .map(|_| {
                            let p = sock(&ctx, SocketType::Push);
                            p.connect(&ep).unwrap();
                            p
                        })
                        .collect();
                    for b in 0..BURSTS {
                        for (k, p) in pushes.iter().enumerate() {
                            for i in 0..BURST {
                                let seq = b * BURST + i;
                                p.send(format!("{} {seq}", t * PEERS / 4 + k)).unwrap();
                            }
                        }
                        // Let the reader drain and park pipes between bursts.
                        if b % 8 == 0 {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    }
                    pushes
                })
            })
            .collect();
        let mut next = [0usize; PEERS];
        for _ in 0..PEERS * BURSTS * BURST {
            let m = pull
                .recv()
                .unwrap_or_else(|e| panic!("{transport}: {e:?} at {next:?}"));
            let text = text(&m);
            let (peer, seq) = text.split_once(' ').unwrap();
            let peer: usize = peer.parse().unwrap();
            assert_eq!(
                seq.parse::<usize>().unwrap(),
                next[peer],
                "{transport}: order"
            );
            next[peer] += 1;
        }
        for w in writers {
            drop(w.join().unwrap());
        }
        assert!(next.iter().all(|&n| n == BURSTS * BURST));
    }
}
