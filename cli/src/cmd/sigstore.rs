//! `glassbox sigstore`: Sigstore bundles, including the sigstore-conformance
//! client entry point (`glassbox sigstore verify-bundle ...`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use glassbox_core::digest::Sha256Digest;
use glassbox_core::keys::PublicKey;
use glassbox_core::sig::sigstore::{self, Artifact, SignerRule, SigstoreError, SigstoreTrust};

use crate::render::{Format, TEXT_JSON};
use crate::ui::{Outcome, Ui};

/// Sigstore bundles: verify offline against a trusted root.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    VerifyBundle(VerifyBundle),
}

const EXAMPLES: &str = "\
Examples:
  glassbox sigstore verify-bundle --bundle a.txt.sigstore.json \\
      --certificate-identity https://github.com/o/r/.github/workflows/rel.yml@refs/tags/v1 \\
      --certificate-oidc-issuer https://token.actions.githubusercontent.com a.txt
  glassbox sigstore verify-bundle --bundle b.json --key vendor.pub \\
      --trusted-root trusted_root.json sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03

FILE_OR_DIGEST is a path, or `sha256:` + 64 hex digits when no such file
exists (sigstore-conformance CLI protocol). Nothing is fetched: the trust
comes from --trusted-root, or the compiled-in public-good (or --staging)
root snapshot.
Exit codes: 0 verified, 1 not verified (with the reason), 2 usage or input error.";

/// Verify a Sigstore bundle (v0.1-v0.3; message signature or DSSE; keyless
/// or managed key; Rekor v1/v2; RFC 3161 timestamps) for an artifact, offline.
/// Follows the sigstore-conformance client CLI protocol.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
struct VerifyBundle {
    /// Use the Sigstore staging trust root (compiled-in snapshot); an
    /// explicit --trusted-root takes precedence.
    #[arg(long)]
    staging: bool,

    /// The Sigstore bundle (JSON).
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,

    /// Expected certificate identity (SAN), exactly.
    #[arg(long, value_name = "IDENTITY", requires = "certificate_oidc_issuer")]
    certificate_identity: Option<String>,

    /// Expected certificate identity as a regular expression (whole SAN must match).
    #[arg(
        long,
        value_name = "REGEX",
        conflicts_with = "certificate_identity",
        requires = "certificate_oidc_issuer"
    )]
    certificate_identity_regexp: Option<String>,

    /// Expected OIDC issuer of the signing certificate, exactly.
    #[arg(long, value_name = "URL")]
    certificate_oidc_issuer: Option<String>,

    /// Managed-key bundle: the signer's public key (PEM or DER SPKI).
    #[arg(long, value_name = "PEM", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer"])]
    key: Option<PathBuf>,

    /// trusted_root.json to verify against (default: public-good production snapshot).
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,

    /// Output format.
    #[arg(long, default_value_t = Format::Text, value_parser = TEXT_JSON)]
    format: Format,

    /// The artifact's path, or sha256:HEX.
    #[arg(value_name = "FILE_OR_DIGEST")]
    artifact: String,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    match args.command {
        Command::VerifyBundle(a) => verify_bundle(a, ui),
    }
}

/// Files we read whole: bundles and trust roots are small; artifacts up to
/// this size are read into memory (Ed25519 message signatures need the
/// bytes), larger ones are streamed.
const MAX_IN_MEMORY_ARTIFACT: u64 = 256 << 20;

fn verify_bundle(args: VerifyBundle, ui: &Ui) -> anyhow::Result<Outcome> {
    let rule = signer_rule(&args)?;
    let trust = match (&args.trusted_root, args.staging) {
        (Some(path), _) => SigstoreTrust::from_json(&read_small(path, "trusted root")?)
            .with_context(|| path.display().to_string())?,
        (None, true) => SigstoreTrust::staging()?,
        (None, false) => SigstoreTrust::production()?,
    };
    let bundle = read_small(&args.bundle, "bundle")?;
    let target = ArtifactArg::parse(&args.artifact);
    let result = match &target {
        ArtifactArg::Digest(d) => {
            sigstore::verify_bundle(&bundle, Artifact::Digest(*d), &rule, &trust)
        }
        ArtifactArg::Path(p) => {
            let meta = std::fs::metadata(p)
                .with_context(|| format!("{}: cannot read artifact", p.display()))?;
            if meta.len() <= MAX_IN_MEMORY_ARTIFACT {
                let bytes = std::fs::read(p)
                    .with_context(|| format!("{}: cannot read artifact", p.display()))?;
                sigstore::verify_bundle(&bundle, Artifact::Bytes(&bytes), &rule, &trust)
            } else {
                let mut file = std::fs::File::open(p)
                    .with_context(|| format!("{}: cannot read artifact", p.display()))?;
                sigstore::verify_bundle(&bundle, Artifact::Reader(&mut file), &rule, &trust)
            }
        }
    };
    let artifact_name = match &target {
        ArtifactArg::Digest(d) => format!("sha256:{}", d.to_hex()),
        ArtifactArg::Path(p) => p.display().to_string(),
    };
    let bundle_name = args.bundle.display().to_string();
    match result {
        Ok(v) => {
            crate::render::sigstore::verified(&v, &bundle_name, &artifact_name, args.format, ui)?;
            Ok(Outcome::Ok)
        }
        Err(SigstoreError::Artifact(why)) => {
            anyhow::bail!("{artifact_name}: cannot read artifact: {why}")
        }
        Err(e) => {
            crate::render::sigstore::failed(&e, &bundle_name, &artifact_name, args.format, ui)?;
            Ok(Outcome::Failed)
        }
    }
}

fn signer_rule(args: &VerifyBundle) -> anyhow::Result<SignerRule> {
    if let Some(path) = &args.key {
        let key = PublicKey::from_pem_or_der(&read_small(path, "public key")?)
            .with_context(|| format!("{}: cannot load public key", path.display()))?;
        return Ok(SignerRule::Key(key));
    }
    let Some(issuer) = &args.certificate_oidc_issuer else {
        anyhow::bail!(
            "verify-bundle: give --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer, or --key"
        );
    };
    match (
        &args.certificate_identity,
        &args.certificate_identity_regexp,
    ) {
        (Some(id), _) => Ok(SignerRule::identity(id, issuer)),
        (None, Some(re)) => Ok(SignerRule::identity_regex(re, issuer)?),
        (None, None) => anyhow::bail!(
            "verify-bundle: --certificate-oidc-issuer needs --certificate-identity or --certificate-identity-regexp"
        ),
    }
}

enum ArtifactArg {
    Path(PathBuf),
    Digest(Sha256Digest),
}

impl ArtifactArg {
    /// The conformance protocol: `sha256:` + 64 hex digits that is not an
    /// existing path is a digest; anything else is a path.
    fn parse(arg: &str) -> Self {
        if let Some(hex) = arg.strip_prefix("sha256:")
            && hex.len() == 64
            && !Path::new(arg).exists()
            && let Ok(d) = Sha256Digest::from_hex(&hex.to_ascii_lowercase())
        {
            return ArtifactArg::Digest(d);
        }
        ArtifactArg::Path(PathBuf::from(arg))
    }
}

fn read_small(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let limit = sigstore::MAX_BUNDLE_BYTES.max(sigstore::MAX_TRUSTED_ROOT_BYTES) as u64;
    let file = std::fs::File::open(path)
        .with_context(|| format!("{}: cannot open {what}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: cannot read {what}", path.display()))?;
    if bytes.len() as u64 > limit {
        anyhow::bail!("{}: {what} larger than {limit} bytes", path.display());
    }
    Ok(bytes)
}
