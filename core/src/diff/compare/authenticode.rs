//! Authenticode signatures of a PE pair, named as such: a signer adds the
//! certificate table at the end of the file, writes its directory entry
//! and recomputes the CheckSum ("Windows Authenticode Portable Executable
//! Signature Format", "Calculating the PE Image Hash"). Shown as bytes,
//! those are an opaque range; here they are "Authenticode signature
//! changed" with old → new signer, digest, timestamp and count, and
//! whether the image the signatures cover changed at all (equal
//! Authenticode digests: "code identical, re-signed").
//!
//! Read through [`crate::sig::authenticode::describe`] (the verifier's
//! parsers). What the signatures state is not verified here: that is
//! `glassbox verify`'s job, and the lines say so.

use serde::Serialize;

use crate::sig::authenticode::{self, StatedSignature, StatedSignatures};

/// The words of a re-signing that left the image as it was.
pub const CODE_IDENTICAL_RESIGNED: &str = "code identical, re-signed";

/// How the Authenticode signatures of two PE files compare.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthenticodeDiff {
    /// The old file's signatures (empty: unsigned).
    pub old: StatedSignatures,
    /// The new file's signatures.
    pub new: StatedSignatures,
    /// The certificate tables differ (byte for byte).
    pub signature_changed: bool,
    /// The Authenticode digests of the two images are equal: every byte
    /// but the CheckSum, the certificate-table directory entry and the
    /// table itself is the same.
    pub code_identical: bool,
}

/// The two files with their signatures taken out
/// ([`authenticode::PeImage::without_signature`]), for the byte
/// comparison, and the Authenticode comparison; `None` when neither file
/// is signed (nothing to name).
pub(super) struct Stripped {
    pub diff: AuthenticodeDiff,
    pub old: Vec<u8>,
    pub new: Vec<u8>,
    /// Where each side's table was (offset, length), for the note.
    pub tables: [Option<(usize, usize)>; 2],
}

/// Compares the signatures of two PE files. `Err` says which side's table
/// (or layout) is malformed and why: the caller then compares bytes.
pub(super) fn compare(old: &[u8], new: &[u8]) -> Result<Option<Stripped>, String> {
    let side = |data, which: &str| {
        authenticode::describe(data).map_err(|e| {
            format!(
                "the {which} file's Authenticode signature could not be read ({e}); compared as bytes"
            )
        })
    };
    let (oi, os) = side(old, "old")?;
    let (ni, ns) = side(new, "new")?;
    let (ot, nt) = (oi.certificate_table(), ni.certificate_table());
    if ot.is_none() && nt.is_none() {
        return Ok(None);
    }
    let table = |d: &[u8], t: &Option<std::ops::Range<usize>>| t.clone().map(|r| d[r].to_vec());
    let diff = AuthenticodeDiff {
        signature_changed: table(old, &ot) != table(new, &nt),
        code_identical: os.image_sha256 == ns.image_sha256,
        old: os,
        new: ns,
    };
    Ok(Some(Stripped {
        old: oi.without_signature(),
        new: ni.without_signature(),
        tables: [ot, nt].map(|t| t.map(|r| (r.start, r.len()))),
        diff,
    }))
}

impl AuthenticodeDiff {
    /// The new file carries a signature that differs from the old one's
    /// (or the old one had none) over the same image: only the signing
    /// changed.
    pub fn resigned_only(&self) -> bool {
        self.code_identical && self.signature_changed && !self.new.signatures.is_empty()
    }

    /// The headline: what changed, in the auditor's words.
    pub fn headline(&self) -> String {
        let (o, n) = (self.old.signatures.len(), self.new.signatures.len());
        let image = format!(
            "the image changed too (Authenticode SHA-256 {} -> {})",
            self.old.image_sha256, self.new.image_sha256
        );
        match (o, n, self.signature_changed, self.code_identical) {
            (0, _, _, true) => "Authenticode signature added: code identical, signed".into(),
            (0, _, _, false) => format!("Authenticode signature added; {image}"),
            (_, 0, _, true) => {
                "Authenticode signature removed; the image is otherwise identical".into()
            }
            (_, 0, _, false) => format!("Authenticode signature removed; {image}"),
            (_, _, true, true) => format!("Authenticode signature changed: {CODE_IDENTICAL_RESIGNED}"),
            (_, _, true, false) => format!("Authenticode signature changed; {image}"),
            (_, _, false, true) => {
                "Authenticode signature and image unchanged: only the CheckSum or the certificate-table directory entry differs".into()
            }
            (_, _, false, false) => format!(
                "Authenticode signature unchanged but the image changed (Authenticode SHA-256 {} -> {}): the signature no longer matches it, the file was modified after signing",
                self.old.image_sha256, self.new.image_sha256
            ),
        }
    }

    /// The headline, then one line per fact that changed: the number of
    /// signatures, and per signature its signer, digest and timestamp.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![self.headline()];
        let (o, n) = (&self.old.signatures, &self.new.signatures);
        if o.len() != n.len() {
            out.push(format!(
                "signatures: {} -> {} (nested ones included)",
                o.len(),
                n.len()
            ));
        }
        for i in 0..o.len().max(n.len()) {
            let (a, b) = (o.get(i), n.get(i));
            if a == b {
                continue;
            }
            let id = b.or(a).map_or("?", |s| s.id.as_str());
            let facts: [(&str, Fact); 3] = [
                ("signer", signer),
                ("digest", digest),
                ("timestamp", timestamp),
            ];
            for (what, fact) in facts {
                // A signature on one side only: its facts against "none".
                let state = |s: Option<&StatedSignature>| s.map_or("none".into(), fact);
                let (old, new) = (state(a), state(b));
                if old != new {
                    out.push(format!("signature {id}: {what} {old} -> {new}"));
                }
            }
            for (side, s) in [("old", a), ("new", b)] {
                if let Some(why) = s.and_then(|s| s.unreadable.as_ref()) {
                    out.push(format!("signature {id} ({side}): partly unreadable: {why}"));
                }
            }
        }
        out.push(
            "signatures as they state themselves, not verified: run `glassbox verify` on the new file"
                .into(),
        );
        out
    }
}

/// One fact of a signature, in words.
type Fact = fn(&StatedSignature) -> String;

fn signer(s: &StatedSignature) -> String {
    s.signer.as_ref().map_or("unreadable".into(), |c| {
        format!("{} (issuer {}, serial {})", c.subject, c.issuer, c.serial)
    })
}

fn digest(s: &StatedSignature) -> String {
    match (&s.digest_algorithm, &s.signed_digest) {
        (Some(a), Some(d)) => format!("{} {d}", a.name()),
        _ => "unreadable".into(),
    }
}

fn timestamp(s: &StatedSignature) -> String {
    match &s.timestamp {
        None => "none".into(),
        Some(t) => format!(
            "{} by {} ({})",
            t.time.map_or("?".into(), crate::sig::fmt_time),
            t.tsa.as_deref().unwrap_or("?"),
            match t.kind {
                authenticode::TimestampKind::Rfc3161 => "RFC 3161",
                authenticode::TimestampKind::Countersignature => "countersignature",
            }
        ),
    }
}
