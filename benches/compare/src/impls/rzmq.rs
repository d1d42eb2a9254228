//! rzmq on a 2-worker tokio runtime.

use super::{runtime, warmup, Impl};
use crate::fanout::{SubStats, SubTracker, IDLE};
use crate::payload::{check, fill};
use crate::HWM;
use rzmq::socket::{RCVHWM, SNDHWM, SUBSCRIBE};
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
    fn fan_pub(&self, ep: &str, size: usize, count: u64, _subs: usize) {
        runtime().block_on(async {
            let ctx = Context::new().unwrap();
            let publisher = socket(&ctx, SocketType::Pub).await;
            publisher.bind(ep).await.unwrap();
            // rzmq has no XPUB: the subscriber process says when it is ready.
            crate::fanout::wait_ready(ep);
            let mut buf = Vec::with_capacity(size);
            for seq in 0..count {
                fill(&mut buf, seq, size);
                publisher.send(Msg::from_vec(buf.clone())).await.unwrap();
            }
            crate::hold_async().await;
        });
    }

    fn fan_sub(&self, ep: &str, size: usize, count: u64, subs: usize) -> Vec<SubStats> {
        runtime().block_on(async {
            let ctx = Context::new().unwrap();
            let mut tasks = Vec::new();
            for _ in 0..subs {
                let sub = socket(&ctx, SocketType::Sub).await;
                sub.set_option(SUBSCRIBE, b"").await.unwrap();
                sub.connect(ep).await.unwrap();
                tasks.push(tokio::spawn(async move {
                    let mut t = SubTracker::new(size, count);
                    while let Ok(Ok(m)) = tokio::time::timeout(IDLE, sub.recv()).await {
                        if t.on_message(data(&m)) {
                            break;
                        }
                    }
                    t.finish()
                }));
            }
            // Time for the subscriptions to reach the publisher.
            tokio::time::sleep(Duration::from_millis(500)).await;
            crate::fanout::signal_ready(ep);
            super::join_all(tasks).await
        })
    }

    fn router_server(&self, ep: &str, _size: usize, count: u64, peers: usize) {
        runtime().block_on(async {
            let ctx = Context::new().unwrap();
            let router = socket(&ctx, SocketType::Router).await;
            router.bind(ep).await.unwrap();
            for _ in 0..count * peers as u64 {
                let m = router.recv_multipart().await.unwrap();
                router.send_multipart(m).await.unwrap();
            }
            crate::hold_async().await;
        });
    }

    fn router_clients(&self, ep: &str, size: usize, count: u64, peers: usize) -> Duration {
        runtime().block_on(async {
            let ctx = Context::new().unwrap();
            let mut dealers = Vec::new();
            for _ in 0..peers {
                let d = socket(&ctx, SocketType::Dealer).await;
                d.connect(ep).await.unwrap();
                dealers.push(d);
            }
            let start = Instant::now();
            let tasks: Vec<_> = dealers
                .into_iter()
                .map(|d| {
                    tokio::spawn(async move {
                        let mut buf = Vec::with_capacity(size);
                        for seq in 0..count {
                            fill(&mut buf, seq, size);
                            d.send(Msg::from_vec(buf.clone())).await.unwrap();
                        }
                        for seq in 0..count {
                            let m = d.recv().await.unwrap();
                            check(data(&m), seq, size);
                        }
                    })
                })
                .collect();
            super::join_all(tasks).await;
            start.elapsed()
        })
    }
}
