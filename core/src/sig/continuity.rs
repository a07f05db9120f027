//! Signer continuity: who signed the previous release and who signs this
//! one. A new signing key in an update is something an auditor must see,
//! even when it chains to a trusted root.

use std::collections::BTreeSet;

use serde::Serialize;

use super::release::SignerId;

/// A signer whose identity stayed but whose key or certificate changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignerChange {
    /// What changed: `key` (same name, another key), `certificate` (same
    /// key, re-issued certificate) or `signing-key` (same OpenPGP primary
    /// key, another signing subkey).
    pub what: &'static str,
    /// The signer in the previous release.
    pub before: SignerId,
    /// The signer in this release.
    pub after: SignerId,
}

/// The comparison of two releases' verified signers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Continuity {
    /// Signers present in both, identical.
    pub unchanged: Vec<SignerId>,
    /// Signers of this release unknown in the previous one.
    pub new: Vec<SignerId>,
    /// Signers of the previous release absent from this one.
    pub removed: Vec<SignerId>,
    /// Signers whose key or certificate changed.
    pub changed: Vec<SignerChange>,
}

impl Continuity {
    /// Whether anything differs.
    pub fn has_changes(&self) -> bool {
        !(self.new.is_empty() && self.removed.is_empty() && self.changed.is_empty())
    }
}

/// Whether two signers hold the same key: the same SubjectPublicKeyInfo,
/// or the same OpenPGP primary key.
fn same_key(a: &SignerId, b: &SignerId) -> bool {
    a.kind == b.kind
        && match (&a.openpgp, &b.openpgp) {
            (Some(x), Some(y)) => x.primary_key == y.primary_key,
            _ => a.key_sha256.is_some() && a.key_sha256 == b.key_sha256,
        }
}

/// Compares the verified signers of a previous release with this one's.
/// Signers are matched by key first (a re-issued certificate for the same
/// key is a `certificate` change; the same OpenPGP primary key signing
/// with another subkey is a `signing-key` change), then by name (same
/// subject, pinned name or OpenPGP user ID with another key is a `key`
/// change).
pub fn compare(previous: &[SignerId], current: &[SignerId]) -> Continuity {
    let mut old: Vec<SignerId> = previous
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = Continuity::default();
    let mut rest = Vec::new();
    for s in current.iter().cloned().collect::<BTreeSet<_>>() {
        if let Some(i) = old.iter().position(|o| *o == s) {
            old.remove(i);
            out.unchanged.push(s);
        } else if let Some(i) = old.iter().position(|o| same_key(o, &s)) {
            out.changed.push(SignerChange {
                // The same OpenPGP certificate signing with another
                // (sub)key; for X.509, the same key in a re-issued
                // certificate.
                what: if s.openpgp.is_some() {
                    "signing-key"
                } else {
                    "certificate"
                },
                before: old.remove(i),
                after: s,
            });
        } else {
            rest.push(s);
        }
    }
    for s in rest {
        if let Some(i) = old
            .iter()
            .position(|o| o.kind == s.kind && o.name == s.name)
        {
            out.changed.push(SignerChange {
                what: "key",
                before: old.remove(i),
                after: s,
            });
        } else {
            out.new.push(s);
        }
    }
    out.removed = old;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Sha256Digest;
    use crate::sig::release::SignerKind;

    fn id(name: &str, key: u8, cert: u8) -> SignerId {
        SignerId {
            kind: SignerKind::X509,
            name: name.into(),
            key_sha256: Some(Sha256Digest([key; 32])),
            certificate_sha256: Some(Sha256Digest([cert; 32])),
            openpgp: None,
        }
    }

    fn pgp(name: &str, primary: &str, signing: &str) -> SignerId {
        SignerId {
            kind: SignerKind::Openpgp,
            name: name.into(),
            key_sha256: None,
            certificate_sha256: None,
            openpgp: Some(crate::sig::release::OpenpgpSigner {
                primary_key: primary.into(),
                signing_key: signing.into(),
            }),
        }
    }

    #[test]
    fn openpgp_subkey_and_primary_changes() {
        let before = [pgp("Archive 12", "P1", "S1"), pgp("Archive 13", "P2", "S2")];
        let after = [pgp("Archive 12", "P1", "S9"), pgp("Archive 13", "P7", "S7")];
        let c = compare(&before, &after);
        let what: Vec<(&str, &str)> = c
            .changed
            .iter()
            .map(|x| (x.what, x.after.name.as_str()))
            .collect();
        assert_eq!(what, [("signing-key", "Archive 12"), ("key", "Archive 13")]);
        assert!(c.new.is_empty() && c.removed.is_empty());
        assert!(!compare(&before, &before).has_changes());
    }

    #[test]
    fn new_removed_and_changed() {
        let before = [id("A", 1, 1), id("B", 2, 2), id("C", 3, 3), id("D", 4, 4)];
        let after = [id("A", 1, 1), id("B", 2, 9), id("C", 7, 7), id("E", 5, 5)];
        let c = compare(&before, &after);
        assert_eq!(c.unchanged, [id("A", 1, 1)]);
        assert_eq!(c.changed.len(), 2);
        assert!(
            c.changed
                .iter()
                .any(|x| x.what == "certificate" && x.after.name == "B")
        );
        assert!(
            c.changed
                .iter()
                .any(|x| x.what == "key" && x.after.name == "C")
        );
        assert_eq!(c.new, [id("E", 5, 5)]);
        assert_eq!(c.removed, [id("D", 4, 4)]);
        assert!(c.has_changes());
        assert!(!compare(&before, &before).has_changes());
    }
}
