//! Configuration files (JSON, TOML, YAML): a key-level diff, with paths
//! written as JSON Pointers (RFC 6901), alongside the line diff.
//!
//! YAML is parsed with `serde_norway`, the maintained fork of the archived
//! `serde_yaml`; every format is converted to a JSON value first so one
//! walker serves all three.

use serde::Serialize;
use serde_json::Value;

use crate::release::EntryPath;

use super::super::DiffOptions;
use super::{Comparator, ContentDiff, ContentKind, Sides, text};

/// Longest rendering of a value kept in a [`KeyChange`].
const MAX_VALUE_CHARS: usize = 200;

/// What happened to a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyChangeOp {
    /// Only in the new file.
    Added,
    /// Only in the old file.
    Removed,
    /// Different value (or type).
    Changed,
}

/// One key-level change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyChange {
    /// JSON Pointer of the key (RFC 6901): `/server/port`, `/list/0`.
    pub path: String,
    /// Added, removed or changed.
    pub op: KeyChangeOp,
    /// Old value as compact JSON (cut at 200 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// New value as compact JSON (cut at 200 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

/// The key-level diff of a configuration file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StructuredDiff {
    /// `json`, `toml` or `yaml`.
    pub format: &'static str,
    /// The changes (at most `max_diff_lines`).
    pub changes: Vec<KeyChange>,
    /// All changes, counted.
    pub change_count: u64,
}

/// The config format named by a file's extension.
fn format_of(path: &EntryPath) -> Option<&'static str> {
    let name = path.inner().file_name();
    let ext = name.rsplit(|&b| b == b'.').next()?.to_ascii_lowercase();
    match &ext[..] {
        b"json" => Some("json"),
        b"toml" => Some("toml"),
        b"yaml" | b"yml" => Some("yaml"),
        _ => None,
    }
}

/// Parses a config into a JSON value.
pub fn parse(format: &str, bytes: &[u8]) -> Option<Value> {
    let s = std::str::from_utf8(bytes).ok()?;
    match format {
        "json" => serde_json::from_str(s).ok(),
        "toml" => toml::from_str::<toml::Value>(s)
            .ok()
            .and_then(|v| serde_json::to_value(v).ok()),
        "yaml" => serde_norway::from_str::<Value>(s).ok(),
        _ => None,
    }
}

fn escape(key: &str) -> String {
    // RFC 6901 §3: '~' is written "~0" and '/' is written "~1".
    key.replace('~', "~0").replace('/', "~1")
}

fn render(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(MAX_VALUE_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

struct Walker {
    max: usize,
    out: Vec<KeyChange>,
    count: u64,
}

impl Walker {
    fn push(&mut self, path: &str, op: KeyChangeOp, old: Option<&Value>, new: Option<&Value>) {
        self.count += 1;
        if self.out.len() < self.max {
            self.out.push(KeyChange {
                path: if path.is_empty() {
                    "/".into()
                } else {
                    path.into()
                },
                op,
                old: old.map(render),
                new: new.map(render),
            });
        }
    }

    fn walk(&mut self, path: &str, old: &Value, new: &Value) {
        match (old, new) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, va) in a {
                    let p = format!("{path}/{}", escape(k));
                    match b.get(k) {
                        Some(vb) => self.walk(&p, va, vb),
                        None => self.push(&p, KeyChangeOp::Removed, Some(va), None),
                    }
                }
                for (k, vb) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                    self.push(
                        &format!("{path}/{}", escape(k)),
                        KeyChangeOp::Added,
                        None,
                        Some(vb),
                    );
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                for i in 0..a.len().max(b.len()) {
                    let p = format!("{path}/{i}");
                    match (a.get(i), b.get(i)) {
                        (Some(x), Some(y)) => self.walk(&p, x, y),
                        (Some(x), None) => self.push(&p, KeyChangeOp::Removed, Some(x), None),
                        (None, Some(y)) => self.push(&p, KeyChangeOp::Added, None, Some(y)),
                        (None, None) => {}
                    }
                }
            }
            (a, b) if a != b => self.push(path, KeyChangeOp::Changed, Some(a), Some(b)),
            _ => {}
        }
    }
}

/// Key-level diff of two parsed configs.
pub fn diff_values(format: &'static str, old: &Value, new: &Value, max: usize) -> StructuredDiff {
    let mut w = Walker {
        max,
        out: Vec::new(),
        count: 0,
    };
    w.walk("", old, new);
    StructuredDiff {
        format,
        changes: w.out,
        change_count: w.count,
    }
}

/// Comparator for configs named `.json`, `.toml`, `.yaml`/`.yml` that parse
/// on both sides.
pub struct StructuredComparator;

impl Comparator for StructuredComparator {
    fn kind(&self) -> ContentKind {
        ContentKind::Config
    }

    fn recognises(&self, s: &Sides<'_>) -> bool {
        format_of(s.path).is_some_and(|f| parse(f, s.old).is_some() && parse(f, s.new).is_some())
    }

    fn compare(&self, s: &Sides<'_>, opts: &DiffOptions, out: &mut ContentDiff) {
        let Some(f) = format_of(s.path) else { return };
        if let (Some(a), Some(b)) = (parse(f, s.old), parse(f, s.new)) {
            out.structured = Some(diff_values(f, &a, &b, opts.max_diff_lines));
        }
        text::TextComparator.compare(s, opts, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare::compare_bytes;
    use crate::diff::source::memory::path;

    fn ops(d: &StructuredDiff) -> Vec<(String, KeyChangeOp)> {
        d.changes.iter().map(|c| (c.path.clone(), c.op)).collect()
    }

    #[test]
    fn json_keys_added_removed_changed_with_pointer_escapes() {
        let a = br#"{"server":{"port":80,"a/b":1,"tls":false},"list":[1,2,3]}"#;
        let b = br#"{"server":{"port":8080,"a/b":1,"h~x":true},"list":[1,2]}"#;
        let d = compare_bytes(&path("etc/conf.json"), a, b, &DiffOptions::default());
        assert_eq!(d.kind, Some(ContentKind::Config));
        let s = d.structured.unwrap();
        assert_eq!(
            ops(&s),
            vec![
                ("/list/2".into(), KeyChangeOp::Removed),
                ("/server/port".into(), KeyChangeOp::Changed),
                ("/server/tls".into(), KeyChangeOp::Removed),
                ("/server/h~0x".into(), KeyChangeOp::Added),
            ]
        );
        assert_eq!(s.changes[1].old.as_deref(), Some("80"));
        assert_eq!(s.changes[1].new.as_deref(), Some("8080"));
        assert!(d.text.is_some(), "configs also get a line diff");
    }

    #[test]
    fn toml_and_yaml_are_compared_by_key() {
        // The workspace's own manifest as a real TOML sample.
        let a = include_bytes!("../../../Cargo.toml");
        let b = String::from_utf8_lossy(a).replace("thiserror = ", "thiserror-x = ");
        let d = compare_bytes(
            &path("Cargo.toml"),
            a,
            b.as_bytes(),
            &DiffOptions::default(),
        );
        let s = d.structured.unwrap();
        assert_eq!(s.format, "toml");
        assert_eq!(
            ops(&s),
            vec![
                ("/dependencies/thiserror".into(), KeyChangeOp::Removed),
                ("/dependencies/thiserror-x".into(), KeyChangeOp::Added),
            ]
        );
        let y1 = b"name: app\nreplicas: 2\nports:\n  - 80\n";
        let y2 = b"name: app\nreplicas: 3\nports:\n  - 80\n  - 443\n";
        let d = compare_bytes(&path("deploy.yml"), y1, y2, &DiffOptions::default());
        let s = d.structured.unwrap();
        assert_eq!(
            ops(&s),
            vec![
                ("/ports/1".into(), KeyChangeOp::Added),
                ("/replicas".into(), KeyChangeOp::Changed)
            ]
        );
    }

    #[test]
    fn unparsable_config_falls_back_to_text() {
        let d = compare_bytes(
            &path("x.json"),
            b"{broken",
            b"{broken2",
            &DiffOptions::default(),
        );
        assert_eq!(d.kind, Some(ContentKind::Text));
        assert!(d.structured.is_none());
    }
}
