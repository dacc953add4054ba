//! `NativeClient`: the addon's class. `index.js` wraps it as `MilvusClient`; every method
//! here is validate/map → transport → decode, and resolves with the reply's JSON text or a
//! structured failure (never a JSON message, never a code to parse out of text).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Buffer, Either, PromiseRaw, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use tokio::sync::watch;
use tonic::metadata::AsciiMetadataValue;

use super::args::{given, request_object, JsArgs};
use crate::config::{PemInput, RawConfig, RawTls, Settings, TimeoutInput};
use crate::decode;
use crate::error::CallError;
use crate::headers;
use crate::proto::common::ClientInfo;
use crate::proto::milvus::{CheckHealthRequest, ConnectRequest, GetVersionRequest};
use crate::snapshot::{self, Args, Value};
use crate::transport::{Call, Client, Failure, Reply, Transport};
use crate::wait::{self, WaitEnd, WaitRequest};

/// `onProgress`, called with the info's JSON; weak, since the pending wait keeps Node alive.
type ProgressFn = ThreadsafeFunction<String, (), String, Status, false, true>;

/// TLS options, as `ClientConfig.tls`.
#[napi(object)]
pub struct NativeTls {
    pub root_cert: Option<Either<String, Buffer>>,
    pub root_cert_path: Option<String>,
    pub private_key: Option<Either<String, Buffer>>,
    pub private_key_path: Option<String>,
    pub cert_chain: Option<Either<String, Buffer>>,
    pub cert_chain_path: Option<String>,
    pub server_name: Option<String>,
    pub skip_cert_check: Option<bool>,
}

/// The options `index.js` hands over (already normalised from both constructor forms).
#[napi(object)]
pub struct NativeConfig {
    pub address: String,
    pub ssl: Option<bool>,
    pub token: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub database: Option<String>,
    pub timeout: Option<Either<f64, String>>,
    pub max_retries: Option<f64>,
    pub retry_delay: Option<f64>,
    pub tls: Option<NativeTls>,
    /// Start the Connect handshake now (false for `__SKIP_CONNECT__`).
    pub connect: bool,
    /// `ClientInfo` of the handshake.
    pub sdk_version: String,
    pub local_time: String,
    pub reserved: Option<HashMap<String, String>>,
    /// Reject UNIMPLEMENTED instead of resolving `{}`.
    pub require_milvus3: Option<bool>,
    /// One stderr line per call attempt.
    pub debug: Option<bool>,
}

/// Why a call did not resolve with a reply.
#[napi(object)]
pub struct NativeFailure {
    /// `grpc`, `abort`, `closed` or `unimplemented`.
    pub kind: String,
    pub code: Option<i32>,
    pub details: Option<String>,
    pub message: Option<String>,
    pub metadata: Option<HashMap<String, String>>,
    /// waitForRestoreSnapshot: the last GetRestoreSnapshotState reply (JSON), if any.
    pub reply: Option<String>,
}

type Outcome = Either<String, NativeFailure>;

enum Handshake {
    Pending,
    Done(String),
    Failed(Failure),
}

struct Inner {
    transport: Transport,
    require_milvus3: bool,
    handshake: watch::Receiver<Arc<Handshake>>,
    aborts: Mutex<HashMap<u32, watch::Sender<bool>>>,
}

#[napi]
pub struct NativeClient {
    inner: Arc<Inner>,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(Status::InvalidArg, msg.into())
}

fn pem(inline: Option<Either<String, Buffer>>, path: Option<String>) -> PemInput {
    PemInput {
        inline: inline.map(|v| match v {
            Either::A(s) => s.into_bytes(),
            Either::B(b) => b.to_vec(),
        }),
        path,
    }
}

fn failure(f: Failure) -> NativeFailure {
    match f {
        Failure::Grpc(e) => grpc_failure(e),
        Failure::Aborted => bare("abort"),
        Failure::Closed => bare("closed"),
    }
}

fn bare(kind: &str) -> NativeFailure {
    NativeFailure {
        kind: kind.into(),
        code: None,
        details: None,
        message: None,
        metadata: None,
        reply: None,
    }
}

fn with_reply(
    kind: &str,
    reply: Option<&crate::proto::milvus::GetRestoreSnapshotStateResponse>,
) -> NativeFailure {
    NativeFailure {
        reply: reply.map(decode::get_restore_snapshot_state),
        ..bare(kind)
    }
}

fn grpc_failure(e: CallError) -> NativeFailure {
    NativeFailure {
        kind: "grpc".into(),
        code: Some(e.code),
        message: Some(e.message()),
        metadata: Some(e.metadata.into_iter().collect()),
        details: Some(e.details),
        reply: None,
    }
}

impl Inner {
    fn settle<T>(
        &self,
        result: std::result::Result<Reply<T>, Failure>,
        decode: fn(&T) -> String,
    ) -> Outcome {
        match result {
            Ok(Reply::Message(m)) => Either::A(decode(&m)),
            Ok(Reply::Unimplemented) if self.require_milvus3 => Either::B(bare("unimplemented")),
            // The official client turns UNIMPLEMENTED into a resolved `{}`.
            Ok(Reply::Unimplemented) => Either::A("{}".into()),
            Err(f) => Either::B(failure(f)),
        }
    }
}

#[napi]
impl NativeClient {
    #[napi(constructor)]
    pub fn new(config: NativeConfig) -> Result<Self> {
        let raw = RawConfig {
            address: config.address,
            ssl: config.ssl.unwrap_or(false),
            token: config.token,
            username: config.username.clone(),
            password: config.password,
            database: config.database,
            timeout: config.timeout.map(|t| match t {
                Either::A(ms) => TimeoutInput::Millis(ms),
                Either::B(token) => TimeoutInput::Token(token),
            }),
            max_retries: config.max_retries,
            retry_delay: config.retry_delay,
            tls: config.tls.map(|t| RawTls {
                root_cert: pem(t.root_cert, t.root_cert_path),
                private_key: pem(t.private_key, t.private_key_path),
                cert_chain: pem(t.cert_chain, t.cert_chain_path),
                server_name: t.server_name,
                skip_cert_check: t.skip_cert_check.unwrap_or(false),
            }),
        };
        let settings = Settings::from_raw(&raw).map_err(invalid)?;
        let debug = config.debug.unwrap_or(false);
        let transport =
            napi::bindgen_prelude::within_runtime_if_available(|| Transport::new(settings, debug))
                .map_err(invalid)?;
        let (tx, rx) = watch::channel(Arc::new(Handshake::Pending));
        let inner = Arc::new(Inner {
            transport,
            require_milvus3: config.require_milvus3.unwrap_or(false),
            handshake: rx,
            aborts: Mutex::new(HashMap::new()),
        });
        if config.connect {
            let request = ConnectRequest {
                client_info: Some(ClientInfo {
                    sdk_type: "nodejs".into(),
                    sdk_version: config.sdk_version,
                    local_time: config.local_time,
                    user: config.username.unwrap_or_default(),
                    host: String::new(),
                    reserved: config.reserved.unwrap_or_default().into_iter().collect(),
                }),
            };
            let inner2 = inner.clone();
            napi::bindgen_prelude::spawn(async move {
                let state = inner2.handshake(request).await;
                let _ = tx.send(Arc::new(state));
            });
        } else {
            let _ = tx.send(Arc::new(Handshake::Done("{}".into())));
        }
        Ok(NativeClient { inner })
    }

    /// Settles when the Connect handshake has ended: the ConnectResponse JSON, or a failure.
    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn handshake<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Outcome>> {
        let mut rx = self.inner.handshake.clone();
        env.spawn_future(async move {
            let state = rx
                .wait_for(|h| !matches!(**h, Handshake::Pending))
                .await
                .map(|h| h.clone());
            Ok(match state.as_deref() {
                Ok(Handshake::Done(json)) => Either::A(json.clone()),
                Ok(Handshake::Failed(f)) => Either::B(failure(f.clone())),
                _ => Either::B(bare("closed")),
            })
        })
    }

    /// Fires the abort of the call started with `abortId`.
    #[napi]
    pub fn abort(&self, abort_id: u32) {
        let sender = self
            .inner
            .aborts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&abort_id);
        if let Some(tx) = sender {
            let _ = tx.send(true);
        }
    }

    /// Later calls reject as closed; calls in flight finish (their aborts still work).
    #[napi]
    pub fn close(&self) {
        self.inner.transport.close();
    }

    #[napi]
    pub fn use_database(&self, db_name: String) -> Result<()> {
        self.inner.transport.use_database(&db_name).map_err(invalid)
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn get_restore_snapshot_state<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "GetRestoreSnapshotState",
            data,
            abort_id,
            snapshot::get_restore_snapshot_state,
            |mut c: Client, r| async move { c.get_restore_snapshot_state(r).await },
            decode::get_restore_snapshot_state,
        )
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn create_snapshot<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "CreateSnapshot",
            data,
            abort_id,
            snapshot::create_snapshot,
            |mut c: Client, r| async move { c.create_snapshot(r).await },
            decode::status_reply,
        )
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn drop_snapshot<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "DropSnapshot",
            data,
            abort_id,
            snapshot::drop_snapshot,
            |mut c: Client, r| async move { c.drop_snapshot(r).await },
            decode::status_reply,
        )
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn list_snapshots<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "ListSnapshots",
            data,
            abort_id,
            snapshot::list_snapshots,
            |mut c: Client, r| async move { c.list_snapshots(r).await },
            decode::list_snapshots,
        )
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn describe_snapshot<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "DescribeSnapshot",
            data,
            abort_id,
            snapshot::describe_snapshot,
            |mut c: Client, r| async move { c.describe_snapshot(r).await },
            decode::describe_snapshot,
        )
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn restore_snapshot<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "RestoreSnapshot",
            data,
            abort_id,
            snapshot::restore_snapshot,
            |mut c: Client, r| async move { c.restore_snapshot(r).await },
            decode::restore_snapshot,
        )
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn list_restore_snapshot_jobs<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "ListRestoreSnapshotJobs",
            data,
            abort_id,
            snapshot::list_restore_snapshot_jobs,
            |mut c: Client, r| async move { c.list_restore_snapshot_jobs(r).await },
            decode::list_restore_snapshot_jobs,
        )
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn pin_snapshot_data<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "PinSnapshotData",
            data,
            abort_id,
            snapshot::pin_snapshot_data,
            |mut c: Client, r| async move { c.pin_snapshot_data(r).await },
            decode::pin_snapshot_data,
        )
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn unpin_snapshot_data<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "UnpinSnapshotData",
            data,
            abort_id,
            snapshot::unpin_snapshot_data,
            |mut c: Client, r| async move { c.unpin_snapshot_data(r).await },
            decode::status_reply,
        )
    }

    /// Polls until the restore job ends: resolves with the final info's JSON; a failure of
    /// kind `restore_failed`, `restore_status` or `restore_timeout` carries the last reply.
    #[napi(
        ts_args_type = "data: unknown, abortId: number | undefined | null, onProgress: ((info: string) => void) | undefined | null",
        ts_return_type = "Promise<string | NativeFailure>"
    )]
    pub fn wait_for_restore_snapshot<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
        on_progress: Option<ProgressFn>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let args = request_object(data);
        let args_ref = args.as_ref().map(|a| a as &dyn Args);
        let job_id = snapshot::get_restore_snapshot_state(args_ref)
            .map_err(invalid)?
            .job_id;
        let ms = |key: &str, default: std::time::Duration, min: f64| match args
            .as_ref()
            .map_or(Value::Undefined, |a| a.get(key))
        {
            Value::Undefined | Value::Null => Ok(default),
            Value::Number(n) if n.is_finite() && n >= min => {
                Ok(std::time::Duration::from_micros((n * 1000.0) as u64))
            }
            other => Err(invalid(format!(
                "The `{key}` property must be a number of milliseconds (at least {min}); got {}.",
                other.describe()
            ))),
        };
        let timeout = ms("timeout", wait::DEFAULT_TIMEOUT, 0.0)?;
        let interval = ms("interval", wait::DEFAULT_INTERVAL, 1.0)?;
        let call = self.call("GetRestoreSnapshotState", None, abort_id)?;
        let inner = self.inner.clone();
        env.spawn_future(async move {
            let request = WaitRequest {
                job_id,
                timeout,
                interval,
                call_timeout: inner
                    .transport
                    .settings
                    .call_timeout(None)
                    .unwrap_or(timeout),
                cancel: call.cancel,
            };
            let end = wait::wait(&inner.transport, request, |info| {
                if let Some(f) = &on_progress {
                    let mut json = String::new();
                    decode::restore_info(&mut json, info);
                    f.call(json, ThreadsafeFunctionCallMode::NonBlocking);
                }
            })
            .await;
            if let Some(id) = abort_id {
                inner
                    .aborts
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&id);
            }
            Ok(match end {
                WaitEnd::Completed(reply) => {
                    let mut json = String::new();
                    decode::restore_info(
                        &mut json,
                        reply.info.as_ref().expect("completed has info"),
                    );
                    Either::A(json)
                }
                WaitEnd::Failed(r) => Either::B(with_reply("restore_failed", Some(&r))),
                WaitEnd::Status(r) => Either::B(with_reply("restore_status", Some(&r))),
                WaitEnd::TimedOut(r) => Either::B(with_reply("restore_timeout", r.as_ref())),
                WaitEnd::Unimplemented if inner.require_milvus3 => Either::B(bare("unimplemented")),
                WaitEnd::Unimplemented => Either::B(bare("restore_unimplemented")),
                WaitEnd::Call(f) => Either::B(failure(f)),
            })
        })
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn get_version<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "GetVersion",
            data,
            abort_id,
            |_| Ok(GetVersionRequest {}),
            |mut c: Client, r| async move { c.get_version(r).await },
            decode::get_version,
        )
    }

    #[napi(ts_return_type = "Promise<string | NativeFailure>")]
    pub fn check_health<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.start(
            env,
            "CheckHealth",
            data,
            abort_id,
            |_| Ok(CheckHealthRequest {}),
            |mut c: Client, r| async move { c.check_health(r).await },
            decode::check_health,
        )
    }
}

impl NativeClient {
    /// Validation and mapping run here, synchronously (a failure throws, which `index.js`
    /// turns into the official plain `Error`); the RPC runs on napi's tokio runtime.
    #[allow(clippy::too_many_arguments)]
    fn start<'env, Req, Resp, F, Fut>(
        &self,
        env: &'env Env,
        method: &'static str,
        data: Option<Unknown<'env>>,
        abort_id: Option<u32>,
        build: fn(Option<&dyn Args>) -> std::result::Result<Req, String>,
        rpc: F,
        decode: fn(&Resp) -> String,
    ) -> Result<PromiseRaw<'env, Outcome>>
    where
        Req: Clone + Send + 'static,
        Resp: Send + 'static,
        F: Fn(Client, tonic::Request<Req>) -> Fut + Send + 'static,
        Fut: Future<Output = std::result::Result<tonic::Response<Resp>, tonic::Status>> + Send,
    {
        let args = request_object(data);
        let args_ref = args.as_ref().map(|a| a as &dyn Args);
        let message = build(args_ref).map_err(invalid)?;
        let call = self.call(method, args.as_ref(), abort_id)?;
        let inner = self.inner.clone();
        if inner.transport.is_closed() {
            return env.spawn_future(async { Ok(Either::B(bare("closed"))) });
        }
        env.spawn_future(async move {
            let result = inner.transport.unary(call, message, rpc).await;
            if let Some(id) = abort_id {
                inner
                    .aborts
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&id);
            }
            Ok(inner.settle(result, decode))
        })
    }

    /// The per-call options every request accepts: `timeout`, the request id, the abort.
    fn call(
        &self,
        method: &'static str,
        args: Option<&JsArgs>,
        abort_id: Option<u32>,
    ) -> Result<Call> {
        let get = |k: &str| args.map_or(Value::Undefined, |a| a.get(k));
        let timeout_ms = match get("timeout") {
            Value::Undefined | Value::Null => None,
            Value::Number(ms) => Some(ms),
            other => {
                return Err(invalid(format!(
                    "The `timeout` property must be a number of milliseconds; got {}.",
                    other.describe()
                )))
            }
        };
        let timeout = self
            .inner
            .transport
            .settings
            .call_timeout(timeout_ms)
            .map_err(invalid)?;
        let request_id = headers::request_id(
            given(get("client_request_id")),
            given(get("client-request-id")),
        )
        .map_err(invalid)?
        .map(|id| AsciiMetadataValue::try_from(id).expect("checked printable ASCII"));
        let cancel = abort_id.map(|id| {
            let (tx, rx) = watch::channel(false);
            self.inner
                .aborts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id, tx);
            rx
        });
        Ok(Call {
            method,
            timeout,
            request_id,
            cancel,
        })
    }
}

impl Inner {
    async fn handshake(&self, request: ConnectRequest) -> Handshake {
        let call = Call {
            method: "Connect",
            timeout: self
                .transport
                .settings
                .call_timeout(None)
                .unwrap_or(crate::config::DEFAULT_TIMEOUT),
            request_id: None,
            cancel: None,
        };
        let result = self
            .transport
            .unary(call, request, |mut c: Client, r| async move {
                c.connect(r).await
            })
            .await;
        match result {
            Ok(Reply::Message(reply)) => {
                if reply.identifier != 0 {
                    self.transport.set_identifier(reply.identifier);
                }
                Handshake::Done(decode::connect(&reply))
            }
            Ok(Reply::Unimplemented) => Handshake::Done("{}".into()),
            Err(f) => Handshake::Failed(f),
        }
    }
}
