//! Typed option setters and getters, named after libzmq's (zmq_setsockopt).
//! Values apply to connections made after the call, as in libzmq.

use super::Socket;
use crate::error::{Error, Result};
use bytes::Bytes;
use std::time::Duration;

macro_rules! option {
    ($(#[$doc:meta])* $field:ident: $ty:ty, $set:ident, $get:ident) => {
        $(#[$doc])*
        pub fn $set(&self, value: $ty) -> Result<()> {
            self.core.with_options(|o| o.$field = value);
            Ok(())
        }

        #[doc = concat!("The current value of [`", stringify!($set), "`](Socket::", stringify!($set), ").")]
        pub fn $get(&self) -> Result<$ty> {
            Ok(self.core.with_options(|o| o.$field.clone()))
        }
    };
}

impl Socket {
    option!(
        /// ZMQ_SNDHWM: messages queued per peer before sending blocks or
        /// drops (by socket type). 0 = unlimited. Default 1000.
        sndhwm: usize, set_sndhwm, sndhwm
    );
    option!(
        /// ZMQ_RCVHWM: messages queued per peer before reading from it
        /// stops. 0 = unlimited. Default 1000.
        rcvhwm: usize, set_rcvhwm, rcvhwm
    );
    option!(
        /// ZMQ_LINGER: how long queued messages survive close. `None` =
        /// forever (the default, as libzmq), `Some(0)` = discard at once.
        linger: Option<Duration>, set_linger, linger
    );
    option!(
        /// ZMQ_SNDTIMEO for [`send`](Socket::send): `None` blocks forever (default).
        sndtimeo: Option<Duration>, set_sndtimeo, sndtimeo
    );
    option!(
        /// ZMQ_RCVTIMEO for [`recv`](Socket::recv): `None` blocks forever (default).
        rcvtimeo: Option<Duration>, set_rcvtimeo, rcvtimeo
    );
    option!(
        /// ZMQ_IMMEDIATE: queue messages only for completed connections. Default false.
        immediate: bool, set_immediate, immediate
    );
    option!(
        /// ZMQ_CONFLATE: keep only the newest message per pipe. Default false.
        conflate: bool, set_conflate, conflate
    );
    option!(
        /// ZMQ_MAXMSGSIZE: frames larger than this end the connection. `None` = no limit.
        maxmsgsize: Option<usize>, set_maxmsgsize, maxmsgsize
    );
    option!(
        /// ZMQ_HANDSHAKE_IVL: time allowed for a handshake. `None` = no limit. Default 30 s.
        handshake_ivl: Option<Duration>, set_handshake_ivl, handshake_ivl
    );
    option!(
        /// ZMQ_RECONNECT_IVL_MAX: cap of the exponential reconnect back-off;
        /// zero (default) = no back-off, the interval plus jitter every time.
        reconnect_ivl_max: Duration, set_reconnect_ivl_max, reconnect_ivl_max
    );
    option!(
        /// ZMQ_ROUTER_MANDATORY: unroutable messages fail with `HostUnreachable`
        /// instead of being dropped, and a full peer blocks. Default false.
        router_mandatory: bool, set_router_mandatory, router_mandatory
    );
    option!(
        /// ZMQ_ROUTER_HANDOVER: a new peer with an identity in use takes it over. Default false.
        router_handover: bool, set_router_handover, router_handover
    );
    option!(
        /// ZMQ_XPUB_VERBOSE: pass every subscription up, not only new topics. Default false.
        xpub_verbose: bool, set_xpub_verbose, xpub_verbose
    );
    option!(
        /// ZMQ_REQ_CORRELATE: tag requests with an id and accept only matching replies.
        req_correlate: bool, set_req_correlate, req_correlate
    );
    option!(
        /// ZMQ_REQ_RELAXED: allow a new request before the reply arrived.
        req_relaxed: bool, set_req_relaxed, req_relaxed
    );
    option!(
        /// ZMQ_PROBE_ROUTER: send an empty message on connect. Default false.
        probe_router: bool, set_probe_router, probe_router
    );
    option!(
        /// ZMQ_IPV6: allow IPv6 (and bind `*` to all IPv6 interfaces). Default false.
        ipv6: bool, set_ipv6, ipv6
    );

    /// ZMQ_TCP_KEEPALIVE: `None` leaves the OS default. Recorded; applied to
    /// TCP connections when keep-alive support lands (see docs/ARCHITECTURE.md).
    pub fn set_tcp_keepalive(&self, value: Option<bool>) -> Result<()> {
        self.core.with_options(|o| o.tcp_keepalive = value);
        Ok(())
    }

    /// The current value of [`set_tcp_keepalive`](Socket::set_tcp_keepalive).
    pub fn tcp_keepalive(&self) -> Result<Option<bool>> {
        Ok(self.core.with_options(|o| o.tcp_keepalive))
    }

    /// ZMQ_ROUTING_ID: the identity sent to peers (1–255 bytes; may not
    /// start with a zero byte, which marks generated ids).
    ///
    /// # Errors
    /// `InvalidOption` for an empty, too long or zero-led id.
    pub fn set_routing_id(&self, id: &[u8]) -> Result<()> {
        if id.is_empty() || id.len() > 255 || id[0] == 0 {
            return Err(Error::InvalidOption(
                "routing id must be 1-255 bytes, not starting with 0",
            ));
        }
        let id = Bytes::copy_from_slice(id);
        self.core.with_options(|o| o.routing_id = id);
        Ok(())
    }

    /// The current routing id (empty if none was set).
    pub fn routing_id(&self) -> Result<Bytes> {
        Ok(self.core.with_options(|o| o.routing_id.clone()))
    }

    /// ZMQ_RECONNECT_IVL: delay before reconnecting; `None` disables
    /// reconnection. Default 100 ms.
    pub fn set_reconnect_ivl(&self, ivl: Option<Duration>) -> Result<()> {
        self.core.with_options(|o| o.reconnect_ivl = ivl);
        Ok(())
    }

    /// The current reconnect interval.
    pub fn reconnect_ivl(&self) -> Result<Option<Duration>> {
        Ok(self.core.with_options(|o| o.reconnect_ivl))
    }
}
