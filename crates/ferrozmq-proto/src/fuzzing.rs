//! Entry points for the cargo-fuzz targets in `fuzz/`. Compiled only with
//! `--cfg fuzzing`. Each checks invariants, not only the absence of panics.

use crate::command::{Command, RawCommand};
use crate::frame::FrameDecoder;
use crate::greeting::{Greeting, MechanismName};
use crate::mechanism::Null;
use crate::{Connection, ConnectionConfig, SocketType};
use bytes::{Bytes, BytesMut};
use std::time::Instant;

/// Decodes frames from arbitrary bytes: consumption never exceeds the input,
/// and re-encoding what was decoded gives back an equivalent frame.
pub fn frame_decoder(data: &[u8]) {
    let dec = FrameDecoder::new(Some(1 << 20));
    let mut buf = BytesMut::from(data);
    let mut consumed = 0;
    while let Ok(Some(frame)) = dec.decode(&mut buf) {
        consumed += frame.body.len();
        let mut again = BytesMut::new();
        crate::frame::encode_header(&mut again, frame.more(), frame.command(), frame.body.len());
        again.extend_from_slice(&frame.body);
        let back = dec.decode(&mut again).unwrap().unwrap();
        assert_eq!(back.body, frame.body);
        assert!(again.is_empty());
    }
    assert!(consumed + buf.len() <= data.len());
}

/// Parses arbitrary command bodies; whatever parses must survive a round trip.
pub fn command(data: &[u8]) {
    if let Ok(raw) = RawCommand::decode(Bytes::copy_from_slice(data)) {
        if let Ok(cmd) = Command::decode(raw) {
            let mut out = BytesMut::new();
            cmd.encode(&mut out);
            let frame = FrameDecoder::new(None).decode(&mut out).unwrap().unwrap();
            let again = Command::decode(RawCommand::decode(frame.body).unwrap()).unwrap();
            if !matches!(cmd, Command::Ping { .. }) {
                assert_eq!(again, cmd);
            }
        }
    }
}

/// Feeds arbitrary bytes after a valid greeting to a NULL handshake, split
/// at a data-chosen point: never panics, never consumes more than given.
pub fn null_handshake(data: &[u8]) {
    let split = data.first().map_or(0, |b| *b as usize).min(data.len());
    let mut c = Connection::new(
        ConnectionConfig::new(SocketType::Router),
        Box::new(Null::new()),
        Instant::now(),
    );
    let mut buf = BytesMut::from(&Greeting::ours(MechanismName::NULL, false).encode()[..]);
    buf.extend_from_slice(&data[..split]);
    if c.handle_input(&mut buf).is_ok() {
        buf.extend_from_slice(&data[split..]);
        let _ = c.handle_input(&mut buf);
    }
    while c.poll_event().is_some() {}
}

/// Decodes arbitrary greetings.
pub fn greeting(data: &[u8]) {
    if let Ok(g) = Greeting::decode(data) {
        assert_eq!(
            Greeting::decode(&g.encode()).unwrap().mechanism,
            g.mechanism
        );
    }
}
