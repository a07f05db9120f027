//! Validity period (RFC 5280 §4.1.2.5, §6.1.3(a)(2)): notBefore and notAfter
//! are both inclusive.

use time::OffsetDateTime;

use super::cert::Certificate;
use super::error::CertError;

/// Checks that `at` lies within `cert`'s validity period.
pub(crate) fn check_validity(cert: &Certificate, at: OffsetDateTime) -> Result<(), CertError> {
    if at < cert.not_before() {
        return Err(CertError::NotYetValid {
            not_before: super::rfc3339(cert.not_before()),
            at: super::rfc3339(at),
        });
    }
    if at > cert.not_after() {
        return Err(CertError::Expired {
            not_after: super::rfc3339(cert.not_after()),
            at: super::rfc3339(at),
        });
    }
    Ok(())
}
