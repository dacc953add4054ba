//! Answer a unary call as soon as its request message has arrived, as grpc-go (Milvus) does.
//!
//! tonic's unary path waits for the client to half-close the stream before calling the handler.
//! The official Node SDK's retries re-send the message without half-closing, so against a plain
//! tonic server every retried attempt hangs until its deadline (and is never seen by the handler
//! nor recorded). This wrapper ends the request body right after the first gRPC message.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http_body::{Body as HttpBody, Frame, SizeHint};
use tonic::body::Body;
use tonic::codegen::{http, Bytes, Service};
use tonic::server::NamedService;

/// Wraps a service whose methods are all unary.
#[derive(Clone)]
pub struct FirstMessageOnly<S>(pub S);

impl<S: NamedService> NamedService for FirstMessageOnly<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<Body>> for FirstMessageOnly<S>
where
    S: Service<http::Request<Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        self.0
            .call(request.map(|body| Body::new(FirstMessage::new(body))))
    }
}

/// A request body that ends once one length-prefixed gRPC message has passed through.
struct FirstMessage {
    inner: Body,
    /// The 5-byte message prefix: compression flag + big-endian length.
    prefix: [u8; 5],
    prefix_len: usize,
    /// Payload bytes still to come once the prefix is complete.
    remaining: u64,
    done: bool,
}

impl FirstMessage {
    fn new(inner: Body) -> Self {
        FirstMessage {
            inner,
            prefix: [0; 5],
            prefix_len: 0,
            remaining: 0,
            done: false,
        }
    }

    fn consume(&mut self, mut data: &[u8]) {
        while !self.done && !data.is_empty() {
            if self.prefix_len < 5 {
                let n = (5 - self.prefix_len).min(data.len());
                self.prefix[self.prefix_len..self.prefix_len + n].copy_from_slice(&data[..n]);
                self.prefix_len += n;
                data = &data[n..];
                if self.prefix_len == 5 {
                    let len = u32::from_be_bytes(self.prefix[1..5].try_into().unwrap());
                    self.remaining = u64::from(len);
                    self.done = self.remaining == 0;
                }
            } else {
                let n = (data.len() as u64).min(self.remaining);
                self.remaining -= n;
                data = &data[n as usize..];
                self.done = self.remaining == 0;
            }
        }
    }
}

impl HttpBody for FirstMessage {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame {
            if let Some(data) = frame.data_ref() {
                let data = data.clone();
                self.consume(&data);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> FirstMessage {
        FirstMessage::new(Body::empty())
    }

    #[test]
    fn ends_after_one_message_split_anywhere() {
        let msg = [0u8, 0, 0, 0, 3, 7, 8, 9];
        for split in 0..=msg.len() {
            let mut b = fresh();
            b.consume(&msg[..split]);
            assert_eq!(b.done, split == msg.len(), "split {split}");
            b.consume(&msg[split..]);
            assert!(b.done);
        }
    }

    #[test]
    fn empty_message_ends_at_the_prefix() {
        let mut b = fresh();
        b.consume(&[0, 0, 0, 0, 0]);
        assert!(b.done);
    }
}
