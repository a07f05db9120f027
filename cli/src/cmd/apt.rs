//! `glassbox apt verify`: an apt repository's chain, from the policy's
//! OpenPGP keyrings through the Release file and its indexes to `.deb`s.

use std::path::PathBuf;

use anyhow::Context as _;
use glassbox_core::apt::{self, AptInputs};
use glassbox_core::policy::TrustPolicy;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::render::{Format, TEXT_JSON};
use crate::ui::{Outcome, Ui};

/// The `apt` subcommands.
#[derive(clap::Subcommand)]
pub enum Args {
    Verify(Verify),
}

const EXAMPLES: &str = "\
Examples:
  glassbox apt verify --policy policy.toml --release InRelease \\
      --index Packages ldb-tools_2.6.2_amd64.deb
  glassbox apt verify --policy policy.toml --release Release --release-gpg Release.gpg \\
      --index main/binary-amd64/Packages.xz --at 2026-12-02T00:00:00Z --format json

The policy's [[openpgp]] keyrings are the trust anchors. An index is found
in the Release by its path (…/dists/DIST/main/binary-amd64/Packages) or,
failing that, by its file name, SHA-256 and size. Date and Valid-Until are
judged at --at, else the policy's [validation] time, else now.
Exit codes: 0 every link of the chain holds, 1 a link failed, 2 input error.";

/// Verify an apt chain: the Release file's OpenPGP signatures (InRelease,
/// or Release + Release.gpg), its Date and Valid-Until, each index against
/// the Release's SHA256 list, each .deb against its index stanza.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Verify {
    /// The trust policy (TOML) with the [[openpgp]] keyrings.
    #[arg(long)]
    policy: PathBuf,

    /// InRelease (clearsigned), or Release with --release-gpg.
    #[arg(long, value_name = "FILE")]
    release: PathBuf,

    /// Release.gpg: detached signatures over --release.
    #[arg(long, value_name = "FILE")]
    release_gpg: Option<PathBuf>,

    /// An index (Packages, Sources; plain, .gz, .xz); repeatable.
    #[arg(long = "index", value_name = "FILE")]
    indexes: Vec<PathBuf>,

    /// The validation time (RFC 3339), instead of the policy's or now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<OffsetDateTime>,

    /// Output format.
    #[arg(long, default_value_t = Format::Text, value_parser = TEXT_JSON)]
    format: Format,

    /// Packages (.deb) to check against the indexes.
    #[arg(value_name = "DEB")]
    debs: Vec<PathBuf>,
}

fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| format!("{s:?} is not an RFC 3339 time: {e}"))
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    match args {
        Args::Verify(v) => verify(v, ui),
    }
}

fn verify(args: Verify, ui: &Ui) -> anyhow::Result<Outcome> {
    let policy = TrustPolicy::load(&args.policy)?;
    let inputs = AptInputs {
        release: args.release,
        release_gpg: args.release_gpg,
        indexes: args.indexes,
        debs: args.debs,
    };
    let result =
        apt::verify(&inputs, &policy, args.at, OffsetDateTime::now_utc()).context("apt verify")?;
    crate::render::apt::verification(&result, args.format, ui)?;
    Ok(Outcome::from_ok(result.verified))
}
