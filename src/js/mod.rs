//! The N-API surface (built with the default `napi` feature only).

mod args;
pub(crate) mod channel;
mod client;
mod coalesce;
pub(crate) mod global;
pub(crate) mod hub;
mod options;
pub(crate) mod runtime;
mod test_switch;

/// mimalloc's per-thread free lists are faster than glibc's malloc for the many small,
/// short-lived allocations of a call (frames, headers, futures, replies): measured on the
/// event-loop design, 116–117k against 105–110k calls/s at 128 in flight, 8.5 against 9.0–9.5 µs
/// of CPU per call, for about 8 MB more RSS (bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
