//! Checksum manifests in the `sha256sum` style (`SHA256SUMS`): one line per
//! file, `<64 hex> <space or *><path>`, as GNU coreutils writes them
//! (including its `\`-escaped form for names with a newline or backslash),
//! or the BSD tagged form `SHA256 (path) = <hex>`.
//!
//! A manifest is only worth what its signature is worth: the release
//! verifier checks it only once a signature over the manifest file itself
//! has verified, and then every listed file's digest is compared.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::digest::Sha256Digest;

/// Most lines accepted in one manifest.
pub const MAX_LINES: usize = 100_000;

/// One line of a manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ManifestLine {
    /// The path as listed, relative to the manifest's directory.
    pub path: String,
    /// The listed digest.
    pub sha256: Sha256Digest,
}

/// Why a manifest could not be read. A manifest with any unreadable line is
/// refused as a whole: a partly-understood list could silently skip files.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ManifestError {
    /// 1-based line number (0 for whole-file problems).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parses manifest text. Blank lines and `#` comments are skipped; paths
/// that are absolute or contain `..` are refused, as is one path listed
/// twice.
pub fn parse(text: &[u8]) -> Result<Vec<ManifestLine>, ManifestError> {
    let text = std::str::from_utf8(text).map_err(|e| ManifestError {
        line: 0,
        reason: format!("not UTF-8: {e}"),
    })?;
    let mut out: Vec<ManifestLine> = Vec::new();
    let mut seen = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        if line_no > MAX_LINES {
            return Err(ManifestError {
                line: line_no,
                reason: format!("more than {MAX_LINES} lines"),
            });
        }
        let err = |reason: String| ManifestError {
            line: line_no,
            reason,
        };
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (hex, path) = if let Some(rest) = line.strip_prefix("SHA256 (") {
            let (path, hex) = rest
                .rsplit_once(") = ")
                .ok_or_else(|| err("malformed BSD-style line".into()))?;
            (hex, path.to_string())
        } else {
            let (escaped, line) = match line.strip_prefix('\\') {
                Some(l) => (true, l),
                None => (false, line),
            };
            let (hex, rest) = line
                .split_once(' ')
                .ok_or_else(|| err("expected \"<sha256> <path>\"".into()))?;
            let path = rest
                .strip_prefix(' ')
                .or_else(|| rest.strip_prefix('*'))
                .ok_or_else(|| {
                    err("expected two spaces or \" *\" between digest and path".into())
                })?;
            let path = if escaped {
                unescape(path).ok_or_else(|| err("bad escape in path".into()))?
            } else {
                path.to_string()
            };
            (hex, path)
        };
        let sha256 = Sha256Digest::from_hex(hex).map_err(|e| err(e.to_string()))?;
        let path = path.strip_prefix("./").unwrap_or(&path).to_string();
        if path.is_empty()
            || path.starts_with('/')
            || path.split('/').any(|c| c == ".." || c.is_empty())
        {
            return Err(err(format!(
                "path {path:?} is empty, absolute or leaves the release"
            )));
        }
        if let Some(prev) = seen.insert(path.clone(), line_no) {
            return Err(err(format!("{path:?} is already listed on line {prev}")));
        }
        out.push(ManifestLine { path, sha256 });
    }
    if out.is_empty() {
        return Err(ManifestError {
            line: 0,
            reason: "lists no file".into(),
        });
    }
    Ok(out)
}

/// GNU coreutils escaping: `\\` and `\n` (and `\r` since 9.0).
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next()? {
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Whether a file name is that of a checksum manifest glassbox reads.
pub fn is_manifest_name(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "sha256sums" | "sha256sums.txt" | "sha256sum.txt" | "checksums.sha256"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "4575540bc8ad40fe2b2dc04f163da8173628d674a658eb1204471e7610203e00";

    #[test]
    fn gnu_bsd_binary_and_escaped_forms() {
        let text = format!(
            "# comment\n{H}  a.txt\n{H} *bin/b\nSHA256 (c d) = {H}\n\\{H}  new\\nline\n\n{H}  ./e\n"
        );
        let lines = parse(text.as_bytes()).unwrap();
        let paths: Vec<_> = lines.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(paths, ["a.txt", "bin/b", "c d", "new\nline", "e"]);
    }

    #[test]
    fn refuses_escapes_duplicates_and_garbage() {
        for bad in [
            format!("{H}  ../etc/passwd\n"),
            format!("{H}  /abs\n"),
            format!("{H}  a\n{H}  a\n"),
            format!("{H} a\n"),
            "deadbeef  a\n".to_string(),
            String::new(),
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let e = parse(format!("{H}  ok\nnonsense\n").as_bytes()).unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn manifest_names() {
        assert!(is_manifest_name("SHA256SUMS"));
        assert!(is_manifest_name("sha256sums.txt"));
        assert!(!is_manifest_name("SHA256SUMS.p7s"));
    }
}
