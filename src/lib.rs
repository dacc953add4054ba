pub mod proto {
    pub mod common {
        tonic::include_proto!("milvus.proto.common");
    }
    pub mod milvus {
        tonic::include_proto!("milvus.proto.milvus");
    }
}
