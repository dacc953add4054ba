//! One channel per client; per call: headers, deadline, the retry loop, cancellation.

use std::future::Future;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tonic::metadata::AsciiMetadataValue;
use tonic::Code;

use crate::channel_options::size_limit_error;
use crate::config::Settings;
use crate::error::CallError;
use crate::global::TopologyError;
use crate::headers;
use crate::js::channel::Channel;
use crate::js::global::{Global, Started};
use crate::proto::milvus::milvus_service_client::MilvusServiceClient;
use crate::proto::milvus::ConnectRequest;
use crate::retry;

pub type Client = MilvusServiceClient<Channel>;

/// How a call ended when it did not produce a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Grpc(CallError),
    /// The caller's AbortSignal fired.
    Aborted,
    /// `closeConnection()` came first.
    Closed,
    /// Global mode: no primary to call (the topology could not be read, or names none).
    Topology(TopologyError),
}

/// A reply, or the official client's `{}` for a server without the method (UNIMPLEMENTED).
pub enum Reply<T> {
    Message(T),
    Unimplemented,
}

/// What one call needs besides its request message.
pub struct Call {
    pub method: &'static str,
    pub timeout: Duration,
    pub request_id: Option<AsciiMetadataValue>,
    /// Flips to `true` when the caller aborts.
    pub cancel: Option<watch::Receiver<bool>>,
    /// `traceparent` / `tracestate` (`trace: true`), the same on every attempt.
    pub trace: Option<Trace>,
    /// The channel as it was when the caller made the call, for its first attempt: a call
    /// made before `closeConnection()` still goes out, as with grpc-js, even if the event loop
    /// reaches it after the close. `None`: take the current one.
    pub client: Option<Client>,
    /// Global mode, no primary yet: the topology fetch under way when the caller made the
    /// call (`Transport::entry`). The call takes its outcome rather than starting
    /// a fetch of its own when the runtime reaches it only after that fetch failed.
    pub topology: Option<Started>,
}

/// The W3C trace headers of a call, as the application's propagator injected them.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub parent: Option<AsciiMetadataValue>,
    pub state: Option<AsciiMetadataValue>,
}

impl Trace {
    /// `None` when there is nothing to send; an error names a header gRPC cannot carry.
    pub fn new(parent: Option<String>, state: Option<String>) -> Result<Option<Trace>, String> {
        let value = |name, v| {
            headers::trace_value(name, v).map(|v| {
                v.map(|v| AsciiMetadataValue::try_from(v).expect("checked printable ASCII"))
            })
        };
        let trace = Trace {
            parent: value(headers::TRACEPARENT, parent)?,
            state: value(headers::TRACESTATE, state)?,
        };
        Ok((trace.parent.is_some() || trace.state.is_some()).then_some(trace))
    }
}

pub struct Transport {
    pub settings: Settings,
    /// `None` once closed: dropping our handle lets the connection go as soon as the calls
    /// in flight (which hold their own) have finished.
    client: RwLock<Option<Client>>,
    authorization: Option<AsciiMetadataValue>,
    database: RwLock<AsciiMetadataValue>,
    identifier: RwLock<Option<AsciiMetadataValue>>,
    pub log: bool,
    /// Global mode: the primary's connection replaces `client`, and the handshake to
    /// validate a new primary.
    global: Option<(Global, ConnectRequest)>,
}

/// A client of the service over the (shared) connection for these settings.
pub fn client_for(settings: &Settings) -> Result<Client, String> {
    let scheme = if settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let origin = format!("{scheme}://{}", settings.authority)
        .parse()
        .map_err(|e| format!("The `address` option is not usable: {e}"))?;
    Ok(
        MilvusServiceClient::with_origin(Channel::new(settings)?, origin)
            .max_decoding_message_size(settings.channel.max_receive)
            .max_encoding_message_size(settings.channel.max_send),
    )
}

impl Transport {
    /// Builds the channel, which connects on the first call.
    pub fn new(settings: Settings, log: bool) -> Result<Transport, String> {
        let client = client_for(&settings)?;
        let header = |v: &str, what: &str| {
            AsciiMetadataValue::try_from(v)
                .map_err(|_| format!("The `{what}` option cannot be sent as a gRPC header."))
        };
        Ok(Transport {
            authorization: settings
                .authorization
                .as_deref()
                .map(|a| header(a, "token"))
                .transpose()?,
            database: RwLock::new(header(&settings.database, "database")?),
            identifier: RwLock::new(None),
            client: RwLock::new(Some(client)),
            settings,
            log,
            global: None,
        })
    }

    /// Global mode (`js/global.rs`): calls go to the topology's primary; `connect` validates
    /// a new one at a failover.
    pub fn with_global(mut self, global: Global, connect: ConnectRequest) -> Transport {
        self.client = RwLock::new(None);
        self.global = Some((global, connect));
        self
    }

    /// Whether `closeConnection()` was called.
    pub fn is_closed(&self) -> bool {
        match &self.global {
            Some((g, _)) => g.is_closed(),
            None => self.client().is_none(),
        }
    }

    /// `use({ db_name })`: the `dbname` header of later calls.
    pub fn use_database(&self, db: &str) -> Result<(), String> {
        let v = AsciiMetadataValue::try_from(db)
            .map_err(|_| "The `db_name` property must be printable ASCII.".to_string())?;
        *self.database.write().unwrap_or_else(|e| e.into_inner()) = v;
        Ok(())
    }

    /// The handshake's `identifier`, sent on every later call.
    pub fn set_identifier(&self, id: i64) {
        let v = AsciiMetadataValue::try_from(id.to_string()).ok();
        *self.identifier.write().unwrap_or_else(|e| e.into_inner()) = v;
    }

    pub fn close(&self) {
        self.client
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((g, _)) = &self.global {
            g.close();
        }
    }

    fn request<Req>(&self, call: &Call, message: Req) -> tonic::Request<Req> {
        let mut request = tonic::Request::new(message);
        // Sent as `grpc-timeout`; the deadline itself is enforced in `unary`. tonic panics on
        // a timeout the header cannot spell (over 99,999,999 hours); settings stay far below.
        request.set_timeout(call.timeout.min(crate::config::MAX_DURATION));
        let md = request.metadata_mut();
        if let Some(auth) = &self.authorization {
            md.insert(headers::AUTHORIZATION, auth.clone());
        }
        let db = self
            .database
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        md.insert(headers::DATABASE, db);
        if let Some(id) = self
            .identifier
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            md.insert(headers::IDENTIFIER, id);
        }
        if let Ok(now) = AsciiMetadataValue::try_from(headers::unix_millis()) {
            md.insert(headers::UNIXMSEC, now);
        }
        if let Some(id) = &call.request_id {
            md.insert(headers::REQUEST_ID, id.clone());
        }
        if let Some(trace) = &call.trace {
            if let Some(v) = &trace.parent {
                md.insert(headers::TRACEPARENT, v.clone());
            }
            if let Some(v) = &trace.state {
                md.insert(headers::TRACESTATE, v.clone());
            }
        }
        request
    }

    /// One unary RPC with the official retry policy. Each attempt gets a fresh deadline
    /// that also covers connecting; a Milvus error status is a reply, never retried.
    pub async fn unary<Req, Resp, F, Fut>(
        &self,
        mut call: Call,
        message: Req,
        rpc: F,
    ) -> Result<Reply<Resp>, Failure>
    where
        Req: Clone,
        F: Fn(Client, tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
    {
        let mut cancel = call.cancel.take();
        let first = call.client.take();
        let attempts = async {
            match &self.global {
                None => self.attempts(&call, first, false, message, &rpc).await,
                Some((g, connect)) => {
                    self.global_attempts(g, connect, &call, first, message, &rpc)
                        .await
                }
            }
        };
        match cancel.as_mut() {
            None => attempts.await,
            Some(rx) => {
                // A dropped sender (the call's abort entry removed) is not an abort.
                tokio::select! {
                    biased;
                    Ok(_) = rx.wait_for(|aborted| *aborted) => Err(Failure::Aborted),
                    result = attempts => result,
                }
            }
        }
    }

    /// Global mode: waits for the first topology if the call came before it; a call that ends
    /// UNAVAILABLE after its retries runs the failover (`Global::failover`), then once more on
    /// the current primary, as the official client does whether or not the primary moved.
    async fn global_attempts<Req, Resp, F, Fut>(
        &self,
        g: &Global,
        connect: &ConnectRequest,
        call: &Call,
        first: Option<Client>,
        message: Req,
        rpc: &F,
    ) -> Result<Reply<Resp>, Failure>
    where
        Req: Clone,
        F: Fn(Client, tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
    {
        if first.is_none() {
            g.ready(call.topology.clone()).await?;
        }
        let seen = g.generation();
        match self
            .attempts(call, first, false, message.clone(), rpc)
            .await
        {
            Err(Failure::Grpc(e)) if e.code == Code::Unavailable as i32 => {
                let identifier = g
                    .failover(seen, |candidate| self.validate(candidate, connect.clone()))
                    .await?;
                if let Some(id) = identifier {
                    self.set_identifier(id);
                }
                self.attempts(call, None, false, message, rpc).await
            }
            other => other,
        }
    }

    /// The Connect handshake on a candidate primary (every attempt on it): its `identifier`.
    async fn validate(
        &self,
        candidate: Client,
        request: ConnectRequest,
    ) -> Result<Option<i64>, Failure> {
        let call = Call {
            method: "Connect",
            timeout: self
                .settings
                .call_timeout(None)
                .unwrap_or(crate::config::DEFAULT_TIMEOUT),
            request_id: None,
            cancel: None,
            trace: None,
            client: None,
            topology: None,
        };
        let rpc = |mut c: Client, r| async move { c.connect(r).await };
        match self
            .attempts(&call, Some(candidate), true, request, &rpc)
            .await?
        {
            Reply::Message(reply) => Ok(Some(reply.identifier)),
            Reply::Unimplemented => Ok(None),
        }
    }

    /// The attempts of one call: the first on `first` (else the current connection), the
    /// retries on the current one, or all on `first` when `pinned`.
    async fn attempts<Req, Resp, F, Fut>(
        &self,
        call: &Call,
        mut first: Option<Client>,
        pinned: bool,
        message: Req,
        rpc: &F,
    ) -> Result<Reply<Resp>, Failure>
    where
        Req: Clone,
        F: Fn(Client, tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
    {
        if call.timeout.is_zero() {
            // A deadline already past (a negative per-call timeout): nothing could be answered
            // in time, so nothing is sent. (A zero tokio timeout fires at the timer's next turn,
            // after a fast local reply may have come.)
            return Err(Failure::Grpc(deadline_exceeded(call)));
        }
        let started = Instant::now();
        let mut retries = 0u32;
        loop {
            let next = match &first {
                Some(c) if pinned => Some(c.clone()),
                _ => first.take().or_else(|| self.client()),
            };
            let Some(client) = next else {
                return Err(Failure::Closed);
            };
            let attempt_started = Instant::now();
            let request = self.request(call, message.clone());
            let outcome = tokio::time::timeout(call.timeout, rpc(client, request)).await;
            let mut error = match outcome {
                Ok(Ok(reply)) => {
                    self.log_attempt(call, retries, 0, attempt_started);
                    return Ok(Reply::Message(reply.into_inner()));
                }
                Ok(Err(status)) if status.code() == Code::Unimplemented => {
                    self.log_attempt(call, retries, 12, attempt_started);
                    return Ok(Reply::Unimplemented);
                }
                // A status that arrives once this attempt's deadline has passed is the deadline's
                // (a server that enforces `grpc-timeout` itself, as tonic's does, may answer
                // CANCELLED a moment before our own timer fires; that must not be retried).
                Ok(Err(_)) if attempt_started.elapsed() >= call.timeout => deadline_exceeded(call),
                Ok(Err(status)) => size_limit_error(status.code(), status.message())
                    .unwrap_or_else(|| CallError::from_status(&status)),
                Err(_elapsed) => deadline_exceeded(call),
            };
            self.log_attempt(call, retries, error.code, attempt_started);
            let retryable = retry::is_retryable(Code::from_i32(error.code));
            if retryable && retries < self.settings.max_retries {
                retries += 1;
                tokio::time::sleep(retry::backoff(retries, self.settings.retry_delay)).await;
                continue;
            }
            if retryable && retries > 0 {
                error
                    .details
                    .push_str(&retry::retried_suffix(retries, started.elapsed()));
            }
            return Err(Failure::Grpc(error));
        }
    }

    fn log_attempt(&self, call: &Call, retry: u32, code: i32, started: Instant) {
        if self.log {
            eprintln!(
                "[milvus-native] {} attempt={} code={} {}ms",
                call.method,
                retry + 1,
                code,
                started.elapsed().as_millis()
            );
        }
    }

    /// A new call's `Call::client` and `Call::topology`, as things stand when it is made.
    pub fn entry(&self) -> (Option<Client>, Option<Started>) {
        match &self.global {
            Some((g, _)) => g.entry(),
            None => (self.client(), None),
        }
    }

    /// The channel; `None` once closed.
    pub fn client(&self) -> Option<Client> {
        if let Some((g, _)) = &self.global {
            return g.client();
        }
        self.client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn deadline_exceeded(call: &Call) -> CallError {
    CallError::new(
        Code::DeadlineExceeded,
        format!("Deadline exceeded after {:.3}s", call.timeout.as_secs_f64()),
    )
}
