//! Lines for the code diff of an executable (`core::diff::code`): counts
//! and capability surface first (all `--summary` shows), then the function
//! lists, the strings, and per changed function its disassembly diff.

use glassbox_core::diff::LineTag;
use glassbox_core::diff::code::surface::SurfaceChange;
use glassbox_core::diff::code::{ChangedFunction, CodeDiff, FunctionRef, SurfaceDiff};

use super::Tone;

/// Function names and strings shown per list in text reports.
const SHOWN: usize = 50;

fn more(out: &mut Vec<(Tone, String)>, shown: usize, total: u64) {
    if total as usize > shown {
        out.push((
            Tone::Plain,
            format!(
                "  … and {} more (--format json lists more)",
                total as usize - shown
            ),
        ));
    }
}

fn surface_change(sign: char, tone: Tone, s: &SurfaceChange, out: &mut Vec<(Tone, String)>) {
    for (cap, names) in &s.imports {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        out.push((
            tone,
            format!("  {sign} {}: {}", cap.as_str(), names.join(", ")),
        ));
    }
    for (kind, values) in &s.indicators {
        for v in values.iter().take(SHOWN) {
            out.push((tone, format!("  {sign} {}: {v}", kind.as_str())));
        }
        more(out, SHOWN.min(values.len()), values.len() as u64);
    }
}

/// Counts and surface changes: what `diff --summary` prints per executable.
pub fn surface_lines(c: &CodeDiff, out: &mut Vec<(Tone, String)>) {
    let f = &c.functions;
    out.push((
        Tone::Head,
        format!(
            "functions: {} added, {} removed, {} changed, {} moved, {} unchanged ({}; {} -> {} functions)",
            f.added_count,
            f.removed_count,
            f.changed_count,
            f.moved_count,
            f.unchanged_count,
            f.disassembly.as_deref().unwrap_or("compared by bytes"),
            f.old_count,
            f.new_count
        ),
    ));
    if f.not_compared_count > 0 {
        out.push((
            Tone::Warn,
            format!(
                "  {} function pair(s) not compared (see notes)",
                f.not_compared_count
            ),
        ));
    }
    out.push((
        Tone::Head,
        format!(
            "strings: {} added, {} removed (min length {})",
            c.strings.added_count, c.strings.removed_count, c.strings.min_length
        ),
    ));
    let SurfaceDiff { added, removed } = &c.surface;
    if added.is_empty() && removed.is_empty() {
        out.push((Tone::Plain, "surface: unchanged".into()));
    }
    if !added.is_empty() {
        out.push((Tone::Warn, "surface added:".into()));
        surface_change('+', Tone::New, added, out);
    }
    if !removed.is_empty() {
        out.push((Tone::Head, "surface removed:".into()));
        surface_change('-', Tone::Old, removed, out);
    }
    for n in &c.notes {
        out.push((Tone::Warn, format!("note: {n}")));
    }
}

fn fref(f: &FunctionRef) -> String {
    format!("{}  {:#x} +{} ({})", f.name, f.address, f.size, source(f))
}

fn source(f: &FunctionRef) -> String {
    serde_json::to_value(f.source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Everything but the per-function disassembly.
pub fn code_lines(c: &CodeDiff, out: &mut Vec<(Tone, String)>) {
    surface_lines(c, out);
    let f = &c.functions;
    for x in f.added.iter().take(SHOWN) {
        out.push((Tone::New, format!("+ {}", fref(x))));
    }
    more(out, SHOWN.min(f.added.len()), f.added_count);
    for x in f.removed.iter().take(SHOWN) {
        out.push((Tone::Old, format!("- {}", fref(x))));
    }
    more(out, SHOWN.min(f.removed.len()), f.removed_count);
    for x in f.changed.iter().take(SHOWN) {
        out.push((Tone::Plain, format!("~ {}", changed_title(x))));
    }
    more(out, SHOWN.min(f.changed.len()), f.changed_count);
    for s in c.strings.added.iter().take(SHOWN) {
        out.push((Tone::New, format!("+ string {:?}", s.text)));
    }
    more(out, SHOWN.min(c.strings.added.len()), c.strings.added_count);
    for s in c.strings.removed.iter().take(SHOWN) {
        out.push((Tone::Old, format!("- string {:?}", s.text)));
    }
    more(
        out,
        SHOWN.min(c.strings.removed.len()),
        c.strings.removed_count,
    );
}

/// The one-line title of a changed function.
pub fn changed_title(f: &ChangedFunction) -> String {
    format!(
        "{}  {:#x} -> {:#x}, {} -> {} bytes, {} instruction(s) differ",
        f.name, f.old.address, f.new.address, f.old.size, f.new.size, f.changed_lines
    )
}

/// The disassembly diff of one changed function (without title).
pub fn function_lines(f: &ChangedFunction) -> Vec<(Tone, String)> {
    let addr = |a: Option<u64>| a.map_or(String::new(), |a| format!("{a:#x}"));
    let mut out: Vec<(Tone, String)> = f
        .lines
        .iter()
        .map(|l| {
            let (tone, sign) = match l.tag {
                LineTag::Context => (Tone::Plain, ' '),
                LineTag::Removed => (Tone::Old, '-'),
                LineTag::Added => (Tone::New, '+'),
            };
            (
                tone,
                format!(
                    "{sign} {:>10} {:>10}  {}",
                    addr(l.old_address),
                    addr(l.new_address),
                    l.text
                ),
            )
        })
        .collect();
    if f.truncated {
        out.push((
            Tone::Warn,
            "… disassembly diff cut (per-function or per-executable line cap)".into(),
        ));
    }
    out
}

/// Title and lines of every changed function's disassembly diff.
pub fn function_diffs(c: &CodeDiff) -> Vec<(String, Vec<(Tone, String)>)> {
    c.functions
        .changed
        .iter()
        .filter(|f| !f.lines.is_empty() || f.truncated)
        .map(|f| (changed_title(f), function_lines(f)))
        .collect()
}
