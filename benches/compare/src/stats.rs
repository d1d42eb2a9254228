//! Timing, CPU accounting and the JSON lines the driver reads.

use std::time::{Duration, Instant};

/// CPU time of this process, from /proc/self/stat (Linux).
pub struct Cpu {
    start: Instant,
    ticks: u64,
}

fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 overall: 12 and 13 here.
    let get = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    get(11) + get(12)
}

impl Cpu {
    pub fn start() -> Cpu {
        Cpu {
            start: Instant::now(),
            ticks: cpu_ticks(),
        }
    }

    /// CPU use since start, in percent of one core (100 = one core busy).
    pub fn percent(&self) -> f64 {
        let ticks = cpu_ticks().saturating_sub(self.ticks) as f64;
        let secs = self.start.elapsed().as_secs_f64();
        // Linux USER_HZ is 100 on every mainstream configuration.
        ticks / 100.0 / secs * 100.0
    }
}

pub fn print_thr(name: &str, ep: &str, size: usize, count: u64, elapsed: Duration, cpu: f64) {
    let secs = elapsed.as_secs_f64();
    let msgs = (count.saturating_sub(1)) as f64 / secs;
    println!(
        "{{\"kind\":\"thr\",\"impl\":\"{name}\",\"endpoint\":\"{ep}\",\"size\":{size},\"count\":{count},\"secs\":{secs:.6},\"msgs_per_s\":{msgs:.1},\"mb_per_s\":{:.1},\"cpu_pct\":{cpu:.1}}}",
        msgs * size as f64 / 1e6
    );
}

pub fn print_cpu(role: &str, name: &str, cpu: f64) {
    println!("{{\"kind\":\"cpu\",\"role\":\"{role}\",\"impl\":\"{name}\",\"cpu_pct\":{cpu:.1}}}");
}

pub fn print_lat(name: &str, ep: &str, size: usize, mut samples: Vec<u64>, cpu: f64) {
    samples.sort_unstable();
    let n = samples.len().max(1);
    let pct = |p: f64| samples[((n as f64 * p) as usize).min(n - 1)] as f64 / 1000.0;
    let mean = samples.iter().sum::<u64>() as f64 / n as f64 / 1000.0;
    println!(
        "{{\"kind\":\"lat\",\"impl\":\"{name}\",\"endpoint\":\"{ep}\",\"size\":{size},\"count\":{n},\"mean_us\":{mean:.2},\"p50_us\":{:.2},\"p99_us\":{:.2},\"p999_us\":{:.2},\"cpu_pct\":{cpu:.1}}}",
        pct(0.50),
        pct(0.99),
        pct(0.999)
    );
}
