//! Two-process benchmarks, like libzmq's local_thr/remote_thr and
//! local_lat/remote_lat, for several ZeroMQ implementations.
//!
//! ```text
//! compare thr-recv   <impl> <endpoint> <size> <count>   binds PULL, prints one JSON line
//! compare thr-send   <impl> <endpoint> <size> <count>   connects PUSH
//! compare thr-inproc <impl> <endpoint> <size> <count>   both ends in this process
//! compare lat-server <impl> <endpoint> <size> <count>   binds REP, echoes
//! compare lat-client <impl> <endpoint> <size> <count>   connects REQ, prints one JSON line
//! ```
//!
//! impl: ferrozmq, libzmq, omq, rzmq, zeromq, raw (plain byte stream).
//! Every payload carries its sequence number; the receiving side checks
//! that all arrive intact and in order and exits non-zero if not. Each
//! process ends itself after a watchdog period.

mod fanin;
mod fanout;
mod impls;

/// Keeps the sender's sockets open until the driver ends the process.
/// With `COMPARE_NO_HOLD` set it returns at once instead, for the
/// implementations whose context flushes on exit (the callgrind script needs
/// processes that end by themselves).
pub fn hold() {
    if std::env::var_os("COMPARE_NO_HOLD").is_some() {
        return;
    }
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The async form of [`hold`] (always holds).
pub async fn hold_async() -> ! {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
mod payload;
mod stats;

use std::time::Duration;

const WATCHDOG: Duration = Duration::from_secs(60);
/// Same HWM for every implementation that has one.
pub const HWM: i32 = 100_000;

/// RCVHWM of the ferrozmq and libzmq sockets: [`HWM`] unless
/// `COMPARE_RCVHWM` says otherwise (for diagnoses: what a small receive
/// HWM does to a receiver's memory; `./run` never sets it).
pub fn rcvhwm() -> i32 {
    std::env::var("COMPARE_RCVHWM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(HWM)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: compare <role> <impl> <endpoint> <size> <count>");
        std::process::exit(2);
    }
    let (role, name, ep) = (&args[1], &args[2], &args[3]);
    let size: usize = args[4].parse().expect("size");
    let count: u64 = args[5].parse().expect("count");
    assert!(size >= 16, "size must be at least 16 bytes");
    std::thread::spawn(|| {
        std::thread::sleep(WATCHDOG);
        eprintln!("watchdog: no result after {WATCHDOG:?}");
        std::process::exit(3);
    });
    let imp = impls::by_name(name).unwrap_or_else(|| {
        eprintln!("unknown implementation {name}");
        std::process::exit(2);
    });
    let cpu = stats::Cpu::start();
    match role.as_str() {
        "thr-recv" => {
            let elapsed = imp.thr_recv(ep, size, count);
            stats::print_thr(name, ep, size, count, elapsed, cpu.percent());
        }
        "thr-send" => {
            // Returns only when the driver kills it (after the receiver is
            // done): several ports drop queued messages on close.
            imp.thr_send(ep, size, count);
        }
        "thr-inproc" => {
            let elapsed = imp.thr_inproc(ep, size, count);
            stats::print_thr(name, ep, size, count, elapsed, cpu.percent());
        }
        "lat-server" => {
            imp.lat_server(ep, size, count);
            stats::print_cpu("lat-server", name, cpu.percent());
        }
        "lat-client" => {
            let samples = imp.lat_client(ep, size, count);
            stats::print_lat(name, ep, size, samples, cpu.percent());
        }
        other => {
            // Roles with a peer count: fan-pub:K, fan-sub:K, fanin-recv:K,
            // fanin-send:K, router-srv:K, router-cli:K.
            let (role, k) = other.split_once(':').unwrap_or((other, ""));
            let k: usize = k.parse().unwrap_or_else(|_| {
                eprintln!("unknown role {other}");
                std::process::exit(2);
            });
            match role {
                "fan-pub" => {
                    imp.fan_pub(ep, size, count, k);
                    hold();
                }
                "fan-sub" => {
                    let subs = imp.fan_sub(ep, size, count, k);
                    fanout::print(name, ep, size, count, subs, cpu.percent());
                }
                "fanin-recv" => {
                    let elapsed = imp.fanin_recv(ep, size, count, k);
                    stats::print_thr(name, ep, size, count, elapsed, cpu.percent());
                }
                "fanin-send" => {
                    imp.fanin_send(ep, size, count, k);
                    hold();
                }
                "router-srv" => imp.router_server(ep, size, count, k),
                "idle-router" => imp.idle_router(ep),
                "router-cli" => {
                    let elapsed = imp.router_clients(ep, size, count, k);
                    stats::print_thr(name, ep, size, count * k as u64, elapsed, cpu.percent());
                }
                _ => {
                    eprintln!("unknown role {other}");
                    std::process::exit(2);
                }
            }
        }
    }
}
