//! Transparency-log benchmark: appends per second for one batch of
//! 1,000,000 small entries, then batches of 1,000, proof generation time at
//! 10^6 entries, and disk bytes per entry. Run with `bench/tlog.sh`.
//!
//! The log is written under $TLOG_BENCH_DIR (default: a temporary directory
//! in target/), on the real file system, with every fsync the log does.

use std::path::Path;
use std::time::Instant;

use glassbox_core::tlog::key::{self, LogSigner};
use glassbox_core::tlog::storage::Log;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn disk_usage(dir: &Path) -> (u64, u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let (mut bytes, mut blocks, mut files) = (0, 0, 0);
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        if m.is_dir() {
            let (b, k, f) = disk_usage(&e.path());
            bytes += b;
            blocks += k;
            files += f;
        } else {
            bytes += m.len();
            blocks += m.blocks() * 512;
            files += 1;
        }
    }
    (bytes, blocks, files)
}

fn main() {
    let n: u64 = std::env::var("TLOG_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let base = std::env::var_os("TLOG_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    std::fs::create_dir_all(&base).unwrap();
    let tmp = tempfile::tempdir_in(&base).unwrap();
    let dir = tmp.path().join("log");
    let signer =
        LogSigner::from_pkcs8("bench.example/log", &key::generate_pkcs8().unwrap()).unwrap();
    let log = Log::create(&dir, &signer).unwrap();

    // A "small entry": the size of a glassbox-leaf/v1 record (~120 bytes).
    let entry = |i: u64| {
        format!(
            "glassbox-leaf/v1\nsha256 {:064x}\nsize {i}\nname artifact-{i}.tar.gz\n",
            i
        )
        .into_bytes()
    };
    let t = Instant::now();
    let appended = log.append(&signer, (0..n).map(entry)).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(appended.checkpoint.checkpoint.size, n);
    println!(
        "append, one batch of {n}: {secs:.2} s = {:.0} entries/s",
        n as f64 / secs
    );

    let mut batch_times = Vec::new();
    let mut next = n;
    for _ in 0..20 {
        let t = Instant::now();
        log.append(&signer, (next..next + 1000).map(entry)).unwrap();
        batch_times.push(t.elapsed().as_secs_f64());
        next += 1000;
    }
    let m = median(batch_times);
    println!(
        "append, batches of 1000 (median of 20): {:.1} ms = {:.0} entries/s",
        m * 1e3,
        1000.0 / m
    );

    let size = next;
    let mut prove = Vec::new();
    let mut verify = Vec::new();
    let mut x = 0x9e3779b97f4a7c15u64;
    for _ in 0..1000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let idx = x % size;
        let t = Instant::now();
        let p = log.prove(idx).unwrap();
        prove.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        p.verify(&entry(idx), log.verifier_key(), &[], 0).unwrap();
        verify.push(t.elapsed().as_secs_f64());
    }
    println!(
        "inclusion proof (tlog-proof incl. checkpoint read+verify) at {size} entries, median of 1000: generate {:.1} us, verify {:.1} us",
        median(prove) * 1e6,
        median(verify) * 1e6
    );
    let mut cons = Vec::new();
    for k in 1..=200u64 {
        let old = k * (size / 201);
        let t = Instant::now();
        let p = log.consistency_proof(old, size).unwrap();
        cons.push(t.elapsed().as_secs_f64());
        assert!(!p.is_empty());
    }
    println!(
        "consistency proof to {size}, median of 200: {:.1} us",
        median(cons) * 1e6
    );
    let t = Instant::now();
    log.check().unwrap();
    println!(
        "full check (re-hash every entry and tile): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let (bytes, blocks, files) = disk_usage(&dir);
    println!(
        "disk: {files} files, {bytes} bytes = {:.1} bytes/entry ({:.1} allocated); entries alone {:.1} bytes/entry",
        bytes as f64 / size as f64,
        blocks as f64 / size as f64,
        (entry(500_000).len() + 2) as f64
    );
}
