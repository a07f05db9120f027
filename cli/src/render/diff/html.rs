//! HTML rendering: one self-contained file (inline CSS, no script, no
//! external asset), summary table on top, one collapsible `<details>` per
//! modified file, word-level highlights inside changed lines. The size is
//! capped; past the cap a visible "truncated" notice replaces the rest.

use std::fmt::Write as _;

use glassbox_core::diff::{ChangeClass, EntryChange, LineTag, ReleaseDiff, TextDiff};
use glassbox_core::report::render::escape_html as esc;

use super::{Tone, change_brief, change_path, detail_lines, function_diffs, hunk_header};

/// Room kept for the closing notice and tags.
const FOOTER_RESERVE: usize = 1024;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d1d1f}\
h1{font-size:1.5em}table{border-collapse:collapse;margin:.5em 0}\
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}\
pre{margin:0;white-space:pre-wrap;word-break:break-all}\
details{border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.3em .6em}\
summary{cursor:pointer;font-weight:600}\
.added{color:#116329}.removed{color:#a40e26}.warn{color:#9a6700;font-weight:700}\
table.diff td{border:none;padding:0 .4em;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;white-space:pre-wrap;word-break:break-all}\
table.diff td.n{color:#888;text-align:right;user-select:none}\
tr.del td.t{background:#ffebe9}tr.ins td.t{background:#e6ffec}tr.hunk td{background:#ddf4ff;color:#555}\
tr.del span.e{background:#ff818266}tr.ins span.e{background:#abf2bc}\
.truncated{border:2px solid #9a6700;background:#fff8c5;padding:.6em;font-weight:700}\
@media print{details{break-inside:avoid}}";

fn text_table(t: &TextDiff) -> String {
    let mut o = String::from("<table class=\"diff\">");
    for h in &t.hunks {
        let _ = write!(
            o,
            "<tr class=\"hunk\"><td class=\"n\"></td><td class=\"n\"></td><td>{}</td></tr>",
            esc(&hunk_header(h))
        );
        for l in &h.lines {
            let (class, sign) = match l.tag {
                LineTag::Context => ("ctx", ' '),
                LineTag::Removed => ("del", '-'),
                LineTag::Added => ("ins", '+'),
            };
            let n = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
            let _ = write!(
                o,
                "<tr class=\"{class}\"><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"t\">{sign}",
                n(l.old_line),
                n(l.new_line)
            );
            for s in &l.segments {
                if s.emph {
                    let _ = write!(o, "<span class=\"e\">{}</span>", esc(&s.text));
                } else {
                    o.push_str(&esc(&s.text));
                }
            }
            o.push_str("</td></tr>");
        }
    }
    o.push_str("</table>");
    if t.truncated {
        o.push_str("<p class=\"warn\">diff truncated (--max-diff-lines)</p>");
    }
    o
}

/// One line of a `<pre>` block, in its tone's class.
fn pre_line(pre: &mut String, tone: Tone, l: &str) {
    let class = match tone {
        Tone::Old => "removed",
        Tone::New => "added",
        Tone::Warn => "warn",
        Tone::Head => "head",
        Tone::Plain => "",
    };
    if class.is_empty() {
        let _ = writeln!(pre, "{}", esc(l));
    } else {
        let _ = writeln!(pre, "<span class=\"{class}\">{}</span>", esc(l));
    }
}

/// A group's change: its template, never its first file's own lines.
fn group_detail(g: &glassbox_core::diff::ChangeGroup) -> String {
    let mut pre = String::new();
    for (tone, l) in super::group_template_lines(g) {
        pre_line(&mut pre, tone, &l);
    }
    format!("<pre>{pre}</pre>")
}

fn detail(c: &EntryChange) -> String {
    let mut o = String::new();
    let lines = detail_lines(c);
    // Everything except the text diff as preformatted lines; the text diff
    // as a table with word highlights.
    let text = c.content.as_ref().and_then(|x| x.text.as_ref());
    let mut pre = String::new();
    let mut in_text = false;
    for (tone, l) in &lines {
        if text.is_some() && *tone == Tone::Head && l.starts_with("text: ") {
            in_text = true;
            let _ = writeln!(pre, "{}", esc(l));
            continue;
        }
        if in_text && l.starts_with("binary: ") {
            in_text = false;
        }
        if in_text {
            continue;
        }
        pre_line(&mut pre, *tone, l);
    }
    let _ = write!(o, "<pre>{pre}</pre>");
    if let Some(t) = text {
        o.push_str(&text_table(t));
    }
    // One collapsed block per changed function: a large update has
    // hundreds; the auditor opens the ones the summary points at.
    for (title, lines) in function_diffs(c) {
        let _ = write!(
            o,
            "<details class=\"function\"><summary><code>{}</code></summary><pre>",
            esc(&title)
        );
        for (tone, l) in lines {
            let class = match tone {
                Tone::Old => "removed",
                Tone::New => "added",
                Tone::Warn => "warn",
                _ => "",
            };
            let _ = writeln!(o, "<span class=\"{class}\">{}</span>", esc(&l));
        }
        o.push_str("</pre></details>");
    }
    o
}

/// One row of the change table for a change shown on its own.
fn change_row(i: usize, c: &EntryChange) -> String {
    let path = if c.class == ChangeClass::Modified {
        format!(
            "<a href=\"#c{i}\"><code>{}</code></a>",
            esc(&change_path(c))
        )
    } else {
        format!("<code>{}</code>", esc(&change_path(c)))
    };
    format!(
        "<tr class=\"{}\"><td>{}</td><td>{path}</td><td>{}</td></tr>",
        c.class.as_str(),
        c.class.as_str(),
        esc(&change_brief(c))
    )
}

/// Renders the diff as one self-contained HTML page of at most about
/// `max_bytes` bytes.
pub fn render(d: &ReleaseDiff, max_bytes: usize) -> String {
    let mut o = String::new();
    let title = format!("glassbox diff: {} → {}", d.old.source, d.new.source);
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&title)
    );
    let _ = writeln!(o, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        o,
        "<p id=\"verdict\" class=\"{}\">{}</p>",
        if d.identical { "added" } else { "removed" },
        if d.identical {
            "Identical"
        } else {
            "Different"
        }
    );
    let s = &d.summary;
    let _ = writeln!(
        o,
        "<table id=\"summary\"><tr><th>added</th><th>removed</th><th>modified</th><th>renamed</th><th>metadata</th><th>type changed</th></tr>\
<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
        s.added, s.removed, s.modified, s.renamed, s.metadata, s.type_changed
    );
    let _ = writeln!(
        o,
        "<p>old: <code>{}</code> ({} entries) — new: <code>{}</code> ({} entries)</p>",
        esc(&d.old.source),
        d.old.entries,
        esc(&d.new.source),
        d.new.entries
    );
    if !s.changed_executables.is_empty() {
        o.push_str("<h2>Changed executables</h2><table id=\"executables\"><tr><th>change</th><th>format</th><th>path</th><th>note</th></tr>");
        for e in &s.changed_executables {
            let note = match super::executable_note(e) {
                Some((Tone::Warn, note)) => format!("<span class=\"warn\">{note}</span>"),
                Some((_, note)) => note.to_string(),
                None => String::new(),
            };
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{note}</td></tr>",
                e.class.as_str(),
                esc(&e.format),
                esc(&e.path.to_string())
            );
        }
        o.push_str("</table>\n");
    }
    let security = super::security_rows(d);
    if !security.is_empty() {
        o.push_str("<h2>Security-relevant changes</h2><table id=\"security\"><tr><th>change</th><th>path</th><th>what</th></tr>");
        let more = security.len().saturating_sub(super::SECURITY_SHOWN);
        for (c, what) in security.into_iter().take(super::SECURITY_SHOWN) {
            let _ = write!(
                o,
                "<tr><td>{}</td><td><code>{}</code></td><td><span class=\"warn\">{}</span></td></tr>",
                c.class.as_str(),
                esc(&change_path(c)),
                esc(&what)
            );
        }
        o.push_str("</table>\n");
        if more > 0 {
            let _ = writeln!(o, "<p>… and {more} more (in the changes below)</p>");
        }
    }
    let budget = max_bytes.saturating_sub(FOOTER_RESERVE);
    let mut truncated = false;
    if !d.changes.is_empty() {
        o.push_str("<h2>Changes</h2><table id=\"changes\"><tr><th>change</th><th>path</th><th>detail</th></tr>");
        for (i, c) in d.changes.iter().enumerate() {
            let row = match super::listed(d, c) {
                super::Listed::InGroup => continue,
                super::Listed::GroupHead(g) => {
                    let files = super::group_files(g, |p| format!("<code>{}</code>", esc(p)));
                    format!(
                        "<tr class=\"{} group\"><td>{}</td><td><a href=\"#c{i}\">{}</a></td><td><b>{}</b></td></tr>",
                        c.class.as_str(),
                        c.class.as_str(),
                        files,
                        esc(&super::group_line(g))
                    )
                }
                super::Listed::Alone => change_row(i, c),
            };
            if o.len() + row.len() > budget {
                truncated = true;
                break;
            }
            o.push_str(&row);
        }
        o.push_str("</table>\n");
    }
    if !truncated {
        let modified: Vec<(usize, &EntryChange)> = d
            .changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.class == ChangeClass::Modified)
            .filter(|(_, c)| !matches!(super::listed(d, c), super::Listed::InGroup))
            .collect();
        if !modified.is_empty() {
            o.push_str("<h2>Modified files</h2>\n");
        }
        for (i, c) in modified {
            let (also, brief, detail) = match super::listed(d, c) {
                super::Listed::GroupHead(g) => (
                    format!(" (same change in {} files)", g.count),
                    format!(
                        "the lines every file changed, {} for its name",
                        g.placeholder
                    ),
                    group_detail(g),
                ),
                _ => (String::new(), change_brief(c), detail(c)),
            };
            let sec = format!(
                "<details id=\"c{i}\"><summary><code>{}</code>{} — {}</summary>{}</details>\n",
                esc(&change_path(c)),
                esc(&also),
                esc(&brief),
                detail
            );
            if o.len() + sec.len() > budget {
                truncated = true;
                break;
            }
            o.push_str(&sec);
        }
    }
    if truncated {
        let _ = writeln!(
            o,
            "<p class=\"truncated\" id=\"truncated\">Truncated: this report reached --max-report-bytes ({max_bytes} bytes). The remaining changes are not shown here; the JSON output (--format json) has every change.</p>"
        );
    }
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn html_is_self_contained_escaped_and_highlighted() {
        let d = sample::diff();
        let h = render(&d, 1 << 20);
        assert!(h.starts_with("<!DOCTYPE html>"));
        for external in ["<script", "<link", "src=", "http://", "https://", "@import"] {
            assert!(!h.contains(external), "{external}");
        }
        assert!(h.contains("<details id=\"c0\"><summary><code>pkg/app.py</code>"));
        assert!(
            h.contains("hello <span class=\"e\">&lt;there&gt; &amp; world&#39;)</span>"),
            "{h}"
        );
        assert!(!h.contains("<world>"));
        assert!(!h.contains("id=\"truncated\""));
    }

    #[test]
    fn html_cap_gives_a_truncated_notice() {
        let d = sample::diff();
        let h = render(&d, 3000);
        assert!(h.contains("id=\"truncated\""));
        assert!(h.len() < 3000 + FOOTER_RESERVE, "{}", h.len());
        assert!(h.ends_with("</body></html>\n"));
    }
}
