//! milvus-native: the collection-snapshot API of the Milvus Node SDK over tonic and hyper.
//!
//! The modules outside `js` are napi-free, so `cargo test --no-default-features` runs the
//! rules (decoding, retry policy, int64 parsing, headers, time tokens) without Node.

pub mod channel_options;
pub mod config;
pub mod decode;
pub mod error;
pub mod global;
pub mod headers;
pub mod int64;
pub mod retry;
pub mod snapshot;
pub mod tls;
#[cfg(feature = "napi")]
pub mod transport;
pub mod wait;

#[cfg(feature = "napi")]
mod js;

pub mod proto {
    pub mod common {
        tonic::include_proto!("milvus.proto.common");
        pub use crate::decode::wire::{MapEntry, Status};
    }
    pub mod milvus {
        tonic::include_proto!("milvus.proto.milvus");
    }
}
