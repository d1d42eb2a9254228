//! The many-peers scenario: K PUSH sockets in one process, one thread
//! sending round-robin over them in bursts (see [`burst`]), into one PULL.
//! Every peer first sends one warm-up message (its number 0); the receiver
//! starts the clock once it has one from each peer (every connection is up)
//! and tells the sender, which then sends `count` messages. Payloads carry the sending
//! peer and its own sequence number, so the receiver checks per-peer order.

/// Writes message `seq` of peer `peer` into `buf`.
pub fn fill(buf: &mut Vec<u8>, peer: u64, seq: u64, size: usize) {
    crate::payload::fill(buf, seq, size);
    buf[8..16].copy_from_slice(&peer.to_le_bytes());
}

/// Follows every peer's stream at the receiver.
pub struct Tracker {
    size: usize,
    next: Vec<u64>,
}

impl Tracker {
    pub fn new(size: usize, peers: usize) -> Tracker {
        Tracker {
            size,
            next: vec![0; peers],
        }
    }

    /// Receives the warm-up messages, one per peer, with `recv`; then lets
    /// the sender go on.
    pub fn warm_up(&mut self, ep: &str, mut recv: impl FnMut(&mut Self)) {
        while self.next.contains(&0) {
            recv(self);
        }
        crate::fanout::signal_ready(ep);
    }

    /// Checks one message; exits on corruption, a peer out of range or a
    /// message out of its peer's order.
    pub fn on_message(&mut self, msg: &[u8]) {
        if msg.len() != self.size {
            eprintln!("message of {} bytes, expected {}", msg.len(), self.size);
            std::process::exit(4);
        }
        let peer = u64::from_le_bytes(msg[8..16].try_into().expect("8 bytes")) as usize;
        let Some(next) = self.next.get_mut(peer) else {
            eprintln!("message from unknown peer {peer}");
            std::process::exit(4);
        };
        crate::payload::check_prefix(msg, *next, self.size);
        *next += 1;
    }
}

/// Messages a peer sends in a row before the next peer's turn: each peer is
/// a stream of its own, as many producers would be.
pub fn burst() -> u64 {
    std::env::var("FANIN_BURST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// The order of the measured sends: `(peer, that peer's sequence number,
/// from 1)`, `count` in all, round-robin over `peers` in bursts.
pub fn schedule(count: u64, peers: usize) -> impl Iterator<Item = (usize, u64)> {
    let burst = burst().max(1);
    let round = burst * peers as u64;
    (0..count).map(move |i| {
        let (r, j) = (i / round, i % round);
        ((j / burst) as usize, 1 + r * burst + j % burst)
    })
}
