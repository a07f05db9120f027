//! Update-package signatures, one module per format, and the release-level
//! verification that ties them together.
//!
//! | module | format / concept |
//! |---|---|
//! | [`authenticode`] | Authenticode signatures embedded in PE/PE32+ images |
//! | [`cms`] | detached CMS / PKCS#7 SignedData (`openssl cms`, `openssl smime`) |
//! | [`tsp`] | RFC 3161 timestamp tokens inside CMS signatures |
//! | [`raw`] | raw detached signatures (`openssl dgst -sign`, `openssl pkeyutl -sign -rawin`) |
//! | [`openpgp`] | OpenPGP detached and cleartext signatures (RFC 9580), keyrings |
//! | [`sigstore`] | Sigstore bundles v0.1–v0.3, verified offline with `sigstore-verify` |
//! | [`manifest`] | `SHA256SUMS`-style checksum manifests |
//! | [`release`] | signature discovery in a release, coverage of every file |
//! | [`continuity`] | signers of two releases compared |
//!
//! DSSE envelopes live in [`crate::dsse`]; keys in [`crate::keys`]. Every
//! verification takes the [`crate::policy::TrustPolicy`] as an argument
//! and returns a typed result; failures name the check and the reason.

pub mod authenticode;
pub mod cms;
pub mod continuity;
pub mod manifest;
pub mod openpgp;
pub mod raw;
pub mod release;
pub mod rpm;
pub mod sigstore;
pub mod tsp;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// RFC 3339 text of an instant (UTC), as reports print it.
pub fn fmt_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Serde: an instant as RFC 3339 text.
pub(crate) mod rfc3339 {
    use time::OffsetDateTime;

    pub fn serialize<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::fmt_time(*t))
    }
}

/// Serde: an optional instant as RFC 3339 text or null.
pub(crate) mod rfc3339_opt {
    use time::OffsetDateTime;

    pub fn serialize<S: serde::Serializer>(
        t: &Option<OffsetDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::fmt_time(*t)),
            None => s.serialize_none(),
        }
    }
}
