//! Helpers shared by core's integration tests: running the real tools that
//! make test data (openssl, python3, zip), a throw-away openssl PKI, and
//! the corpora. Each test file takes what it needs (`mod common;`), so some
//! helpers go unused in any one file.
#![allow(dead_code, unused_imports)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use glassbox_core::digest::Sha256Digest;
use glassbox_core::release::{EntryPath, RawPath, ReadOptions, Release};

pub mod audit;
pub mod cms_der;
pub mod corpora;
pub use corpora::corpus;
pub mod files;
pub use files::{copy_dir, files_with_extension, noise};
pub mod pe;
pub mod tools;
pub use tools::succeed;

/// Runs `cmd ARGS` in `dir` and returns its standard output; the tool must
/// be installed (`.ci/run` installs it) and must succeed.
pub fn run(cmd: &str, args: &[&str], dir: &Path) -> Vec<u8> {
    succeed(Command::new(cmd).args(args).current_dir(dir))
}

/// `openssl ARGS` in `dir`, which must succeed.
pub fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    run("openssl", args, dir)
}

/// The certificate profiles [`Pki::issue`] can give (`openssl x509
/// -extensions NAME`): a CA (`ca`), and leaves for code signing (`cs`), a
/// TLS server (`server`), and a TSA with a critical (`tsa`) or a
/// non-critical (`tsa_noncrit`) timeStamping EKU (RFC 3161 §2.3 asks for
/// critical). `ext.cnf` in every [`Pki`].
pub fn openssl_extensions() -> String {
    let mut cnf = String::from(
        "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    );
    // (section, extendedKeyUsage, with an authority key identifier)
    for (name, eku, aki) in [
        ("cs", "codeSigning", true),
        ("server", "serverAuth", false),
        ("tsa", "critical,timeStamping", true),
        ("tsa_noncrit", "timeStamping", false),
    ] {
        cnf += &format!(
            "[{name}]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage={eku}\nsubjectKeyIdentifier=hash\n"
        );
        if aki {
            cnf += "authorityKeyIdentifier=keyid\n";
        }
    }
    cnf
}

/// A temporary directory where the `openssl` CLI makes keys (`NAME.key`)
/// and certificates (`NAME.pem`) with the [`openssl_extensions`] profiles.
pub struct Pki {
    pub dir: tempfile::TempDir,
    /// When set, openssl runs under `faketime` at this instant (certificates
    /// issued in the past).
    pub faketime: Option<String>,
}

impl Pki {
    /// An empty PKI: no keys yet, the extension profiles written.
    pub fn empty() -> Self {
        let pki = Pki {
            dir: tempfile::tempdir().unwrap(),
            faketime: None,
        };
        std::fs::write(pki.path("ext.cnf"), openssl_extensions()).unwrap();
        pki
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// An empty PKI whose openssl runs at `when` (`faketime` syntax).
    pub fn at(when: &str) -> Self {
        Pki {
            faketime: Some(when.into()),
            ..Self::empty()
        }
    }

    /// `openssl ARGS` in the PKI's directory (under faketime if set).
    pub fn run(&self, args: &[&str]) -> Vec<u8> {
        self.run_at(self.faketime.as_deref(), args)
    }

    /// `openssl ARGS` in the PKI's directory, under faketime at `when` if
    /// given.
    fn run_at(&self, when: Option<&str>, args: &[&str]) -> Vec<u8> {
        match when {
            None => openssl(self.dir.path(), args),
            Some(t) => {
                let mut all = vec![t, "openssl"];
                all.extend_from_slice(args);
                run("faketime", &all, self.dir.path())
            }
        }
    }

    /// Generates `NAME.key`; `spec` is `rsa:BITS`, `ec:CURVE` or `ed25519`.
    pub fn key(&self, name: &str, spec: &str) {
        let out = format!("{name}.key");
        match spec.split_once(':') {
            Some(("rsa", bits)) => self.run(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
                "-out",
                &out,
            ]),
            Some(("ec", curve)) => self.run(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
                "-out",
                &out,
            ]),
            _ => self.run(&["genpkey", "-algorithm", "ED25519", "-out", &out]),
        };
    }

    /// A self-signed CA `NAME.pem` for `NAME.key`, valid ten years; `extra`
    /// goes to `openssl req` (a digest such as `-sha384`).
    pub fn self_signed(&self, name: &str, subject: &str, extra: &[&str]) {
        let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
        let mut args = vec![
            "req",
            "-x509",
            "-new",
            "-key",
            &key,
            "-out",
            &pem,
            "-subj",
            subject,
            "-days",
            "3650",
            "-config",
            "ext.cnf",
            "-extensions",
            "ca",
        ];
        args.extend_from_slice(extra);
        self.run(&args);
    }

    /// Issues `NAME.pem` for `NAME.key` under the CA `ca`, with the
    /// extension profile `ext`, valid a year.
    pub fn issue(&self, name: &str, subject: &str, ca: &str, ext: &str) {
        self.issue_days(name, subject, ca, ext, 365);
    }

    /// [`Pki::issue`], valid `days` days.
    pub fn issue_days(&self, name: &str, subject: &str, ca: &str, ext: &str, days: u32) {
        self.run(&[
            "req",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            subject,
            "-out",
            &format!("{name}.csr"),
        ]);
        self.run(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            &days.to_string(),
            "-extfile",
            "ext.cnf",
            "-extensions",
            ext,
            "-out",
            &format!("{name}.pem"),
        ]);
    }

    /// An RFC 3161 TimeStampToken (DER ContentInfo) from `openssl ts` over
    /// the SHA-256 of `data`, signed by the TSA `tsa` (its `NAME.pem` and
    /// `NAME.key`, profile `tsa`); writes the TSA's `ts.cnf` on first use.
    pub fn ts_token(&self, data: &[u8], tsa: &str) -> Vec<u8> {
        self.ts_token_at(data, tsa, self.faketime.as_deref())
    }

    /// [`Pki::ts_token`] made at `when` (`faketime` syntax). A PKI made
    /// under faketime starts every openssl run at the same instant and its
    /// clock then runs, so a certificate issued on a loaded machine can
    /// carry a notBefore a second later than a token made right after it;
    /// a token meant to fall inside a certificate's validity is made later.
    pub fn ts_token_at(&self, data: &[u8], tsa: &str, when: Option<&str>) -> Vec<u8> {
        use sha2::Digest as _;
        if !self.path("ts.cnf").exists() {
            std::fs::write(
                self.path("ts.cnf"),
                "[tsa]\ndefault_tsa = t\n[t]\nserial = tsaserial\nsigner_digest = sha256\n\
                 default_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\naccuracy = secs:1\n\
                 ess_cert_id_alg = sha256\n",
            )
            .unwrap();
            std::fs::write(self.path("tsaserial"), "01\n").unwrap();
        }
        let digest = hex::encode(sha2::Sha256::digest(data));
        self.run_at(
            when,
            &[
                "ts", "-query", "-digest", &digest, "-sha256", "-cert", "-out", "q.tsq",
            ],
        );
        self.run_at(
            when,
            &[
                "ts",
                "-reply",
                "-config",
                "ts.cnf",
                "-queryfile",
                "q.tsq",
                "-signer",
                &format!("{tsa}.pem"),
                "-inkey",
                &format!("{tsa}.key"),
                "-token_out",
                "-out",
                "token.der",
            ],
        );
        std::fs::read(self.path("token.der")).unwrap()
    }

    /// `openssl cms -sign -binary`: a detached DER signature `out` of
    /// `content.bin` by `signer`, carrying the certificate `certfile`;
    /// `extra` adds options. Returns the signature.
    pub fn cms_sign_file(
        &self,
        signer: &str,
        certfile: &str,
        out: &str,
        extra: &[&str],
    ) -> Vec<u8> {
        let (cert, key) = (format!("{signer}.pem"), format!("{signer}.key"));
        let mut args = vec![
            "cms",
            "-sign",
            "-binary",
            "-in",
            "content.bin",
            "-outform",
            "DER",
            "-out",
            out,
            "-signer",
            &cert,
            "-inkey",
            &key,
            "-certfile",
            certfile,
        ];
        args.extend_from_slice(extra);
        self.run(&args);
        std::fs::read(self.path(out)).unwrap()
    }
}

/// Writes `root/rel`, making its parent directories; returns its path.
pub fn write(root: &Path, rel: &str, data: &[u8]) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, data).unwrap();
    p
}

/// Reading options that also open archives nested in the release.
pub fn nested() -> ReadOptions {
    ReadOptions {
        expand_nested: true,
        ..Default::default()
    }
}

/// The entry path `a!b!c`: `b` inside the archive `a`, `c` inside `b`.
pub fn path(s: &str) -> EntryPath {
    let mut parts = s.split('!');
    let mut p = EntryPath::top(RawPath::from(parts.next().unwrap()));
    for part in parts {
        p = p.child(RawPath::from(part));
    }
    p
}

/// The SHA-256 glassbox recorded for the file entry `p` (see [`path`]).
pub fn sha(r: &Release, p: &str) -> Sha256Digest {
    r.entry(&path(p))
        .unwrap_or_else(|| panic!("no entry {p} in {:?}", r.entries))
        .digests
        .unwrap()
        .sha256
}

/// The CRC-32 a zip header carries for `data`.
pub fn crc(data: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(data);
    c.sum()
}

/// Raw deflate (zip method 8) of `data`.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// gzip of `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Writes `toml` as `dir/policy.toml` and loads it (relative paths in it
/// resolve against `dir`); the policy must load.
pub fn load_policy(dir: &Path, toml: &str) -> glassbox_core::policy::TrustPolicy {
    let p = dir.join("policy.toml");
    std::fs::write(&p, toml).unwrap();
    glassbox_core::policy::TrustPolicy::load(&p).unwrap_or_else(|e| panic!("{e}"))
}

/// A file of the demo vendor, `testdata/demo/<rel>`.
pub fn demo(rel: impl AsRef<Path>) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/demo")
        .join(rel)
}

/// `openssl genpkey ALGORITHM_ARGS -out KEY` then `openssl pkey -pubout`
/// into `PUB`, in `dir`.
pub fn openssl_key_pair(dir: &Path, key: &str, public: &str, algorithm: &[&str]) {
    let mut args = vec!["genpkey"];
    args.extend_from_slice(algorithm);
    args.extend_from_slice(&["-out", key]);
    openssl(dir, &args);
    openssl(dir, &["pkey", "-in", key, "-pubout", "-out", public]);
}

/// `openssl pkeyutl -sign -rawin` (Ed25519 over the whole message) of
/// `input` with `key`, into `out`, in `dir`.
pub fn openssl_sign_raw(dir: &Path, key: &str, input: &str, out: &str) {
    openssl(
        dir,
        &[
            "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", input, "-out", out,
        ],
    );
}

/// One zip member as written (APPNOTE 6.3.10 §4.3.7 local header, §4.3.12
/// central header), every field of which a test can bend.
#[derive(Clone)]
pub struct ZipMember {
    pub name: Vec<u8>,
    /// Name written in the local header instead of `name`.
    pub local_name: Option<Vec<u8>>,
    pub flags: u16,
    /// 0 stored, 8 deflated.
    pub method: u16,
    /// The bytes stored after the local header (compressed by `method`).
    pub raw: Vec<u8>,
    pub crc: u32,
    /// The uncompressed size.
    pub size: u32,
    /// When set, the local header's CRC and sizes are zero and these bytes
    /// (a data descriptor, §4.3.9) follow `raw`.
    pub descriptor: Option<Vec<u8>>,
    /// The local header's extra field.
    pub extra: Vec<u8>,
    /// The central header's extra field.
    pub cd_extra: Vec<u8>,
    /// MS-DOS time (low half) and date (high half).
    pub dos_time: u32,
    pub made_by: u16,
    pub attrs: u32,
    /// Written as a local entry but left out of the central directory.
    pub listed: bool,
    /// Central-directory offset pointing elsewhere than the entry.
    pub offset: Option<u32>,
}

impl ZipMember {
    /// `data` stored (method 0) as a Unix regular file, mode 0644.
    pub fn stored(name: &str, data: &[u8]) -> Self {
        ZipMember {
            name: name.as_bytes().to_vec(),
            local_name: None,
            flags: 0,
            method: 0,
            raw: data.to_vec(),
            crc: crc(data),
            size: data.len() as u32,
            descriptor: None,
            extra: Vec::new(),
            cd_extra: Vec::new(),
            // 1980-01-01 00:00, the earliest DOS date.
            dos_time: 0x0021_0000,
            made_by: 3 << 8 | 20,
            attrs: 0o100644 << 16,
            listed: true,
            offset: None,
        }
    }

    /// `data` deflated (method 8).
    pub fn deflated(name: &str, data: &[u8]) -> Self {
        ZipMember {
            method: 8,
            raw: deflate(data),
            ..ZipMember::stored(name, data)
        }
    }
}

fn le(out: &mut Vec<u8>, fields16: &[u16], fields32: &[u32]) {
    for v in fields16 {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in fields32 {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// A zip of `members` after `prefix` (offsets count from the file start),
/// its end record counting the listed members.
pub fn zip_bytes(prefix: &[u8], members: &[ZipMember]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    let mut cd = Vec::new();
    let mut listed = 0u16;
    for m in members {
        let at = out.len() as u32;
        let lname = m.local_name.as_ref().unwrap_or(&m.name);
        let csize = m.raw.len() as u32;
        let sizes = [m.crc, csize, m.size];
        out.extend_from_slice(b"PK\x03\x04");
        le(&mut out, &[20, m.flags, m.method], &[m.dos_time]);
        le(
            &mut out,
            &[],
            if m.descriptor.is_some() {
                &[0; 3]
            } else {
                &sizes
            },
        );
        le(&mut out, &[lname.len() as u16, m.extra.len() as u16], &[]);
        out.extend_from_slice(lname);
        out.extend_from_slice(&m.extra);
        out.extend_from_slice(&m.raw);
        if let Some(d) = &m.descriptor {
            out.extend_from_slice(d);
        }
        if !m.listed {
            continue;
        }
        listed += 1;
        cd.extend_from_slice(b"PK\x01\x02");
        le(
            &mut cd,
            &[m.made_by, 20, m.flags, m.method, 0, 0x21],
            &sizes,
        );
        // name, extra and comment lengths, disk, internal attributes
        le(
            &mut cd,
            &[m.name.len() as u16, m.cd_extra.len() as u16, 0, 0, 0],
            &[],
        );
        le(&mut cd, &[], &[m.attrs, m.offset.unwrap_or(at)]);
        cd.extend_from_slice(&m.name);
        cd.extend_from_slice(&m.cd_extra);
    }
    let cd_at = out.len() as u32;
    out.extend_from_slice(&cd);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    le(&mut out, &[listed, listed], &[cd.len() as u32, cd_at]);
    le(&mut out, &[0], &[]);
    out
}
