//! `glassbox chain` and `glassbox chain limbo`: the validated (or refused)
//! path, for people and as JSON (schema `core/schema/chain.v1.schema.json`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use glassbox_core::x509::{CertError, Certificate, ChainFailure, Purpose, ValidChain};
use serde::Serialize;
use time::OffsetDateTime;

use super::Format;
use crate::ui::Ui;

/// What `glassbox chain --format json` prints. Fields are in alphabetical
/// order, as the output has always had them.
#[derive(Serialize)]
pub struct ChainJson<'a> {
    /// The path, leaf first: the valid one, or the most informative one
    /// attempted.
    chain: Vec<CertJson<'a>>,
    /// Why the chain is invalid; `null` when valid.
    error: Option<ErrorJson<'a>>,
    purpose: Purpose,
    /// The validation time (RFC 3339).
    time: String,
    valid: bool,
}

#[derive(Serialize)]
struct CertJson<'a> {
    error: Option<ErrorJson<'a>>,
    issuer: String,
    key: String,
    not_after: String,
    not_before: String,
    serial: String,
    sha256: String,
    subject: String,
}

/// A failed check: its machine name and the sentence for people.
#[derive(Serialize)]
struct ErrorJson<'a> {
    check: &'a CertError,
    message: String,
}

impl<'a> ChainJson<'a> {
    pub fn new(result: &'a Result<ValidChain, ChainFailure>, purpose: Purpose) -> Self {
        match result {
            Ok(chain) => Self {
                chain: chain.certificates.iter().map(|c| cert(c, None)).collect(),
                error: None,
                purpose,
                time: fmt_time(chain.time),
                valid: true,
            },
            Err(f) => Self {
                chain: f
                    .chain
                    .iter()
                    .map(|l| cert(&l.certificate, l.error.as_ref()))
                    .collect(),
                error: Some(ErrorJson {
                    check: &f.error,
                    message: f.to_string(),
                }),
                purpose,
                time: fmt_time(f.time),
                valid: false,
            },
        }
    }
}

fn cert<'a>(c: &Certificate, error: Option<&'a CertError>) -> CertJson<'a> {
    CertJson {
        error: error.map(|e| ErrorJson {
            check: e,
            message: e.to_string(),
        }),
        issuer: c.issuer().to_string(),
        key: key_text(c),
        not_after: fmt_time(c.not_after()),
        not_before: fmt_time(c.not_before()),
        serial: c.serial_hex(),
        sha256: hex::encode(c.sha256_fingerprint()),
        subject: c.subject().to_string(),
    }
}

/// RFC 3339 to the second.
pub fn fmt_time(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn key_text(c: &Certificate) -> String {
    match c.public_key() {
        // "RSA 3072" (a space, as this command has always printed it).
        Ok(k) => match k.algorithm() {
            glassbox_core::keys::KeyAlgorithm::Rsa { bits } => format!("RSA {bits}"),
            other => other.to_string(),
        },
        Err(e) => format!("(not allowed: {e})"),
    }
}

/// Renders a `glassbox chain` result.
pub fn chain(
    result: &Result<ValidChain, ChainFailure>,
    purpose: Purpose,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<()> {
    match format {
        Format::Json => super::json(&ChainJson::new(result, purpose)),
        _ => super::stdout(&text(result, purpose, ui)),
    }
}

fn cert_text(out: &mut String, i: usize, c: &Certificate, status: &str) {
    let _ = writeln!(out, "[{i}] {}", c.subject());
    let _ = writeln!(out, "    issuer:   {}", c.issuer());
    let _ = writeln!(out, "    serial:   {}", c.serial_hex());
    let _ = writeln!(
        out,
        "    validity: {} .. {}",
        fmt_time(c.not_before()),
        fmt_time(c.not_after())
    );
    let _ = writeln!(out, "    key:      {}", key_text(c));
    let _ = writeln!(out, "    sha256:   {}", hex::encode(c.sha256_fingerprint()));
    let _ = writeln!(out, "    check:    {status}");
}

fn text(result: &Result<ValidChain, ChainFailure>, purpose: Purpose, ui: &Ui) -> String {
    let mut out = String::new();
    match result {
        Ok(chain) => {
            for (i, c) in chain.certificates.iter().enumerate() {
                let role = if i + 1 == chain.certificates.len() {
                    "ok (trust anchor)"
                } else {
                    "ok"
                };
                cert_text(&mut out, i, c, &ui.good(role));
            }
            let _ = writeln!(
                out,
                "verdict: {} for {purpose} at {}",
                ui.good("VALID"),
                fmt_time(chain.time)
            );
        }
        Err(f) => {
            for (i, link) in f.chain.iter().enumerate() {
                let status = match &link.error {
                    Some(e) => ui.bad(&format!("FAILED: {e}")),
                    None => "ok".to_string(),
                };
                cert_text(&mut out, i, &link.certificate, &status);
            }
            let _ = writeln!(
                out,
                "verdict: {} for {purpose} at {}: {f}",
                ui.bad("INVALID"),
                fmt_time(f.time)
            );
        }
    }
    out
}

/// One case's outcome in x509-limbo's harness result format.
#[derive(Serialize)]
pub struct LimboResult {
    pub actual_result: &'static str,
    pub context: Option<String>,
    pub id: String,
}

/// x509-limbo's harness result document (its schema is limbo's, not ours).
#[derive(Serialize)]
pub struct LimboResults {
    pub harness: &'static str,
    pub results: Vec<LimboResult>,
    pub version: u32,
}

/// Per namespace: pass, false accept, false reject, skipped.
pub type LimboTally = BTreeMap<String, [usize; 4]>;

/// The `glassbox chain limbo` summary table.
pub fn limbo_table(tally: &LimboTally) -> anyhow::Result<()> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:>6} {:>13} {:>13} {:>8}",
        "namespace", "pass", "false-accept", "false-reject", "skipped"
    );
    let mut total = [0usize; 4];
    for (ns, t) in tally {
        let _ = writeln!(
            out,
            "{ns:<14} {:>6} {:>13} {:>13} {:>8}",
            t[0], t[1], t[2], t[3]
        );
        for i in 0..4 {
            total[i] += t[i];
        }
    }
    let _ = writeln!(
        out,
        "{:<14} {:>6} {:>13} {:>13} {:>8}",
        "total", total[0], total[1], total[2], total[3]
    );
    super::stdout(&out)
}
