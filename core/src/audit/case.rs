//! The audit case file (`audit.toml`): who audits what, with which inputs.
//!
//! Paths in the file are relative to the file's own directory, so a case
//! and its material can be moved together. Unknown keys are errors: a
//! misspelt `[rebuild]` must not silently drop a check from an audit.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::report::{Auditor, Case, Check};

/// Largest case file read.
pub const MAX_CASE_BYTES: u64 = 1 << 20;

/// Why a case file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The case file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Larger than [`MAX_CASE_BYTES`].
    #[error("{path}: larger than {MAX_CASE_BYTES} bytes, not a case file")]
    TooLarge {
        /// The case file.
        path: PathBuf,
    },
    /// Not valid TOML, or not the case file layout.
    #[error("{path}: {message}")]
    Syntax {
        /// The case file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A required value is empty.
    #[error("{path}: `{key}` must not be empty")]
    Empty {
        /// The case file.
        path: PathBuf,
        /// The key.
        key: &'static str,
    },
    /// A named input does not exist.
    #[error("{path}: `{key}` names {target}, which does not exist")]
    Missing {
        /// The case file.
        path: PathBuf,
        /// The key naming it.
        key: &'static str,
        /// The path as resolved.
        target: PathBuf,
    },
    /// `[log] dir` names a URL. The audit appends its signed report to the
    /// log, which takes the log's directory and signing key; a served log
    /// (`glassbox log serve`, any web server) is read-only by design.
    #[error(
        "{path}: `log.dir` is the URL {url}: the audit appends its report to the log, which needs the log's directory and signing key (a served log is read-only); give the directory the log is served from"
    )]
    LogUrl {
        /// The case file.
        path: PathBuf,
        /// The URL as written.
        url: String,
    },
}

/// The case file as written (see README, "glassbox audit").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    vendor: String,
    product: String,
    #[serde(default)]
    output: Option<String>,
    auditor: AuditorFile,
    release: ReleaseFile,
    #[serde(default)]
    previous: Option<ReleaseFile>,
    #[serde(default)]
    verify: Option<VerifyFile>,
    #[serde(default)]
    rebuild: Option<RebuildFile>,
    #[serde(default)]
    tuf: Option<TufFile>,
    #[serde(default)]
    log: Option<LogFile>,
    #[serde(default)]
    require: Option<RequireFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequireFile {
    checks: Vec<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TufFile {
    repo: String,
    root: String,
    #[serde(default)]
    state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyFile {
    policy: String,
    #[serde(default)]
    apt_release: Option<String>,
    #[serde(default)]
    apt_release_gpg: Option<String>,
    #[serde(default)]
    apt_indexes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RebuildFile {
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogFile {
    dir: String,
    key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditorFile {
    name: String,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    email: Option<String>,
    key: String,
    #[serde(default)]
    certificate: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseFile {
    path: String,
    version: String,
}

/// An input named by the case file, resolved against its directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CasePath {
    /// As written in the case file (`/`-separated, relative).
    pub written: String,
    /// Resolved against the case file's directory.
    pub resolved: PathBuf,
}

/// A release named by the case file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRelease {
    /// Where it is.
    pub path: CasePath,
    /// Its version.
    pub version: String,
}

/// A loaded, checked audit case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCase {
    /// The case file itself.
    pub file: PathBuf,
    /// Who audits what (recorded in the report).
    pub case: Case,
    /// The release under audit.
    pub release: CaseRelease,
    /// The earlier release it is compared with, if any (signer continuity).
    pub previous: Option<CaseRelease>,
    /// The trust policy signatures are verified against, if any (verify
    /// check).
    pub policy: Option<CasePath>,
    /// The apt channel the release's `.deb`s come through, if any (verify
    /// check: each `.deb` of the release is checked against it).
    pub apt: Option<CaseApt>,
    /// The auditor's independent rebuild of it, if any (repro check).
    pub rebuild: Option<CasePath>,
    /// The vendor's TUF repository, if any (tuf check).
    pub tuf: Option<CaseTuf>,
    /// Where reports go (default `audit-reports` next to the case file).
    pub output: PathBuf,
    /// The auditor's signing key (PKCS#8, from `glassbox keygen`).
    pub key: CasePath,
    /// The auditor's X.509 certificate chain for `key` (PEM or DER bundle,
    /// leaf first), if any: embedded in the signed report.
    pub certificate: Option<CasePath>,
    /// The transparency log the signed report and the audited files are
    /// appended to, if any.
    pub log: Option<CaseLog>,
    /// Checks that must run (`[require] checks`): one the case does not
    /// configure fails the audit with a high finding instead of passing
    /// with "not checked".
    pub require: Vec<Check>,
}

/// A TUF repository named by the case file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseTuf {
    /// The repository copy: `metadata/` and `targets/`.
    pub repo: CasePath,
    /// The trust anchor: a root metadata file the auditor trusts.
    pub root: CasePath,
    /// Trusted-state directory kept between audits (rollback detection);
    /// created when absent.
    pub state: Option<PathBuf>,
}

/// An apt channel named by the case file (`[verify] apt_release`,
/// `apt_release_gpg`, `apt_indexes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseApt {
    /// InRelease, or Release with `release_gpg`.
    pub release: CasePath,
    /// Release.gpg, when the signatures are detached.
    pub release_gpg: Option<CasePath>,
    /// The index files (Packages, Sources; plain, .gz, .xz).
    pub indexes: Vec<CasePath>,
}

/// A transparency log named by the case file (`glassbox log init`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseLog {
    /// The log directory.
    pub dir: CasePath,
    /// The log's signing key (PKCS#8 Ed25519).
    pub key: CasePath,
}

impl AuditCase {
    /// Reads and checks the case file at `path`: layout, non-empty names,
    /// and that every named input exists.
    pub fn load(path: &Path) -> Result<AuditCase, CaseError> {
        let read_err = |source| CaseError::Read {
            path: path.to_path_buf(),
            source,
        };
        let bytes = crate::fsio::read_file_capped(path, MAX_CASE_BYTES).map_err(|e| match e {
            crate::fsio::ReadFileError::TooLarge { .. } => CaseError::TooLarge {
                path: path.to_path_buf(),
            },
            crate::fsio::ReadFileError::Io { source, .. } => read_err(source),
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            read_err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))
        })?;
        Self::parse(path, &text)
    }

    /// Parses `text` as the case file at `path` (paths resolve against
    /// `path`'s directory) and checks it like [`AuditCase::load`].
    pub fn parse(path: &Path, text: &str) -> Result<AuditCase, CaseError> {
        let raw: CaseFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            CaseError::Syntax {
                path: path.to_path_buf(),
                message: match line {
                    Some(n) => format!("line {n}: {}", e.message().trim_end()),
                    None => e.message().trim_end().to_string(),
                },
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let non_empty = |key: &'static str, v: &str| {
            if v.trim().is_empty() {
                Err(CaseError::Empty {
                    path: path.to_path_buf(),
                    key,
                })
            } else {
                Ok(())
            }
        };
        non_empty("vendor", &raw.vendor)?;
        non_empty("product", &raw.product)?;
        non_empty("auditor.name", &raw.auditor.name)?;
        non_empty("release.path", &raw.release.path)?;
        non_empty("release.version", &raw.release.version)?;
        non_empty("auditor.key", &raw.auditor.key)?;
        let existing = |key: &'static str, written: &str| {
            let resolved = base.join(written);
            if resolved.exists() {
                Ok(CasePath {
                    written: written.to_string(),
                    resolved,
                })
            } else {
                Err(CaseError::Missing {
                    path: path.to_path_buf(),
                    key,
                    target: resolved,
                })
            }
        };
        let release = CaseRelease {
            path: existing("release.path", &raw.release.path)?,
            version: raw.release.version.clone(),
        };
        let key = existing("auditor.key", &raw.auditor.key)?;
        let certificate = match &raw.auditor.certificate {
            Some(c) => {
                non_empty("auditor.certificate", c)?;
                Some(existing("auditor.certificate", c)?)
            }
            None => None,
        };
        let previous = match &raw.previous {
            Some(p) => {
                non_empty("previous.version", &p.version)?;
                Some(CaseRelease {
                    path: existing("previous.path", &p.path)?,
                    version: p.version.clone(),
                })
            }
            None => None,
        };
        let policy = match &raw.verify {
            Some(v) => Some(existing("verify.policy", &v.policy)?),
            None => None,
        };
        let apt = match raw
            .verify
            .as_ref()
            .and_then(|v| v.apt_release.as_ref().map(|r| (v, r)))
        {
            Some((v, r)) => Some(CaseApt {
                release: existing("verify.apt_release", r)?,
                release_gpg: match &v.apt_release_gpg {
                    Some(g) => Some(existing("verify.apt_release_gpg", g)?),
                    None => None,
                },
                indexes: v
                    .apt_indexes
                    .iter()
                    .map(|i| existing("verify.apt_indexes", i))
                    .collect::<Result<_, _>>()?,
            }),
            // Indexes or Release.gpg without the Release they hang from
            // would be silently unused: refuse the case instead.
            None if raw
                .verify
                .as_ref()
                .is_some_and(|v| v.apt_release_gpg.is_some() || !v.apt_indexes.is_empty()) =>
            {
                return Err(CaseError::Empty {
                    path: path.to_path_buf(),
                    key: "verify.apt_release",
                });
            }
            None => None,
        };
        let rebuild = match &raw.rebuild {
            Some(r) => Some(existing("rebuild.path", &r.path)?),
            None => None,
        };
        let tuf = match &raw.tuf {
            Some(t) => Some(CaseTuf {
                repo: existing("tuf.repo", &t.repo)?,
                root: existing("tuf.root", &t.root)?,
                state: t.state.as_ref().map(|s| base.join(s)),
            }),
            None => None,
        };
        let log = match &raw.log {
            Some(l) if l.dir.contains("://") => {
                return Err(CaseError::LogUrl {
                    path: path.to_path_buf(),
                    url: l.dir.clone(),
                });
            }
            Some(l) => Some(CaseLog {
                dir: existing("log.dir", &l.dir)?,
                key: existing("log.key", &l.key)?,
            }),
            None => None,
        };
        Ok(AuditCase {
            require: raw.require.map(|r| r.checks).unwrap_or_default(),
            file: path.to_path_buf(),
            key,
            certificate,
            log,
            case: Case {
                auditor: Auditor {
                    name: raw.auditor.name,
                    organization: raw.auditor.organization,
                    email: raw.auditor.email,
                    // Filled from `certificate` by whoever reads the chain
                    // (chain::auditor_chain), after checking it.
                    key_id: None,
                    certificates: vec![],
                },
                vendor: raw.vendor,
                product: raw.product,
                version: raw.release.version,
            },
            release,
            previous,
            policy,
            apt,
            rebuild,
            tuf,
            output: base.join(raw.output.as_deref().unwrap_or("audit-reports")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("rel")).unwrap();
        std::fs::write(d.path().join("k.key"), b"").unwrap();
        d
    }

    const GOOD: &str = r#"
vendor = "V"
product = "P"
[auditor]
name = "A"
key = "k.key"
[release]
path = "rel"
version = "1.0"
"#;

    #[test]
    fn a_served_log_url_is_refused_with_what_to_give_instead() {
        let d = dir();
        let case = format!("{GOOD}[log]\ndir = \"http://127.0.0.1:8080/\"\nkey = \"k.key\"\n");
        let err = AuditCase::parse(&d.path().join("audit.toml"), &case).unwrap_err();
        assert!(matches!(err, CaseError::LogUrl { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("http://127.0.0.1:8080/"), "{msg}");
        assert!(msg.contains("give the directory"), "{msg}");
    }

    #[test]
    fn paths_resolve_against_the_case_file() {
        let d = dir();
        let c = AuditCase::parse(&d.path().join("audit.toml"), GOOD).unwrap();
        assert_eq!(c.release.path.resolved, d.path().join("rel"));
        assert_eq!(c.release.path.written, "rel");
        assert_eq!(c.output, d.path().join("audit-reports"));
        assert_eq!(c.case.version, "1.0");
    }

    #[test]
    fn unknown_keys_missing_inputs_and_empty_names_are_errors() {
        let d = dir();
        let p = d.path().join("audit.toml");
        let typo = GOOD.replace("[release]", "[release]\nsignature = \"x\"");
        match AuditCase::parse(&p, &typo) {
            Err(CaseError::Syntax { message, .. }) => assert!(message.contains("signature")),
            other => panic!("{other:?}"),
        }
        let missing = GOOD.replace("path = \"rel\"", "path = \"nope\"");
        assert!(matches!(
            AuditCase::parse(&p, &missing),
            Err(CaseError::Missing {
                key: "release.path",
                ..
            })
        ));
        let empty = GOOD.replace("name = \"A\"", "name = \" \"");
        assert!(matches!(
            AuditCase::parse(&p, &empty),
            Err(CaseError::Empty {
                key: "auditor.name",
                ..
            })
        ));
    }
}
