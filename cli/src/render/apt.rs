//! `glassbox apt verify`: the chain link by link for people, or the
//! [`AptVerification`] as JSON (schema `core/schema/apt-verify.v1.schema.json`).

use glassbox_core::apt::AptVerification;
use glassbox_core::sig::fmt_time;

use super::Format;
use crate::ui::Ui;

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(16)]
}

/// Renders the verdict on one apt chain.
pub fn verification(v: &AptVerification, format: Format, ui: &Ui) -> anyhow::Result<()> {
    if format == Format::Json {
        return super::json(v);
    }
    let mark = |ok: bool| if ok { ui.good("ok") } else { ui.bad("FAILED") };
    let mut text = String::new();
    let r = &v.release;
    outln!(
        text,
        "{} apt chain {} at {}",
        if v.verified {
            ui.good("verified")
        } else {
            ui.bad("FAILED")
        },
        r.file,
        fmt_time(v.validation_time)
    );
    let signed = match &r.signature_file {
        Some(s) => format!("{} signed by {s}", r.file),
        None => r.file.clone(),
    };
    outln!(text, "  release  {}  {signed}", mark(r.verified));
    if let Some(rel) = &r.release {
        let name = [&rel.origin, &rel.suite, &rel.codename]
            .iter()
            .filter_map(|x| x.as_deref())
            .collect::<Vec<_>>()
            .join(" ");
        let until = rel
            .valid_until
            .map(|t| format!("valid until {}", fmt_time(t)))
            .unwrap_or_else(|| "no Valid-Until".into());
        outln!(
            text,
            "           {name}, dated {}, {until}, {} files listed",
            fmt_time(rel.date),
            rel.files.len()
        );
    }
    for s in r.signatures.iter().flat_map(|d| &d.signatures) {
        let who = s.user_id.as_deref().unwrap_or("(unknown key)");
        let subkey = match (&s.signing_key, &s.primary_key) {
            (Some(k), Some(p)) if k != p => format!(", subkey {k}"),
            _ => String::new(),
        };
        outln!(
            text,
            "    signature {}  {} {who} ({}{subkey}, {}{})",
            mark(s.verified),
            s.primary_key.as_deref().unwrap_or(&s.issuer),
            s.key_algorithm.as_deref().unwrap_or("?"),
            s.hash_algorithm,
            s.created
                .map(|t| format!(", made {}", fmt_time(t)))
                .unwrap_or_default()
        );
    }
    for i in &v.indexes {
        let listed = i.listed_as.as_deref().unwrap_or("(not listed)");
        outln!(
            text,
            "  index    {}  {} = {listed} ({} bytes, sha256 {}…, {} stanzas)",
            mark(i.verified),
            i.file,
            i.size,
            short(&i.sha256.to_hex()),
            i.stanzas
        );
    }
    for p in &v.packages {
        let what = match (&p.package, &p.version, &p.architecture) {
            (Some(n), Some(ver), Some(a)) => format!("{n} {ver} {a}"),
            _ => "(unknown package)".into(),
        };
        let via = match (&p.index, &p.filename) {
            (Some(i), Some(f)) => format!(" via {i} ({f})"),
            _ => String::new(),
        };
        outln!(
            text,
            "  package  {}  {} = {what}{via}",
            mark(p.verified),
            p.file
        );
    }
    if !v.failures.is_empty() {
        outln!(text, "{}:", ui.bad("failures"));
        for f in &v.failures {
            outln!(text, "  [{}] {}: {}", f.check, f.file, f.reason);
        }
    }
    super::stdout(&text)
}
