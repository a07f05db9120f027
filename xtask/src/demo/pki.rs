//! ExampleAV's PKI: root CA, code-signing intermediate CA, code-signing leaf,
//! and a timestamping authority under the root (RFC 5280 profiles).
//!
//! Keys are RSA-3072 (made once with `openssl genpkey`, committed as
//! TEST-ONLY). Certificates are regenerated on every run; with RSA PKCS#1
//! v1.5 signatures, fixed serials and fixed validity they come out
//! byte-identical.

use std::path::Path;
use std::process::Command;

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber, date_time_ymd,
};
use ring::digest::{SHA256, digest};

use super::pem;
use super::tree::read_optional;
use crate::{Result, err};

/// A certificate with its private key.
pub struct CertKey {
    /// DER of the certificate.
    pub cert_der: Vec<u8>,
    /// PKCS#8 DER of the private key.
    pub key_pkcs8: Vec<u8>,
}

/// The vendor PKI.
pub struct Pki {
    /// Self-signed root CA.
    pub root: CertKey,
    /// Code-signing intermediate CA (pathLen 0), issued by the root.
    pub intermediate: CertKey,
    /// Code-signing leaf (EKU codeSigning), issued by the intermediate.
    pub codesign: CertKey,
    /// Timestamping authority (EKU timeStamping, critical), issued by the root.
    pub tsa: CertKey,
}

/// The PKI key files, relative to the demo directory: (role, path).
pub const KEY_FILES: [(&str, &str); 4] = [
    ("root", "pki/TEST-ONLY-root.key"),
    ("intermediate", "pki/TEST-ONLY-intermediate.key"),
    ("codesign", "pki/TEST-ONLY-codesign.key"),
    ("tsa", "pki/TEST-ONLY-tsa.key"),
];

/// Reads the RSA key of `rel` under `out`, or makes one with
/// `openssl genpkey` (writing it) if it is missing. Returns the PEM text.
pub fn load_or_create_rsa_key(out: &Path, rel: &str, notes: &mut Vec<String>) -> Result<String> {
    let path = out.join(rel);
    if let Some(data) = read_optional(&path)? {
        return String::from_utf8(data).map_err(|_| err(format!("{rel} is not PEM text")));
    }
    let output = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:3072",
        ])
        .output()
        .map_err(|e| err(format!("running openssl to create {rel}: {e}")))?;
    if !output.status.success() {
        return Err(err(format!(
            "openssl genpkey for {rel} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let text = String::from_utf8(output.stdout).map_err(|_| err("openssl printed non-UTF-8"))?;
    super::tree::write_file(&path, text.as_bytes(), 0o644, super::KEYS_EPOCH)?;
    notes.push(format!("created new TEST-ONLY key {rel}"));
    Ok(text)
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "DE");
    dn.push(DnType::OrganizationName, "ExampleAV GmbH");
    dn.push(DnType::CommonName, cn);
    dn
}

/// A fixed, positive, 16-byte serial derived from the role name.
fn serial(role: &str) -> SerialNumber {
    let mut s =
        digest(&SHA256, format!("ExampleAV serial {role}").as_bytes()).as_ref()[..16].to_vec();
    s[0] = (s[0] & 0x7f) | 0x10;
    SerialNumber::from(s)
}

fn params(role: &str, cn: &str, years: (i32, i32)) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.serial_number = Some(serial(role));
    p.not_before = date_time_ymd(years.0, 1, 1);
    p.not_after = date_time_ymd(years.1, 1, 1);
    p.use_authority_key_identifier_extension = true;
    p
}

fn key_pair(role: &str, pem_text: &str) -> Result<(KeyPair, Vec<u8>)> {
    let der = pem::decode("PRIVATE KEY", pem_text)?;
    let key = KeyPair::from_pem(pem_text).map_err(|e| err(format!("{role} key: {e}")))?;
    if key.algorithm() != &rcgen::PKCS_RSA_SHA256 {
        return Err(err(format!("{role} key is not an RSA key")));
    }
    Ok((key, der))
}

/// Builds the PKI from the four PEM keys (root, intermediate, codesign, tsa).
pub fn build(keys: &[String; 4]) -> Result<Pki> {
    let (root_key, root_der) = key_pair("root", &keys[0])?;
    let (int_key, int_der) = key_pair("intermediate", &keys[1])?;
    let (leaf_key, leaf_der) = key_pair("codesign", &keys[2])?;
    let (tsa_key, tsa_der) = key_pair("tsa", &keys[3])?;

    // RFC 5280 §4.2.1.9/§4.2.1.3: CAs get cA=TRUE and keyCertSign/cRLSign.
    let mut root = params("root", "ExampleAV Root CA 2026", (2026, 2036));
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let root_cert = root.self_signed(&root_key)?;
    let root_issuer = Issuer::new(root, &root_key);

    let mut int = params(
        "intermediate",
        "ExampleAV Code Signing CA 2026",
        (2026, 2036),
    );
    int.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    int.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let int_cert = int.signed_by(&int_key, &root_issuer)?;
    let int_issuer = Issuer::new(int, &int_key);

    let mut leaf = params("codesign", "ExampleAV Release Signing", (2026, 2029));
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    let leaf_cert = leaf.signed_by(&leaf_key, &int_issuer)?;

    // RFC 3161 §2.3: the TSA certificate has exactly one EKU,
    // id-kp-timeStamping, and the extension MUST be critical. rcgen writes EKU
    // non-critical, so it goes in as a custom extension:
    // SEQUENCE { OID 1.3.6.1.5.5.7.3.8 }.
    let mut tsa = params("tsa", "ExampleAV Timestamping Authority", (2026, 2036));
    tsa.is_ca = IsCa::ExplicitNoCa;
    tsa.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    let mut eku = CustomExtension::from_oid_content(
        &[2, 5, 29, 37],
        vec![
            0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08,
        ],
    );
    eku.set_criticality(true);
    tsa.custom_extensions = vec![eku];
    let tsa_cert = tsa.signed_by(&tsa_key, &root_issuer)?;

    let pair = |cert: &rcgen::Certificate, key_pkcs8| CertKey {
        cert_der: cert.der().to_vec(),
        key_pkcs8,
    };
    Ok(Pki {
        root: pair(&root_cert, root_der),
        intermediate: pair(&int_cert, int_der),
        codesign: pair(&leaf_cert, leaf_der),
        tsa: pair(&tsa_cert, tsa_der),
    })
}
