//! omq-tokio with its sockets on a 2-worker tokio runtime (the tokio ports'
//! footing), through `Socket::new`.

use super::{runtime, warmup, Impl};
use crate::payload::{check, fill};
use crate::HWM;
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
            rep.close().await.ok();
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
}
