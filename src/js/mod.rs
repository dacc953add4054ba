//! The N-API surface (built with the default `napi` feature only).

mod args;
mod client;
mod hub;
mod options;
mod runtime;

/// The runtime starts with the addon, so its thread and descriptors (epoll, eventfd) are there
/// before the first client, as part of the module, not of a client.
#[napi_derive::module_init]
fn init() {
    runtime::handle();
}

/// Requests, replies and completions are allocated on one thread and freed on the other; with
/// glibc's malloc such frees take the owning arena's lock, and the two threads' contention on
/// it was 40 % of the process's futex calls at 128 calls in flight. mimalloc frees across
/// threads without a lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
