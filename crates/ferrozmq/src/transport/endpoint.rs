//! Endpoint strings: `tcp://host:port`, `ipc://path`, `inproc://name`.

use crate::error::Error;
use std::fmt;
use std::path::PathBuf;

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `tcp://host:port`. `host` may be `*` (bind only), an IPv4 address, a
    /// bracketed IPv6 address or a host name; `port` is `None` for `*`/`0`.
    Tcp { host: String, port: Option<u16> },
    /// `ipc://path` (Unix domain socket). `*` asks for a generated path.
    Ipc(PathBuf),
    /// `inproc://name`.
    Inproc(String),
}

impl Endpoint {
    pub(crate) fn parse(s: &str) -> Result<Endpoint, Error> {
        let invalid = || Error::InvalidEndpoint(s.to_string());
        let (scheme, rest) = s.split_once("://").ok_or_else(invalid)?;
        match scheme {
            "tcp" => {
                let (host, port) = rest.rsplit_once(':').ok_or_else(invalid)?;
                let host = host
                    .strip_prefix('[')
                    .and_then(|h| h.strip_suffix(']'))
                    .unwrap_or(host);
                if host.is_empty() {
                    return Err(invalid());
                }
                let port = match port {
                    "*" | "0" => None,
                    p => Some(p.parse::<u16>().map_err(|_| invalid())?),
                };
                Ok(Endpoint::Tcp {
                    host: host.to_string(),
                    port,
                })
            }
            "ipc" if !rest.is_empty() => Ok(Endpoint::Ipc(PathBuf::from(rest))),
            "inproc" if !rest.is_empty() => Ok(Endpoint::Inproc(rest.to_string())),
            "ipc" | "inproc" => Err(invalid()),
            "pgm" | "epgm" | "tipc" | "vmci" | "udp" | "ws" | "wss" | "norm" => {
                Err(Error::UnsupportedTransport)
            }
            _ => Err(Error::UnsupportedTransport),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } => {
                let port = port.map_or("*".to_string(), |p| p.to_string());
                if host.contains(':') {
                    write!(f, "tcp://[{host}]:{port}")
                } else {
                    write!(f, "tcp://{host}:{port}")
                }
            }
            Endpoint::Ipc(p) => write!(f, "ipc://{}", p.display()),
            Endpoint::Inproc(n) => write!(f, "inproc://{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_users_write() {
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:*").unwrap(),
            Endpoint::Tcp {
                host: "127.0.0.1".into(),
                port: None
            }
        );
        assert_eq!(
            Endpoint::parse("tcp://[::1]:5555").unwrap(),
            Endpoint::Tcp {
                host: "::1".into(),
                port: Some(5555)
            }
        );
        assert_eq!(
            Endpoint::parse("tcp://*:0").unwrap().to_string(),
            "tcp://*:*"
        );
        assert_eq!(
            Endpoint::parse("ipc:///tmp/x").unwrap(),
            Endpoint::Ipc("/tmp/x".into())
        );
        assert_eq!(
            Endpoint::parse("inproc://a/b").unwrap(),
            Endpoint::Inproc("a/b".into())
        );
        for bad in [
            "tcp://nohost",
            "tcp://:5",
            "tcp://h:99999",
            "inproc://",
            "nonsense",
        ] {
            assert!(
                matches!(Endpoint::parse(bad), Err(Error::InvalidEndpoint(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Endpoint::parse("pgm://x"),
            Err(Error::UnsupportedTransport)
        ));
    }
}
