//! The fuzz targets' bodies, one `pub fn` per target.
//!
//! They live here, not in `fuzz_targets/`, so that
//! `core/tests/fuzz_regressions.rs` can include this file (`#[path]`) and
//! replay every committed crash input through exactly the code the fuzzer
//! ran. That is why this file uses nothing but `glassbox_core`, `time` and
//! `std`: no libFuzzer, no crate the core tests lack.
//!
//! Each function must never panic on any input, except through the
//! `assert!`s written here, which state invariants (a value we serialize
//! parses back to itself) whose failure is a bug the fuzzer should report.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::OnceLock;

use glassbox_core::release::{Limits, ReadOptions, Release};

/// Small limits, so a run stays fast and within libFuzzer's memory cap;
/// nested expansion on, so nested readers are reached too.
pub fn opts() -> ReadOptions {
    ReadOptions {
        limits: Limits {
            max_depth: 3,
            max_expanded_bytes: 64 << 20,
            max_entries: 10_000,
            max_ratio: 1000,
        },
        expand_nested: true,
        ..Default::default()
    }
}

/// Splits `data` into chunks, each a 2-byte big-endian length and that many
/// bytes (the last chunk may be short). Framing shared by the targets that
/// need several inputs.
pub fn chunks(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        let chunk = &rest[..len.min(rest.len())];
        rest = &rest[chunk.len()..];
        out.push(chunk);
    }
    out
}

/// Arbitrary bytes as a tar release.
pub fn tar(data: &[u8]) {
    // Errors are expected; panics, hangs and unbounded memory are bugs.
    let _ = Release::from_bytes("fuzz.tar", data, &opts());
}

/// Arbitrary bytes as a zip release.
pub fn zip(data: &[u8]) {
    let _ = Release::from_bytes("fuzz.zip", data, &opts());
}

/// Arbitrary bytes as an ar archive or Debian package.
pub fn ar_deb(data: &[u8]) {
    let _ = Release::from_bytes("fuzz.deb", data, &opts());
}

/// Arbitrary bytes as an RPM package: the release reader (lead, headers,
/// payload, cpio, the header/payload cross-check) and the signature chain
/// (`sig::rpm`) with a policy that trusts nothing.
pub fn rpm(data: &[u8]) {
    let _ = Release::from_bytes("fuzz.rpm", data, &opts());
    let v = glassbox_core::sig::rpm::verify_package(
        "fuzz.rpm",
        data,
        &untrusting_policy(),
        time::OffsetDateTime::UNIX_EPOCH,
    );
    assert!(
        !v.verified,
        "a package verified under a policy that trusts nothing"
    );
}

const CODECS: &[(&str, &[u8])] = &[
    ("fuzz.tar.gz", &[0x1f, 0x8b]),
    ("fuzz.tar.xz", &[0xfd, b'7', b'z', b'X', b'Z', 0x00]),
    ("fuzz.tar.zst", &[0x28, 0xb5, 0x2f, 0xfd]),
    ("fuzz.tar.bz2", b"BZh91AY&SY"),
];

/// Arbitrary bytes as a compressed stream: the first byte picks the codec,
/// whose magic is prepended so the decoder (not the sniffer) is exercised.
pub fn compressed(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (name, magic) = CODECS[usize::from(pick) % CODECS.len()];
    let mut input = magic.to_vec();
    input.extend_from_slice(rest);
    let _ = Release::from_bytes(name, &input, &opts());
}

/// Certificate parsing and path building. Input: [`chunks`]; every chunk is
/// parsed as a certificate (DER), a bundle (PEM or DER) and a CRL; the first
/// certificate is the leaf, the last the root, the rest intermediates, and
/// `validate` runs over them with a small budget.
pub fn x509_chain(data: &[u8]) {
    use glassbox_core::x509::{self, Certificate, Crl, Purpose, ValidationOptions, ValidationTime};
    let mut certs: Vec<Certificate> = Vec::new();
    let mut crls: Vec<Crl> = Vec::new();
    for chunk in chunks(data) {
        if let Ok(c) = Certificate::from_der(chunk) {
            certs.push(c);
        }
        if let Ok(b) = x509::parse_pem_or_der_bundle(chunk) {
            certs.extend(b);
        }
        if let Ok(c) = Crl::parse_pem_or_der(chunk) {
            crls.extend(c);
        }
    }
    if certs.len() < 2 {
        return;
    }
    let leaf = certs.remove(0);
    let Some(root) = certs.pop() else { return };
    for purpose in [Purpose::CodeSigning, Purpose::ServerAuth, Purpose::Any] {
        let opts = ValidationOptions {
            time: ValidationTime::At(
                time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000),
            ),
            purpose,
            crls: crls.clone(),
            max_signature_checks: 32,
            ..Default::default()
        };
        let _ = x509::validate(&leaf, &certs, std::slice::from_ref(&root), &opts);
    }
}

/// A policy that trusts nothing: signatures get as far as the chain.
fn untrusting_policy() -> glassbox_core::policy::TrustPolicy {
    use glassbox_core::policy::{
        AlgorithmPolicy, CoverageRules, RequiredEku, TrustPolicy, ValidationTime,
    };
    TrustPolicy {
        source: Default::default(),
        roots: Vec::new(),
        intermediates: Vec::new(),
        tsa_roots: Vec::new(),
        keys: Vec::new(),
        sigstore: Vec::new(),
        openpgp: Vec::new(),
        required_eku: RequiredEku::CodeSigning,
        algorithms: AlgorithmPolicy::default(),
        validation_time: ValidationTime::SigningTime,
        coverage: CoverageRules::default(),
        dsse: Default::default(),
        authenticode: Default::default(),
    }
}

/// PE images: headers, section layout, the certificate table and its
/// WIN_CERTIFICATE entries, the Authenticode digest and checksum, and the
/// SignedData of each entry (nested signatures, timestamps).
pub fn authenticode(data: &[u8]) {
    use glassbox_core::sig::authenticode::{self, PeImage};
    use glassbox_core::sig::cms::DigestAlgorithm;
    if let Ok(image) = PeImage::parse(data) {
        let _ = image.digest(DigestAlgorithm::Sha256);
        let _ = image.computed_checksum();
    }
    let _ = authenticode::verify_pe(data, &untrusting_policy(), time::OffsetDateTime::UNIX_EPOCH);
}

/// OpenPGP: armor, packet framing, keyrings, detached signatures and
/// cleartext-signed documents, verified as far as they go. Input: chunks
/// ([`chunks`]): a keyring (the policy's only keyring when it parses), a
/// signature or cleartext document, and the signed content. The whole
/// input is also tried as a signature and as a cleartext document.
pub fn openpgp(data: &[u8]) {
    use glassbox_core::policy::ValidationTime;
    use glassbox_core::sig::openpgp::{self, Keyring};
    let parts = chunks(data);
    let ring = parts.first().copied().unwrap_or_default();
    let sig = parts.get(1).copied().unwrap_or_default();
    let content = parts.get(2).copied().unwrap_or_default();
    let mut policy = untrusting_policy();
    policy.openpgp = Keyring::from_bytes("fuzz", std::path::Path::new("fuzz.gpg"), ring, None)
        .into_iter()
        .collect();
    // A fixed instant: key expiry and signature times are judged alike
    // on every run.
    let at = time::OffsetDateTime::from_unix_timestamp(1_798_761_600)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    policy.validation_time = ValidationTime::Fixed(at);
    for input in [sig, data] {
        let _ = openpgp::verify_detached(input, content, &policy, at);
        if let Ok(c) = openpgp::verify_cleartext(input, &policy, at) {
            assert!(
                !c.verification.verified || !c.verification.signatures.is_empty(),
                "a document with no signature verified"
            );
        }
    }
}

/// CMS SignedData, RFC 3161 tokens and checksum manifests.
pub fn cms(data: &[u8]) {
    use glassbox_core::sig::cms::{self, CmsSignature, ContentDigests};
    use glassbox_core::sig::{manifest, tsp};
    let policy = untrusting_policy();
    let now = time::OffsetDateTime::UNIX_EPOCH;
    if let Ok(sig) = CmsSignature::parse(data) {
        let algs = sig.digest_algorithms().unwrap_or_default();
        let digests = ContentDigests::of(b"content", &algs);
        let _ = cms::verify_parsed(&sig, &digests, &policy, now);
        let _ = sig.certificates_der();
    }
    let _ = tsp::verify_token(data, b"signature", &policy, now);
    let _ = manifest::parse(data);
}

// The DSSE corpus's Ed25519 key (any fixed key will do).
const DSSE_ED25519: [u8; 32] = [
    0x8a, 0xf8, 0x14, 0x55, 0x36, 0xa8, 0xcd, 0xa2, 0x54, 0xe1, 0xec, 0x9c, 0xf8, 0x4c, 0xa1, 0x29,
    0xe2, 0xe5, 0xf0, 0x8f, 0xb9, 0x16, 0x2c, 0xe9, 0x07, 0xf5, 0x60, 0x86, 0x81, 0x2f, 0x18, 0x63,
];

/// DSSE envelope and in-toto Statement parsing; a parsed envelope
/// re-serializes to an equal envelope; verification never panics.
pub fn dsse_envelope(data: &[u8]) {
    use glassbox_core::dsse::{self, Envelope, Statement};
    use glassbox_core::keys::PublicKey;
    let _ = Statement::from_json(data);
    let Ok(env) = Envelope::from_json(data) else {
        return;
    };
    let again = Envelope::from_json(env.to_json().as_bytes()).expect("own output parses");
    assert_eq!(again, env);
    let key = PublicKey::from_ed25519_raw(&DSSE_ED25519).expect("valid key");
    if let Ok(v) = dsse::verify(&env, &[("k", key)], 1) {
        let _ = v.statement();
    }
}

/// Public and private key parsing (PEM/DER SPKI, PKCS#8); a parsed key
/// round-trips through its PEM.
pub fn public_key(data: &[u8]) {
    use glassbox_core::keys::{PublicKey, SigningKey};
    if let Ok(k) = PublicKey::from_pem_or_der(data) {
        let _ = k.verify(b"message", data);
        assert_eq!(
            PublicKey::from_pem_or_der(k.to_pem().as_bytes()).expect("own PEM parses"),
            k
        );
    }
    let _ = SigningKey::from_pkcs8_pem_or_der(data);
}

/// Sigstore bundle JSON: parsing and offline verification.
pub fn sigstore_bundle(data: &[u8]) {
    use glassbox_core::digest::Sha256Digest;
    use glassbox_core::sig::sigstore::{self, Artifact, SignerRule, SigstoreTrust};
    static TRUST: OnceLock<SigstoreTrust> = OnceLock::new();
    let trust = TRUST.get_or_init(|| SigstoreTrust::production().expect("compiled-in root loads"));
    if sigstore::parse_bundle(data).is_err() {
        return;
    }
    let rule = SignerRule::identity("https://example.invalid/id", "https://example.invalid");
    let _ = sigstore::verify_bundle(data, Artifact::Bytes(b"a"), &rule, trust);
    let _ = sigstore::verify_bundle(data, Artifact::Digest(Sha256Digest::of(b"a")), &rule, trust);
}

/// An in-memory TUF repository: metadata files by name. Targets are never
/// served, so target checks fail closed after the metadata refresh.
struct MemorySource(BTreeMap<String, Vec<u8>>);

impl glassbox_core::tuf::Source for MemorySource {
    fn metadata(
        &self,
        name: &str,
        max: u64,
    ) -> Result<Option<Vec<u8>>, glassbox_core::tuf::FetchError> {
        match self.0.get(name) {
            Some(b) if b.len() as u64 > max => Err(glassbox_core::tuf::FetchError::TooLong {
                what: name.to_owned(),
                max,
            }),
            other => Ok(other.cloned()),
        }
    }
    fn target(
        &self,
        _path: &str,
        _max: u64,
    ) -> Result<Option<Vec<u8>>, glassbox_core::tuf::FetchError> {
        Ok(None)
    }
    fn describe(&self) -> String {
        "fuzz input".to_owned()
    }
}

/// TUF metadata. The whole input is parsed as one metadata file, as each
/// role type, and its signatures counted against its own keys (if it is a
/// root). Then the input is read as a repository: [`chunks`], the first the
/// trusted root, each other `name NUL bytes`, and the client refreshes
/// (root rotation, timestamp, snapshot, targets, delegations) and resolves
/// every target at a fixed reference time.
pub fn tuf(data: &[u8]) {
    use glassbox_core::tuf::metadata::{self, Envelope, Root, Snapshot, Targets, Timestamp};
    use glassbox_core::tuf::{self, Options, TargetSelection, verify};
    if let Ok(env) = Envelope::parse(data) {
        let _ = env.role_type();
        if let Ok(root) = Root::parse(&env.signed) {
            for role in metadata::TOP_LEVEL_ROLES {
                let _ = verify::count_signers(&env, root.role(role), &root.keys);
            }
            for k in root.keys.values() {
                let _ = k.keyid_mismatch();
            }
        }
        let _ = Timestamp::parse(&env.signed);
        let _ = Snapshot::parse(&env.signed);
        if let Ok(t) = Targets::parse(&env.signed) {
            let names: Vec<&String> = t.targets.keys().take(8).collect();
            for role in t.delegations.iter().flat_map(|d| d.roles.iter().take(8)) {
                for name in &names {
                    let _ = metadata::delegation_covers(&role.paths, name);
                }
            }
        }
    }
    let parts = chunks(data);
    let Some((anchor, files)) = parts.split_first() else {
        return;
    };
    let mut repo = BTreeMap::new();
    for f in files {
        let Some(nul) = f.iter().position(|&b| b == 0) else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(&f[..nul]) else {
            continue;
        };
        repo.insert(name.to_owned(), f[nul + 1..].to_vec());
    }
    let mut opts = Options::at(
        time::OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("valid timestamp"),
    );
    opts.targets = TargetSelection::All;
    let _ = tuf::verify_repository(anchor, &MemorySource(repo), &opts);
}

/// The two transparency-log keys the `tlog` target signs with (fixed
/// seeds: the keys only need to be known, not secret).
fn tlog_keys() -> &'static (
    glassbox_core::tlog::LogSigner,
    glassbox_core::tlog::LogSigner,
) {
    use glassbox_core::tlog::LogSigner;
    use glassbox_core::tlog::note::KeyType;
    static KEYS: OnceLock<(LogSigner, LogSigner)> = OnceLock::new();
    KEYS.get_or_init(|| {
        (
            LogSigner::from_seed("example.com/fuzz-log", KeyType::Ed25519, &[1; 32])
                .expect("fixed log key"),
            LogSigner::from_seed("example.com/fuzz-witness", KeyType::CosignatureV1, &[2; 32])
                .expect("fixed witness key"),
        )
    })
}

/// Transparency-log formats: signed notes (C2SP signed-note), checkpoints
/// (C2SP tlog-checkpoint), cosignatures, tlog-proof files, leaf records,
/// verifier keys, tiles and entry bundles. The first byte picks a mode;
/// in modes 1 and 2 the target signs what the fuzzer wrote with its own
/// keys, so the parsers behind signature verification (checkpoint body,
/// inclusion proof) see arbitrary input too.
pub fn tlog(data: &[u8]) {
    use glassbox_core::tlog::checkpoint::{self, Checkpoint};
    use glassbox_core::tlog::leaf::LeafRecord;
    use glassbox_core::tlog::note::{Note, VerifierKey};
    use glassbox_core::tlog::proof::TlogProof;
    use glassbox_core::tlog::{cosignature, merkle, tiles};
    let (log, witness) = tlog_keys();
    let log_key = log.verifier_key();
    let witnesses = std::slice::from_ref(witness.verifier_key());
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = std::str::from_utf8(rest).ok();
    match mode % 4 {
        0 => {
            if let Ok(note) = Note::parse(rest) {
                let _ = note.verify(&[log_key.clone(), witness.verifier_key().clone()]);
                assert_eq!(Note::parse(&note.to_bytes()).ok().as_ref(), Some(&note));
            }
            let _ = checkpoint::open(rest, log_key, witnesses, 0);
            let _ = LeafRecord::parse(rest);
            let _ = cosignature::split_body(rest);
            if let Some(t) = text {
                let _ = Checkpoint::parse(t);
                let _ = VerifierKey::from_str(t);
            }
            if let Ok(p) = TlogProof::parse(rest) {
                let _ = p.verify_file(None, log_key, witnesses, 1);
            }
        }
        1 => {
            // A checkpoint body signed by the log and cosigned by the
            // witness: reaches Checkpoint::parse after verification.
            let Some(t) = text else { return };
            let Ok(mut note) = log.sign_note(t) else {
                return;
            };
            let _ = cosignature::cosign(&mut note, witness, 1_700_000_000);
            if let Ok(cp) = checkpoint::open(&note.to_bytes(), log_key, witnesses, 1) {
                let again = Checkpoint::parse(&cp.checkpoint.to_text());
                assert_eq!(again.as_ref().ok(), Some(&cp.checkpoint));
            }
        }
        2 => {
            // A tlog-proof whose checkpoint body the target re-signs, so
            // the inclusion proof is checked against it.
            let Ok(mut p) = TlogProof::parse(rest) else {
                return;
            };
            let Some(body) = Note::parse(&p.checkpoint).ok().map(|n| n.text) else {
                return;
            };
            let Ok(note) = log.sign_note(&body) else {
                return;
            };
            p.checkpoint = note.to_bytes();
            let _ = p.verify_file(None, log_key, witnesses, 0);
            let leaf = LeafRecord::parse(p.extra.as_deref().unwrap_or_default());
            let _ = p.verify_file(leaf.as_ref().ok(), log_key, witnesses, 0);
        }
        _ => {
            // Merkle proof arithmetic on untrusted sizes and indices (as a
            // tlog-proof or a witness request carries them), then tile and
            // entry-bundle decoding. The first 16 bytes are two numbers,
            // the rest hashes or tile bytes. Tile coordinates stay in the
            // range a tree of `a` leaves has (levels 0..=7 of a u64 tree),
            // as the tile reader computes them.
            if rest.len() < 16 {
                return;
            }
            let a = u64::from_be_bytes(rest[..8].try_into().expect("8 bytes"));
            let b = u64::from_be_bytes(rest[8..16].try_into().expect("8 bytes"));
            let body = &rest[16..];
            let hashes: Vec<Vec<u8>> = body.chunks(32).map(<[u8]>::to_vec).collect();
            let zero = [0u8; 32];
            let _ = merkle::verify_inclusion_bytes(a, b, &zero, &hashes, &zero);
            let _ = merkle::verify_consistency_bytes(a, b, &hashes, &zero, &zero);
            let level = (b % 8) as u32;
            let tiles_at_level = (a >> (tiles::TILE_HEIGHT * level)) / tiles::TILE_WIDTH + 1;
            let index = (b >> 3) % tiles_at_level;
            let width = tiles::tile_width(level, index, a);
            let path = std::path::Path::new(&tiles::tile_path(level, index, width)).to_owned();
            let _ = tiles::decode_tile(body, width, &path);
            let _ = tiles::decode_bundle(body, width, &path);
            let _ = tiles::bundle_path(index, width);
        }
    }
}
