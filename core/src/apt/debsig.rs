//! Signatures embedded in a `.deb` (debsigs, checked by debsig-verify):
//! an ar member `_gpg<TYPE>` (`_gpgorigin`, `_gpgmaint`, `_gpgarchive`)
//! holding a detached OpenPGP signature over the concatenation of the
//! members `debian-binary`, `control.tar[.gz|.xz]` and
//! `data.tar[.gz|.xz|.bz2|.lzma]`, in that order (debsig-verify's
//! `verifyGroupRules`, which looks members up by name in those lists).
//!
//! When `glassbox verify` is given a `.deb` with such members, each is
//! verified through [`crate::sig::openpgp`] against the policy's keyrings
//! (every signature in it must verify; a key in no keyring fails naming its
//! fingerprint) and covers the three members. Anything debsig-verify and
//! dpkg could read two ways is refused rather than picked: a second control
//! or data member, one debsig-verify does not look up (`control.tar.zst`),
//! a member the signature does not cover, a cleartext signature, and
//! dpkg-sig's `_gpgbuilder`, which signs MD5 and SHA-1 digests.

use std::collections::{BTreeMap, BTreeSet};

use time::OffsetDateTime;

use crate::policy::TrustPolicy;
use crate::release::ReleaseError;
use crate::sig::release::{ReleaseAccess, ReleaseFile, SignatureResult};

/// The prefix of signature members (debsig-verify's `DEBSIG_NAMESPACE`).
pub const SIGNATURE_PREFIX: &str = "_gpg";

/// The control members debsig-verify looks up, in its order.
const CONTROL: [&str; 3] = ["control.tar", "control.tar.gz", "control.tar.xz"];
/// The data members debsig-verify looks up, in its order.
const DATA: [&str; 5] = [
    "data.tar",
    "data.tar.gz",
    "data.tar.xz",
    "data.tar.bz2",
    "data.tar.lzma",
];
const MAGIC: &str = "debian-binary";

/// The check name of every failure about embedded signatures.
const CHECK: &str = "debsig";

/// What the embedded signatures of one `.deb` add to its verification.
#[derive(Debug, Default)]
pub struct EmbeddedCoverage {
    /// One result per signature member; `covers` the three signed members
    /// when it verified.
    pub signatures: Vec<SignatureResult>,
    /// The signature members, which are signatures, not content.
    pub claimed: BTreeSet<String>,
}

/// The members one reading of the package signs, in signing order.
#[derive(Debug, PartialEq, Eq)]
struct Layout {
    signed: [String; 3],
    signatures: Vec<String>,
}

/// The one member named by `names` among `members`, or why there is not
/// exactly one debsig-verify and dpkg both read.
fn the_one(members: &[&str], prefix: &str, names: &[&str]) -> Result<String, String> {
    let found: Vec<&&str> = members.iter().filter(|m| m.starts_with(prefix)).collect();
    match found[..] {
        [one] if names.contains(one) => Ok(one.to_string()),
        [one] => Err(format!(
            "{one}: debsig-verify signs only {} as this member, so the signed data is not \
             defined for this package",
            names.join(", ")
        )),
        _ => Err(format!(
            "{} members named {prefix}*: dpkg reads one by position, debsig-verify another by \
             name",
            found.len()
        )),
    }
}

/// Reads the member names of a `.deb` (top-level, every occurrence):
/// `Ok(None)` when it carries no signature member.
fn layout(members: &[&str]) -> Result<Option<Layout>, String> {
    let signatures: Vec<String> = members
        .iter()
        .filter(|m| m.starts_with(SIGNATURE_PREFIX))
        .map(|m| m.to_string())
        .collect();
    if signatures.is_empty() {
        return Ok(None);
    }
    let unique: BTreeSet<&&str> = members.iter().collect();
    if unique.len() != members.len() {
        return Err("a member name occurs twice: readers differ on which one counts".into());
    }
    if signatures.iter().any(|s| s == "_gpgbuilder") {
        return Err(
            "_gpgbuilder is a dpkg-sig signature, over MD5 and SHA-1 digests of the members, \
             which glassbox does not accept; ask the vendor for a debsigs _gpgorigin signature \
             or a signed apt repository"
                .into(),
        );
    }
    if !members.contains(&MAGIC) {
        return Err(format!("no {MAGIC} member (deb(5))"));
    }
    let control = the_one(members, "control.tar", &CONTROL)?;
    let data = the_one(members, "data.tar", &DATA)?;
    if let Some(other) = members
        .iter()
        .find(|m| !m.starts_with(SIGNATURE_PREFIX) && ![MAGIC, &control, &data].contains(m))
    {
        return Err(format!(
            "member {other} is not covered by the embedded signatures (debsig-verify signs \
             {MAGIC}, the control and the data member only)"
        ));
    }
    Ok(Some(Layout {
        signed: [MAGIC.to_string(), control, data],
        signatures,
    }))
}

/// The embedded signatures of the `.deb` that is the release itself
/// (`glassbox verify --policy P package.deb`): its top-level `files` are
/// the package's ar members. Nothing when it has no signature member.
pub fn cover_package(
    release: &dyn ReleaseAccess,
    files: &[ReleaseFile],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<EmbeddedCoverage, ReleaseError> {
    let mut out = EmbeddedCoverage::default();
    if !release.is_deb() {
        return Ok(out);
    }
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let layout = match layout(&names) {
        Ok(Some(l)) => l,
        Ok(None) => return Ok(out),
        Err(reason) => {
            let sigs: Vec<&str> = names
                .iter()
                .copied()
                .filter(|m| m.starts_with(SIGNATURE_PREFIX))
                .collect();
            out.claimed.extend(sigs.iter().map(|s| s.to_string()));
            for s in sigs {
                out.signatures.push(refused(s, reason.clone()));
            }
            return Ok(out);
        }
    };
    let wanted: BTreeSet<String> = layout
        .signed
        .iter()
        .chain(&layout.signatures)
        .cloned()
        .collect();
    let bytes = release.read_files(&wanted, crate::sig::release::MAX_CONTENT_BYTES)?;
    out.claimed.extend(layout.signatures.iter().cloned());
    out.signatures = verify_layout(&layout, &bytes, policy, now);
    Ok(out)
}

/// A `.deb` of a larger release, read from memory by the release reader
/// (its top-level files are the package's ar members, as for a `.deb`
/// given on its own).
struct NestedDeb<'a> {
    deb: crate::release::Release,
    bytes: &'a [u8],
}

impl ReleaseAccess for NestedDeb<'_> {
    fn listing(&self) -> crate::sig::release::Listing {
        self.deb.listing()
    }
    fn is_deb(&self) -> bool {
        self.deb.is_deb()
    }
    fn visit_readers(
        &self,
        paths: &BTreeSet<String>,
        visit: &mut dyn FnMut(&str, u64, &mut dyn std::io::Read) -> std::io::Result<()>,
    ) -> Result<(), ReleaseError> {
        crate::sig::release::visit_top_files(&self.deb, Some(self.bytes), paths, visit)
    }
}

/// Whether `path` names a Debian package (deb(5); `.udeb` for the
/// installer).
fn is_deb_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".deb") || lower.ends_with(".udeb")
}

/// The embedded signatures of every `.deb` of a larger release (a
/// directory release, a mirror's `pool/`): each package is read whole,
/// one at a time, through the release's own streaming visit and then by
/// the release reader from memory (at most [`MAX_CONTENT_BYTES`]), and
/// judged by the same rules as a `.deb` given on its own
/// ([`cover_package`]). A signature that holds covers the `.deb` (its
/// other members are the signed ones, `layout`); one that does not fails
/// the `.deb` with check `debsig`, whatever else covers it, as `apt
/// verify` fails it.
///
/// [`MAX_CONTENT_BYTES`]: crate::sig::release::MAX_CONTENT_BYTES
pub fn cover_nested(
    release: &dyn ReleaseAccess,
    files: &[ReleaseFile],
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Result<Vec<SignatureResult>, ReleaseError> {
    use crate::sig::release::MAX_CONTENT_BYTES;
    let mut out = Vec::new();
    if release.is_deb() {
        return Ok(out);
    }
    let mut paths = BTreeSet::new();
    for f in files.iter().filter(|f| is_deb_name(&f.path)) {
        if f.size > MAX_CONTENT_BYTES {
            out.push(nested(
                &f.path,
                refused(
                    SIGNATURE_PREFIX,
                    format!(
                        "{} bytes, over the {MAX_CONTENT_BYTES}-byte limit for reading a                          package's embedded signatures; verify it on its own with a larger                          limit or through its apt chain",
                        f.size
                    ),
                ),
            ));
        } else {
            paths.insert(f.path.clone());
        }
    }
    let opts = crate::release::ReadOptions::default();
    release.visit_readers(&paths, &mut |path, size, r| {
        let got = crate::fsio::read_capped(r, MAX_CONTENT_BYTES, size)?;
        let deb = match crate::release::Release::from_bytes(path, &got.bytes, &opts) {
            Ok(d) => d,
            // Not a package the reader reads one way: as in `apt verify`,
            // there are no embedded signatures to speak of; the package is
            // judged by what covers its bytes.
            Err(e) if e.is_refusal() => return Ok(()),
            Err(e) => return Err(std::io::Error::other(e)),
        };
        let deb = NestedDeb {
            deb,
            bytes: &got.bytes,
        };
        let files = deb.listing().files;
        let found = cover_package(&deb, &files, policy, now).map_err(std::io::Error::other)?;
        out.extend(found.signatures.into_iter().map(|s| nested(path, s)));
        Ok(())
    })?;
    Ok(out)
}

/// `s`, a signature member of the `.deb` at `deb` inside a release, named
/// `deb!member` (the release reader's nested path): when it holds it
/// covers the `.deb`; each failure is a `debsig` failure of the `.deb`.
fn nested(deb: &str, mut s: SignatureResult) -> SignatureResult {
    let member = std::mem::take(&mut s.signature);
    s.signature = format!("{deb}!{member}");
    s.targets = vec![deb.to_string()];
    s.covers = if s.verified {
        vec![deb.to_string()]
    } else {
        Vec::new()
    };
    for f in &mut s.failures {
        f.file = deb.to_string();
        f.signature = s.signature.clone();
        f.reason = format!("embedded {member}: {}", f.reason);
        f.check = CHECK.into();
    }
    s
}

/// Verifies each signature member of `layout` over the signed members'
/// `bytes`.
fn verify_layout(
    layout: &Layout,
    bytes: &BTreeMap<String, Vec<u8>>,
    policy: &TrustPolicy,
    now: OffsetDateTime,
) -> Vec<SignatureResult> {
    let mut signed = Vec::new();
    for m in &layout.signed {
        signed.extend_from_slice(bytes.get(m).map(Vec::as_slice).unwrap_or_default());
    }
    let targets: Vec<String> = layout.signed.to_vec();
    layout
        .signatures
        .iter()
        .map(|name| {
            let sig = bytes.get(name).map(Vec::as_slice).unwrap_or_default();
            if crate::sig::openpgp::is_cleartext(sig) {
                return refused(
                    name,
                    "a cleartext-signed document where debsigs puts a detached signature".into(),
                );
            }
            let mut r = crate::sig::openpgp::release::signature_result(
                name,
                sig,
                MAGIC,
                Some(&signed),
                policy,
                now,
            );
            r.targets = targets.clone();
            // The failures name the signature member: the three members
            // it would cover fail coverage on their own.
            for f in &mut r.failures {
                f.file = name.clone();
            }
            if r.verified {
                r.covers = targets.clone();
            }
            r
        })
        .collect()
}

/// A signature member that is not verified: one failure saying why.
fn refused(name: &str, reason: String) -> SignatureResult {
    crate::sig::openpgp::release::unread(
        name,
        name,
        CHECK,
        format!("{reason}; the embedded signature is not verified"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_members_are_the_ones_both_readers_agree_on() {
        let ok = layout(&[
            "debian-binary",
            "control.tar.xz",
            "data.tar.xz",
            "_gpgorigin",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            ok.signed,
            ["debian-binary", "control.tar.xz", "data.tar.xz"]
        );
        assert_eq!(
            layout(&["debian-binary", "control.tar.xz", "data.tar.xz"]).unwrap(),
            None
        );
        for (members, why) in [
            (
                &[
                    "debian-binary",
                    "control.tar.zst",
                    "data.tar.xz",
                    "_gpgorigin",
                ][..],
                "control.tar.zst: debsig-verify signs only",
            ),
            (
                &[
                    "debian-binary",
                    "control.tar.gz",
                    "control.tar.xz",
                    "data.tar.xz",
                    "_gpgorigin",
                ],
                "2 members named control.tar*",
            ),
            (
                &[
                    "debian-binary",
                    "control.tar.xz",
                    "data.tar.xz",
                    "_gpgbuilder",
                ],
                "dpkg-sig",
            ),
            (
                &[
                    "debian-binary",
                    "control.tar.xz",
                    "data.tar.xz",
                    "_extra",
                    "_gpgorigin",
                ],
                "member _extra is not covered",
            ),
            (
                &[
                    "debian-binary",
                    "control.tar.xz",
                    "data.tar.xz",
                    "_gpgorigin",
                    "_gpgorigin",
                ],
                "occurs twice",
            ),
        ] {
            let e = layout(members).unwrap_err();
            assert!(e.contains(why), "{members:?}: {e}");
        }
    }
}
