//! One write per request: h2's writes gathered and sent at its next flush but one.
//!
//! hyper sends a request's HEADERS frame from the connection task, and its DATA frame from the
//! body's task once the stream has flow-control capacity, one poll later; each poll ends with a
//! flush, so a unary call cost two `writev`s and two TCP segments (two wake-ups of the server).
//! Here the first flush after new bytes yields once (the task is re-queued behind the tasks
//! already ready, the body's among them) and the second sends everything in one write.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Above this much gathered, a write sends what is gathered first (bounds the buffer).
const HIGH_WATER: usize = 256 * 1024;

pub struct Coalesce<S> {
    io: S,
    buf: Vec<u8>,
    /// Bytes of `buf` already written.
    sent: usize,
    /// The flush has yielded once for the bytes now gathered.
    yielded: bool,
}

impl<S> Coalesce<S> {
    pub fn new(io: S) -> Self {
        Coalesce {
            io,
            buf: Vec::with_capacity(16 * 1024),
            sent: 0,
            yielded: false,
        }
    }
}

impl<S: AsyncWrite + Unpin> Coalesce<S> {
    /// Writes out what is gathered.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.buf.len() {
            match Pin::new(&mut self.io).poll_write(cx, &self.buf[self.sent..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.sent += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.buf.clear();
        self.sent = 0;
        self.yielded = false;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Coalesce<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buf.len() >= HIGH_WATER {
            std::task::ready!(this.poll_send(cx))?;
        }
        this.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buf.len() >= HIGH_WATER {
            std::task::ready!(this.poll_send(cx))?;
        }
        let mut n = 0;
        for b in bufs {
            this.buf.extend_from_slice(b);
            n += b.len();
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.sent < this.buf.len() {
            if !this.yielded {
                // Woken from inside its own poll, the task is queued behind the ready ones.
                this.yielded = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            std::task::ready!(this.poll_send(cx))?;
        }
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_send(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Coalesce<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}
