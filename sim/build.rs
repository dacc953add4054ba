fn main() {
    println!("cargo:rerun-if-changed=../proto");
    let fds =
        protox::compile(["../proto/milvus.proto"], ["../proto"]).expect("proto/ must compile");
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // The service has an RPC named Connect, which collides with the generated
        // transport helper `connect()`.
        .build_transport(false)
        // Maps (status.extra_info) decode in key order, so replies are deterministic.
        .btree_map(".")
        .compile_fds(fds)
        .expect("generate the Milvus server");
}
