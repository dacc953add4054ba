//! How unary calls meet the wire.
//!
//! In: answer as soon as the request message has arrived, as grpc-go (Milvus) does. tonic's unary
//! path waits for the client to half-close the stream before calling the handler; the official
//! Node SDK's retries re-send the message without half-closing, so against a plain tonic server
//! every retried attempt hangs until its deadline (and is never seen by the handler nor recorded).
//! The request body is ended right after the first gRPC message.
//!
//! Out: a handler can ask for a stream reset ([`ResetStream`]) or a raw response body
//! ([`RawBody`]) through the response extensions; everything else passes through untouched.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http_body::{Body as HttpBody, Frame, SizeHint};
use tonic::body::Body;
use tonic::codegen::{http, Bytes, Service, StdError};
use tonic::server::NamedService;

/// Response extension: reset the HTTP/2 stream instead of replying (the body fails before any
/// data, and hyper answers that with RST_STREAM INTERNAL_ERROR after the response headers).
#[derive(Clone, Copy, Debug)]
pub struct ResetStream;

/// Response extension: send these bytes as the whole body, then `grpc-status: 0`.
#[derive(Clone, Debug)]
pub struct RawBody(pub Bytes);

/// Wraps a service whose methods are all unary.
#[derive(Clone)]
pub struct UnaryWire<S>(pub S);

impl<S: NamedService> NamedService for UnaryWire<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<Body>> for UnaryWire<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Future: Unpin,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Scripted<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        Scripted(
            self.0
                .call(request.map(|body| Body::new(FirstMessage::new(body)))),
        )
    }
}

/// The inner service's future, with the scripted reset / raw body applied to its response.
pub struct Scripted<F>(F);

impl<F, E> Future for Scripted<F>
where
    F: Future<Output = Result<http::Response<Body>, E>> + Unpin,
{
    type Output = Result<http::Response<Body>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut response = ready!(Pin::new(&mut self.0).poll(cx))?;
        let extensions = response.extensions_mut();
        if extensions.remove::<ResetStream>().is_some() {
            *response.body_mut() = Body::new(Failing);
        } else if let Some(RawBody(bytes)) = extensions.remove::<RawBody>() {
            *response.body_mut() = Body::new(Raw(Some(bytes), true));
        }
        Poll::Ready(Ok(response))
    }
}

/// A body whose first poll fails: hyper resets the stream.
struct Failing;

impl HttpBody for Failing {
    type Data = Bytes;
    type Error = StdError;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(Some(Err("scripted stream reset".into())))
    }
}

/// Raw data, then OK trailers.
struct Raw(Option<Bytes>, bool);

impl HttpBody for Raw {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(data) = self.0.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        if std::mem::take(&mut self.1) {
            let mut trailers = http::HeaderMap::new();
            trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
            return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
        }
        Poll::Ready(None)
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
