//! `glassbox chain limbo`: run x509-limbo test cases through
//! `glassbox_core::x509::validate` and write limbo's harness result format.

use std::path::PathBuf;

use anyhow::Context;
use glassbox_core::x509::{self, Certificate, Crl, PeerName, Purpose, ValidationOptions};
use serde::Deserialize;

use crate::render::chain::{LimboResult, LimboResults, LimboTally};
use crate::ui::{Outcome, Ui};

/// Run an x509-limbo corpus and write harness results.
#[derive(clap::Args)]
pub struct Args {
    /// limbo.json (x509-limbo schema version 1).
    #[arg(value_name = "LIMBO_JSON")]
    limbo: PathBuf,

    /// Where to write the harness results (JSON); replaced if it exists.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Only cases whose id starts with this prefix.
    #[arg(long, value_name = "PREFIX")]
    only: Option<String>,
}

#[derive(Deserialize)]
struct Limbo {
    version: u32,
    testcases: Vec<Testcase>,
}

#[derive(Deserialize)]
struct LimboPeerName {
    kind: String,
    value: String,
}

#[derive(Deserialize)]
struct Testcase {
    id: String,
    #[serde(default)]
    features: Vec<String>,
    validation_kind: String,
    trusted_certs: Vec<String>,
    untrusted_intermediates: Vec<String>,
    peer_certificate: String,
    validation_time: Option<String>,
    #[serde(default)]
    signature_algorithms: Vec<String>,
    #[serde(default)]
    key_usage: Vec<String>,
    #[serde(default)]
    extended_key_usage: Vec<String>,
    expected_result: String,
    expected_peer_name: Option<LimboPeerName>,
    #[serde(default)]
    expected_peer_names: Vec<LimboPeerName>,
    max_chain_depth: Option<usize>,
    #[serde(default)]
    crls: Vec<String>,
}

/// Features we deliberately do not support, and why (limbo: "consumers that
/// don't understand a given feature should skip tests marked with it").
const UNSUPPORTED_FEATURES: &[(&str, &str)] = &[
    (
        "pedantic-public-suffix-wildcard",
        "no public suffix list: wildcards over public suffixes are not detected",
    ),
    (
        "rfc5280-incompatible-with-webpki",
        "serverAuth follows the CA/B Forum profile where it departs from RFC 5280",
    ),
];

/// Cases skipped by id: expectations that contradict a larger body of
/// cases we pass, with the reason.
const CONFLICTING_CASES: &[(&str, &str)] = &[(
    "webpki::cn::",
    "CA/B BR 7.1.4.3 CN-in-SAN consistency contradicts BetterTLS nameconstraints (CN ignored when a SAN is present, RFC 6125 6.4.4), which glassbox follows",
)];

/// The verdict for one case.
enum Actual {
    Success,
    Failure(String),
    Skipped(String),
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(&args.limbo)
        .with_context(|| format!("{}: cannot read", args.limbo.display()))?;
    let limbo: Limbo = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a limbo file", args.limbo.display()))?;
    if limbo.version != 1 {
        anyhow::bail!(
            "{}: limbo version {} (expected 1)",
            args.limbo.display(),
            limbo.version
        );
    }
    let cases: Vec<&Testcase> = limbo
        .testcases
        .iter()
        .filter(|t| args.only.as_ref().is_none_or(|p| t.id.starts_with(p)))
        .collect();
    let bar = ui.progress(cases.len() as u64, "limbo");
    // namespace -> [pass, false accept, false reject, skipped]
    let mut tally = LimboTally::new();
    let mut results = Vec::with_capacity(cases.len());
    for case in cases {
        let actual = run_case(case);
        bar.inc(1);
        let ns = case.id.split("::").next().unwrap_or("").to_string();
        let t = tally.entry(ns).or_default();
        let expect_ok = case.expected_result == "SUCCESS";
        let (label, context) = match &actual {
            Actual::Success => {
                t[if expect_ok { 0 } else { 1 }] += 1;
                ("SUCCESS", None)
            }
            Actual::Failure(why) => {
                t[if expect_ok { 2 } else { 0 }] += 1;
                ("FAILURE", Some(why.clone()))
            }
            Actual::Skipped(why) => {
                t[3] += 1;
                ("SKIPPED", Some(why.clone()))
            }
        };
        results.push(LimboResult {
            actual_result: label,
            context,
            id: case.id.clone(),
        });
    }
    bar.finish_and_clear();
    let doc = LimboResults {
        harness: "glassbox",
        results,
        version: 1,
    };
    if let Some(out) = &args.output {
        crate::ui::write_atomic(out, serde_json::to_string_pretty(&doc)?.as_bytes(), true)?;
    }
    crate::render::chain::limbo_table(&tally)?;
    let false_accepts: usize = tally.values().map(|t| t[1]).sum();
    Ok(Outcome::from_ok(false_accepts == 0))
}

fn parse_pems(pems: &[String]) -> (Vec<Certificate>, Vec<String>) {
    let mut certs = Vec::new();
    let mut errors = Vec::new();
    for pem in pems {
        match x509::parse_pem_or_der_bundle(pem.as_bytes()) {
            Ok(c) => certs.extend(c),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (certs, errors)
}

fn peer_name(p: &LimboPeerName) -> Result<PeerName, String> {
    let parsed = match p.kind.as_str() {
        "DNS" => p.value.parse::<PeerName>(),
        "IP" => p
            .value
            .parse()
            .map(PeerName::Ip)
            .map_err(|_| x509::X509Error::PeerName(p.value.clone())),
        "RFC822" => Ok(PeerName::Email(p.value.clone())),
        other => return Err(format!("unknown peer name kind {other}")),
    };
    parsed.map_err(|e| e.to_string())
}

fn purpose_of(case: &Testcase) -> Result<Purpose, String> {
    match case.extended_key_usage.as_slice() {
        [] => Ok(if case.validation_kind == "CLIENT" {
            Purpose::ClientAuth
        } else {
            Purpose::ServerAuth
        }),
        [one] => match one.as_str() {
            "serverAuth" => Ok(Purpose::ServerAuth),
            "clientAuth" => Ok(Purpose::ClientAuth),
            "codeSigning" => Ok(Purpose::CodeSigning),
            "timeStamping" => Ok(Purpose::TimeStamping),
            "anyExtendedKeyUsage" => Ok(Purpose::Any),
            other => Err(format!(
                "extended key usage {other} is not a supported purpose"
            )),
        },
        _ => Err("several required extended key usages are not supported".into()),
    }
}

fn key_usage_bits(names: &[String]) -> Result<u16, String> {
    let mut bits = 0u16;
    for n in names {
        let i = x509::KEY_USAGE_NAMES
            .iter()
            .position(|k| k == n)
            .ok_or_else(|| format!("unknown key usage {n}"))?;
        bits |= 1 << i;
    }
    Ok(bits)
}

fn run_case(case: &Testcase) -> Actual {
    if let Some((f, why)) = UNSUPPORTED_FEATURES
        .iter()
        .find(|(f, _)| case.features.iter().any(|x| x == f))
    {
        return Actual::Skipped(format!("feature {f}: {why}"));
    }
    if let Some((_, why)) = CONFLICTING_CASES
        .iter()
        .find(|(prefix, _)| case.id.starts_with(prefix))
    {
        return Actual::Skipped((*why).to_string());
    }
    if !case.signature_algorithms.is_empty() {
        return Actual::Skipped("per-case signature algorithm lists are not supported".into());
    }
    let purpose = match purpose_of(case) {
        Ok(p) => p,
        Err(e) => return Actual::Skipped(e),
    };
    let required_key_usage = match key_usage_bits(&case.key_usage) {
        Ok(b) => b,
        Err(e) => return Actual::Skipped(e),
    };
    let leaf = match x509::parse_pem_or_der_bundle(case.peer_certificate.as_bytes()) {
        Ok(mut c) => c.remove(0),
        Err(e) => return Actual::Failure(format!("leaf: {e}")),
    };
    // Certificates that do not parse can only remove paths, never add one.
    let (roots, _) = parse_pems(&case.trusted_certs);
    let (intermediates, _) = parse_pems(&case.untrusted_intermediates);
    let mut crls = Vec::new();
    for pem in &case.crls {
        match Crl::parse_pem_or_der(pem.as_bytes()) {
            Ok(c) => crls.extend(c),
            Err(e) => return Actual::Failure(format!("CRL: {e}")),
        }
    }
    let time = match &case.validation_time {
        None => x509::ValidationTime::Now,
        Some(t) => match super::parse_time(t) {
            Ok(t) => x509::ValidationTime::At(t),
            Err(e) => return Actual::Failure(format!("validation_time: {e}")),
        },
    };
    let mut names = Vec::new();
    for p in case
        .expected_peer_name
        .iter()
        .chain(&case.expected_peer_names)
    {
        match peer_name(p) {
            Ok(n) => names.push(n),
            Err(e) => return Actual::Failure(format!("peer name: {e}")),
        }
    }
    let defaults = ValidationOptions::default();
    let opts = ValidationOptions {
        time,
        purpose,
        crls,
        peer_name: names.first().cloned(),
        required_key_usage,
        max_depth: case.max_chain_depth.unwrap_or(defaults.max_depth),
        // limbo marks the CA/B Forum EKU rules as a feature; cases without
        // it (rfc5280::eku::ee-without-eku) follow RFC 5280 §4.2.1.12.
        cabf_tls_eku: case.features.iter().any(|f| f == "pedantic-webpki-eku"),
        // Likewise an AKI on a cross-signed trust anchor
        // (rfc5280::aki::cross-signed-root-missing-aki); cve::cve-2024-0567
        // trusts such an anchor without one and expects success.
        anchor_aki_required: case.features.iter().any(|f| f == "pedantic-rfc5280"),
        ..defaults
    };
    match x509::validate(&leaf, &intermediates, &roots, &opts) {
        Ok(chain) => {
            if let Some(n) = names
                .iter()
                .skip(1)
                .find(|n| !n.matches(&chain.certificates[0]))
            {
                return Actual::Failure(format!("leaf does not match peer name {n}"));
            }
            Actual::Success
        }
        Err(f) => Actual::Failure(f.to_string()),
    }
}
