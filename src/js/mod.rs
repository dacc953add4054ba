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
