//! The N-API surface (built with the default `napi` feature only).

mod args;
mod client;
mod hub;
mod options;
/// napi's tokio runtime, sized for a network client: one worker by default keeps a call's
/// hops (caller → channel buffer → HTTP/2 connection → back) on one thread, as a plain tonic
/// client does. `MILVUS_NATIVE_THREADS` overrides it.
#[napi_derive::module_init]
fn init() {
    let workers = std::env::var("MILVUS_NATIVE_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("milvus-native")
        .enable_all()
        .build();
    if let Ok(runtime) = runtime {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}
