//! `glassbox check`: the customer's side. Is every file this machine
//! received covered by a signed, passing audit whose report is in the
//! public log (and is that log the one everyone sees)?

use std::path::PathBuf;

use anyhow::Context;
use glassbox_core::check::{CheckPolicy, check};
use glassbox_core::keys::PublicKey;

use crate::cmd::log::parse_vkey;
use crate::render::{self, Format, TEXT_JSON};
use crate::ui::{Outcome, Ui};

/// Check that every file of an installed product or a received update is
/// covered by a signed, passing audit report that is in the transparency
/// log.
#[derive(clap::Args)]
#[command(after_help = "\
EXAMPLES:
  glassbox check /opt/exampleav --log https://log.example/ --vkey log.vkey \\
      --reports published/reports --auditor-key auditor.pub --state ~/.glassbox-state
  glassbox check exampleav-1.1.0.tar.gz --log log --vkey log/vkey \\
      --witness-vkey w1.vkey --witness-vkey w2.vkey --quorum 2 \\
      --reports reports --auditor-key auditor.pub --format json

TARGET is an installed directory, a received update (a file, a directory or
an archive, read with the same reader as `glassbox verify`) or the output of
`glassbox manifest --format json`. For every file: the report that covers it
(its signature verified with an --auditor-key, the file's path and SHA-256
among the files of the audited release), the report's entry in the log (an
inclusion proof, computed from the log's tiles, to a checkpoint signed by the
log key and, with --quorum, cosigned by N of the --witness-vkey witnesses),
and the audit's verdict. File modes are not compared: reports record content.
With --state, the checkpoint must extend the one seen last time (consistency
proof), else SPLIT VIEW; the new one is then stored (crash-safe).

Exit status: 0 every file covered by a passing, logged audit; 1 a file
uncovered, covered only by a failed audit or an unproved report, a report
that does not verify, a checkpoint that does not verify or a split view
(each named); 2 unusable input (target, reports, log or state unreadable).")]
pub struct Args {
    /// The installed directory, received update or manifest listing.
    target: PathBuf,

    /// The transparency log: a directory in C2SP tlog-tiles layout, or an
    /// http:// URL serving one (`glassbox log serve`, any static server).
    #[arg(long, value_name = "LOG")]
    log: String,

    /// The log's verifier key (`name+keyid+base64`, or a file holding it).
    #[arg(long, value_name = "VKEY")]
    vkey: String,

    /// A witness's verifier key (cosignature/v1); repeat.
    #[arg(long, value_name = "VKEY")]
    witness_vkey: Vec<String>,

    /// Cosignatures required from distinct witnesses.
    #[arg(long, value_name = "N", default_value_t = 0)]
    quorum: usize,

    /// The published audit reports: every report.dsse.json under DIR (with
    /// its report.tlog-proof beside it).
    #[arg(long, value_name = "DIR")]
    reports: PathBuf,

    /// An auditor's public key (PEM SubjectPublicKeyInfo); repeat to accept
    /// several auditors.
    #[arg(long, value_name = "PUB", required = true)]
    auditor_key: Vec<PathBuf>,

    /// Keep the last checkpoint seen here and fail on one inconsistent
    /// with it.
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,

    /// Output format: text names the failures and sums up; json is one
    /// object (schema core/schema/check-result.v1.schema.json).
    #[arg(long, default_value_t = Format::Text, value_parser = TEXT_JSON)]
    format: Format,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    let mut auditor_keys = Vec::new();
    for k in &args.auditor_key {
        let key =
            PublicKey::from_file(k).with_context(|| format!("auditor key {}", k.display()))?;
        auditor_keys.push((k.display().to_string(), key));
    }
    let witnesses = args
        .witness_vkey
        .iter()
        .map(|w| parse_vkey(w))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let policy = CheckPolicy {
        log_key: parse_vkey(&args.vkey)?,
        witnesses,
        quorum: args.quorum,
        auditor_keys,
    };
    let log = glassbox_core::tlog::LogSource::parse(&args.log)?;
    let result = check(
        &args.target,
        &args.reports,
        &log,
        &policy,
        args.state.as_deref(),
    )?;
    render::check::result(&result, args.format, ui)?;
    Ok(Outcome::from_ok(result.ok))
}
