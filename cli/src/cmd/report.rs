//! `glassbox report`: render audit reports for people.

use std::path::PathBuf;

use anyhow::Context;
use glassbox_core::report::{AuditReport, render};

use crate::ui::{Outcome, Ui};

/// Largest report file read (reports of big releases list every file).
const MAX_REPORT_BYTES: u64 = 256 << 20;

/// Work with signed audit reports written by `glassbox audit`.
#[derive(clap::Args)]
#[command(after_help = "\
EXAMPLES:
  glassbox report render audit-reports/exampleav-1.1.0-2026-07-01/report.json --format html > report.html
  glassbox report render report.json --format markdown --output report.md")]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    Render(RenderArgs),
}

/// Render a report (report.json) as Markdown or HTML.
#[derive(clap::Args)]
#[command(after_help = "\
EXAMPLES:
  glassbox report render report.json --format html --output report.html
  glassbox report render report.json --format markdown | less")]
struct RenderArgs {
    /// The report: a report.json written by `glassbox audit`.
    input: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = RenderFormat::Markdown)]
    format: RenderFormat,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Overwrite --output if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RenderFormat {
    /// Markdown (CommonMark with tables).
    Markdown,
    /// One self-contained HTML page.
    Html,
    /// The canonical JSON of the report.
    Json,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    match args.command {
        Command::Render(a) => render_cmd(a, ui),
    }
}

/// Reads a report from a report.json.
fn read_report(path: &std::path::Path) -> anyhow::Result<AuditReport> {
    let bytes = read_bounded(path)?;
    AuditReport::from_json(&bytes).with_context(|| format!("{}", path.display()))
}

/// Reads a whole file of at most [`MAX_REPORT_BYTES`].
pub(crate) fn read_bounded(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}", path.display()))?;
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        anyhow::bail!(
            "{}: larger than the {} MiB limit for reports",
            path.display(),
            MAX_REPORT_BYTES >> 20
        );
    }
    Ok(bytes)
}

fn render_cmd(args: RenderArgs, _ui: &Ui) -> anyhow::Result<Outcome> {
    let report = read_report(&args.input)?;
    let text = match args.format {
        RenderFormat::Markdown => render::markdown(&report),
        RenderFormat::Html => render::html_page(&report),
        RenderFormat::Json => {
            let mut j = report.to_canonical_json()?;
            j.push('\n');
            j
        }
    };
    match &args.output {
        Some(path) => crate::ui::write_atomic(path, text.as_bytes(), args.force)?,
        None => print!("{text}"),
    }
    Ok(Outcome::Ok)
}
