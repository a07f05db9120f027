//! `glassbox keygen` writes a 0600 PKCS#8 key and its SPKI public key that
//! core loads and verifies with.

mod common;
use common::{glassbox_cmd, keygen, stderr, succeed};

use std::process::Command;

use glassbox_core::keys::{PublicKey, SigningKey};

#[test]
fn keygen_writes_a_usable_key_pair_with_private_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    for alg in ["ed25519", "p256"] {
        let key = dir.path().join(format!("{alg}.key"));
        let out = glassbox_cmd()
            .args(["keygen", "--format", "json", "--algorithm", alg, "--out"])
            .arg(&key)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{alg}");
            let pub_meta = std::fs::metadata(dir.path().join(format!("{alg}.key.pub"))).unwrap();
            assert_eq!(pub_meta.permissions().mode() & 0o777, 0o644, "{alg}");
        }
        let private = std::fs::read_to_string(&key).unwrap();
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let signing = SigningKey::from_file(&key).unwrap();
        let public = PublicKey::from_file(&dir.path().join(format!("{alg}.key.pub"))).unwrap();
        assert_eq!(signing.key_id(), public.key_id());
        assert_eq!(report["key_id"], public.key_id());
        public.verify(b"m", &signing.sign(b"m").unwrap()).unwrap();

        // No silent overwrite: exit 2 with the file named.
        let again = glassbox_cmd()
            .args(["keygen", "--out"])
            .arg(&key)
            .output()
            .unwrap();
        assert_eq!(again.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    }
}

#[test]
fn openssl_generated_keys_load() {
    let dir = tempfile::tempdir().unwrap();
    for (alg, extra) in [
        ("ED25519", &[][..]),
        ("EC", &["-pkeyopt", "ec_paramgen_curve:P-256"][..]),
    ] {
        let key = dir.path().join(format!("{alg}.pem"));
        let st = Command::new("openssl")
            .args(["genpkey", "-algorithm", alg])
            .args(extra)
            .arg("-out")
            .arg(&key)
            .status()
            .expect("openssl CLI is installed (.ci/run)");
        assert!(st.success());
        let signing = SigningKey::from_file(&key).unwrap();
        let pubout = Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&key)
            .output()
            .unwrap();
        let public = PublicKey::from_pem_or_der(&pubout.stdout).unwrap();
        assert_eq!(public.key_id(), signing.key_id(), "{alg}");
    }
}

/// OpenSSL 3.0 refuses PKCS#8 v2 Ed25519 documents ("unsupported"): keygen
/// writes the v1 form of RFC 8410 §7, so `openssl pkey -in KEY` reads both
/// kinds of key and derives the same public key glassbox wrote.
#[test]
fn keygen_keys_load_in_openssl() {
    let dir = tempfile::tempdir().unwrap();
    for alg in ["ed25519", "p256"] {
        let key = dir.path().join(format!("{alg}.key"));
        keygen(&key, alg);
        let pubout = succeed(
            Command::new("openssl")
                .args(["pkey", "-pubout", "-in"])
                .arg(&key),
        );
        let written = std::fs::read(dir.path().join(format!("{alg}.key.pub"))).unwrap();
        assert_eq!(pubout, written, "{alg}");
        // README: the certificate request for `[auditor] certificate`.
        let csr = dir.path().join(format!("{alg}.csr"));
        succeed(
            Command::new("openssl")
                .args(["req", "-new", "-key"])
                .arg(&key)
                .args(["-subj", "/O=Example Audit/CN=Jane Auditor", "-out"])
                .arg(&csr),
        );
        // The request's self-signature verifies.
        succeed(
            Command::new("openssl")
                .args(["req", "-verify", "-noout", "-in"])
                .arg(&csr),
        );
    }
}
