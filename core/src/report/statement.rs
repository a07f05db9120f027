//! The report as an in-toto Statement v1 (in-toto/attestation
//! `spec/v1/statement.md`): subjects are every audited file by SHA-256, the
//! predicate is the report itself, the predicate type names glassbox's
//! audit-report v1. The Statement is what the auditor signs (in a DSSE
//! envelope).

use serde_json::{Map, Value};

use super::{AuditReport, InputKind, ReportError, canonical, is_sha256_hex};
use crate::dsse::{self, Envelope, IN_TOTO_PAYLOAD_TYPE, Statement, VerifiedSigner};
use crate::keys::{PublicKey, SigningKey};

/// One audited artifact: a file the report's signature vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// Path relative to the case file's directory, `/`-separated.
    pub name: String,
    /// Lowercase hex SHA-256.
    pub sha256: String,
}

/// The subjects a report vouches for: every file of every input, named
/// relative to the case file, sorted by name, without duplicates.
pub fn subjects_of(report: &AuditReport) -> Vec<Subject> {
    let mut subjects: Vec<Subject> = Vec::new();
    for input in &report.inputs {
        match input.kind {
            InputKind::File => subjects.push(Subject {
                name: input.path.clone(),
                sha256: input.sha256.clone(),
            }),
            InputKind::Directory => {
                let base = input.path.trim_end_matches('/');
                subjects.extend(input.files.iter().map(|f| Subject {
                    name: format!("{base}/{}", f.path),
                    sha256: f.sha256.clone(),
                }))
            }
        }
    }
    subjects.sort_by(|a, b| a.name.cmp(&b.name).then(a.sha256.cmp(&b.sha256)));
    subjects.dedup();
    subjects
}

/// `predicateType` of glassbox audit reports, version 1.
pub const PREDICATE_TYPE: &str = "https://glassbox.dev/audit-report/v1";

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// The in-toto Statement for `report`: subjects derived from its inputs
/// (see [`subjects_of`]), the report as predicate.
pub fn statement(report: &AuditReport) -> Result<Statement, ReportError> {
    let subject = subjects_of(report)
        .into_iter()
        .map(|s| dsse::Subject {
            name: s.name,
            digest: [("sha256".to_string(), s.sha256)].into_iter().collect(),
        })
        .collect();
    let statement = Statement {
        type_: STATEMENT_TYPE.to_string(),
        subject,
        predicate_type: PREDICATE_TYPE.to_string(),
        predicate: serde_json::to_value(report)
            .map_err(|e| ReportError::Malformed(e.to_string()))?,
    };
    // At least one subject, well-formed digests (in-toto statement.md).
    statement.validate()?;
    Ok(statement)
}

/// The canonical JSON of [`statement`]: the bytes that are signed.
pub fn statement_json(report: &AuditReport) -> Result<String, ReportError> {
    Ok(canonical::to_canonical_json(&statement(report)?)?)
}

/// Signs `report` as the auditor: its canonical Statement in a DSSE
/// envelope (payload type `application/vnd.in-toto+json`).
pub fn sign_report(report: &AuditReport, key: &SigningKey) -> Result<Envelope, ReportError> {
    let payload = statement_json(report)?;
    Ok(dsse::sign(
        IN_TOTO_PAYLOAD_TYPE,
        payload.as_bytes(),
        &[key],
    )?)
}

/// A signed report whose signature, form and subjects list verified.
#[derive(Clone, Debug)]
pub struct VerifiedReport {
    /// The report and its subjects.
    pub statement: ReportStatement,
    /// The trusted keys that verified it.
    pub signers: Vec<VerifiedSigner>,
}

/// Verifies a report envelope (`report.dsse.json`) against trusted keys:
///
/// 1. the file is exactly the envelope JSON glassbox writes (one optional
///    trailing newline), so no byte can change without detection — not even
///    in the unsigned `keyid` hint or in ignored fields;
/// 2. it carries exactly one signature, as [`sign_report`] writes: a second
///    signature (another key's, an unverifiable one, or a duplicate of the
///    first) is not something glassbox wrote, so it fails rather than being
///    ignored; that signature verifies with a trusted key over the DSSE PAE
///    and its `keyid` is present and names that key;
/// 3. the payload type is in-toto's and the payload is a canonical Statement
///    of a glassbox report of a known schema version whose subjects are the
///    report's inputs ([`parse_statement`]).
pub fn verify_report_envelope<N: AsRef<str>>(
    bytes: &[u8],
    keys: &[(N, PublicKey)],
) -> Result<VerifiedReport, ReportError> {
    let envelope = Envelope::from_json(bytes)?;
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if envelope.to_json().as_bytes() != body {
        return Err(ReportError::Altered(
            "the envelope is not in the form glassbox writes (extra fields, whitespace or re-encoded base64)".into(),
        ));
    }
    // glassbox signs with one key ([`sign_report`]). DSSE would let a
    // verifier ignore signatures it cannot check; here an extra one means the
    // file is not what glassbox wrote, and a reader with other keys could
    // judge the same file differently (one reading).
    if envelope.signatures.len() != 1 {
        return Err(ReportError::Altered(format!(
            "the envelope carries {} signatures; glassbox writes exactly one (the auditor's). \
             Ask the auditor for the report.dsse.json glassbox wrote",
            envelope.signatures.len()
        )));
    }
    let verified = dsse::verify(&envelope, keys, 1)?;
    if verified.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(ReportError::Altered(format!(
            "payload type {:?} is not {IN_TOTO_PAYLOAD_TYPE:?}",
            verified.payload_type
        )));
    }
    for signer in &verified.signers {
        let sig = &envelope.signatures[signer.signature_index];
        if sig.keyid.as_deref() != Some(signer.key_id.as_str()) {
            return Err(ReportError::Altered(format!(
                "signature {} verifies with key {} but its keyid is {:?} (glassbox writes the key's id)",
                signer.signature_index,
                signer.key_id,
                sig.keyid.as_deref().unwrap_or("")
            )));
        }
    }
    let statement = parse_statement(&verified.payload)?;
    if let Some(named) = &statement.report.case.auditor.key_id {
        for signer in &verified.signers {
            if &signer.key_id != named {
                return Err(ReportError::Altered(format!(
                    "the report names signing key {named} but key {} signed it",
                    signer.key_id
                )));
            }
        }
    }
    if statement_json(&statement.report)?.as_bytes() != verified.payload.as_slice() {
        return Err(ReportError::Altered(
            "the signed Statement is not in canonical form".into(),
        ));
    }
    Ok(VerifiedReport {
        statement,
        signers: verified.signers,
    })
}

/// A Statement read back: the report and the subjects it vouches for.
#[derive(Clone, Debug)]
pub struct ReportStatement {
    /// The predicate.
    pub report: AuditReport,
    /// The subjects, as listed.
    pub subjects: Vec<Subject>,
}

/// Reads a Statement carrying a glassbox report: checks `_type`,
/// `predicateType`, the report's schema, and that the subjects are exactly
/// the files the report's inputs list (so the signed subject list and the
/// signed report cannot disagree).
pub fn parse_statement(payload: &[u8]) -> Result<ReportStatement, ReportError> {
    let bad = |m: String| ReportError::Malformed(m);
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| bad(format!("statement: {e}")))?;
    let obj: &Map<String, Value> = value
        .as_object()
        .ok_or_else(|| bad("statement is not a JSON object".into()))?;
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "_type" | "subject" | "predicateType" | "predicate"
        ) {
            return Err(bad(format!("statement has unknown field {key:?}")));
        }
    }
    if obj.get("_type").and_then(Value::as_str) != Some(STATEMENT_TYPE) {
        return Err(bad(format!(
            "statement _type is {}, expected {STATEMENT_TYPE}",
            obj.get("_type").unwrap_or(&Value::Null)
        )));
    }
    if obj.get("predicateType").and_then(Value::as_str) != Some(PREDICATE_TYPE) {
        return Err(bad(format!(
            "predicateType is {}, expected {PREDICATE_TYPE}",
            obj.get("predicateType").unwrap_or(&Value::Null)
        )));
    }
    let mut subjects = Vec::new();
    for s in obj
        .get("subject")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("statement has no subject list".into()))?
    {
        let name = s.get("name").and_then(Value::as_str);
        let sha256 = s
            .get("digest")
            .and_then(|d| d.get("sha256"))
            .and_then(Value::as_str);
        match (name, sha256) {
            (Some(name), Some(sha256)) if is_sha256_hex(sha256) => subjects.push(Subject {
                name: name.to_string(),
                sha256: sha256.to_string(),
            }),
            _ => return Err(bad(format!("subject {s} has no name or sha256 digest"))),
        }
    }
    let report = AuditReport::from_value(
        obj.get("predicate")
            .cloned()
            .ok_or_else(|| bad("statement has no predicate".into()))?,
    )?;
    if subjects != subjects_of(&report) {
        return Err(bad(
            "the statement's subjects are not the files the report's inputs list".into(),
        ));
    }
    Ok(ReportStatement { report, subjects })
}

/// A subject whose file on disk does not match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectMismatch {
    /// The subject name.
    pub name: String,
    /// What is wrong (`missing: ...`, `sha256 ... != ...`).
    pub reason: String,
}

/// Whether a `/`-separated name stays inside the directory it is joined
/// to: not absolute, no `\\`, no `..` or empty component.
pub(crate) fn stays_inside(name: &str) -> bool {
    !(name.starts_with('/')
        || name.contains('\\')
        || name.split('/').any(|c| c == ".." || c.is_empty()))
}

/// Hashes each subject's file under `dir` (names are `/`-separated paths
/// relative to the audited case's directory) and returns those that are
/// missing or differ. Names that would leave `dir` (absolute, `..`) are
/// mismatches, never opened.
pub fn check_subjects(subjects: &[Subject], dir: &std::path::Path) -> Vec<SubjectMismatch> {
    let mut out = Vec::new();
    for s in subjects {
        let mismatch = |reason: String| SubjectMismatch {
            name: s.name.clone(),
            reason,
        };
        if !stays_inside(&s.name) {
            out.push(mismatch("name leaves the artifacts directory".into()));
            continue;
        }
        let path = dir.join(&s.name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                out.push(mismatch("not a regular file".into()));
                continue;
            }
            Err(e) => {
                out.push(mismatch(format!("missing: {e}")));
                continue;
            }
        }
        let digest = std::fs::File::open(&path).and_then(|mut f| {
            crate::digest::hash_reader(&mut f, crate::digest::DigestSet::default())
        });
        match digest {
            Ok((d, _)) if d.sha256.to_hex() == s.sha256 => {}
            Ok((d, _)) => out.push(mismatch(format!(
                "sha256 on disk {} but the report vouches for {}",
                d.sha256.to_hex(),
                s.sha256
            ))),
            Err(e) => out.push(mismatch(format!("cannot read: {e}"))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::case;
    use crate::report::{Input, InputKind, InputRole};

    fn report() -> AuditReport {
        let mut r = AuditReport::new(case(), "2026-07-01T12:00:00Z").unwrap();
        r.inputs.push(Input {
            role: InputRole::Release,
            path: "rel.tar.gz".into(),
            kind: InputKind::File,
            sha256: "aa".repeat(32),
            files: vec![],
        });
        r.finish();
        r
    }

    #[test]
    fn statement_round_trips_and_names_its_subjects() {
        let text = statement_json(&report()).unwrap();
        assert!(text.starts_with("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicate\":"));
        let back = parse_statement(text.as_bytes()).unwrap();
        assert_eq!(back.report, report());
        assert_eq!(back.subjects[0].name, "rel.tar.gz");
    }

    fn auditor_key() -> SigningKey {
        crate::keys::SigningKey::generate(crate::keys::SigningAlgorithm::Ed25519)
            .unwrap()
            .key
    }

    #[test]
    fn signed_report_verifies_and_every_flipped_byte_fails() {
        let key = auditor_key();
        let trusted = [("auditor", key.public_key().clone())];
        let env = sign_report(&report(), &key).unwrap().to_json() + "\n";
        let ok = verify_report_envelope(env.as_bytes(), &trusted).unwrap();
        assert_eq!(ok.statement.report, report());
        assert_eq!(ok.signers[0].name, "auditor");
        for i in 0..env.len() {
            let mut bad = env.clone().into_bytes();
            bad[i] ^= 0x01;
            assert!(
                verify_report_envelope(&bad, &trusted).is_err(),
                "flipping byte {i} ({:?}) went unnoticed",
                env.as_bytes()[i] as char
            );
        }
        let other = auditor_key();
        let wrong = [("someone else", other.public_key().clone())];
        assert!(matches!(
            verify_report_envelope(env.as_bytes(), &wrong),
            Err(ReportError::Dsse(_))
        ));
    }

    /// A report names its signing key; signed by another (trusted) key it
    /// does not verify: the page's "signed by" line would be false.
    #[test]
    fn a_report_signed_by_another_key_than_it_names_fails() {
        let named = auditor_key();
        let signer = auditor_key();
        let mut r = report();
        r.case.auditor.key_id = Some(named.key_id());
        let trusted = [("signer", signer.public_key().clone())];
        let env = sign_report(&r, &signer).unwrap().to_json();
        match verify_report_envelope(env.as_bytes(), &trusted) {
            Err(ReportError::Altered(why)) => {
                assert!(why.contains(&named.key_id()), "{why}")
            }
            other => panic!("{other:?}"),
        }
        r.case.auditor.key_id = Some(signer.key_id());
        let env = sign_report(&r, &signer).unwrap().to_json();
        verify_report_envelope(env.as_bytes(), &trusted).unwrap();
    }

    #[test]
    fn only_the_one_signature_glassbox_writes_is_accepted() {
        let key = auditor_key();
        let trusted = [("auditor", key.public_key().clone())];
        let env = sign_report(&report(), &key).unwrap();
        let bytes = |e: &Envelope| e.to_json() + "\n";
        assert!(verify_report_envelope(bytes(&env).as_bytes(), &trusted).is_ok());

        // The same signature twice: DSSE counts the key once, glassbox never
        // writes it.
        let mut dup = env.clone();
        dup.signatures.push(env.signatures[0].clone());
        // A second, valid signature by a key the reader does not trust.
        let other = auditor_key();
        let mut extra = dsse::sign(IN_TOTO_PAYLOAD_TYPE, &env.payload, &[&key, &other]).unwrap();
        assert_eq!(extra.signatures.len(), 2);
        // A second signature that verifies with nothing.
        let mut junk = env.clone();
        junk.signatures.push(dsse::Signature {
            keyid: None,
            sig: vec![0; 64],
        });
        for (what, e) in [
            ("duplicate", &mut dup),
            ("extra", &mut extra),
            ("junk", &mut junk),
        ] {
            let err = verify_report_envelope(bytes(e).as_bytes(), &trusted).unwrap_err();
            assert!(
                matches!(&err, ReportError::Altered(m) if m.contains("2 signatures")),
                "{what}: {err}"
            );
        }

        // Without its keyid hint the signature is not in glassbox's form.
        let mut bare = env.clone();
        bare.signatures[0].keyid = None;
        let err = verify_report_envelope(bytes(&bare).as_bytes(), &trusted).unwrap_err();
        assert!(matches!(err, ReportError::Altered(_)), "{err}");
    }

    #[test]
    fn subjects_are_checked_against_files_on_disk() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a"), b"a").unwrap();
        let good = Subject {
            name: "a".into(),
            sha256: crate::digest::Sha256Digest::of(b"a").to_hex(),
        };
        assert!(check_subjects(std::slice::from_ref(&good), d.path()).is_empty());
        let changed = Subject {
            sha256: crate::digest::Sha256Digest::of(b"b").to_hex(),
            ..good.clone()
        };
        let missing = Subject {
            name: "gone".into(),
            ..good.clone()
        };
        let escaping = Subject {
            name: "../a".into(),
            ..good
        };
        let bad = check_subjects(&[changed, missing, escaping], d.path());
        let reasons: Vec<&str> = bad.iter().map(|m| m.reason.as_str()).collect();
        assert_eq!(bad.len(), 3, "{reasons:?}");
        assert!(reasons[0].starts_with("sha256 on disk"));
        assert!(reasons[1].starts_with("missing"));
        assert!(reasons[2].contains("leaves"));
    }

    #[test]
    fn tampered_statements_are_rejected() {
        let text = statement_json(&report()).unwrap();
        for (from, to) in [
            ("audit-report/v1", "audit-report/v2"),
            ("Statement/v1", "Statement/v0.1"),
            // A subject digest that no longer matches the report's input.
            (
                &format!("\"digest\":{{\"sha256\":\"{}\"", "aa".repeat(32)),
                &format!("\"digest\":{{\"sha256\":\"{}\"", "bb".repeat(32)),
            ),
            ("\"subject\":", "\"extra\":1,\"subject\":"),
        ] {
            let bad = text.replacen(from, to, 1);
            assert_ne!(bad, text, "{from} not found");
            assert!(parse_statement(bad.as_bytes()).is_err(), "accepted {to}");
        }
    }
}
