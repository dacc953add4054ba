//! The addon's I/O: one small tokio runtime for the whole process.
//!
//! Every JS environment (the main thread, each worker, each copy of the package a test runner
//! loads) hands its calls to this runtime; completions go back to each environment through its
//! `CompletionHub` (a threadsafe function, `hub.rs`). Node-API is the only host interface, so
//! the same binary behaves alike under Node, Bun and Deno.
//!
//! One worker thread: a call costs microseconds of CPU, so one thread serves well over 100k
//! calls/s, and on small machines a second worker would only compete with the JS thread.
//! Name resolution runs on tokio's blocking pool (reused threads, at most four).

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .thread_name("milvus-native")
            .enable_all()
            .build()
            .expect("milvus-native: cannot start the I/O runtime (no thread could be created)")
    })
}

/// Runs `future` on the runtime. A panic inside it ends only that task: the call's `Settle`
/// guard is dropped and reports the call failed (`hub.rs`).
pub fn spawn(future: impl Future<Output = ()> + Send + 'static) {
    runtime().spawn(future);
}
