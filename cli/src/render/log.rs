//! `glassbox log`: what each subcommand prints, for people and as JSON
//! (schemas `core/schema/log-*.v1.schema.json`). JSON keys are sorted, as
//! they have always been.

use std::net::SocketAddr;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use glassbox_core::tlog::checkpoint::SignedCheckpoint;
use glassbox_core::tlog::leaf::LeafRecord;
use glassbox_core::tlog::merkle;
use glassbox_core::tlog::monitor::MonitorReport;
use glassbox_core::tlog::note::VerifierKey;
use glassbox_core::tlog::storage::Appended;
use glassbox_core::tlog::witness::CosignReport;
use serde::Serialize;

use super::Format;
use crate::ui::Ui;

/// Prints `v` as JSON with its object keys sorted (through a JSON value,
/// whose maps are ordered): the order the log's output has always had.
fn json_sorted<T: Serialize>(v: &T) -> anyhow::Result<()> {
    super::json(&serde_json::to_value(v)?)
}

/// A signed checkpoint (C2SP tlog-checkpoint) as JSON.
#[derive(Serialize)]
pub struct CheckpointJson {
    /// Witness cosignatures that verified.
    cosignatures: Vec<CosignatureJson>,
    /// The whole signed note.
    note: String,
    origin: String,
    /// Root hash, base64 (as in the note).
    root: String,
    root_hex: String,
    size: u64,
}

#[derive(Serialize)]
struct CosignatureJson {
    name: String,
    /// Seconds since the Unix epoch; `null` for a signature type without one.
    timestamp: Option<u64>,
}

impl CheckpointJson {
    pub fn new(cp: &SignedCheckpoint) -> Self {
        Self {
            cosignatures: cp
                .cosignatures()
                .map(|c| CosignatureJson {
                    name: c.name.clone(),
                    timestamp: c.timestamp,
                })
                .collect(),
            note: String::from_utf8_lossy(&cp.to_bytes()).into_owned(),
            origin: cp.checkpoint.origin.clone(),
            root: B64.encode(cp.checkpoint.root),
            root_hex: hex::encode(cp.checkpoint.root),
            size: cp.checkpoint.size,
        }
    }
}

/// `log init`.
#[derive(Serialize)]
struct InitJson<'a> {
    dir: &'a Path,
    origin: &'a str,
    vkey: &'a str,
    vkey_file: &'a Path,
}

/// Renders `log init`: the new log's verifier key.
pub fn init(
    dir: &Path,
    origin: &str,
    vkey: &str,
    vkey_file: &Path,
    format: Format,
) -> anyhow::Result<()> {
    match format {
        Format::Json => json_sorted(&InitJson {
            dir,
            origin,
            vkey,
            vkey_file,
        }),
        _ => super::stdout(&format!("{vkey}\n")),
    }
}

/// One entry `log append` added.
#[derive(Serialize)]
struct AppendedEntryJson<'a> {
    file: &'a Path,
    index: u64,
    leaf_hash: String,
    record: &'a LeafRecord,
}

#[derive(Serialize)]
struct AppendJson<'a> {
    checkpoint: CheckpointJson,
    entries: Vec<AppendedEntryJson<'a>>,
}

/// Renders `log append`: each new entry and the checkpoint published.
pub fn append(
    files: &[std::path::PathBuf],
    records: &[LeafRecord],
    appended: &Appended,
    format: Format,
) -> anyhow::Result<()> {
    let cp = &appended.checkpoint;
    let entries = files
        .iter()
        .zip(records)
        .zip(&appended.leaf_hashes)
        .enumerate()
        .map(|(i, ((f, r), h))| (appended.first_index + i as u64, f, r, h));
    match format {
        Format::Json => json_sorted(&AppendJson {
            checkpoint: CheckpointJson::new(cp),
            entries: entries
                .map(|(index, file, record, h)| AppendedEntryJson {
                    file,
                    index,
                    leaf_hash: hex::encode(h),
                    record,
                })
                .collect(),
        }),
        _ => {
            let mut o = String::new();
            for (index, f, r, h) in entries {
                outln!(
                    o,
                    "{index}  {}  {}  (sha256 {})",
                    hex::encode(h),
                    f.display(),
                    r.sha256
                );
            }
            outln!(
                o,
                "checkpoint: {} size {} root {}",
                cp.checkpoint.origin,
                cp.checkpoint.size,
                B64.encode(cp.checkpoint.root)
            );
            super::stdout(&o)
        }
    }
}

/// Renders `log checkpoint`: the note as published, or its fields.
pub fn checkpoint(cp: &SignedCheckpoint, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => json_sorted(&CheckpointJson::new(cp)),
        _ => super::stdout(&String::from_utf8_lossy(&cp.to_bytes())),
    }
}

#[derive(Serialize)]
struct ProofJson<'a> {
    index: u64,
    /// Where the proof was written (`--output`).
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a Path>,
    /// The proof itself, without `--output`.
    #[serde(skip_serializing_if = "Option::is_none")]
    proof: Option<String>,
    tree_size: u64,
}

/// Renders `log prove`: the proof (`bytes`), or where it was written.
pub fn proof(
    index: u64,
    tree_size: u64,
    bytes: &[u8],
    output: Option<&Path>,
    format: Format,
) -> anyhow::Result<()> {
    let proof = String::from_utf8_lossy(bytes);
    match (format, output) {
        (Format::Json, _) => json_sorted(&ProofJson {
            index,
            output,
            proof: output.is_none().then(|| proof.into_owned()),
            tree_size,
        }),
        (_, Some(p)) => super::stdout(&format!(
            "proof of entry {index} in tree of size {tree_size} written to {}\n",
            p.display()
        )),
        (_, None) => super::stdout(&proof),
    }
}

#[derive(Serialize)]
struct ProofVerifiedJson<'a> {
    checkpoint: CheckpointJson,
    index: u64,
    record: &'a Option<LeafRecord>,
    verified: bool,
}

/// Renders a `log verify-proof` that verified.
pub fn proof_verified(
    index: u64,
    cp: &SignedCheckpoint,
    record: &Option<LeafRecord>,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<()> {
    match format {
        Format::Json => json_sorted(&ProofVerifiedJson {
            checkpoint: CheckpointJson::new(cp),
            index,
            record,
            verified: true,
        }),
        _ => {
            let what = record.as_ref().map_or("entry".to_string(), |r| {
                format!("{} (sha256 {})", r.name, r.sha256)
            });
            let cosigned = if cp.cosignatures().count() > 0 {
                format!(
                    ", cosigned by {}",
                    cp.cosignatures()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            };
            super::stdout(&format!(
                "{} {what} is entry {index} of {} at tree size {}{cosigned}\n",
                ui.good("ok:"),
                cp.checkpoint.origin,
                cp.checkpoint.size,
            ))
        }
    }
}

#[derive(Serialize)]
struct ProofFailedJson<'a> {
    index: u64,
    reason: &'a str,
    verified: bool,
}

/// Renders a `log verify-proof` that did not verify, and why.
pub fn proof_failed(index: u64, reason: &str, format: Format, ui: &Ui) -> anyhow::Result<()> {
    match format {
        Format::Json => json_sorted(&ProofFailedJson {
            index,
            reason,
            verified: false,
        }),
        _ => super::stdout(&format!("{} {reason}\n", ui.bad("FAILED:"))),
    }
}

#[derive(Serialize)]
struct ConsistentJson {
    consistent: bool,
    new_size: u64,
    old_size: u64,
    /// The consistency proof's hashes (RFC 9162 §2.1.4), base64.
    proof: Vec<String>,
}

/// Renders a `log consistency` that holds.
pub fn consistent(
    old_size: u64,
    new_size: u64,
    proof: &[merkle::Hash],
    format: Format,
    ui: &Ui,
) -> anyhow::Result<()> {
    match format {
        Format::Json => json_sorted(&ConsistentJson {
            consistent: true,
            new_size,
            old_size,
            proof: proof.iter().map(|h| B64.encode(h)).collect(),
        }),
        _ => super::stdout(&format!(
            "{} tree size {old_size} is a prefix of tree size {new_size} ({} proof hashes)\n",
            ui.good("consistent:"),
            proof.len()
        )),
    }
}

#[derive(Serialize)]
struct InconsistentJson<'a> {
    consistent: bool,
    reason: &'a str,
}

/// Renders a `log consistency` that fails, and why.
pub fn inconsistent(reason: &str, format: Format, ui: &Ui) -> anyhow::Result<()> {
    match format {
        Format::Json => json_sorted(&InconsistentJson {
            consistent: false,
            reason,
        }),
        _ => super::stdout(&format!("{} {reason}\n", ui.bad("FAILED:"))),
    }
}

/// A checkpoint `log witness` cosigned.
#[derive(Serialize)]
pub struct CosignedJson<'a> {
    pub cosigned: bool,
    /// The cosigned note.
    pub note: String,
    pub origin: &'a str,
    /// The size of the checkpoint the witness held before, if any.
    pub previous_size: Option<u64>,
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub timestamp: u64,
    pub witness_vkey: String,
}

/// Renders a cosigned checkpoint: the note on stdout, a summary on stderr.
pub fn cosigned(c: &CosignedJson, format: Format, ui: &Ui) -> anyhow::Result<()> {
    match format {
        Format::Json => json_sorted(c),
        _ => {
            ui.note(&format!(
                "cosigned {} size {} as {} (previous size {})",
                c.origin,
                c.size,
                c.witness_vkey,
                c.previous_size.map_or("none".into(), |s| s.to_string())
            ));
            super::stdout(&c.note)
        }
    }
}

#[derive(Serialize)]
struct RefusedJson<'a> {
    cosigned: bool,
    reason: &'a str,
}

/// Renders a checkpoint the witness refused to cosign, and why.
pub fn refused(reason: &str, format: Format, ui: &Ui) -> anyhow::Result<()> {
    match format {
        Format::Json => json_sorted(&RefusedJson {
            cosigned: false,
            reason,
        }),
        _ => super::stdout(&format!("{} {reason}\n", ui.bad("REFUSED:"))),
    }
}

/// `log witness --listen`: the URL on stdout (so scripts and tests can
/// read the chosen port), the key on stderr.
pub fn witness_listening(url: &str, vkey: &VerifierKey, ui: &Ui) -> anyhow::Result<()> {
    ui.note(&format!("witness {vkey} serving POST {url}add-checkpoint"));
    super::stdout(&format!("{url}\n"))
}

/// One request the witness answered, on stderr: who, what, the status, and
/// for a refusal the reason (evidence of a log's misbehaviour).
pub fn witness_request(peer: SocketAddr, method: &str, path: &str, status: u16, body: &[u8]) {
    let why = if status == 200 {
        String::new()
    } else {
        let b = String::from_utf8_lossy(&body[..body.len().min(300)]);
        format!(": {}", b.trim())
    };
    eprintln!("{peer} {method} {path} {status}{why}");
}

/// `log cosign`: per witness, cosigned or why not.
pub fn cosign(report: &CosignReport, format: Format, ui: &Ui) -> anyhow::Result<()> {
    if format == Format::Json {
        return json_sorted(report);
    }
    let mut o = String::new();
    for w in &report.witnesses {
        match &w.failure {
            None => outln!(
                o,
                "{} {} cosigned {} size {} as {}{}",
                ui.good("ok:"),
                w.url,
                report.origin,
                report.size,
                w.cosigned_by.join(", "),
                if w.retried {
                    format!(" (after a 409, from size {})", w.old_size)
                } else {
                    String::new()
                }
            ),
            Some(why) => outln!(o, "{} {}: {why}", ui.bad("FAILED:"), w.url),
        }
    }
    outln!(
        o,
        "checkpoint {} size {}: {} cosignature(s) stored{}",
        report.origin,
        report.size,
        report.stored.len(),
        if report.stored.is_empty() {
            String::new()
        } else {
            format!(" ({})", report.stored.join(", "))
        }
    );
    super::stdout(&o)
}

/// Renders `log monitor`'s report: checkpoints seen, split views found.
pub fn monitor(
    log_name: &str,
    report: &MonitorReport,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<()> {
    if format == Format::Json {
        return json_sorted(report);
    }
    let mut o = String::new();
    outln!(
        o,
        "log {}: {} checkpoint(s) verified",
        log_name,
        report.observations.len()
    );
    for ob in &report.observations {
        outln!(
            o,
            "  size {:>10}  root {}  {}",
            ob.size,
            ob.root,
            ob.place.display()
        );
    }
    for r in &report.rejected {
        outln!(
            o,
            "  {} {}: {}",
            ui.warn("ignored"),
            r.place.display(),
            r.reason
        );
    }
    for u in &report.unchecked {
        outln!(
            o,
            "  {} {}: larger than every log directory given",
            ui.warn("unchecked"),
            u.display()
        );
    }
    if report.split_views.is_empty() {
        outln!(o, "{} no split view", ui.good("ok:"));
    }
    for s in &report.split_views {
        outln!(o, "{} {}", ui.bad("SPLIT VIEW:"), s.reason);
        for ob in [&s.first, &s.second] {
            outln!(o, "--- evidence: {} (size {})", ob.place.display(), ob.size);
            o.push_str(&ob.note);
        }
    }
    super::stdout(&o)
}

/// Announces `log serve`'s URL on stdout (tests and scripts read the first
/// line to learn the port chosen for `--listen ...:0`).
pub fn serving(url: &str, dir: &Path) -> anyhow::Result<()> {
    super::stdout(&format!("serving {} at {url}\n", dir.display()))
}
