//! Test support: one interface over a ferrozmq and a libzmq socket, so every
//! scenario runs with either implementation on either side.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub type Frames = Vec<Vec<u8>>;

pub fn frames(parts: &[&[u8]]) -> Frames {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// A socket under test.
pub trait Side {
    fn bind(&self, ep: &str) -> String;
    fn connect(&self, ep: &str);
    fn send(&self, msg: Frames);
    /// Receives within `TIMEOUT` or panics.
    fn recv(&self) -> Frames;
    /// Receives within `d`, or `None`.
    fn recv_within(&self, d: Duration) -> Option<Frames>;
    fn subscribe(&self, topic: &[u8]);
    fn name(&self) -> &'static str;
}

pub fn ferro_type(t: zmq::SocketType) -> ferrozmq::SocketType {
    use ferrozmq::SocketType as F;
    match t {
        zmq::PAIR => F::Pair,
        zmq::PUB => F::Pub,
        zmq::SUB => F::Sub,
        zmq::REQ => F::Req,
        zmq::REP => F::Rep,
        zmq::DEALER => F::Dealer,
        zmq::ROUTER => F::Router,
        zmq::PULL => F::Pull,
        zmq::PUSH => F::Push,
        zmq::XPUB => F::XPub,
        zmq::XSUB => F::XSub,
        _ => unreachable!(),
    }
}

pub struct Ferro(pub ferrozmq::Socket);

impl Ferro {
    pub fn new(ctx: &ferrozmq::Context, t: zmq::SocketType) -> Ferro {
        let s = ctx.socket(ferro_type(t)).unwrap();
        s.set_rcvtimeo(Some(TIMEOUT)).unwrap();
        s.set_sndtimeo(Some(TIMEOUT)).unwrap();
        s.set_linger(Some(Duration::ZERO)).unwrap();
        Ferro(s)
    }
}

impl Side for Ferro {
    fn bind(&self, ep: &str) -> String {
        self.0.bind(ep).unwrap();
        self.0.last_endpoint().unwrap()
    }
    fn connect(&self, ep: &str) {
        self.0.connect(ep).unwrap();
    }
    fn send(&self, msg: Frames) {
        self.0.send(msg).unwrap();
    }
    fn recv(&self) -> Frames {
        let m = self.0.recv().expect("ferrozmq recv");
        m.into_frames().into_iter().map(|b| b.to_vec()).collect()
    }
    fn recv_within(&self, d: Duration) -> Option<Frames> {
        match self.0.recv_timeout(d) {
            Ok(m) => Some(m.into_frames().into_iter().map(|b| b.to_vec()).collect()),
            Err(ferrozmq::Error::Timeout) => None,
            Err(e) => panic!("{e}"),
        }
    }
    fn subscribe(&self, topic: &[u8]) {
        self.0.subscribe(topic).unwrap();
    }
    fn name(&self) -> &'static str {
        "ferrozmq"
    }
}

pub struct Zmq(pub zmq::Socket);

impl Zmq {
    pub fn new(ctx: &zmq::Context, t: zmq::SocketType) -> Zmq {
        let s = ctx.socket(t).unwrap();
        s.set_rcvtimeo(TIMEOUT.as_millis() as i32).unwrap();
        s.set_sndtimeo(TIMEOUT.as_millis() as i32).unwrap();
        s.set_linger(0).unwrap();
        Zmq(s)
    }
}

impl Side for Zmq {
    fn bind(&self, ep: &str) -> String {
        self.0.bind(ep).unwrap();
        self.0.get_last_endpoint().unwrap().unwrap()
    }
    fn connect(&self, ep: &str) {
        self.0.connect(ep).unwrap();
    }
    fn send(&self, msg: Frames) {
        self.0.send_multipart(msg, 0).unwrap();
    }
    fn recv(&self) -> Frames {
        self.0.recv_multipart(0).expect("libzmq recv")
    }
    fn recv_within(&self, d: Duration) -> Option<Frames> {
        self.0.set_rcvtimeo(d.as_millis() as i32).unwrap();
        let r = self.0.recv_multipart(0);
        self.0.set_rcvtimeo(TIMEOUT.as_millis() as i32).unwrap();
        match r {
            Ok(m) => Some(m),
            Err(zmq::Error::EAGAIN) => None,
            Err(e) => panic!("{e}"),
        }
    }
    fn subscribe(&self, topic: &[u8]) {
        self.0.set_subscribe(topic).unwrap();
    }
    fn name(&self) -> &'static str {
        "libzmq"
    }
}

/// A unique ipc endpoint for this process and test.
pub fn ipc_endpoint() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir();
    format!(
        "ipc://{}/ferrozmq-test-{}-{}.sock",
        dir.display(),
        std::process::id(),
        n
    )
}

/// The endpoints to bind for each transport under test.
pub fn bind_endpoints() -> Vec<String> {
    let mut v = vec!["tcp://127.0.0.1:*".to_string()];
    if cfg!(unix) {
        v.push(ipc_endpoint());
    }
    v
}

/// Polls `f` until it returns `Some`, or panics after `TIMEOUT`.
pub fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A scripted ZMTP peer over a plain TCP stream, for byte-exact and
/// misbehaving-peer tests.
pub struct RawPeer {
    pub stream: std::net::TcpStream,
}

impl RawPeer {
    pub fn connect(endpoint: &str) -> RawPeer {
        let addr = endpoint.trim_start_matches("tcp://");
        let stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        RawPeer { stream }
    }

    pub fn write(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.stream.write_all(bytes).unwrap();
    }

    pub fn read_exact(&mut self, n: usize) -> Vec<u8> {
        use std::io::Read;
        let mut buf = vec![0; n];
        self.stream.read_exact(&mut buf).unwrap();
        buf
    }

    /// Sends a NULL 3.1 greeting and a READY with this socket type; reads
    /// the peer's greeting. Returns the peer's bytes after its greeting that
    /// arrived with it (its READY, possibly partial).
    pub fn handshake(&mut self, socket_type: &str) {
        let mut greeting = [0u8; 64];
        greeting[0] = 0xFF;
        greeting[9] = 0x7F;
        greeting[10] = 3;
        greeting[11] = 1;
        greeting[12..16].copy_from_slice(b"NULL");
        self.write(&greeting);
        let theirs = self.read_exact(64);
        assert_eq!(theirs[0], 0xFF);
        self.write(&ready(socket_type));
    }

    /// Reads one frame: (flags, body).
    pub fn read_frame(&mut self) -> (u8, Vec<u8>) {
        let head = self.read_exact(2);
        let size = if head[0] & 0x02 != 0 {
            let mut rest = vec![head[1]];
            rest.extend(self.read_exact(7));
            u64::from_be_bytes(rest.try_into().unwrap()) as usize
        } else {
            head[1] as usize
        };
        (head[0], self.read_exact(size))
    }

    /// Reads until the peer closes; true if it did within `TIMEOUT`.
    pub fn closed_by_peer(&mut self) -> bool {
        use std::io::Read;
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    }
}

/// A NULL READY command frame for a socket type.
pub fn ready(socket_type: &str) -> Vec<u8> {
    let mut body = b"\x05READY\x0bSocket-Type".to_vec();
    body.extend((socket_type.len() as u32).to_be_bytes());
    body.extend(socket_type.as_bytes());
    let mut frame = vec![0x04, body.len() as u8];
    frame.extend(body);
    frame
}

/// A tcp port that was free a moment ago (for connect-before-bind tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
