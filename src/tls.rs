//! How the server certificate is checked: `tls.skipCertCheck` and
//! `tls.verifyOptions.rejectUnauthorized: false` (no check of the chain or the name), and
//! `tls.verifyOptions.checkServerIdentity` (the user's function replaces the name check).
//!
//! A rustls verifier must decide inside the handshake, synchronously, and the user's function
//! runs on the JS thread. So with `checkServerIdentity` rustls checks the chain only (or
//! nothing, without `rejectUnauthorized`), and the function is asked after the handshake,
//! before the connection carries any request (`js/channel.rs`). The handshake signatures are
//! always checked, so the connection is encrypted to whoever holds the presented key.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{
    ring, verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The verdict of `checkServerIdentity`: `Err` holds the message the connection fails with.
pub type Verdict = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// `checkServerIdentity(hostname, cert)`, given the host name and the leaf certificate's DER.
///
/// Two are equal only when they are the same function object handed to the same client, so
/// clients with a function of their own never share a connection.
#[derive(Clone)]
pub struct IdentityCheck(Arc<dyn Fn(String, Vec<u8>) -> Verdict + Send + Sync>);

impl IdentityCheck {
    pub fn new(f: impl Fn(String, Vec<u8>) -> Verdict + Send + Sync + 'static) -> Self {
        IdentityCheck(Arc::new(f))
    }

    pub fn check(&self, host: String, der: Vec<u8>) -> Verdict {
        (self.0)(host, der)
    }
}

impl PartialEq for IdentityCheck {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for IdentityCheck {}

impl fmt::Debug for IdentityCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityCheck")
    }
}

/// What rustls checks of the server certificate during the handshake.
#[derive(Debug)]
struct Verifier {
    /// `None`: any chain (skipCertCheck / rejectUnauthorized: false).
    roots: Option<Arc<RootCertStore>>,
    algorithms: WebPkiSupportedAlgorithms,
}

/// No check of the chain or the name (`skipCertCheck`, `rejectUnauthorized: false`).
pub fn accept_any_server() -> Arc<dyn ServerCertVerifier> {
    Arc::new(Verifier {
        roots: None,
        algorithms: ring::default_provider().signature_verification_algorithms,
    })
}

/// The chain up to one of `roots`, without the name (`checkServerIdentity` checks that).
pub fn chain_only(roots: RootCertStore) -> Arc<dyn ServerCertVerifier> {
    Arc::new(Verifier {
        roots: Some(Arc::new(roots)),
        algorithms: ring::default_provider().signature_verification_algorithms,
    })
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_checks_are_equal_only_to_their_own_clones() {
        let a = IdentityCheck::new(|_, _| Box::pin(async { Ok(()) }));
        let b = IdentityCheck::new(|_, _| Box::pin(async { Ok(()) }));
        assert_eq!(a, a.clone());
        assert_ne!(a, b);
    }
}
