//! Entry points for the cargo-fuzz targets in `fuzz/`. Compiled only with
//! `--cfg fuzzing`. Each checks invariants, not only the absence of panics.

use crate::command::{Command, RawCommand};
use crate::frame::FrameDecoder;
use crate::greeting::{Greeting, MechanismName};
use crate::input::InputBuf;
use crate::mechanism::Null;
use crate::metadata::{self, Metadata};
use crate::{Connection, ConnectionConfig, ConnectionError, Event, SocketType};
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

/// A PULL connection past a valid NULL handshake with a PUSH peer.
fn connected_pull() -> Connection {
    let mut c = Connection::new(
        ConnectionConfig::new(SocketType::Pull),
        Box::new(Null::new()),
        Instant::now(),
    );
    let mut md = Metadata::new();
    md.insert(metadata::SOCKET_TYPE, Bytes::from_static(b"PUSH"));
    let mut buf = BytesMut::from(&Greeting::ours(MechanismName::NULL, false).encode()[..]);
    Command::Ready(md).encode(&mut buf);
    c.handle_input(&mut buf).expect("valid handshake");
    assert!(c.is_ready());
    c
}

/// Feeds arbitrary traffic to a connection twice: all at once through
/// `handle_input`, and in data-chosen pieces through `handle_input_up_to`
/// (a data-chosen number of messages per call, called again while it
/// hands over that many) with large bodies taken out of band
/// (`take_body_header` / `handle_body`, as the engine does). In pieces,
/// the input is decoded from a `BytesMut`, or (data-chosen) as the engine
/// reads: decoding waits while `needs_more_input` says so (checked: a
/// decode then takes nothing and reports nothing), and is then done from
/// the input frozen into `Bytes`. Both must give the same events in the
/// same order and fail alike.
pub fn traffic_with_bodies(data: &[u8]) {
    let [min, max, piece, rest @ ..] = data else {
        return;
    };
    let sizes = *min as usize..=(*max as usize) << 4;
    let limit = (*piece >> 4) as usize + 1;
    let frozen = *min & 1 == 1;
    let piece = (*piece as usize).max(1);
    fn decode(
        c: &mut Connection,
        buf: &mut impl InputBuf,
        limit: usize,
        got: &mut Vec<Event>,
    ) -> Result<(), ConnectionError> {
        loop {
            let before = got.len();
            let n = c.handle_input_up_to(buf, limit, |e| got.push(e))?;
            let messages = got[before..]
                .iter()
                .filter(|e| matches!(e, Event::Message(_)));
            assert_eq!(
                messages.count(),
                n,
                "the count is of the messages handed over"
            );
            assert!(n <= limit);
            if n < limit {
                return Ok(());
            }
        }
    }
    let decode_as_read = |c: &mut Connection, buf: &mut BytesMut, got: &mut Vec<Event>| {
        if !frozen {
            return decode(c, buf, limit, got);
        }
        if c.needs_more_input(buf) {
            let mut view = &buf[..];
            let before = got.len();
            decode(c, &mut view, limit, got)?;
            assert_eq!(got.len(), before, "nothing to report");
            assert_eq!(view.len(), buf.len(), "nothing taken");
            return Ok(());
        }
        let mut input = buf.split().freeze();
        let result = decode(c, &mut input, limit, got);
        buf.extend_from_slice(&input);
        result
    };
    let events = |c: &mut Connection| std::iter::from_fn(|| c.poll_event()).collect::<Vec<Event>>();

    let mut whole = connected_pull();
    let whole_failed = whole.handle_input(&mut BytesMut::from(rest)).is_err();
    let want = events(&mut whole);

    let mut c = connected_pull();
    let run = |c: &mut Connection, got: &mut Vec<Event>| -> Result<(), ConnectionError> {
        let mut buf = BytesMut::new();
        let mut input = rest;
        while !input.is_empty() {
            let n = input.len().min(piece);
            buf.extend_from_slice(&input[..n]);
            input = &input[n..];
            decode_as_read(c, &mut buf, got)?;
            while let Some(size) = c.take_body_header(&mut buf, sizes.clone())? {
                assert!(buf.len() < size, "only incomplete bodies are taken");
                let more = size - buf.len();
                if more > input.len() {
                    return Ok(()); // the body never completes
                }
                let mut body = buf.split().to_vec();
                body.extend_from_slice(&input[..more]);
                input = &input[more..];
                c.handle_body(Bytes::from(body))?;
                decode_as_read(c, &mut buf, got)?;
            }
        }
        Ok(())
    };
    let mut got = Vec::new();
    let failed = run(&mut c, &mut got).is_err();
    got.extend(events(&mut c));
    assert_eq!(got, want);
    assert_eq!(failed, whole_failed);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every input the fuzzers kept (`fuzz/corpus`) still passes its
    /// target's checks, so a change to a parser is tried against them by
    /// the ordinary test run, without a fuzzer installed.
    #[test]
    fn the_fuzz_corpora_pass() {
        type Target = fn(&[u8]);
        let targets: [(&str, Target); 5] = [
            ("frame", frame_decoder),
            ("command", command),
            ("null_handshake", null_handshake),
            ("greeting", greeting),
            ("traffic_bodies", traffic_with_bodies),
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
        for (name, target) in targets {
            let entries = std::fs::read_dir(root.join(name)).expect("corpus folder");
            let mut inputs = 0;
            for entry in entries {
                target(&std::fs::read(entry.expect("entry").path()).expect("input"));
                inputs += 1;
            }
            assert!(inputs > 0, "empty corpus {name}");
        }
    }

    #[test]
    fn traffic_with_bodies_on_some_inputs() {
        // The first byte's low bit: decoded from `BytesMut`, or frozen.
        for first in [2u8, 3] {
            let mut stream = vec![first, 100, 5];
            for (more, body) in [(1u8, vec![7u8; 300]), (0, vec![1; 10]), (0, vec![2; 1000])] {
                stream.push(2 | more);
                stream.extend_from_slice(&(body.len() as u64).to_be_bytes());
                stream.extend_from_slice(&body);
            }
            traffic_with_bodies(&stream);
            stream.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 0, 1, 9]); // a bad command
            traffic_with_bodies(&stream);
            stream.truncate(40); // a body cut short
            traffic_with_bodies(&stream);
        }
        traffic_with_bodies(&[]);
    }
}
