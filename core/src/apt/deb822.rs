//! The control-file syntax apt repositories are written in ("deb822",
//! Debian Policy §5.1 "Syntax of control files"): paragraphs of
//! `Name: value` fields separated by empty lines, a field continued on
//! lines that begin with a space or a tab.
//!
//! Read strictly, because the Release file and the indexes are the signed
//! statements of the chain: whatever glassbox reads here must be what apt
//! reads. Where readers could disagree the paragraph is refused with the
//! line number: a field twice (case-insensitively, §5.1 says field names
//! are not case-sensitive: one reader keeps the first, another the last),
//! a line of only blanks (a separator for some readers, a value line for
//! others), a carriage return, a comment line, bytes that are not UTF-8
//! (§5.1: control files are UTF-8).
//!
//! Paragraphs are read one at a time from a [`BufRead`] and each is capped
//! in bytes, so an index of many paragraphs costs memory for one, and a
//! huge one stops at the cap.

use std::collections::HashSet;
use std::io::{BufRead, Read};

/// Why a paragraph could not be read one way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct Deb822Error {
    /// 1-based line of the input where the problem is.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// One field: its name as written, the value on the name's line (trimmed)
/// and the continuation lines (without their leading blank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field name as written.
    pub name: String,
    /// The text after the colon on the first line, blanks trimmed.
    pub value: String,
    /// Continuation lines, the one leading space or tab removed.
    pub lines: Vec<String>,
}

/// One paragraph (a Release file, or one stanza of an index).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Paragraph {
    /// 1-based line of its first field.
    pub line: u64,
    /// Its fields in order; no two share a name (case-insensitively).
    pub fields: Vec<Field>,
}

impl Paragraph {
    /// The field called `name` (case-insensitive, §5.1).
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The one-line value of `name`, which must have no continuation lines.
    pub fn single(&self, name: &str) -> Result<Option<&str>, Deb822Error> {
        match self.get(name) {
            None => Ok(None),
            Some(f) if f.lines.is_empty() => Ok(Some(f.value.as_str())),
            Some(f) => Err(Deb822Error {
                line: self.line,
                reason: format!("field {} is one line but continues on the next", f.name),
            }),
        }
    }
}

/// Reads paragraphs one at a time, each at most `max_bytes`.
pub struct Paragraphs<R> {
    reader: R,
    line: u64,
    max_bytes: u64,
    done: bool,
}

impl<R: BufRead> Paragraphs<R> {
    /// Paragraphs of `reader`, each refused past `max_bytes`.
    pub fn new(reader: R, max_bytes: u64) -> Self {
        Self {
            reader,
            line: 0,
            max_bytes,
            done: false,
        }
    }

    fn fail(&mut self, reason: String) -> Option<Result<Paragraph, Deb822Error>> {
        self.done = true;
        Some(Err(Deb822Error {
            line: self.line,
            reason,
        }))
    }
}

/// Field names (§5.1): printable US-ASCII but space and colon, not
/// starting with `#` or `-`.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && !matches!(name[0], b'#' | b'-')
        && name.iter().all(|b| (0x21..=0x7e).contains(b) && *b != b':')
}

impl<R: BufRead> Iterator for Paragraphs<R> {
    type Item = Result<Paragraph, Deb822Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut para = Paragraph::default();
        let mut names: HashSet<String> = HashSet::new();
        let mut used = 0u64;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            // One byte past what the paragraph may still use proves it too
            // large without reading a huge line whole.
            let left = self.max_bytes.saturating_sub(used).saturating_add(1);
            let n = match (&mut self.reader).take(left).read_until(b'\n', &mut buf) {
                Ok(n) => n as u64,
                Err(e) => return self.fail(format!("cannot read: {e}")),
            };
            if n == 0 {
                self.done = true;
                return (!para.fields.is_empty()).then_some(Ok(para));
            }
            self.line += 1;
            if para.fields.is_empty() && buf == b"\n" {
                // Blank lines before a paragraph separate nothing.
                continue;
            }
            used += n;
            if used > self.max_bytes {
                return self.fail(format!(
                    "paragraph longer than {} bytes; no real index or Release has one that long",
                    self.max_bytes
                ));
            }
            let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
            if text.is_empty() {
                return Some(Ok(para));
            }
            if text.ends_with(b"\r") {
                return self
                    .fail("carriage return at the end of a line (§5.1 lines end with LF)".into());
            }
            let Ok(text) = std::str::from_utf8(text) else {
                return self.fail("not UTF-8 (§5.1: control files are UTF-8)".into());
            };
            if text.bytes().all(|b| b == b' ' || b == b'\t') {
                return self.fail(
                    "a line of only spaces or tabs: some readers end the paragraph there, others do not"
                        .into(),
                );
            }
            if text.starts_with([' ', '\t']) {
                let Some(field) = para.fields.last_mut() else {
                    return self.fail("continuation line before any field".into());
                };
                field.lines.push(text[1..].to_string());
                continue;
            }
            if text.starts_with('#') {
                return self.fail("comment line: not part of a Release file or an index".into());
            }
            let Some((name, value)) = text.split_once(':') else {
                return self.fail(format!(
                    "{:?} is neither a field nor a continuation",
                    short(text)
                ));
            };
            if !valid_name(name.as_bytes()) {
                return self.fail(format!("{:?} is not a field name (§5.1)", short(name)));
            }
            if !names.insert(name.to_ascii_lowercase()) {
                return self.fail(format!(
                    "field {name} appears twice in one paragraph; readers differ on which one counts"
                ));
            }
            if para.fields.is_empty() {
                para.line = self.line;
            }
            para.fields.push(Field {
                name: name.to_string(),
                value: value.trim_matches([' ', '\t']).to_string(),
                lines: Vec::new(),
            });
        }
    }
}

/// At most 60 characters of `s`, for messages about hostile input.
pub(crate) fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Paragraph>, Deb822Error> {
        Paragraphs::new(text.as_bytes(), 1024).collect()
    }

    #[test]
    fn paragraphs_fields_and_continuations() {
        let p = read("\nA: 1\nB:\n x y\n\tz\n\n\nC: 3\n").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].line, 2);
        assert_eq!(p[0].get("b").unwrap().lines, vec!["x y", "z"]);
        assert_eq!(p[1].single("c").unwrap(), Some("3"));
        assert!(p[0].single("B").is_err());
    }

    #[test]
    fn refuses_what_readers_could_read_differently() {
        for (text, why) in [
            ("A: 1\na: 2\n", "twice"),
            ("A: 1\n  \nB: 2\n", "only spaces"),
            ("A: 1\r\n", "carriage return"),
            ("# c\nA: 1\n", "comment"),
            (" x\n", "before any field"),
            ("A 1\n", "neither"),
            ("-A: 1\n", "field name"),
        ] {
            let e = read(text).unwrap_err();
            assert!(e.reason.contains(why), "{text:?}: {e}");
        }
        let e = Paragraphs::new(&b"A: \xff\n"[..], 64)
            .next()
            .unwrap()
            .unwrap_err();
        assert!(e.reason.contains("UTF-8"));
    }

    #[test]
    fn a_paragraph_stops_at_its_cap() {
        let big = format!("A: {}\n", "x".repeat(5000));
        let e = read(&big).unwrap_err();
        assert!(e.reason.contains("longer than 1024"), "{e}");
    }
}
