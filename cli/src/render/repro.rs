//! `glassbox repro`: the reproducibility verdict, for people, as Markdown
//! and as JSON (schema `core/schema/repro.v1.schema.json`).

use glassbox_core::repro::{self, Normalization, ReproReport, Verdict};

use super::Format;
use crate::ui::Ui;

/// Renders `glassbox repro`'s report.
pub fn report(r: &ReproReport, format: Format, ui: &Ui) -> anyhow::Result<()> {
    let out = match format {
        Format::Json => super::to_json(r)?,
        Format::Markdown => render_markdown(r),
        _ => render_text(r, ui),
    };
    super::stdout(&out)
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
