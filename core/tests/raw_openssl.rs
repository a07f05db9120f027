//! Interop: raw detached signatures made by the `openssl` CLI at test time
//! verify with core::sig::raw; one flipped bit in the artifact or the
//! signature fails with a precise reason.

mod common;
use common::{openssl_key_pair, openssl_sign_raw, run};

use std::path::Path;

use glassbox_core::keys::{PublicKey, SignatureScheme};
use glassbox_core::sig::raw::{self, RawError};

/// Generates `name.pem` and returns its public key as loaded by glassbox.
fn genkey(dir: &Path, name: &str, genpkey: &[&str]) -> PublicKey {
    let pubfile = format!("{name}.pub");
    openssl_key_pair(dir, &format!("{name}.pem"), &pubfile, genpkey);
    PublicKey::from_file(&dir.join(pubfile)).unwrap()
}

/// A fresh RSA key of `bits` from openssl; its public key as DER
/// SubjectPublicKeyInfo, also written to `NAME.der` in `dir`.
fn rsa_public_der(dir: &Path, name: &str, bits: u32) -> Vec<u8> {
    let (key, der) = (format!("{name}.pem"), format!("{name}.der"));
    let bits = format!("rsa_keygen_bits:{bits}");
    run(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &bits,
            "-out",
            &key,
        ],
        dir,
    );
    run(
        "openssl",
        &[
            "pkey", "-in", &key, "-pubout", "-outform", "DER", "-out", &der,
        ],
        dir,
    );
    std::fs::read(dir.join(der)).unwrap()
}

/// `openssl dgst -DIGEST EXTRA -sign KEY -out SIG artifact.bin` in `dir`.
fn dgst_sign(dir: &Path, key: &str, digest: &str, extra: &[&str], sig: &str) {
    let digest = format!("-{digest}");
    let mut args = vec!["dgst", digest.as_str()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-sign", key, "-out", sig, "artifact.bin"]);
    run("openssl", &args, dir);
}

fn flip(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[bit / 8] ^= 1 << (bit % 8);
    v
}

/// Verifies `sig` over the artifact, then the same with one bit flipped in
/// the artifact and in the signature; checks the reasons.
fn check(dir: &Path, key: &PublicKey, sig_file: &str, expect: SignatureScheme) {
    let artifact = std::fs::read(dir.join("artifact.bin")).unwrap();
    let sig = std::fs::read(dir.join(sig_file)).unwrap();
    let ok = raw::verify(&artifact, &sig, key, None).unwrap_or_else(|e| panic!("{sig_file}: {e}"));
    assert_eq!(ok.scheme, expect, "{sig_file}");
    assert!(!ok.base64_encoded);
    // Pinned to the right scheme: verifies; pinned to another: fails.
    raw::verify(&artifact, &sig, key, Some(expect)).unwrap();
    for other in key.schemes().filter(|s| *s != expect) {
        let err = raw::verify(&artifact, &sig, key, Some(other));
        assert!(err.is_err(), "{sig_file} under {other}");
    }

    let bad_artifact = flip(&artifact, 8 * 1000 + 3);
    match raw::verify(&bad_artifact, &sig, key, None).unwrap_err() {
        RawError::Mismatch {
            artifact_sha256,
            source,
        } => {
            assert_eq!(
                artifact_sha256,
                glassbox_core::digest::Sha256Digest::of(&bad_artifact).to_hex()
            );
            assert!(source.to_string().contains(&key.key_id()), "{source}");
        }
        other => panic!("{sig_file}: flipped artifact: {other}"),
    }
    for bit in [0, sig.len() * 4, sig.len() * 8 - 1] {
        let err = raw::verify(&artifact, &flip(&sig, bit), key, None).unwrap_err();
        assert!(
            matches!(
                err,
                RawError::Mismatch { .. } | RawError::MalformedSignature { .. }
            ),
            "{sig_file} bit {bit}: {err}"
        );
    }
}

#[test]
fn openssl_rsa_pkcs1_and_pss_signatures_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("artifact.bin"), vec![0x5au8; 300_000]).unwrap();
    for bits in [2048, 3072, 4096] {
        let name = format!("rsa{bits}");
        let bits_opt = format!("rsa_keygen_bits:{bits}");
        let key = genkey(dir, &name, &["-algorithm", "RSA", "-pkeyopt", &bits_opt]);
        let keyfile = format!("{name}.pem");
        for (hash, pkcs1, pss) in [
            (
                "sha256",
                SignatureScheme::RsaPkcs1Sha256,
                SignatureScheme::RsaPssSha256,
            ),
            (
                "sha384",
                SignatureScheme::RsaPkcs1Sha384,
                SignatureScheme::RsaPssSha384,
            ),
            (
                "sha512",
                SignatureScheme::RsaPkcs1Sha512,
                SignatureScheme::RsaPssSha512,
            ),
        ] {
            let sig = format!("{name}-{hash}.sig");
            dgst_sign(dir, &keyfile, hash, &[], &sig);
            check(dir, &key, &sig, pkcs1);
            let sig = format!("{name}-{hash}-pss.sig");
            let pss_opts = [
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:digest",
            ];
            dgst_sign(dir, &keyfile, hash, &pss_opts, &sig);
            check(dir, &key, &sig, pss);
        }
    }
}

#[test]
fn openssl_ecdsa_and_ed25519_signatures_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("artifact.bin"),
        b"vendor update 1.2.3\n".repeat(200),
    )
    .unwrap();
    for (name, curve, hash, scheme) in [
        ("p256", "P-256", "sha256", SignatureScheme::EcdsaP256Sha256),
        ("p384", "P-384", "sha384", SignatureScheme::EcdsaP384Sha384),
    ] {
        let curve = format!("ec_paramgen_curve:{curve}");
        let key = genkey(dir, name, &["-algorithm", "EC", "-pkeyopt", &curve]);
        let sig = format!("{name}.sig");
        dgst_sign(dir, &format!("{name}.pem"), hash, &[], &sig);
        check(dir, &key, &sig, scheme);
    }
    let ed = genkey(dir, "ed", &["-algorithm", "ED25519"]);
    openssl_sign_raw(dir, "ed.pem", "artifact.bin", "ed.sig");
    check(dir, &ed, "ed.sig", SignatureScheme::Ed25519);
}

#[test]
fn key_from_an_openssl_certificate_and_base64_signature_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("artifact.bin"), b"payload").unwrap();
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "leaf.pem",
            "-subj",
            "/CN=Vendor Release Signing",
            "-days",
            "30",
            "-outform",
            "DER",
            "-out",
            "leaf.der",
        ],
        dir,
    );
    dgst_sign(dir, "leaf.pem", "sha256", &[], "sig.bin");
    run(
        "openssl",
        &["base64", "-in", "sig.bin", "-out", "sig.b64"],
        dir,
    );
    let key =
        PublicKey::from_certificate_der(&std::fs::read(dir.join("leaf.der")).unwrap()).unwrap();
    let v = raw::verify_file(
        &dir.join("artifact.bin"),
        &dir.join("sig.b64"),
        &key,
        None,
        1 << 20,
    )
    .unwrap();
    assert!(v.base64_encoded);
    let err = raw::verify_file(
        &dir.join("artifact.bin"),
        &dir.join("sig.b64"),
        &key,
        None,
        3,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("larger than the 3-byte limit"),
        "{err}"
    );
}

#[test]
fn rsa_keys_below_2048_bits_or_without_null_parameters_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    rsa_public_der(dir, "k", 1024);
    let err = PublicKey::from_file(&dir.join("k.der")).unwrap_err();
    assert!(
        matches!(
            err,
            glassbox_core::keys::KeyError::RsaKeySize { bits: 1024 }
        ),
        "{err}"
    );

    let der = rsa_public_der(dir, "k2", 2048);
    PublicKey::from_spki_der(&der).unwrap();
    // 30 82 01 22 | 30 0d 06 09 <rsaEncryption> 05 00 | 03 82 01 0f ...: drop the NULL.
    assert_eq!(&der[..6], &[0x30, 0x82, 0x01, 0x22, 0x30, 0x0d]);
    assert_eq!(&der[17..19], &[0x05, 0x00]);
    let mut no_params = vec![0x30, 0x82, 0x01, 0x20, 0x30, 0x0b];
    no_params.extend_from_slice(&der[6..17]);
    no_params.extend_from_slice(&der[19..]);
    let err = PublicKey::from_spki_der(&no_params).unwrap_err();
    assert!(err.to_string().contains("must be NULL"), "{err}");
}
