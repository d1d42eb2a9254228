use super::{warmup, Impl};
use crate::payload::{check, fill};
use crate::HWM;
use ferrozmq::{Bytes, Context, Message, Socket, SocketType};
use std::time::{Duration, Instant};

pub struct Ferro;

fn socket(ctx: &Context, t: SocketType) -> Socket {
    let s = ctx.socket(t).unwrap();
    s.set_sndhwm(HWM as usize).unwrap();
    s.set_rcvhwm(HWM as usize).unwrap();
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
        push.send(Message::from(Bytes::copy_from_slice(&buf))).unwrap();
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
            req.send(Message::from(Bytes::copy_from_slice(&buf))).unwrap();
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
