//! `glassbox diff`: what an update changes between two releases.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use glassbox_core::diff::code::CodeOptions;
use glassbox_core::diff::{DiffOptions, DiffProgress, diff_paths};

use crate::cmd::manifest::{ReadArgs, parse_bytes};
use crate::render::diff::{html, markdown, text};
use crate::render::{Format, Formats};
use crate::ui::{Outcome, Ui};

const EXAMPLES: &str = "\
Examples:
  glassbox diff releases/app-1.0 releases/app-1.1
  glassbox diff app-1.0.tar.gz app-1.1.tar.gz --format html --output diff.html
  glassbox diff old.zip new.zip --format json --exclude '*.pyc' --include-metadata

Exit codes: 0 identical, 1 different, 2 error.";

/// Show what an update changes between two releases (directories or
/// archives: tar, tar.gz/xz/zst/bz2, zip, ar/deb; nested archives are
/// compared member by member).
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The old release (directory or archive).
    old: PathBuf,
    /// The new release (directory or archive).
    new: PathBuf,
    /// Output format.
    #[arg(long, default_value_t = Format::Text, value_parser = Formats(&[Format::Text, Format::Json, Format::Markdown, Format::Html]))]
    format: Format,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Overwrite --output if it exists.
    #[arg(long)]
    force: bool,
    /// Ignore entries matching GLOB (full path `a.zip!x/y`, inner path, or
    /// an enclosing container); repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Report mode and owner changes (link-target changes are always reported).
    #[arg(long)]
    include_metadata: bool,
    /// Report modification-time changes.
    #[arg(long)]
    include_mtime: bool,
    /// Most diff lines (or config key changes) shown per file.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    max_diff_lines: usize,
    /// Largest file compared in depth (text, config, executable); larger
    /// files are compared as binary, streaming (suffixes K, M, G).
    #[arg(long, value_name = "BYTES", default_value = "32M", value_parser = parse_bytes)]
    max_compare_bytes: u64,
    /// Size cap of a markdown or html report; past it a "truncated" notice
    /// (suffixes K, M, G).
    #[arg(long, value_name = "BYTES", default_value = "8M", value_parser = parse_bytes)]
    max_report_bytes: u64,
    /// Print only the counts and, per executable, what the update adds to
    /// or removes from its capability surface (imports, endpoints); text
    /// format only.
    #[arg(long)]
    summary: bool,
    /// Shortest string (characters) reported in the strings diff of
    /// executables.
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..))]
    min_string_len: u32,
    /// Skip the function, string and capability comparison of executables.
    #[arg(long)]
    no_code: bool,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    let read = args.read.options(Default::default());
    let opts = DiffOptions {
        include_metadata: args.include_metadata,
        include_mtime: args.include_mtime,
        excludes: args.exclude.clone(),
        max_diff_lines: args.max_diff_lines,
        max_depth: if read.expand_nested {
            read.limits.max_depth
        } else {
            0
        },
        expand_nested: read.expand_nested,
        limits: read.limits,
        max_compare_bytes: args.max_compare_bytes,
        code: CodeOptions {
            enabled: !args.no_code,
            min_string_len: args.min_string_len as usize,
            ..CodeOptions::default()
        },
        ..DiffOptions::default()
    };
    if args.summary && args.format != Format::Text {
        anyhow::bail!(
            "--summary is a text report; for the surface in JSON read changes[].content.code.surface"
        );
    }
    let max_report_bytes = usize::try_from(args.max_report_bytes).unwrap_or(usize::MAX);
    let bar = ui.spinner("reading releases");
    let read = AtomicU64::new(0);
    let total = AtomicU64::new(0);
    let compared = AtomicU64::new(0);
    let to_read = AtomicU64::new(0);
    let progress = |p: DiffProgress| match p {
        DiffProgress::Opening { total_bytes, .. } => {
            total.fetch_add(total_bytes, Ordering::Relaxed);
        }
        DiffProgress::Read { bytes, .. } => {
            let r = read.fetch_add(bytes, Ordering::Relaxed) + bytes;
            if r % (8 << 20) < bytes {
                bar.set_message(format!(
                    "reading releases: {} / {} MiB",
                    r >> 20,
                    total.load(Ordering::Relaxed) >> 20
                ));
            }
        }
        DiffProgress::Classified { to_read: n } => {
            to_read.store(n as u64, Ordering::Relaxed);
            bar.set_message(format!("comparing 0 / {n} entries"));
        }
        DiffProgress::Compared => {
            let c = compared.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(format!(
                "comparing {c} / {} entries",
                to_read.load(Ordering::Relaxed)
            ));
        }
    };
    let diff = diff_paths(&args.old, &args.new, &opts, &progress);
    bar.finish_and_clear();
    let diff = diff?;

    let color = args.output.is_none() && ui.color();
    let rendered = match args.format {
        Format::Json => crate::render::to_json(&diff)?,
        Format::Markdown => markdown::render(&diff, max_report_bytes),
        Format::Html => html::render(&diff, max_report_bytes),
        _ if args.summary => text::render_summary(&diff, color),
        _ => text::render(&diff, color),
    };
    crate::render::emit(&rendered, args.output.as_deref(), args.force)?;
    Ok(Outcome::from_ok(diff.identical))
}
