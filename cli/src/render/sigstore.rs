//! `glassbox sigstore verify-bundle`: the verdict on one bundle, for people
//! and as one line of JSON (schema `core/schema/sigstore-verify.v1.schema.json`).

use glassbox_core::sig::sigstore::{BundleContent, SigstoreError, SigstoreVerified};
use serde::Serialize;

use super::Format;
use crate::ui::Ui;

/// A bundle that verified. Fields in alphabetical order, as the JSON has
/// always had them.
#[derive(Serialize)]
struct VerifiedJson<'a> {
    artifact: &'a str,
    bundle: &'a str,
    certificate_verified: bool,
    /// `message signature` or `DSSE envelope`.
    content: &'static str,
    identity: &'a Option<String>,
    integrated_time: &'a Option<String>,
    issuer: &'a Option<String>,
    key_id: &'a Option<String>,
    media_type: &'a str,
    sct_verified: bool,
    tlog_verified: bool,
    verified: bool,
    verified_timestamps: &'a [String],
}

/// A bundle that did not verify, and why.
#[derive(Serialize)]
struct FailedJson<'a> {
    artifact: &'a str,
    bundle: &'a str,
    reason: String,
    verified: bool,
}

fn content(v: &SigstoreVerified) -> &'static str {
    match v.content {
        BundleContent::MessageSignature => "message signature",
        BundleContent::DsseEnvelope => "DSSE envelope",
    }
}

fn yes(b: bool) -> &'static str {
    if b { "ok" } else { "n/a" }
}

/// Renders a bundle that verified.
pub fn verified(
    v: &SigstoreVerified,
    bundle: &str,
    artifact: &str,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<()> {
    let mut text = String::new();
    match format {
        Format::Json => {
            let j = VerifiedJson {
                artifact,
                bundle,
                certificate_verified: v.certificate_verified,
                content: content(v),
                identity: &v.identity,
                integrated_time: &v.integrated_time,
                issuer: &v.issuer,
                key_id: &v.key_id,
                media_type: &v.media_type,
                sct_verified: v.sct_verified,
                tlog_verified: v.tlog_verified,
                verified: true,
                verified_timestamps: &v.verified_timestamps,
            };
            outln!(text, "{}", serde_json::to_string(&j)?);
        }
        _ => {
            outln!(
                text,
                "{} {artifact}: {bundle} ({})",
                ui.good("verified"),
                content(v)
            );
            if let Some(id) = &v.identity {
                outln!(text, "  identity     {id}");
            }
            if let Some(iss) = &v.issuer {
                outln!(text, "  issuer       {iss}");
            }
            if let Some(k) = &v.key_id {
                outln!(text, "  key          {k}");
            }
            outln!(
                text,
                "  checks       certificate chain {}, SCT {}, transparency log {}",
                yes(v.certificate_verified),
                yes(v.sct_verified),
                yes(v.tlog_verified)
            );
            for t in &v.verified_timestamps {
                outln!(text, "  signed at    {t}");
            }
        }
    }
    super::stdout(&text)
}

/// Renders a bundle that did not verify.
pub fn failed(
    e: &SigstoreError,
    bundle: &str,
    artifact: &str,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<()> {
    let text = match format {
        Format::Json => {
            let j = FailedJson {
                artifact,
                bundle,
                reason: e.to_string(),
                verified: false,
            };
            serde_json::to_string(&j)? + "\n"
        }
        _ => format!("{} {artifact}: {bundle}: {e}\n", ui.bad("FAILED")),
    };
    super::stdout(&text)
}
