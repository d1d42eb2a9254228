//! Socket options, with libzmq 4.3's defaults (zmq_setsockopt(3)).

use bytes::Bytes;
use std::time::Duration;

/// Every option a socket keeps. Setters on [`Socket`](crate::Socket) validate
/// and store here; pipes and connections read them when they are created.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) sndhwm: usize,
    pub(crate) rcvhwm: usize,
    pub(crate) linger: Option<Duration>,
    pub(crate) routing_id: Bytes,
    pub(crate) reconnect_ivl: Option<Duration>,
    pub(crate) reconnect_ivl_max: Duration,
    pub(crate) sndtimeo: Option<Duration>,
    pub(crate) rcvtimeo: Option<Duration>,
    pub(crate) immediate: bool,
    pub(crate) conflate: bool,
    pub(crate) maxmsgsize: Option<usize>,
    pub(crate) handshake_ivl: Option<Duration>,
    pub(crate) router_mandatory: bool,
    pub(crate) router_handover: bool,
    pub(crate) xpub_verbose: bool,
    pub(crate) req_correlate: bool,
    pub(crate) req_relaxed: bool,
    pub(crate) probe_router: bool,
    pub(crate) ipv6: bool,
    pub(crate) tcp_keepalive: Option<bool>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            sndhwm: 1000,
            rcvhwm: 1000,
            linger: None,
            routing_id: Bytes::new(),
            reconnect_ivl: Some(Duration::from_millis(100)),
            reconnect_ivl_max: Duration::ZERO,
            sndtimeo: None,
            rcvtimeo: None,
            immediate: false,
            conflate: false,
            maxmsgsize: None,
            handshake_ivl: Some(Duration::from_secs(30)),
            router_mandatory: false,
            router_handover: false,
            xpub_verbose: false,
            req_correlate: false,
            req_relaxed: false,
            probe_router: false,
            ipv6: false,
            tcp_keepalive: None,
        }
    }
}
