//! Completions of every call of this JS environment, handed to JavaScript in batches.
//!
//! Calls run on the addon's runtime (`runtime.rs`). A call that ends is pushed onto its hub's
//! queue; the first push after a delivery wakes the environment's JS thread through a
//! threadsafe function, whose callback hands everything queued by then to `index.js` as one
//! flat array. One wake per batch, however many calls ended; a napi promise per call would
//! cost a wake and a callback scope per call.
//!
//! The hub holds `index.js`'s callback strongly, and keeps the process alive, only while calls
//! are outstanding. Idle, it holds it weakly and the threadsafe function is unreferenced: a
//! copy of the package that is dropped (a test runner's per-file module registry) is
//! collected with its hub, and a process with no call in flight exits by itself.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::{Either, FromNapiValue, Function, Unknown};
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{sys, Env, JsValue, Result, Status};
use napi_derive::napi;

use crate::decode;
use crate::error::CallError;
use crate::proto::milvus::GetRestoreSnapshotStateResponse;
use crate::transport::{Failure, Trace};
use tokio::sync::oneshot;

/// Why a call did not resolve with a reply.
#[napi(object)]
pub struct NativeFailure {
    /// `grpc`, `abort`, `closed`, `unimplemented`, `panic`, `topology` (global mode), or for waitForRestoreSnapshot
    /// `restore_failed`, `restore_status`, `restore_timeout`, `restore_unimplemented`.
    pub kind: String,
    pub code: Option<i32>,
    pub details: Option<String>,
    pub message: Option<String>,
    pub metadata: Option<HashMap<String, String>>,
    /// waitForRestoreSnapshot: the last GetRestoreSnapshotState reply (JSON), if any.
    pub reply: Option<String>,
    /// `restore_timeout` during an outage: the kind of the last poll's failure (`grpc` or
    /// `topology`), whose `code`, `details`, `message` and `metadata` this failure carries.
    pub cause: Option<String>,
}

/// The reply's JSON text, or why there is none.
pub type Outcome = Either<String, NativeFailure>;

/// What JavaScript is to do with an entry (the third element of each `drain()` triple).
#[derive(Clone, Copy)]
pub enum Report {
    /// The call ended: settle its promise with the outcome.
    Settle = 0,
    /// waitForRestoreSnapshot ended: hand the job's last change (Completed or Failed) to
    /// `onProgress` first, then settle, so the two cannot overtake.
    ProgressThenSettle = 1,
    /// waitForRestoreSnapshot is still waiting: the outcome is the job's info (JSON) for
    /// `onProgress`; the call stays pending.
    Progress = 2,
    /// waitForRestoreSnapshot (`trace: true`) is about to poll: `index.js` starts the poll's
    /// span in the caller's context and answers with `traceHeaders`; the call stays pending.
    Trace = 3,
    /// waitForRestoreSnapshot rides out a failed poll: the outcome is its error's fields,
    /// `failures` in a row and `retryInMs` (JSON) for `onPollError`; the call stays pending.
    PollError = 4,
}

impl Report {
    /// Whether the call ends with this report (the others leave it pending).
    fn settles(self) -> bool {
        matches!(self, Report::Settle | Report::ProgressThenSettle)
    }
}

/// A finished call, or the progress of one.
struct Completion {
    id: u32,
    outcome: Outcome,
    report: Report,
}

/// The threadsafe function that wakes the JS thread; each wake carries the queue, so a queue
/// with completions on their way outlives its hub.
type Wake = ThreadsafeFunction<Arc<Queue>, Unknown<'static>, (), Status, false, true>;

pub struct Queue {
    done: Mutex<Vec<Completion>>,
    /// A wake is on its way to the JS thread: later pushes join its batch.
    scheduled: AtomicBool,
    /// Calls started and not yet settled; changed on the JS thread only.
    outstanding: AtomicUsize,
    wake: Wake,
    js: JsSide,
    /// Polls waiting for their trace headers (`PollTrace`), by call id.
    traces: Mutex<HashMap<u32, oneshot::Sender<Option<Trace>>>>,
}

/// What the queue uses of its environment, on the environment's JS thread only.
struct JsSide {
    env: sys::napi_env,
    /// `index.js`'s callback: weak (count 0) while no call is outstanding.
    callback: sys::napi_ref,
}

// SAFETY: `JsSide` is only dereferenced on the environment's JS thread (in `start`, called by
// the N-API entry points, and in `deliver`, the threadsafe function's callback). Its reference
// is deleted on that thread too, by `CallbackRef::drop` when the threadsafe function is
// finalized, after which neither runs for this queue.
unsafe impl Send for JsSide {}
unsafe impl Sync for JsSide {}

/// Owns the callback's reference; dropped with the threadsafe function's callback, which
/// napi finalizes on the JS thread.
struct CallbackRef(sys::napi_env, sys::napi_ref);

impl Drop for CallbackRef {
    fn drop(&mut self) {
        // SAFETY: called from the threadsafe function's finalizer, on the JS thread, with the
        // environment still valid; the reference was created in `CompletionHub::new`.
        unsafe { sys::napi_delete_reference(self.0, self.1) };
    }
}

impl Queue {
    fn push(self: &Arc<Self>, id: u32, outcome: Outcome, report: Report) {
        self.done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Completion {
                id,
                outcome,
                report,
            });
        if !self.scheduled.swap(true, Ordering::AcqRel) {
            // Fails only once the environment is being torn down: nobody is left to tell.
            let _ = self
                .wake
                .call(self.clone(), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    /// A waiting call's new state or progress (the info's JSON), in order with its settlement.
    pub fn progress(self: &Arc<Self>, id: u32, info_json: String) {
        self.push(id, Either::A(info_json), Report::Progress)
    }

    /// A waiting call's failed poll, `failures` in a row, the next one after `pause`: the
    /// failure's fields as a rejection would carry them (`failure`), as JSON.
    pub fn poll_error(self: &Arc<Self>, id: u32, f: &Failure, failures: u32, pause: Duration) {
        let f = failure(f.clone());
        let json = serde_json::json!({
            "kind": f.kind,
            "code": f.code,
            "details": f.details,
            "message": f.message,
            "metadata": f.metadata,
            "failures": failures,
            "retryInMs": pause.as_millis() as u64,
        });
        self.push(id, Either::A(json.to_string()), Report::PollError)
    }

    /// A call is under way (on the JS thread): while any is, the callback is held strongly
    /// and the process kept alive.
    fn start(&self) {
        if self.outstanding.fetch_add(1, Ordering::Relaxed) == 0 {
            self.hold(true);
        }
    }

    fn hold(&self, on: bool) {
        let tsfn = self.wake.raw();
        self.wake.handle.with_read_aborted(|aborted| {
            if aborted {
                return;
            }
            let (env, callback) = (self.js.env, self.js.callback);
            // SAFETY: on the JS thread (see `JsSide`), and the threadsafe function is not
            // finalized (checked under its lock), so neither it nor the reference is gone.
            unsafe {
                if on {
                    sys::napi_reference_ref(env, callback, ptr::null_mut());
                    sys::napi_ref_threadsafe_function(env, tsfn);
                } else {
                    sys::napi_reference_unref(env, callback, ptr::null_mut());
                    sys::napi_unref_threadsafe_function(env, tsfn);
                }
            }
        });
    }

    /// The threadsafe function's callback, on the JS thread: everything queued so far, as one
    /// array, to `index.js`.
    fn deliver(&self, env: &Env) {
        self.scheduled.store(false, Ordering::Release);
        let done = std::mem::take(&mut *self.done.lock().unwrap_or_else(|e| e.into_inner()));
        if done.is_empty() {
            return;
        }
        let settled = done.iter().filter(|c| c.report.settles()).count();
        // Creating the values fails only while the environment is being torn down (a worker
        // terminated): nobody is left to receive them.
        if let Ok(batch) = flatten(env, done) {
            self.call_back(env, batch);
        }
        if self.outstanding.fetch_sub(settled, Ordering::Relaxed) == settled {
            self.hold(false);
        }
    }

    fn call_back(&self, env: &Env, batch: sys::napi_value) {
        let raw = env.raw();
        // SAFETY: on the JS thread inside the threadsafe function's callback (a handle scope
        // and a callback scope are open); the reference is alive (see `JsSide`).
        unsafe {
            let mut callback = ptr::null_mut();
            sys::napi_get_reference_value(raw, self.js.callback, &mut callback);
            if callback.is_null() {
                // Collected: the package copy is gone, and with it every promise of its calls.
                return;
            }
            let mut recv = ptr::null_mut();
            sys::napi_get_undefined(raw, &mut recv);
            let mut result = ptr::null_mut();
            let status = sys::napi_call_function(raw, recv, callback, 1, &batch, &mut result);
            if status == sys::Status::napi_pending_exception {
                let mut error = ptr::null_mut();
                sys::napi_get_and_clear_last_exception(raw, &mut error);
                sys::napi_fatal_exception(raw, error);
            }
        }
    }
}

/// The batch as `[id, outcome, report, …]`: the outcome is the reply's JSON text or a
/// `NativeFailure`; the report a `Report` (0 settles; 2, 3 and 4 leave the call pending, with
/// JSON text as the outcome). Array elements, unlike an object's
/// named properties, cost napi no key strings. A completion that cannot be converted (a bug
/// of ours) settles its call as an internal error, and the rest of the batch goes on.
fn flatten(env: &Env, done: Vec<Completion>) -> Result<sys::napi_value> {
    let mut flat = env.create_array(3 * done.len() as u32)?;
    for (i, c) in done.into_iter().enumerate() {
        let at = 3 * i as u32;
        let (id, report) = (c.id, c.report as u32);
        let converted = catch_unwind(AssertUnwindSafe(|| {
            crate::js::test_switch::panic_if("deliver");
            match c.outcome {
                Either::A(json) => flat.set(at + 1, json),
                Either::B(failure) => flat.set(at + 1, failure),
            }
        }));
        let (report, ok) = match converted {
            Ok(Ok(())) => (report, true),
            // A progress report that failed is dropped with the call settled as failed.
            _ => (Report::Settle as u32, false),
        };
        if !ok {
            flat.set(at + 1, bare("panic"))?;
        }
        flat.set(at, id)?;
        flat.set(at + 2, report)?;
    }
    Ok(flat.raw())
}

/// Settles call `id` exactly once: with the outcome, or, if the task is dropped first (a
/// panic), with a failure — so no promise is left pending.
pub struct Settle {
    queue: Arc<Queue>,
    id: u32,
    done: bool,
}

impl Settle {
    /// On the JS thread, when call `id` is started.
    pub fn new(queue: Arc<Queue>, id: u32) -> Self {
        queue.start();
        Settle {
            queue,
            id,
            done: false,
        }
    }

    pub fn with(self, outcome: Outcome) {
        self.with_report(outcome, Report::Settle)
    }

    pub fn with_report(mut self, outcome: Outcome, report: Report) {
        self.done = true;
        self.queue.push(self.id, outcome, report);
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        if !self.done {
            self.queue
                .push(self.id, Either::B(bare("panic")), Report::Settle);
        }
    }
}

/// The environment's hub; `index.js` makes one and passes it to every client.
#[napi]
pub struct CompletionHub {
    queue: Arc<Queue>,
}

/// The threadsafe function's own JS function: napi calls it after our callback, which has
/// already called `index.js`'s (held by a reference that can be weak).
unsafe extern "C" fn noop(_env: sys::napi_env, _info: sys::napi_callback_info) -> sys::napi_value {
    ptr::null_mut()
}

#[napi]
impl CompletionHub {
    /// `onReady(batch)` is called with the flat array of completions (see `flatten`).
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, on_ready: Function<(), ()>) -> Result<Self> {
        let raw = env.raw();
        let check = |status, what: &str| {
            if status == sys::Status::napi_ok {
                Ok(())
            } else {
                Err(napi::Error::from_reason(format!(
                    "milvus-native: {what} failed"
                )))
            }
        };
        let mut callback = ptr::null_mut();
        let mut trampoline = ptr::null_mut();
        // SAFETY: plain N-API calls on the JS thread with values of this call's scope.
        unsafe {
            check(
                sys::napi_create_reference(raw, on_ready.raw(), 0, &mut callback),
                "napi_create_reference",
            )?;
            check(
                sys::napi_create_function(
                    raw,
                    c"milvusNativeWake".as_ptr(),
                    16,
                    Some(noop),
                    ptr::null_mut(),
                    &mut trampoline,
                ),
                "napi_create_function",
            )?;
        }
        let owner = CallbackRef(raw, callback);
        // SAFETY: `trampoline` is the function just created in this scope.
        let trampoline =
            unsafe { Function::<(), Unknown<'static>>::from_napi_value(raw, trampoline) }?;
        let wake: Wake = trampoline
            .build_threadsafe_function::<Arc<Queue>>()
            .weak::<true>()
            .build_callback(move |ctx: ThreadsafeCallContext<Arc<Queue>>| {
                let _keep = &owner;
                let queue = ctx.value;
                if catch_unwind(AssertUnwindSafe(|| queue.deliver(&ctx.env))).is_err() {
                    eprintln!("milvus-native: internal error while delivering completions");
                }
                Ok(())
            })?;
        let queue = Arc::new(Queue {
            done: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
            outstanding: AtomicUsize::new(0),
            wake,
            js: JsSide { env: raw, callback },
            traces: Mutex::new(HashMap::new()),
        });
        Ok(CompletionHub { queue })
    }
}

impl CompletionHub {
    pub fn queue(&self) -> Arc<Queue> {
        self.queue.clone()
    }
}

#[napi]
impl CompletionHub {
    /// The trace headers of the next poll of call `id` (asked with a `Trace` report). A value
    /// gRPC cannot carry is left out: the poll goes out without it (the first poll's headers,
    /// made at call time, reject the call instead).
    #[napi(catch_unwind)]
    pub fn trace_headers(&self, id: u32, traceparent: Option<String>, tracestate: Option<String>) {
        let waiting = self
            .queue
            .traces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        if let Some(tx) = waiting {
            let _ = tx.send(Trace::new(traceparent, tracestate).ok().flatten());
        }
    }
}

/// The trace headers of each poll of a wait (`trace: true`): the first poll's were made at
/// call time; each later poll asks `index.js`, which starts a span per poll in the caller's
/// context, as the official client does per call.
pub struct PollTrace {
    first: Option<Option<Trace>>,
    queue: Arc<Queue>,
    id: u32,
}

impl PollTrace {
    pub fn new(queue: Arc<Queue>, id: u32, first: Option<Trace>) -> Self {
        PollTrace {
            first: Some(first),
            queue,
            id,
        }
    }

    /// `None` when there is nothing to send, or nobody left to ask (the JS side is gone).
    pub async fn next(&mut self) -> Option<Trace> {
        if let Some(first) = self.first.take() {
            return first;
        }
        let (tx, rx) = oneshot::channel();
        self.queue
            .traces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(self.id, tx);
        self.queue
            .push(self.id, Either::A(String::new()), Report::Trace);
        rx.await.ok().flatten()
    }
}

impl Drop for PollTrace {
    fn drop(&mut self) {
        self.queue
            .traces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

pub fn failure(f: Failure) -> NativeFailure {
    match f {
        Failure::Grpc(e) => grpc_failure(e),
        Failure::Aborted => bare("abort"),
        Failure::Closed => bare("closed"),
        // Global mode: `code` is the HTTP status (if any), `details` the topology URL.
        Failure::Topology(t) => NativeFailure {
            code: t.status.map(i32::from),
            message: Some(t.message),
            details: Some(t.url),
            ..bare("topology")
        },
    }
}

pub fn bare(kind: &str) -> NativeFailure {
    NativeFailure {
        kind: kind.into(),
        code: None,
        details: None,
        message: None,
        metadata: None,
        reply: None,
        cause: None,
    }
}

pub fn with_reply(kind: &str, reply: Option<&GetRestoreSnapshotStateResponse>) -> NativeFailure {
    NativeFailure {
        reply: reply.map(decode::get_restore_snapshot_state),
        ..bare(kind)
    }
}

fn grpc_failure(e: CallError) -> NativeFailure {
    NativeFailure {
        code: Some(e.code),
        message: Some(e.message()),
        metadata: Some(e.metadata.into_iter().collect()),
        details: Some(e.details),
        ..bare("grpc")
    }
}
