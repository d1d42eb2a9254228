//! omq-tokio with its sockets on a 2-worker tokio runtime (the tokio ports'
//! footing), through `Socket::new`.

use super::{runtime, warmup, Impl};
use crate::fanout::{SubStats, SubTracker, IDLE};
use crate::payload::{check, fill};
use crate::HWM;
use bytes::Bytes;
use omq_tokio::{Message, Options, Socket, SocketType};
use std::time::{Duration, Instant};

pub struct Omq;

fn socket(t: SocketType) -> Socket {
    let opts = Options::default().send_hwm(HWM as u32).recv_hwm(HWM as u32);
    Socket::new(t, opts)
}

fn part(m: &Message) -> &[u8] {
    m.part_slice(0).unwrap_or_default()
}

async fn receive(pull: &Socket, size: usize, count: u64) -> Duration {
    let first = pull.recv().await.unwrap();
    check(part(&first), 0, size);
    let start = Instant::now();
    for seq in 1..count {
        let m = pull.recv().await.unwrap();
        check(part(&m), seq, size);
    }
    start.elapsed()
}

async fn send(push: &Socket, size: usize, count: u64) {
    let mut buf = Vec::with_capacity(size);
    for seq in 0..count {
        fill(&mut buf, seq, size);
        push.send(Message::from_slice(&buf)).await.unwrap();
    }
}

impl Impl for Omq {
    fn thr_recv(&self, ep: &str, size: usize, count: u64) -> Duration {
        runtime().block_on(async {
            let pull = socket(SocketType::Pull);
            pull.bind(ep).await.unwrap();
            receive(&pull, size, count).await
        })
    }

    fn thr_send(&self, ep: &str, size: usize, count: u64) {
        runtime().block_on(async {
            let push = socket(SocketType::Push);
            push.connect(ep).await.unwrap();
            send(&push, size, count).await;
            crate::hold_async().await;
        });
    }

    fn thr_inproc(&self, ep: &str, size: usize, count: u64) -> Duration {
        runtime().block_on(async {
            let pull = socket(SocketType::Pull);
            let push = socket(SocketType::Push);
            pull.bind(ep).await.unwrap();
            push.connect(ep).await.unwrap();
            let sender = tokio::spawn(async move { send(&push, size, count).await });
            let elapsed = receive(&pull, size, count).await;
            sender.await.unwrap();
            elapsed
        })
    }

    fn lat_server(&self, ep: &str, size: usize, count: u64) {
        runtime().block_on(async {
            let rep = socket(SocketType::Rep);
            rep.bind(ep).await.unwrap();
            for _ in 0..warmup(count) + count {
                let m = rep.recv().await.unwrap();
                assert_eq!(part(&m).len(), size);
                rep.send(m).await.unwrap();
            }
            // Closing at once can drop the last reply (seen over ipc, where
            // the client then waited forever): stay until the driver ends us.
            crate::hold_async().await;
        });
    }

    fn lat_client(&self, ep: &str, size: usize, count: u64) -> Vec<u64> {
        runtime().block_on(async {
            let req = socket(SocketType::Req);
            req.connect(ep).await.unwrap();
            let mut buf = Vec::with_capacity(size);
            let mut samples = Vec::with_capacity(count as usize);
            let w = warmup(count);
            for seq in 0..w + count {
                fill(&mut buf, seq, size);
                let start = Instant::now();
                req.send(Message::from_slice(&buf)).await.unwrap();
                let reply = req.recv().await.unwrap();
                let t = start.elapsed().as_nanos() as u64;
                check(part(&reply), seq, size);
                if seq >= w {
                    samples.push(t);
                }
            }
            samples
        })
    }
    fn fan_pub(&self, ep: &str, size: usize, count: u64, subs: usize) {
        runtime().block_on(async {
            let xpub = socket(SocketType::XPub);
            xpub.bind(ep).await.unwrap();
            for _ in 0..subs {
                xpub.recv().await.unwrap();
            }
            send(&xpub, size, count).await;
            crate::hold_async().await;
        });
    }

    fn fan_sub(&self, ep: &str, size: usize, count: u64, subs: usize) -> Vec<SubStats> {
        runtime().block_on(async {
            let mut tasks = Vec::new();
            for _ in 0..subs {
                let sub = socket(SocketType::Sub);
                sub.subscribe(Bytes::new()).await.unwrap();
                sub.connect(ep).await.unwrap();
                tasks.push(tokio::spawn(async move {
                    let mut t = SubTracker::new(size, count);
                    while let Ok(Ok(m)) = tokio::time::timeout(IDLE, sub.recv()).await {
                        if t.on_message(part(&m)) {
                            break;
                        }
                    }
                    t.finish()
                }));
            }
            super::join_all(tasks).await
        })
    }

    fn router_server(&self, ep: &str, _size: usize, count: u64, peers: usize) {
        runtime().block_on(async {
            let router = socket(SocketType::Router);
            router.bind(ep).await.unwrap();
            for _ in 0..count * peers as u64 {
                let m = router.recv().await.unwrap();
                router.send(m).await.unwrap();
            }
            crate::hold_async().await;
        });
    }

    fn router_clients(&self, ep: &str, size: usize, count: u64, peers: usize) -> Duration {
        runtime().block_on(async {
            let mut dealers = Vec::new();
            for _ in 0..peers {
                let d = socket(SocketType::Dealer);
                d.connect(ep).await.unwrap();
                dealers.push(d);
            }
            let start = Instant::now();
            let tasks: Vec<_> = dealers
                .into_iter()
                .map(|d| {
                    tokio::spawn(async move {
                        send(&d, size, count).await;
                        for seq in 0..count {
                            let m = d.recv().await.unwrap();
                            check(part(&m), seq, size);
                        }
                    })
                })
                .collect();
            super::join_all(tasks).await;
            start.elapsed()
        })
    }
}
