//! Global mode (`isGlobal`, or an address containing `global-cluster`): the topology over
//! HTTP(S) with hyper and rustls on the addon's runtime, the primary's connection, the
//! background refresh and the failover. The rules (URL, reply, primary, fetch policy) are in
//! `crate::global`; `Transport` routes calls through here (`transport.rs`).
//!
//! As the official SDK 3.0: the first fetch starts at construction; the background refresh
//! (every 5 min) only keeps the topology it reads, and a call that ends UNAVAILABLE after its
//! retries fetches the topology again and, if the primary moved, validates the new one with
//! Connect and switches to it. Calls already under way finish on the connection they started.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use http::header::{AUTHORIZATION, HOST, USER_AGENT};
use http::{Request, Uri};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use super::channel::tcp_connect;
use super::runtime;
use crate::config::{split_address, Settings};
use crate::global::{self, AttemptError, Topology, TopologyError};
use crate::transport::{client_for, Client, Failure};

const AGENT: &str = concat!("milvus-native/", env!("CARGO_PKG_VERSION"));
/// Test-only: the background refresh's period in ms (README, "Global clusters").
const REFRESH_ENV: &str = "MILVUS_NATIVE_TEST_TOPOLOGY_REFRESH_MS";

pub struct Global {
    shared: Arc<Shared>,
}

struct Shared {
    url: String,
    uri: Uri,
    bearer: String,
    /// The client's settings; each primary's connection replaces only the authority.
    base: Settings,
    refresh: Duration,
    state: Mutex<State>,
    /// One failover at a time.
    switch: tokio::sync::Mutex<()>,
    /// Set on close; dropped with the client: either ends the background refresh.
    stop: watch::Sender<bool>,
}

/// A first-topology fetch's outcome, once it has one.
pub type Started = watch::Receiver<Option<Result<(), Failure>>>;

struct State {
    /// The primary's connection and its endpoint as the topology names it.
    primary: Option<(Client, String)>,
    /// Counts switches, so a call that failed on an older primary does not fetch again.
    generation: u64,
    topology: Option<Topology>,
    /// The first fetch, while it runs.
    starting: Option<Started>,
    closed: bool,
}

impl Global {
    /// Starts the first fetch. `token`: sent as `Authorization: Bearer <token>`.
    pub fn new(address: &str, token: &str, base: Settings) -> Result<Global, String> {
        let url = global::topology_url(address);
        let uri: Uri = url.parse().map_err(|e| {
            format!("The `address` option gives no usable topology URL ({url}): {e}")
        })?;
        if uri.host().is_none() {
            return Err(format!(
                "The `address` option gives no usable topology URL ({url}): no host"
            ));
        }
        let bearer = format!("Bearer {token}");
        if http::HeaderValue::from_str(&bearer).is_err() {
            return Err(
                "The `token` option cannot be sent in an HTTP header (global mode).".into(),
            );
        }
        let refresh = std::env::var(REFRESH_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&ms| ms > 0)
            .map_or(global::REFRESH_INTERVAL, Duration::from_millis);
        let global = Global {
            shared: Arc::new(Shared {
                url,
                uri,
                bearer,
                base,
                refresh,
                state: Mutex::new(State {
                    primary: None,
                    generation: 0,
                    topology: None,
                    starting: None,
                    closed: false,
                }),
                switch: tokio::sync::Mutex::new(()),
                stop: watch::channel(false).0,
            }),
        };
        global.start();
        Ok(global)
    }

    /// The primary's connection, once known; `None` before the first topology and after close.
    pub fn client(&self) -> Option<Client> {
        self.shared.lock().primary.as_ref().map(|(c, _)| c.clone())
    }

    pub fn generation(&self) -> u64 {
        self.shared.lock().generation
    }

    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }

    /// Later calls reject as closed; the background refresh stops.
    pub fn close(&self) {
        let mut state = self.shared.lock();
        state.closed = true;
        state.primary = None;
        drop(state);
        let _ = self.shared.stop.send(true);
    }

    /// Where a call made now starts, in one look at the state: the primary's connection, or
    /// else the first-topology fetch under way, if any. A call made while that fetch runs takes
    /// its outcome, even when the runtime reaches the call after the fetch has ended.
    pub fn entry(&self) -> (Option<Client>, Option<Started>) {
        let state = self.shared.lock();
        match &state.primary {
            Some((c, _)) => (Some(c.clone()), None),
            None => (None, state.starting.clone()),
        }
    }

    /// Waits for the first topology: for `joined` (`entry()` when the call was made), or
    /// else the fetch under way now, or a new one (the last one failed).
    pub async fn ready(&self, joined: Option<Started>) -> Result<(), Failure> {
        let mut started = match joined {
            Some(s) if !self.is_closed() => s,
            _ => self.start().ok_or(Failure::Closed)?,
        };
        let mut stop = self.shared.stop.subscribe();
        let outcome = tokio::select! {
            v = started.wait_for(Option::is_some) => v.ok().and_then(|v| v.clone()),
            // closeConnection() while the first fetch runs.
            _ = stop.wait_for(|s| *s) => Some(Err(Failure::Closed)),
        };
        outcome.unwrap_or_else(|| {
            Err(self
                .shared
                .error("the topology fetch was abandoned", None, true))
        })
    }

    /// The first fetch's progress; `None` when closed. Starts one unless it runs or succeeded.
    fn start(&self) -> Option<Started> {
        let mut state = self.shared.lock();
        if state.closed {
            return None;
        }
        if state.primary.is_some() {
            return Some(watch::channel(Some(Ok(()))).1);
        }
        if let Some(s) = &state.starting {
            return Some(s.clone());
        }
        let (tx, rx) = watch::channel(None);
        state.starting = Some(rx.clone());
        runtime::spawn(self.shared.clone().first(tx));
        Some(rx)
    }

    /// After a call ended UNAVAILABLE on the connection of generation `seen`: unless another
    /// call switched since, fetch the topology; if the primary moved, validate it with
    /// `validate` (the Connect handshake, giving the new `identifier`) and switch to it.
    pub async fn failover<F, Fut>(&self, seen: u64, validate: F) -> Result<Option<i64>, Failure>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = Result<Option<i64>, Failure>>,
    {
        let _turn = self.shared.switch.lock().await;
        {
            let state = self.shared.lock();
            if state.closed {
                return Err(Failure::Closed);
            }
            if state.generation != seen {
                return Ok(None);
            }
        }
        let topology = self.shared.fetch().await?;
        let (endpoint, client) = self.shared.primary(&topology)?;
        let current = self.shared.lock().primary.as_ref().map(|(_, e)| e.clone());
        if current.as_deref() == Some(endpoint.as_str()) {
            self.shared.keep(topology);
            return Ok(None);
        }
        let identifier = validate(client.clone()).await?;
        let mut state = self.shared.lock();
        if state.closed {
            return Err(Failure::Closed);
        }
        state.primary = Some((client, endpoint));
        state.generation += 1;
        state.topology = Some(topology);
        Ok(identifier)
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn error(&self, message: impl Into<String>, status: Option<u16>, transient: bool) -> Failure {
        Failure::Topology(TopologyError {
            message: message.into(),
            url: self.url.clone(),
            status,
            transient,
        })
    }

    /// The first fetch; on success the primary's connection and the background refresh.
    async fn first(self: Arc<Self>, tx: watch::Sender<Option<Result<(), Failure>>>) {
        let outcome = match self.fetch().await {
            Ok(topology) => self.primary(&topology).map(|p| (p, topology)),
            Err(f) => Err(f),
        };
        let mut state = self.lock();
        state.starting = None;
        let outcome = match outcome {
            _ if state.closed => Err(Failure::Closed),
            Ok(((endpoint, client), topology)) => {
                state.primary = Some((client, endpoint));
                state.topology = Some(topology);
                runtime::spawn(refresh(
                    Arc::downgrade(&self),
                    self.stop.subscribe(),
                    self.refresh,
                ));
                Ok(())
            }
            Err(f) => Err(f),
        };
        drop(state);
        let _ = tx.send(Some(outcome));
    }

    /// The topology's primary: its endpoint and a connection to it (opened on first use).
    fn primary(&self, topology: &Topology) -> Result<(String, Client), Failure> {
        let Some(p) = topology.primary() else {
            return Err(self.error(
                format!(
                    "No primary cluster found in topology: no cluster has the WRITABLE capability (2) \
                     in version {} from {} ({})",
                    topology.version,
                    self.url,
                    topology.describe()
                ),
                None,
                true,
            ));
        };
        let unusable = |e: String| {
            self.error(
                format!(
                    "The primary cluster {}'s endpoint {:?} from {} is not usable: {e}",
                    p.cluster_id, p.endpoint, self.url
                ),
                None,
                false,
            )
        };
        let (authority, _) = split_address(&p.endpoint).map_err(unusable)?;
        let settings = Settings {
            authority,
            ..self.base.clone()
        };
        let client = client_for(&settings).map_err(unusable)?;
        Ok((p.endpoint.clone(), client))
    }

    /// Keeps a topology read later, if it is newer.
    fn keep(&self, topology: Topology) {
        let mut state = self.lock();
        if state
            .topology
            .as_ref()
            .is_none_or(|t| topology.version > t.version)
        {
            state.topology = Some(topology);
        }
    }

    /// The fetch policy: up to 3 attempts of 10 s each, backing off between them; 4xx
    /// replies, API error codes and unusable replies end it at once.
    async fn fetch(&self) -> Result<Topology, Failure> {
        let mut last = AttemptError::TimedOut;
        for attempt in 0..global::ATTEMPTS {
            let outcome = tokio::time::timeout(global::ATTEMPT_TIMEOUT, self.get())
                .await
                .unwrap_or(Err(AttemptError::TimedOut));
            match outcome {
                Ok(topology) => return Ok(topology),
                Err(e) if !e.is_retryable() => {
                    return Err(self.error(
                        global::fetch_error(&self.url, attempt + 1, &e),
                        e.status(),
                        false,
                    ))
                }
                Err(e) => last = e,
            }
            if attempt + 1 < global::ATTEMPTS {
                tokio::time::sleep(global::backoff(attempt, jitter())).await;
            }
        }
        Err(self.error(
            global::fetch_error(&self.url, global::ATTEMPTS, &last),
            last.status(),
            true,
        ))
    }

    /// One `GET`, over a connection of its own (HTTP/1.1; TLS for `https`).
    async fn get(&self) -> Result<Topology, AttemptError> {
        let network =
            |what: &str, e: &dyn std::fmt::Display| AttemptError::Network(format!("{what}: {e}"));
        let https = self.uri.scheme_str() == Some("https");
        let host = self.uri.host().unwrap_or_default();
        let port = self.uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let bare_host = host.trim_start_matches('[').trim_end_matches(']');
        let stream = tcp_connect(format!("{host}:{port}"))
            .await
            .map_err(|e| network(&format!("cannot connect to {host}:{port}"), &e))?;
        let io: Box<dyn Stream> = if https {
            let name = ServerName::try_from(bare_host.to_string())
                .map_err(|e| network("bad server name", &e))?;
            let config = self.tls_config().map_err(|e| network("TLS set-up", &e))?;
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, stream)
                .await
                .map_err(|e| network(&format!("TLS handshake with {host}:{port}"), &e))?;
            Box::new(tls)
        } else {
            Box::new(stream)
        };
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(io))
                .await
                .map_err(|e| network("HTTP handshake", &e))?;
        runtime::spawn(async move {
            let _ = connection.await;
        });
        let authority = self.uri.authority().map_or(host, |a| a.as_str());
        let request = Request::get(self.uri.path_and_query().map_or("/", |p| p.as_str()))
            .header(HOST, authority)
            .header(AUTHORIZATION, &self.bearer)
            .header(USER_AGENT, AGENT)
            .body(Empty::new())
            .map_err(|e| network("cannot send the token as a header", &e))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| network("request", &e))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| network("reading the reply", &e))?
            .to_bytes();
        if !status.is_success() {
            return Err(AttemptError::Status(
                status.as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            ));
        }
        global::parse_reply(&body)
    }

    /// The public roots, plus the client's own CA (`tls.rootCert`) when it gave one.
    fn tls_config(&self) -> Result<rustls::ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = self.base.tls.as_ref().and_then(|t| t.ca_pem.as_ref()) {
            for cert in CertificateDer::pem_slice_iter(pem).flatten() {
                let _ = roots.add(cert);
            }
        }
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// The background refresh: keeps the topology current until the client closes or is gone.
/// It runs on the addon's runtime, so it never keeps the process alive.
async fn refresh(shared: Weak<Shared>, mut stop: watch::Receiver<bool>, every: Duration) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            // Closed, or the sender dropped with the client.
            _ = stop.wait_for(|s| *s) => return,
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if let Ok(topology) = shared.fetch().await {
            shared.keep(topology);
        }
    }
}

/// A number in [0, 1) for the backoff's jitter (std's per-instance random hasher keys).
fn jitter() -> f64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u8(0);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The connection's byte stream: plain TCP, or TLS over it.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}
