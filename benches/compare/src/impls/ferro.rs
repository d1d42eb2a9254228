use super::{warmup, Impl};
use crate::payload::{check, fill};
use crate::HWM;
use ferrozmq::{Context, Socket, SocketType};
use std::time::{Duration, Instant};

pub struct Ferro;

fn socket(ctx: &Context, t: SocketType) -> Socket {
    let s = ctx.socket(t).unwrap();
    s.set_sndhwm(HWM as usize).unwrap();
    s.set_rcvhwm(crate::rcvhwm() as usize).unwrap();
    s
}

fn receive(pull: &Socket, size: usize, count: u64) -> Duration {
    let first = pull.recv().unwrap();
    check(&first[0], 0, size);
    let start = Instant::now();
    for seq in 1..count {
        let m = pull.recv().unwrap();
        check(&m[0], seq, size);
    }
    start.elapsed()
}

fn send(push: &Socket, size: usize, count: u64) {
    let mut buf = Vec::with_capacity(size);
    for seq in 0..count {
        fill(&mut buf, seq, size);
        push.send(&buf[..]).unwrap();
    }
}

impl Impl for Ferro {
    fn thr_recv(&self, ep: &str, size: usize, count: u64) -> Duration {
        let ctx = Context::new();
        let pull = socket(&ctx, SocketType::Pull);
        pull.bind(ep).unwrap();
        receive(&pull, size, count)
    }

    fn thr_send(&self, ep: &str, size: usize, count: u64) {
        let ctx = Context::new();
        let push = socket(&ctx, SocketType::Push);
        push.connect(ep).unwrap();
        send(&push, size, count);
        crate::hold();
    }

    fn thr_inproc(&self, ep: &str, size: usize, count: u64) -> Duration {
        let ctx = Context::new();
        let pull = socket(&ctx, SocketType::Pull);
        pull.bind(ep).unwrap();
        let push = socket(&ctx, SocketType::Push);
        push.connect(ep).unwrap();
        let sender = std::thread::spawn(move || send(&push, size, count));
        let elapsed = receive(&pull, size, count);
        sender.join().unwrap();
        elapsed
    }

    fn lat_server(&self, ep: &str, size: usize, count: u64) {
        let ctx = Context::new();
        let rep = socket(&ctx, SocketType::Rep);
        rep.bind(ep).unwrap();
        for _ in 0..warmup(count) + count {
            let m = rep.recv().unwrap();
            assert_eq!(m[0].len(), size);
            rep.send(m).unwrap();
        }
    }

    fn fan_pub(&self, ep: &str, size: usize, count: u64, subs: usize) {
        Ferro::fan_pub_impl(ep, size, count, subs)
    }

    fn fan_sub(
        &self,
        ep: &str,
        size: usize,
        count: u64,
        subs: usize,
    ) -> Vec<crate::fanout::SubStats> {
        Ferro::fan_sub_impl(ep, size, count, subs)
    }

    fn router_server(&self, ep: &str, _size: usize, count: u64, peers: usize) {
        Ferro::router_server_impl(ep, count, peers)
    }

    fn fanin_recv(&self, ep: &str, size: usize, count: u64, peers: usize) -> Duration {
        let ctx = Context::new();
        let pull = socket(&ctx, SocketType::Pull);
        pull.bind(ep).unwrap();
        let mut t = crate::fanin::Tracker::new(size, peers);
        t.warm_up(ep, |t| t.on_message(&pull.recv().unwrap()[0]));
        t.on_message(&pull.recv().unwrap()[0]);
        let start = Instant::now();
        for _ in 1..count {
            t.on_message(&pull.recv().unwrap()[0]);
        }
        start.elapsed()
    }

    fn fanin_send(&self, ep: &str, size: usize, count: u64, peers: usize) {
        let ctx = Context::new();
        let pushes: Vec<Socket> = (0..peers)
            .map(|_| {
                let s = socket(&ctx, SocketType::Push);
                s.connect(ep).unwrap();
                s
            })
            .collect();
        let mut buf = Vec::with_capacity(size);
        for (peer, push) in pushes.iter().enumerate() {
            crate::fanin::fill(&mut buf, peer as u64, 0, size);
            push.send(&buf[..]).unwrap();
        }
        crate::fanout::wait_ready(ep);
        for (peer, seq) in crate::fanin::schedule(count, peers) {
            crate::fanin::fill(&mut buf, peer as u64, seq, size);
            pushes[peer].send(&buf[..]).unwrap();
        }
        crate::hold();
    }

    fn idle_router(&self, ep: &str) {
        let ctx = Context::new();
        let router = socket(&ctx, SocketType::Router);
        router.bind(ep).unwrap();
        println!("ready");
        crate::hold();
    }

    fn router_clients(&self, ep: &str, size: usize, count: u64, peers: usize) -> Duration {
        Ferro::router_clients_impl(ep, size, count, peers)
    }

    fn lat_client(&self, ep: &str, size: usize, count: u64) -> Vec<u64> {
        let ctx = Context::new();
        let req = socket(&ctx, SocketType::Req);
        req.connect(ep).unwrap();
        let mut buf = Vec::with_capacity(size);
        let mut samples = Vec::with_capacity(count as usize);
        let w = warmup(count);
        for seq in 0..w + count {
            fill(&mut buf, seq, size);
            let start = Instant::now();
            req.send(&buf[..]).unwrap();
            let reply = req.recv().unwrap();
            let t = start.elapsed().as_nanos() as u64;
            check(&reply[0], seq, size);
            if seq >= w {
                samples.push(t);
            }
        }
        samples
    }
}

impl Ferro {
    pub fn fan_pub_impl(ep: &str, size: usize, count: u64, subs: usize) {
        let ctx = Context::new();
        let xpub = socket(&ctx, SocketType::XPub);
        xpub.set_xpub_verbose(true).unwrap();
        xpub.bind(ep).unwrap();
        for _ in 0..subs {
            xpub.recv().unwrap();
        }
        send(&xpub, size, count);
        crate::hold();
    }

    pub fn fan_sub_impl(
        ep: &str,
        size: usize,
        count: u64,
        subs: usize,
    ) -> Vec<crate::fanout::SubStats> {
        let ctx = Context::new();
        let threads: Vec<_> = (0..subs)
            .map(|_| {
                let sub = socket(&ctx, SocketType::Sub);
                sub.subscribe("").unwrap();
                sub.connect(ep).unwrap();
                std::thread::spawn(move || {
                    let mut t = crate::fanout::SubTracker::new(size, count);
                    while let Ok(m) = sub.recv_timeout(crate::fanout::IDLE) {
                        if t.on_message(&m[0]) {
                            break;
                        }
                    }
                    t.finish()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    }

    pub fn router_server_impl(ep: &str, count: u64, peers: usize) {
        let ctx = Context::new();
        let router = socket(&ctx, SocketType::Router);
        router.bind(ep).unwrap();
        for _ in 0..count * peers as u64 {
            let m = router.recv().unwrap();
            router.send(m).unwrap();
        }
        crate::hold();
    }

    pub fn router_clients_impl(ep: &str, size: usize, count: u64, peers: usize) -> Duration {
        let ctx = Context::new();
        let dealers: Vec<Socket> = (0..peers)
            .map(|_| {
                let d = socket(&ctx, SocketType::Dealer);
                d.connect(ep).unwrap();
                d
            })
            .collect();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(peers + 1));
        let threads: Vec<_> = dealers
            .into_iter()
            .map(|d| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    // Send all, then take the echoes (as the libzmq version,
                    // whose sockets cannot be shared between threads).
                    send(&d, size, count);
                    for seq in 0..count {
                        let m = d.recv().unwrap();
                        check(&m[0], seq, size);
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
}
