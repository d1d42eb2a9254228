use super::{warmup, Impl};
use crate::payload::{check, fill};
use crate::HWM;
use std::time::{Duration, Instant};

pub struct Libzmq;

fn socket(ctx: &zmq::Context, t: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(t).unwrap();
    s.set_sndhwm(HWM).unwrap();
    s.set_rcvhwm(crate::rcvhwm()).unwrap();
    s
}

fn receive(pull: &zmq::Socket, size: usize, count: u64) -> Duration {
    let mut msg = zmq::Message::new();
    pull.recv(&mut msg, 0).unwrap();
    check(&msg, 0, size);
    let start = Instant::now();
    for seq in 1..count {
        pull.recv(&mut msg, 0).unwrap();
        check(&msg, seq, size);
    }
    start.elapsed()
}

fn send(push: &zmq::Socket, size: usize, count: u64) {
    let mut buf = Vec::with_capacity(size);
    for seq in 0..count {
        fill(&mut buf, seq, size);
        push.send(&buf[..], 0).unwrap();
    }
}

impl Impl for Libzmq {
    fn thr_recv(&self, ep: &str, size: usize, count: u64) -> Duration {
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        pull.bind(ep).unwrap();
        receive(&pull, size, count)
    }

    fn thr_send(&self, ep: &str, size: usize, count: u64) {
        let ctx = zmq::Context::new();
        let push = socket(&ctx, zmq::PUSH);
        push.connect(ep).unwrap();
        send(&push, size, count);
        crate::hold();
    }

    fn thr_inproc(&self, ep: &str, size: usize, count: u64) -> Duration {
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        pull.bind(ep).unwrap();
        let push = socket(&ctx, zmq::PUSH);
        push.connect(ep).unwrap();
        let sender = std::thread::spawn(move || send(&push, size, count));
        let elapsed = receive(&pull, size, count);
        sender.join().unwrap();
        elapsed
    }

    fn lat_server(&self, ep: &str, size: usize, count: u64) {
        let ctx = zmq::Context::new();
        let rep = socket(&ctx, zmq::REP);
        rep.bind(ep).unwrap();
        let mut msg = zmq::Message::new();
        for _ in 0..warmup(count) + count {
            rep.recv(&mut msg, 0).unwrap();
            assert_eq!(msg.len(), size);
            rep.send(&msg[..], 0).unwrap();
        }
    }

    fn fan_pub(&self, ep: &str, size: usize, count: u64, subs: usize) {
        let ctx = zmq::Context::new();
        let xpub = socket(&ctx, zmq::XPUB);
        xpub.set_xpub_verbose(true).unwrap();
        xpub.bind(ep).unwrap();
        let mut msg = zmq::Message::new();
        for _ in 0..subs {
            xpub.recv(&mut msg, 0).unwrap();
        }
        send(&xpub, size, count);
        crate::hold();
    }

    fn fan_sub(
        &self,
        ep: &str,
        size: usize,
        count: u64,
        subs: usize,
    ) -> Vec<crate::fanout::SubStats> {
        let ctx = zmq::Context::new();
        let threads: Vec<_> = (0..subs)
            .map(|_| {
                let sub = socket(&ctx, zmq::SUB);
                sub.set_subscribe(b"").unwrap();
                sub.set_rcvtimeo(crate::fanout::IDLE.as_millis() as i32)
                    .unwrap();
                sub.connect(ep).unwrap();
                std::thread::spawn(move || {
                    let mut t = crate::fanout::SubTracker::new(size, count);
                    let mut msg = zmq::Message::new();
                    while sub.recv(&mut msg, 0).is_ok() {
                        if t.on_message(&msg) {
                            break;
                        }
                    }
                    t.finish()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    }

    fn router_server(&self, ep: &str, _size: usize, count: u64, peers: usize) {
        let ctx = zmq::Context::new();
        let router = socket(&ctx, zmq::ROUTER);
        router.bind(ep).unwrap();
        for _ in 0..count * peers as u64 {
            let m = router.recv_multipart(0).unwrap();
            router.send_multipart(m, 0).unwrap();
        }
        crate::hold();
    }

    fn fanin_recv(&self, ep: &str, size: usize, count: u64, peers: usize) -> Duration {
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        pull.bind(ep).unwrap();
        let mut t = crate::fanin::Tracker::new(size, peers);
        let mut msg = zmq::Message::new();
        t.warm_up(ep, |t| {
            pull.recv(&mut msg, 0).unwrap();
            t.on_message(&msg);
        });
        pull.recv(&mut msg, 0).unwrap();
        t.on_message(&msg);
        let start = Instant::now();
        for _ in 1..count {
            pull.recv(&mut msg, 0).unwrap();
            t.on_message(&msg);
        }
        start.elapsed()
    }

    fn fanin_send(&self, ep: &str, size: usize, count: u64, peers: usize) {
        let ctx = zmq::Context::new();
        let pushes: Vec<zmq::Socket> = (0..peers)
            .map(|_| {
                let s = socket(&ctx, zmq::PUSH);
                s.connect(ep).unwrap();
                s
            })
            .collect();
        let mut buf = Vec::with_capacity(size);
        for (peer, push) in pushes.iter().enumerate() {
            crate::fanin::fill(&mut buf, peer as u64, 0, size);
            push.send(&buf[..], 0).unwrap();
        }
        crate::fanout::wait_ready(ep);
        for (peer, seq) in crate::fanin::schedule(count, peers) {
            crate::fanin::fill(&mut buf, peer as u64, seq, size);
            pushes[peer].send(&buf[..], 0).unwrap();
        }
        crate::hold();
    }

    fn idle_router(&self, ep: &str) {
        let ctx = zmq::Context::new();
        let router = socket(&ctx, zmq::ROUTER);
        router.bind(ep).unwrap();
        println!("ready");
        // libzmq attaches new peers only inside socket calls: keep polling.
        let mut msg = zmq::Message::new();
        router.set_rcvtimeo(100).unwrap();
        loop {
            let _ = router.recv(&mut msg, 0);
        }
    }

    fn router_clients(&self, ep: &str, size: usize, count: u64, peers: usize) -> Duration {
        let ctx = zmq::Context::new();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(peers + 1));
        let threads: Vec<_> = (0..peers)
            .map(|_| {
                let d = socket(&ctx, zmq::DEALER);
                d.connect(ep).unwrap();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    send(&d, size, count);
                    let mut msg = zmq::Message::new();
                    for seq in 0..count {
                        d.recv(&mut msg, 0).unwrap();
                        check(&msg, seq, size);
                    }
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        for t in threads {
            t.join().unwrap();
        }
        start.elapsed()
    }

    fn lat_client(&self, ep: &str, size: usize, count: u64) -> Vec<u64> {
        let ctx = zmq::Context::new();
        let req = socket(&ctx, zmq::REQ);
        req.connect(ep).unwrap();
        let mut buf = Vec::with_capacity(size);
        let mut msg = zmq::Message::new();
        let mut samples = Vec::with_capacity(count as usize);
        let w = warmup(count);
        for seq in 0..w + count {
            fill(&mut buf, seq, size);
            let start = Instant::now();
            req.send(&buf[..], 0).unwrap();
            req.recv(&mut msg, 0).unwrap();
            let t = start.elapsed().as_nanos() as u64;
            check(&msg, seq, size);
            if seq >= w {
                samples.push(t);
            }
        }
        samples
    }
}
