//! `glassbox repro`: is the rebuild the same as the vendor's artifact?

use std::path::PathBuf;

use anyhow::Context;
use glassbox_core::release::Limits;
use glassbox_core::repro::{self, Normalization, NormalizationSet, ReproOptions, Verdict};

use crate::render::{Format, Formats};
use crate::ui::{Outcome, Ui};

/// Judge whether an independent rebuild reproduces the vendor's artifact:
/// identical (same bytes), equivalent (same after the named
/// normalizations, each with its count), or different (with what differs).
#[derive(clap::Args)]
#[command(after_help = "\
Normalizations (all on by default except file-mode; --strict turns all off):
  member-order, tar-mtime, tar-owner, tar-pax-times, tar-padding,
  zip-dos-time, zip-extra-fields, gzip-header, compressed-stream,
  ar-metadata, pyc-source-mtime, pe-timestamp, authenticode-signature,
  jar-manifest-timestamps, png-time, file-mtime, file-owner,
  detached-signatures,
  file-mode (only with --allow-mode)

Examples:
  glassbox repro vendor/app-1.1.0.tar.gz rebuild/app-1.1.0.tar.gz
  glassbox repro --strict vendor/app.zip rebuild/app.zip
  glassbox repro --no-normalize pyc-source-mtime --format json A/ R/
  glassbox repro vendor/app.tar.gz rebuild/app.tar.gz --attest auditor.key --output app.rebuild.dsse.json

Exit codes: 0 identical or equivalent, 1 different, 2 usage or input error.")]
pub struct Args {
    /// The vendor's artifact: a file, an archive or a directory.
    vendor: PathBuf,
    /// The independent rebuild of the same artifact.
    rebuild: PathBuf,
    /// Output format.
    #[arg(long, default_value_t = Format::Text, value_parser = Formats(&[Format::Text, Format::Json, Format::Markdown]))]
    format: Format,
    /// Apply no normalization at all: identical or different.
    #[arg(long)]
    strict: bool,
    /// Disable one normalization (repeatable).
    #[arg(long = "no-normalize", value_name = "NAME", value_parser = parse_normalization)]
    no_normalize: Vec<Normalization>,
    /// Also ignore permission-bit differences (off by default: a mode change can matter).
    #[arg(long)]
    allow_mode: bool,
    /// Sign the verdict with this key (PKCS#8, from `glassbox keygen`) as an
    /// in-toto Statement in a DSSE envelope written to --output.
    #[arg(long, value_name = "KEY", requires = "output")]
    attest: Option<PathBuf>,
    /// Where --attest writes the envelope (refuses to overwrite without --force).
    #[arg(long, value_name = "FILE", requires = "attest")]
    output: Option<PathBuf>,
    /// Overwrite --output if it exists.
    #[arg(long)]
    force: bool,
    /// Nested archives are expanded this many levels deep.
    #[arg(long, default_value_t = Limits::default().max_depth)]
    max_depth: usize,
    /// Stop after this many decompressed bytes in total (bomb defence).
    #[arg(long, default_value_t = Limits::default().max_expanded_bytes)]
    max_expanded_bytes: u64,
    /// Stop after this many archive entries in total.
    #[arg(long, default_value_t = Limits::default().max_entries)]
    max_entries: u64,
    /// Largest allowed decompression ratio (bomb defence).
    #[arg(long, default_value_t = Limits::default().max_ratio)]
    max_ratio: u64,
}

fn parse_normalization(s: &str) -> Result<Normalization, String> {
    s.parse()
        .map_err(|e: repro::UnknownNormalization| e.to_string())
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    let mut normalizations = if args.strict {
        NormalizationSet::strict()
    } else {
        NormalizationSet::default_set()
    };
    if args.allow_mode && !args.strict {
        normalizations.enable(Normalization::FileMode);
    }
    for n in &args.no_normalize {
        normalizations.disable(*n);
    }
    let opts = ReproOptions {
        normalizations,
        limits: Limits {
            max_depth: args.max_depth,
            max_expanded_bytes: args.max_expanded_bytes,
            max_entries: args.max_entries,
            max_ratio: args.max_ratio,
        },
    };
    // Load the key first: a bad key file should not cost a long comparison.
    let key = match &args.attest {
        Some(path) => Some(
            glassbox_core::keys::SigningKey::from_file(path)
                .with_context(|| format!("cannot load signing key {}", path.display()))?,
        ),
        None => None,
    };
    let spinner = ui.spinner("comparing");
    let report = repro::compare(&args.vendor, &args.rebuild, &opts).with_context(|| {
        format!(
            "cannot compare {} with {}",
            args.vendor.display(),
            args.rebuild.display()
        )
    })?;
    spinner.finish_and_clear();
    crate::render::repro::report(&report, args.format, ui)?;
    if let (Some(key), Some(output)) = (&key, &args.output) {
        let statement = repro::statement(&report)?;
        let envelope = glassbox_core::dsse::sign_statement(&statement, &[key])
            .context("cannot sign the rebuild attestation")?;
        crate::ui::write_atomic(output, envelope.to_json().as_bytes(), args.force)?;
        ui.note(&format!(
            "attestation: {} (signed by key {})",
            output.display(),
            key.key_id()
        ));
    }
    Ok(Outcome::from_ok(report.verdict != Verdict::Different))
}
