//! TCP: bind with wildcard and ephemeral ports, connect to resolved addresses.

use super::{map_io_error, Listener, Stream};
use crate::error::Error;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

/// Resolves a host for binding: `*` is every interface (IPv6 too when the
/// ipv6 option is on).
fn bind_addr(host: &str, port: u16, ipv6: bool) -> Result<SocketAddr, Error> {
    if host == "*" {
        let ip = if ipv6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        };
        return Ok(SocketAddr::new(ip, port));
    }
    resolve(host, port, ipv6)?
        .into_iter()
        .next()
        .ok_or(Error::AddressNotAvailable)
}

/// Resolves a host name or literal address. Without the ipv6 option, IPv4
/// addresses are preferred, as libzmq does.
pub(crate) fn resolve(host: &str, port: u16, ipv6: bool) -> Result<Vec<SocketAddr>, Error> {
    if host == "*" {
        return Err(Error::InvalidEndpoint(format!("tcp://*:{port}")));
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let mut addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| Error::InvalidEndpoint(format!("tcp://{host}:{port}")))?
        .collect();
    if !ipv6 {
        addrs.sort_by_key(|a| a.is_ipv6());
    }
    if addrs.is_empty() {
        return Err(Error::InvalidEndpoint(format!("tcp://{host}:{port}")));
    }
    Ok(addrs)
}

/// Binds; returns the listener and the endpoint as `last_endpoint` shows it.
pub(crate) fn bind(host: &str, port: Option<u16>, ipv6: bool) -> Result<(Listener, String), Error> {
    let addr = bind_addr(host, port.unwrap_or(0), ipv6)?;
    let listener = mio::net::TcpListener::bind(addr).map_err(map_io_error)?;
    let local = listener.local_addr().map_err(Error::Io)?;
    Ok((Listener::Tcp(listener), format!("tcp://{local}")))
}

/// Starts a non-blocking connect.
pub(crate) fn connect(addr: SocketAddr) -> std::io::Result<Stream> {
    let s = mio::net::TcpStream::connect(addr)?;
    let _ = s.set_nodelay(true);
    Ok(Stream::Tcp(s))
}
