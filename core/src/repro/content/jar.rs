//! A jar's `META-INF/MANIFEST.MF` (JAR File Specification, "Manifest
//! Specification"): build tools record build timestamps as main attributes.
//!
//! Only a main-section attribute named in [`TIMESTAMP_ATTRIBUTES`] whose
//! value has a timestamp's shape ([`is_timestamp`]) is dropped, each name
//! at most once; every other line, and every line ending, stays compared.
//! Lines end at CR LF, LF or a lone CR, as the specification's grammar
//! (`newline: CR LF | LF | CR (not followed by LF)`) and Java's
//! `java.util.jar.Manifest` read them: splitting on LF alone would let
//! `Build-Date: 1\rMain-Class: app.Other` pass as one timestamp line while
//! Java runs `app.Other`.

/// Manifest attributes that hold a build time, by the tools that write them.
pub(crate) const TIMESTAMP_ATTRIBUTES: &[&str] = &[
    "Build-Date",
    "Build-Time",
    "Build-Timestamp",
    "Built-Date",
    "Bnd-LastModified",
    "Implementation-Build-Date",
];

/// Longest value accepted as a timestamp (the longest shape below, an ISO
/// 8601 time with nanoseconds and an offset, is 35 bytes).
const MAX_VALUE: usize = 40;

pub(super) fn applies(name: &[u8]) -> bool {
    name.len() >= 20 && name[name.len() - 20..].eq_ignore_ascii_case(b"META-INF/MANIFEST.MF")
}

/// Splits into lines, each with its terminator (CR LF, LF or lone CR).
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push(&bytes[start..=i]);
                start = i + 1;
            }
            b'\r' => {
                let end = if bytes.get(i + 1) == Some(&b'\n') {
                    i + 1
                } else {
                    i
                };
                out.push(&bytes[start..=end]);
                i = end;
                start = end + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

fn content(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    &line[..end]
}

/// Digits only.
fn digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

/// The shapes build tools write: milliseconds or seconds since the epoch
/// (bnd's `Bnd-LastModified`: 10 to 13 digits), or an ISO 8601 date with an
/// optional time (`T` or space), fraction and zone (`Z` or `±hh:mm`/`±hhmm`).
pub(crate) fn is_timestamp(v: &[u8]) -> bool {
    if v.len() > MAX_VALUE {
        return false;
    }
    if (10..=13).contains(&v.len()) && digits(v) {
        return true;
    }
    // yyyy-mm-dd
    let date = v.get(..10).unwrap_or_default();
    if !(date.len() == 10
        && digits(&date[..4])
        && date[4] == b'-'
        && digits(&date[5..7])
        && date[7] == b'-'
        && digits(&date[8..10]))
    {
        return false;
    }
    let mut rest = &v[10..];
    if rest.is_empty() {
        return true;
    }
    // [T ]hh:mm[:ss[.f{1,9}]]
    if !matches!(rest[0], b'T' | b' ') || rest.len() < 6 {
        return false;
    }
    let hm = &rest[1..6];
    if !(digits(&hm[..2]) && hm[2] == b':' && digits(&hm[3..5])) {
        return false;
    }
    rest = &rest[6..];
    if rest.first() == Some(&b':') {
        if !rest.get(1..3).is_some_and(digits) {
            return false;
        }
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if !(1..=9).contains(&n) {
                return false;
            }
            rest = &rest[1 + n..];
        }
    }
    match rest {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] | [b'+' | b'-', h1, h2, m1, m2] => {
            [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// The manifest without the main-section timestamp attributes (and their
/// continuation lines) that have exactly a timestamp's shape.
pub(super) fn normalize(bytes: &[u8]) -> Option<Vec<u8>> {
    let lines = lines(bytes);
    let mut out = Vec::with_capacity(bytes.len());
    let mut dropped: Vec<&str> = Vec::new();
    let mut i = 0;
    let mut main_section = true;
    while i < lines.len() {
        // One attribute: its header line and the continuation lines (a
        // single leading space) after it.
        let mut end = i + 1;
        while end < lines.len() && lines[end].starts_with(b" ") {
            end += 1;
        }
        let attr = &lines[i..end];
        i = end;
        let first = content(attr[0]);
        if first.is_empty() {
            // A blank line ends the main section (and any later one).
            main_section = false;
        }
        let name = main_section
            .then(|| timestamp_attribute(first))
            .flatten()
            .filter(|n| !dropped.contains(n));
        if let Some(name) = name {
            let mut value = first[name.len() + 2..].to_vec();
            for c in &attr[1..] {
                value.extend_from_slice(&content(c)[1..]);
            }
            if is_timestamp(&value) {
                dropped.push(name);
                continue;
            }
        }
        for l in attr {
            out.extend_from_slice(l);
        }
    }
    Some(out)
}

/// The listed attribute `line` sets (`Name: value`, the name matched
/// without regard to case as Java does), if any.
fn timestamp_attribute(line: &[u8]) -> Option<&'static str> {
    TIMESTAMP_ATTRIBUTES.iter().copied().find(|k| {
        line.len() >= k.len() + 2
            && line[..k.len()].eq_ignore_ascii_case(k.as_bytes())
            && &line[k.len()..k.len() + 2] == b": "
    })
}

#[cfg(test)]
mod tests {
    use super::super::normalized_of;
    use crate::release::canonical::Field;

    const NAME: &str = "lib/engine.jar!META-INF/MANIFEST.MF";

    fn manifest(date: &str, version: &str) -> Vec<u8> {
        format!(
            "Manifest-Version: 1.0\r\nCreated-By: Maven JAR Plugin 3.3.0\r\nBuild-Jdk-Spec: 17\r\nBnd-LastModified: {date}\r\nImplementation-Version: {version}\r\nBuild-Date: 2026-11-2\r\n 8T12:00:00Z\r\n\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn build_times_are_ignored_but_versions_are_not() {
        let a = manifest("1700000000000", "1.1.0");
        let b = manifest("1800000000000", "1.1.0").replace_bytes("2026-11-2", "2027-01-0");
        let na = normalized_of(&a, NAME).unwrap();
        assert_eq!(na.0, Field::JarManifestTimestamps);
        assert_eq!(na, normalized_of(&b, NAME).unwrap());
        let c = manifest("1700000000000", "1.1.1");
        assert_ne!(na, normalized_of(&c, NAME).unwrap());
        assert!(normalized_of(&a, "MANIFEST.txt").is_none());
    }

    trait ReplaceBytes {
        fn replace_bytes(self, from: &str, to: &str) -> Vec<u8>;
    }

    impl ReplaceBytes for Vec<u8> {
        fn replace_bytes(self, from: &str, to: &str) -> Vec<u8> {
            String::from_utf8(self)
                .unwrap()
                .replace(from, to)
                .into_bytes()
        }
    }
}
