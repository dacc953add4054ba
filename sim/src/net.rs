//! Accepted connections, wrapped so that a handler can drop its own connection abruptly
//! (the `drop` fault of a fixture).

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::{Stream, StreamExt};
use tonic::transport::server::Connected;

/// A handle on one accepted connection, reachable from handlers via request extensions.
#[derive(Debug)]
pub struct ConnHandle {
    fd: RawFd,
    /// Set when the socket is closed, so a late kill never touches a reused descriptor.
    closed: Mutex<bool>,
}

impl ConnHandle {
    /// Resets the connection: linger 0 makes the close send RST, shutdown wakes the reader now.
    pub fn kill(&self) {
        let closed = self.closed.lock().unwrap();
        if *closed {
            return;
        }
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: fd is open while `closed` is false, and we hold the lock that guards it.
        unsafe {
            libc::setsockopt(
                self.fd,
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &linger as *const libc::linger as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
            libc::shutdown(self.fd, libc::SHUT_RDWR);
        }
    }
}

#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub remote_addr: Option<SocketAddr>,
    pub handle: Arc<ConnHandle>,
}

pub struct ConnIo {
    tcp: TcpStream,
    handle: Arc<ConnHandle>,
}

impl ConnIo {
    fn new(tcp: TcpStream) -> Self {
        let handle = Arc::new(ConnHandle {
            fd: tcp.as_raw_fd(),
            closed: Mutex::new(false),
        });
        ConnIo { tcp, handle }
    }
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        *self.handle.closed.lock().unwrap() = true;
    }
}

impl Connected for ConnIo {
    type ConnectInfo = ConnInfo;

    fn connect_info(&self) -> ConnInfo {
        ConnInfo {
            remote_addr: self.tcp.peer_addr().ok(),
            handle: self.handle.clone(),
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// Accepted connections with TCP_NODELAY (small unary replies must not wait for Nagle).
pub fn incoming(listener: TcpListener) -> impl Stream<Item = io::Result<ConnIo>> {
    TcpListenerStream::new(listener).map(|accepted| {
        accepted.map(|tcp| {
            let _ = tcp.set_nodelay(true);
            ConnIo::new(tcp)
        })
    })
}
