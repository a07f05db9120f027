//! Update-package signatures: detached CMS with RFC 3161 timestamps,
//! checksum manifests, discovery inside a release, coverage and signer
//! continuity. Every verification takes the [`crate::policy::TrustPolicy`]
//! as an argument and returns a typed result; failures name the check and
//! the reason.

pub mod cms;
pub mod continuity;
pub(crate) mod interim;
pub mod manifest;
pub mod release;
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
