//! Completions of every call of this JS environment, handed to JavaScript in batches.
//!
//! A napi promise per call costs a threadsafe function per call, i.e. one libuv async handle
//! each, and libuv walks every live async handle on each wake-up: with 1,024 calls in flight
//! that is quadratic (measured: 6k calls/s at 1,024 in flight against 20k at 16). Here one
//! threadsafe function per environment wakes JavaScript once for however many calls ended;
//! `index.js` keeps the promises and settles them from `drain()`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Array, Either, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Result, Status};
use napi_derive::napi;

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

/// One finished call.
struct Completion {
    id: u32,
    outcome: Outcome,
    /// waitForRestoreSnapshot: the job's last change (Completed or Failed) is still to be
    /// reported to `onProgress`, before the promise settles, so the two cannot overtake.
    final_progress: bool,
}

type Wake = ThreadsafeFunction<(), (), (), Status, false>;

pub struct Queue {
    done: Mutex<Vec<Completion>>,
    /// Behind a lock only because ref/unref take `&mut`; it is taken once per batch.
    wake: Mutex<Wake>,
}

impl Queue {
    pub fn push(self: &Arc<Self>, id: u32, outcome: Outcome, final_progress: bool) {
        let was_empty = {
            let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
            done.push(Completion {
                id,
                outcome,
                final_progress,
            });
            done.len() == 1
        };
        // One wake-up per batch: a non-empty queue already has one on its way. On the runtime
        // thread the wake-up waits in a task of its own, behind the tasks already runnable (the
        // other calls whose replies arrived in the same read), so JavaScript is woken once for
        // all of them instead of for the first and then again.
        if was_empty {
            if tokio::runtime::Handle::try_current().is_ok() {
                let queue = self.clone();
                tokio::spawn(async move { queue.wake() });
            } else {
                self.wake();
            }
        }
    }

    fn wake(&self) {
        let wake = self.wake.lock().unwrap_or_else(|e| e.into_inner());
        wake.call((), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// Settles call `id` exactly once: with the outcome, or, if the task is dropped first (a
/// panic, a runtime shutting down), with a failure — so no promise is left pending.
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
        self.with_progress(outcome, false)
    }

    pub fn with_progress(mut self, outcome: Outcome, final_progress: bool) {
        self.done = true;
        self.queue.push(self.id, outcome, final_progress);
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        if !self.done {
            self.queue.push(self.id, Either::B(bare("panic")), false);
        }
    }
}

/// The environment's hub; `index.js` makes one and passes it to every client.
#[napi]
pub struct CompletionHub {
    queue: Arc<Queue>,
}

#[napi]
impl CompletionHub {
    /// `onReady` is called (with no arguments) when completions are waiting in `drain()`.
    #[napi(constructor)]
    pub fn new(env: Env, on_ready: Function<(), ()>) -> Result<Self> {
        let mut wake: Wake = on_ready
            .build_threadsafe_function()
            .callee_handled::<false>()
            .build()?;
        // Idle, the hub must not keep Node alive; `keepAlive(true)` while calls are pending.
        #[allow(deprecated)] // napi_unref_threadsafe_function is exactly the toggle we need
        wake.unref(&env)?;
        let queue = Arc::new(Queue {
            done: Mutex::new(Vec::new()),
            wake: Mutex::new(wake),
        });
        Ok(CompletionHub { queue })
    }

    /// The calls that ended since the last drain, flat: `[id, outcome, finalProgress, …]`, the
    /// outcome being the reply's JSON text or a `NativeFailure`. Array elements, unlike an
    /// object's named properties, cost napi no key strings.
    #[napi(ts_return_type = "Array<number | string | NativeFailure | boolean>")]
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
            flat.set(at + 2, c.final_progress)?;
        }
        Ok(flat)
    }

    /// Keeps Node's event loop alive (true) while calls are pending, or lets it exit (false).
    #[napi]
    #[allow(deprecated)] // see `new`
    pub fn keep_alive(&self, env: Env, alive: bool) -> Result<()> {
        let mut wake = self.queue.wake.lock().unwrap_or_else(|e| e.into_inner());
        if alive {
            wake.refer(&env)
        } else {
            wake.unref(&env)
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
