//! Human renderings of an [`AuditReport`]: Markdown and one self-contained
//! HTML page. Pure functions returning text; nothing here knows about
//! terminals or files.
//!
//! Both follow the same order, the order a reader needs: the verdict and
//! summary first, then findings by severity, then the evidence (signature
//! table, chain per signer, diff summary with the changed executables,
//! reproducibility verdict with normalizations), then the inputs.
//!
//! Every string in a report may come from the vendor's material (file
//! names, certificate subjects), so all of it is escaped for the output
//! language: a file named `<script>` or `| x |` renders as text.

use std::fmt::Write;

use super::{
    AuditReport, DiffSection, Finding, ReproSection, Severity, TufSection, Verdict, VerifySection,
};

/// Characters that carry meaning in Markdown anywhere in a line (CommonMark
/// §2.4 lets any ASCII punctuation be backslash-escaped).
const MD_SPECIAL: &[char] = &[
    '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '!', '~', '&',
];

/// Characters that only start a block at the beginning of a line (list
/// markers, setext underlines, ordered-list delimiters after digits).
const MD_LINE_START: &[char] = &['-', '+', '=', '.', ')', '{', '}', '(', ':'];

/// Escapes text for Markdown: special punctuation backslash-escaped,
/// block-starting characters escaped where they could start a block,
/// control characters (newlines included) shown as `\u{..}` so a hostile
/// name cannot start a new block.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut leading = true; // still in the leading digits of the text
    for (i, c) in text.chars().enumerate() {
        if c.is_control() {
            let _ = write!(out, "\\\\u{{{:x}}}", c as u32);
        } else {
            // An ordered-list marker is digits then `.` or `)`; anything
            // else only starts a block as the very first character.
            let starts_block = (i == 0 && MD_LINE_START.contains(&c))
                || (leading && i > 0 && matches!(c, '.' | ')'));
            if MD_SPECIAL.contains(&c) || starts_block {
                out.push('\\');
            }
            out.push(c);
        }
        leading = leading && c.is_ascii_digit();
    }
    out
}

/// Escapes untrusted text for HTML element content and quoted attributes:
/// the one HTML escaper of glassbox (report pages and `diff --format html`).
///
/// Control characters other than tab are shown as `\u{..}`: a vendor's
/// file name or a report field holding ESC, NUL, CR or a C1 control must be
/// seen by the auditor, not swallowed by the browser (HTML Living Standard
/// §13.2.5 makes most of them parse errors and drops or replaces NUL). Tab
/// stays: it is HTML whitespace, and code in a diff is full of it.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn auditor_line(r: &AuditReport) -> String {
    let a = &r.case.auditor;
    let mut s = a.name.clone();
    if let Some(o) = &a.organization {
        let _ = write!(s, ", {o}");
    }
    if let Some(e) = &a.email {
        let _ = write!(s, " ({e})");
    }
    s
}

fn counts_line(r: &AuditReport) -> String {
    let s = &r.summary;
    format!(
        "{} critical, {} high, {} medium, {} info",
        s.critical, s.high, s.medium, s.info
    )
}

/// How a reader checks this report: the command, and what its
/// placeholders stand for. The key id is signed with the report, so the
/// reader can tell whether the public key they were given is the one.
fn verify_command(r: &AuditReport) -> (String, &'static str) {
    if r.case.auditor.certificates.is_empty() {
        (
            "glassbox report verify report.dsse.json --key AUDITOR.pub --artifacts CASE-DIR".into(),
            "AUDITOR.pub: the auditor's public key (its key id is above); CASE-DIR: the directory of the audited case file",
        )
    } else {
        (
            "glassbox report verify report.dsse.json --roots AUDITOR-CA.pem --artifacts CASE-DIR"
                .into(),
            "AUDITOR-CA.pem: the certificate authority that certifies the auditor; CASE-DIR: the directory of the audited case file",
        )
    }
}

fn findings_of(r: &AuditReport, s: Severity) -> impl Iterator<Item = &Finding> {
    r.findings.iter().filter(move |f| f.severity == s)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}

/// A table of the report, laid out once and written by both renderers, so
/// the Markdown and the HTML page show the same columns and escape each
/// cell the same way.
struct Table<'a> {
    /// The HTML `id` of the tables readers (and tests) link to.
    id: Option<&'static str>,
    head: &'static [&'static str],
    rows: Vec<Vec<Cell<'a>>>,
}

/// One cell, and how each renderer shows it.
enum Cell<'a> {
    /// glassbox's own words and numbers (check names, statuses, counts):
    /// written as they are.
    Own(String),
    /// Text that may come from the vendor's material: escaped.
    Text(&'a str),
    /// A file or signature name: escaped, and `<code>` on the page.
    Name(&'a str),
    /// A hex digest: code in both.
    Digest(&'a str),
    /// Names joined by `, `, each escaped.
    Names(&'a [String]),
    /// A verification result: `yes`, or a `NO` marked on the page.
    Verified(bool),
}

fn md_cell(c: &Cell) -> String {
    match c {
        Cell::Own(s) => s.clone(),
        Cell::Text(s) | Cell::Name(s) => md(s),
        Cell::Digest(s) => format!("`{s}`"),
        Cell::Names(list) => list.iter().map(|x| md(x)).collect::<Vec<_>>().join(", "),
        Cell::Verified(b) => yes_no(*b).to_string(),
    }
}

fn md_table(o: &mut String, t: &Table) {
    let _ = writeln!(
        o,
        "| {} |\n|{}",
        t.head.join(" | "),
        "---|".repeat(t.head.len())
    );
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(md_cell).collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
}

fn html_cell(o: &mut String, c: &Cell) {
    let _ = match c {
        Cell::Own(s) => write!(o, "<td>{s}</td>"),
        Cell::Text(s) => write!(o, "<td>{}</td>", escape_html(s)),
        Cell::Name(s) | Cell::Digest(s) => write!(o, "<td><code>{}</code></td>", escape_html(s)),
        Cell::Names(list) => write!(o, "<td>{}</td>", escape_html(&list.join(", "))),
        Cell::Verified(b) => write!(
            o,
            "<td{}>{}</td>",
            if *b { "" } else { " class=\"no\"" },
            yes_no(*b)
        ),
    };
}

fn html_table(o: &mut String, t: &Table) {
    match t.id {
        Some(id) => {
            let _ = writeln!(o, "<table id=\"{id}\">");
        }
        None => o.push_str("<table>\n"),
    }
    o.push_str("<tr>");
    for h in t.head {
        let _ = write!(o, "<th>{h}</th>");
    }
    o.push_str("</tr>\n");
    for row in &t.rows {
        o.push_str("<tr>");
        for c in row {
            html_cell(o, c);
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
}

impl<'a> Table<'a> {
    /// A table with one row per item, made by `row`.
    fn of<T>(
        id: Option<&'static str>,
        head: &'static [&'static str],
        items: impl IntoIterator<Item = T>,
        row: impl FnMut(T) -> Vec<Cell<'a>>,
    ) -> Self {
        let rows = items.into_iter().map(row).collect();
        Table { id, head, rows }
    }
}

/// What each check reported (`steps`).
fn steps_table(r: &AuditReport) -> Table<'_> {
    Table::of(None, &["check", "status", "summary"], &r.steps, |s| {
        vec![
            Cell::Own(s.check.name().to_string()),
            Cell::Own(s.status_text().to_string()),
            Cell::Text(&s.summary),
        ]
    })
}

/// One row per signature file.
fn signatures_table(v: &VerifySection) -> Table<'_> {
    let head = &[
        "signature",
        "format",
        "signs",
        "verified",
        "signer",
        "time",
        "reason",
    ];
    Table::of(Some("signatures"), head, &v.signatures, |s| {
        vec![
            Cell::Name(&s.signature),
            Cell::Text(&s.format),
            Cell::Names(&s.targets),
            Cell::Verified(s.verified),
            Cell::Names(&s.signers),
            Cell::Text(s.time.as_deref().unwrap_or("")),
            Cell::Text(s.reason.as_deref().unwrap_or("")),
        ]
    })
}

/// The files that did not verify, and why.
fn problems_table(v: &VerifySection) -> Table<'_> {
    let head = &["file", "signature", "check", "reason"];
    Table::of(None, head, &v.problems, |p| {
        vec![
            Cell::Name(&p.file),
            Cell::Name(&p.signature),
            Cell::Text(&p.check),
            Cell::Text(&p.reason),
        ]
    })
}

/// Entries changed since the previous release, by kind of change.
fn diff_counts_table(d: &DiffSection) -> Table<'_> {
    Table::of(Some("diff"), &["change", "entries"], &d.counts, |(k, n)| {
        vec![Cell::Text(k), Cell::Own(n.to_string())]
    })
}

/// The normalizations a reproducibility verdict relied on.
fn normalizations_table(p: &ReproSection) -> Table<'_> {
    let head = &["normalization", "applied", "what it ignores"];
    Table::of(Some("normalizations"), head, &p.normalizations, |n| {
        vec![
            Cell::Text(&n.name),
            Cell::Own(n.count.to_string()),
            Cell::Text(&n.description),
        ]
    })
}

/// What differs between the release and its rebuild.
fn differences_table(p: &ReproSection) -> Table<'_> {
    Table::of(None, &["differs", "how"], &p.differences, |d| {
        vec![Cell::Name(&d.path), Cell::Text(&d.kind)]
    })
}

/// The TUF roles verified.
fn tuf_roles_table(t: &TufSection) -> Table<'_> {
    let head = &["role", "version", "expires", "signatures / threshold"];
    Table::of(Some("tuf-roles"), head, &t.roles, |role| {
        vec![
            Cell::Text(&role.role),
            Cell::Own(role.version.to_string()),
            Cell::Text(&role.expires),
            Cell::Own(format!("{} / {}", role.signatures, role.threshold)),
        ]
    })
}

/// The TUF targets checked.
fn tuf_targets_table(t: &TufSection) -> Table<'_> {
    Table::of(
        None,
        &["target", "verified", "error"],
        &t.targets,
        |target| {
            vec![
                Cell::Name(&target.name),
                Cell::Own(yes_no(target.verified).to_string()),
                Cell::Text(target.error.as_deref().unwrap_or("")),
            ]
        },
    )
}

/// Every input the audit read, with its digest.
fn inputs_table(r: &AuditReport) -> Table<'_> {
    let head = &["role", "path", "kind", "sha256", "files"];
    Table::of(None, head, &r.inputs, |i| {
        vec![
            Cell::Own(role_name(i.role).to_string()),
            Cell::Name(&i.path),
            Cell::Own(kind_name(i.kind).to_string()),
            Cell::Digest(&i.sha256),
            Cell::Own(i.files.len().to_string()),
        ]
    })
}

/// The report as Markdown (CommonMark with GitHub tables).
pub fn markdown(r: &AuditReport) -> String {
    let mut o = String::new();
    let c = &r.case;
    let _ = writeln!(
        o,
        "# Audit report: {} {} {}\n",
        md(&c.vendor),
        md(&c.product),
        md(&c.version)
    );
    let _ = writeln!(
        o,
        "**Verdict: {}**{} ({})\n",
        r.verdict_word(),
        r.not_checked_text()
            .map(|t| format!(" — {}", md(&t)))
            .unwrap_or_default(),
        md(&counts_line(r))
    );
    o.push_str("| | |\n|---|---|\n");
    let _ = writeln!(o, "| Auditor | {} |", md(&auditor_line(r)));
    let _ = writeln!(o, "| Vendor | {} |", md(&c.vendor));
    let _ = writeln!(o, "| Product | {} |", md(&c.product));
    let _ = writeln!(o, "| Version | {} |", md(&c.version));
    let _ = writeln!(o, "| Date | {} |", md(&r.time));
    let _ = writeln!(
        o,
        "| Tool | {} {} (report schema v{}) |",
        md(&r.tool.name),
        md(&r.tool.version),
        r.schema_version
    );
    if let Some(k) = &c.auditor.key_id {
        let _ = writeln!(o, "| Signing key | `{}` |", md(k));
    }
    let (cmd, placeholders) = verify_command(r);
    let _ = writeln!(o, "| Verify | `{cmd}` ({}) |", md(placeholders));
    o.push('\n');

    if !r.steps.is_empty() {
        o.push_str("## Checks\n\n");
        md_table(&mut o, &steps_table(r));
        o.push('\n');
    }

    o.push_str("## Findings\n\n");
    if r.findings.is_empty() {
        o.push_str("No findings.\n\n");
    }
    for sev in Severity::ALL {
        let mut any = false;
        for f in findings_of(r, sev) {
            if !any {
                let _ = writeln!(o, "### {}\n", capitalised(sev.name()));
                any = true;
            }
            let _ = writeln!(
                o,
                "- **{}** {} _(check: {})_",
                md(&f.id),
                md(&f.title),
                f.check.name()
            );
            for e in &f.evidence {
                let _ = writeln!(o, "  - {}", md(e));
            }
            if !f.paths.is_empty() {
                let paths: Vec<String> = f.paths.iter().map(|p| md(p)).collect();
                let _ = writeln!(o, "  - files: {}", paths.join(", "));
            }
        }
        if any {
            o.push('\n');
        }
    }

    o.push_str("## Evidence\n\n");
    let mut evidence = false;
    if let Some(v) = &r.results.verify {
        evidence = true;
        let _ = writeln!(
            o,
            "### Signatures\n\nAll required files verified: **{}**. Coverage: {} verified, {} unsigned, {} failed.\n",
            yes_no(v.verified),
            v.coverage.verified,
            v.coverage.unsigned,
            v.coverage.failed
        );
        if !v.signatures.is_empty() {
            md_table(&mut o, &signatures_table(v));
            o.push('\n');
        }
        if !v.problems.is_empty() {
            o.push_str("Files not verified:\n\n");
            md_table(&mut o, &problems_table(v));
            o.push('\n');
        }
        if !v.signers.is_empty() {
            o.push_str("### Signers and chains\n\n");
            for s in &v.signers {
                let _ = write!(o, "- **{}** ({})", md(&s.signer), md(&s.kind));
                if let Some(k) = &s.key_sha256 {
                    let _ = write!(o, ", key sha256 `{}`", k);
                }
                o.push('\n');
                if !s.chain.is_empty() {
                    let chain: Vec<String> = s.chain.iter().map(|c| md(c)).collect();
                    let _ = writeln!(o, "  - chain: {}", chain.join(" → "));
                }
            }
            o.push('\n');
        }
        if let Some(cont) = &v.continuity {
            o.push_str("### Signer continuity\n\n");
            for (what, list) in [
                ("new", &cont.new),
                ("removed", &cont.removed),
                ("changed", &cont.changed),
            ] {
                let items: Vec<String> = list.iter().map(|x| md(x)).collect();
                let shown = if items.is_empty() {
                    "none".to_string()
                } else {
                    items.join(", ")
                };
                let _ = writeln!(o, "- {what}: {shown}");
            }
            o.push('\n');
        }
    }
    if let Some(d) = &r.results.diff {
        evidence = true;
        let _ = writeln!(o, "### Changes since {}\n", md(&d.previous_version));
        md_table(&mut o, &diff_counts_table(d));
        o.push('\n');
        if d.changed_executables.is_empty() {
            o.push_str("Changed executables: none.\n\n");
        } else {
            o.push_str("Changed executables:\n\n");
            for e in &d.changed_executables {
                let _ = writeln!(o, "- {}", md(e));
            }
            o.push('\n');
        }
    }
    if let Some(p) = &r.results.repro {
        evidence = true;
        let _ = writeln!(
            o,
            "### Reproducibility\n\nVerdict: **{}**\n",
            md(p.verdict.name())
        );
        if !p.normalizations.is_empty() {
            md_table(&mut o, &normalizations_table(p));
            o.push('\n');
        }
        if !p.differences.is_empty() {
            md_table(&mut o, &differences_table(p));
            o.push('\n');
        }
    }
    if let Some(t) = &r.results.tuf {
        evidence = true;
        let roots: Vec<String> = t.root_versions.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(
            o,
            "### TUF repository\n\nVerified: **{}**. Root versions: {}.\n",
            yes_no(t.verified),
            roots.join(" → ")
        );
        if let Some(e) = &t.error {
            let _ = writeln!(o, "Error: {}\n", md(e));
        }
        if !t.roles.is_empty() {
            md_table(&mut o, &tuf_roles_table(t));
            o.push('\n');
        }
        if !t.targets.is_empty() {
            md_table(&mut o, &tuf_targets_table(t));
            o.push('\n');
        }
    }
    if !evidence {
        o.push_str("No check produced evidence.\n\n");
    }

    if !r.inputs.is_empty() {
        o.push_str("## Inputs\n\n");
        md_table(&mut o, &inputs_table(r));
    }
    o
}

fn role_name(r: super::InputRole) -> &'static str {
    match r {
        super::InputRole::Release => "release",
        super::InputRole::Previous => "previous",
        super::InputRole::Rebuild => "rebuild",
        super::InputRole::Policy => "policy",
        super::InputRole::TufRoot => "tuf-root",
        super::InputRole::TufRepository => "tuf-repository",
        super::InputRole::TrustMaterial => "trust-material",
    }
}

fn kind_name(k: super::InputKind) -> &'static str {
    match k {
        super::InputKind::File => "file",
        super::InputKind::Directory => "directory",
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const CSS: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.6rem 0;width:100%}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word;hyphens:none}th{white-space:nowrap}
th{background:#f2f2f2}code{font-size:.85em;overflow-wrap:anywhere}
.verdict{font-size:1.3rem;font-weight:700;padding:.5rem 1rem;border-radius:.3rem;display:inline-block}
.pass{background:#e3f4e3;color:#0b5d0b;border:2px solid #0b5d0b}.fail{background:#fbe4e4;color:#8b0000;border:2px solid #8b0000}
.sev{font-weight:700;text-transform:uppercase;font-size:.8rem;padding:.05rem .4rem;border-radius:.2rem;border:1px solid}
.critical{color:#8b0000}.high{color:#a04000}.medium{color:#7a6000}.info{color:#24527a}
.finding{margin:.6rem 0;padding:.4rem .8rem;border-left:4px solid #999}
.finding.critical{border-color:#8b0000}.finding.high{border-color:#a04000}.finding.medium{border-color:#7a6000}.finding.info{border-color:#24527a}
.no{color:#8b0000;font-weight:700}
@media print{body{margin:0;max-width:none}.finding,tr{break-inside:avoid}h2{break-after:avoid}}";

/// The report as one self-contained HTML page: inline CSS, no scripts, no
/// external resources, readable and printable as is.
pub fn html_page(r: &AuditReport) -> String {
    let c = &r.case;
    let mut o = String::new();
    let title = format!("Audit report: {} {} {}", c.vendor, c.product, c.version);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n",
        escape_html(&title)
    );
    let verdict_class = match r.summary.verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
    };
    let _ = writeln!(o, "<h1>{}</h1>", escape_html(&title));
    let _ = writeln!(
        o,
        "<section id=\"summary\">\n<p><span class=\"verdict {verdict_class}\" id=\"verdict\">Verdict: {}</span>{} {}</p>",
        r.verdict_word(),
        r.not_checked_text()
            .map(|t| format!(" <strong>— {}</strong>", escape_html(&t)))
            .unwrap_or_default(),
        escape_html(&counts_line(r))
    );
    o.push_str("<table>\n");
    for (k, v) in [
        ("Auditor", auditor_line(r)),
        ("Vendor", c.vendor.clone()),
        ("Product", c.product.clone()),
        ("Version", c.version.clone()),
        ("Date", r.time.clone()),
        (
            "Tool",
            format!(
                "{} {} (report schema v{})",
                r.tool.name, r.tool.version, r.schema_version
            ),
        ),
    ] {
        let _ = writeln!(o, "<tr><th>{k}</th><td>{}</td></tr>", escape_html(&v));
    }
    if let Some(k) = &c.auditor.key_id {
        let _ = writeln!(
            o,
            "<tr><th>Signing key</th><td><code id=\"key-id\">{}</code></td></tr>",
            escape_html(k)
        );
    }
    let (cmd, placeholders) = verify_command(r);
    let _ = writeln!(
        o,
        "<tr><th>Verify</th><td><code id=\"verify-command\">{}</code><br><small>{}</small></td></tr>",
        escape_html(&cmd),
        escape_html(placeholders)
    );
    o.push_str("</table>\n");
    if !r.steps.is_empty() {
        html_table(&mut o, &steps_table(r));
    }
    o.push_str("</section>\n<section id=\"findings\">\n<h2>Findings</h2>\n");
    if r.findings.is_empty() {
        o.push_str("<p>No findings.</p>\n");
    }
    for sev in Severity::ALL {
        for f in findings_of(r, sev) {
            let s = sev.name();
            let _ = write!(
                o,
                "<div class=\"finding {s}\" id=\"{}\"><p><span class=\"sev {s}\">{s}</span> <strong>{}</strong> {} <small>(check: {})</small></p>",
                escape_html(&f.id),
                escape_html(&f.id),
                escape_html(&f.title),
                f.check.name()
            );
            if !f.evidence.is_empty() || !f.paths.is_empty() {
                o.push_str("<ul>");
                for e in &f.evidence {
                    let _ = write!(o, "<li>{}</li>", escape_html(e));
                }
                if !f.paths.is_empty() {
                    let paths: Vec<String> = f
                        .paths
                        .iter()
                        .map(|p| format!("<code>{}</code>", escape_html(p)))
                        .collect();
                    let _ = write!(o, "<li>files: {}</li>", paths.join(", "));
                }
                o.push_str("</ul>");
            }
            o.push_str("</div>\n");
        }
    }
    o.push_str("</section>\n<section id=\"evidence\">\n<h2>Evidence</h2>\n");
    let mut evidence = false;
    if let Some(v) = &r.results.verify {
        evidence = true;
        let _ = writeln!(
            o,
            "<h3>Signatures</h3>\n<p>All required files verified: <strong{}>{}</strong>. Coverage: {} verified, {} unsigned, {} failed.</p>",
            if v.verified { "" } else { " class=\"no\"" },
            yes_no(v.verified),
            v.coverage.verified,
            v.coverage.unsigned,
            v.coverage.failed
        );
        if !v.signatures.is_empty() {
            html_table(&mut o, &signatures_table(v));
        }
        if !v.problems.is_empty() {
            o.push_str("<p>Files not verified:</p>\n");
            html_table(&mut o, &problems_table(v));
        }
        if !v.signers.is_empty() {
            o.push_str("<h3>Signers and chains</h3>\n<ul>\n");
            for s in &v.signers {
                let _ = write!(
                    o,
                    "<li><strong>{}</strong> ({})",
                    escape_html(&s.signer),
                    escape_html(&s.kind)
                );
                if let Some(k) = &s.key_sha256 {
                    let _ = write!(o, ", key sha256 <code>{}</code>", escape_html(k));
                }
                if !s.chain.is_empty() {
                    let chain: Vec<String> = s.chain.iter().map(|c| escape_html(c)).collect();
                    let _ = write!(o, "<br>chain: {}", chain.join(" &rarr; "));
                }
                o.push_str("</li>\n");
            }
            o.push_str("</ul>\n");
        }
        if let Some(cont) = &v.continuity {
            o.push_str("<h3>Signer continuity</h3>\n<table>\n");
            for (what, list) in [
                ("new", &cont.new),
                ("removed", &cont.removed),
                ("changed", &cont.changed),
            ] {
                let shown = if list.is_empty() {
                    "none".to_string()
                } else {
                    list.join(", ")
                };
                let _ = writeln!(
                    o,
                    "<tr><th>{what}</th><td>{}</td></tr>",
                    escape_html(&shown)
                );
            }
            o.push_str("</table>\n");
        }
    }
    if let Some(d) = &r.results.diff {
        evidence = true;
        let _ = writeln!(
            o,
            "<h3>Changes since {}</h3>",
            escape_html(&d.previous_version)
        );
        html_table(&mut o, &diff_counts_table(d));
        if d.changed_executables.is_empty() {
            o.push_str("<p>Changed executables: none.</p>\n");
        } else {
            o.push_str("<p>Changed executables:</p>\n<ul>");
            for e in &d.changed_executables {
                let _ = write!(o, "<li><code>{}</code></li>", escape_html(e));
            }
            o.push_str("</ul>\n");
        }
    }
    if let Some(p) = &r.results.repro {
        evidence = true;
        let _ = writeln!(
            o,
            "<h3>Reproducibility</h3>\n<p>Verdict: <strong id=\"repro-verdict\">{}</strong></p>",
            escape_html(p.verdict.name())
        );
        if !p.normalizations.is_empty() {
            html_table(&mut o, &normalizations_table(p));
        }
        if !p.differences.is_empty() {
            html_table(&mut o, &differences_table(p));
        }
    }
    if let Some(t) = &r.results.tuf {
        evidence = true;
        let roots: Vec<String> = t.root_versions.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(
            o,
            "<h3>TUF repository</h3>\n<p>Verified: <strong{}>{}</strong>. Root versions: {}.</p>",
            if t.verified { "" } else { " class=\"no\"" },
            yes_no(t.verified),
            roots.join(" &rarr; ")
        );
        if let Some(e) = &t.error {
            let _ = writeln!(o, "<p>Error: {}</p>", escape_html(e));
        }
        if !t.roles.is_empty() {
            html_table(&mut o, &tuf_roles_table(t));
        }
        if !t.targets.is_empty() {
            html_table(&mut o, &tuf_targets_table(t));
        }
    }
    if !evidence {
        o.push_str("<p>No check produced evidence.</p>\n");
    }
    o.push_str("</section>\n");
    if !r.inputs.is_empty() {
        o.push_str("<section id=\"inputs\">\n<h2>Inputs</h2>\n");
        html_table(&mut o, &inputs_table(r));
        o.push_str("</section>\n");
    }
    o.push_str("</body>\n</html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping_keeps_hostile_names_inert() {
        assert_eq!(md("a|b"), "a\\|b");
        assert_eq!(md("x\n# y"), "x\\\\u{a}\\# y");
        assert_eq!(md("[l](http://e)"), "\\[l\\](http://e)");
        assert_eq!(md("- x"), "\\- x");
        assert_eq!(md("12. x.y"), "12\\. x.y");
        assert_eq!(md("2026-07-01"), "2026-07-01");
    }

    #[test]
    fn html_escaping_keeps_hostile_names_inert() {
        assert_eq!(
            escape_html("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(escape_html("a\u{1b}b"), "a\\u{1b}b");
        // NUL, CR and C1 controls are shown too; tab is HTML whitespace and
        // stays (code in `diff --format html` is full of it).
        assert_eq!(escape_html("a\0b\rc\u{85}d"), "a\\u{0}b\\u{d}c\\u{85}d");
        assert_eq!(escape_html("\tx"), "\tx");
    }
}
