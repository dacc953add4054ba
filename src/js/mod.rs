//! The N-API surface (built with the default `napi` feature only).

mod args;
mod client;
