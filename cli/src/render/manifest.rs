//! `glassbox manifest`: every entry with its digest, as aligned text,
//! `sha256sum` lines or JSON (schema `core/schema/manifest.v1.schema.json`).
//! Written through a buffer as it goes: a release can hold millions of
//! entries.

use std::io::{self, BufWriter, Write};

use glassbox_core::release::{Entry, EntryKind, Release};

use super::Format;
use crate::ui::Ui;

/// Renders `glassbox manifest`'s release. In `sha256sum` form the findings
/// go to stderr, so stdout stays what `sha256sum -c` reads.
pub fn release(r: &Release, format: Format, ui: &Ui) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = match format {
        Format::Json => write_json(&mut out, r),
        Format::Sha256sum => write_sha256sum(&mut out, r),
        _ => write_text(&mut out, r, ui),
    }
    .and_then(|()| out.flush());
    match written {
        // `| head`: the reader has what it wanted.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        r => r?,
    }
    if format == Format::Sha256sum {
        for f in &r.findings {
            eprintln!("{} {f}", label(f, ui));
        }
    }
    Ok(())
}

fn write_text(out: &mut impl Write, r: &Release, ui: &Ui) -> io::Result<()> {
    let width = r
        .entries
        .iter()
        .map(|e| e.size.to_string().len())
        .max()
        .unwrap_or(1);
    for e in &r.entries {
        let digest = match &e.digests {
            Some(d) => d.sha256.to_hex(),
            None => format!("{:64}", "-"),
        };
        let size = if e.kind == EntryKind::File {
            e.size.to_string()
        } else {
            "-".into()
        };
        write!(out, "{digest}  {size:>width$}  {:<8} {}", kind(e), e.path)?;
        if let Some(t) = &e.link_target {
            write!(out, " -> {t}")?;
        }
        if let Some(f) = e.expanded_as {
            write!(out, "  [{f}]")?;
        }
        writeln!(out)?;
        if let Some(s) = e.digests.and_then(|d| d.sha512) {
            writeln!(out, "  sha512 {s}")?;
        }
    }
    let files = r
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .count();
    let info = r
        .findings
        .iter()
        .filter(|f| f.kind.is_informational())
        .count();
    write!(
        out,
        "\n{} ({}): {} entries, {} files, {} findings",
        r.source.display(),
        r.format,
        r.entries.len(),
        files,
        r.findings.len() - info
    )?;
    if info > 0 {
        write!(out, ", {info} info")?;
    }
    writeln!(out)?;
    for f in &r.findings {
        writeln!(out, "{} {f}", label(f, ui))?;
    }
    Ok(())
}

/// `finding:` for what fails the manifest, `info:` for what does not.
fn label(f: &glassbox_core::release::ReadFinding, ui: &Ui) -> String {
    if f.kind.is_informational() {
        "info:".to_string()
    } else {
        ui.warn("finding:").to_string()
    }
}

fn kind(e: &Entry) -> &'static str {
    match e.kind {
        EntryKind::File => "file",
        EntryKind::Dir => "dir",
        EntryKind::Symlink => "symlink",
        EntryKind::Hardlink => "hardlink",
        EntryKind::Other => "other",
    }
}

/// The stable JSON document (README: "glassbox manifest", JSON schema).
#[derive(serde::Serialize)]
struct JsonManifest<'a> {
    schema: &'static str,
    source: String,
    format: glassbox_core::release::Format,
    entries: &'a [Entry],
    findings: &'a [glassbox_core::release::ReadFinding],
}

fn write_json(out: &mut impl Write, r: &Release) -> io::Result<()> {
    let doc = JsonManifest {
        schema: "glassbox.manifest/1",
        source: r.source.display().to_string(),
        format: r.format,
        entries: &r.entries,
        findings: &r.findings,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// coreutils' format: `<hex>  <name>`, with the name's raw bytes. A name
/// holding `\`, newline or carriage return is escaped (`\\`, `\n`, `\r`) and
/// the line starts with `\`, as `sha256sum` 9.x does.
fn write_sha256sum(out: &mut impl Write, r: &Release) -> io::Result<()> {
    for e in &r.entries {
        let (Some(d), 0) = (&e.digests, e.path.depth()) else {
            continue;
        };
        if e.kind != EntryKind::File {
            continue;
        }
        let name = e.path.inner().as_bytes();
        let escape = name.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r'));
        let mut line = Vec::with_capacity(name.len() + 70);
        if escape {
            line.push(b'\\');
        }
        line.extend_from_slice(d.sha256.to_hex().as_bytes());
        line.extend_from_slice(b"  ");
        for &b in name {
            match (escape, b) {
                (true, b'\\') => line.extend_from_slice(b"\\\\"),
                (true, b'\n') => line.extend_from_slice(b"\\n"),
                (true, b'\r') => line.extend_from_slice(b"\\r"),
                _ => line.push(b),
            }
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}
