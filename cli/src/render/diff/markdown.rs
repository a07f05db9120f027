//! Markdown rendering: summary table, change table, then one section per
//! modified file with its detail in a fenced block.

use std::fmt::Write as _;

use glassbox_core::diff::{ChangeClass, ReleaseDiff};

use super::{Tone, change_brief, change_path, function_diffs};

/// Escapes text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('`', "\\`")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

/// Renders the diff as Markdown, stopping (with a notice) before
/// `max_bytes`.
pub fn render(d: &ReleaseDiff, max_bytes: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Release diff\n");
    let _ = writeln!(
        out,
        "- old: `{}` ({} entries)",
        cell(&d.old.source),
        d.old.entries
    );
    let _ = writeln!(
        out,
        "- new: `{}` ({} entries)",
        cell(&d.new.source),
        d.new.entries
    );
    let _ = writeln!(
        out,
        "- verdict: **{}**\n",
        if d.identical {
            "identical"
        } else {
            "different"
        }
    );
    let s = &d.summary;
    let _ = writeln!(
        out,
        "| added | removed | modified | renamed | metadata | type changed |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n",
        s.added, s.removed, s.modified, s.renamed, s.metadata, s.type_changed
    );
    if !s.changed_executables.is_empty() {
        let _ = writeln!(
            out,
            "## Changed executables\n\n| change | format | path | note |\n|---|---|---|---|"
        );
        for e in &s.changed_executables {
            let note = match super::executable_note(e) {
                Some((Tone::Warn, note)) => format!("**{note}**"),
                Some((_, note)) => note.to_string(),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {note} |",
                e.class.as_str(),
                e.format,
                cell(&e.path.to_string())
            );
        }
        out.push('\n');
    }
    let security = super::security_rows(d);
    if !security.is_empty() {
        let _ = writeln!(
            out,
            "## Security-relevant changes\n\n| change | path | what |\n|---|---|---|"
        );
        let more = security.len().saturating_sub(super::SECURITY_SHOWN);
        for (c, what) in security.into_iter().take(super::SECURITY_SHOWN) {
            let _ = writeln!(
                out,
                "| {} | `{}` | **{}** |",
                c.class.as_str(),
                cell(&change_path(c)),
                cell(&what)
            );
        }
        if more > 0 {
            let _ = writeln!(out, "\n… and {more} more (in the changes below)");
        }
        out.push('\n');
    }
    if d.changes.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "## Changes\n\n| change | path | detail |\n|---|---|---|"
    );
    let mut truncated = false;
    for c in &d.changes {
        let row = match super::listed(d, c) {
            super::Listed::InGroup => continue,
            super::Listed::GroupHead(g) => {
                let files = super::group_files(g, |p| format!("`{}`", cell(p)));
                format!(
                    "| {} | {} | **{}** |\n",
                    c.class.as_str(),
                    files,
                    cell(&super::group_line(g))
                )
            }
            super::Listed::Alone => format!(
                "| {} | `{}` | {} |\n",
                c.class.as_str(),
                cell(&change_path(c)),
                cell(&change_brief(c))
            ),
        };
        if out.len() + row.len() > max_bytes {
            truncated = true;
            break;
        }
        out.push_str(&row);
    }
    if !truncated {
        for c in d
            .changes
            .iter()
            .filter(|c| c.class == ChangeClass::Modified)
        {
            let Some((also, lines)) = super::detail_section(d, c) else {
                continue;
            };
            if lines.is_empty() {
                continue;
            }
            let mut sec = format!("\n### `{}`{also}\n\n```diff\n", cell(&change_path(c)));
            for (_, l) in lines {
                sec.push_str(&l.replace("```", "`\u{200b}``"));
                sec.push('\n');
            }
            sec.push_str("```\n");
            for (title, lines) in function_diffs(c) {
                let _ = write!(sec, "\n#### `{}`\n\n```diff\n", cell(&title));
                for (_, l) in lines {
                    sec.push_str(&l.replace("```", "`\u{200b}``"));
                    sec.push('\n');
                }
                sec.push_str("```\n");
            }
            if out.len() + sec.len() > max_bytes {
                truncated = true;
                break;
            }
            out.push_str(&sec);
        }
    }
    if truncated {
        let _ = writeln!(
            out,
            "\n> **Truncated**: this report reached --max-report-bytes ({max_bytes} bytes); the JSON output has every change."
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn markdown_has_tables_sections_and_truncation_notice() {
        let d = sample::diff();
        let m = render(&d, 1 << 20);
        assert!(m.contains("| 1 | 1 | 3 | 1 | 0 | 0 |"), "{m}");
        assert!(m.contains("| renamed | `pkg/old_name.txt -> pkg/new_name.txt` |"));
        assert!(m.contains("### `pkg/app.py`\n\n```diff\n"));
        assert!(!m.contains("Truncated"));
        let small = render(&d, 900);
        assert!(small.len() < 1200);
        assert!(small.contains("**Truncated**"));
    }
}
