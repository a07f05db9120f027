//! `glassbox tuf`: verify a TUF update repository as a client would, and
//! the tuf-conformance client-under-test protocol.

use std::path::{Path, PathBuf};

use anyhow::Context;
use glassbox_core::tuf::{
    self, Client, DirSource, HttpSource, Options, Source, StateDir, TargetSelection,
    metadata::TargetFile,
};

use crate::render::{Format, TEXT_JSON};
use crate::ui::{Outcome, Ui};

const EXAMPLES: &str = "\
Examples:
  # Verify metadata and every target of a local copy, keeping trusted state
  # so the next audit detects rollback:
  glassbox tuf verify --root initial_root.json --repo ./vendor-repo \\
      --state ./state/vendor --targets all

  # Verify at the time of an earlier snapshot, one target, JSON output:
  glassbox tuf verify --root root.json --repo http://127.0.0.1:8000 \\
      --at 2025-02-09T12:02:08Z --targets trusted_root.json --format json

  # tuf-conformance client protocol:
  glassbox tuf client --metadata-dir md init initial_root.json
  glassbox tuf client --metadata-dir md --metadata-url http://127.0.0.1:8000/metadata refresh
  glassbox tuf client --metadata-dir md --metadata-url http://127.0.0.1:8000/metadata \\
      --target-name a/b.txt --target-base-url http://127.0.0.1:8000/targets \\
      --target-dir out download

Exit codes: 0 verified, 1 verification failed, 2 usage or input error
(`tuf client` uses 1 for every failure, as the conformance protocol requires).";

/// Verify a TUF update repository: root rotation chain, thresholds, expiry,
/// version and hash consistency, rollback against earlier audits, targets.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Subcommand)]
enum Cmd {
    Verify(VerifyArgs),
    Client(ClientArgs),
}

/// Verify a repository (a directory with metadata/ and targets/, or an
/// http:// base URL with the same layout) from an initial trusted root.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
struct VerifyArgs {
    /// Initial trusted root (trust anchor), used when the state has none.
    #[arg(long, value_name = "INITIAL_ROOT")]
    root: PathBuf,
    /// Repository directory or http:// URL (metadata/ and targets/ below it).
    #[arg(long, value_name = "DIR_OR_URL")]
    repo: String,
    /// Trusted-state directory for this repository: read at the start,
    /// updated after each verified role (rollback protection across audits).
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// Reference time for expiry (RFC 3339); default now.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Targets to download and check: `all`, or target paths.
    #[arg(long, num_args = 1.., value_name = "all|NAME")]
    targets: Vec<String>,
    /// Accept keyids that are not sha256 of their key (TAP 12), reporting
    /// each as a finding instead of failing.
    #[arg(long)]
    allow_keyid_mismatch: bool,
    /// Output format.
    #[arg(long, default_value_t = Format::Text, value_parser = TEXT_JSON)]
    format: Format,
}

/// The tuf-conformance client-under-test protocol (init, refresh,
/// download); exit 0 on success, 1 on any failure.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
struct ClientArgs {
    /// Where trusted metadata is kept (root.json, timestamp.json, ...).
    #[arg(long, value_name = "DIR")]
    metadata_dir: PathBuf,
    /// Base URL of the repository metadata.
    #[arg(long, value_name = "URL")]
    metadata_url: Option<String>,
    /// Target path to download (repeatable).
    #[arg(long, value_name = "TARGET_PATH")]
    target_name: Vec<String>,
    /// Base URL of the repository targets.
    #[arg(long, value_name = "URL")]
    target_base_url: Option<String>,
    /// Where verified targets are written.
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    #[command(subcommand)]
    op: ClientOp,
}

#[derive(clap::Subcommand)]
enum ClientOp {
    /// Trust TRUSTED_ROOT as the initial root (no network access).
    Init {
        /// The initial root.json.
        trusted_root: PathBuf,
    },
    /// Update trusted metadata from --metadata-url.
    Refresh,
    /// Refresh, then download and verify each --target-name.
    Download,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    match args.cmd {
        Cmd::Verify(a) => verify(a, ui),
        Cmd::Client(a) => match client(a) {
            Ok(()) => Ok(Outcome::Ok),
            Err(e) => {
                ui.error(&e);
                Ok(Outcome::Failed)
            }
        },
    }
}

fn source_for(repo: &str) -> anyhow::Result<Box<dyn Source>> {
    if repo.starts_with("http://") || repo.starts_with("https://") {
        let base = repo.trim_end_matches('/');
        let src = HttpSource::new(&format!("{base}/metadata/"), &format!("{base}/targets/"))
            .with_context(|| format!("--repo {repo}"))?;
        Ok(Box::new(src))
    } else {
        let dir = Path::new(repo);
        if !dir.join("metadata").is_dir() {
            anyhow::bail!("--repo {repo}: no metadata/ directory there");
        }
        Ok(Box::new(DirSource::new(dir)))
    }
}

fn verify(a: VerifyArgs, ui: &Ui) -> anyhow::Result<Outcome> {
    let root = std::fs::read(&a.root).with_context(|| format!("{}", a.root.display()))?;
    let source = source_for(&a.repo)?;
    let mut opts = match &a.at {
        Some(t) => Options::at(
            tuf::parse_time(t).with_context(|| format!("--at {t:?}: not an RFC 3339 time"))?,
        ),
        None => Options::now(),
    };
    opts.state_dir = a.state.clone();
    opts.strict_keyids = !a.allow_keyid_mismatch;
    opts.targets = match a.targets.as_slice() {
        [] => TargetSelection::None,
        [one] if one == "all" => TargetSelection::All,
        names => TargetSelection::Names(names.to_vec()),
    };
    let spinner = ui.spinner("verifying TUF metadata");
    let report = tuf::verify_repository(&root, source.as_ref(), &opts)
        .with_context(|| format!("{}: unusable trust anchor or state", a.root.display()))?;
    spinner.finish_and_clear();
    crate::render::tuf::repository(&report, a.format, ui)?;
    Ok(Outcome::from_ok(report.verified()))
}

/// The conformance protocol. Metadata in `--metadata-dir` uses
/// non-versioned names; targets are stored under their percent-encoded
/// target path, and re-used when they still match the trusted hashes.
fn client(a: ClientArgs) -> anyhow::Result<()> {
    match &a.op {
        ClientOp::Init { trusted_root } => {
            let bytes = std::fs::read(trusted_root)
                .with_context(|| format!("{}", trusted_root.display()))?;
            let env = tuf::metadata::Envelope::parse(&bytes)
                .with_context(|| format!("{}: not TUF metadata", trusted_root.display()))?;
            tuf::metadata::Root::parse(&env.signed)
                .with_context(|| format!("{}: not a root", trusted_root.display()))?;
            let state = StateDir::open(&a.metadata_dir)?;
            state.store("root", &bytes)?;
            Ok(())
        }
        ClientOp::Refresh => {
            let (src, state, opts) = client_setup(&a)?;
            let mut c = Client::new(&[], &src, Some(state), &opts)?;
            c.refresh()?;
            Ok(())
        }
        ClientOp::Download => {
            let (src, state, opts) = client_setup(&a)?;
            let dir = a
                .target_dir
                .as_ref()
                .context("download needs --target-dir")?;
            if a.target_name.is_empty() {
                anyhow::bail!("download needs --target-name");
            }
            std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
            let mut c = Client::new(&[], &src, Some(state), &opts)?;
            c.refresh()?;
            for name in &a.target_name {
                let (tf, _role) = c.target_info(name)?;
                let path = dir.join(StateDir::encode_name(name));
                if cached(&path, name, &tf) {
                    continue;
                }
                let bytes = c.fetch_target(name, &tf)?;
                tuf::state::write_atomic(&path, &bytes)?;
            }
            Ok(())
        }
    }
}

fn client_setup(a: &ClientArgs) -> anyhow::Result<(HttpSource, StateDir, Options)> {
    let md = a
        .metadata_url
        .as_deref()
        .context("--metadata-url is required")?;
    let tg = a.target_base_url.as_deref().unwrap_or(md);
    let src = HttpSource::new(md, tg)?;
    if !a.metadata_dir.join("root.json").is_file() {
        anyhow::bail!(
            "{}: no trusted root.json (run `init` first)",
            a.metadata_dir.display()
        );
    }
    let state = StateDir::open(&a.metadata_dir)?;
    let mut opts = Options::now();
    // The conformance suite expects TAP 12 keyids to be accepted (e.g. a
    // key given a `keyid_hash_algorithms` field after its keyid was set).
    opts.strict_keyids = false;
    opts.reuse_local_metadata = true;
    Ok((src, state, opts))
}

/// A previously downloaded target that still matches its trusted entry.
fn cached(path: &Path, name: &str, tf: &TargetFile) -> bool {
    // Read at most the trusted length (plus one byte to notice growth).
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut bytes = Vec::new();
    use std::io::Read;
    if f.take(tf.length.saturating_add(1))
        .read_to_end(&mut bytes)
        .is_err()
    {
        return false;
    }
    tuf::client::check_target(name, &bytes, tf).is_ok()
}
