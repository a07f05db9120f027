//! PEM (RFC 7468), read once for every caller: keys, certificate bundles,
//! CRLs, CMS signatures and log keys.
//!
//! Reading is lax about whitespace, as RFC 7468 §2 asks of parsers (line
//! width, CRLF, leading blank lines, text between blocks), because
//! vendors' PEM files come from many tools; the strict `pem-rfc7468`
//! decoder refuses lines that are not 64 columns wide and any second block.
//! Everything else is strict: a BEGIN without its END, a body that is not
//! standard base64, or encrypted (RFC 1421 `Proc-Type`) headers are errors.
//! Writing goes through `pem-rfc7468` (64 columns, LF).

/// Why PEM text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// The input is not UTF-8 text.
    #[error("not UTF-8 text")]
    NotText,
    /// A `-----BEGIN label-----` line has no matching END line.
    #[error("{label} block has no END line")]
    NoEnd {
        /// The block's label.
        label: String,
    },
    /// The block carries RFC 1421 headers (`Proc-Type`, `DEK-Info`).
    #[error("encrypted (Proc-Type) PEM is not supported; export an unencrypted key")]
    Encrypted,
    /// The body is not standard base64.
    #[error("{label} block: bad base64: {why}")]
    Base64 {
        /// The block's label.
        label: String,
        /// The decoder's complaint.
        why: String,
    },
}

/// One decoded PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The label between `BEGIN ` and `-----`.
    pub label: String,
    /// The decoded body.
    pub der: Vec<u8>,
}

/// Whether `bytes` starts, after whitespace, with a PEM BEGIN line.
pub fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"-----BEGIN ")
}

/// Every block of `bytes`, in order, whatever its label. Work and memory
/// are linear in the input.
pub fn blocks(bytes: &[u8]) -> Result<Vec<Block>, PemError> {
    use base64::Engine as _;
    let text = std::str::from_utf8(bytes).map_err(|_| PemError::NotText)?;
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after_begin = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after_begin.find("-----") else {
            break;
        };
        let label = &after_begin[..label_end];
        let body_start = &after_begin[label_end + "-----".len()..];
        let end = format!("-----END {label}-----");
        let stop = body_start.find(&end).ok_or_else(|| PemError::NoEnd {
            label: label.to_string(),
        })?;
        let body: String = body_start[..stop]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if body.contains(':') {
            return Err(PemError::Encrypted);
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| PemError::Base64 {
                label: label.to_string(),
                why: e.to_string(),
            })?;
        out.push(Block {
            label: label.to_string(),
            der,
        });
        rest = &body_start[stop + end.len()..];
    }
    Ok(out)
}

/// PEM encoding with 64-column lines and LF (RFC 7468 §2).
pub fn encode(label: &str, der: &[u8]) -> String {
    der::pem::encode_string(label, der::pem::LineEnding::LF, der)
        .expect("a label of PEM characters and a body that fits in memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lax_whitespace_several_blocks_and_round_trip() {
        let a = encode("CERTIFICATE", &[1u8; 100]);
        let b = encode("PUBLIC KEY", &[2u8; 10]);
        // 76-column lines and CRLF, as some tools write them.
        let wide = a.replace('\n', "").replace(
            "-----BEGIN CERTIFICATE-----",
            "-----BEGIN CERTIFICATE-----\r\n",
        );
        let text = format!("\n  preamble\n{wide}\r\n{b}");
        let got = blocks(text.as_bytes()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].label.as_str(), got[0].der.as_slice()),
            ("CERTIFICATE", &[1u8; 100][..])
        );
        assert_eq!(
            (got[1].label.as_str(), got[1].der.as_slice()),
            ("PUBLIC KEY", &[2u8; 10][..])
        );
    }

    #[test]
    fn missing_end_bad_base64_and_encrypted_are_errors() {
        assert!(matches!(
            blocks(b"-----BEGIN X-----\nAAAA\n"),
            Err(PemError::NoEnd { .. })
        ));
        assert!(matches!(
            blocks(b"-----BEGIN X-----\nA!AA\n-----END X-----\n"),
            Err(PemError::Base64 { .. })
        ));
        assert_eq!(
            blocks(b"-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END X-----\n"),
            Err(PemError::Encrypted)
        );
    }
}
