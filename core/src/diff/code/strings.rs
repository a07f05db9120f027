//! Printable strings of an executable, as `strings(1)` finds them: runs of
//! printable ASCII (0x20-0x7e and tab) and of UTF-16LE code units in that
//! range (the `-e l` encoding of GNU strings, what Windows programs store),
//! at least a minimum number of characters long, over the whole file.

use std::collections::BTreeSet;

use serde::Serialize;

/// Distinct strings kept per executable; past it the rest are counted as
/// cut (a file of nothing but short strings cannot take unbounded memory).
pub const MAX_STRINGS: usize = 1 << 20;
/// Characters of one string kept in the output (the comparison uses the
/// whole string).
const SHOWN_CHARS: usize = 512;

/// How a string was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StringEncoding {
    /// One byte per character.
    Ascii,
    /// Two bytes per character, little-endian.
    Utf16le,
}

/// One string found in an executable.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FoundString {
    /// The text (cut to 512 characters with `…` when longer).
    pub text: String,
    /// ASCII or UTF-16LE.
    pub encoding: StringEncoding,
}

/// The distinct strings of one file.
pub(super) struct Strings {
    /// (text, encoding), sorted.
    pub set: BTreeSet<(String, StringEncoding)>,
    /// Whether [`MAX_STRINGS`] was reached.
    pub cut: bool,
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// The strings of `data` at least `min` characters long.
pub(super) fn extract(data: &[u8], min: usize) -> Strings {
    let min = min.max(1);
    let mut s = Strings {
        set: BTreeSet::new(),
        cut: false,
    };
    let add = |text: String, enc: StringEncoding, s: &mut Strings| {
        if s.set.len() >= MAX_STRINGS {
            s.cut = true;
        } else {
            s.set.insert((text, enc));
        }
    };
    // ASCII runs.
    let mut start = None;
    for (i, &b) in data.iter().chain(std::iter::once(&0)).enumerate() {
        match (printable(b), start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                if i - st >= min {
                    let text = String::from_utf8_lossy(&data[st..i]).into_owned();
                    add(text, StringEncoding::Ascii, &mut s);
                }
                start = None;
            }
            _ => {}
        }
    }
    // UTF-16LE runs, at both byte alignments.
    for align in 0..2 {
        let mut run = String::new();
        let units = data.get(align..).unwrap_or(&[]).chunks_exact(2);
        for u in units.chain(std::iter::once(&[0u8, 1][..])) {
            if u[1] == 0 && printable(u[0]) {
                run.push(u[0] as char);
            } else {
                if run.len() >= min {
                    add(std::mem::take(&mut run), StringEncoding::Utf16le, &mut s);
                }
                run.clear();
            }
        }
    }
    s
}

/// A string as shown: cut to [`SHOWN_CHARS`] characters.
pub(super) fn shown(text: &str, encoding: StringEncoding) -> FoundString {
    let text = match text.char_indices().nth(SHOWN_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    };
    FoundString { text, encoding }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ascii_and_utf16_runs_of_the_minimum_length() {
        let mut data = b"\x00\x01hello!\x00abc\x00\x01\x01".to_vec();
        for c in "WinHttp".chars() {
            data.extend([c as u8, 0]);
        }
        data.extend([0, 0]);
        let s = extract(&data, 6);
        let got: Vec<_> = s.set.iter().cloned().collect();
        assert_eq!(
            got,
            vec![
                ("WinHttp".to_string(), StringEncoding::Utf16le),
                ("hello!".to_string(), StringEncoding::Ascii),
            ]
        );
        assert!(!s.cut);
    }
}
