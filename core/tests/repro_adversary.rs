//! Attacks on `repro` through the restructured reader (issue 17): a
//! malicious vendor shapes the release and the sources of the rebuild so
//! that the two differ in something a customer's machine installs
//! differently, and tries to get IDENTICAL or EQUIVALENT. Every artifact
//! is built at test time.

use std::path::Path;

use glassbox_core::repro::{ReproOptions, Verdict, compare};

/// A pre-POSIX (v7) tar of one member: no magic at 257, a valid header
/// checksum. The release registry sniffs it as tar when the name ends in
/// `.tar` (before issue 17, `repro` compared it as plain bytes).
fn v7_tar(dir: &Path, name: &str, mtime: u64, uid: u64) -> std::path::PathBuf {
    let data = b"#!/bin/sh\necho tool\n";
    let mut h = tar::Header::new_old();
    h.set_path("bin/tool").unwrap();
    h.set_size(data.len() as u64);
    h.set_mode(0o755);
    h.set_mtime(mtime);
    h.set_uid(uid);
    h.set_gid(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    assert_eq!(
        &h.as_bytes()[257..265],
        &[0u8; 8],
        "a v7 header has no magic"
    );
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    let p = dir.join(name);
    std::fs::write(&p, out).unwrap();
    p
}

/// Readers disagree about a v7 header's bytes (Python's tarfile reads
/// 345..500 as a ustar prefix and 265..329 as owner names; GNU tar and the
/// tar crate do not), so no normalization may speak for any of them: an
/// mtime or owner difference in a v7 member is DIFFERENT, as it was when
/// repro compared such a file as plain bytes. The restructure's one
/// registry started reading it as tar and normalized both away.
#[test]
fn v7_tar_header_differences_are_not_normalized() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("v")).unwrap();
    std::fs::create_dir(dir.path().join("r")).unwrap();
    let vendor = v7_tar(&dir.path().join("v"), "rel.tar", 1_700_000_000, 0);
    let same = v7_tar(&dir.path().join("r"), "same.tar", 1_700_000_000, 0);
    let later = v7_tar(&dir.path().join("r"), "later.tar", 1_800_000_000, 0);
    let owner = v7_tar(&dir.path().join("r"), "owner.tar", 1_700_000_000, 1000);
    let opts = ReproOptions::default();

    // Same bytes are still identical: the v7 tar is read, not refused.
    let r = compare(&vendor, &same, &opts).unwrap();
    assert_eq!(r.verdict, Verdict::Identical, "{r:#?}");

    for rebuild in [&later, &owner] {
        let r = compare(&vendor, rebuild, &opts).unwrap();
        assert_eq!(
            r.verdict,
            Verdict::Different,
            "{}: {r:#?}",
            rebuild.display()
        );
        assert!(
            r.differences.iter().any(|d| d.path == "bin/tool"),
            "the member is named: {r:#?}"
        );
    }
}
