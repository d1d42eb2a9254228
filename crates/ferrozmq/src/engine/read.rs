//! One read of a connection's stream, as the driver does it and as a REQ
//! or REP user thread waiting in `recv` does it (the receive bypass,
//! `direct_recv.rs`): into the read buffer, or into the buffer of a large
//! frame body being received out of band.

use super::input;
use super::wire::{stash_event, Wire};
use ferrozmq_proto::ConnectionError;
use std::io::{self, IoSliceMut, Read};

/// Message frame bodies of at least this size are received into a buffer
/// of their own from the payload pool (`PendingBody`) rather than into the
/// read buffer: the pool's pages are mapped and need no zeroing, and a
/// body of the same size class as the last takes its buffer back warm.
/// While such a body is filled, the read that reaches its end also takes
/// in up to one frame header behind it, so that a stream of large frames
/// is read one syscall per frame (up to 4 MiB) with no copy beyond the
/// kernel's. The buffer is made readable only ahead of each read, so a size
/// announced by the peer commits memory only as its bytes arrive.
const BODY_MIN: usize = 64 * 1024;
/// Read behind a pending body: the longest frame header.
const BODY_TAIL: usize = ferrozmq_proto::frame::MAX_HEADER_LEN;

/// Why a read failed.
#[derive(Debug)]
pub(super) enum ReadError {
    /// The stream's (would-block and interrupted included).
    Io(io::Error),
    /// The protocol's, for a large body the read completed.
    Protocol(ConnectionError),
}

impl Wire {
    /// One read of the stream: into the pending large body if there is
    /// one (its last bytes with a frame header behind them), else into the
    /// read buffer. A body the read completes goes to the protocol, and its
    /// message to the stash. Returns how many bytes were read (0: end of
    /// stream) and whether the read filled all it offered (more is likely
    /// waiting).
    pub(super) fn read_once(&mut self) -> Result<(usize, bool), ReadError> {
        let mut tail = [0u8; BODY_TAIL];
        let into_body = self.body.is_some();
        let (read, want) = match &mut self.body {
            Some(body) => match body.room(input::MAX_READ) {
                (rest, true) => {
                    let want = BODY_TAIL + rest.len();
                    let mut bufs = [IoSliceMut::new(rest), IoSliceMut::new(&mut tail)];
                    (self.stream.read_vectored(&mut bufs), want)
                }
                (rest, false) => {
                    let want = rest.len();
                    (self.stream.read(rest), want)
                }
            },
            None => {
                let want = self.input.want(&self.conn);
                (self.input.read(&mut self.stream, want), want)
            }
        };
        let n = read.map_err(ReadError::Io)?;
        if n == 0 {
            return Ok((0, false));
        }
        let to_tail = self.fill_body(n).map_err(ReadError::Protocol)?;
        if into_body {
            self.input.append(&tail[..to_tail]);
        }
        self.input.filled(n, want);
        Ok((n, n == want))
    }

    /// Counts the first of `n` bytes just read toward the pending body, if
    /// any, and hands the body over once complete; returns how many of the
    /// `n` bytes are not the body's (read behind it).
    fn fill_body(&mut self, n: usize) -> Result<usize, ConnectionError> {
        let Some(body) = &mut self.body else {
            return Ok(n);
        };
        let taken = body.fill(n);
        if body.is_complete() {
            let body = self.body.take().expect("checked above");
            #[cfg(test)]
            {
                self.bodies += 1;
            }
            let result = self.conn.handle_body(body.into_bytes());
            while let Some(event) = self.conn.poll_event() {
                // Bodies are taken out of band only after the handshake.
                let handshake = stash_event(&mut self.stash, event);
                debug_assert!(handshake.is_none(), "a handshake's end in traffic");
            }
            result?;
        }
        Ok(n - taken)
    }

    /// If the input now starts with a large frame not all here yet, moves
    /// its header and the body bytes already read out of the read buffer.
    pub(super) fn start_body(&mut self) -> Result<(), ConnectionError> {
        // Input held back starts with a whole frame, or a frame that comes
        // after the pipe's room: its body waits, unallocated.
        if self.body.is_some() || self.input.len() == 0 || self.held {
            return Ok(());
        }
        self.body = self
            .input
            .take_body(&mut self.conn, BODY_MIN..=usize::MAX)?;
        Ok(())
    }
}
