//! The Release link's signatures (spec: "Release files", `InRelease` and
//! `Release.gpg`): InRelease is cleartext-signed (RFC 9580 §7), Release.gpg
//! holds detached signatures over Release. Both are verified by
//! [`crate::sig::openpgp`] against the policy's `[[openpgp]]` keyrings;
//! every signature must verify (Debian signs with two keys, so the policy
//! holds both). Only text the signatures cover is returned for parsing.

use std::borrow::Cow;
use time::OffsetDateTime;

use crate::policy::{TrustPolicy, ValidationTime};
use crate::sig::openpgp::{self, DocumentVerification};
use crate::sig::release::Failure;

/// Every signature over the Release file, with its verdict; `None` when
/// the signature input could not be read at all (the failure says why).
pub type ReleaseSignatures = Option<DocumentVerification>;

const CHECK: &str = "apt-release-signature";

/// The policy whose OpenPGP keys are judged at the chain's validation time
/// `at`: openpgp takes `at` as its `now`, but a fixed policy time would win
/// over it, and `--at` overrides the policy's time.
pub(crate) fn judged_at(policy: &TrustPolicy, at: OffsetDateTime) -> Cow<'_, TrustPolicy> {
    match policy.validation_time {
        ValidationTime::Fixed(t) if t != at => {
            let mut p = policy.clone();
            p.validation_time = ValidationTime::Fixed(at);
            Cow::Owned(p)
        }
        _ => Cow::Borrowed(policy),
    }
}

/// Verifies the Release file's signatures at `at`: `release` is the
/// InRelease or Release file's content (named `file` in failures), `gpg`
/// the name and content of Release.gpg when the signatures are detached.
/// Returns them and, when every one verified, the signed text (the only
/// text parsed afterwards).
pub(crate) fn verify(
    file: &str,
    release: &[u8],
    gpg: Option<(&str, &[u8])>,
    policy: &TrustPolicy,
    at: OffsetDateTime,
    failures: &mut Vec<Failure>,
) -> (ReleaseSignatures, Option<Vec<u8>>) {
    let policy = judged_at(policy, at);
    let sig_name = gpg.map(|(n, _)| n).unwrap_or(file);
    let fail = |failures: &mut Vec<Failure>, reason: String| {
        failures.push(Failure {
            file: file.to_string(),
            signature: sig_name.to_string(),
            check: CHECK.into(),
            reason,
        })
    };
    let (verification, text) = match gpg {
        Some((_, sig)) => (
            openpgp::verify_detached(sig, release, &policy, at),
            release.to_vec(),
        ),
        None => match openpgp::verify_cleartext(release, &policy, at) {
            Ok(c) => (Ok(c.verification), c.text),
            Err(e) => (Err(e), Vec::new()),
        },
    };
    let verification = match verification {
        Ok(v) => v,
        Err(e) => {
            let hint = if gpg.is_none() && !openpgp::is_cleartext(release) {
                " (a Release file without its signature? give Release.gpg with --release-gpg)"
            } else {
                ""
            };
            fail(
                failures,
                format!("{e}{hint}; the Release file is not authenticated"),
            );
            return (None, None);
        }
    };
    if verification.signatures.is_empty() {
        fail(
            failures,
            "no signature: the Release file is not authenticated".into(),
        );
    }
    for reason in verification.failure_reasons() {
        fail(
            failures,
            format!("{reason}; every signature must verify with a policy key"),
        );
    }
    let text = verification.verified.then_some(text);
    (Some(verification), text)
}
