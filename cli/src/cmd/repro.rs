//! `glassbox repro`: is the rebuild the same as the vendor's artifact?

use std::path::PathBuf;

use anyhow::Context;
use glassbox_core::release::Limits;
use glassbox_core::repro::{
    self, Normalization, NormalizationSet, ReproOptions, ReproReport, Verdict,
};

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
  ar-metadata, pyc-source-mtime, pe-timestamp, jar-manifest-timestamps,
  png-time, file-mtime, file-owner, detached-signatures,
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
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
        Format::Markdown => render_markdown(&report),
        _ => render_text(&report, ui),
    };
    print!("{out}");
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

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Identical => "IDENTICAL",
        Verdict::Equivalent => "EQUIVALENT",
        Verdict::Different => "DIFFERENT",
    }
}

fn render_text(r: &ReproReport, ui: &Ui) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let word = verdict_word(r.verdict);
    let painted = match r.verdict {
        Verdict::Different => ui.bad(word),
        _ => ui.good(word),
    };
    let _ = writeln!(s, "verdict: {painted}");
    for (label, a) in [("vendor", &r.vendor), ("rebuild", &r.rebuild)] {
        let digest = a.sha256.map(|d| d.to_hex()).unwrap_or_else(|| "-".into());
        let _ = writeln!(s, "{label:8} {} ({}) sha256 {digest}", a.path, a.format);
    }
    if !r.normalizations.is_empty() {
        let _ = writeln!(s, "normalizations applied:");
        for n in &r.normalizations {
            let _ = writeln!(
                s,
                "  {:24} {:>7}  {}",
                n.name.name(),
                n.count,
                n.description
            );
            // Signature files set aside are each named; for the rest a few
            // examples show where the normalization applied.
            let shown = if n.name == Normalization::DetachedSignatures {
                n.places.len()
            } else {
                3
            };
            for place in n.places.iter().take(shown) {
                let _ = writeln!(s, "  {:24} {:>7}    {place}", "", "");
            }
            if n.count as usize > shown.min(n.places.len()) {
                let _ = writeln!(s, "  {:24} {:>7}    ...", "", "");
            }
        }
    }
    if !r.differences.is_empty() {
        let _ = writeln!(s, "differences ({}):", r.differences.len());
        for d in &r.differences {
            let _ = writeln!(s, "  {}: {}", d.path_or_root(), describe(&d.kind));
        }
    }
    if let Some(e) = &r.evidence_error {
        let _ = writeln!(s, "evidence: not available: {e}");
    }
    if let Some(d) = r.evidence.as_ref().filter(|d| !d.changes.is_empty()) {
        let _ = writeln!(s, "\nevidence (glassbox diff of the entries that differ):");
        s.push_str(&crate::render::diff::text::render(d, ui.color()));
    }
    s
}

fn render_markdown(r: &ReproReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "# Reproducibility: **{}**\n", verdict_word(r.verdict));
    let _ = writeln!(s, "| | artifact | format | sha256 |\n|---|---|---|---|");
    for (label, a) in [("vendor", &r.vendor), ("rebuild", &r.rebuild)] {
        let digest = a.sha256.map(|d| d.to_hex()).unwrap_or_else(|| "-".into());
        let _ = writeln!(s, "| {label} | `{}` | {} | `{digest}` |", a.path, a.format);
    }
    if !r.normalizations.is_empty() {
        let _ = writeln!(
            s,
            "\n## Normalizations applied\n\n| name | count | ignores |\n|---|---:|---|"
        );
        for n in &r.normalizations {
            let places: Vec<String> = n.places.iter().map(|p| format!("`{p}`")).collect();
            let more = if (n.count as usize) > n.places.len() {
                ", ..."
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "| `{}` | {} | {} ({}{more}) |",
                n.name.name(),
                n.count,
                n.description,
                places.join(", ")
            );
        }
    }
    if !r.differences.is_empty() {
        let _ = writeln!(s, "\n## Differences\n");
        for d in &r.differences {
            let _ = writeln!(s, "- `{}`: {}", d.path_or_root(), describe(&d.kind));
        }
    }
    if let Some(d) = r.evidence.as_ref().filter(|d| !d.changes.is_empty()) {
        let _ = writeln!(s, "\n## Evidence\n\n```text");
        s.push_str(&crate::render::diff::text::render(d, false));
        let _ = writeln!(s, "```");
    }
    s
}

trait PathOrRoot {
    fn path_or_root(&self) -> &str;
}

impl PathOrRoot for repro::Difference {
    fn path_or_root(&self) -> &str {
        if self.path.is_empty() {
            "(artifact)"
        } else {
            &self.path
        }
    }
}

fn describe(kind: &repro::DifferenceKind) -> String {
    use repro::DifferenceKind as K;
    match kind {
        K::OnlyInVendor => "only in the vendor artifact".into(),
        K::OnlyInRebuild => "only in the rebuild".into(),
        K::Content {
            vendor,
            rebuild,
            vendor_size,
            rebuild_size,
            note,
        } => {
            let mut s = format!(
                "content differs (vendor sha256 {vendor}, {vendor_size} bytes; rebuild sha256 {rebuild}, {rebuild_size} bytes)"
            );
            if let Some(n) = note {
                s.push_str(&format!("; {n}"));
            }
            s
        }
        K::Format { vendor, rebuild } => {
            format!("format differs (vendor {vendor}, rebuild {rebuild})")
        }
        K::Kind { vendor, rebuild } => {
            format!("type differs (vendor {vendor:?}, rebuild {rebuild:?})")
        }
        K::LinkTarget { vendor, rebuild } => format!(
            "link target differs (vendor {}, rebuild {})",
            vendor.as_deref().unwrap_or("-"),
            rebuild.as_deref().unwrap_or("-")
        ),
        K::Mode { vendor, rebuild } => format!(
            "mode differs (vendor {}, rebuild {}); --allow-mode to ignore",
            octal(*vendor),
            octal(*rebuild)
        ),
        K::Header { what } => format!("{what} differ"),
        K::NotNormalized { normalization } => format!(
            "differs in a field covered by normalization {normalization}, which is disabled"
        ),
    }
}

fn octal(mode: Option<u32>) -> String {
    mode.map(|m| format!("{m:04o}"))
        .unwrap_or_else(|| "-".into())
}
