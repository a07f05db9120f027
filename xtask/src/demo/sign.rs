//! The vendor's signatures over a release, placed next to what they sign:
//!
//! - `engine/avengine.p7s`, `engine/libscan.so.p7s`: detached CMS by the
//!   code-signing leaf, with an RFC 3161 timestamp token;
//! - `SHA256SUMS` over every payload file, and `SHA256SUMS.p7s` (CMS, same);
//! - `signatures/daily.cvd.sig`: raw Ed25519 over `signatures/daily.cvd`
//!   with the pinned release key;
//! - `exampleav-<v>.intoto.jsonl`: a DSSE envelope (Ed25519, same key) over
//!   an in-toto Statement v1 whose subjects are the payload files.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::digest::{SHA256, digest};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::cmssig::{Signer, sign_detached};
use super::pem;
use super::pki::Pki;
use super::tree::{Tree, read_optional, write_file};
use crate::{Result, err};

/// The TEST-ONLY Ed25519 release key, relative to the demo directory.
pub const ED25519_KEY_FILE: &str = "keys/TEST-ONLY-exampleav-release-ed25519.key";
/// Its public key (SPKI PEM), the key an auditor pins.
pub const ED25519_PUB_FILE: &str = "keys/exampleav-release-ed25519.pub.pem";

/// Files that get a per-file CMS signature `<file>.p7s`.
const CMS_SIGNED: [&str; 2] = ["engine/avengine", "engine/libscan.so"];
/// The file that gets a raw Ed25519 signature `<file>.sig`.
const RAW_SIGNED: &str = "signatures/daily.cvd";
/// DSSE payload type of an in-toto Statement.
const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The vendor's signing material.
pub struct Keys {
    code: Signer,
    tsa: Signer,
    ed25519: Ed25519KeyPair,
    ed25519_spki: Vec<u8>,
}

/// SubjectPublicKeyInfo of an Ed25519 public key (RFC 8410 §4).
fn ed25519_spki(public: &[u8]) -> Vec<u8> {
    let mut spki = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    spki.extend_from_slice(public);
    spki
}

/// Re-encodes ring's PKCS#8 v2 Ed25519 key (RFC 5958, with the public key)
/// as the v1 form of RFC 8410 §7, which OpenSSL 3.0 reads.
fn pkcs8_v1(v2: &[u8]) -> Result<Vec<u8>> {
    const V2_PREFIX: [u8; 16] = [
        0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    const V1_PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let seed = v2
        .strip_prefix(&V2_PREFIX[..])
        .and_then(|rest| rest.get(..32))
        .ok_or_else(|| err("unexpected PKCS#8 layout from ring"))?;
    Ok([&V1_PREFIX[..], seed].concat())
}

impl Keys {
    /// Loads the signing keys (creating the Ed25519 key if missing) and
    /// writes the Ed25519 public key file.
    pub fn load(out: &Path, pki: &Pki, notes: &mut Vec<String>) -> Result<Self> {
        let code = Signer::new(
            &pki.codesign.cert_der,
            &pki.codesign.key_pkcs8,
            &[&pki.intermediate.cert_der],
        )?;
        let tsa = Signer::new(&pki.tsa.cert_der, &pki.tsa.key_pkcs8, &[])?;
        let key_path = out.join(ED25519_KEY_FILE);
        let pkcs8 = match read_optional(&key_path)? {
            Some(text) => pem::decode(
                "PRIVATE KEY",
                std::str::from_utf8(&text).map_err(|_| err("Ed25519 key is not PEM"))?,
            )?,
            None => {
                let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                    .map_err(|_| err("generating Ed25519 key"))?;
                let v1 = pkcs8_v1(doc.as_ref())?;
                let text = pem::encode("PRIVATE KEY", &v1);
                write_file(&key_path, text.as_bytes(), 0o644, super::KEYS_EPOCH)?;
                notes.push(format!("created new TEST-ONLY key {ED25519_KEY_FILE}"));
                v1
            }
        };
        let ed25519 = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8)
            .map_err(|e| err(format!("{ED25519_KEY_FILE}: {e}")))?;
        let ed25519_spki = ed25519_spki(ed25519.public_key().as_ref());
        write_file(
            &out.join(ED25519_PUB_FILE),
            pem::encode("PUBLIC KEY", &ed25519_spki).as_bytes(),
            0o644,
            super::KEYS_EPOCH,
        )?;
        Ok(Keys {
            code,
            tsa,
            ed25519,
            ed25519_spki,
        })
    }
}

/// The payload plus the vendor's signature files. Signing happens
/// `SIGN_LEAD` seconds before the release time; the TSA stamps 5 s later.
pub fn sign_release(payload: &Tree, version: &str, release_time: i64, keys: &Keys) -> Result<Tree> {
    const SIGN_LEAD: i64 = 1800;
    let signing_time = release_time - SIGN_LEAD;
    let stamp_time = signing_time + 5;
    let mut out = payload.clone();

    for path in CMS_SIGNED {
        let p7s = sign_detached(
            &keys.code,
            &keys.tsa,
            payload.data(path)?,
            signing_time,
            stamp_time,
        )?;
        out.put(&format!("{path}.p7s"), p7s, 0o644);
    }

    let sums: String = payload
        .files
        .iter()
        .map(|(path, f)| format!("{}  {path}\n", hex::encode(digest(&SHA256, &f.data))))
        .collect();
    let sums_p7s = sign_detached(
        &keys.code,
        &keys.tsa,
        sums.as_bytes(),
        signing_time,
        stamp_time,
    )?;
    out.put("SHA256SUMS", sums, 0o644);
    out.put("SHA256SUMS.p7s", sums_p7s, 0o644);

    let raw = keys.ed25519.sign(payload.data(RAW_SIGNED)?);
    out.put(&format!("{RAW_SIGNED}.sig"), raw.as_ref(), 0o644);

    let envelope = dsse_envelope(payload, version, release_time, keys)?;
    out.put(
        &format!("exampleav-{version}.intoto.jsonl"),
        envelope,
        0o644,
    );
    Ok(out)
}

fn rfc3339(t: i64) -> Result<String> {
    Ok(OffsetDateTime::from_unix_timestamp(t)
        .map_err(|e| err(e.to_string()))?
        .format(&Rfc3339)?)
}

/// DSSE pre-authentication encoding (DSSE protocol spec):
/// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn dsse_envelope(payload: &Tree, version: &str, release_time: i64, keys: &Keys) -> Result<Vec<u8>> {
    let subjects: Vec<_> = payload
        .files
        .iter()
        .map(|(path, f)| {
            json!({"name": path, "digest": {"sha256": hex::encode(digest(&SHA256, &f.data))}})
        })
        .collect();
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://example.invalid/exampleav/release-build/v1",
                "externalParameters": {
                    "source": format!("git+https://git.example.invalid/exampleav/engine@refs/tags/v{version}"),
                    "version": version,
                },
            },
            "runDetails": {
                "builder": {"id": "https://example.invalid/exampleav/release-builder"},
                "metadata": {
                    "invocationId": format!("exampleav-release-{version}"),
                    "startedOn": rfc3339(release_time - 3600)?,
                    "finishedOn": rfc3339(release_time - 1800)?,
                },
            },
        },
    });
    let body = serde_json::to_vec(&statement)?;
    let sig = keys.ed25519.sign(&pae(INTOTO_PAYLOAD_TYPE, &body));
    let envelope = json!({
        "payloadType": INTOTO_PAYLOAD_TYPE,
        "payload": STANDARD.encode(&body),
        "signatures": [{
            // A hint only: hex SHA-256 of the key's SubjectPublicKeyInfo DER.
            "keyid": hex::encode(digest(&SHA256, &keys.ed25519_spki)),
            "sig": STANDARD.encode(sig.as_ref()),
        }],
    });
    let mut line = serde_json::to_vec(&envelope)?;
    line.push(b'\n');
    Ok(line)
}
