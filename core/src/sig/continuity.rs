//! Signer continuity: who signed the previous release and who signs this
//! one. A new signing key in an update is something an auditor must see,
//! even when it chains to a trusted root.

use std::collections::BTreeSet;

use serde::Serialize;

use super::release::SignerId;

/// A signer whose identity stayed but whose key or certificate changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignerChange {
    /// What changed: `key` (same name, another key) or `certificate` (same
    /// key, re-issued certificate).
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

/// Compares the verified signers of a previous release with this one's.
/// Signers are matched by key first (a re-issued certificate for the same
/// key is a `certificate` change), then by name (same subject or pinned
/// name with another key is a `key` change).
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
        } else if let Some(i) = old.iter().position(|o| {
            o.kind == s.kind && o.key_sha256.is_some() && o.key_sha256 == s.key_sha256
        }) {
            out.changed.push(SignerChange {
                what: "certificate",
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
        }
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
