//! zeromq (zmq.rs) on a 2-worker tokio runtime. It has no HWM option.

use super::{runtime, warmup, Impl};
use crate::fanout::{SubStats, SubTracker, IDLE};
use crate::payload::{check, fill};
use bytes::Bytes;
use std::time::{Duration, Instant};
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};

pub struct ZeromqRs;

fn part(m: &ZmqMessage) -> &[u8] {
    m.get(0).map(|b| &b[..]).unwrap_or_default()
}

impl Impl for ZeromqRs {
    fn thr_recv(&self, ep: &str, size: usize, count: u64) -> Duration {
        runtime().block_on(async {
            let mut pull = zeromq::PullSocket::new();
            pull.bind(ep).await.unwrap();
            let first = pull.recv().await.unwrap();
            check(part(&first), 0, size);
            let start = Instant::now();
            for seq in 1..count {
                let m = pull.recv().await.unwrap();
                check(part(&m), seq, size);
            }
            start.elapsed()
        })
    }

    fn thr_send(&self, ep: &str, size: usize, count: u64) {
        runtime().block_on(async {
            let mut push = zeromq::PushSocket::new();
            push.connect(ep).await.unwrap();
            let mut buf = Vec::with_capacity(size);
            for seq in 0..count {
                fill(&mut buf, seq, size);
                push.send(ZmqMessage::from(Bytes::copy_from_slice(&buf)))
                    .await
                    .unwrap();
            }
            crate::hold_async().await;
        });
    }

    fn lat_server(&self, ep: &str, size: usize, count: u64) {
        runtime().block_on(async {
            let mut rep = zeromq::RepSocket::new();
            rep.bind(ep).await.unwrap();
            for _ in 0..warmup(count) + count {
                let m = rep.recv().await.unwrap();
                assert_eq!(part(&m).len(), size);
                rep.send(m).await.unwrap();
            }
            rep.close().await;
        });
    }

    fn lat_client(&self, ep: &str, size: usize, count: u64) -> Vec<u64> {
        runtime().block_on(async {
            let mut req = zeromq::ReqSocket::new();
            req.connect(ep).await.unwrap();
            let mut buf = Vec::with_capacity(size);
            let mut samples = Vec::with_capacity(count as usize);
            let w = warmup(count);
            for seq in 0..w + count {
                fill(&mut buf, seq, size);
                let start = Instant::now();
                req.send(ZmqMessage::from(Bytes::copy_from_slice(&buf)))
                    .await
                    .unwrap();
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
            let mut xpub = zeromq::XPubSocket::new();
            xpub.bind(ep).await.unwrap();
            // zmq.rs registers a subscription when the application reads it.
            for _ in 0..subs {
                xpub.recv().await.unwrap();
            }
            let mut buf = Vec::with_capacity(size);
            for seq in 0..count {
                fill(&mut buf, seq, size);
                xpub.send(ZmqMessage::from(Bytes::copy_from_slice(&buf)))
                    .await
                    .unwrap();
            }
            crate::hold_async().await;
        });
    }

    fn fan_sub(&self, ep: &str, size: usize, count: u64, subs: usize) -> Vec<SubStats> {
        runtime().block_on(async {
            let mut tasks = Vec::new();
            for _ in 0..subs {
                let mut sub = zeromq::SubSocket::new();
                sub.subscribe("").await.unwrap();
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
            let mut router = zeromq::RouterSocket::new();
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
                let mut d = zeromq::DealerSocket::new();
                d.connect(ep).await.unwrap();
                dealers.push(d);
            }
            let start = Instant::now();
            let tasks: Vec<_> = dealers
                .into_iter()
                .map(|mut d| {
                    tokio::spawn(async move {
                        let mut buf = Vec::with_capacity(size);
                        for seq in 0..count {
                            fill(&mut buf, seq, size);
                            d.send(ZmqMessage::from(Bytes::copy_from_slice(&buf)))
                                .await
                                .unwrap();
                        }
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
