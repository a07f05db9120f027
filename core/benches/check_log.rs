//! Filler for `bench/check.sh`: appends `CHECK_LOG_APPEND` leaf records of
//! made-up files to the log directory `CHECK_LOG_DIR` in one batch, signed
//! with `CHECK_LOG_KEY` (PKCS#8). One batch through [`Log::append`] is what
//! makes a 10^6-entry log take seconds, not the hours a file-per-append
//! command would.

use std::path::PathBuf;
use std::time::Instant;

use glassbox_core::tlog::key::{self, LogSigner};
use glassbox_core::tlog::leaf::LeafRecord;
use glassbox_core::tlog::storage::Log;

fn main() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    let dir = PathBuf::from(var("CHECK_LOG_DIR"));
    let n: u64 = var("CHECK_LOG_APPEND").parse().expect("CHECK_LOG_APPEND");
    let log = Log::open(&dir).expect("a log directory");
    let pem = std::fs::read(var("CHECK_LOG_KEY")).expect("the log key");
    let signer = LogSigner::from_pkcs8(log.origin(), &key::pkcs8_der(&pem).unwrap()).unwrap();
    let start = log.checkpoint().unwrap().checkpoint.size;
    // Records of other vendors' files: well-formed, never matching a report.
    let record = |i: u64| {
        LeafRecord {
            sha256: glassbox_core::digest::Sha256Digest::of(&i.to_be_bytes()),
            size: i,
            name: format!("other-vendor-{i}.tar.gz"),
        }
        .to_bytes()
    };
    let t = Instant::now();
    let a = log.append(&signer, (start..start + n).map(record)).unwrap();
    println!(
        "appended {n} entries in {:.2} s (log size {})",
        t.elapsed().as_secs_f64(),
        a.checkpoint.checkpoint.size
    );
}
