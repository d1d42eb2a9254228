//! Protocol tests: two [`Connection`]s wired back to back (quinn-proto's
//! `Pair`), and scripted raw peers, with a virtual clock. No sockets, no sleeps.

use crate::mechanism::Null;
use crate::*;
use bytes::{Bytes, BytesMut};
use std::io::IoSlice;
use std::time::{Duration, Instant};

fn conn(t: SocketType, now: Instant) -> Connection {
    Connection::new(ConnectionConfig::new(t), Box::new(Null::new()), now)
}

fn drain_transmit(c: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut slots = [IoSlice::new(&[]); 16];
        let n = c.transmit_slices(&mut slots);
        if n == 0 {
            return out;
        }
        let len: usize = slots[..n].iter().map(|s| s.len()).sum();
        for s in &slots[..n] {
            out.extend_from_slice(s);
        }
        c.advance_transmit(len);
    }
}

fn events(c: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// Two connections and the bytes in flight between them.
struct Pair {
    a: Connection,
    b: Connection,
    a_in: BytesMut,
    b_in: BytesMut,
    /// Deliver at most this many bytes per step, to exercise partial input.
    chunk: usize,
}

impl Pair {
    fn new(a: SocketType, b: SocketType) -> Pair {
        let now = Instant::now();
        Pair {
            a: conn(a, now),
            b: conn(b, now),
            a_in: BytesMut::new(),
            b_in: BytesMut::new(),
            chunk: usize::MAX,
        }
    }

    /// Moves bytes both ways until nothing moves. Returns the first error.
    fn drive(&mut self) -> Result<(), ConnectionError> {
        let mut a_pending = Vec::new();
        let mut b_pending = Vec::new();
        loop {
            a_pending.extend(drain_transmit(&mut self.a));
            b_pending.extend(drain_transmit(&mut self.b));
            if a_pending.is_empty() && b_pending.is_empty() {
                return Ok(());
            }
            let n = a_pending.len().min(self.chunk);
            self.b_in.extend_from_slice(&a_pending[..n]);
            a_pending.drain(..n);
            let n = b_pending.len().min(self.chunk);
            self.a_in.extend_from_slice(&b_pending[..n]);
            b_pending.drain(..n);
            self.b.handle_input(&mut self.b_in)?;
            self.a.handle_input(&mut self.a_in)?;
        }
    }
}

fn handshake(p: &mut Pair) -> (PeerInfo, PeerInfo) {
    p.drive().unwrap();
    let pa = match events(&mut p.a).remove(0) {
        Event::HandshakeSucceeded(peer) => peer,
        e => panic!("{e:?}"),
    };
    let pb = match events(&mut p.b).remove(0) {
        Event::HandshakeSucceeded(peer) => peer,
        e => panic!("{e:?}"),
    };
    (pa, pb)
}

#[test]
fn null_handshake_and_messages() {
    let mut p = Pair::new(SocketType::Push, SocketType::Pull);
    let (peer_of_a, peer_of_b) = handshake(&mut p);
    assert_eq!(peer_of_a.socket_type, Some(SocketType::Pull));
    assert_eq!(peer_of_b.socket_type, Some(SocketType::Push));
    assert_eq!(peer_of_a.minor, 1);
    let big = Bytes::from(vec![0xAB; 100_000]);
    let msgs = [
        Message::from("hello"),
        Message::from(vec![Bytes::new(), Bytes::from("x"), Bytes::new()]),
        Message::from(big.clone()),
        Message::from(vec![Bytes::from(vec![1u8; 300]), big]),
    ];
    for m in &msgs {
        p.a.send(m).unwrap();
    }
    p.drive().unwrap();
    let got: Vec<_> = events(&mut p.b);
    let want: Vec<_> = msgs.iter().cloned().map(Event::Message).collect();
    assert_eq!(got, want);
}

#[test]
fn byte_by_byte_delivery() {
    let mut p = Pair::new(SocketType::Dealer, SocketType::Router);
    p.chunk = 1;
    let (_, peer_of_b) = handshake(&mut p);
    assert_eq!(peer_of_b.identity, Bytes::new());
    p.a.send(&Message::from(vec!["", "abc"])).unwrap();
    p.drive().unwrap();
    assert_eq!(
        events(&mut p.b),
        vec![Event::Message(Message::from(vec!["", "abc"]))]
    );
}

#[test]
fn input_decodes_no_more_messages_than_allowed_and_keeps_the_rest() {
    let mut p = Pair::new(SocketType::Push, SocketType::Pull);
    handshake(&mut p);
    let msgs = [
        Message::from("one"),
        Message::from(vec!["two", "parts"]),
        Message::from("three"),
        Message::from("four"),
    ];
    for m in &msgs {
        p.a.send(m).unwrap();
    }
    let mut input = BytesMut::from(&drain_transmit(&mut p.a)[..]);
    // A heartbeat between the messages is not counted, and waits its turn.
    let third = input.len() - (2 + "four".len());
    let mut with_ping = BytesMut::from(&input[..third]);
    with_ping.extend_from_slice(b"\x04\x0a\x04PING\x00\x00TTL");
    with_ping.extend_from_slice(&input[third..]);
    input = with_ping;
    let mut got = Vec::new();
    let take = |c: &mut Connection, input: &mut BytesMut, max, got: &mut Vec<Event>| {
        c.handle_input_up_to(input, max, |e| got.push(e)).unwrap()
    };
    assert_eq!(take(&mut p.b, &mut input, 0, &mut got), 0);
    assert_eq!(
        take(&mut p.b, &mut input, 2, &mut got),
        2,
        "a two-part message is one"
    );
    assert_eq!(got.len(), 2);
    assert_eq!(drain_transmit(&mut p.b), b"", "the PING is not decoded yet");
    assert_eq!(take(&mut p.b, &mut input, 1, &mut got), 1);
    assert_eq!(
        drain_transmit(&mut p.b),
        b"",
        "stops right after the message"
    );
    assert_eq!(
        take(&mut p.b, &mut input, 5, &mut got),
        1,
        "the rest, fewer than allowed"
    );
    assert!(input.is_empty());
    assert_eq!(drain_transmit(&mut p.b), b"\x04\x08\x04PONGTTL".to_vec());
    let want: Vec<_> = msgs.iter().cloned().map(Event::Message).collect();
    assert_eq!(got, want);
}

#[test]
fn a_handshake_completes_with_no_room_for_the_messages_behind_it() {
    let now = Instant::now();
    let mut push = conn(SocketType::Push, now);
    let mut pull = conn(SocketType::Pull, now);
    // Greetings both ways, then the PUSH's READY and a message in one read.
    let mut to_pull = BytesMut::from(&drain_transmit(&mut push)[..]);
    push.handle_input(&mut BytesMut::from(&drain_transmit(&mut pull)[..]))
        .unwrap();
    pull.handle_input_up_to(&mut to_pull, 0, |_| {}).unwrap();
    push.handle_input(&mut BytesMut::from(&drain_transmit(&mut pull)[..]))
        .unwrap();
    push.send(&Message::from("early")).unwrap();
    let mut input = BytesMut::from(&drain_transmit(&mut push)[..]);
    let mut got = Vec::new();
    assert_eq!(
        pull.handle_input_up_to(&mut input, 0, |e| got.push(e))
            .unwrap(),
        0
    );
    assert!(matches!(&got[..], [Event::HandshakeSucceeded(_)]));
    assert!(pull.is_ready());
    assert!(!input.is_empty());
    assert_eq!(
        pull.handle_input_up_to(&mut input, 1, |e| got.push(e))
            .unwrap(),
        1
    );
    assert_eq!(got[1], Event::Message(Message::from("early")));
    assert!(input.is_empty());
}

#[test]
fn send_before_ready_is_refused() {
    let mut c = conn(SocketType::Push, Instant::now());
    assert_eq!(c.send(&Message::from("x")), Err(NotReady));
    assert_eq!(c.send_slice(b"x"), Err(NotReady));
}

#[test]
fn send_slice_puts_the_same_bytes_on_the_wire_as_send() {
    let mut p = Pair::new(SocketType::Push, SocketType::Pull);
    handshake(&mut p);
    drain_transmit(&mut p.a);
    for body in [&b""[..], b"hi", &[9u8; 300]] {
        p.a.send(&Message::from(body)).unwrap();
        let by_message = drain_transmit(&mut p.a);
        p.a.send_slice(body).unwrap();
        assert_eq!(drain_transmit(&mut p.a), by_message);
    }
}

#[test]
fn send_owned_puts_the_same_bytes_on_the_wire_as_send() {
    let mut p = Pair::new(SocketType::Dealer, SocketType::Dealer);
    handshake(&mut p);
    drain_transmit(&mut p.a);
    let large = Bytes::from(vec![5u8; transmit::LARGE_FRAME + 3]);
    let messages = [
        Message::new(),
        Message::from(&b"small"[..]),
        Message::from(large.clone()),
        Message::from_frames(vec![large.clone()]),
        Message::from_frames(vec![Bytes::from_static(b"id"), large.clone(), Bytes::new()]),
        Message::from_frames(vec![large.clone(), large.clone()]),
    ];
    for msg in messages {
        p.a.send(&msg).unwrap();
        let by_reference = drain_transmit(&mut p.a);
        p.a.send_owned(msg.clone()).unwrap();
        assert_eq!(drain_transmit(&mut p.a), by_reference);
        // And they arrive as the message sent.
        p.a.send_owned(msg.clone()).unwrap();
        p.drive().unwrap();
        let got: Vec<Message> = events(&mut p.b)
            .into_iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m),
                _ => None,
            })
            .collect();
        let want = if msg.is_empty() {
            Message::from(Bytes::new())
        } else {
            msg
        };
        assert_eq!(got, [want]);
    }
    assert_eq!(
        conn(SocketType::Push, Instant::now()).send_owned(Message::from("x")),
        Err(NotReady)
    );
}

#[test]
fn dealer_sends_libzmq_ready_bytes() {
    let mut c = conn(SocketType::Dealer, Instant::now());
    let mut peer = BytesMut::from(&Greeting::ours(MechanismName::NULL, false).encode()[..]);
    c.handle_input(&mut peer).unwrap();
    let out = drain_transmit(&mut c);
    // spec-notes §17: READY from DEALER with empty identity.
    let ready =
        b"\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00";
    assert_eq!(&out[64..], &ready[..]);
}

use crate::greeting::{Greeting, MechanismName};

#[test]
fn mismatched_socket_type_gets_error_command() {
    let mut p = Pair::new(SocketType::Push, SocketType::Push);
    let err = p.drive().unwrap_err();
    assert!(matches!(
        err,
        ConnectionError::Incompatible(IncompatiblePeer::SocketType { .. })
    ));
    // The failing side queued an ERROR for its peer before giving up.
    let out_b = drain_transmit(&mut p.b);
    let out_a = drain_transmit(&mut p.a);
    let error = b"\x04\x1a\x05ERROR\x13Invalid socket type";
    assert!(out_a.ends_with(error) || out_b.ends_with(error));
}

#[test]
fn peer_error_command_fails_handshake() {
    let mut c = conn(SocketType::Req, Instant::now());
    let mut input = BytesMut::from(&Greeting::ours(MechanismName::NULL, false).encode()[..]);
    input.extend_from_slice(b"\x04\x0a\x05ERROR\x03400");
    assert_eq!(
        c.handle_input(&mut input),
        Err(ConnectionError::PeerError {
            reason: "400".into()
        })
    );
}

#[test]
fn garbage_and_wrong_mechanism_are_rejected() {
    let mut c = conn(SocketType::Pull, Instant::now());
    let mut input = BytesMut::from(&b"GET / HTTP/1.1\r\n"[..]);
    assert_eq!(
        c.handle_input(&mut input),
        Err(ProtocolError::NotZmtp.into())
    );
    let mut c = conn(SocketType::Pull, Instant::now());
    let mut input = BytesMut::from(&Greeting::ours(MechanismName::PLAIN, false).encode()[..]);
    assert!(matches!(
        c.handle_input(&mut input),
        Err(ConnectionError::Incompatible(
            IncompatiblePeer::Mechanism { .. }
        ))
    ));
    let mut c = conn(SocketType::Pull, Instant::now());
    let mut input = BytesMut::from(&Greeting::ours(MechanismName::NULL, false).encode()[..]);
    input.extend_from_slice(b"\x00\x01x");
    assert_eq!(
        c.handle_input(&mut input),
        Err(ProtocolError::MessageDuringHandshake.into())
    );
}

#[test]
fn handshake_timeout() {
    let start = Instant::now();
    let mut c = conn(SocketType::Pull, start);
    let deadline = c.poll_timeout().unwrap();
    assert_eq!(deadline, start + Duration::from_secs(30));
    assert!(c.handle_timeout(start + Duration::from_secs(29)).is_ok());
    assert_eq!(
        c.handle_timeout(deadline),
        Err(ConnectionError::HandshakeTimeout)
    );
    // Completed handshakes have no deadline.
    let mut p = Pair::new(SocketType::Pair, SocketType::Pair);
    handshake(&mut p);
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn ping_is_answered_with_pong() {
    let mut p = Pair::new(SocketType::Sub, SocketType::Pub);
    handshake(&mut p);
    p.b_in.extend_from_slice(b"\x04\x0a\x04PING\x00\x00LOL");
    p.b.handle_input(&mut p.b_in).unwrap();
    assert_eq!(drain_transmit(&mut p.b), b"\x04\x08\x04PONGLOL".to_vec());
}

#[test]
fn subscriptions_31_commands_and_30_legacy() {
    let mut p = Pair::new(SocketType::Sub, SocketType::XPub);
    handshake(&mut p);
    p.a.subscribe(b"A").unwrap();
    assert_eq!(drain_transmit(&mut p.a), b"\x04\x0b\x09SUBSCRIBEA".to_vec());
    p.a.cancel(b"A").unwrap();
    p.a.subscribe(b"").unwrap();
    p.drive().unwrap();
    assert_eq!(
        events(&mut p.b),
        vec![
            Event::Cancel(Bytes::from("A")),
            Event::Subscribe(Bytes::new())
        ]
    );

    // A ZMTP 3.0 publisher gets the legacy form.
    let mut sub = conn(SocketType::Sub, Instant::now());
    let mut g30 = Greeting::ours(MechanismName::NULL, false);
    g30.minor = 0;
    let mut input = BytesMut::from(&g30.encode()[..]);
    input.extend_from_slice(b"\x04\x1a\x05READY\x0bSocket-Type\x00\x00\x00\x04XPUB");
    sub.handle_input(&mut input).unwrap();
    drain_transmit(&mut sub);
    sub.subscribe(b"A").unwrap();
    assert_eq!(drain_transmit(&mut sub), b"\x00\x02\x01A".to_vec());
    let topic = vec![b't'; 255];
    sub.subscribe(&topic).unwrap();
    let out = drain_transmit(&mut sub);
    assert_eq!(
        &out[..9],
        &[0x02, 0, 0, 0, 0, 0, 0, 1, 0],
        "256-byte body is long"
    );
}

#[test]
fn publisher_accepts_legacy_subscription_messages() {
    let mut p = Pair::new(SocketType::XSub, SocketType::Pub);
    handshake(&mut p);
    p.a.send(&Message::from(&b"\x01news"[..])).unwrap();
    p.a.send(&Message::from(&b"\x00news"[..])).unwrap();
    p.a.send(&Message::from("other")).unwrap();
    p.drive().unwrap();
    assert_eq!(
        events(&mut p.b),
        vec![
            Event::Subscribe(Bytes::from("news")),
            Event::Cancel(Bytes::from("news")),
            Event::Message(Message::from("other")),
        ]
    );
}

#[test]
fn max_message_size_drops_connection() {
    let now = Instant::now();
    let mut cfg = ConnectionConfig::new(SocketType::Pull);
    cfg.max_message_size = Some(4);
    let mut pull = Connection::new(cfg, Box::new(Null::new()), now);
    let mut push = conn(SocketType::Push, now);
    let mut p = Pair {
        a: push,
        b: pull,
        a_in: BytesMut::new(),
        b_in: BytesMut::new(),
        chunk: usize::MAX,
    };
    handshake(&mut p);
    p.a.send(&Message::from("12345")).unwrap();
    assert_eq!(
        p.drive(),
        Err(ConnectionError::MessageTooLarge { size: 5, max: 4 })
    );
    (push, pull) = (p.a, p.b);
    assert!(push.is_ready());
    assert!(
        pull.handle_input(&mut BytesMut::new()).is_err(),
        "stays failed"
    );
}

#[test]
fn command_inside_multipart_is_a_protocol_error() {
    let mut p = Pair::new(SocketType::Push, SocketType::Pull);
    handshake(&mut p);
    p.b_in.extend_from_slice(b"\x01\x01a\x04\x06\x04PONGx");
    assert_eq!(
        p.b.handle_input(&mut p.b_in),
        Err(ProtocolError::CommandInsideMessage.into())
    );
}

/// A large body taken out of band (`take_body_header` + `handle_body`)
/// gives the same events as decoding it from the read buffer, in a
/// multipart message and between other messages.
#[test]
fn large_bodies_can_be_received_out_of_band() {
    let mut p = Pair::new(SocketType::Push, SocketType::Pull);
    handshake(&mut p);
    let big = Bytes::from((0..200_000u32).map(|i| i as u8).collect::<Vec<u8>>());
    let msgs = [
        Message::from("before"),
        Message::from(vec![Bytes::from("head"), big.clone(), Bytes::from("tail")]),
        Message::from(big.clone()),
        Message::from("after"),
    ];
    for m in &msgs {
        p.a.send(m).unwrap();
    }
    let wire = drain_transmit(&mut p.a);
    // The receiver gets the bytes in 1000-byte reads.
    let mut input = BytesMut::new();
    let mut rest = &wire[..];
    let mut taken = 0;
    while !rest.is_empty() {
        let n = rest.len().min(1000);
        input.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        p.b.handle_input(&mut input).unwrap();
        if let Some(size) =
            p.b.take_body_header(&mut input, 64 * 1024..=1 << 20)
                .unwrap()
        {
            taken += 1;
            assert_eq!(size, big.len());
            // A second call while a body is pending takes nothing.
            assert_eq!(
                p.b.take_body_header(&mut input, 0..=usize::MAX).unwrap(),
                None
            );
            assert_eq!(p.b.input_missing(&input), None);
            let mut body = input.split().to_vec();
            let more = size - body.len();
            body.extend_from_slice(&rest[..more]);
            rest = &rest[more..];
            p.b.handle_body(Bytes::from(body)).unwrap();
        }
    }
    p.b.handle_input(&mut input).unwrap();
    assert_eq!(taken, 2);
    let want: Vec<_> = msgs.iter().cloned().map(Event::Message).collect();
    assert_eq!(events(&mut p.b), want);
}

/// Small frames, complete frames and commands stay with `handle_input`;
/// an oversized header is refused at once.
#[test]
fn take_body_header_leaves_what_it_should_not_take() {
    let mut p = Pair::new(SocketType::Push, SocketType::Pull);
    handshake(&mut p);
    let mut small = BytesMut::from(&[0u8, 3, b'a', b'b', b'c'][..]);
    assert_eq!(
        p.b.take_body_header(&mut small, 2..=100).unwrap(),
        None,
        "complete"
    );
    let mut long = BytesMut::from(&[2u8, 0, 0, 0, 0, 0, 1, 0, 0][..]);
    assert_eq!(
        p.b.take_body_header(&mut long, 1 << 20..=1 << 30).unwrap(),
        None,
        "below the range"
    );
    assert_eq!(
        p.b.take_body_header(&mut long, 1..=1 << 15).unwrap(),
        None,
        "above the range: nothing is reserved on a header's word"
    );
    assert_eq!(
        p.b.take_body_header(&mut long, 1 << 16..=1 << 16).unwrap(),
        Some(1 << 16)
    );
    assert!(long.is_empty(), "the header was taken");
    let mut cmd = BytesMut::from(&[6u8, 0, 0, 0, 0, 0, 1, 0, 0][..]);
    let mut q = Pair::new(SocketType::Push, SocketType::Pull);
    handshake(&mut q);
    assert_eq!(
        q.b.take_body_header(&mut cmd, 1..=usize::MAX).unwrap(),
        None,
        "command"
    );

    let mut config = ConnectionConfig::new(SocketType::Pull);
    config.max_message_size = Some(1000);
    let mut c = Connection::new(
        config,
        Box::new(crate::mechanism::Null::new()),
        Instant::now(),
    );
    let mut a = conn(SocketType::Push, Instant::now());
    let mut to_c = BytesMut::from(&drain_transmit(&mut a)[..]);
    c.handle_input(&mut to_c).unwrap();
    let mut to_a = BytesMut::from(&drain_transmit(&mut c)[..]);
    a.handle_input(&mut to_a).unwrap();
    let mut to_c = BytesMut::from(&drain_transmit(&mut a)[..]);
    c.handle_input(&mut to_c).unwrap();
    assert!(c.is_ready());
    let mut huge = BytesMut::from(&[2u8, 0, 0, 0, 0, 0, 1, 0, 0][..]);
    assert!(matches!(
        c.take_body_header(&mut huge, 1..=usize::MAX),
        Err(ConnectionError::MessageTooLarge { .. })
    ));
    assert!(
        c.handle_input(&mut BytesMut::new()).is_err(),
        "the connection failed"
    );
}

/// A reader that collects a frame arriving in pieces in one buffer asks
/// `needs_more_input` before decoding: true only while the frame is
/// incomplete and its header passes the checks; and frozen input (`Bytes`)
/// decodes as a `BytesMut` does, frames cut from its memory.
#[test]
fn needs_more_input_until_a_frame_is_whole_and_bytes_decode_in_place() {
    let mut p = Pair::new(SocketType::Push, SocketType::Pull);
    assert!(
        !p.b.needs_more_input(b""),
        "during the greeting, every byte is checked as it comes"
    );
    handshake(&mut p);
    let body = vec![7u8; 300];
    p.a.send(&Message::from(body.clone())).unwrap();
    p.a.send(&Message::from("next")).unwrap();
    let wire = drain_transmit(&mut p.a);
    let first = 9 + body.len();
    assert!(p.b.needs_more_input(b""));
    assert!(p.b.needs_more_input(&wire[..5]), "part of a header");
    assert!(p.b.needs_more_input(&wire[..first - 1]));
    assert!(!p.b.needs_more_input(&wire[..first]));
    assert!(!p.b.needs_more_input(&wire));

    let mut input = Bytes::from(wire.clone());
    let base = input.as_ptr();
    let mut got = Vec::new();
    assert_eq!(
        p.b.handle_input_up_to(&mut input, 1, |e| got.push(e))
            .unwrap(),
        1
    );
    let Event::Message(msg) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(msg.frames()[0], body);
    assert_eq!(msg.frames()[0].as_ptr(), base.wrapping_add(9), "not copied");
    assert_eq!(&input[..], &wire[first..]);

    // A header over the size limit is no reason to wait for more.
    let mut config = ConnectionConfig::new(SocketType::Pull);
    config.max_message_size = Some(100);
    let mut q = Pair::new(SocketType::Push, SocketType::Pull);
    q.b = Connection::new(config, Box::new(Null::new()), Instant::now());
    handshake(&mut q);
    assert!(q.b.needs_more_input(&wire[..1]));
    assert!(
        !q.b.needs_more_input(&wire[..9]),
        "the size is known: too big"
    );
    assert!(q.b.handle_input(&mut &wire[..9]).is_err());
}
