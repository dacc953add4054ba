//! `ClientConfig` → the settings a client runs with: address, credentials, time limits,
//! retries and TLS. Every malformed value of a known option is an error here, at
//! construction, naming the option (the official client would fail later, or never).

use std::time::Duration;

use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::channel_options::{ChannelSettings, RawChannel};
use crate::tls::IdentityCheck;

/// The official client's defaults.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(15_000);
pub const DEFAULT_MAX_RETRIES: u32 = 3;
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(10);
pub const DEFAULT_DB: &str = "default";
/// The longest time any option may name (100 years): far beyond any real deadline, and
/// within what a `grpc-timeout` header can carry.
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 86_400);
/// What a timeout of 0 means: no limit, which the official client spells as 24 hours.
pub const NO_LIMIT: Duration = Duration::from_millis(24 * 60 * 60 * 1000);

/// `timeout` as a user may write it.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeoutInput {
    Millis(f64),
    Token(String),
}

/// PEM material: inline, or a path to read.
#[derive(Debug, Clone, Default)]
pub struct PemInput {
    pub inline: Option<Vec<u8>>,
    pub path: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RawTls {
    pub root_cert: PemInput,
    pub private_key: PemInput,
    pub cert_chain: PemInput,
    pub server_name: Option<String>,
    pub skip_cert_check: bool,
    /// `tls.verifyOptions.rejectUnauthorized`.
    pub reject_unauthorized: Option<bool>,
    /// `tls.verifyOptions.checkServerIdentity`.
    pub check_server_identity: Option<IdentityCheck>,
}

/// The options the client understands, already lifted out of the JS object.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    pub address: String,
    pub ssl: bool,
    pub token: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub database: Option<String>,
    pub timeout: Option<TimeoutInput>,
    pub max_retries: Option<f64>,
    pub retry_delay: Option<f64>,
    pub tls: Option<RawTls>,
    /// `channelOptions`, the keys that change the wire.
    pub channel: RawChannel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub ca_pem: Option<Vec<u8>>,
    /// (certificate chain, private key) for mutual TLS.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
    pub server_name: Option<String>,
    /// Neither the chain nor the name is checked (`skipCertCheck`, or
    /// `verifyOptions.rejectUnauthorized: false`).
    pub skip_cert_check: bool,
    /// Replaces the name check; runs before the connection carries a request (`tls.rs`).
    pub identity_check: Option<IdentityCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `host:port` (or `[v6]:port`), scheme stripped.
    pub authority: String,
    pub tls: Option<TlsSettings>,
    /// The `authorization` header value (base64), when credentials were given.
    pub authorization: Option<String>,
    pub database: String,
    pub timeout: Duration,
    pub max_retries: u32,
    pub retry_delay: Duration,
    pub channel: ChannelSettings,
}

impl Settings {
    pub fn from_raw(raw: &RawConfig) -> Result<Settings, String> {
        let (authority, https) = split_address(&raw.address)?;
        let timeout = match &raw.timeout {
            None => DEFAULT_TIMEOUT,
            Some(TimeoutInput::Millis(ms)) if *ms == 0.0 => DEFAULT_TIMEOUT,
            Some(TimeoutInput::Millis(ms)) => millis("timeout", *ms)?,
            Some(TimeoutInput::Token(t)) => parse_time_token(t)?,
        };
        let max_retries = match raw.max_retries {
            None => DEFAULT_MAX_RETRIES,
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 1000.0 => n as u32,
            Some(n) => {
                return Err(format!(
                    "The `maxRetries` option must be a whole number from 0 to 1000; got {n}."
                ))
            }
        };
        let retry_delay = match raw.retry_delay {
            None => DEFAULT_RETRY_DELAY,
            Some(ms) => millis("retryDelay", ms)?,
        };
        Ok(Settings {
            authority,
            tls: tls_settings(https || raw.ssl, raw.tls.as_ref())?,
            authorization: authorization(raw),
            database: raw
                .database
                .clone()
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| DEFAULT_DB.into()),
            timeout,
            max_retries,
            retry_delay,
            channel: ChannelSettings::from_raw(&raw.channel)?,
        })
    }

    /// A call's own `timeout` (ms) falls back to the client's; 0 means no limit.
    pub fn call_timeout(&self, call_ms: Option<f64>) -> Result<Duration, String> {
        let t = match call_ms {
            Some(ms) if ms != 0.0 => millis("timeout", ms)?,
            _ => self.timeout,
        };
        Ok(if t.is_zero() { NO_LIMIT } else { t })
    }
}

/// A non-negative, finite number of milliseconds.
pub fn millis(field: &str, ms: f64) -> Result<Duration, String> {
    if ms.is_finite() && ms >= 0.0 && ms <= MAX_DURATION.as_millis() as f64 {
        Ok(Duration::from_micros((ms * 1000.0) as u64))
    } else {
        Err(format!(
            "The `{field}` option must be a non-negative number of milliseconds; got {ms}."
        ))
    }
}

/// `"10s"`, `"2m"`, `"1h"`, `"1d"`, `"1w"`, `"1M"` (30 days), `"1Y"` (365 days).
/// `"0s"` is allowed and means no limit.
pub fn parse_time_token(token: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "The `timeout` option {token:?} is not a time token: write a whole number followed \
             by s, m, h, d, w, M or Y (e.g. \"10s\", \"2m\"), or a number of milliseconds."
        )
    };
    let unit = token.chars().last().ok_or_else(bad)?;
    let digits = &token[..token.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let secs_per_unit: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'M' => 30 * 86_400,
        'Y' => 365 * 86_400,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(secs_per_unit).ok_or_else(bad)?;
    if secs > MAX_DURATION.as_secs() {
        return Err(format!(
            "The `timeout` option {token:?} is longer than 100 years; \"0s\" means no limit."
        ));
    }
    Ok(Duration::from_secs(secs))
}

/// Strips `http://` / `https://` (and any `scheme://`, as the official client does) and
/// says whether the address asked for TLS.
pub fn split_address(address: &str) -> Result<(String, bool), String> {
    let trimmed = address.trim();
    let https = trimmed.starts_with("https://");
    let rest = match trimmed.find("://") {
        Some(i) => &trimmed[i + 3..],
        None => trimmed,
    };
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains(char::is_whitespace) || rest.contains('/') {
        return Err(format!(
            "The `address` option {address:?} is not an address: write host:port, e.g. \
             \"localhost:19530\" (an http:// or https:// prefix is allowed)."
        ));
    }
    // Without a port grpc-js dials 443; keep that, so both clients reach the same place.
    let has_port = match rest.rfind(']') {
        Some(end) => rest[end..].contains(':'),
        None => rest.contains(':'),
    };
    let authority = if has_port {
        rest.to_string()
    } else {
        format!("{rest}:443")
    };
    let port_ok = authority
        .rsplit(':')
        .next()
        .is_some_and(|p| p.parse::<u16>().is_ok());
    if !port_ok
        || authority
            .parse::<tonic::codegen::http::uri::Authority>()
            .is_err()
    {
        return Err(format!(
            "The `address` option {address:?} is not a valid host:port."
        ));
    }
    Ok((authority, https))
}

/// Base64 of `token`, else of `username:password` when both are set.
fn authorization(raw: &RawConfig) -> Option<String> {
    let token = raw.token.as_deref().filter(|t| !t.is_empty());
    let user = raw.username.as_deref().filter(|u| !u.is_empty());
    let pass = raw.password.as_deref().filter(|p| !p.is_empty());
    let plain = match (token, user, pass) {
        (Some(t), _, _) => t.to_string(),
        (None, Some(u), Some(p)) => format!("{u}:{p}"),
        _ => return None,
    };
    Some(base64::engine::general_purpose::STANDARD.encode(plain))
}

fn read_pem(option: &str, input: &PemInput) -> Result<Option<Vec<u8>>, String> {
    if let Some(bytes) = &input.inline {
        return Ok(Some(bytes.clone()));
    }
    match &input.path {
        None => Ok(None),
        Some(path) => std::fs::read(path)
            .map(Some)
            .map_err(|e| format!("The `tls.{option}Path` option {path:?} cannot be read: {e}.")),
    }
}

/// Every PEM block must decode, there must be at least one certificate, and each must parse
/// as X.509.
fn check_certs(name: &str, pem: &[u8]) -> Result<(), String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("The `tls.{name}` option is malformed PEM: {e}."))?;
    if certs.is_empty() {
        return Err(format!(
            "The `tls.{name}` option holds no \"-----BEGIN CERTIFICATE-----\" block."
        ));
    }
    let mut parsed = rustls::RootCertStore::empty();
    for cert in certs {
        parsed.add(cert).map_err(|e| {
            format!("The `tls.{name}` option holds a certificate that does not parse: {e}.")
        })?;
    }
    Ok(())
}

/// The key must decode and be a kind rustls can sign with.
fn check_key(pem: &[u8]) -> Result<(), String> {
    let key = PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| format!("The `tls.privateKey` option is not a PEM private key: {e}."))?;
    rustls::crypto::ring::sign::any_supported_type(&key)
        .map(|_| ())
        .map_err(|e| format!("The `tls.privateKey` option is not a usable private key: {e}."))
}

/// The official modes: `https://`/`ssl` or a root cert → one-way; a private key → mutual;
/// `skipCertCheck` → TLS without verifying the server.
fn tls_settings(wants_tls: bool, tls: Option<&RawTls>) -> Result<Option<TlsSettings>, String> {
    let Some(tls) = tls else {
        return Ok(wants_tls.then_some(TlsSettings {
            ca_pem: None,
            identity: None,
            server_name: None,
            skip_cert_check: false,
            identity_check: None,
        }));
    };
    let ca_pem = read_pem("rootCert", &tls.root_cert)?;
    let key = read_pem("privateKey", &tls.private_key)?;
    let chain = read_pem("certChain", &tls.cert_chain)?;
    for (name, pem) in [
        ("rootCert", &ca_pem),
        ("privateKey", &key),
        ("certChain", &chain),
    ] {
        if let Some(pem) = pem {
            if !String::from_utf8_lossy(pem).contains("-----BEGIN ") {
                return Err(format!(
                    "The `tls.{name}` option is not PEM (no \"-----BEGIN\" line)."
                ));
            }
        }
    }
    // A `-----BEGIN` line around garbage would only fail at the first call (as a retried
    // UNAVAILABLE "UnknownIssuer"), so parse the material now.
    if let Some(pem) = &ca_pem {
        check_certs("rootCert", pem)?;
    }
    let identity = match (chain, key) {
        (Some(c), Some(k)) => {
            check_certs("certChain", &c)?;
            check_key(&k)?;
            Some((c, k))
        }
        (None, None) => None,
        (None, Some(_)) => {
            return Err("Mutual TLS needs `tls.certChain` (or `tls.certChainPath`) \
                        together with `tls.privateKey`."
                .into())
        }
        (Some(_), None) => {
            return Err(
                "Mutual TLS needs `tls.privateKey` (or `tls.privateKeyPath`) \
                        together with `tls.certChain`."
                    .into(),
            )
        }
    };
    let on = wants_tls || ca_pem.is_some() || identity.is_some() || tls.skip_cert_check;
    Ok(on.then(|| TlsSettings {
        ca_pem,
        identity,
        server_name: tls.server_name.clone().filter(|s| !s.is_empty()),
        // As grpc-js: `rejectUnauthorized: false` accepts any chain; unlike `skipCertCheck` it
        // does not turn TLS on by itself.
        skip_cert_check: tls.skip_cert_check || tls.reject_unauthorized == Some(false),
        identity_check: tls.check_server_identity.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(address: &str) -> RawConfig {
        RawConfig {
            address: address.into(),
            ..Default::default()
        }
    }

    #[test]
    fn address_forms() {
        let s = Settings::from_raw(&raw("localhost:19530")).unwrap();
        assert_eq!(
            (s.authority.as_str(), s.tls.is_some()),
            ("localhost:19530", false)
        );
        let s = Settings::from_raw(&raw("http://127.0.0.1:1")).unwrap();
        assert_eq!(
            (s.authority.as_str(), s.tls.is_some()),
            ("127.0.0.1:1", false)
        );
        let s = Settings::from_raw(&raw("https://in01.example.com:443/")).unwrap();
        assert_eq!(
            (s.authority.as_str(), s.tls.is_some()),
            ("in01.example.com:443", true)
        );
        let s = Settings::from_raw(&raw("example.com")).unwrap();
        assert_eq!(s.authority, "example.com:443");
        let s = Settings::from_raw(&raw("[::1]:19530")).unwrap();
        assert_eq!(s.authority, "[::1]:19530");
        let mut r = raw("localhost:19530");
        r.ssl = true;
        assert!(Settings::from_raw(&r).unwrap().tls.is_some());
        for bad in [
            "",
            "   ",
            "http://",
            "a b:1",
            "host:port/path",
            "host:notaport",
        ] {
            let e = Settings::from_raw(&raw(bad)).unwrap_err();
            assert!(e.contains("`address`"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn time_tokens() {
        assert_eq!(parse_time_token("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_time_token("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_time_token("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_time_token("1d").unwrap(), Duration::from_secs(86400));
        assert_eq!(
            parse_time_token("1w").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert_eq!(parse_time_token("0s").unwrap(), Duration::ZERO);
        assert_eq!(parse_time_token("100Y").unwrap(), MAX_DURATION);
        for bad in [
            "",
            "s",
            "10",
            "10x",
            "-1s",
            "1.5s",
            " 1s",
            "ss",
            "99999999999999999999s",
            "101Y",
            "99999Y",
        ] {
            let e = parse_time_token(bad).unwrap_err();
            assert!(e.contains("`timeout`"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn timeouts_and_their_fallbacks() {
        let mut r = raw("h:1");
        assert_eq!(Settings::from_raw(&r).unwrap().timeout, DEFAULT_TIMEOUT);
        r.timeout = Some(TimeoutInput::Millis(0.0));
        assert_eq!(Settings::from_raw(&r).unwrap().timeout, DEFAULT_TIMEOUT);
        r.timeout = Some(TimeoutInput::Millis(250.0));
        let s = Settings::from_raw(&r).unwrap();
        assert_eq!(s.timeout, Duration::from_millis(250));
        assert_eq!(s.call_timeout(None).unwrap(), Duration::from_millis(250));
        assert_eq!(
            s.call_timeout(Some(0.0)).unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(
            s.call_timeout(Some(40.0)).unwrap(),
            Duration::from_millis(40)
        );
        assert!(s
            .call_timeout(Some(-1.0))
            .unwrap_err()
            .contains("`timeout`"));
        assert!(s.call_timeout(Some(f64::NAN)).is_err());
        // "0s" is no limit, which the official client sends as 24 hours.
        r.timeout = Some(TimeoutInput::Token("0s".into()));
        let s = Settings::from_raw(&r).unwrap();
        assert_eq!(s.call_timeout(None).unwrap(), NO_LIMIT);
        r.timeout = Some(TimeoutInput::Millis(-5.0));
        assert!(Settings::from_raw(&r).is_err());
    }

    #[test]
    fn retries() {
        let mut r = raw("h:1");
        let s = Settings::from_raw(&r).unwrap();
        assert_eq!(
            (s.max_retries, s.retry_delay),
            (3, Duration::from_millis(10))
        );
        r.max_retries = Some(0.0);
        r.retry_delay = Some(1.0);
        let s = Settings::from_raw(&r).unwrap();
        assert_eq!(
            (s.max_retries, s.retry_delay),
            (0, Duration::from_millis(1))
        );
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY] {
            r.max_retries = Some(bad);
            assert!(Settings::from_raw(&r).unwrap_err().contains("`maxRetries`"));
        }
        r.max_retries = None;
        r.retry_delay = Some(-1.0);
        assert!(Settings::from_raw(&r).unwrap_err().contains("`retryDelay`"));
    }

    #[test]
    fn credentials() {
        let mut r = raw("h:1");
        assert_eq!(Settings::from_raw(&r).unwrap().authorization, None);
        r.username = Some("root".into());
        assert_eq!(Settings::from_raw(&r).unwrap().authorization, None);
        r.password = Some("Milvus".into());
        let root = Some("cm9vdDpNaWx2dXM=".to_string());
        assert_eq!(Settings::from_raw(&r).unwrap().authorization, root);
        r.token = Some("tok".into());
        assert_eq!(
            Settings::from_raw(&r).unwrap().authorization.as_deref(),
            Some("dG9r")
        );
        assert_eq!(Settings::from_raw(&r).unwrap().database, "default");
        r.database = Some("books".into());
        assert_eq!(Settings::from_raw(&r).unwrap().database, "books");
    }

    #[test]
    fn tls_modes_and_bad_material() {
        let mut r = raw("h:1");
        r.tls = Some(RawTls {
            skip_cert_check: true,
            ..Default::default()
        });
        assert!(Settings::from_raw(&r).unwrap().tls.unwrap().skip_cert_check);
        // `rejectUnauthorized: false` skips the check of a TLS connection, without asking for one.
        r.tls = Some(RawTls {
            reject_unauthorized: Some(false),
            ..Default::default()
        });
        assert!(Settings::from_raw(&r).unwrap().tls.is_none());
        r.ssl = true;
        assert!(Settings::from_raw(&r).unwrap().tls.unwrap().skip_cert_check);
        r.tls = Some(RawTls {
            reject_unauthorized: Some(true),
            ..Default::default()
        });
        assert!(!Settings::from_raw(&r).unwrap().tls.unwrap().skip_cert_check);
        r.ssl = false;
        r.tls = Some(RawTls {
            root_cert: PemInput {
                path: Some("/nonexistent/ca.pem".into()),
                inline: None,
            },
            ..Default::default()
        });
        assert!(Settings::from_raw(&r)
            .unwrap_err()
            .contains("`tls.rootCertPath`"));
        r.tls = Some(RawTls {
            root_cert: PemInput {
                inline: Some(b"not a pem".to_vec()),
                path: None,
            },
            ..Default::default()
        });
        assert!(Settings::from_raw(&r).unwrap_err().contains("not PEM"));
        r.tls = Some(RawTls {
            private_key: PemInput {
                inline: Some(b"-----BEGIN PRIVATE KEY-----".to_vec()),
                path: None,
            },
            ..Default::default()
        });
        assert!(Settings::from_raw(&r).unwrap_err().contains("certChain"));
    }

    // Throwaway material from `milvus-sim gen-certs` (a test CA and a client certificate).
    const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBqzCCAVCgAwIBAgIUaQpzd0HNiHW50sbOMQNSHXCx1VowCgYIKoZIzj0EAwIw\nMjEbMBkGA1UEAwwSbWlsdnVzLXNpbSB0ZXN0IENBMRMwEQYDVQQKDAptaWx2dXMt\nc2ltMCAXDTc1MDEwMTAwMDAwMFoYDzQwOTYwMTAxMDAwMDAwWjAyMRswGQYDVQQD\nDBJtaWx2dXMtc2ltIHRlc3QgQ0ExEzARBgNVBAoMCm1pbHZ1cy1zaW0wWTATBgcq\nhkjOPQIBBggqhkjOPQMBBwNCAATig+BrYfz0iltf0mhdj9G7mczuJY+TIdN0QIEZ\nzF+ScSYa9h22A+xke79Xi4j+jzSyPNg9xRKAcm0fEtSWIcUBo0IwQDAOBgNVHQ8B\nAf8EBAMCAYYwHQYDVR0OBBYEFIQkicRy70/N7Csq2/nq8zWUbsf+MA8GA1UdEwEB\n/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAP18FWmymWS3CyMEwOZMFLl9ML/K\nbQwiyHlpS7yCXjq8AiEA/gNH7DqtIxCvAoxQs1ug4LC5g/M3Ywz5MBbkduRgd5Q=\n-----END CERTIFICATE-----\n";
    const CLIENT_CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBfTCCASSgAwIBAgIUE4Eooa/zUASRToKAHiLIaAPPSn4wCgYIKoZIzj0EAwIw\nMjEbMBkGA1UEAwwSbWlsdnVzLXNpbSB0ZXN0IENBMRMwEQYDVQQKDAptaWx2dXMt\nc2ltMCAXDTc1MDEwMTAwMDAwMFoYDzQwOTYwMTAxMDAwMDAwWjAxMRowGAYDVQQD\nDBFtaWx2dXMtc2ltLWNsaWVudDETMBEGA1UECgwKbWlsdnVzLXNpbTBZMBMGByqG\nSM49AgEGCCqGSM49AwEHA0IABPsZpuMIgtaRaAy79g75sSkPSd9Rzu054KT8NwLN\nQY1+U9VEh4E3o1mV6PVd4v2rnq6VL5EKNfOWkgchH+Rw5CKjFzAVMBMGA1UdJQQM\nMAoGCCsGAQUFBwMCMAoGCCqGSM49BAMCA0cAMEQCIDD4kl4oN9mEWcHSui4cviQi\npl+wUhW+GGzS2EwElYmBAiBu5p/TcP7N/2EI3itbf/+7bsMFfOBiXhdN4gKBOnP2\nng==\n-----END CERTIFICATE-----\n";
    const CLIENT_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxW/Aou8O6vnBq6/5\noeSD8MfLVqJllbDm+3nEPctMBfihRANCAAT7GabjCILWkWgMu/YO+bEpD0nfUc7t\nOeCk/DcCzUGNflPVRIeBN6NZlej1XeL9q56ulS+RCjXzlpIHIR/kcOQi\n-----END PRIVATE KEY-----\n";

    fn with_tls(
        root: Option<&str>,
        chain: Option<&str>,
        key: Option<&str>,
    ) -> Result<Settings, String> {
        let pem = |p: Option<&str>| PemInput {
            inline: p.map(|s| s.as_bytes().to_vec()),
            path: None,
        };
        let mut r = raw("h:1");
        r.tls = Some(RawTls {
            root_cert: pem(root),
            cert_chain: pem(chain),
            private_key: pem(key),
            ..Default::default()
        });
        Settings::from_raw(&r)
    }

    #[test]
    fn malformed_pem_is_refused_at_construction() {
        assert!(with_tls(Some(CA), None, None).unwrap().tls.is_some());
        assert!(with_tls(Some(CA), Some(CLIENT_CERT), Some(CLIENT_KEY)).is_ok());
        let garbage = "-----BEGIN CERTIFICATE-----\nzzzz\n-----END CERTIFICATE-----\n";
        let e = with_tls(Some(garbage), None, None).unwrap_err();
        assert!(
            e.contains("`tls.rootCert`") && e.contains("does not parse"),
            "{e}"
        );
        let bad_base64 = CA.replacen("\nMII", "\n!!!", 1);
        let e = with_tls(Some(&bad_base64), None, None).unwrap_err();
        assert!(
            e.contains("`tls.rootCert`") && e.contains("malformed PEM"),
            "{e}"
        );
        let e = with_tls(Some("-----BEGIN PRIVATE KEY-----\n"), None, None).unwrap_err();
        assert!(e.contains("`tls.rootCert`"), "{e}");
        let e = with_tls(None, Some(garbage), Some(CLIENT_KEY)).unwrap_err();
        assert!(e.contains("`tls.certChain`"), "{e}");
        let e = with_tls(None, Some(CLIENT_CERT), Some(CA)).unwrap_err();
        assert!(e.contains("`tls.privateKey`"), "{e}");
        let bad_key = "-----BEGIN PRIVATE KEY-----\nzzzz\n-----END PRIVATE KEY-----\n";
        let e = with_tls(None, Some(CLIENT_CERT), Some(bad_key)).unwrap_err();
        assert!(
            e.contains("`tls.privateKey`") && e.contains("usable"),
            "{e}"
        );
    }
}
