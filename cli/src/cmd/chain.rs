//! `glassbox chain`: build and validate a certificate chain, and run the
//! x509-limbo test corpus (`glassbox chain limbo`).

mod limbo;

use std::path::{Path, PathBuf};

use anyhow::Context;
use glassbox_core::x509::{
    self, Certificate, Crl, PeerName, Purpose, ValidationOptions, ValidationTime,
};
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
    crate::render::chain::chain(&result, purpose, args.format, ui)?;
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
