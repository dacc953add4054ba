//! `ClientConfig` as `index.js` hands it over → the napi-free `RawConfig`.

use std::collections::HashMap;

use std::sync::Arc;

use base64::Engine;
use napi::bindgen_prelude::{Buffer, Either, FnArgs};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::Status;
use napi_derive::napi;

use crate::channel_options::RawChannel;
use crate::config::{PemInput, RawConfig, RawTls, TimeoutInput};
use crate::tls::IdentityCheck;

/// `index.js`'s wrapper of `checkServerIdentity`: (host name, the leaf certificate's DER as
/// base64) → `null` to accept, or the message to fail the connection with. It never throws.
/// Weak: a client waiting for nothing does not keep the process alive.
pub type IdentityFn = ThreadsafeFunction<Args2, Option<String>, Args2, Status, false, true>;
type Args2 = FnArgs<(String, String)>;

/// TLS options, as `ClientConfig.tls`.
#[napi(object, object_to_js = false)]
pub struct NativeTls {
    pub root_cert: Option<Either<String, Buffer>>,
    pub root_cert_path: Option<String>,
    pub private_key: Option<Either<String, Buffer>>,
    pub private_key_path: Option<String>,
    pub cert_chain: Option<Either<String, Buffer>>,
    pub cert_chain_path: Option<String>,
    pub server_name: Option<String>,
    pub skip_cert_check: Option<bool>,
    /// `tls.verifyOptions.rejectUnauthorized`.
    pub reject_unauthorized: Option<bool>,
    /// `tls.verifyOptions.checkServerIdentity`, wrapped by `index.js`.
    #[napi(ts_type = "(host: string, der: string) => string | null")]
    pub check_server_identity: Option<IdentityFn>,
}

/// The options `index.js` hands over (already normalised from both constructor forms).
#[napi(object, object_to_js = false)]
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
    /// `channelOptions`.
    pub channel: Option<RawChannel>,
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
    /// `isGlobal` (`null` as `false`); absent: global when the address contains `global-cluster`.
    pub is_global: Option<bool>,
    /// The handshake's W3C trace headers (`trace: true`), made in the constructor's context.
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
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
                reject_unauthorized: t.reject_unauthorized,
                check_server_identity: t.check_server_identity.map(identity_check),
            }),
            channel: self.channel.take().unwrap_or_default(),
        }
    }
}

/// The user's `checkServerIdentity`, asked on its JS thread.
fn identity_check(f: IdentityFn) -> IdentityCheck {
    let f = Arc::new(f);
    IdentityCheck::new(move |host, der| {
        let f = f.clone();
        let der = base64::engine::general_purpose::STANDARD.encode(der);
        Box::pin(async move {
            match f.call_async_catch((host, der).into()).await {
                Ok(None) => Ok(()),
                Ok(Some(message)) => Err(message),
                // The environment is going away (a worker terminated).
                Err(e) => Err(format!("checkServerIdentity could not run: {e}")),
            }
        })
    })
}
