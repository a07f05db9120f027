//! PEM (RFC 7468) encoding and decoding of one block.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::{Result, err};

/// Encodes `der` as a PEM block with `label`, 64 characters a line (RFC 7468 §2).
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Decodes the first PEM block with `label` in `text`.
pub fn decode(label: &str, text: &str) -> Result<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text
        .find(&begin)
        .ok_or_else(|| err(format!("no {begin} block")))?
        + begin.len();
    let stop = text[start..]
        .find(&end)
        .ok_or_else(|| err(format!("no {end} line")))?
        + start;
    let b64: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD
        .decode(b64)
        .map_err(|e| err(format!("bad base64 in {label} block: {e}")))
}
