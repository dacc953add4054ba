//! The addon's executor, timers and socket readiness, on Node's own event loop (libuv).
//!
//! A call's whole life — encoding, the HTTP/2 connection's reads and writes, decoding, settling
//! the promise — runs on the JavaScript thread, driven by libuv handles:
//! - an idle handle runs the tasks that became ready on this thread, once per loop iteration,
//!   before the loop polls (so the calls one JavaScript tick started leave in one write);
//! - a poll handle per socket wakes the connection when the socket is readable or writable;
//! - one timer handle, armed for the earliest deadline of the `Sleep`s;
//! - an async handle wakes the loop from other threads (the connect helper thread).
//!
//! No thread hands a call to another: a sequential call costs one wake-up of the process (the
//! reply), where a runtime on its own thread costs three (measured in bench/RESULTS.md).
//!
//! One `Reactor` per JavaScript environment (the main thread, each worker), in a thread-local:
//! each environment has its own thread and loop.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::os::raw::{c_int, c_void};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[repr(C)]
pub struct UvLoop {
    _opaque: [u8; 0],
}
type Handle = c_void;
type Callback = unsafe extern "C" fn(*mut Handle);

// uv_handle_type
const UV_ASYNC: c_int = 1;
const UV_IDLE: c_int = 6;
const UV_POLL: c_int = 8;
const UV_TIMER: c_int = 13;
// uv_poll_event
const UV_READABLE: c_int = 1;
const UV_WRITABLE: c_int = 2;

// Node exports libuv's symbols; the addon resolves them from the process when it is loaded.
extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_handle_set_data(h: *mut Handle, data: *mut c_void);
    fn uv_handle_get_data(h: *const Handle) -> *mut c_void;
    fn uv_close(h: *mut Handle, cb: Option<Callback>);
    fn uv_ref(h: *mut Handle);
    fn uv_unref(h: *mut Handle);
    fn uv_idle_init(l: *mut UvLoop, h: *mut Handle) -> c_int;
    fn uv_idle_start(h: *mut Handle, cb: Callback) -> c_int;
    fn uv_idle_stop(h: *mut Handle) -> c_int;
    fn uv_async_init(l: *mut UvLoop, h: *mut Handle, cb: Callback) -> c_int;
    fn uv_async_send(h: *mut Handle) -> c_int;
    fn uv_timer_init(l: *mut UvLoop, h: *mut Handle) -> c_int;
    fn uv_timer_start(h: *mut Handle, cb: Callback, timeout: u64, repeat: u64) -> c_int;
    fn uv_poll_init_socket(l: *mut UvLoop, h: *mut Handle, socket: c_int) -> c_int;
    fn uv_poll_start(
        h: *mut Handle,
        events: c_int,
        cb: unsafe extern "C" fn(*mut Handle, c_int, c_int),
    ) -> c_int;
    fn uv_poll_stop(h: *mut Handle) -> c_int;
}

/// A libuv handle of `kind`, allocated here, freed by `close`.
unsafe fn new_handle(kind: c_int) -> *mut Handle {
    let h = libc::calloc(1, uv_handle_size(kind)) as *mut Handle;
    assert!(
        !h.is_null(),
        "milvus-native: out of memory for a libuv handle"
    );
    h
}

unsafe extern "C" fn free_handle(h: *mut Handle) {
    libc::free(h);
}

type Task = Pin<Box<dyn Future<Output = ()>>>;

struct Slot {
    task: Option<Task>,
    waker: Waker,
    queued: Arc<TaskWaker>,
}

/// What other threads (and wakers) may touch.
struct Remote {
    ready: Mutex<Vec<usize>>,
    /// A run is on its way (idle handle started, or async handle sent).
    scheduled: AtomicBool,
    /// The async handle; null once the environment is torn down.
    wakeup: Mutex<usize>,
}

impl Remote {
    fn kick(&self) {
        // On the loop's own thread, the idle handle (no system call); elsewhere, the async one.
        let local = with(|r| std::ptr::eq(&*r.remote, self).then(|| r.schedule()));
        if local.flatten().is_none() {
            let h = self.wakeup.lock().unwrap_or_else(|e| e.into_inner());
            if *h != 0 {
                unsafe { uv_async_send(*h as *mut Handle) };
            }
        }
    }
}

struct TaskWaker {
    id: usize,
    remote: Arc<Remote>,
    /// In `ready` and not yet polled: a task woken by many streams in one tick is polled once.
    queued: AtomicBool,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        self.remote
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(self.id);
        if !self.remote.scheduled.swap(true, Ordering::AcqRel) {
            self.remote.kick();
        }
    }
}

pub struct Reactor {
    uv_loop: *mut UvLoop,
    idle: *mut Handle,
    timer: *mut Handle,
    wakeup: *mut Handle,
    remote: Arc<Remote>,
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<usize>>,
    timers: RefCell<BTreeMap<(Instant, u64), Waker>>,
    timer_seq: Cell<u64>,
    armed: Cell<Option<Instant>>,
    running: Cell<bool>,
    /// Hubs with calls pending (the async handle is referenced while there is one).
    holders: Cell<u32>,
    /// Sockets with gathered writes, flushed at the end of the run.
    dirty: RefCell<Vec<std::rc::Weak<Sock>>>,
    /// Called after each run (each hub hands its completions to JavaScript); one that returns
    /// false is dropped.
    after_run: RefCell<Vec<Box<dyn FnMut() -> bool>>>,
}

thread_local! {
    // Never dropped by the thread's exit (`ManuallyDrop`: no destructor to run, so no access
    // error either): at process exit the loop may be gone; a worker's environment tears its
    // reactor down in `teardown`.
    static REACTOR: std::mem::ManuallyDrop<RefCell<Option<Rc<Reactor>>>> =
        const { std::mem::ManuallyDrop::new(RefCell::new(None)) };
}

fn current() -> Option<Rc<Reactor>> {
    REACTOR.with(|r| r.borrow().clone())
}

fn with<T>(f: impl FnOnce(&Reactor) -> T) -> Option<T> {
    current().map(|r| f(&r))
}

/// Sets up this thread's reactor on `uv_loop`, once per environment: true the first time.
/// (A handle that fails to initialize leaves the ones before it open: only at start-up, when
/// the process is out of descriptors.)
///
/// # Safety
/// `uv_loop` is this thread's libuv loop, alive until `teardown`.
pub unsafe fn install(uv_loop: *mut UvLoop) -> Result<bool, String> {
    if current().is_some() {
        return Ok(false);
    }
    let init = |kind, rc: c_int, h: *mut Handle| {
        if rc == 0 {
            uv_unref(h);
            Ok(h)
        } else {
            // Never initialized: only the memory is ours to free.
            libc::free(h);
            Err(format!(
                "milvus-native: libuv handle {kind} not initialized ({rc})"
            ))
        }
    };
    let idle = new_handle(UV_IDLE);
    let idle = init(UV_IDLE, uv_idle_init(uv_loop, idle), idle)?;
    let timer = new_handle(UV_TIMER);
    let timer = init(UV_TIMER, uv_timer_init(uv_loop, timer), timer)?;
    let wakeup = new_handle(UV_ASYNC);
    let wakeup = init(UV_ASYNC, uv_async_init(uv_loop, wakeup, on_wakeup), wakeup)?;
    let reactor = Reactor {
        uv_loop,
        idle,
        timer,
        wakeup,
        remote: Arc::new(Remote {
            ready: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
            wakeup: Mutex::new(wakeup as usize),
        }),
        slots: RefCell::new(Vec::new()),
        free: RefCell::new(Vec::new()),
        timers: RefCell::new(BTreeMap::new()),
        timer_seq: Cell::new(0),
        armed: Cell::new(None),
        running: Cell::new(false),
        holders: Cell::new(0),
        dirty: RefCell::new(Vec::new()),
        after_run: RefCell::new(Vec::new()),
    };
    REACTOR.with(|r| *r.borrow_mut() = Some(Rc::new(reactor)));
    Ok(true)
}

/// Calls `hook` after every run of the ready tasks, until it returns false. Several copies of
/// `index.js` in one environment (a test runner's module registry) each have their hub.
pub fn after_each_run(hook: Box<dyn FnMut() -> bool>) {
    with(|r| r.after_run.borrow_mut().push(hook));
}

/// The environment is going away: drops every task (their settlements go nowhere) and closes
/// the handles.
pub fn teardown() {
    let Some(r) = REACTOR.with(|r| r.borrow_mut().take()) else {
        return;
    };
    *r.remote.wakeup.lock().unwrap_or_else(|e| e.into_inner()) = 0;
    // The hooks hold JavaScript references, which are not to be released this late.
    std::mem::forget(r.after_run.take());
    // Tasks may close sockets as they drop: the reactor is reinstated for that.
    REACTOR.with(|slot| *slot.borrow_mut() = Some(r.clone()));
    let tasks: Vec<_> = r
        .slots
        .borrow_mut()
        .iter_mut()
        .filter_map(|s| s.task.take())
        .collect();
    drop(tasks);
    r.timers.borrow_mut().clear();
    REACTOR.with(|slot| slot.borrow_mut().take());
    unsafe {
        uv_close(r.idle, Some(free_handle));
        uv_close(r.timer, Some(free_handle));
        uv_close(r.wakeup, Some(free_handle));
    }
}

/// One more (true) or one fewer (false) hub with calls pending: Node stays alive while any has.
pub fn hold(more: bool) {
    with(|r| {
        let before = r.holders.get();
        let after = if more {
            before + 1
        } else {
            before.saturating_sub(1)
        };
        r.holders.set(after);
        unsafe {
            match (before, after) {
                (0, 1..) => uv_ref(r.wakeup),
                (1.., 0) => uv_unref(r.wakeup),
                _ => {}
            }
        }
    });
}

/// Runs `future` on this thread's loop, from the next run on.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    let Some(r) = current() else {
        // Only a JavaScript thread spawns (each has its reactor from its hub), and only while its
        // environment lives: after `teardown` the future is dropped, which settles a call as
        // failed (`Settle`) and closes a connection.
        return;
    };
    let id = match r.free.borrow_mut().pop() {
        Some(id) => {
            r.slots.borrow_mut()[id].task = Some(Box::pin(future));
            id
        }
        None => {
            let mut slots = r.slots.borrow_mut();
            let id = slots.len();
            let queued = Arc::new(TaskWaker {
                id,
                remote: r.remote.clone(),
                queued: AtomicBool::new(false),
            });
            slots.push(Slot {
                task: Some(Box::pin(future)),
                waker: Waker::from(queued.clone()),
                queued,
            });
            id
        }
    };
    r.slots.borrow()[id].waker.wake_by_ref();
}

/// Asks for a run soon (the hub, when a completion arrives outside one).
pub fn request_run() {
    with(|r| r.schedule());
}

impl Reactor {
    fn start_idle(&self) {
        unsafe { uv_idle_start(self.idle, on_idle) };
    }

    /// A run before the loop next waits, unless one is under way (it serves the new work).
    fn schedule(&self) {
        if !self.running.get() {
            self.start_idle()
        }
    }

    /// Polls the ready tasks until none is, then calls `after_run`.
    fn run(&self) {
        if self.running.replace(true) {
            return;
        }
        // Wakes from the callback that started this run asked for it too: this run serves them.
        unsafe { uv_idle_stop(self.idle) };
        // Bounded, so that a task that always wakes itself cannot starve the loop.
        for _ in 0..64 {
            self.remote.scheduled.store(false, Ordering::Release);
            let ids =
                std::mem::take(&mut *self.remote.ready.lock().unwrap_or_else(|e| e.into_inner()));
            if ids.is_empty() {
                break;
            }
            for id in ids {
                self.poll_task(id);
            }
        }
        self.flush_sockets();
        self.running.set(false);
        if self.remote.scheduled.load(Ordering::Acquire) {
            self.start_idle();
        }
        self.arm_timer();
        // Taken out while they run: JavaScript may load another hub meanwhile.
        let mut hooks = self.after_run.take();
        hooks.retain_mut(|hook| hook());
        let mut current = self.after_run.borrow_mut();
        hooks.append(&mut current);
        *current = hooks;
    }

    fn poll_task(&self, id: usize) {
        let (task, waker) = {
            let mut slots = self.slots.borrow_mut();
            let Some(slot) = slots.get_mut(id) else {
                return;
            };
            slot.queued.queued.store(false, Ordering::Release);
            let Some(task) = slot.task.take() else {
                return; // woken after it ended
            };
            (task, slot.waker.clone())
        };
        let mut task = task;
        let mut cx = Context::from_waker(&waker);
        // A panic ends the task: dropping it settles its call as failed (`Settle`).
        let done = !matches!(
            std::panic::catch_unwind(AssertUnwindSafe(|| task.as_mut().poll(&mut cx))),
            Ok(Poll::Pending)
        );
        if done {
            drop(task);
            self.free.borrow_mut().push(id);
        } else {
            self.slots.borrow_mut()[id].task = Some(task);
        }
    }

    fn arm_timer(&self) {
        let next = self.timers.borrow().keys().next().map(|k| k.0);
        let Some(next) = next else {
            self.armed.set(None);
            return;
        };
        if self.armed.get() == Some(next) {
            return;
        }
        self.armed.set(Some(next));
        let ms = next
            .saturating_duration_since(Instant::now())
            .as_micros()
            .div_ceil(1000) as u64;
        unsafe { uv_timer_start(self.timer, on_timer, ms, 0) };
    }

    fn fire_timers(&self) {
        let now = Instant::now();
        let due: Vec<Waker> = {
            let mut timers = self.timers.borrow_mut();
            let later = timers.split_off(&(now, u64::MAX));
            std::mem::replace(&mut *timers, later)
                .into_values()
                .collect()
        };
        self.armed.set(None);
        for w in due {
            w.wake();
        }
    }
}

unsafe extern "C" fn on_idle(h: *mut Handle) {
    uv_idle_stop(h);
    with(|r| r.run());
}

unsafe extern "C" fn on_wakeup(_h: *mut Handle) {
    with(|r| r.run());
}

unsafe extern "C" fn on_timer(_h: *mut Handle) {
    with(|r| {
        r.fire_timers();
        r.run();
    });
}

/// A future that completes at `deadline`, on the loop's timer.
pub struct Sleep {
    deadline: Instant,
    key: Option<(Instant, u64)>,
}

pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(Instant::now() + duration)
}

pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        key: None,
    }
}

impl Sleep {
    fn forget(&mut self) {
        if let Some(key) = self.key.take() {
            with(|r| r.timers.borrow_mut().remove(&key));
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Once registered, the timer decides: it removes the entry when the deadline has come.
        // A call's task polls its deadline each time it is woken, so this is a lookup, not a
        // clock read and a new entry.
        if let Some(key) = self.key {
            let waiting = with(|r| match r.timers.borrow_mut().get_mut(&key) {
                Some(w) => {
                    if !w.will_wake(cx.waker()) {
                        *w = cx.waker().clone();
                    }
                    true
                }
                None => false,
            });
            match waiting {
                Some(true) => return Poll::Pending,
                Some(false) => {
                    self.key = None;
                    return Poll::Ready(());
                }
                None => {}
            }
        }
        if Instant::now() >= self.deadline {
            self.forget();
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        let key = self.key;
        let registered = with(|r| {
            let key = key.unwrap_or_else(|| {
                let seq = r.timer_seq.get();
                r.timer_seq.set(seq + 1);
                (deadline, seq)
            });
            r.timers.borrow_mut().insert(key, cx.waker().clone());
            if !r.running.get() {
                r.arm_timer();
            }
            key
        });
        self.key = registered;
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.forget();
    }
}

impl hyper::rt::Sleep for Sleep {}

/// hyper's timer (HTTP/2 keep-alive pings), on the loop.
#[derive(Clone, Copy)]
pub struct Timer;

impl hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(sleep(duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(sleep_until(deadline))
    }
}

/// hyper's executor (its connection tasks), on the loop.
#[derive(Clone, Copy)]
pub struct Executor;

impl<F: Future<Output = ()> + 'static> hyper::rt::Executor<F> for Executor {
    fn execute(&self, future: F) {
        spawn(future)
    }
}

/// `future`, or `Elapsed` once `duration` has passed.
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Result<F::Output, Elapsed> {
    tokio::select! {
        biased;
        v = future => Ok(v),
        _ = sleep(duration) => Err(Elapsed),
    }
}

#[derive(Debug)]
pub struct Elapsed;

/// A connected non-blocking TCP socket whose readiness comes from a libuv poll handle.
///
/// Reads go to the socket only when it may have data (after a short read or EAGAIN, not until
/// libuv reports it readable again: level-triggered, so nothing is missed). Writes are gathered
/// and leave in one `send` at the end of the run: the request frames of every call a
/// JavaScript tick started, which HTTP/2 hands over in several pieces, cost one system call.
pub struct UvTcp {
    sock: Rc<Sock>,
}

struct Sock {
    stream: std::net::TcpStream,
    handle: *mut Handle,
    reader: RefCell<Option<Waker>>,
    writer: RefCell<Option<Waker>>,
    /// The events libuv watches for.
    events: Cell<c_int>,
    readable: Cell<bool>,
    out: RefCell<Vec<u8>>,
    /// In the reactor's list of sockets to flush at the end of the run.
    queued: Cell<bool>,
    /// Set when a write failed: reported by the next write or flush.
    error: RefCell<Option<io::Error>>,
    /// `uv_close` called: the handle is not to be touched again (a flush queued in the same
    /// run may still come).
    closed: Cell<bool>,
}

/// Gathered bytes above which a writer waits for the socket to drain.
const OUT_LIMIT: usize = 256 * 1024;

/// A write to a reset connection fails with EPIPE instead of raising SIGPIPE (which Node
/// ignores, but an embedder may not). macOS has no such flag; there the socket gets
/// SO_NOSIGPIPE.
#[cfg(any(target_os = "linux", target_os = "android"))]
const SEND_FLAGS: c_int = libc::MSG_NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEND_FLAGS: c_int = 0;

// Only ever used on its loop's thread: the tasks that hold it never leave it. The marker lets
// it sit in hyper's connection types, which ask for `Send` in places.
unsafe impl Send for UvTcp {}
unsafe impl Sync for UvTcp {}

impl UvTcp {
    pub fn new(stream: std::net::TcpStream) -> io::Result<UvTcp> {
        stream.set_nonblocking(true)?;
        #[cfg(any(target_os = "macos", target_os = "ios"))]
        unsafe {
            let on: c_int = 1;
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_NOSIGPIPE,
                &on as *const c_int as *const c_void,
                std::mem::size_of::<c_int>() as libc::socklen_t,
            );
        }
        let uv_loop =
            with(|r| r.uv_loop).ok_or_else(|| io::Error::other("no event loop on this thread"))?;
        unsafe {
            let handle = new_handle(UV_POLL);
            let rc = uv_poll_init_socket(uv_loop, handle, stream.as_raw_fd());
            if rc != 0 {
                libc::free(handle);
                return Err(io::Error::other(format!("uv_poll_init_socket: {rc}")));
            }
            uv_unref(handle);
            let sock = Rc::new(Sock {
                stream,
                handle,
                reader: RefCell::new(None),
                writer: RefCell::new(None),
                events: Cell::new(0),
                readable: Cell::new(true),
                out: RefCell::new(Vec::new()),
                queued: Cell::new(false),
                error: RefCell::new(None),
                closed: Cell::new(false),
            });
            // The handle holds a reference until libuv has closed it.
            uv_handle_set_data(handle, Rc::into_raw(sock.clone()) as *mut c_void);
            Ok(UvTcp { sock })
        }
    }
}

impl Sock {
    fn watch(&self, event: c_int, on: bool) {
        if self.closed.get() {
            return;
        }
        let events = if on {
            self.events.get() | event
        } else {
            self.events.get() & !event
        };
        if events == self.events.get() {
            return;
        }
        self.events.set(events);
        unsafe {
            if events == 0 {
                uv_poll_stop(self.handle);
            } else {
                uv_poll_start(self.handle, events, on_poll);
            }
        }
    }

    fn wait(slot: &RefCell<Option<Waker>>, cx: &Context<'_>) {
        let mut slot = slot.borrow_mut();
        match &*slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
    }

    /// Writes what is gathered, as far as the socket takes it.
    fn flush(&self) {
        let mut out = self.out.borrow_mut();
        let mut written = 0;
        while written < out.len() {
            let n = unsafe {
                libc::send(
                    self.stream.as_raw_fd(),
                    out[written..].as_ptr() as *const c_void,
                    out.len() - written,
                    SEND_FLAGS,
                )
            };
            if n >= 0 {
                written += n as usize;
                continue;
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => break,
                _ => {
                    *self.error.borrow_mut() = Some(e);
                    written = out.len();
                    // The connection learns of it from its next write, or its next read, which
                    // goes to the socket (and meets the error) at once.
                    self.readable.set(true);
                    if let Some(w) = self.reader.borrow_mut().take() {
                        w.wake();
                    }
                }
            }
        }
        out.drain(..written);
        let pending = !out.is_empty();
        drop(out);
        self.watch(UV_WRITABLE, pending);
        if !pending || self.error.borrow().is_some() {
            if let Some(w) = self.writer.borrow_mut().take() {
                w.wake();
            }
        }
    }

    fn queue_flush(self: &Rc<Self>) {
        if !self.queued.replace(true) {
            with(|r| r.dirty.borrow_mut().push(Rc::downgrade(self)));
        }
    }

    fn take_error(&self) -> io::Result<()> {
        match self.error.borrow_mut().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Reactor {
    fn flush_sockets(&self) {
        let dirty = std::mem::take(&mut *self.dirty.borrow_mut());
        for sock in dirty.iter().filter_map(std::rc::Weak::upgrade) {
            sock.queued.set(false);
            sock.flush();
        }
    }
}

unsafe extern "C" fn on_poll(h: *mut Handle, status: c_int, events: c_int) {
    let sock = &*(uv_handle_get_data(h) as *const Sock);
    if status < 0 {
        // An error condition (a reset): libuv has stopped the handle. The reader and writer
        // find the error on their next attempt; a later wait starts the handle again.
        sock.events.set(0);
        sock.readable.set(true);
        if let Some(w) = sock.reader.borrow_mut().take() {
            w.wake();
        }
    } else if events & UV_READABLE != 0 {
        sock.readable.set(true);
        match sock.reader.borrow_mut().take() {
            Some(w) => w.wake(),
            // Level-triggered: stop watching what nobody waits for, or it fires again at once.
            None => sock.watch(UV_READABLE, false),
        }
    }
    if status < 0 || events & UV_WRITABLE != 0 {
        sock.flush();
    }
    with(|r| r.run());
}

unsafe extern "C" fn close_poll(h: *mut Handle) {
    drop(Rc::from_raw(uv_handle_get_data(h) as *const Sock));
    libc::free(h);
}

impl Drop for UvTcp {
    fn drop(&mut self) {
        // What is gathered still goes, as far as the socket takes it at once.
        self.sock.flush();
        self.sock.closed.set(true);
        self.sock.events.set(0);
        unsafe {
            uv_poll_stop(self.sock.handle);
            uv_close(self.sock.handle, Some(close_poll));
        }
        // The descriptor closes with the last reference, after libuv stopped watching it.
    }
}

impl AsyncRead for UvTcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let sock = &self.sock;
        if sock.readable.get() {
            let unfilled = unsafe { buf.unfilled_mut() };
            let len = unfilled.len();
            loop {
                let n = unsafe {
                    libc::read(
                        sock.stream.as_raw_fd(),
                        unfilled.as_mut_ptr() as *mut c_void,
                        len,
                    )
                };
                if n >= 0 {
                    let n = n as usize;
                    if n < len {
                        sock.readable.set(false);
                    }
                    unsafe { buf.assume_init(n) };
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::Interrupted => continue,
                    io::ErrorKind::WouldBlock => break,
                    _ => return Poll::Ready(Err(e)),
                }
            }
            sock.readable.set(false);
        }
        Sock::wait(&sock.reader, cx);
        sock.watch(UV_READABLE, true);
        Poll::Pending
    }
}

impl UvTcp {
    fn gather(&self, cx: &Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let sock = &self.sock;
        sock.take_error()?;
        if sock.out.borrow().len() >= OUT_LIMIT {
            sock.flush();
            sock.take_error()?;
            if sock.out.borrow().len() >= OUT_LIMIT {
                Sock::wait(&sock.writer, cx);
                return Poll::Pending;
            }
        }
        let mut out = sock.out.borrow_mut();
        let before = out.len();
        for b in bufs {
            out.extend_from_slice(b);
        }
        let n = out.len() - before;
        drop(out);
        sock.queue_flush();
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for UvTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.gather(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.gather(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// The gathered bytes leave at the end of the run, which is where a flush would put them.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.sock.take_error())
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let sock = &self.sock;
        sock.flush();
        sock.take_error()?;
        if !sock.out.borrow().is_empty() {
            Sock::wait(&sock.writer, cx);
            return Poll::Pending;
        }
        match sock.stream.shutdown(std::net::Shutdown::Write) {
            Err(e) if e.kind() != io::ErrorKind::NotConnected => Poll::Ready(Err(e)),
            _ => Poll::Ready(Ok(())),
        }
    }
}
