//! The demo transparency log: the vendor's releases logged for everyone
//! (`log/`), and a fork of it served to one customer with the tampered
//! 1.1.0 (`log-targeted/`), so `glassbox log monitor` shows a split view.
//!
//! Deterministic: the log key comes from a fixed seed, checkpoints carry
//! no time and no cosignatures, Ed25519 signatures are deterministic
//! (RFC 8032 §5.1.6), and the tiles are a function of the entries.

use std::path::Path;

use glassbox_core::tlog::note::KeyType;
use glassbox_core::tlog::storage::LOCK_FILE;
use glassbox_core::tlog::{Log, LogSigner};

use super::tree::write_file;
use super::{KEYS_EPOCH, pem};
use crate::{Result, err};

/// The log's origin (its key name).
pub const ORIGIN: &str = "transparency.exampleav.invalid/releases";
/// The TEST-ONLY log key (PKCS#8 v1 PEM of [`SEED`]), written for people
/// who want to append to the demo log; the generator itself uses the seed.
pub const KEY_FILE: &str = "keys/TEST-ONLY-exampleav-log-ed25519.key";
/// The public log.
pub const LOG_DIR: &str = "log";
/// The fork served to one customer.
pub const TARGETED_DIR: &str = "log-targeted";
/// Name of the proof of the 1.1.0 tar.gz in each log directory.
pub const PROOF_1_1_TGZ: &str = "exampleav-1.1.0.tar.gz.tlog-proof";

/// The fixed Ed25519 seed of the TEST-ONLY log key.
const SEED: [u8; 32] = *b"ExampleAV demo log TEST-ONLY key";

/// RFC 8410 §7 PKCS#8 v1 prefix of an Ed25519 private key (the seed follows).
pub(super) const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

fn tlog_err(what: &str) -> impl Fn(glassbox_core::tlog::Error) -> crate::Error + '_ {
    move |e| err(format!("{what}: {e}"))
}

/// Builds `log/` and `log-targeted/` under `out` from the releases already
/// written there (both directories must be absent).
pub fn build(out: &Path) -> Result<()> {
    let signer = seeded_log_signer(out, ORIGIN, KEY_FILE, &SEED)?;

    let public = out.join(LOG_DIR);
    let targeted = out.join(TARGETED_DIR);
    let log = Log::create(&public, &signer).map_err(tlog_err("creating log/"))?;
    let files =
        |paths: &[&str]| -> Vec<std::path::PathBuf> { paths.iter().map(|p| out.join(p)).collect() };
    let append = |log: &Log, paths: &[&str]| -> Result<()> {
        let owned = files(paths);
        let refs: Vec<&Path> = owned.iter().map(|p| p.as_path()).collect();
        log.append_files(&signer, &refs)
            .map(|_| ())
            .map_err(tlog_err("appending"))
    };
    // Entries 0 and 1: release 1.0.0, seen by everyone.
    append(
        &log,
        &[
            "releases/exampleav-1.0.0.tar.gz",
            "releases/exampleav-1.0.0.zip",
        ],
    )?;
    // The fork: a copy of the log at size 2.
    fork_log(&public, &targeted)?;
    // Entries 2 and 3 of the public log: release 1.1.0.
    append(
        &log,
        &[
            "releases/exampleav-1.1.0.tar.gz",
            "releases/exampleav-1.1.0.zip",
        ],
    )?;
    // Entries 2 and 3 of the fork: the tampered tar.gz in place of the
    // vendor's, then the genuine zip; same size, another root.
    let fork = Log::open(&targeted).map_err(tlog_err("opening log-targeted/"))?;
    append(
        &fork,
        &[
            "tampered/exampleav-1.1.0.tar.gz",
            "releases/exampleav-1.1.0.zip",
        ],
    )?;
    for (l, dir) in [(&log, &public), (&fork, &targeted)] {
        let proof = l.prove(2).map_err(tlog_err("proving entry 2"))?;
        write_file(
            &dir.join(PROOF_1_1_TGZ),
            &proof.to_bytes(),
            0o644,
            KEYS_EPOCH,
        )?;
    }
    publish(&[&public, &targeted])
}

/// The signer of a demo log from its fixed TEST-ONLY `seed`; its PKCS#8
/// PEM is written to `key_file` for people who want to append.
pub(super) fn seeded_log_signer(
    out: &Path,
    origin: &str,
    key_file: &str,
    seed: &[u8; 32],
) -> Result<LogSigner> {
    let signer =
        LogSigner::from_seed(origin, KeyType::Ed25519, seed).map_err(tlog_err("log key"))?;
    let mut pkcs8 = PKCS8_ED25519_PREFIX.to_vec();
    pkcs8.extend_from_slice(seed);
    write_file(
        &out.join(key_file),
        pem::encode("PRIVATE KEY", &pkcs8).as_bytes(),
        0o600,
        KEYS_EPOCH,
    )?;
    Ok(signer)
}

/// Removes the logs' lock files: they only serialise appenders, and a
/// published log has none.
pub(super) fn publish(dirs: &[&Path]) -> Result<()> {
    for dir in dirs {
        let lock = dir.join(LOCK_FILE);
        if lock.exists() {
            std::fs::remove_file(&lock)
                .map_err(|e| err(format!("removing {}: {e}", lock.display())))?;
        }
    }
    Ok(())
}

/// A fork of the log in `from`: a copy of its files (not its lock) in `to`.
pub(super) fn fork_log(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| err(format!("creating {}: {e}", to.display())))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| err(format!("reading {}: {e}", from.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| err(format!("reading {}: {e}", from.display())))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        if src.is_dir() {
            fork_log(&src, &dst)?;
        } else if entry.file_name() != LOCK_FILE {
            std::fs::copy(&src, &dst)
                .map_err(|e| err(format!("copying {}: {e}", src.display())))?;
        }
    }
    Ok(())
}
