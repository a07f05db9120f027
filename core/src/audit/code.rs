//! Findings from the code diff of executables (`core::diff::code`): what an
//! update adds to what its code can do.
//!
//! | what the update adds to an executable | severity |
//! |---|---|
//! | a network import, or an endpoint (URL, host, IPv4, IPv6) in its strings | high |
//! | an import of another capability group, an e-mail address or registry path | medium |
//! | strings only | info |
//!
//! Each finding carries its evidence: the imports by group, the
//! indicators, and the functions the update added, so the auditor knows
//! where to read the disassembly diff.

use crate::diff::ReleaseDiff;
use crate::diff::code::{Capability, CodeDiff};
use crate::report::{Check, Finding, Severity};

/// Items named per evidence line before "and N more".
const NAMED: usize = 20;

fn named<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let all: Vec<&str> = items.into_iter().collect();
    let mut s = all[..all.len().min(NAMED)].join(", ");
    if all.len() > NAMED {
        s.push_str(&format!(" and {} more", all.len() - NAMED));
    }
    s
}

fn new_functions(code: &CodeDiff) -> Option<String> {
    let f = &code.functions;
    (f.added_count > 0).then(|| {
        format!(
            "{} new function(s): {}",
            f.added_count,
            named(f.added.iter().map(|x| x.name.as_str()))
        )
    })
}

/// The findings of one executable's code diff.
fn findings_of(path: &str, since: &str, code: &CodeDiff) -> Vec<Finding> {
    let added = &code.surface.added;
    let (net, endpoints) = added.network();
    let mut out = Vec::new();
    let finding = |severity, title: String, evidence: Vec<String>| {
        let mut f = Finding::new(severity, Check::Diff, title).paths([path.to_string()]);
        for e in evidence.into_iter().chain(new_functions(code)) {
            f = f.evidence(e);
        }
        f
    };
    if !net.is_empty() || !endpoints.is_empty() {
        let mut what = Vec::new();
        let mut evidence = Vec::new();
        if !net.is_empty() {
            what.push(format!("network imports {}", named(net.iter().copied())));
            evidence.push(format!(
                "new network imports: {}",
                named(net.iter().copied())
            ));
        }
        for (kind, values) in added.indicators.iter().filter(|(k, _)| k.is_endpoint()) {
            evidence.push(format!(
                "new {} in strings: {}",
                kind.as_str(),
                named(values.iter().map(String::as_str))
            ));
        }
        if !endpoints.is_empty() {
            what.push(format!("endpoints {}", named(endpoints.iter().copied())));
        }
        out.push(finding(
            Severity::High,
            format!(
                "Executable {path} gains network reach since {since}: {}",
                what.join("; ")
            ),
            evidence,
        ));
    }
    let mut other = Vec::new();
    for (cap, names) in &added.imports {
        if matches!(cap, Capability::Network | Capability::Other) {
            continue;
        }
        other.push(format!(
            "new {} imports: {}",
            cap.as_str(),
            named(names.iter().map(String::as_str))
        ));
    }
    for (kind, values) in added.indicators.iter().filter(|(k, _)| !k.is_endpoint()) {
        other.push(format!(
            "new {} in strings: {}",
            kind.as_str(),
            named(values.iter().map(String::as_str))
        ));
    }
    if !other.is_empty() {
        out.push(finding(
            Severity::Medium,
            format!("Executable {path} gains capabilities since {since}"),
            other,
        ));
    }
    if out.is_empty() && code.strings.added_count > 0 {
        out.push(finding(
            Severity::Info,
            format!(
                "Executable {path} has {} new string(s) since {since}",
                code.strings.added_count
            ),
            vec![format!(
                "new strings: {}",
                named(code.strings.added.iter().map(|s| s.text.as_str()))
            )],
        ));
    }
    out
}

/// The findings of every executable's code diff in `d`.
pub(super) fn code_findings(d: &ReleaseDiff, since: &str) -> Vec<Finding> {
    d.changes
        .iter()
        .filter_map(|c| Some((c.path.to_string(), c.content.as_ref()?.code.as_ref()?)))
        .flat_map(|(path, code)| findings_of(&path, since, code))
        .collect()
}
