//! Payloads that carry their sequence number, and the receiver's check.

/// Writes message `seq` of `size` bytes into `buf`.
pub fn fill(buf: &mut Vec<u8>, seq: u64, size: usize) {
    buf.clear();
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.resize(size, (seq % 251) as u8);
}

/// Checks that `msg` is message `seq` of `size` bytes; exits on corruption.
pub fn check(msg: &[u8], seq: u64, size: usize) {
    let ok =
        msg.len() == size && msg[..8] == seq.to_le_bytes() && msg[size - 1] == (seq % 251) as u8;
    if !ok {
        eprintln!(
            "corrupt or out-of-order message: expected #{seq} of {size} bytes, got {} bytes starting {:?}",
            msg.len(),
            &msg[..msg.len().min(8)]
        );
        std::process::exit(4);
    }
}

/// Like [`check`] for payloads whose bytes 8..16 were overwritten (fan-in).
pub fn check_prefix(msg: &[u8], seq: u64, size: usize) {
    let ok = msg.len() == size
        && msg[..8] == seq.to_le_bytes()
        && (size <= 16 || msg[size - 1] == (seq % 251) as u8);
    if !ok {
        eprintln!("corrupt or out-of-order message: expected #{seq} of {size} bytes");
        std::process::exit(4);
    }
}
