//! The demo auditor's certificate authority (TEST-ONLY): a CA that
//! certifies the auditor's report-signing key, so a third party holding
//! only `auditor/ca.pem` can check who signed a report
//! (`glassbox report verify REPORT --roots testdata/demo/auditor/ca.pem`).
//!
//! Ed25519 throughout: the CA key comes from a fixed seed and Ed25519
//! signatures are deterministic (RFC 8032 §5.1.6), so with fixed serials
//! and validity the certificates regenerate byte for byte.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber, date_time_ymd,
};

use super::customers::{AUDITOR_KEY_FILE, e};
use super::tlog::PKCS8_ED25519_PREFIX;
use super::tree::write_file;
use super::{KEYS_EPOCH, pem};
use crate::Result;

/// The CA certificate a report reader trusts (`--roots`).
pub const CA_FILE: &str = "auditor/ca.pem";
/// The CA's TEST-ONLY private key (derived from [`CA_SEED`]; written for
/// people who want to certify another demo key).
pub const CA_KEY_FILE: &str = "auditor/TEST-ONLY-auditor-ca.key";
/// The auditor's chain for `[auditor] certificate`: the leaf certifying
/// `auditor/TEST-ONLY-auditor.key` (the CA is the root, so not included).
pub const CHAIN_FILE: &str = "auditor/chain.pem";
/// Every file this module writes.
pub const FILES: [&str; 3] = [CA_FILE, CA_KEY_FILE, CHAIN_FILE];

const CA_SEED: [u8; 32] = *b"glassbox demo auditor CA TEST-ON";

fn params(cn: &str, serial: u8) -> CertificateParams {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "glassbox demo");
    dn.push(DnType::CommonName, cn);
    let mut p = CertificateParams::default();
    p.distinguished_name = dn;
    p.serial_number = Some(SerialNumber::from(vec![0x10, serial]));
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2036, 1, 1);
    p.use_authority_key_identifier_extension = true;
    p
}

/// Writes the CA certificate, its key, and the auditor's leaf under `out`.
pub fn build(out: &Path) -> Result<()> {
    let mut ca_pkcs8 = PKCS8_ED25519_PREFIX.to_vec();
    ca_pkcs8.extend_from_slice(&CA_SEED);
    let ca_pem = pem::encode("PRIVATE KEY", &ca_pkcs8);
    let ca_key = KeyPair::from_pem(&ca_pem).map_err(e("auditor CA key"))?;
    let auditor_pem = std::fs::read_to_string(out.join(AUDITOR_KEY_FILE))
        .map_err(e("reading the auditor key"))?;
    let auditor_key = KeyPair::from_pem(&auditor_pem).map_err(e("auditor key"))?;

    // RFC 5280 §4.2.1.9/§4.2.1.3: the CA asserts cA and keyCertSign.
    let mut ca = params("glassbox Demo Auditor CA (TEST-ONLY)", 1);
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca
        .self_signed(&ca_key)
        .map_err(e("auditor CA certificate"))?;
    let issuer = Issuer::new(ca, &ca_key);

    // A report-signing leaf: digitalSignature and no extendedKeyUsage
    // (RFC 5280 §4.2.1.12: any purpose), which `report verify --roots`
    // accepts for document signing.
    let mut leaf = params("Demo Auditor (TEST-ONLY)", 2);
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let leaf_cert = leaf
        .signed_by(&auditor_key, &issuer)
        .map_err(e("auditor certificate"))?;

    for (rel, text, mode) in [
        (CA_FILE, pem::encode("CERTIFICATE", ca_cert.der()), 0o644),
        (CA_KEY_FILE, ca_pem, 0o600),
        (
            CHAIN_FILE,
            pem::encode("CERTIFICATE", leaf_cert.der()),
            0o644,
        ),
    ] {
        write_file(&out.join(rel), text.as_bytes(), mode, KEYS_EPOCH)?;
    }
    Ok(())
}
