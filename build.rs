fn main() {
    // The N-API link setup is only needed for the addon; `cargo test --no-default-features`
    // builds the pure modules without it.
    if std::env::var_os("CARGO_FEATURE_NAPI").is_some() {
        napi_build::setup();
    }

    println!("cargo:rerun-if-changed=proto");
    let fds = protox::compile(["proto/milvus.proto"], ["proto"]).expect("proto/ must compile");
    tonic_prost_build::configure()
        .build_server(false)
        // The service has an RPC named Connect: the generated transport helper
        // `connect()` would collide with it, and we build our own Channel anyway.
        .build_transport(false)
        // Maps decode in key order, so replies are deterministic; except status.extra_info,
        // whose wire order the official client keeps: `Status` is ours (decode::wire).
        .btree_map(".")
        .extern_path(".milvus.proto.common.Status", "crate::decode::wire::Status")
        .compile_fds(fds)
        .expect("generate the Milvus client");
}
