//! Bookkeeping for the fan-out scenario: a subscriber may miss messages
//! (PUB drops for a full subscriber), but what it gets must be intact and
//! in order.

use std::time::{Duration, Instant};

/// What one subscriber saw.
#[derive(Debug, Clone)]
pub struct SubStats {
    pub received: u64,
    pub first: Option<Instant>,
    pub last: Option<Instant>,
}

/// Follows one subscriber's stream.
pub struct SubTracker {
    size: usize,
    count: u64,
    next_min: u64,
    stats: SubStats,
}

impl SubTracker {
    pub fn new(size: usize, count: u64) -> SubTracker {
        SubTracker {
            size,
            count,
            next_min: 0,
            stats: SubStats {
                received: 0,
                first: None,
                last: None,
            },
        }
    }

    /// Checks one message; returns true once the last one arrived. The
    /// clock is read for the first message, every 16th and the last (a
    /// clock read per message would weigh on every implementation's figure).
    pub fn on_message(&mut self, msg: &[u8]) -> bool {
        let seq = u64::from_le_bytes(msg[..8].try_into().expect("8 bytes"));
        if seq < self.next_min {
            eprintln!("subscriber got #{seq} after #{}", self.next_min - 1);
            std::process::exit(4);
        }
        crate::payload::check(msg, seq, self.size);
        self.next_min = seq + 1;
        self.stats.received += 1;
        let done = seq + 1 == self.count;
        if self.stats.first.is_none() || done || self.stats.received.is_multiple_of(16) {
            let now = Instant::now();
            self.stats.first.get_or_insert(now);
            self.stats.last = Some(now);
        }
        done
    }

    pub fn finish(self) -> SubStats {
        self.stats
    }
}

/// How long a subscriber waits for more before concluding the rest was dropped.
pub const IDLE: Duration = Duration::from_secs(1);

pub fn print(name: &str, ep: &str, size: usize, count: u64, subs: Vec<SubStats>, cpu: f64) {
    let first = subs.iter().filter_map(|s| s.first).min();
    let last = subs.iter().filter_map(|s| s.last).max();
    let received: u64 = subs.iter().map(|s| s.received).sum();
    let secs = match (first, last) {
        (Some(f), Some(l)) => (l - f).as_secs_f64().max(1e-9),
        _ => f64::NAN,
    };
    let expected = count * subs.len() as u64;
    println!(
        "{{\"kind\":\"fanout\",\"impl\":\"{name}\",\"endpoint\":\"{ep}\",\"size\":{size},\"subs\":{},\"count\":{count},\"delivered\":{received},\"loss_pct\":{:.2},\"msgs_per_s\":{:.1},\"cpu_pct\":{cpu:.1}}}",
        subs.len(),
        100.0 * (expected - received) as f64 / expected as f64,
        received as f64 / secs
    );
}

/// The file by which one process tells the other that it is in place
/// (for what ZeroMQ itself cannot say: a PUB without XPUB cannot see
/// subscriptions; a sender cannot see its peer's connections).
fn ready_file(ep: &str) -> std::path::PathBuf {
    let name: String = ep
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    std::env::temp_dir().join(format!("compare-{name}.ready"))
}

/// Tells the process waiting in [`wait_ready`] to go on.
pub fn signal_ready(ep: &str) {
    std::fs::write(ready_file(ep), b"ready").expect("ready file");
}

/// Waits for [`signal_ready`], then removes the file.
pub fn wait_ready(ep: &str) {
    let path = ready_file(ep);
    while !path.exists() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = std::fs::remove_file(path);
}
