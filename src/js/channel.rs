//! The HTTP/2 connection, as the service tonic's generated client calls. As with grpc-js,
//! clients with the same address, TLS settings and credentials share one connection: it is
//! opened on the first call, again on the first call after it broke, and closed when the last
//! client using it is closed or collected. It runs on the addon's runtime (`runtime.rs`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{HeaderValue, USER_AGENT};
use http_body_util::combinators::MapErr;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::client::conn::http2::{Builder, SendRequest};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tonic::body::Body;
use tonic::{Code, Status};

use super::coalesce::Coalesce;
use super::runtime;
use crate::channel_options::ChannelSettings;
use crate::config::{Settings, TlsSettings};
use crate::tls::IdentityCheck;

pub type ResponseBody = MapErr<Incoming, fn(hyper::Error) -> Status>;

/// grpc-js waits 20 s for a connection before it reports the address unreachable; here it
/// bounds each address's TCP handshake, and the whole attempt with TLS and HTTP/2.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone)]
pub struct Channel {
    shared: Arc<Shared>,
}

struct Shared {
    key: Key,
    authority: String,
    tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
    /// `user-agent` (`grpc.primary_user_agent` / `secondary_user_agent` around ours).
    agent: HeaderValue,
    keepalive: ChannelSettings,
    /// `checkServerIdentity` and the host name it is given.
    identity: Option<(IdentityCheck, String)>,
    state: Mutex<State>,
}

type Attempt = watch::Receiver<Option<Result<SendRequest<Body>, Status>>>;

enum State {
    Idle,
    Connecting(Attempt),
    Ready(SendRequest<Body>),
}

/// What makes two clients' connections interchangeable.
#[derive(PartialEq)]
struct Key {
    authority: String,
    tls: Option<TlsSettings>,
    authorization: Option<String>,
    /// Keepalive and user-agent; the message-size limits are each client's own.
    channel: (Option<Duration>, Duration, bool, String),
}

/// The open (or opening) connections of the process, each alive while a client holds it.
static CONNECTIONS: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());

impl Channel {
    /// The connection of clients with these settings: the one already shared, or a new one.
    pub fn new(settings: &Settings) -> Result<Channel, String> {
        let key = Key {
            authority: settings.authority.clone(),
            tls: settings.tls.clone(),
            authorization: settings.authorization.clone(),
            channel: (
                settings.channel.keepalive,
                settings.channel.keepalive_timeout,
                settings.channel.keepalive_idle,
                settings.channel.user_agent.clone(),
            ),
        };
        let mut connections = CONNECTIONS.lock().unwrap_or_else(|e| e.into_inner());
        connections.retain(|c| c.strong_count() > 0);
        if let Some(shared) = connections
            .iter()
            .filter_map(Weak::upgrade)
            .find(|c| c.key == key)
        {
            return Ok(Channel { shared });
        }
        let channel = Channel::open(settings, key)?;
        connections.push(Arc::downgrade(&channel.shared));
        Ok(channel)
    }

    fn open(settings: &Settings, key: Key) -> Result<Channel, String> {
        let mut identity = None;
        let tls = match &settings.tls {
            None => None,
            Some(t) => {
                let host = settings
                    .authority
                    .rsplit_once(':')
                    .map_or(settings.authority.as_str(), |(h, _)| h)
                    .trim_start_matches('[')
                    .trim_end_matches(']');
                let name = t.server_name.as_deref().unwrap_or(host).to_string();
                // As grpc-js: the function gets `serverName` when set, else the address's host.
                identity = t.identity_check.clone().map(|c| (c, name.clone()));
                let name = ServerName::try_from(name).map_err(|e| {
                    format!("The `tls` options are not usable: bad server name: {e}")
                })?;
                Some((Arc::new(tls_config(t)?), name))
            }
        };
        Ok(Channel {
            shared: Arc::new(Shared {
                key,
                authority: settings.authority.clone(),
                tls,
                agent: HeaderValue::from_str(&settings.channel.user_agent).map_err(|_| {
                    "The user-agent options cannot be sent as a header.".to_string()
                })?,
                keepalive: settings.channel.clone(),
                identity,
                state: Mutex::new(State::Idle),
            }),
        })
    }
}

fn tls_config(t: &TlsSettings) -> Result<rustls::ClientConfig, String> {
    let bad = |e: &dyn std::fmt::Display| format!("The `tls` options are not usable: {e}");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&e))?;
    let builder = if t.skip_cert_check {
        builder
            .dangerous()
            .with_custom_certificate_verifier(crate::tls::accept_any_server())
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match &t.ca_pem {
            Some(pem) => {
                for cert in CertificateDer::pem_slice_iter(pem) {
                    roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        match t.identity_check {
            // The name is the user's function's to judge, after the handshake.
            Some(_) => builder
                .dangerous()
                .with_custom_certificate_verifier(crate::tls::chain_only(roots)),
            None => builder.with_root_certificates(roots),
        }
    };
    let mut config = match &t.identity {
        None => builder.with_no_client_auth(),
        Some((chain, key)) => {
            let chain = CertificateDer::pem_slice_iter(chain)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(&e))?;
            let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| bad(&e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| bad(&e))?
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

impl Shared {
    /// The open connection's sender, connecting first if there is none.
    async fn sender(self: &Arc<Self>) -> Result<SendRequest<Body>, Status> {
        let mut attempt = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            match &*state {
                State::Ready(s) if !s.is_closed() => return Ok(s.clone()),
                State::Connecting(a) => a.clone(),
                _ => {
                    let (tx, rx) = watch::channel(None);
                    *state = State::Connecting(rx.clone());
                    runtime::spawn(self.clone().connect(tx));
                    rx
                }
            }
        };
        let waited = attempt
            .wait_for(Option::is_some)
            .await
            .map(|outcome| outcome.clone());
        let outcome = match waited {
            Ok(outcome) => outcome,
            Err(_) => {
                // The attempt's task ended without a word (a panic): the next call tries again.
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if matches!(&*state, State::Connecting(a) if a.same_channel(&attempt)) {
                    *state = State::Idle;
                }
                return Err(Status::unavailable(
                    "transport error: the connection attempt was abandoned",
                ));
            }
        };
        outcome.expect("waited for it")
    }

    async fn connect(
        self: Arc<Self>,
        tx: watch::Sender<Option<Result<SendRequest<Body>, Status>>>,
    ) {
        // A server that accepts the TCP connection and then says nothing (no TLS or HTTP/2
        // handshake) must not hold every later call on this attempt.
        let outcome = tokio::time::timeout(CONNECT_TIMEOUT, self.open())
            .await
            .unwrap_or_else(|_| {
                Err(Status::unavailable(format!(
                    "transport error: connecting to {} took over {} s",
                    self.authority,
                    CONNECT_TIMEOUT.as_secs()
                )))
            });
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = match &outcome {
            Ok(s) => State::Ready(s.clone()),
            Err(_) => State::Idle,
        };
        let _ = tx.send(Some(outcome));
    }

    async fn open(&self) -> Result<SendRequest<Body>, Status> {
        let to = |what: &str| format!("{what} {}", self.authority);
        let stream = tcp_connect(self.authority.clone())
            .await
            .map_err(|e| transport_error(to("cannot connect to"), e))?;
        let _ = stream.set_nodelay(true);
        let io: Box<dyn Stream> = match &self.tls {
            None => Box::new(stream),
            Some((config, name)) => {
                let tls = tokio_rustls::TlsConnector::from(config.clone())
                    .connect(name.clone(), stream)
                    .await
                    .map_err(|e| transport_error(to("TLS handshake with"), e))?;
                if let Some((check, host)) = &self.identity {
                    // Before the HTTP/2 preface: no request goes out on a refused connection.
                    let der = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|chain| chain.first())
                        .map_or_else(Vec::new, |c| c.to_vec());
                    check.check(host.clone(), der).await.map_err(|message| {
                        Status::unavailable(format!(
                            "transport error: checkServerIdentity refused the certificate of {}: {message}",
                            self.authority
                        ))
                    })?;
                }
                Box::new(tls)
            }
        };
        let (sender, connection) = Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .keep_alive_interval(self.keepalive.keepalive)
            .keep_alive_timeout(self.keepalive.keepalive_timeout)
            .keep_alive_while_idle(self.keepalive.keepalive_idle)
            .handshake(TokioIo::new(Coalesce::new(io)))
            .await
            .map_err(|e| transport_error(to("HTTP/2 handshake with"), e))?;
        runtime::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// Resolves the name (on tokio's blocking pool) and tries each address in turn.
pub(crate) async fn tcp_connect(authority: String) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in tokio::net::lookup_host(authority.as_str()).await? {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("the name has no address")))
}

/// UNAVAILABLE "transport error: <what>", with `e` as its source: `CallError::from_status`
/// appends the source chain (refused, reset, the TLS alert) to the details.
fn transport_error(what: String, e: impl std::error::Error + Send + Sync + 'static) -> Status {
    let mut status = Status::unavailable(format!("transport error: {what}"));
    status.set_source(Arc::new(e));
    status
}

/// The gRPC status of a failed exchange, or of a reply's body (the connection broke mid-reply):
/// a stream the server reset maps as the gRPC spec says; anything else (connection refused,
/// reset, closed, GOAWAY) is UNAVAILABLE, as grpc-js reports it.
fn status_of(e: hyper::Error) -> Status {
    let mut source = std::error::Error::source(&e);
    while let Some(err) = source {
        if let Some(h2) = err.downcast_ref::<h2::Error>() {
            if h2.is_reset() && h2.is_remote() {
                let code = match h2.reason() {
                    Some(h2::Reason::REFUSED_STREAM) => Code::Unavailable,
                    Some(h2::Reason::CANCEL) => Code::Cancelled,
                    Some(h2::Reason::ENHANCE_YOUR_CALM) => Code::ResourceExhausted,
                    Some(h2::Reason::INADEQUATE_SECURITY) => Code::PermissionDenied,
                    _ => Code::Internal,
                };
                return Status::new(code, format!("stream reset by the server: {h2}"));
            }
            break;
        }
        source = err.source();
    }
    transport_error("connection error".into(), e)
}

impl tower_service::Service<http::Request<Body>> for Channel {
    type Response = http::Response<ResponseBody>;
    type Error = Status;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Status>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let shared = self.shared.clone();
        request
            .headers_mut()
            .insert(USER_AGENT, self.shared.agent.clone());
        Box::pin(async move {
            let mut sender = shared.sender().await?;
            std::future::poll_fn(|cx| sender.poll_ready(cx))
                .await
                .map_err(status_of)?;
            let response = sender.send_request(request).await.map_err(status_of)?;
            Ok(response.map(|b| b.map_err(status_of as fn(hyper::Error) -> Status)))
        })
    }
}

/// The connection's byte stream: plain TCP, or TLS over it.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}
