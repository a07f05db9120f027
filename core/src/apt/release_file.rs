//! The Release file of an apt distribution (DebianRepository/Format,
//! "Release files" — <https://wiki.debian.org/DebianRepository/Format#A.22Release.22_files>):
//! one deb822 paragraph naming the distribution, when it was made, until
//! when it may be used, and the SHA-256 and size of every index under
//! `dists/DIST/`.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::deb822::{Deb822Error, Paragraph, Paragraphs, short};
use crate::digest::Sha256Digest;

/// Largest Release file read (Debian's own are under 1 MiB).
pub const MAX_RELEASE_BYTES: u64 = 16 * 1024 * 1024;

/// A file the Release file lists in its `SHA256` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Listed {
    /// Its SHA-256.
    pub sha256: Sha256Digest,
    /// Its size in bytes.
    pub size: u64,
}

/// A parsed Release file: what the chain uses of it.
#[derive(Clone, Debug, Serialize)]
pub struct AptRelease {
    /// `Origin`, `Label`, `Suite`, `Codename`, `Version`: who and what, for
    /// the report (none of them is checked).
    pub origin: Option<String>,
    /// See `origin`.
    pub label: Option<String>,
    /// See `origin`.
    pub suite: Option<String>,
    /// See `origin`.
    pub codename: Option<String>,
    /// See `origin`.
    pub version: Option<String>,
    /// `Date`: when the file was made.
    #[serde(with = "crate::sig::rfc3339")]
    pub date: OffsetDateTime,
    /// `Valid-Until`: after it the file must not be used.
    #[serde(with = "crate::sig::rfc3339_opt")]
    pub valid_until: Option<OffsetDateTime>,
    /// The `SHA256` list: path under `dists/DIST/` → digest and size.
    #[serde(skip)]
    pub files: BTreeMap<String, Listed>,
}

/// Why a Release file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseFileError {
    /// Not one deb822 paragraph read one way.
    #[error("{0}")]
    Syntax(#[from] Deb822Error),
    /// Anything else: the field and why.
    #[error("{field}: {reason}")]
    Field {
        /// The field concerned.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

fn field_err(field: &'static str, reason: impl Into<String>) -> ReleaseFileError {
    ReleaseFileError::Field {
        field,
        reason: reason.into(),
    }
}

/// Fields that change what apt trusts and that glassbox does not apply:
/// refused rather than ignored, so no verdict is given on a chain apt would
/// judge differently. `Signed-By` (apt ≥ 2.3) restricts the keys of the
/// next Release.
const NOT_APPLIED: &[&str] = &["Signed-By"];

impl AptRelease {
    /// Parses the signed text of a Release file.
    pub fn parse(text: &[u8]) -> Result<Self, ReleaseFileError> {
        let mut paragraphs = Paragraphs::new(text, MAX_RELEASE_BYTES);
        let para = match paragraphs.next() {
            Some(p) => p?,
            None => return Err(field_err("Release", "empty: no fields")),
        };
        if let Some(next) = paragraphs.next() {
            let line = match next {
                Ok(p) => p.line,
                Err(e) => return Err(e.into()),
            };
            return Err(Deb822Error {
                line,
                reason: "a second paragraph: a Release file is one paragraph".into(),
            }
            .into());
        }
        for f in NOT_APPLIED {
            if para.get(f).is_some() {
                return Err(field_err(
                    "Release",
                    format!(
                        "has a {f} field, which glassbox does not apply; verify this chain with apt"
                    ),
                ));
            }
        }
        let text = |name: &str| para.single(name).map(|v| v.map(str::to_string));
        let date = match para.single("Date")? {
            Some(d) => parse_date(d).map_err(|r| field_err("Date", r))?,
            // The spec makes Date mandatory; without it a Release from the
            // future of the validation time could not be told apart.
            None => return Err(field_err("Date", "missing (the spec requires it)")),
        };
        let valid_until = match para.single("Valid-Until")? {
            Some(d) => Some(parse_date(d).map_err(|r| field_err("Valid-Until", r))?),
            None => None,
        };
        Ok(Self {
            origin: text("Origin")?,
            label: text("Label")?,
            suite: text("Suite")?,
            codename: text("Codename")?,
            version: text("Version")?,
            date,
            valid_until,
            files: sha256_list(&para)?,
        })
    }
}

/// The `SHA256` field: an empty first line, then one ` HEX SIZE PATH` line
/// per file ("MD5Sum, SHA1, SHA256" in the spec). MD5Sum and SHA1 lists
/// are not used (broken hashes); without a SHA256 list nothing is
/// authenticated, so it is required.
fn sha256_list(para: &Paragraph) -> Result<BTreeMap<String, Listed>, ReleaseFileError> {
    const F: &str = "SHA256";
    let Some(field) = para.get(F) else {
        return Err(field_err(
            F,
            "missing: the Release file has no SHA256 list (MD5Sum and SHA1 are not accepted)",
        ));
    };
    if !field.value.is_empty() {
        return Err(field_err(F, "text after `SHA256:` on its own line"));
    }
    let mut files = BTreeMap::new();
    for line in &field.lines {
        let parts: Vec<&str> = line.split_ascii_whitespace().collect();
        let [hex, size, path] = parts[..] else {
            return Err(field_err(
                F,
                format!("{:?} is not `SHA256 SIZE PATH`", short(line)),
            ));
        };
        let sha256 = Sha256Digest::from_hex(hex).map_err(|e| field_err(F, e.to_string()))?;
        let size = parse_size(size).map_err(|r| field_err(F, format!("{path}: {r}")))?;
        if let Some(why) = crate::sig::release::ambiguous_name(path) {
            return Err(field_err(F, format!("{:?}: {why}", short(path))));
        }
        if files
            .insert(path.to_string(), Listed { sha256, size })
            .is_some()
        {
            return Err(field_err(
                F,
                format!("{path} is listed twice; readers differ on which line counts"),
            ));
        }
    }
    Ok(files)
}

/// A decimal size: digits only (no sign, no blanks), within u64.
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("size {:?} is not a decimal number", short(s)));
    }
    s.parse()
        .map_err(|_| format!("size {:?} is out of range", short(s)))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `Date` and `Valid-Until` (spec: "Date, Valid-Until"): RFC 2822 dates
/// in UTC, as `date -R -u` writes them: `Tue, 01 Dec 2026 02:13:34 UTC`.
/// Only UTC is accepted (`UTC`, `GMT`, `+0000`, `Z`), as the spec asks;
/// the weekday must be the date's.
pub fn parse_date(s: &str) -> Result<OffsetDateTime, String> {
    let bad = |why: &str| format!("{:?} is not an RFC 2822 UTC date ({why})", short(s));
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    let [wday, day, month, year, clock, zone] = parts[..] else {
        return Err(bad("expected `Www, DD Mmm YYYY HH:MM:SS UTC`"));
    };
    if !["UTC", "GMT", "+0000", "Z"].contains(&zone) {
        return Err(bad("the zone must be UTC"));
    }
    let num = |t: &str, len: std::ops::RangeInclusive<usize>| -> Result<u32, String> {
        if !len.contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("a number is malformed"));
        }
        t.parse().map_err(|_| bad("a number is malformed"))
    };
    let month = MONTHS
        .iter()
        .position(|m| *m == month)
        .ok_or_else(|| bad("unknown month"))?;
    let month = Month::try_from(month as u8 + 1).map_err(|_| bad("unknown month"))?;
    let year = num(year, 4..=4)? as i32;
    let date = Date::from_calendar_date(year, month, num(day, 1..=2)? as u8)
        .map_err(|e| bad(&e.to_string()))?;
    let hms: Vec<&str> = clock.split(':').collect();
    let [h, m, sec] = hms[..] else {
        return Err(bad("the time is not HH:MM:SS"));
    };
    let time = Time::from_hms(
        num(h, 2..=2)? as u8,
        num(m, 2..=2)? as u8,
        num(sec, 2..=2)? as u8,
    )
    .map_err(|e| bad(&e.to_string()))?;
    let want = DAYS[date.weekday().number_days_from_monday() as usize];
    if wday != format!("{want},") {
        return Err(bad(&format!("the date is a {want}")));
    }
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_a_release_file() {
        let text = format!(
            "Origin: Debian\nSuite: stable\nDate: Tue, 01 Dec 2026 02:13:34 UTC\n\
             Valid-Until: Tue, 08 Dec 2026 02:13:34 UTC\nMD5Sum:\n 00 0 x\nSHA256:\n {EMPTY} 0 main/binary-amd64/Packages\n"
        );
        let r = AptRelease::parse(text.as_bytes()).unwrap();
        assert_eq!(r.date, datetime!(2026-12-01 02:13:34 UTC));
        assert_eq!(r.valid_until, Some(datetime!(2026-12-08 02:13:34 UTC)));
        assert_eq!(r.files["main/binary-amd64/Packages"].size, 0);
        assert_eq!(r.suite.as_deref(), Some("stable"));
    }

    #[test]
    fn refuses_what_it_cannot_read_one_way() {
        let date = "Date: Tue, 01 Dec 2026 02:13:34 UTC\n";
        for (text, why) in [
            (format!("{date}MD5Sum:\n 00 0 x\n"), "no SHA256 list"),
            ("SHA256:\n".to_string(), "Date: missing"),
            (
                format!("{date}SHA256:\n {EMPTY} 0 a\n {EMPTY} 1 a\n"),
                "listed twice",
            ),
            (format!("{date}SHA256:\n {EMPTY} 0 ../a\n"), "`..`"),
            (format!("{date}SHA256:\n {EMPTY} -1 a\n"), "not a decimal"),
            (
                format!("{date}SHA256:\n {EMPTY} 0\n"),
                "not `SHA256 SIZE PATH`",
            ),
            (format!("{date}SHA256:\n\nSuite: x\n"), "second paragraph"),
            (format!("{date}Signed-By: ABC\nSHA256:\n"), "does not apply"),
            (
                format!("{date}date: Tue, 01 Dec 2026 02:13:34 UTC\n"),
                "twice",
            ),
        ] {
            let e = AptRelease::parse(text.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(why), "{text:?}: {e}");
        }
    }

    #[test]
    fn dates_are_utc_rfc2822() {
        assert_eq!(
            parse_date("Tue, 01 Dec 2026 02:13:34 UTC").unwrap(),
            datetime!(2026-12-01 02:13:34 UTC)
        );
        for bad in [
            "Wed, 01 Dec 2026 02:13:34 UTC",
            "Tue, 01 Dec 2026 02:13:34 +0100",
            "Tue, 01 Dec 2026 02:13 UTC",
            "Tue, 32 Dec 2026 02:13:34 UTC",
            "2026-12-01T02:13:34Z",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
