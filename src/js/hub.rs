//! Completions of every call of this JS environment, handed to JavaScript in batches.
//!
//! Calls run on the environment's own event loop (`uv.rs`); after each run of the ready tasks,
//! the calls that ended in it are handed to JavaScript at once, through one callback into
//! `index.js` (which keeps the promises and settles them from `drain()`). A napi promise per
//! call would cost a callback scope per call.

use std::collections::HashMap;
use std::ptr;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Array, Either, Function, JsValue};
use napi::{sys, Env, Result};
use napi_derive::napi;

use super::uv;
use crate::decode;
use crate::error::CallError;
use crate::proto::milvus::GetRestoreSnapshotStateResponse;
use crate::transport::Failure;

/// Why a call did not resolve with a reply.
#[napi(object)]
pub struct NativeFailure {
    /// `grpc`, `abort`, `closed`, `unimplemented`, `panic`, or for waitForRestoreSnapshot
    /// `restore_failed`, `restore_status`, `restore_timeout`, `restore_unimplemented`.
    pub kind: String,
    pub code: Option<i32>,
    pub details: Option<String>,
    pub message: Option<String>,
    pub metadata: Option<HashMap<String, String>>,
    /// waitForRestoreSnapshot: the last GetRestoreSnapshotState reply (JSON), if any.
    pub reply: Option<String>,
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
}

/// A finished call, or the progress of one.
struct Completion {
    id: u32,
    outcome: Outcome,
    report: Report,
}

pub struct Queue {
    done: Mutex<Vec<Completion>>,
}

impl Queue {
    fn push(&self, id: u32, outcome: Outcome, report: Report) {
        self.done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Completion {
                id,
                outcome,
                report,
            });
        // Inside a run, it is handed over when the run ends; outside one (a call rejected
        // before it started), a run is due.
        uv::request_run();
    }

    /// A waiting call's new state or progress (the info's JSON), in order with its settlement.
    pub fn progress(&self, id: u32, info_json: String) {
        self.push(id, Either::A(info_json), Report::Progress)
    }

    fn is_empty(&self) -> bool {
        self.done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }
}

/// `onReady`, called from the event loop (outside any JavaScript frame): a handle scope, and a
/// callback scope so that the promises' reactions run when it returns.
struct OnReady {
    env: sys::napi_env,
    function: sys::napi_ref,
    context: sys::napi_async_context,
}

impl OnReady {
    fn call(&self) {
        unsafe {
            let env = self.env;
            let mut scope = ptr::null_mut();
            if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
                return;
            }
            let mut function = ptr::null_mut();
            let mut recv = ptr::null_mut();
            let mut result = ptr::null_mut();
            sys::napi_get_reference_value(env, self.function, &mut function);
            sys::napi_get_global(env, &mut recv);
            let status = sys::napi_make_callback(
                env,
                self.context,
                recv,
                function,
                0,
                ptr::null(),
                &mut result,
            );
            if status == sys::Status::napi_pending_exception {
                let mut error = ptr::null_mut();
                sys::napi_get_and_clear_last_exception(env, &mut error);
                sys::napi_fatal_exception(env, error);
            }
            sys::napi_close_handle_scope(env, scope);
        }
    }
}

impl Drop for OnReady {
    fn drop(&mut self) {
        unsafe {
            sys::napi_delete_reference(self.env, self.function);
            sys::napi_async_destroy(self.env, self.context);
        }
    }
}

unsafe extern "C" fn teardown(_arg: *mut std::ffi::c_void) {
    uv::teardown();
}

/// Settles call `id` exactly once: with the outcome, or, if the task is dropped first (a
/// panic, the environment torn down), with a failure — so no promise is left pending.
pub struct Settle {
    queue: Arc<Queue>,
    id: u32,
    done: bool,
}

impl Settle {
    pub fn new(queue: Arc<Queue>, id: u32) -> Self {
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
    /// This hub's calls keep Node alive (each copy of `index.js` has its own hub).
    alive: std::cell::Cell<bool>,
}

#[napi]
impl CompletionHub {
    /// Sets up this environment's event-loop integration. `onReady` is called (with no
    /// arguments) when completions are waiting in `drain()`.
    #[napi(constructor)]
    pub fn new(env: Env, on_ready: Function<(), ()>) -> Result<Self> {
        let queue = Arc::new(Queue {
            done: Mutex::new(Vec::new()),
        });
        let raw = env.raw();
        unsafe {
            let check = |status, what: &str| {
                if status == sys::Status::napi_ok {
                    Ok(())
                } else {
                    Err(napi::Error::from_reason(format!(
                        "milvus-native: {what} failed"
                    )))
                }
            };
            let mut function = ptr::null_mut();
            check(
                sys::napi_create_reference(raw, on_ready.raw(), 1, &mut function),
                "napi_create_reference",
            )?;
            let mut name = ptr::null_mut();
            let label = "milvus-native";
            check(
                sys::napi_create_string_utf8(
                    raw,
                    label.as_ptr().cast(),
                    label.len() as isize,
                    &mut name,
                ),
                "napi_create_string_utf8",
            )?;
            let mut context = ptr::null_mut();
            check(
                sys::napi_async_init(raw, ptr::null_mut(), name, &mut context),
                "napi_async_init",
            )?;
            let mut uv_loop = ptr::null_mut();
            check(
                sys::napi_get_uv_event_loop(raw, &mut uv_loop),
                "napi_get_uv_event_loop",
            )?;
            let mut on_ready = Some(OnReady {
                env: raw,
                function,
                context,
            });
            let pending = Arc::downgrade(&queue);
            if uv::install(uv_loop.cast()).map_err(napi::Error::from_reason)? {
                check(
                    sys::napi_add_env_cleanup_hook(raw, Some(teardown), ptr::null_mut()),
                    "napi_add_env_cleanup_hook",
                )?;
            }
            uv::after_each_run(Box::new(move || {
                let Some(queue) = pending.upgrade() else {
                    // The hub and every client of it are gone.
                    drop(on_ready.take());
                    return false;
                };
                if let (false, Some(f)) = (queue.is_empty(), &on_ready) {
                    f.call();
                }
                true
            }));
        }
        Ok(CompletionHub {
            queue,
            alive: std::cell::Cell::new(false),
        })
    }

    /// The calls that ended since the last drain, and the progress of waiting ones, in order,
    /// flat: `[id, outcome, report, …]`, the outcome being the reply's JSON text or a
    /// `NativeFailure`, the report 0 (settle), 1 (onProgress with the final info, then settle)
    /// or 2 (onProgress only: the outcome is the info's JSON). Array elements, unlike an
    /// object's named properties, cost napi no key strings.
    #[napi(ts_return_type = "Array<number | string | NativeFailure>")]
    pub fn drain<'env>(&self, env: &'env Env) -> Result<Array<'env>> {
        let done = std::mem::take(&mut *self.queue.done.lock().unwrap_or_else(|e| e.into_inner()));
        let mut flat = env.create_array(3 * done.len() as u32)?;
        for (i, c) in done.into_iter().enumerate() {
            let at = 3 * i as u32;
            flat.set(at, c.id)?;
            match c.outcome {
                Either::A(json) => flat.set(at + 1, json)?,
                Either::B(failure) => flat.set(at + 1, failure)?,
            }
            flat.set(at + 2, c.report as u32)?;
        }
        Ok(flat)
    }

    /// Keeps Node's event loop alive (true) while calls are pending, or lets it exit (false).
    #[napi]
    pub fn keep_alive(&self, alive: bool) {
        if self.alive.replace(alive) != alive {
            uv::hold(alive);
        }
    }
}

impl Drop for CompletionHub {
    fn drop(&mut self) {
        if self.alive.get() {
            uv::hold(false);
        }
    }
}

impl CompletionHub {
    pub fn queue(&self) -> Arc<Queue> {
        self.queue.clone()
    }
}

pub fn failure(f: Failure) -> NativeFailure {
    match f {
        Failure::Grpc(e) => grpc_failure(e),
        Failure::Aborted => bare("abort"),
        Failure::Closed => bare("closed"),
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
        kind: "grpc".into(),
        code: Some(e.code),
        message: Some(e.message()),
        metadata: Some(e.metadata.into_iter().collect()),
        details: Some(e.details),
        reply: None,
    }
}
