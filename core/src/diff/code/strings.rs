//! Printable strings of an executable, as `strings(1)` finds them: runs of
//! printable ASCII (0x20-0x7e and tab) and of UTF-16LE code units in that
//! range (the `-e l` encoding of GNU strings, what Windows programs store),
//! at least a minimum number of characters long, over the whole file.

use std::borrow::Cow;

use serde::Serialize;

/// Strings (runs, before de-duplication) read per executable; past it the
/// rest are cut with a note (a file of nothing but short strings cannot
/// take unbounded memory or time).
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
pub(super) struct Strings<'d> {
    /// (text, encoding), sorted and distinct. ASCII runs borrow the file's
    /// bytes (printable ASCII is UTF-8): a file of a million short strings
    /// costs one allocation, not a million.
    pub set: Vec<(Cow<'d, str>, StringEncoding)>,
    /// Whether [`MAX_STRINGS`] was reached.
    pub cut: bool,
}

impl Strings<'_> {
    /// The strings of `self` not in `other`, in order (both are sorted:
    /// one merge walk).
    pub fn minus<'a>(&'a self, other: &'a Self) -> impl Iterator<Item = (&'a str, StringEncoding)> {
        let mut rest = other.set.iter().peekable();
        self.set.iter().filter_map(move |x| {
            while rest.next_if(|y| *y < x).is_some() {}
            match rest.peek() {
                Some(y) if *y == x => None,
                _ => Some((x.0.as_ref(), x.1)),
            }
        })
    }
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// The strings of `data` at least `min` characters long.
///
/// Runs are collected up to [`MAX_STRINGS`] (the cap applies before any
/// sorting, so a hostile file cannot make the work superlinear), then
/// sorted and de-duplicated once.
pub(super) fn extract(data: &[u8], min: usize) -> Strings<'_> {
    let min = min.max(1);
    let mut s = Strings {
        set: Vec::new(),
        cut: false,
    };
    fn add<'d>(text: Cow<'d, str>, enc: StringEncoding, s: &mut Strings<'d>) -> bool {
        if s.set.len() >= MAX_STRINGS {
            s.cut = true;
            false
        } else {
            s.set.push((text, enc));
            true
        }
    }
    // ASCII runs.
    let mut start = None;
    for (i, &b) in data.iter().chain(std::iter::once(&0)).enumerate() {
        match (printable(b), start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                if i - st >= min {
                    // Printable ASCII only: valid UTF-8, never lossy.
                    let text = std::str::from_utf8(&data[st..i]).unwrap_or_default();
                    if !add(Cow::Borrowed(text), StringEncoding::Ascii, &mut s) {
                        break;
                    }
                }
                start = None;
            }
            _ => {}
        }
    }
    // UTF-16LE runs, at both byte alignments.
    'align: for align in 0..2 {
        let mut run = String::new();
        let units = data.get(align..).unwrap_or(&[]).chunks_exact(2);
        for u in units.chain(std::iter::once(&[0u8, 1][..])) {
            if u[1] == 0 && printable(u[0]) {
                run.push(u[0] as char);
            } else {
                if run.len() >= min
                    && !add(
                        Cow::Owned(std::mem::take(&mut run)),
                        StringEncoding::Utf16le,
                        &mut s,
                    )
                {
                    break 'align;
                }
                run.clear();
            }
        }
    }
    s.set.sort_unstable();
    s.set.dedup();
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
        let got: Vec<_> = s.set.iter().map(|(t, e)| (t.as_ref(), *e)).collect();
        assert_eq!(
            got,
            vec![
                ("WinHttp", StringEncoding::Utf16le),
                ("hello!", StringEncoding::Ascii),
            ]
        );
        assert!(!s.cut);
    }
}
