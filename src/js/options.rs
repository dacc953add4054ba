//! `ClientConfig` as `index.js` hands it over → the napi-free `RawConfig`.

use std::collections::HashMap;

use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;

use crate::config::{PemInput, RawConfig, RawTls, TimeoutInput};

/// TLS options, as `ClientConfig.tls`.
#[napi(object)]
pub struct NativeTls {
    pub root_cert: Option<Either<String, Buffer>>,
    pub root_cert_path: Option<String>,
    pub private_key: Option<Either<String, Buffer>>,
    pub private_key_path: Option<String>,
    pub cert_chain: Option<Either<String, Buffer>>,
    pub cert_chain_path: Option<String>,
    pub server_name: Option<String>,
    pub skip_cert_check: Option<bool>,
}

/// The options `index.js` hands over (already normalised from both constructor forms).
#[napi(object)]
pub struct NativeConfig {
    pub address: String,
    pub ssl: Option<bool>,
    pub token: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub database: Option<String>,
    pub timeout: Option<Either<f64, String>>,
    pub max_retries: Option<f64>,
    pub retry_delay: Option<f64>,
    pub tls: Option<NativeTls>,
    /// Start the Connect handshake now (false for `__SKIP_CONNECT__`).
    pub connect: bool,
    /// `ClientInfo` of the handshake.
    pub sdk_version: String,
    pub local_time: String,
    pub reserved: Option<HashMap<String, String>>,
    /// Reject UNIMPLEMENTED instead of resolving `{}`.
    pub require_milvus3: Option<bool>,
    /// One stderr line per call attempt.
    pub debug: Option<bool>,
}

fn pem(inline: Option<Either<String, Buffer>>, path: Option<String>) -> PemInput {
    PemInput {
        inline: inline.map(|v| match v {
            Either::A(s) => s.into_bytes(),
            Either::B(b) => b.to_vec(),
        }),
        path,
    }
}

impl NativeConfig {
    pub fn raw(&mut self) -> RawConfig {
        RawConfig {
            address: std::mem::take(&mut self.address),
            ssl: self.ssl.unwrap_or(false),
            token: self.token.take(),
            username: self.username.clone(),
            password: self.password.take(),
            database: self.database.take(),
            timeout: self.timeout.take().map(|t| match t {
                Either::A(ms) => TimeoutInput::Millis(ms),
                Either::B(token) => TimeoutInput::Token(token),
            }),
            max_retries: self.max_retries,
            retry_delay: self.retry_delay,
            tls: self.tls.take().map(|t| RawTls {
                root_cert: pem(t.root_cert, t.root_cert_path),
                private_key: pem(t.private_key, t.private_key_path),
                cert_chain: pem(t.cert_chain, t.cert_chain_path),
                server_name: t.server_name,
                skip_cert_check: t.skip_cert_check.unwrap_or(false),
            }),
        }
    }
}
