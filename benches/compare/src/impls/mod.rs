//! One module per implementation, all behind [`Impl`].

mod ferro;
mod libzmq;
mod omq;
mod raw;
mod rzmq;
mod zeromq_rs;

use std::time::Duration;

/// Round trips before measuring starts (not recorded).
pub fn warmup(count: u64) -> u64 {
    (count / 10).min(1000)
}

pub trait Impl {
    /// Binds a PULL at `ep`, receives `count` messages; returns the time
    /// from the first to the last.
    fn thr_recv(&self, ep: &str, size: usize, count: u64) -> Duration;
    /// Connects a PUSH to `ep` and sends `count` messages.
    fn thr_send(&self, ep: &str, size: usize, count: u64);
    /// Both ends in this process (inproc).
    fn thr_inproc(&self, _ep: &str, _size: usize, _count: u64) -> Duration {
        eprintln!("inproc is not supported by this implementation");
        std::process::exit(2);
    }
    /// Binds a REP at `ep` and echoes `warmup + count` requests.
    fn lat_server(&self, ep: &str, size: usize, count: u64);
    /// Connects a REQ and returns `count` round-trip times in nanoseconds.
    fn lat_client(&self, ep: &str, size: usize, count: u64) -> Vec<u64>;

    /// Binds an XPUB, waits for `subs` subscriptions, publishes `count`.
    fn fan_pub(&self, _ep: &str, _size: usize, _count: u64, _subs: usize) {
        unsupported("fanout")
    }
    /// Connects `subs` SUB sockets (one thread each) and receives until the
    /// last message or an idle second; returns what each received.
    fn fan_sub(
        &self,
        _ep: &str,
        _size: usize,
        _count: u64,
        _subs: usize,
    ) -> Vec<crate::fanout::SubStats> {
        unsupported("fanout")
    }
    /// Binds a PULL and receives `count` messages from `peers` peers;
    /// returns the time from the first to the last.
    fn fanin_recv(&self, _ep: &str, _size: usize, _count: u64, _peers: usize) -> Duration {
        unsupported("fanin")
    }
    /// Connects `peers` PUSH sockets and sends `count` messages round-robin
    /// over them from one thread.
    fn fanin_send(&self, _ep: &str, _size: usize, _count: u64, _peers: usize) {
        unsupported("fanin")
    }
    /// Binds a ROUTER and echoes `count * peers` messages to their senders.
    fn router_server(&self, _ep: &str, _size: usize, _count: u64, _peers: usize) {
        unsupported("router")
    }
    /// Binds a ROUTER and keeps it open: the scale scenario connects many
    /// idle peers to it and reads this process's memory from /proc.
    fn idle_router(&self, _ep: &str) {
        unsupported("idle")
    }
    /// Connects `peers` DEALERs (one thread each); each sends `count`
    /// messages and waits for their echoes. Returns the total time.
    fn router_clients(&self, _ep: &str, _size: usize, _count: u64, _peers: usize) -> Duration {
        unsupported("router")
    }
}

fn unsupported(what: &str) -> ! {
    eprintln!("the {what} scenario is not implemented for this implementation yet");
    std::process::exit(2);
}

pub fn by_name(name: &str) -> Option<Box<dyn Impl>> {
    Some(match name {
        "ferrozmq" => Box::new(ferro::Ferro),
        "libzmq" => Box::new(libzmq::Libzmq),
        "omq" => Box::new(omq::Omq),
        "rzmq" => Box::new(rzmq::Rzmq),
        "zeromq" => Box::new(zeromq_rs::ZeromqRs),
        "raw" => Box::new(raw::Raw),
        _ => return None,
    })
}

/// Waits for every task, in order, and returns what each returned.
pub async fn join_all<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

/// A tokio runtime with 2 workers, the equal footing for the tokio ports.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
