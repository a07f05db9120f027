//! The Cleartext Signature Framework (RFC 9580 §7), read strictly: the
//! text a signature covers is exactly the text glassbox hands back, and a
//! document two readers could split differently is refused.
//!
//! Refused, each with its line: text before the `BEGIN PGP SIGNED
//! MESSAGE` line (apt refuses it too; gpg would ignore it, so two tools
//! would read two documents), an armor header other than `Hash`, a line
//! starting with `-` that is not dash-escaped (§7.2), trailing spaces or
//! tabs on a text line (§7.2 drops them from the signed text, so they
//! could be changed without touching the signature), a carriage return
//! that does not end a line, and anything but whitespace after the
//! signature block.

use super::OpenpgpError;
use super::framing::lines;

const BEGIN: &[u8] = b"-----BEGIN PGP SIGNED MESSAGE-----";
const SIG_BEGIN: &[u8] = b"-----BEGIN PGP SIGNATURE-----";

/// A cleartext-signed document, split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split<'a> {
    /// The `Hash:` armor header values, as written.
    pub hash_headers: Vec<String>,
    /// The signed text as the signatures hash it: dash escapes removed,
    /// lines joined by CR LF, no line ending after the last line (§7.1).
    pub hashed: Vec<u8>,
    /// The same text with LF line endings, each line ending in LF: what
    /// apt and other consumers read as the document.
    pub text: Vec<u8>,
    /// The signature armor block (from its BEGIN line to the end).
    pub signature: &'a [u8],
}

/// Splits a cleartext-signed document into its text and signature block.
pub fn split(doc: &[u8]) -> Result<Split<'_>, OpenpgpError> {
    let err = |line: usize, reason: &str| OpenpgpError::Cleartext {
        line,
        reason: reason.to_string(),
    };
    let mut it = lines(doc).enumerate().map(|(n, (at, l))| (n + 1, at, l));
    match it.next() {
        Some((_, _, l)) if l.trim_ascii_end() == BEGIN => {}
        _ => {
            return Err(err(
                1,
                "the document must start with `-----BEGIN PGP SIGNED MESSAGE-----` \
                 (text before it is not signed)",
            ));
        }
    }
    let mut hash_headers = Vec::new();
    loop {
        let Some((n, _, h)) = it.next() else {
            return Err(err(1, "the document ends inside its armor headers"));
        };
        let h = h.trim_ascii_end();
        if h.is_empty() {
            break;
        }
        let Some(v) = h.strip_prefix(b"Hash:") else {
            return Err(err(
                n,
                "only `Hash:` armor headers may precede the signed text (RFC 9580 §7.1)",
            ));
        };
        let v = std::str::from_utf8(v).map_err(|_| err(n, "the Hash header is not UTF-8"))?;
        hash_headers.extend(
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        );
    }
    let mut body: Vec<&[u8]> = Vec::new();
    let mut sig_at = None;
    for (n, at, l) in it.by_ref() {
        if l.trim_ascii_end() == SIG_BEGIN {
            sig_at = Some(at);
            break;
        }
        if l.contains(&b'\r') {
            return Err(err(
                n,
                "a carriage return inside a line: readers disagree on where the line ends",
            ));
        }
        if l.contains(&0) {
            return Err(err(n, "a NUL byte in the signed text"));
        }
        let l = if let Some(rest) = l.strip_prefix(b"- ") {
            rest
        } else if l.starts_with(b"-") {
            return Err(err(
                n,
                "a line starting with `-` that is not dash-escaped (RFC 9580 §7.2): \
                 it could be read as armor",
            ));
        } else {
            l
        };
        if l.ends_with(b" ") || l.ends_with(b"\t") {
            return Err(err(
                n,
                "trailing spaces or tabs: RFC 9580 §7.2 leaves them out of the signed text, \
                 so they are not covered by the signature",
            ));
        }
        body.push(l);
    }
    let Some(sig_at) = sig_at else {
        return Err(err(
            0,
            "no `-----BEGIN PGP SIGNATURE-----` line: the document is not signed or is truncated",
        ));
    };
    let mut hashed = Vec::new();
    let mut text = Vec::new();
    for (i, l) in body.iter().enumerate() {
        if i > 0 {
            hashed.extend_from_slice(b"\r\n");
        }
        hashed.extend_from_slice(l);
        text.extend_from_slice(l);
        text.push(b'\n');
    }
    Ok(Split {
        hash_headers,
        hashed,
        text,
        signature: &doc[sig_at..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "-----BEGIN PGP SIGNATURE-----\n\nAQID\n-----END PGP SIGNATURE-----\n";

    #[test]
    fn text_and_hashed_forms() {
        let doc = format!(
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nA: 1\n- -dash\n\nB\n{SIG}"
        );
        let s = split(doc.as_bytes()).unwrap();
        assert_eq!(s.hash_headers, ["SHA512"]);
        assert_eq!(s.hashed, b"A: 1\r\n-dash\r\n\r\nB");
        assert_eq!(s.text, b"A: 1\n-dash\n\nB\n");
        assert!(s.signature.starts_with(b"-----BEGIN PGP SIGNATURE-----"));
    }

    #[test]
    fn ambiguous_documents_are_refused() {
        let wrap = |body: &str| {
            format!("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{body}\n{SIG}")
        };
        for (body, why) in [
            ("A: 1 ", "trailing"),
            ("-A", "dash-escaped"),
            ("A\rB", "carriage return"),
        ] {
            let e = split(wrap(body).as_bytes()).unwrap_err();
            assert!(e.to_string().contains(why), "{body:?}: {e}");
        }
        let lead = format!("junk\n{}", wrap("A"));
        assert!(split(lead.as_bytes()).is_err());
        let hdr = "-----BEGIN PGP SIGNED MESSAGE-----\nComment: x\n\nA\n";
        assert!(split(format!("{hdr}{SIG}").as_bytes()).is_err());
        let unsigned = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA\n";
        assert!(split(unsigned.as_bytes()).is_err());
    }
}
