//! Threshold signature checking (TUF specification §5.3.4, §5.4.1, §5.5.3,
//! §5.6.3): a role's metadata is trusted when at least `threshold`
//! distinct keys of that role have valid signatures over the canonical
//! `signed`.
//!
//! "Distinct" is enforced twice: each keyid of the role counts at most
//! once however many signatures claim it, and two keyids that name the
//! same key material count once (TAP 12 lets keyids be arbitrary, so
//! keyid uniqueness alone does not imply key uniqueness).

use std::collections::BTreeMap;

use super::metadata::{Envelope, ListedKey, RoleKeys};

/// Which keys of a role signed, and whether that reaches the threshold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignerCount {
    /// Keyids of the role with a valid signature, in role order.
    pub signers: Vec<String>,
    /// The role's threshold.
    pub threshold: u32,
    /// Keyids of the role in total.
    pub keys: usize,
}

impl SignerCount {
    /// Whether the threshold is met.
    pub fn met(&self) -> bool {
        self.signers.len() as u64 >= u64::from(self.threshold)
    }
}

/// Counts the distinct keys of `role` that validly signed `env`.
pub fn count_signers(
    env: &Envelope,
    role: &RoleKeys,
    keys: &BTreeMap<String, ListedKey>,
) -> SignerCount {
    let mut signers = Vec::new();
    let mut materials: Vec<&[u8]> = Vec::new();
    for keyid in &role.keyids {
        let Some(Ok(key)) = keys.get(keyid).map(|k| &k.key) else {
            continue;
        };
        if materials.contains(&key.material()) {
            continue;
        }
        let valid = env
            .signatures
            .iter()
            .filter(|s| &s.keyid == keyid && !s.sig.is_empty())
            .any(|s| key.verify(&env.canonical_signed, &s.sig));
        if valid {
            signers.push(keyid.clone());
            materials.push(key.material());
        }
    }
    SignerCount {
        signers,
        threshold: role.threshold,
        keys: role.keyids.len(),
    }
}
