//! bind / connect / unbind / disconnect / last_endpoint.

use super::core::{EndpointRecord, SocketCore};
use super::Socket;
use crate::engine::{ConnectTarget, IoCommand};
use crate::error::{Error, Result};
use crate::transport::{self, Endpoint};
use ferrozmq_proto::SocketType;
use std::sync::Arc;

impl Socket {
    fn check_usable(&self) -> Result<()> {
        if self.core.ctx.is_terminated() {
            Err(Error::ContextTerminated)
        } else if self.core.is_closed() {
            Err(Error::SocketClosed)
        } else {
            Ok(())
        }
    }

    /// Accepts connections on an endpoint: `tcp://127.0.0.1:*` (ephemeral
    /// port; see [`last_endpoint`](Socket::last_endpoint)), `tcp://*:5555`,
    /// `tcp://[::1]:5555`, `ipc:///tmp/name`, `inproc://name`.
    ///
    /// # Errors
    /// `InvalidEndpoint`, `UnsupportedTransport`, `AddressInUse`,
    /// `AddressNotAvailable`.
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.check_usable()?;
        let core = &self.core;
        let id = core.ctx.next_id();
        let resolved = match Endpoint::parse(endpoint)? {
            Endpoint::Inproc(name) => {
                core.ctx.inproc_bind(&name, core)?;
                core.add_endpoint(EndpointRecord {
                    id,
                    given: endpoint.to_string(),
                    resolved: name,
                    bound: true,
                    inproc: true,
                });
                core.set_last_endpoint(endpoint.to_string());
                return Ok(());
            }
            Endpoint::Tcp { host, port } => {
                let ipv6 = core.with_options(|o| o.ipv6);
                let (listener, resolved) = transport::tcp::bind(&host, port, ipv6)?;
                self.listen(id, listener);
                resolved
            }
            #[cfg(unix)]
            Endpoint::Ipc(path) => {
                let (listener, resolved) = transport::ipc::bind(&path)?;
                self.listen(id, listener);
                resolved
            }
            #[cfg(not(unix))]
            Endpoint::Ipc(_) => return Err(Error::UnsupportedTransport),
        };
        core.add_endpoint(EndpointRecord {
            id,
            given: endpoint.to_string(),
            resolved: resolved.clone(),
            bound: true,
            inproc: false,
        });
        core.set_last_endpoint(resolved);
        Ok(())
    }

    fn listen(&self, id: u64, listener: transport::Listener) {
        self.core.ctx.io_for(self.core.id).send(IoCommand::Listen {
            id,
            listener,
            socket: self.core.clone(),
        });
    }

    /// Connects to an endpoint. Returns at once: the connection is made (and
    /// re-made after loss) in the background, and messages sent meanwhile
    /// are queued unless IMMEDIATE is set.
    ///
    /// # Errors
    /// `InvalidEndpoint` (bad syntax, unknown host), `UnsupportedTransport`.
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.check_usable()?;
        let core = &self.core;
        let id = core.ctx.next_id();
        let target = match Endpoint::parse(endpoint)? {
            Endpoint::Inproc(name) => {
                core.ctx.inproc_connect(&name, core, id)?;
                core.add_endpoint(EndpointRecord {
                    id,
                    given: endpoint.to_string(),
                    resolved: endpoint.to_string(),
                    bound: false,
                    inproc: true,
                });
                core.set_last_endpoint(endpoint.to_string());
                return Ok(());
            }
            Endpoint::Tcp { host, port } => {
                let port = port.ok_or_else(|| Error::InvalidEndpoint(endpoint.to_string()))?;
                let ipv6 = core.with_options(|o| o.ipv6);
                ConnectTarget::Tcp(transport::tcp::resolve(&host, port, ipv6)?)
            }
            #[cfg(unix)]
            Endpoint::Ipc(path) => ConnectTarget::Ipc(path),
            #[cfg(not(unix))]
            Endpoint::Ipc(_) => return Err(Error::UnsupportedTransport),
        };
        let peer = self.session_peer();
        core.add_endpoint(EndpointRecord {
            id,
            given: endpoint.to_string(),
            resolved: endpoint.to_string(),
            bound: false,
            inproc: false,
        });
        core.set_last_endpoint(endpoint.to_string());
        core.ctx.io_for(core.id).send(IoCommand::Connect {
            id,
            socket: core.clone(),
            target,
            peer,
        });
        Ok(())
    }

    /// Pipes created at connect time, so messages queue before the peer is
    /// there (IMMEDIATE off). ROUTER learns a peer's identity only in the
    /// handshake, so its pipes are always made then.
    fn session_peer(&self) -> Option<super::pattern::Peer> {
        let core: &Arc<SocketCore> = &self.core;
        let immediate = core.with_options(|o| o.immediate);
        if immediate || core.kind == SocketType::Router {
            return None;
        }
        let peer = core.new_peer(bytes::Bytes::new(), false);
        core.attach(&peer, true).then_some(peer)
    }

    /// Stops accepting on an endpoint given to [`bind`](Socket::bind) (as
    /// written or as `last_endpoint` reported it) and closes the
    /// connections accepted there.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.check_usable()?;
        let record = self
            .core
            .take_endpoint(endpoint, true)
            .ok_or(Error::AddressNotAvailable)?;
        if record.inproc {
            self.core.ctx.inproc_unbind(&record.resolved, self.core.id);
        } else {
            self.core
                .ctx
                .io_for(self.core.id)
                .send(IoCommand::Unlisten { id: record.id });
        }
        Ok(())
    }

    /// Ends a connection made by [`connect`](Socket::connect).
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.check_usable()?;
        let record = self
            .core
            .take_endpoint(endpoint, false)
            .ok_or(Error::AddressNotAvailable)?;
        if record.inproc {
            for peer in self.core.peers_of_endpoint(record.id) {
                self.core.detach(peer);
            }
        } else {
            self.core
                .ctx
                .io_for(self.core.id)
                .send(IoCommand::Disconnect { id: record.id });
        }
        Ok(())
    }

    /// The last endpoint bound or connected, with ephemeral ports resolved:
    /// `tcp://127.0.0.1:41234`. Empty if none.
    pub fn last_endpoint(&self) -> Result<String> {
        Ok(self.core.last_endpoint())
    }
}
