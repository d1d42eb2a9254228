//! The physical limit: a plain byte stream, no framing. The sender writes
//! messages back to back in 1 MiB writes; the receiver reads with 1 MiB
//! buffers and checks each message's sequence number as it streams by.

use super::{warmup, Impl};
use crate::payload::fill;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

pub struct Raw;

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

fn listen(ep: &str) -> Box<dyn Stream> {
    if let Some(addr) = ep.strip_prefix("tcp://") {
        let l = std::net::TcpListener::bind(addr).unwrap();
        let (s, _) = l.accept().unwrap();
        s.set_nodelay(true).unwrap();
        Box::new(s)
    } else if let Some(path) = ep.strip_prefix("ipc://") {
        let _ = std::fs::remove_file(path);
        let l = std::os::unix::net::UnixListener::bind(path).unwrap();
        let (s, _) = l.accept().unwrap();
        Box::new(s)
    } else {
        panic!("raw supports tcp and ipc");
    }
}

fn dial(ep: &str) -> Box<dyn Stream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let attempt: std::io::Result<Box<dyn Stream>> = if let Some(addr) =
            ep.strip_prefix("tcp://")
        {
            std::net::TcpStream::connect(addr).map(|s| {
                s.set_nodelay(true).unwrap();
                Box::new(s) as Box<dyn Stream>
            })
        } else {
            let path = ep.strip_prefix("ipc://").expect("tcp or ipc");
            std::os::unix::net::UnixStream::connect(path).map(|s| Box::new(s) as Box<dyn Stream>)
        };
        match attempt {
            Ok(s) => return s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("connect {ep}: {e}"),
        }
    }
}

impl Impl for Raw {
    fn thr_recv(&self, ep: &str, size: usize, count: u64) -> Duration {
        let mut s = listen(ep);
        let total = size as u64 * count;
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0u64;
        let mut header = [0u8; 8];
        let mut start = None;
        while got < total {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "stream ended early");
            if start.is_none() {
                start = Some(Instant::now());
            }
            // Only the 8 header bytes of each message are looked at; they
            // may straddle two reads, so `header` carries over.
            let size64 = size as u64;
            let end = got + n as u64;
            for k in got / size64..=(end - 1) / size64 {
                for j in 0..8u64 {
                    let pos = k * size64 + j;
                    if pos < got || pos >= end {
                        continue;
                    }
                    header[j as usize] = buf[(pos - got) as usize];
                    if j == 7 && u64::from_le_bytes(header) != k {
                        eprintln!("raw stream out of order at message {k}");
                        std::process::exit(4);
                    }
                }
            }
            got += n as u64;
        }
        start.unwrap().elapsed()
    }

    fn thr_send(&self, ep: &str, size: usize, count: u64) {
        let mut s = dial(ep);
        let per_write = ((1 << 20) / size).max(1) as u64;
        let mut batch = Vec::with_capacity(1 << 20);
        let mut msg = Vec::with_capacity(size);
        let mut seq = 0;
        while seq < count {
            batch.clear();
            for _ in 0..per_write.min(count - seq) {
                fill(&mut msg, seq, size);
                batch.extend_from_slice(&msg);
                seq += 1;
            }
            s.write_all(&batch).unwrap();
        }
        s.flush().unwrap();
        crate::hold();
    }

    fn lat_server(&self, ep: &str, size: usize, count: u64) {
        let mut s = listen(ep);
        let mut buf = vec![0u8; size];
        for _ in 0..warmup(count) + count {
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        }
    }

    fn lat_client(&self, ep: &str, size: usize, count: u64) -> Vec<u64> {
        let mut s = dial(ep);
        let mut buf = Vec::with_capacity(size);
        let mut reply = vec![0u8; size];
        let w = warmup(count);
        let mut samples = Vec::with_capacity(count as usize);
        for seq in 0..w + count {
            fill(&mut buf, seq, size);
            let start = Instant::now();
            s.write_all(&buf).unwrap();
            s.read_exact(&mut reply).unwrap();
            let t = start.elapsed().as_nanos() as u64;
            crate::payload::check(&reply, seq, size);
            if seq >= w {
                samples.push(t);
            }
        }
        samples
    }
}
