//! `NativeClient`: the addon's class. `index.js` wraps it as `MilvusClient`. A call is
//! validate/map (here, synchronously: a failure throws) → transport (a task on the addon's
//! runtime, `runtime.rs`) → decode → the environment's `CompletionHub`, which `index.js` drains to
//! settle promises.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::{Either, Unknown};
use napi::{Error, Result, Status};
use napi_derive::napi;
use tokio::sync::watch;
use tonic::metadata::AsciiMetadataValue;

use super::args::{given, request_object, JsArgs};
use super::global::{Global, Started};
use super::hub::{
    bare, failure, with_reply, CompletionHub, Outcome, PollTrace, Queue, Report, Settle,
};
use super::options::NativeConfig;
use super::runtime;
use super::test_switch::panic_if;
use crate::config::{Settings, DEFAULT_TIMEOUT};
use crate::decode;
use crate::global;
use crate::headers;
use crate::proto::common::ClientInfo;
use crate::proto::milvus::{CheckHealthRequest, ConnectRequest, GetVersionRequest};
use crate::snapshot::{self, Args, Value};
use crate::transport::{Call, Client, Failure, Reply, Trace, Transport};
use crate::wait::{self, Event, WaitEnd, WaitRequest};

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
    queue: Arc<Queue>,
}

#[napi]
pub struct NativeClient {
    inner: Arc<Inner>,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(Status::InvalidArg, msg.into())
}

#[napi]
impl NativeClient {
    #[napi(constructor, catch_unwind)]
    pub fn new(mut config: NativeConfig, hub: &CompletionHub) -> Result<Self> {
        let raw = config.raw();
        let settings = Settings::from_raw(&raw).map_err(invalid)?;
        // The handshake's trace headers, made in the constructor's context (`trace: true`).
        let trace =
            Trace::new(config.traceparent.take(), config.tracestate.take()).map_err(invalid)?;
        let debug = config.debug.unwrap_or(false);
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
        let mut transport = Transport::new(settings.clone(), debug).map_err(invalid)?;
        if global::is_global(config.is_global, &raw.address) {
            // As the official client: the bearer token is `token`, or empty.
            let token = raw.token.as_deref().unwrap_or_default();
            let g = Global::new(&raw.address, token, settings).map_err(invalid)?;
            transport = transport.with_global(g, request.clone());
        }
        let (tx, rx) = watch::channel(Arc::new(Handshake::Pending));
        let inner = Arc::new(Inner {
            transport,
            require_milvus3: config.require_milvus3.unwrap_or(false),
            handshake: rx,
            aborts: Mutex::new(HashMap::new()),
            queue: hub.queue(),
        });
        if config.connect {
            let inner2 = inner.clone();
            // The construction's topology fetch (global mode), taken here, on the JS thread.
            let (_, topology) = inner.transport.entry();
            runtime::spawn(async move {
                let state = inner2.handshake(request, trace, topology).await;
                let _ = tx.send(Arc::new(state));
            });
        } else {
            let _ = tx.send(Arc::new(Handshake::Done("{}".into())));
        }
        Ok(NativeClient { inner })
    }

    /// Completes call `id` (through the hub) when the Connect handshake has ended: with the
    /// ConnectResponse JSON, or a failure.
    #[napi(catch_unwind)]
    pub fn handshake(&self, id: u32) {
        let mut rx = self.inner.handshake.clone();
        let settle = Settle::new(self.inner.queue.clone(), id);
        runtime::spawn(async move {
            let state = rx
                .wait_for(|h| !matches!(**h, Handshake::Pending))
                .await
                .map(|h| h.clone());
            settle.with(match state.as_deref() {
                Ok(Handshake::Done(json)) => Either::A(json.clone()),
                Ok(Handshake::Failed(f)) => Either::B(failure(f.clone())),
                _ => Either::B(bare("closed")),
            });
        });
    }

    /// Fires the abort of call `id` (started with `abortable`).
    #[napi(catch_unwind)]
    pub fn abort(&self, id: u32) {
        if let Some(tx) = self.inner.forget_abort(id) {
            let _ = tx.send(true);
        }
    }

    /// Later calls reject as closed; calls in flight finish (their aborts still work).
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.inner.transport.close();
    }

    #[napi(catch_unwind)]
    pub fn use_database(&self, db_name: String) -> Result<()> {
        self.inner.transport.use_database(&db_name).map_err(invalid)
    }

    /// Starts call `id` of method number `method` (the table in `index.js`); its outcome
    /// arrives through the hub. Throws (InvalidArg) when the request is invalid.
    ///
    /// `options`: whether the request may carry `timeout` or a request id. `index.js` knows it
    /// from reads the JIT makes cheap, and its `false` spares three napi property lookups a call.
    #[napi(catch_unwind)]
    pub fn call(
        &self,
        method: u32,
        data: Option<Unknown>,
        id: u32,
        abortable: bool,
        options: bool,
    ) -> Result<()> {
        self.start(method, data, id, abortable, options, None)
    }

    /// `call` with the W3C trace headers of `trace: true`, sent as given. A method of its own,
    /// so that a call without tracing converts no extra arguments.
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind)]
    pub fn call_traced(
        &self,
        method: u32,
        data: Option<Unknown>,
        id: u32,
        abortable: bool,
        options: bool,
        traceparent: Option<String>,
        tracestate: Option<String>,
    ) -> Result<()> {
        let trace = Trace::new(traceparent, tracestate).map_err(invalid)?;
        self.start(method, data, id, abortable, options, trace)
    }

    fn start(
        &self,
        method: u32,
        data: Option<Unknown>,
        id: u32,
        abortable: bool,
        options: bool,
        trace: Option<Trace>,
    ) -> Result<()> {
        panic_if("call");
        let s = Start {
            client: self,
            args: request_object(data),
            id,
            abortable,
            options,
            trace,
        };
        match method {
            0 => s.run(
                "GetRestoreSnapshotState",
                snapshot::get_restore_snapshot_state,
                |mut c: Client, r| async move { c.get_restore_snapshot_state(r).await },
                decode::get_restore_snapshot_state,
            ),
            1 => s.run(
                "CreateSnapshot",
                snapshot::create_snapshot,
                |mut c: Client, r| async move { c.create_snapshot(r).await },
                decode::status_reply,
            ),
            2 => s.run(
                "DropSnapshot",
                snapshot::drop_snapshot,
                |mut c: Client, r| async move { c.drop_snapshot(r).await },
                decode::status_reply,
            ),
            3 => s.run(
                "ListSnapshots",
                snapshot::list_snapshots,
                |mut c: Client, r| async move { c.list_snapshots(r).await },
                decode::list_snapshots,
            ),
            4 => s.run(
                "DescribeSnapshot",
                snapshot::describe_snapshot,
                |mut c: Client, r| async move { c.describe_snapshot(r).await },
                decode::describe_snapshot,
            ),
            5 => s.run(
                "RestoreSnapshot",
                snapshot::restore_snapshot,
                |mut c: Client, r| async move { c.restore_snapshot(r).await },
                decode::restore_snapshot,
            ),
            6 => s.run(
                "ListRestoreSnapshotJobs",
                snapshot::list_restore_snapshot_jobs,
                |mut c: Client, r| async move { c.list_restore_snapshot_jobs(r).await },
                decode::list_restore_snapshot_jobs,
            ),
            7 => s.run(
                "PinSnapshotData",
                snapshot::pin_snapshot_data,
                |mut c: Client, r| async move { c.pin_snapshot_data(r).await },
                decode::pin_snapshot_data,
            ),
            8 => s.run(
                "UnpinSnapshotData",
                snapshot::unpin_snapshot_data,
                |mut c: Client, r| async move { c.unpin_snapshot_data(r).await },
                decode::status_reply,
            ),
            9 => s.run(
                "GetVersion",
                |_| Ok(GetVersionRequest {}),
                |mut c: Client, r| async move { c.get_version(r).await },
                decode::get_version,
            ),
            10 => s.run(
                "CheckHealth",
                |_| Ok(CheckHealthRequest {}),
                |mut c: Client, r| async move { c.check_health(r).await },
                decode::check_health,
            ),
            other => Err(invalid(format!("no method number {other}"))),
        }
    }

    /// Starts call `id`: polls until the restore job ends. Completes with the final info's
    /// JSON; a failure of kind `restore_failed`, `restore_status` or `restore_timeout`
    /// carries the last reply. With `progress`, each change of state or progress before the
    /// end is reported through the hub too (`drain()`), in order with the completion. With
    /// `poll_errors`, so is each failed poll that the wait rides out (`onPollError`).
    ///
    /// `traceparent` given (`''` when the propagator injected none): `trace: true`, and each
    /// later poll asks `index.js` for its own headers through the hub (`PollTrace`).
    #[napi(
        catch_unwind,
        ts_args_type = "data: unknown, id: number, abortable: boolean, progress: boolean, pollErrors: boolean, traceparent?: string, tracestate?: string"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn wait_for_restore_snapshot(
        &self,
        data: Option<Unknown>,
        id: u32,
        abortable: bool,
        progress: bool,
        poll_errors: bool,
        traceparent: Option<String>,
        tracestate: Option<String>,
    ) -> Result<()> {
        let trace = match traceparent {
            None => None,
            Some(parent) => Some(PollTrace::new(
                self.inner.queue.clone(),
                id,
                Trace::new(Some(parent), tracestate).map_err(invalid)?,
            )),
        };
        let args = request_object(data);
        let args_ref = args.as_ref().map(|a| a as &dyn Args);
        let job_id = snapshot::get_restore_snapshot_state(args_ref)
            .map_err(invalid)?
            .job_id;
        let ms = |key: &str, default: Duration, min: f64| match args_ref
            .map_or(Value::Undefined, |a| a.get(key))
        {
            Value::Undefined | Value::Null => Ok(default),
            Value::Number(n) if n.is_finite() && n >= min => {
                Ok(Duration::from_micros((n * 1000.0) as u64))
            }
            other => Err(invalid(format!(
                "The `{key}` property must be a number of milliseconds (at least {min}); got {}.",
                other.describe()
            ))),
        };
        let request = WaitRequest {
            job_id,
            timeout: ms("timeout", wait::DEFAULT_TIMEOUT, 1.0)?,
            interval: ms("interval", wait::DEFAULT_INTERVAL, 1.0)?,
            call_timeout: self
                .inner
                .transport
                .settings
                .call_timeout(None)
                .unwrap_or(DEFAULT_TIMEOUT),
            cancel: abortable.then(|| self.inner.register_abort(id)),
            trace,
        };
        let inner = self.inner.clone();
        let settle = Settle::new(inner.queue.clone(), id);
        runtime::spawn(async move {
            let mut report = Report::Settle;
            let end = wait::wait(&inner.transport, request, |event| match event {
                Event::Change(info) if progress => {
                    if wait::is_final(info) {
                        // Reported with the completion, from its outcome.
                        report = Report::ProgressThenSettle;
                        return;
                    }
                    let mut json = String::new();
                    decode::restore_info(&mut json, info);
                    inner.queue.progress(id, json);
                }
                Event::PollError {
                    error,
                    failures,
                    pause,
                } if poll_errors => inner.queue.poll_error(id, error, failures, pause),
                _ => {}
            })
            .await;
            inner.forget_abort(id);
            let outcome = match end {
                WaitEnd::Completed(reply) => {
                    let mut json = String::new();
                    if let Some(info) = &reply.info {
                        decode::restore_info(&mut json, info);
                    }
                    Either::A(json)
                }
                WaitEnd::Failed(r) => Either::B(with_reply("restore_failed", Some(&r))),
                WaitEnd::Status(r) => Either::B(with_reply("restore_status", Some(&r))),
                WaitEnd::TimedOut(r, outage) => {
                    let mut f = with_reply("restore_timeout", r.as_ref());
                    // Timed out during an outage: the last poll's error, for the rejection's cause.
                    if let Some(e) = outage {
                        let cause = failure(e);
                        f.cause = Some(cause.kind);
                        f.code = cause.code;
                        f.message = cause.message;
                        f.details = cause.details;
                        f.metadata = cause.metadata;
                    }
                    Either::B(f)
                }
                WaitEnd::Unimplemented if inner.require_milvus3 => Either::B(bare("unimplemented")),
                WaitEnd::Unimplemented => Either::B(bare("restore_unimplemented")),
                WaitEnd::Call(f) => Either::B(failure(f)),
            };
            settle.with_report(outcome, report);
        });
        Ok(())
    }
}

/// One call being started: its arguments, id and abort switch.
struct Start<'a, 'env> {
    client: &'a NativeClient,
    args: Option<JsArgs<'env>>,
    id: u32,
    abortable: bool,
    options: bool,
    trace: Option<Trace>,
}

impl Start<'_, '_> {
    fn run<Req, Resp, F, Fut>(
        self,
        method: &'static str,
        build: fn(Option<&dyn Args>) -> std::result::Result<Req, String>,
        rpc: F,
        decode: fn(&Resp) -> String,
    ) -> Result<()>
    where
        Req: prost::Message + Clone + Send + 'static,
        Resp: Send + 'static,
        F: Fn(Client, tonic::Request<Req>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<tonic::Response<Resp>, tonic::Status>> + Send,
    {
        let message = build(self.args.as_ref().map(|a| a as &dyn Args)).map_err(invalid)?;
        let inner = self.client.inner.clone();
        let options = self.args.as_ref().filter(|_| self.options);
        let mut call = inner.call_options(method, options, self.abortable, self.id)?;
        call.trace = self.trace;
        let settle = Settle::new(inner.queue.clone(), self.id);
        // Global mode: no connection before the first topology, and the call waits for it.
        if call.client.is_none() && inner.transport.is_closed() {
            inner.forget_abort(self.id);
            settle.with(Either::B(bare("closed")));
            return Ok(());
        }
        // As grpc-js: a request over `grpc.max_send_message_length` is not sent, nor retried.
        let max = inner.transport.settings.channel.max_send;
        if max != usize::MAX && message.encoded_len() > max {
            inner.forget_abort(self.id);
            let e = crate::error::CallError::new(
                tonic::Code::ResourceExhausted,
                format!("Attempted to send message with a size larger than {max}"),
            );
            settle.with(Either::B(failure(Failure::Grpc(e))));
            return Ok(());
        }
        let id = self.id;
        runtime::spawn(async move {
            panic_if("task");
            let result = inner.transport.unary(call, message, rpc).await;
            inner.forget_abort(id);
            settle.with(inner.outcome(result, decode));
        });
        Ok(())
    }
}

impl Inner {
    fn outcome<T>(
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

    fn register_abort(&self, id: u32) -> watch::Receiver<bool> {
        let (tx, rx) = watch::channel(false);
        self.aborts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, tx);
        rx
    }

    fn forget_abort(&self, id: u32) -> Option<watch::Sender<bool>> {
        self.aborts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id)
    }

    /// The per-call options every request accepts: `timeout`, the request id, the abort.
    fn call_options(
        &self,
        method: &'static str,
        args: Option<&JsArgs>,
        abortable: bool,
        id: u32,
    ) -> Result<Call> {
        let get = |k: &str| args.map_or(Value::Undefined, |a| a.get(k));
        let timeout = match snapshot::call_timeout(&get("timeout")).map_err(invalid)? {
            snapshot::CallTimeout::Default => self.transport.settings.call_timeout(None),
            snapshot::CallTimeout::Millis(ms) => self.transport.settings.call_timeout(Some(ms)),
            // Already past: a zero deadline, which the transport fails at once.
            snapshot::CallTimeout::Past => Ok(Duration::ZERO),
        }
        .map_err(invalid)?;
        let request_id = headers::request_id(
            given(get("client_request_id")),
            given(get("client-request-id")),
        )
        .map_err(invalid)?
        .map(|id| AsciiMetadataValue::try_from(id).expect("checked printable ASCII"));
        let (client, topology) = self.transport.entry();
        Ok(Call {
            method,
            timeout,
            request_id,
            cancel: abortable.then(|| self.register_abort(id)),
            trace: None,
            client,
            topology,
        })
    }

    async fn handshake(
        &self,
        request: ConnectRequest,
        trace: Option<Trace>,
        topology: Option<Started>,
    ) -> Handshake {
        let call = Call {
            method: "Connect",
            timeout: self
                .transport
                .settings
                .call_timeout(None)
                .unwrap_or(DEFAULT_TIMEOUT),
            request_id: None,
            cancel: None,
            trace,
            client: None,
            topology,
        };
        let result = self
            .transport
            .unary(call, request, |mut c: Client, r| async move {
                c.connect(r).await
            })
            .await;
        match result {
            Ok(Reply::Message(reply)) => {
                // As the official client, which tests the decimal string ("0" is truthy).
                self.transport.set_identifier(reply.identifier);
                Handshake::Done(decode::connect(&reply))
            }
            Ok(Reply::Unimplemented) => Handshake::Done("{}".into()),
            Err(f) => Handshake::Failed(f),
        }
    }
}
