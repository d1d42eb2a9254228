//! PUSH→PULL throughput (tcp, ipc, inproc; 16 B to 64 KiB) and REQ/REP
//! round-trip latency, within one process. Run: `cargo bench -p ferrozmq`.
//! Side-by-side comparisons with libzmq and other ports, in two processes,
//! live in `benches/compare/`.

#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrozmq::{Context, Message, Socket, SocketType};
use std::time::{Duration, Instant};

fn endpoints() -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("tcp", "tcp://127.0.0.1:*".to_string()),
        ("inproc", "inproc://bench-thr".to_string()),
    ];
    if cfg!(unix) {
        v.push((
            "ipc",
            format!("ipc:///tmp/ferrozmq-bench-{}.sock", std::process::id()),
        ));
    }
    v
}

fn pair(ctx: &Context, ep: &str, a: SocketType, b: SocketType) -> (Socket, Socket) {
    let server = ctx.socket(b).unwrap();
    server.set_rcvhwm(100_000).unwrap();
    server.set_sndhwm(100_000).unwrap();
    server.bind(ep).unwrap();
    let client = ctx.socket(a).unwrap();
    client.set_sndhwm(100_000).unwrap();
    client.set_rcvhwm(100_000).unwrap();
    client.connect(&server.last_endpoint().unwrap()).unwrap();
    (client, server)
}

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("push_pull");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_millis(500));
    for (name, ep) in endpoints() {
        for size in [16usize, 256, 4096, 65536] {
            let ctx = Context::new();
            let (push, pull) = pair(&ctx, &ep, SocketType::Push, SocketType::Pull);
            let push = std::sync::Arc::new(push);
            let payload = ferrozmq::Bytes::from(vec![0x5a; size]);
            group.throughput(Throughput::Elements(1));
            group.bench_with_input(BenchmarkId::new(name, size), &size, |b, _| {
                b.iter_custom(|iters| {
                    let sender = push.clone();
                    let payload = payload.clone();
                    let start = Instant::now();
                    let t = std::thread::spawn(move || {
                        for _ in 0..iters {
                            sender.send(Message::from(payload.clone())).unwrap();
                        }
                    });
                    for _ in 0..iters {
                        pull.recv().unwrap();
                    }
                    let elapsed = start.elapsed();
                    t.join().unwrap();
                    elapsed
                })
            });
        }
    }
    group.finish();
}

fn latency(c: &mut Criterion) {
    let mut group = c.benchmark_group("req_rep");
    group.measurement_time(Duration::from_secs(3));
    for (name, ep) in endpoints() {
        let ctx = Context::new();
        let (req, rep) = pair(&ctx, &ep, SocketType::Req, SocketType::Rep);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = stop.clone();
        let server = std::thread::spawn(move || {
            while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(m) = rep.recv_timeout(Duration::from_millis(100)) {
                    rep.send(m).unwrap();
                }
            }
        });
        group.bench_function(BenchmarkId::new(name, 16), |b| {
            let payload = ferrozmq::Bytes::from(vec![1u8; 16]);
            b.iter(|| {
                req.send(Message::from(payload.clone())).unwrap();
                req.recv().unwrap()
            })
        });
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        server.join().unwrap();
    }
    group.finish();
}

criterion_group!(benches, throughput, latency);
criterion_main!(benches);
