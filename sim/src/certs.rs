//! `milvus-sim gen-certs --out DIR`: throwaway certificates for TLS tests.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn named(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "milvus-sim");
    params.distinguished_name = dn;
    params
}

/// Writes ca.pem/ca.key, server.pem/.key (SAN localhost + 127.0.0.1), server-nosan.pem/.key
/// (CN `localhost` only) and client.pem/.key (for mutual TLS), all signed by the CA.
pub fn generate(out: &Path) -> Result<(), BoxError> {
    std::fs::create_dir_all(out)?;
    let write = |name: &str, text: String| std::fs::write(out.join(name), text);

    let mut ca_params = named("milvus-sim test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate()?;
    let ca_key_pem = ca_key.serialize_pem();
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key)?;
    write("ca.pem", ca.pem())?;
    write("ca.key", ca_key_pem)?;

    let leaf = |file: &str, params: CertificateParams| -> Result<(), BoxError> {
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &ca)?;
        write(&format!("{file}.pem"), cert.pem())?;
        write(&format!("{file}.key"), key.serialize_pem())?;
        Ok(())
    };

    let mut server = named("localhost");
    server.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into()?),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    ];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf("server", server)?;

    let mut nosan = named("localhost");
    nosan.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf("server-nosan", nosan)?;

    let mut client = named("milvus-sim-client");
    client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    leaf("client", client)?;
    Ok(())
}
