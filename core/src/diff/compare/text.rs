//! Text comparison: encoding detection (UTF-8, else Latin-1), a line diff
//! (Myers, via `similar`) grouped into unified-diff hunks, and word-level
//! emphasis inside changed lines for renderers that can show it.

use std::borrow::Cow;
use std::time::Duration;

use serde::Serialize;
use similar::{ChangeTag, TextDiff as SimilarDiff};

use super::super::DiffOptions;
use super::{Comparator, ContentDiff, ContentKind, Sides};

/// Context lines around each hunk, as `diff -u`.
const CONTEXT: usize = 3;
/// Longest line kept (characters); longer lines are cut (minified code).
const MAX_LINE_CHARS: usize = 2000;
/// Time budget of one line diff before similar falls back to a coarser one.
const DIFF_TIMEOUT: Duration = Duration::from_secs(5);

/// How a text was decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    /// Valid UTF-8.
    Utf8,
    /// Not UTF-8, read as ISO-8859-1 (every byte one character).
    Latin1,
}

/// The role of a line in a hunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineTag {
    /// Unchanged context.
    Context,
    /// Only in the old text.
    Removed,
    /// Only in the new text.
    Added,
}

/// A run of a line's text; `emph` marks the words that changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// The text (no line terminator).
    pub text: String,
    /// Part of the change inside a modified line.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub emph: bool,
}

/// One line of a hunk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    /// Context, removed or added.
    pub tag: LineTag,
    /// 1-based line number in the old text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_line: Option<u64>,
    /// 1-based line number in the new text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_line: Option<u64>,
    /// The line's text in runs.
    pub segments: Vec<Segment>,
}

impl DiffLine {
    /// The line's text without emphasis.
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }
}

/// A group of changes with context, as in a unified diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hunk {
    /// First old line (1-based; 0 when the hunk has no old lines).
    pub old_start: u64,
    /// Old lines covered.
    pub old_lines: u64,
    /// First new line (1-based; 0 when the hunk has no new lines).
    pub new_start: u64,
    /// New lines covered.
    pub new_lines: u64,
    /// The lines (possibly cut short by `max_diff_lines`).
    pub lines: Vec<DiffLine>,
}

/// The line diff of two texts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TextDiff {
    /// Encoding of the old text.
    pub old_encoding: TextEncoding,
    /// Encoding of the new text.
    pub new_encoding: TextEncoding,
    /// Lines added in all.
    pub lines_added: u64,
    /// Lines removed in all.
    pub lines_removed: u64,
    /// Hunks, until `max_diff_lines` lines were kept.
    pub hunks: Vec<Hunk>,
    /// True when lines were left out because of `max_diff_lines`.
    pub truncated: bool,
}

/// Decodes content as text: UTF-8 when valid, else Latin-1 when it looks
/// like text (no NUL, at most 1% control bytes). `None` for binary content.
pub fn decode(bytes: &[u8]) -> Option<(Cow<'_, str>, TextEncoding)> {
    if memchr::memchr(0, bytes).is_some() {
        return None;
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Some((Cow::Borrowed(s), TextEncoding::Utf8));
    }
    let control = bytes
        .iter()
        .filter(|&&b| {
            (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || (0x7f..0xa0).contains(&b)
        })
        .count();
    if control * 100 > bytes.len() {
        return None;
    }
    Some((
        Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
        TextEncoding::Latin1,
    ))
}

fn segment(text: &str, emph: bool) -> Segment {
    let t = text.trim_end_matches(['\n', '\r']);
    let text = match t.char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    };
    Segment { text, emph }
}

/// Diffs two texts line by line; keeps at most `max_lines` lines of hunks.
pub fn diff_text(
    old: &str,
    new: &str,
    old_enc: TextEncoding,
    new_enc: TextEncoding,
    max_lines: usize,
) -> TextDiff {
    let diff = SimilarDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old, new);
    let (mut added, mut removed) = (0u64, 0u64);
    for op in diff.ops() {
        for c in diff.iter_changes(op) {
            match c.tag() {
                ChangeTag::Insert => added += 1,
                ChangeTag::Delete => removed += 1,
                ChangeTag::Equal => {}
            }
        }
    }
    let mut hunks = Vec::new();
    let mut kept = 0usize;
    let mut truncated = false;
    'groups: for group in diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (or, nr) = (
            first.old_range().start..last.old_range().end,
            first.new_range().start..last.new_range().end,
        );
        let mut hunk = Hunk {
            old_start: if or.is_empty() {
                or.start as u64
            } else {
                or.start as u64 + 1
            },
            old_lines: or.len() as u64,
            new_start: if nr.is_empty() {
                nr.start as u64
            } else {
                nr.start as u64 + 1
            },
            new_lines: nr.len() as u64,
            lines: Vec::new(),
        };
        for op in &group {
            for change in diff.iter_inline_changes(op) {
                if kept >= max_lines {
                    truncated = true;
                    if !hunk.lines.is_empty() {
                        hunks.push(hunk);
                    }
                    break 'groups;
                }
                let tag = match change.tag() {
                    ChangeTag::Equal => LineTag::Context,
                    ChangeTag::Delete => LineTag::Removed,
                    ChangeTag::Insert => LineTag::Added,
                };
                let segments = change
                    .iter_strings_lossy()
                    .map(|(emph, s)| segment(&s, emph && tag != LineTag::Context))
                    .filter(|s| !s.text.is_empty())
                    .collect();
                hunk.lines.push(DiffLine {
                    tag,
                    old_line: change.old_index().map(|i| i as u64 + 1),
                    new_line: change.new_index().map(|i| i as u64 + 1),
                    segments,
                });
                kept += 1;
            }
        }
        hunks.push(hunk);
    }
    TextDiff {
        old_encoding: old_enc,
        new_encoding: new_enc,
        lines_added: added,
        lines_removed: removed,
        hunks,
        truncated,
    }
}

/// Text comparator: both sides decode as text.
pub struct TextComparator;

impl Comparator for TextComparator {
    fn kind(&self) -> ContentKind {
        ContentKind::Text
    }

    fn recognises(&self, s: &Sides<'_>) -> bool {
        decode(s.old).is_some() && decode(s.new).is_some()
    }

    fn compare(&self, s: &Sides<'_>, opts: &DiffOptions, out: &mut ContentDiff) {
        if let (Some((a, ea)), Some((b, eb))) = (decode(s.old), decode(s.new)) {
            out.text = Some(diff_text(&a, &b, ea, eb, opts.max_diff_lines));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_utf8_latin1_and_binary() {
        assert_eq!(decode("héllo\n".as_bytes()).unwrap().1, TextEncoding::Utf8);
        let (s, e) = decode(b"caf\xe9 cr\xe8me\n").unwrap();
        assert_eq!((s.as_ref(), e), ("café crème\n", TextEncoding::Latin1));
        assert!(decode(b"\x7fELF\x02\x01\x01\x00").is_none());
        assert!(decode(&[0x80u8; 100]).is_none());
    }

    #[test]
    fn unified_hunks_with_word_emphasis() {
        // A real file as the sample: this module's own source.
        let old = include_str!("text.rs");
        let new = old.replacen("const CONTEXT: usize = 3;", "const CONTEXT: usize = 5;", 1);
        let d = diff_text(old, &new, TextEncoding::Utf8, TextEncoding::Utf8, 100);
        assert_eq!((d.lines_added, d.lines_removed, d.hunks.len()), (1, 1, 1));
        let h = &d.hunks[0];
        assert_eq!(h.lines.len(), 8, "3 context + removed + added + 3 context");
        let removed = h.lines.iter().find(|l| l.tag == LineTag::Removed).unwrap();
        let added = h.lines.iter().find(|l| l.tag == LineTag::Added).unwrap();
        assert_eq!(removed.old_line, added.new_line);
        assert_eq!(removed.text(), "const CONTEXT: usize = 3;");
        let emph: Vec<&str> = added
            .segments
            .iter()
            .filter(|s| s.emph)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(
            emph,
            vec!["5;"],
            "whitespace-separated words are emphasised"
        );
        assert_eq!(h.old_start, removed.old_line.unwrap() - 3);
    }

    #[test]
    fn max_lines_truncates_but_counts_everything() {
        let old: String = (0..500).map(|i| format!("line {i}\n")).collect();
        let new: String = (0..500).map(|i| format!("line {}\n", i * 2)).collect();
        let d = diff_text(&old, &new, TextEncoding::Utf8, TextEncoding::Utf8, 40);
        assert!(d.truncated);
        assert_eq!(d.hunks.iter().map(|h| h.lines.len()).sum::<usize>(), 40);
        assert!(d.lines_added >= 249 && d.lines_removed >= 249);
    }

    #[test]
    fn appended_lines_at_end_of_file() {
        let d = diff_text(
            "a\nb\n",
            "a\nb\n\n# appended\n",
            TextEncoding::Utf8,
            TextEncoding::Utf8,
            100,
        );
        assert_eq!((d.lines_added, d.lines_removed), (2, 0));
        assert_eq!(d.hunks[0].lines.last().unwrap().text(), "# appended");
        assert_eq!(d.hunks[0].lines.last().unwrap().new_line, Some(4));
    }
}
