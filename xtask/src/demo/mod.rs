//! `xtask demo`: generates the fictional vendor ExampleAV under `testdata/demo/`.
//!
//! Inputs (reused when present, created when missing): the TEST-ONLY keys
//! under `pki/` and `keys/`, and the engine binaries inside the committed
//! releases (rebuilt with `cc` only when missing or with `--rebuild-binaries`,
//! because another compiler version would produce other bytes). Everything
//! else is derived from them deterministically and rewritten on each run.

mod archive;
pub mod auditor_ca;
mod cmssig;
mod content;
pub mod customers;
mod elf;
mod pem;
mod pki;
mod sign;
pub mod tlog;
mod tree;

use std::path::{Path, PathBuf};

use time::macros::datetime;

use archive::{Meta, Order};
use content::Version;
use tree::{Tree, read_optional, write_file, write_tree};

use crate::{Result, err};

pub use elf::Tamper;
pub use sign::pae;

/// mtime of the PKI and key files (unix seconds): 2026-01-01T00:00:00Z.
pub const KEYS_EPOCH: i64 = datetime!(2026-01-01 00:00:00 UTC).unix_timestamp();
/// Release time of 1.0.0: every member mtime, gzip MTIME and zip DOS time.
pub const EPOCH_1_0: i64 = datetime!(2026-03-02 09:00:00 UTC).unix_timestamp();
/// Release time of 1.1.0.
pub const EPOCH_1_1: i64 = datetime!(2026-06-15 09:00:00 UTC).unix_timestamp();
/// Time of the independent rebuild of 1.1.0.
pub const EPOCH_REBUILD: i64 = datetime!(2026-11-20 16:45:12 UTC).unix_timestamp();

/// What to generate and where.
#[derive(Clone, Debug)]
pub struct Options {
    /// The demo directory (normally `testdata/demo`).
    pub out: PathBuf,
    /// Recompile the engine binaries with `cc` even if committed ones exist.
    pub rebuild_binaries: bool,
}

/// What a run did, for the operator.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Human-readable notes (keys created, binaries rebuilt, ...).
    pub notes: Vec<String>,
    /// Where the tampered engine differs from the vendor's.
    pub tamper: Tamper,
}

/// The engine binaries inside the committed releases (inputs of the generator).
pub const BINARY_FILES: [&str; 3] = [
    "releases/exampleav-1.0.0/engine/avengine",
    "releases/exampleav-1.1.0/engine/avengine",
    "releases/exampleav-1.0.0/engine/libscan.so",
];

/// Every input file of the generator (relative to the demo directory): with
/// these present, a run creates nothing new and needs neither `cc` nor `openssl`.
pub fn input_files() -> Vec<&'static str> {
    let mut files: Vec<&str> = pki::KEY_FILES.iter().map(|(_, rel)| *rel).collect();
    files.push(sign::ED25519_KEY_FILE);
    files.push(customers::AUDITOR_KEY_FILE);
    files.extend(BINARY_FILES);
    files
}

/// Generated top-level directories, removed and rewritten on each run.
const GENERATED_DIRS: [&str; 7] = [
    "releases",
    "rebuild",
    "tampered",
    tlog::LOG_DIR,
    tlog::TARGETED_DIR,
    customers::PUBLISHED_DIR,
    customers::CUSTOMERS_DIR,
];

/// The vendor's own archive metadata: root-owned, sorted, no zip extras.
fn vendor_meta(mtime: i64) -> Meta {
    Meta {
        mtime,
        uid: 0,
        gid: 0,
        uname: "root",
        gname: "root",
        order: Order::Sorted,
        zip_unix_extras: false,
    }
}

/// The independent rebuild's archive metadata: another time, a build user,
/// reversed member order, Info-ZIP extra fields.
fn rebuild_meta() -> Meta {
    Meta {
        mtime: EPOCH_REBUILD,
        uid: 1000,
        gid: 1000,
        uname: "builder",
        gname: "builder",
        order: Order::Reversed,
        zip_unix_extras: true,
    }
}

/// Regenerates the whole demo vendor under `opts.out`.
pub fn generate(opts: &Options) -> Result<Summary> {
    let out = &opts.out;
    let mut notes = Vec::new();

    let mut rsa_keys: [String; 4] = Default::default();
    for (slot, (_, rel)) in rsa_keys.iter_mut().zip(pki::KEY_FILES) {
        *slot = pki::load_or_create_rsa_key(out, rel, &mut notes)?;
    }
    let bins = load_or_build_binaries(out, opts.rebuild_binaries, &mut notes)?;
    let pki = pki::build(&rsa_keys)?;
    let keys = sign::Keys::load(out, &pki, &mut notes)?;

    // Everything is made in memory first, so a failure leaves the old tree
    // (and the committed binaries inside it) in place.
    let v10 = content::payload(Version::V1_0, &bins);
    let v11 = content::payload(Version::V1_1, &bins);
    let signed10 = sign::sign_release(&v10, Version::V1_0.as_str(), EPOCH_1_0, &keys)?;
    let signed11 = sign::sign_release(&v11, Version::V1_1.as_str(), EPOCH_1_1, &keys)?;

    // The tampered release keeps the vendor's signatures over the original.
    let (tampered_engine, tamper) = elf::tamper(v11.data("engine/avengine")?)?;
    let mut tampered = signed11.clone();
    tampered.put("engine/avengine", tampered_engine, 0o755);

    for (name, ck) in [
        ("root", &pki.root),
        ("intermediate", &pki.intermediate),
        ("codesign", &pki.codesign),
        ("tsa", &pki.tsa),
    ] {
        let text = pem::encode("CERTIFICATE", &ck.cert_der);
        write_file(
            &out.join(format!("pki/{name}.pem")),
            text.as_bytes(),
            0o644,
            KEYS_EPOCH,
        )?;
    }

    for dir in GENERATED_DIRS {
        let path = out.join(dir);
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .map_err(|e| err(format!("removing {}: {e}", path.display())))?;
        }
    }
    let meta10 = vendor_meta(EPOCH_1_0);
    let meta11 = vendor_meta(EPOCH_1_1);
    write_release(out, "releases", Version::V1_0, &signed10, &meta10)?;
    write_release(out, "releases", Version::V1_1, &signed11, &meta11)?;
    // The rebuild carries only the unsigned payload.
    write_release(out, "rebuild", Version::V1_1, &v11, &rebuild_meta())?;
    write_release(out, "tampered", Version::V1_1, &tampered, &meta11)?;
    // The transparency log of the releases, and its fork for one customer.
    tlog::build(out)?;
    // The auditor's CA (before the published report, which embeds the
    // chain), the auditor's published bundle and two customers' machines.
    auditor_ca::build(out)?;
    customers::build(out, &signed11, &tampered, EPOCH_1_1)?;

    Ok(Summary { notes, tamper })
}

/// Writes `<group>/exampleav-<v>/`, `.tar.gz` and `.zip`.
fn write_release(out: &Path, group: &str, v: Version, tree: &Tree, meta: &Meta) -> Result<()> {
    let name = format!("exampleav-{}", v.as_str());
    let base = out.join(group).join(&name);
    write_tree(&base, tree, meta.mtime)?;
    for (ext, bytes) in [
        ("tar.gz", archive::tar_gz(tree, meta)?),
        ("zip", archive::zip(tree, meta)?),
    ] {
        let path = out.join(group).join(format!("{name}.{ext}"));
        write_file(&path, &bytes, 0o644, meta.mtime)?;
    }
    let ft = filetime::FileTime::from_unix_time(meta.mtime, 0);
    filetime::set_file_mtime(out.join(group), ft)
        .map_err(|e| err(format!("setting mtime of {group}: {e}")))
}

fn load_or_build_binaries(
    out: &Path,
    rebuild: bool,
    notes: &mut Vec<String>,
) -> Result<elf::Binaries> {
    if !rebuild {
        let mut found = Vec::new();
        for rel in BINARY_FILES {
            match read_optional(&out.join(rel))? {
                Some(data) => {
                    elf::check_elf(rel, &data)?;
                    found.push(data);
                }
                None => break,
            }
        }
        if let Ok([a10, a11, lib]) = <[Vec<u8>; 3]>::try_from(found) {
            return Ok(elf::Binaries {
                avengine_1_0: a10,
                avengine_1_1: a11,
                libscan: lib,
            });
        }
        notes.push("engine binaries missing: compiling them with cc".to_string());
    }
    let scratch = std::env::temp_dir().join(format!("xtask-demo-cc-{}", std::process::id()));
    let built = elf::compile(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let built = built?;
    notes.push("compiled engine binaries with cc".to_string());
    Ok(built)
}
