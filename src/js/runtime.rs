//! The addon's I/O: one small tokio runtime for the whole process.
//!
//! Every JS environment (the main thread, each worker, each copy of the package a test runner
//! loads) hands its calls to this runtime; completions go back to each environment through its
//! `CompletionHub` (a threadsafe function, `hub.rs`). Node-API is the only host interface, so
//! the same binary behaves alike under Node, Bun and Deno.
//!
//! One thread, running a current-thread tokio scheduler: a call costs microseconds of CPU, so
//! one thread serves well over 100k calls/s, and on small machines a second worker would only
//! compete with the JS thread. A current-thread scheduler rather than a one-worker multi-thread
//! one: it skips the work-stealing bookkeeping and the extra unpark on every spawn from JS,
//! about 10 % less client CPU per sequential call (bench/RESULTS.md, FINDINGS). The thread
//! parks in `block_on` forever; the process never waits for it on exit.
//! Name resolution runs on tokio's blocking pool (reused threads, at most four).

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle};

fn runtime() -> &'static Handle {
    static RUNTIME: OnceLock<Handle> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let rt = Builder::new_current_thread()
            .max_blocking_threads(4)
            .thread_name("milvus-native")
            .enable_all()
            .build()
            .expect("milvus-native: cannot start the I/O runtime");
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("milvus-native".into())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .expect("milvus-native: cannot start the I/O runtime (no thread could be created)");
        handle
    })
}

/// Runs `future` on the runtime. A panic inside it ends only that task: the call's `Settle`
/// guard is dropped and reports the call failed (`hub.rs`).
pub fn spawn(future: impl Future<Output = ()> + Send + 'static) {
    runtime().spawn(future);
}
