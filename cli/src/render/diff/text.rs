//! The default, diff-like text rendering.

use std::fmt::Write as _;

use glassbox_core::diff::{EntryChange, ReleaseDiff};

use super::{Tone, change_brief, change_path, class_code, code, function_diffs, summary_line};

fn paint(color: bool, tone: Tone, s: &str) -> String {
    let sgr = match tone {
        Tone::Plain => return s.to_string(),
        Tone::Old => "31",
        Tone::New => "32",
        Tone::Head => "36",
        Tone::Warn => "1;33",
    };
    if color {
        format!("\x1b[{sgr}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Renders the diff as text: header, summary, one line per change, then the
/// detail of every change that has one.
pub fn render(d: &ReleaseDiff, color: bool) -> String {
    let mut out = String::new();
    let side = |i: &glassbox_core::diff::ReleaseInfo| {
        let f = serde_json::to_value(i.format)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        format!("{} ({f}, {} entries)", i.source, i.entries)
    };
    let _ = writeln!(
        out,
        "{}",
        paint(color, Tone::Old, &format!("--- {}", side(&d.old)))
    );
    let _ = writeln!(
        out,
        "{}",
        paint(color, Tone::New, &format!("+++ {}", side(&d.new)))
    );
    if d.identical {
        let _ = writeln!(out, "identical");
        return out;
    }
    let _ = writeln!(out, "{}", summary_line(d));
    if !d.summary.changed_executables.is_empty() {
        let _ = writeln!(out, "changed executables:");
        for e in &d.summary.changed_executables {
            let warn = match super::executable_note(e) {
                Some((Tone::Warn, note)) => paint(color, Tone::Warn, &format!("  WARNING: {note}")),
                Some((tone, note)) => paint(color, tone, &format!("  {note}")),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "  {} {:<5} {}{warn}",
                class_code(e.class),
                e.format,
                e.path
            );
        }
    }
    let security = super::security_rows(d);
    if !security.is_empty() {
        let _ = writeln!(out, "security-relevant changes:");
        let more = security.len().saturating_sub(super::SECURITY_SHOWN);
        for (c, what) in security.into_iter().take(super::SECURITY_SHOWN) {
            let line = format!("  {} {}  {what}", class_code(c.class), change_path(c));
            let _ = writeln!(out, "{}", paint(color, Tone::Warn, &line));
        }
        if more > 0 {
            let _ = writeln!(out, "  … and {more} more (in the list below)");
        }
    }
    out.push('\n');
    for c in &d.changes {
        match super::listed(d, c) {
            super::Listed::Alone => {}
            super::Listed::InGroup => continue,
            super::Listed::GroupHead(g) => {
                let line = format!("{}  {}", class_code(c.class), super::group_line(g));
                let _ = writeln!(out, "{}", paint(color, Tone::Head, &line));
                for p in &g.paths {
                    let _ = writeln!(out, "     {p}");
                }
                continue;
            }
        }
        let brief = change_brief(c);
        let line = if brief.is_empty() {
            format!("{}  {}", class_code(c.class), change_path(c))
        } else {
            format!("{}  {}  ({brief})", class_code(c.class), change_path(c))
        };
        let tone = match c.class {
            glassbox_core::diff::ChangeClass::Added => Tone::New,
            glassbox_core::diff::ChangeClass::Removed => Tone::Old,
            _ => Tone::Plain,
        };
        let _ = writeln!(out, "{}", paint(color, tone, &line));
    }
    for c in &d.changes {
        if c.class != glassbox_core::diff::ChangeClass::Modified {
            continue;
        }
        let Some((also, lines)) = super::detail_section(d, c) else {
            continue;
        };
        if lines.is_empty() {
            continue;
        }
        section(&mut out, color, c, &also, lines);
        for (title, lines) in function_diffs(c) {
            let _ = writeln!(out, "{}", paint(color, Tone::Head, &format!("~~~ {title}")));
            for (tone, l) in lines {
                let _ = writeln!(out, "{}", paint(color, tone, &l));
            }
        }
    }
    out
}

/// One change's section: `=== M path` (and `also`, such as the size of
/// the group it stands for), then its lines.
fn section(out: &mut String, color: bool, c: &EntryChange, also: &str, lines: Vec<(Tone, String)>) {
    let head = format!("=== {} {}{also}", class_code(c.class), change_path(c));
    let _ = writeln!(out, "\n{}", paint(color, Tone::Head, &head));
    for (tone, l) in lines {
        let _ = writeln!(out, "{}", paint(color, tone, &l));
    }
}

/// `diff --summary`: the header and counts, then per executable only its
/// function and string counts and its capability-surface changes.
pub fn render_summary(d: &ReleaseDiff, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "--- {}\n+++ {}", d.old.source, d.new.source);
    if d.identical {
        let _ = writeln!(out, "identical");
        return out;
    }
    let _ = writeln!(out, "{}", summary_line(d));
    for c in &d.changes {
        let Some(cd) = c.content.as_ref().and_then(|x| x.code.as_ref()) else {
            continue;
        };
        let mut lines = Vec::new();
        code::surface_lines(cd, &mut lines);
        section(&mut out, color, c, "", lines);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn text_lists_changes_then_details() {
        let d = sample::diff();
        let t = render(&d, false);
        assert!(t.starts_with("--- old-release (directory, 5 entries)\n+++ new-release"));
        assert!(
            t.contains("1 added, 1 removed, 3 modified, 1 renamed"),
            "{t}"
        );
        assert!(t.contains("R  pkg/old_name.txt -> pkg/new_name.txt"));
        assert!(t.contains("D  pkg/gone.txt  (4 bytes)"));
        assert!(t.contains("-    print('hello <world>')\n+    print('hello <there> & world')"));
        assert!(t.contains("~ /port: 80 -> 8080"));
        assert!(t.contains("+ /tls = true"));
        assert!(t.contains("binary: "));
        assert!(!t.contains('\x1b'));
        assert!(render(&d, true).contains("\x1b[32m+"));
    }
}
