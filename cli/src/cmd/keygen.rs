//! `glassbox keygen`: make the auditor's signing key pair.

use std::path::PathBuf;

use anyhow::Context as _;
use glassbox_core::keys::{SigningAlgorithm, SigningKey};

use crate::render::{Format, TEXT_JSON};
use crate::ui::{Outcome, Ui, write_atomic, write_atomic_mode};

const EXAMPLES: &str = "\
Examples:
  glassbox keygen --out auditor.key
  glassbox keygen --out auditor-p256.key --algorithm p256 --format json

Writes KEYFILE (PKCS#8 PEM \"PRIVATE KEY\", mode 0600) and KEYFILE.pub
(PEM SubjectPublicKeyInfo \"PUBLIC KEY\"). The key id printed is the
SHA-256 of the public key's DER SubjectPublicKeyInfo, in hex.";

/// Generate the auditor's signing key pair (Ed25519 or ECDSA P-256) for
/// signing reports and attestations.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Private key file to write; the public key goes to KEYFILE.pub.
    #[arg(long, value_name = "KEYFILE")]
    out: PathBuf,

    /// Key algorithm.
    #[arg(long, value_enum, default_value_t = Algorithm::Ed25519)]
    algorithm: Algorithm,

    /// Replace existing files.
    #[arg(long)]
    force: bool,

    /// Output format.
    #[arg(long, default_value_t = Format::Text, value_parser = TEXT_JSON)]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Algorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// ECDSA on NIST P-256 with SHA-256.
    P256,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    let mut pub_path = args.out.clone().into_os_string();
    pub_path.push(".pub");
    let pub_path = PathBuf::from(pub_path);
    for p in [&args.out, &pub_path] {
        if !args.force && p.exists() {
            anyhow::bail!("{}: already exists (use --force to overwrite)", p.display());
        }
    }
    let algorithm = match args.algorithm {
        Algorithm::Ed25519 => SigningAlgorithm::Ed25519,
        Algorithm::P256 => SigningAlgorithm::EcdsaP256,
    };
    let generated = SigningKey::generate(algorithm).context("key generation")?;
    write_atomic_mode(
        &args.out,
        generated.private_pem.as_bytes(),
        args.force,
        glassbox_core::fsio::PRIVATE_KEY_MODE,
    )?;
    let public_pem = generated.key.public_key().to_pem();
    write_atomic(&pub_path, public_pem.as_bytes(), args.force)?;
    let key_id = generated.key.key_id();
    let alg_name = generated.key.public_key().algorithm().to_string();
    let text = match args.format {
        Format::Json => {
            serde_json::to_string(&crate::render::KeygenJson {
                algorithm: &alg_name,
                key_id: &key_id,
                private_key: args.out.display().to_string(),
                public_key: pub_path.display().to_string(),
            })? + "\n"
        }
        _ => format!(
            "{} key {key_id}\n  private key  {} (mode 0600)\n  public key   {}\n",
            ui.good(&alg_name),
            args.out.display(),
            pub_path.display()
        ),
    };
    crate::render::stdout(&text)?;
    Ok(Outcome::Ok)
}
