//! Authenticode on PE images made at test time: built with the `object`
//! crate's PE writer, PKI made with openssl (under faketime where a
//! certificate must lie in the past), signed with `osslsigncode sign`
//! (RFC 3161 timestamps from its built-in TSA, legacy countersignatures from
//! a TSA served by this test, nested signatures with `-nest`, SHA-1 with
//! `-h sha1`), then tampered with. Each case asserts the verdict and the
//! check that names the reason.

mod common;

use common::Pki;
use common::pe::{build_pe, cert_dir_offset, rfc3161_token, tool_test, with_rfc3161};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use glassbox_core::policy::TrustPolicy;
use glassbox_core::sig::authenticode::{self, PeVerification, TimestampKind};
use time::OffsetDateTime;
use time::macros::datetime;

/// The PKI every case uses, made by openssl in 2020 (faketime): roots A
/// and B; code signers under each; a leaf with serverAuth only; a leaf with
/// a vendor EKU; a TSA with the critical timeStamping EKU; and a code
/// signer valid for 30 days only (long expired now, while the roots and
/// the others, valid ten years, are not).
const VENDOR_EKU: &str = "1.3.6.1.4.1.311.10.3.6";

impl Pki {
    fn new() -> Self {
        let pki = Pki::at("2020-01-01 00:00:00");
        let mut cnf = std::fs::read_to_string(pki.path("ext.cnf")).unwrap();
        cnf += &format!(
            "[vendor]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage={VENDOR_EKU}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
        );
        std::fs::write(pki.path("ext.cnf"), cnf).unwrap();
        for name in ["root-a", "root-b"] {
            pki.key(name, "rsa:2048");
            pki.self_signed(name, &format!("/CN=Test {name}"), &[]);
        }
        for (name, ca, ext, days) in [
            ("signer-a", "root-a", "cs", 3650),
            ("signer-b", "root-b", "cs", 3650),
            ("server", "root-a", "server", 3650),
            ("vendor", "root-a", "vendor", 3650),
            ("tsa", "root-a", "tsa", 3650),
            ("short", "root-a", "cs", 30),
        ] {
            pki.key(name, "rsa:2048");
            pki.issue_days(name, &format!("/CN=Test {name}"), ca, ext, days);
        }
        pki
    }

    /// A policy trusting `roots` (files of this PKI), with `extra` TOML.
    fn policy(&self, roots: &[&str], extra: &str) -> TrustPolicy {
        let roots: Vec<String> = roots.iter().map(|r| format!("{r:?}")).collect();
        let text = format!("[x509]\nroots = [{}]\n{extra}", roots.join(", "));
        let p = self.path("policy.toml");
        std::fs::write(&p, text).unwrap();
        TrustPolicy::load(&p).unwrap()
    }

    /// `osslsigncode verify`'s "Calculated message digest", lower-case hex.
    fn osslsigncode_digest(&self, signed: &[u8]) -> String {
        let f = self.path("check.efi");
        std::fs::write(&f, signed).unwrap();
        let out = Command::new("osslsigncode")
            .args(["verify", "-CAfile", "root-a.pem", "-in", "check.efi"])
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.lines()
            .find(|l| l.starts_with("Calculated message digest"))
            .unwrap_or_else(|| panic!("no digest:\n{text}"))
            .rsplit(':')
            .next()
            .unwrap()
            .trim()
            .to_ascii_lowercase()
    }
}

fn unsigned() -> Vec<u8> {
    build_pe(&[0xc3; 700], b"glassbox authenticode test data")
}

const NOW: OffsetDateTime = datetime!(2026-12-08 00:00 UTC);

fn first_failure(v: &PeVerification) -> (&str, &str) {
    let f = v
        .failures
        .first()
        .unwrap_or_else(|| panic!("no failure: {v:#?}"));
    (f.check.as_str(), f.reason.as_str())
}

tool_test!(
    single_signature_verifies_with_osslsigncode_digest_and_program_info,
    {
        let pki = Pki::new();
        let signed = pki.sign(
            &unsigned(),
            "signer-a",
            &["-n", "Glassbox Test", "-i", "https://vendor.example/app"],
        );
        let v = authenticode::verify_pe(&signed, &pki.policy(&["root-a.pem"], ""), NOW);
        assert!(v.verified, "{:#?}", v.failures);
        assert_eq!(v.signatures.len(), 1);
        let s = &v.signatures[0];
        assert_eq!(s.program_name.as_deref(), Some("Glassbox Test"));
        assert_eq!(s.program_url.as_deref(), Some("https://vendor.example/app"));
        assert_eq!(s.signer.as_ref().unwrap().subject, "CN=Test signer-a");
        assert_eq!(
            v.authenticode_sha256,
            Some(pki.osslsigncode_digest(&signed))
        );
        assert_eq!(v.format, Some("pe32+"));
    }
);

tool_test!(
    nested_signatures_are_each_verified_and_the_policy_decides,
    {
        let pki = Pki::new();
        let first = pki.sign(&unsigned(), "signer-a", &[]);
        let both = pki.sign(&first, "signer-b", &["-nest"]);
        let v = authenticode::verify_pe(&both, &pki.policy(&["root-a.pem", "root-b.pem"], ""), NOW);
        assert!(v.verified, "{:#?}", v.failures);
        let ids: Vec<(&str, &str)> = v
            .signatures
            .iter()
            .map(|s| (s.id.as_str(), s.signer.as_ref().unwrap().subject.as_str()))
            .collect();
        assert_eq!(
            ids,
            [("1", "CN=Test signer-a"), ("1.1", "CN=Test signer-b")]
        );

        // Only root A trusted: the nested signature fails; under the default
        // require = "all" the file fails, under "any" it verifies with a note.
        let v = authenticode::verify_pe(&both, &pki.policy(&["root-a.pem"], ""), NOW);
        assert!(!v.verified);
        assert_eq!(v.failures[0].signature, "1.1");
        assert_eq!(first_failure(&v).0, "chain");
        let v = authenticode::verify_pe(
            &both,
            &pki.policy(&["root-a.pem"], "[authenticode]\nrequire = \"any\"\n"),
            NOW,
        );
        assert!(v.verified, "{:#?}", v.failures);
        assert!(
            v.notes.iter().any(|n| n.contains("signature 1.1 failed")),
            "{:?}",
            v.notes
        );
    }
);

tool_test!(
    rfc3161_timestamp_is_verified_and_judges_an_expired_signer,
    {
        let pki = Pki::new();
        // Signed by the 30-day signer, timestamped inside its validity.
        let signed = pki.sign(&unsigned(), "short", &[]);
        let token = rfc3161_token(&pki, &signed);
        let signed = with_rfc3161(&signed, &token);
        let v = authenticode::verify_pe(
            &signed,
            &pki.policy(&["root-a.pem"], "[validation]\ntime = \"signing-time\"\n"),
            NOW,
        );
        assert!(v.verified, "{:#?}", v.failures);
        let s = &v.signatures[0];
        assert_eq!(s.timestamp_kind, Some(TimestampKind::Rfc3161));
        let signer = s.signer.as_ref().unwrap();
        // The token's genTime (a day after the PKI's fake clock started,
        // early January 2020), inside the 30 days the signer was valid.
        assert_eq!(
            signer.validated_at.date(),
            datetime!(2020-01-02 00:00 UTC).date()
        );
        assert_eq!(
            signer.timestamp.as_ref().unwrap().tsa_subject,
            "CN=Test tsa"
        );

        // Judged now instead, the expired signer fails.
        let v = authenticode::verify_pe(&signed, &pki.policy(&["root-a.pem"], ""), NOW);
        assert_eq!(first_failure(&v).0, "chain");

        // A token over another signature value: the imprint does not match.
        let other = pki.sign(&build_pe(&[0x90; 700], b"other"), "short", &[]);
        let v = authenticode::verify_pe(
            &with_rfc3161(&other, &token),
            &pki.policy(&["root-a.pem"], "[validation]\ntime = \"signing-time\"\n"),
            NOW,
        );
        let (check, reason) = first_failure(&v);
        assert_eq!(check, "timestamp");
        assert!(reason.contains("imprint"), "{reason}");
    }
);

tool_test!(expired_signer_without_timestamp_fails, {
    let pki = Pki::new();
    let signed = pki.sign(&unsigned(), "short", &[]);
    let v = authenticode::verify_pe(&signed, &pki.policy(&["root-a.pem"], ""), NOW);
    let (check, reason) = first_failure(&v);
    assert_eq!(check, "chain");
    assert!(reason.contains("expired"), "{reason}");
    let v = authenticode::verify_pe(
        &signed,
        &pki.policy(&["root-a.pem"], "[validation]\ntime = \"signing-time\"\n"),
        NOW,
    );
    let (check, reason) = first_failure(&v);
    assert_eq!(check, "timestamp", "{reason}");
});

/// A legacy Authenticode timestamp server on 127.0.0.1 answering
/// `osslsigncode -t`: the request's signature value is signed with
/// `openssl cms -sign` (contentType id-data, signingTime, messageDigest of
/// the signature value: the countersignature), returned base64 as PKCS #7.
fn serve_legacy_tsa(dir: &Path) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let dir = dir.to_path_buf();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let text: String = String::from_utf8(body)
            .unwrap()
            .split_whitespace()
            .collect();
        use base64::Engine as _;
        let der = base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap();
        // TimeStampRequest ::= SEQUENCE { countersignatureType OID,
        // attributes OPTIONAL, content ContentInfo { data, [0] OCTET STRING } }:
        // the signature value is the last OCTET STRING.
        let sig = last_octet_string(&der);
        std::fs::write(dir.join("tsreq.bin"), sig).unwrap();
        common::run(
            "openssl",
            &[
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-nosmimecap",
                "-md",
                "sha256",
                "-in",
                "tsreq.bin",
                "-signer",
                "tsa.pem",
                "-inkey",
                "tsa.key",
                "-outform",
                "DER",
                "-out",
                "tsresp.der",
            ],
            &dir,
        );
        let resp = base64::engine::general_purpose::STANDARD
            .encode(std::fs::read(dir.join("tsresp.der")).unwrap());
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{resp}",
            resp.len()
        )
        .unwrap();
    });
    (url, handle)
}

/// The content of the last primitive OCTET STRING in a DER tree.
fn last_octet_string(der: &[u8]) -> Vec<u8> {
    fn walk(b: &[u8], found: &mut Vec<u8>) {
        let mut i = 0;
        while i + 2 <= b.len() {
            let tag = b[i];
            let (len, hl) = match b[i + 1] {
                l if l < 0x80 => (l as usize, 2),
                l => {
                    let n = (l & 0x7f) as usize;
                    let mut v = 0usize;
                    for k in 0..n {
                        v = v << 8 | b[i + 2 + k] as usize;
                    }
                    (v, 2 + n)
                }
            };
            let content = &b[i + hl..i + hl + len];
            if tag == 0x04 {
                *found = content.to_vec();
            } else if tag & 0x20 != 0 {
                walk(content, found);
            }
            i += hl + len;
        }
    }
    let mut found = Vec::new();
    walk(der, &mut found);
    found
}

tool_test!(
    legacy_countersignature_is_verified_and_used_as_signing_time,
    {
        let pki = Pki::new();
        let (url, server) = serve_legacy_tsa(pki.dir.path());
        let signed = pki.sign(&unsigned(), "signer-a", &["-t", &url]);
        server.join().unwrap();
        let policy = pki.policy(&["root-a.pem"], "[validation]\ntime = \"signing-time\"\n");
        let v = authenticode::verify_pe(&signed, &policy, OffsetDateTime::now_utc());
        assert!(v.verified, "{:#?}", v.failures);
        let s = &v.signatures[0];
        assert_eq!(s.timestamp_kind, Some(TimestampKind::Countersignature));
        let signer = s.signer.as_ref().unwrap();
        let ts = signer.timestamp.as_ref().unwrap();
        assert_eq!(ts.tsa_subject, "CN=Test tsa");
        assert_eq!(signer.validated_at, ts.gen_time);
        assert!(
            (OffsetDateTime::now_utc() - ts.gen_time)
                .whole_minutes()
                .abs()
                < 10
        );
    }
);

tool_test!(
    wrong_root_and_wrong_eku_fail_the_chain_vendor_eku_when_listed,
    {
        let pki = Pki::new();
        let signed = pki.sign(&unsigned(), "signer-a", &[]);
        let v = authenticode::verify_pe(&signed, &pki.policy(&["root-b.pem"], ""), NOW);
        assert_eq!(first_failure(&v).0, "chain");

        let server = pki.sign(&unsigned(), "server", &[]);
        let v = authenticode::verify_pe(&server, &pki.policy(&["root-a.pem"], ""), NOW);
        let (check, reason) = first_failure(&v);
        assert_eq!(check, "chain");
        assert!(reason.contains("codeSigning"), "{reason}");

        let vendor = pki.sign(&unsigned(), "vendor", &[]);
        let v = authenticode::verify_pe(&vendor, &pki.policy(&["root-a.pem"], ""), NOW);
        assert_eq!(first_failure(&v).0, "chain");
        let v = authenticode::verify_pe(
            &vendor,
            &pki.policy(
                &["root-a.pem"],
                &format!("[authenticode]\nekus = [\"{VENDOR_EKU}\"]\n"),
            ),
            NOW,
        );
        assert!(v.verified, "{:#?}", v.failures);
    }
);

tool_test!(sha1_is_refused_with_that_reason, {
    let pki = Pki::new();
    let signed = pki.sign(&unsigned(), "signer-a", &["-h", "sha1"]);
    let v = authenticode::verify_pe(&signed, &pki.policy(&["root-a.pem"], ""), NOW);
    let (check, reason) = first_failure(&v);
    assert_eq!(check, "supported");
    assert!(reason.contains("SHA-1 is refused"), "{reason}");
});

tool_test!(bytes_after_the_table_and_a_truncated_table_fail, {
    let pki = Pki::new();
    let signed = pki.sign(&unsigned(), "signer-a", &[]);
    let policy = pki.policy(&["root-a.pem"], "");

    let mut appended = signed.clone();
    appended.extend_from_slice(b"hidden payload!!");
    let v = authenticode::verify_pe(&appended, &policy, NOW);
    let (check, reason) = first_failure(&v);
    assert_eq!(check, "certificate-table");
    assert!(
        reason.contains("16 bytes after the certificate table"),
        "{reason}"
    );

    let truncated = &signed[..signed.len() - 100];
    let v = authenticode::verify_pe(truncated, &policy, NOW);
    let (check, reason) = first_failure(&v);
    assert_eq!(check, "certificate-table");
    assert!(reason.contains("truncated"), "{reason}");

    // Non-zero padding inside the last entry: data no signature covers.
    let mut padded = signed.clone();
    let last = padded.len() - 1;
    if padded[last] == 0 {
        padded[last] = 0x41;
        let v = authenticode::verify_pe(&padded, &policy, NOW);
        assert_eq!(first_failure(&v).0, "certificate-table");
    }
});

/// `pe` (unsigned) with `table` appended as its certificate table.
fn with_table(pe: &[u8], table: &[u8]) -> Vec<u8> {
    assert_eq!(pe.len() % 8, 0);
    let dir = cert_dir_offset(pe);
    let mut out = pe.to_vec();
    out[dir..dir + 4].copy_from_slice(&(pe.len() as u32).to_le_bytes());
    out[dir + 4..dir + 8].copy_from_slice(&(table.len() as u32).to_le_bytes());
    out.extend_from_slice(table);
    out
}

/// Verifies hostile `pe` with a policy that trusts a throw-away root: the
/// verdict must be a failure named `check`, reached quickly.
fn assert_refused(pe: &[u8], check: &str, reason_part: &str) {
    let policy = policy_any();
    let start = std::time::Instant::now();
    let v = authenticode::verify_pe(pe, &policy, NOW);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(!v.verified);
    let (c, reason) = first_failure(&v);
    assert_eq!(c, check, "{reason}");
    assert!(reason.contains(reason_part), "{reason}");
}

#[test]
fn hostile_section_tables_are_refused() {
    let pe = unsigned();
    let e_lfanew = u32::from_le_bytes(pe[0x3c..0x40].try_into().unwrap()) as usize;
    let signed = with_table(&pe, &[0; 16]);

    // NumberOfSections 65535: refused before the table is read.
    let mut huge = signed.clone();
    huge[e_lfanew + 6..e_lfanew + 8].copy_from_slice(&0xffffu16.to_le_bytes());
    assert_refused(&huge, "pe-layout", "at most 96");

    // The second section's raw data moved onto the first's.
    let sections = e_lfanew + 24 + 240;
    let first_ptr = u32::from_le_bytes(signed[sections + 20..sections + 24].try_into().unwrap());
    let mut overlap = signed.clone();
    overlap[sections + 40 + 20..sections + 40 + 24].copy_from_slice(&first_ptr.to_le_bytes());
    assert_refused(&overlap, "pe-layout", "overlap");

    // A gap: the second section starts 512 bytes later than the first ends.
    let second_ptr = u32::from_le_bytes(signed[sections + 60..sections + 64].try_into().unwrap());
    let mut gap = signed.clone();
    gap[sections + 60..sections + 64].copy_from_slice(&(second_ptr + 512).to_le_bytes());
    assert_refused(&gap, "pe-layout", "gap");

    // Not a PE at all, and truncations of the headers.
    assert_refused(b"MZ not really", "pe-parse", "");
    let policy = policy_any();
    for n in (0..1024).step_by(7) {
        let v = authenticode::verify_pe(&signed[..n], &policy, NOW);
        assert!(!v.verified);
    }
}

/// Any loadable policy (the hostile cases never reach the chain).
fn policy_any() -> TrustPolicy {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    std::fs::write(
        dir.path().join("root.pem"),
        params.self_signed(&key).unwrap().pem(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("policy.toml"),
        "[x509]\nroots = [\"root.pem\"]\n",
    )
    .unwrap();
    TrustPolicy::load(&dir.path().join("policy.toml")).unwrap()
}

#[test]
fn hostile_certificate_tables_are_refused() {
    let pe = unsigned();
    let dir = cert_dir_offset(&pe);

    // The table points far outside the file.
    let mut outside = pe.clone();
    outside[dir..dir + 4].copy_from_slice(&0x7fff_fff8u32.to_le_bytes());
    outside[dir + 4..dir + 8].copy_from_slice(&0x1000u32.to_le_bytes());
    assert_refused(&outside, "certificate-table", "past the end of the file");

    // 10,000 tiny WIN_CERTIFICATE entries (16 bytes each, a DER NULL
    // inside): refused at the 17th, in bounded time.
    let mut table = Vec::new();
    for _ in 0..10_000 {
        table.extend_from_slice(&16u32.to_le_bytes());
        table.extend_from_slice(&0x0200u16.to_le_bytes());
        table.extend_from_slice(&0x0002u16.to_le_bytes());
        table.extend_from_slice(&[0x05, 0x00, 0, 0, 0, 0, 0, 0]);
    }
    assert_refused(
        &with_table(&pe, &table),
        "certificate-table",
        "more than 16",
    );

    // Wrong revision, wrong type, a length running past the table.
    let entry = |len: u32, rev: u16, kind: u16| {
        let mut e = len.to_le_bytes().to_vec();
        e.extend_from_slice(&rev.to_le_bytes());
        e.extend_from_slice(&kind.to_le_bytes());
        e.extend_from_slice(&[0x05, 0x00, 0, 0, 0, 0, 0, 0]);
        e
    };
    assert_refused(
        &with_table(&pe, &entry(16, 0x0100, 2)),
        "certificate-table",
        "wRevision",
    );
    assert_refused(
        &with_table(&pe, &entry(16, 0x0200, 1)),
        "certificate-table",
        "wCertificateType",
    );
    assert_refused(
        &with_table(&pe, &entry(4096, 0x0200, 2)),
        "certificate-table",
        "truncated",
    );
    // A NULL where a SignedData belongs: the entry parses, the signature does not.
    assert_refused(&with_table(&pe, &entry(16, 0x0200, 2)), "parse", "");
    // No table at all: unsigned, said so.
    assert_refused(&pe, "unsigned", "no Authenticode signature");
}

tool_test!(certificate_table_inside_a_mapped_section_is_refused, {
    // The last section's SizeOfRawData cut to 32 bytes and the file with
    // it: osslsigncode appends the table right there, inside the 512-byte
    // raw block the Windows loader reads for that section. The table's
    // bytes are in no digest, so a vendor could put code there after signing.
    let pki = Pki::new();
    let mut pe = unsigned();
    let e_lfanew = u32::from_le_bytes(pe[0x3c..0x40].try_into().unwrap()) as usize;
    let last = e_lfanew + 24 + 240 + 40;
    let ptr = u32::from_le_bytes(pe[last + 20..last + 24].try_into().unwrap()) as usize;
    pe[last + 16..last + 20].copy_from_slice(&32u32.to_le_bytes());
    pe.truncate(ptr + 32);
    let signed = pki.sign(&pe, "signer-a", &[]);
    assert!(signed.len() > ptr + 32);
    let policy = pki.policy(&["root-a.pem"], "");
    let v = authenticode::verify_pe(&signed, &policy, NOW);
    assert!(!v.verified);
    let (check, reason) = first_failure(&v);
    assert_eq!(check, "pe-layout", "{reason}");
    assert!(reason.contains("rounded up to FileAlignment"), "{reason}");
    // The same section padded to FileAlignment (as built) still verifies.
    let whole = pki.sign(&unsigned(), "signer-a", &[]);
    let v = authenticode::verify_pe(&whole, &policy, NOW);
    assert!(v.verified, "{:#?}", v.failures);
});

tool_test!(section_mapped_over_the_unhashed_header_fields_is_refused, {
    // SizeOfHeaders and .text moved down to the end of the section table
    // (not a multiple of 512), .text grown over the old header padding:
    // every byte is where it was, but the loader reads .text from offset 0
    // (rounded down to 512), so the CheckSum and the certificate-table
    // entry, which no digest covers, become part of the mapped section.
    let pki = Pki::new();
    let mut pe = unsigned();
    let e_lfanew = u32::from_le_bytes(pe[0x3c..0x40].try_into().unwrap()) as usize;
    let text = e_lfanew + 24 + 240;
    let table_end = (text + 80) as u32;
    let ptr = u32::from_le_bytes(pe[text + 20..text + 24].try_into().unwrap());
    let size = u32::from_le_bytes(pe[text + 16..text + 20].try_into().unwrap());
    assert!(
        !table_end.is_multiple_of(512) && table_end < 512 && ptr > table_end,
        "{table_end} {ptr}"
    );
    pe[e_lfanew + 24 + 60..e_lfanew + 24 + 64].copy_from_slice(&table_end.to_le_bytes());
    pe[text + 20..text + 24].copy_from_slice(&table_end.to_le_bytes());
    pe[text + 16..text + 20].copy_from_slice(&(size + ptr - table_end).to_le_bytes());
    let signed = pki.sign(&pe, "signer-a", &[]);
    let v = authenticode::verify_pe(&signed, &pki.policy(&["root-a.pem"], ""), NOW);
    assert!(!v.verified);
    let (check, reason) = first_failure(&v);
    assert_eq!(check, "pe-layout", "{reason}");
    assert!(reason.contains("reads it from 0"), "{reason}");
});
