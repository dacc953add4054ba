//! The addon's own tokio runtime: a current-thread runtime driven by one dedicated OS thread.
//!
//! A network client of this size has one connection's worth of work: the current-thread
//! scheduler runs it without the multi-thread scheduler's work-stealing bookkeeping and
//! cross-thread wake-ups (measured on the floor client: 16.5 µs of CPU per call against 22–26 µs
//! with two workers). `MILVUS_NATIVE_THREADS=N` (N > 1) selects a multi-thread runtime instead.
//! The thread never keeps Node alive: the hub's keep-alive does that while calls are pending.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::runtime::{Builder, Handle, Runtime};
use tokio::sync::Notify;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

struct Shared {
    handle: Handle,
    /// Calls started by JavaScript and not yet handed to the runtime.
    submitted: Mutex<Vec<Job>>,
    /// Wakes the dispatcher; signalled once per batch (when `submitted` stops being empty).
    ready: Notify,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

/// A non-negative whole number from the environment, if it holds one.
fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

fn threads() -> usize {
    env_number("MILVUS_NATIVE_THREADS")
        .filter(|n| *n > 0)
        .unwrap_or(1) as usize
}

fn start() -> Shared {
    let workers = threads();
    let runtime: Runtime = if workers > 1 {
        Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("milvus-native")
            .enable_all()
            .build()
    } else {
        Builder::new_current_thread().enable_all().build()
    }
    .expect("milvus-native: cannot start its tokio runtime");
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("milvus-native".into())
        // Drives the tasks (and, for a multi-thread runtime, just keeps it alive) until the
        // process ends.
        .spawn(move || runtime.block_on(dispatch()))
        .expect("milvus-native: cannot start its runtime thread");
    Shared {
        handle,
        submitted: Mutex::new(Vec::new()),
        ready: Notify::new(),
    }
}

fn shared() -> &'static Shared {
    SHARED.get_or_init(start)
}

/// The runtime's handle; starts it on first use.
pub fn handle() -> &'static Handle {
    &shared().handle
}

/// Runs `future` on the runtime thread. The queue is drained by the thread's dispatcher, which
/// is woken (one eventfd write) only when the queue stops being empty while it sleeps.
pub fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let s = shared();
    IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
    let first = {
        let mut submitted = s.submitted.lock().unwrap_or_else(|e| e.into_inner());
        submitted.push(Box::pin(future));
        submitted.len() == 1
    };
    if first {
        // Keeps a permit if the dispatcher is not waiting (it is spinning or busy).
        s.ready.notify_one();
    }
}

/// Set by each call as it ends: activity that keeps the dispatcher spinning.
static ENDED: AtomicBool = AtomicBool::new(false);

/// Calls submitted and not ended.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts a call as ended when its task ends, however it ends (a panic included).
struct Ended;

impl Drop for Ended {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
        ENDED.store(true, Ordering::Relaxed);
    }
}

/// How long the dispatcher keeps polling after the last activity before it sleeps.
fn spin_window() -> Duration {
    Duration::from_micros(env_number("MILVUS_NATIVE_SPIN_US").unwrap_or(DEFAULT_SPIN_US))
}

const DEFAULT_SPIN_US: u64 = 200;

/// The runtime thread's own task: moves submitted calls onto the runtime.
///
/// For a short window after the last activity (a call submitted or ended), while at most one
/// call is in flight, it does not sleep but yields, so the runtime keeps polling the socket
/// (epoll with no timeout) and the queue: the reply to a call, or the next call of a caller
/// that awaits each reply before the next, is picked up at once instead of after a wake-up of
/// this thread, which in a VM costs more than the polling (bench/RESULTS.md). With more calls
/// in flight the thread has work between events anyway. The window is bounded
/// (`MILVUS_NATIVE_SPIN_US`, default 200 µs; 0 turns it off): an idle client, or one waiting
/// on a slow server, sleeps.
async fn dispatch() {
    let s = shared();
    let window = spin_window();
    let mut active = Instant::now();
    loop {
        let batch = std::mem::take(&mut *s.submitted.lock().unwrap_or_else(|e| e.into_inner()));
        if !batch.is_empty() || ENDED.swap(false, Ordering::Relaxed) {
            active = Instant::now();
        }
        for job in batch {
            tokio::spawn(async move {
                let _ended = Ended;
                job.await;
            });
        }
        // Only a caller with at most one call in flight waits on these wake-ups; with more,
        // the thread has other work between them, and polling would only burn CPU.
        if IN_FLIGHT.load(Ordering::Relaxed) <= 1 && active.elapsed() < window {
            tokio::task::yield_now().await;
        } else {
            s.ready.notified().await;
            active = Instant::now();
        }
    }
}
