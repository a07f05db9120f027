//! `glassbox chain`: build and validate a certificate chain, and run the
//! x509-limbo test corpus (`glassbox chain limbo`).

mod limbo;

use std::path::{Path, PathBuf};

use anyhow::Context;
use glassbox_core::x509::{
    self, Certificate, ChainFailure, Crl, PeerName, Purpose, ValidChain, ValidationOptions,
    ValidationTime,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::render::{Format, TEXT_JSON};
use crate::ui::{Outcome, Ui};

const EXAMPLES: &str = "\
Examples:
  glassbox chain vendor.pem --intermediates ca-bundle.pem --roots roots.pem
  glassbox chain leaf.der --roots root.pem --purpose timestamping --at 2024-05-01T00:00:00Z
  glassbox chain leaf.pem --roots root.pem --crl ca.crl --format json
  glassbox chain limbo limbo.json --output results.json

Exit codes: 0 valid chain, 1 invalid chain, 2 input error.
For `limbo`: 0 when no invalid chain was accepted, 1 otherwise, 2 input error.";

/// Build and validate an X.509 certificate chain (RFC 5280), or run the
/// x509-limbo corpus.
#[derive(clap::Args)]
#[command(
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Args {
    #[command(subcommand)]
    sub: Option<Sub>,

    // Boxed so that the top-level command enum stays small.
    #[command(flatten)]
    chain: Box<ChainArgs>,
}

#[derive(clap::Args)]
struct ChainArgs {
    /// The leaf certificate (PEM or DER; the first certificate of the file).
    #[arg(value_name = "LEAF", required = true)]
    leaf: Option<PathBuf>,

    /// Files of untrusted intermediate certificates (PEM or DER bundles).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    intermediates: Vec<PathBuf>,

    /// File of trusted root certificates (PEM or DER bundle).
    #[arg(long, value_name = "FILE", required = true)]
    roots: Vec<PathBuf>,

    /// What the leaf must be good for.
    #[arg(long, value_enum, default_value_t = PurposeArg::CodeSigning)]
    purpose: PurposeArg,

    /// Validation time, RFC 3339 (default: now).
    #[arg(long, value_name = "TIME")]
    at: Option<String>,

    /// CRL files (PEM or DER) to check revocation against.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    crl: Vec<PathBuf>,

    /// A DNS name, IP address or email address the leaf must certify.
    #[arg(long, value_name = "NAME")]
    peer_name: Option<String>,

    /// Output format.
    #[arg(long, default_value_t = Format::Text, value_parser = TEXT_JSON)]
    format: Format,
}

#[derive(clap::Subcommand)]
enum Sub {
    Limbo(limbo::Args),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PurposeArg {
    CodeSigning,
    Timestamping,
    ServerAuth,
    ClientAuth,
    Any,
}

impl From<PurposeArg> for Purpose {
    fn from(p: PurposeArg) -> Self {
        match p {
            PurposeArg::CodeSigning => Purpose::CodeSigning,
            PurposeArg::Timestamping => Purpose::TimeStamping,
            PurposeArg::ServerAuth => Purpose::ServerAuth,
            PurposeArg::ClientAuth => Purpose::ClientAuth,
            PurposeArg::Any => Purpose::Any,
        }
    }
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    if let Some(Sub::Limbo(a)) = args.sub {
        return limbo::run(a, ui);
    }
    let args = *args.chain;
    let leaf_path = args.leaf.as_deref().context("LEAF is required")?;
    let leaf = read_certs(leaf_path)?.remove(0);
    let mut intermediates = Vec::new();
    for p in &args.intermediates {
        intermediates.extend(read_certs(p)?);
    }
    let mut roots = Vec::new();
    for p in &args.roots {
        roots.extend(read_certs(p)?);
    }
    let mut crls = Vec::new();
    for p in &args.crl {
        let bytes = read(p)?;
        crls.extend(Crl::parse_pem_or_der(&bytes).with_context(|| p.display().to_string())?);
    }
    let time = match &args.at {
        None => ValidationTime::Now,
        Some(t) => ValidationTime::At(parse_time(t).with_context(|| format!("--at {t}"))?),
    };
    let peer_name = match &args.peer_name {
        None => None,
        Some(n) => Some(n.parse::<PeerName>().context("--peer-name")?),
    };
    let purpose: Purpose = args.purpose.into();
    let opts = ValidationOptions {
        time,
        purpose,
        crls,
        peer_name,
        ..Default::default()
    };
    let result = x509::validate(&leaf, &intermediates, &roots, &opts);
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&result_json(&result, purpose))?
        ),
        _ => print_text(&result, purpose, ui),
    }
    Ok(Outcome::from_ok(result.is_ok()))
}

fn read(p: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))
}

fn read_certs(p: &Path) -> anyhow::Result<Vec<Certificate>> {
    let bytes = read(p)?;
    x509::parse_pem_or_der_bundle(&bytes).with_context(|| p.display().to_string())
}

pub(crate) fn parse_time(t: &str) -> anyhow::Result<OffsetDateTime> {
    OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .context("not an RFC 3339 time")
}

fn fmt_time(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn cert_json(c: &Certificate, error: Option<&x509::CertError>) -> serde_json::Value {
    json!({
        "subject": c.subject().to_string(),
        "issuer": c.issuer().to_string(),
        "serial": c.serial_hex(),
        "not_before": fmt_time(c.not_before()),
        "not_after": fmt_time(c.not_after()),
        "key": key_text(c),
        "sha256": hex::encode(c.sha256_fingerprint()),
        "error": error.map(|e| json!({"check": e, "message": e.to_string()})),
    })
}

fn key_text(c: &Certificate) -> String {
    match c.public_key() {
        Ok(k) => k.to_string(),
        Err(e) => format!("(not allowed: {e})"),
    }
}

fn result_json(result: &Result<ValidChain, ChainFailure>, purpose: Purpose) -> serde_json::Value {
    match result {
        Ok(chain) => json!({
            "valid": true,
            "purpose": purpose,
            "time": fmt_time(chain.time),
            "chain": chain.certificates.iter().map(|c| cert_json(c, None)).collect::<Vec<_>>(),
            "error": null,
        }),
        Err(f) => json!({
            "valid": false,
            "purpose": purpose,
            "time": fmt_time(f.time),
            "chain": f.chain.iter().map(|l| cert_json(&l.certificate, l.error.as_ref())).collect::<Vec<_>>(),
            "error": {"check": &f.error, "message": f.to_string()},
        }),
    }
}

fn print_cert(i: usize, c: &Certificate, status: &str) {
    println!("[{i}] {}", c.subject());
    println!("    issuer:   {}", c.issuer());
    println!("    serial:   {}", c.serial_hex());
    println!(
        "    validity: {} .. {}",
        fmt_time(c.not_before()),
        fmt_time(c.not_after())
    );
    println!("    key:      {}", key_text(c));
    println!("    sha256:   {}", hex::encode(c.sha256_fingerprint()));
    println!("    check:    {status}");
}

fn print_text(result: &Result<ValidChain, ChainFailure>, purpose: Purpose, ui: &Ui) {
    match result {
        Ok(chain) => {
            for (i, c) in chain.certificates.iter().enumerate() {
                let role = if i + 1 == chain.certificates.len() {
                    "ok (trust anchor)"
                } else {
                    "ok"
                };
                print_cert(i, c, &ui.good(role));
            }
            println!(
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
                print_cert(i, &link.certificate, &status);
            }
            println!(
                "verdict: {} for {purpose} at {}: {f}",
                ui.bad("INVALID"),
                fmt_time(f.time)
            );
        }
    }
}
