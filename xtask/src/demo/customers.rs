//! The customer side of the demo (issue 16): a published bundle — the
//! auditor's signed report of 1.1.0, the audit log it is in, cosigned by
//! two witnesses, and the witnesses' keys — and two customer machines:
//! `alice` received 1.1.0 as the vendor shipped it, `bob` received the
//! tampered 1.1.0 and is served a fork of the audit log in which the
//! tampered archive takes the place of the genuine one.
//!
//! Deterministic like the rest of the demo: the audit runs at a fixed time
//! with only the inputs check (so its bytes do not depend on how other
//! checks word their findings), the audit log key and witness keys come
//! from fixed seeds, cosignatures carry a fixed timestamp, and Ed25519 is
//! deterministic (RFC 8032 §5.1.6).

use std::path::Path;

use glassbox_core::audit::{AuditCase, SignedAudit, audit_and_sign, log_audit};
use glassbox_core::tlog::note::KeyType;
use glassbox_core::tlog::{Log, LogSigner, cosignature};

use super::KEYS_EPOCH;
use super::auditor_ca::CHAIN_FILE;
use super::tlog::{fork_log, publish, seeded_log_signer};
use super::tree::{Tree, write_file, write_tree};
use crate::{Result, err};

/// The published bundle: `log/`, `log-forked/`, `reports/`, `witnesses/`.
pub const PUBLISHED_DIR: &str = "published";
/// The customer machines: `alice/` and `bob/`.
pub const CUSTOMERS_DIR: &str = "customers";
/// Origin of the audit log (its key name).
pub const ORIGIN: &str = "audits.glassbox-demo.invalid/log";
/// The audit log's TEST-ONLY key, written for people who want to append.
pub const KEY_FILE: &str = "keys/TEST-ONLY-demo-audit-log-ed25519.key";
/// The auditor's TEST-ONLY key (an input: `auditor/README.md`).
pub const AUDITOR_KEY_FILE: &str = "auditor/TEST-ONLY-auditor.key";
/// The report's directory under `published/reports/`.
pub const REPORT_DIR: &str = "exampleav-1.1.0-2026-07-01";
/// When the auditor signed the report.
pub const REPORT_TIME: &str = "2026-07-01T12:00:00Z";
/// When the witnesses cosigned (unix seconds): 2026-07-01T13:00:00Z.
pub const COSIGN_TIME: u64 = 1_782_910_800;
/// The witnesses: name and TEST-ONLY seed.
pub const WITNESSES: [(&str, [u8; 32]); 2] = [
    (
        "witness-a.glassbox-demo.invalid",
        *b"glassbox demo witness A TEST-ONL",
    ),
    (
        "witness-b.glassbox-demo.invalid",
        *b"glassbox demo witness B TEST-ONL",
    ),
];

const SEED: [u8; 32] = *b"glassbox demo audit log TEST-ONL";

/// Maps an error to the generator's, prefixed with what was being done.
pub(super) fn e<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> crate::Error {
    move |x| err(format!("{what}: {x}"))
}

/// Builds `published/` and `customers/` under `out` from the releases
/// already written there; `genuine` and `tampered` are the 1.1.0 trees the
/// two customers installed.
pub fn build(out: &Path, genuine: &Tree, tampered: &Tree, mtime: i64) -> Result<()> {
    let signer = seeded_log_signer(out, ORIGIN, KEY_FILE, &SEED)?;
    let published = out.join(PUBLISHED_DIR);
    let log_dir = published.join("log");
    let log = Log::create(&log_dir, &signer).map_err(e("creating published/log"))?;

    // The audit, as `glassbox audit` runs it: the case file would sit in
    // published/ (paths relative to it); only the inputs check, so the
    // report binds the digest of every file of the release directory.
    let case_text = format!(
        "vendor = \"ExampleAV\"\nproduct = \"ExampleAV Engine\"\n\
         [auditor]\nname = \"Demo Auditor (TEST-ONLY)\"\norganization = \"glassbox demo\"\n\
         key = \"../{AUDITOR_KEY_FILE}\"\ncertificate = \"../{CHAIN_FILE}\"\n\
         [release]\npath = \"../releases/exampleav-1.1.0\"\nversion = \"1.1.0\"\n\
         [log]\ndir = \"log\"\nkey = \"../{KEY_FILE}\"\n"
    );
    let case = AuditCase::parse(&published.join("audit.toml"), &case_text)
        .map_err(e("the published audit case"))?;
    let SignedAudit { report, envelope } =
        audit_and_sign(&case, REPORT_TIME, &mut |_| {}).map_err(e("the audit"))?;
    if !report.passed() {
        return Err(err("the audit of releases/exampleav-1.1.0 did not pass"));
    }
    let report_dir = published.join("reports").join(REPORT_DIR);
    let envelope_path = report_dir.join("report.dsse.json");
    let json = report.to_canonical_json().map_err(e("report JSON"))?;
    write_file(
        &report_dir.join("report.json"),
        json.as_bytes(),
        0o644,
        KEYS_EPOCH,
    )?;
    write_file(
        &envelope_path,
        format!("{}\n", envelope.to_json()).as_bytes(),
        0o644,
        KEYS_EPOCH,
    )?;
    let logged = log_audit(&case, &report, &envelope_path)
        .map_err(e("logging the report"))?
        .ok_or_else(|| err("the case has no [log]"))?;
    write_file(
        &report_dir.join("report.tlog-proof"),
        &logged.proof.to_bytes(),
        0o644,
        KEYS_EPOCH,
    )?;

    // The fork: a copy of the log with the report in it. Next, everyone
    // sees the genuine 1.1.0 archive logged; bob's copy gets the tampered
    // one at the same index: same size, another root.
    let forked_dir = published.join("log-forked");
    fork_log(&log_dir, &forked_dir)?;
    let forked = Log::open(&forked_dir).map_err(e("opening published/log-forked"))?;
    for (l, file) in [
        (&log, "releases/exampleav-1.1.0.tar.gz"),
        (&forked, "tampered/exampleav-1.1.0.tar.gz"),
    ] {
        l.append_files(&signer, &[out.join(file).as_path()])
            .map_err(e("appending the 1.1.0 archive"))?;
    }

    // The witnesses cosign what they saw: the public log. They never saw
    // the fork (a witness asked would refuse it: it is not consistent with
    // the checkpoint it cosigned).
    let current = log.checkpoint().map_err(e("published/log checkpoint"))?;
    let mut note = current.note.clone();
    for (name, seed) in WITNESSES {
        let w =
            LogSigner::from_seed(name, KeyType::CosignatureV1, &seed).map_err(e("witness key"))?;
        cosignature::cosign(&mut note, &w, COSIGN_TIME).map_err(e("cosigning"))?;
        write_file(
            &published.join("witnesses").join(format!("{name}.vkey")),
            format!("{}\n", w.verifier_key()).as_bytes(),
            0o644,
            KEYS_EPOCH,
        )?;
    }
    let cosigs: Vec<_> = note
        .signatures
        .iter()
        .filter(|s| s.name != ORIGIN)
        .cloned()
        .collect();
    log.add_cosignatures(&current.note.text, &cosigs)
        .map_err(e("storing the cosignatures"))?;
    publish(&[&log_dir, &forked_dir])?;

    let customers = out.join(CUSTOMERS_DIR);
    write_tree(&customers.join("alice"), genuine, mtime)?;
    write_tree(&customers.join("bob"), tampered, mtime)?;
    Ok(())
}
