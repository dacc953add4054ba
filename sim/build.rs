fn main() {
    println!("cargo:rerun-if-changed=../proto");
    println!("cargo:rerun-if-changed=proto");
    let mut fds = protox::compile(
        ["../proto/milvus.proto", "proto/collections.proto"],
        ["../proto", "proto"],
    )
    .expect("proto/ and sim/proto/ must compile");
    // One MilvusService: the RPCs of sim/proto/collections.proto's `CollectionRpcs` join it
    // (a service cannot be extended in a .proto file, and proto/ is the addon's contract).
    let mut extra = Vec::new();
    for file in &mut fds.file {
        file.service.retain(|s| {
            if s.name() == "CollectionRpcs" {
                extra.extend(s.method.iter().cloned());
                false
            } else {
                true
            }
        });
    }
    let service = fds
        .file
        .iter_mut()
        .flat_map(|f| f.service.iter_mut())
        .find(|s| s.name() == "MilvusService")
        .expect("proto/milvus.proto declares MilvusService");
    assert!(
        !extra.is_empty(),
        "sim/proto/collections.proto declares CollectionRpcs"
    );
    service.method.extend(extra);
    // Source locations (for doc comments) no longer match the moved methods: drop them.
    for file in &mut fds.file {
        file.source_code_info = None;
    }
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
