//! rzmq on a 2-worker tokio runtime.

use super::{runtime, warmup, Impl};
use crate::payload::{check, fill};
use crate::HWM;
use rzmq::socket::{RCVHWM, SNDHWM};
use rzmq::{Context, Msg, Socket, SocketType};
use std::time::{Duration, Instant};

pub struct Rzmq;

async fn socket(ctx: &Context, t: SocketType) -> Socket {
    let s = ctx.socket(t).unwrap();
    s.set_option(SNDHWM, HWM).await.unwrap();
    s.set_option(RCVHWM, HWM).await.unwrap();
    s
}

fn data(m: &Msg) -> &[u8] {
    m.data().unwrap_or_default()
}

impl Impl for Rzmq {
    fn thr_recv(&self, ep: &str, size: usize, count: u64) -> Duration {
        runtime().block_on(async {
            let ctx = Context::new().unwrap();
            let pull = socket(&ctx, SocketType::Pull).await;
            pull.bind(ep).await.unwrap();
            let first = pull.recv().await.unwrap();
            check(data(&first), 0, size);
            let start = Instant::now();
            for seq in 1..count {
                let m = pull.recv().await.unwrap();
                check(data(&m), seq, size);
            }
            let elapsed = start.elapsed();
            let _ = ctx.term().await;
            elapsed
        })
    }

    fn thr_send(&self, ep: &str, size: usize, count: u64) {
        runtime().block_on(async {
            let ctx = Context::new().unwrap();
            let push = socket(&ctx, SocketType::Push).await;
            push.connect(ep).await.unwrap();
            let mut buf = Vec::with_capacity(size);
            for seq in 0..count {
                fill(&mut buf, seq, size);
                push.send(Msg::from_vec(buf.clone())).await.unwrap();
            }
            crate::hold_async().await;
        });
    }

    fn lat_server(&self, ep: &str, size: usize, count: u64) {
        runtime().block_on(async {
            let ctx = Context::new().unwrap();
            let rep = socket(&ctx, SocketType::Rep).await;
            rep.bind(ep).await.unwrap();
            for _ in 0..warmup(count) + count {
                let m = rep.recv().await.unwrap();
                assert_eq!(data(&m).len(), size);
                rep.send(m).await.unwrap();
            }
            let _ = rep.close().await;
            let _ = ctx.term().await;
        });
    }

    fn lat_client(&self, ep: &str, size: usize, count: u64) -> Vec<u64> {
        runtime().block_on(async {
            let ctx = Context::new().unwrap();
            let req = socket(&ctx, SocketType::Req).await;
            req.connect(ep).await.unwrap();
            let mut buf = Vec::with_capacity(size);
            let mut samples = Vec::with_capacity(count as usize);
            let w = warmup(count);
            for seq in 0..w + count {
                fill(&mut buf, seq, size);
                let start = Instant::now();
                req.send(Msg::from_vec(buf.clone())).await.unwrap();
                let reply = req.recv().await.unwrap();
                let t = start.elapsed().as_nanos() as u64;
                check(data(&reply), seq, size);
                if seq >= w {
                    samples.push(t);
                }
            }
            let _ = ctx.term().await;
            samples
        })
    }
}
