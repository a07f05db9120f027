//! What a PE file's Authenticode signatures state, read without a trust
//! policy and without verifying anything: who the signer certificate
//! names, which digest it signs, when a timestamp says it was made. `diff`
//! uses it to name a signature change (old signer → new signer) instead of
//! showing the certificate table as opaque bytes; whether a signature is
//! *valid* is `glassbox verify`'s question ([`super::verify_pe`]).
//!
//! The same parsers as verification ([`PeImage`], the helpers of
//! [`super::signature`], [`crate::sig::cms`], [`crate::sig::tsp`]): a
//! table the verifier refuses is refused here too, with its reason.

use serde::Serialize;
use time::OffsetDateTime;

use super::TimestampKind;
use super::pe::{PeError, PeImage};
use super::signature::{self, MAX_NESTED};
use crate::sig::cms::{self, CertificateName, DigestAlgorithm};

/// One signature as it states itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatedSignature {
    /// `N` for the Nth WIN_CERTIFICATE entry, `N.M` for the Mth signature
    /// nested in it (as in [`super::PeSignature::id`]).
    pub id: String,
    /// The signer certificate the SignerInfo names.
    pub signer: Option<CertificateName>,
    /// The digest algorithm of the signed image digest.
    pub digest_algorithm: Option<DigestAlgorithm>,
    /// The image digest it signs, hex.
    pub signed_digest: Option<String>,
    /// Its timestamp, when it carries one.
    pub timestamp: Option<StatedTimestamp>,
    /// Why part of it could not be read (the rest is what could).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

/// A timestamp as it states itself (not verified).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatedTimestamp {
    /// RFC 3161 token or legacy countersignature.
    pub kind: TimestampKind,
    /// The time it states (genTime, or the countersignature's signingTime).
    #[serde(with = "crate::sig::rfc3339_opt")]
    pub time: Option<OffsetDateTime>,
    /// Subject of the certificate of the TSA (or countersigner).
    pub tsa: Option<String>,
}

/// A PE image's Authenticode state: its image digest and the signatures
/// its certificate table holds (none when unsigned).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatedSignatures {
    /// The Authenticode SHA-256 digest of the image (what a signature
    /// over it signs; the same whether the file is signed or not).
    pub image_sha256: String,
    /// Every signature, entries and nested ones, in file order.
    pub signatures: Vec<StatedSignature>,
}

/// Reads what `data`'s signatures state. An unsigned image gives an empty
/// list; a malformed certificate table (or PE layout) is the error.
pub fn describe(data: &[u8]) -> Result<(PeImage<'_>, StatedSignatures), PeError> {
    let image = PeImage::parse_maybe_unsigned(data)?;
    let mut signatures = Vec::new();
    for (i, entry) in image.entries.iter().enumerate() {
        describe_one(entry.der, (i + 1).to_string(), true, &mut signatures);
    }
    let stated = StatedSignatures {
        image_sha256: hex::encode(image.digest(DigestAlgorithm::Sha256)),
        signatures,
    };
    Ok((image, stated))
}

fn describe_one(der: &[u8], id: String, top: bool, out: &mut Vec<StatedSignature>) {
    let mut s = StatedSignature {
        id: id.clone(),
        signer: None,
        digest_algorithm: None,
        signed_digest: None,
        timestamp: None,
        unreadable: None,
    };
    let mut nested = Vec::new();
    if let Err(why) = read_into(der, &mut s, top.then_some(&mut nested)) {
        s.unreadable = Some(why);
    }
    out.push(s);
    for (i, d) in nested.iter().enumerate() {
        describe_one(d, format!("{id}.{}", i + 1), false, out);
    }
}

fn read_into(
    der: &[u8],
    s: &mut StatedSignature,
    nested: Option<&mut Vec<Vec<u8>>>,
) -> Result<(), String> {
    let sd = cms::signed_data_from_der(der).map_err(|e| e.to_string())?;
    let [si] = sd.signer_infos.0.as_slice() else {
        return Err(format!(
            "{} SignerInfos; an Authenticode signature has exactly one",
            sd.signer_infos.0.len()
        ));
    };
    let unsigned = signature::unsigned_attributes(si);
    if let Some(out) = nested {
        for v in signature::nested_values(&unsigned)
            .into_iter()
            .take(MAX_NESTED)
        {
            out.push(der::Encode::to_der(v).map_err(|e| format!("nested signature: {e}"))?);
        }
    }
    let (signer, _) = cms::stated_signer(&sd, si).map_err(|e| e.to_string())?;
    s.signer = Some(signer);
    let (alg, digest, _) = signature::indirect_digest(&sd).map_err(|(_, why)| why)?;
    s.digest_algorithm = Some(alg);
    s.signed_digest = Some(hex::encode(digest));
    let stamps = signature::timestamp_values(&unsigned).map_err(|(_, why)| why)?;
    if let Some((kind, v)) = stamps.first() {
        s.timestamp = Some(StatedTimestamp {
            kind: *kind,
            time: None,
            tsa: None,
        });
        let (time, tsa) = match kind {
            TimestampKind::Rfc3161 => {
                let token = der::Encode::to_der(*v).map_err(|e| e.to_string())?;
                crate::sig::tsp::stated_time(&token).map_err(|e| format!("timestamp: {e}"))?
            }
            TimestampKind::Countersignature => {
                let csi: ::cms::signed_data::SignerInfo = v
                    .decode_as()
                    .map_err(|e| format!("countersignature: {e}"))?;
                let (name, time) =
                    cms::stated_signer(&sd, &csi).map_err(|e| format!("countersignature: {e}"))?;
                (
                    time.ok_or("countersignature: no signingTime")?,
                    name.subject,
                )
            }
        };
        s.timestamp = Some(StatedTimestamp {
            kind: *kind,
            time: Some(time),
            tsa: Some(tsa),
        });
    }
    Ok(())
}
