//! ipc: Unix domain sockets. A stale socket file is removed on bind (as
//! libzmq), and the file is unlinked when the listener closes.

use super::{map_io_error, Listener, Stream};
use crate::error::Error;
use std::path::{Path, PathBuf};

/// Owns the socket file of a bound ipc endpoint; unlinks it on drop.
#[derive(Debug)]
pub(crate) struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Binds; `*` picks a fresh path in the temporary directory.
pub(crate) fn bind(path: &Path) -> Result<(Listener, String), Error> {
    let path = if path.as_os_str() == "*" {
        std::env::temp_dir().join(format!(
            "ferrozmq-{}-{:016x}.sock",
            std::process::id(),
            crate::random::u64()
        ))
    } else {
        path.to_path_buf()
    };
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        use std::os::unix::fs::FileTypeExt;
        if meta.file_type().is_socket() {
            let _ = std::fs::remove_file(&path);
        }
    }
    let listener = mio::net::UnixListener::bind(&path).map_err(map_io_error)?;
    let endpoint = format!("ipc://{}", path.display());
    Ok((Listener::Unix(listener, SocketFile(path)), endpoint))
}

/// Connects (completes at once or fails for Unix sockets in practice).
pub(crate) fn connect(path: &Path) -> std::io::Result<Stream> {
    Ok(Stream::Unix(mio::net::UnixStream::connect(path)?))
}
