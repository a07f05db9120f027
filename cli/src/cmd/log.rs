//! `glassbox log`: an append-only transparency log of audited releases
//! (RFC 9162 Merkle tree, C2SP checkpoints, tiles, proofs, witnesses,
//! split-view monitoring).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use glassbox_core::http;
use glassbox_core::tlog::checkpoint::{self, SignedCheckpoint};
use glassbox_core::tlog::cosignature;
use glassbox_core::tlog::key::LogSigner;
use glassbox_core::tlog::leaf::LeafRecord;
use glassbox_core::tlog::merkle;
use glassbox_core::tlog::monitor;
use glassbox_core::tlog::note::{MAX_NOTE_BYTES, VerifierKey};
use glassbox_core::tlog::proof::{MAX_PROOF_BYTES, TlogProof};
use glassbox_core::tlog::serve as serve_tiles;
use glassbox_core::tlog::storage::{CHECKPOINT_FILE, Log, VKEY_FILE};
use glassbox_core::tlog::{Error, LogSource};

use crate::render::log as render;
use crate::render::{Format, TEXT_JSON};
use crate::ui::{Outcome, Ui, write_atomic};

const EXAMPLES: &str = "\
Examples:
  glassbox log init audit-log --origin audit.example/log --key log.key
  glassbox log append audit-log release-1.1.0.tar.gz report.dsse.json
  glassbox log checkpoint audit-log
  glassbox log prove audit-log --file release-1.1.0.tar.gz --output release.tlog-proof
  glassbox log verify-proof release.tlog-proof --vkey audit-log/vkey --file release-1.1.0.tar.gz
  glassbox log consistency old.checkpoint audit-log/checkpoint --log audit-log
  glassbox log witness --log audit-log --state wstate --key w.key --name witness.example/w1 --vkey audit-log/vkey
  glassbox log monitor --vkey audit-log/vkey audit-log customer-a/ customer-b.tlog-proof
  glassbox log serve audit-log --listen 127.0.0.1:8080
  glassbox log monitor --vkey audit-log/vkey http://127.0.0.1:8080/ customer-a/";

/// Append-only transparency log of audited releases: init, append files,
/// publish checkpoints, prove inclusion, verify proofs and consistency,
/// cosign as a witness, and detect split views.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
struct FormatArg {
    /// Output format.
    #[arg(long, default_value_t = Format::Text, value_parser = TEXT_JSON)]
    format: Format,
}

#[derive(clap::Args)]
struct TimeoutArg {
    /// Seconds allowed for each fetch from an http:// log, from connecting
    /// to the last byte (a stalled server fails after this, naming the URL).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_timeout)]
    timeout: f64,
}

impl TimeoutArg {
    fn client(&self) -> http::Client {
        let total = std::time::Duration::from_secs_f64(self.timeout);
        http::Client {
            connect_timeout: total.min(std::time::Duration::from_secs(10)),
            read_timeout: total.min(std::time::Duration::from_secs(10)),
            total_timeout: total,
        }
    }
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t <= 3600.0 => Ok(t),
        _ => Err("a number of seconds in (0, 3600]".into()),
    }
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Create a log directory, publish its empty checkpoint and print its
    /// verifier key (also written to DIR/vkey).
    #[command(
        after_help = "Example:\n  glassbox log init audit-log --origin audit.example/log --key log.key"
    )]
    Init {
        /// The directory to create (absent or empty).
        dir: PathBuf,
        /// The log's origin (unique name), e.g. audit.example/log.
        #[arg(long)]
        origin: String,
        /// The log's Ed25519 private key, PKCS#8 (PEM "PRIVATE KEY" or DER).
        /// Its path is recorded in DIR/glassbox-log.json for later appends.
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        f: FormatArg,
    },
    /// Append files (as leaf records: SHA-256, size, name) and publish a
    /// new checkpoint; prints each entry's index and leaf hash.
    #[command(
        after_help = "Example:\n  glassbox log append audit-log release-1.1.0.tar.gz report.dsse.json"
    )]
    Append {
        /// The log directory.
        dir: PathBuf,
        /// Files to log.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The log's private key (default: the path recorded at init).
        #[arg(long)]
        key: Option<PathBuf>,
        #[command(flatten)]
        f: FormatArg,
    },
    /// Print the log's published checkpoint.
    #[command(after_help = "Example:\n  glassbox log checkpoint audit-log --format json")]
    Checkpoint {
        /// The log directory.
        dir: PathBuf,
        #[command(flatten)]
        f: FormatArg,
    },
    /// Write a C2SP tlog-proof of one entry against the published checkpoint.
    #[command(
        after_help = "Examples:\n  glassbox log prove audit-log --index 3 --output e3.tlog-proof\n  glassbox log prove audit-log --file release.tar.gz > release.tlog-proof"
    )]
    Prove {
        /// The log directory.
        dir: PathBuf,
        /// The entry's index.
        #[arg(long, required_unless_present = "file", conflicts_with = "file")]
        index: Option<u64>,
        /// A file whose leaf record (same SHA-256 and size) is in the log;
        /// the first such entry is proved.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Where to write the proof (default: stdout).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Overwrite --output if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        f: FormatArg,
    },
    /// Verify a tlog-proof offline: the checkpoint's signature (and witness
    /// quorum), the inclusion proof, and that the entry describes --file.
    #[command(name = "verify-proof")]
    #[command(
        after_help = "Example:\n  glassbox log verify-proof release.tlog-proof --vkey audit-log/vkey --file release.tar.gz"
    )]
    VerifyProof {
        /// The .tlog-proof file.
        proof: PathBuf,
        /// The log's verifier key: the `name+id+key` string or a file holding it.
        #[arg(long)]
        vkey: String,
        /// The file the proof should be about.
        #[arg(long)]
        file: Option<PathBuf>,
        /// A witness verifier key (string or file); repeatable.
        #[arg(long = "witness-vkey")]
        witness_vkeys: Vec<String>,
        /// Witness cosignatures required.
        #[arg(long, default_value_t = 0)]
        quorum: usize,
        #[command(flatten)]
        f: FormatArg,
    },
    /// Check that OLD_CHECKPOINT is a prefix of NEW_CHECKPOINT with a
    /// consistency proof computed from the log directory.
    #[command(
        after_help = "Example:\n  glassbox log consistency saved.checkpoint audit-log/checkpoint --log audit-log"
    )]
    Consistency {
        /// The older checkpoint (signed note).
        old: PathBuf,
        /// The newer checkpoint (signed note).
        new: PathBuf,
        /// The log the proof is computed from: a log directory, or an
        /// http:// URL serving one (`glassbox log serve`).
        #[arg(long)]
        log: String,
        /// The log's verifier key (string or file). Required for an http://
        /// log; for a directory, it must match the log's own key.
        #[arg(long)]
        vkey: Option<String>,
        #[command(flatten)]
        t: TimeoutArg,
        #[command(flatten)]
        f: FormatArg,
    },
    /// Act as a witness: verify the log's checkpoint is consistent with the
    /// one stored in --state, then cosign it (tlog-cosignature/v1), store it
    /// and print the cosigned checkpoint.
    #[command(
        after_help = "Example:\n  glassbox log witness --log audit-log --state wstate --key w.key --name witness.example/w1 --vkey audit-log/vkey"
    )]
    Witness {
        /// The log directory.
        #[arg(long)]
        log: PathBuf,
        /// The witness's state directory (last cosigned checkpoint per origin).
        #[arg(long)]
        state: PathBuf,
        /// The witness's Ed25519 private key, PKCS#8.
        #[arg(long)]
        key: PathBuf,
        /// The witness's name (its key name).
        #[arg(long)]
        name: String,
        /// The log's verifier key (string or file).
        #[arg(long)]
        vkey: String,
        /// Also write the cosigned checkpoint here.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        f: FormatArg,
    },
    /// Compare checkpoints of one log gathered from files and directories
    /// and report split views (two signed checkpoints that are not
    /// consistent), with both as evidence. Exit 1 on a split view.
    #[command(
        after_help = "Example:\n  glassbox log monitor --vkey audit-log/vkey audit-log customer-a/ customer-b.tlog-proof"
    )]
    Monitor {
        /// The log's verifier key (string or file).
        #[arg(long)]
        vkey: String,
        /// Checkpoint or tlog-proof files, directories, log directories,
        /// and logs served over http:// (their checkpoint is observed and
        /// their tiles prove consistency).
        #[arg(required = true)]
        places: Vec<PathBuf>,
        #[command(flatten)]
        t: TimeoutArg,
        #[command(flatten)]
        f: FormatArg,
    },
    /// Serve a log directory read-only over HTTP as C2SP tlog-tiles
    /// (checkpoint, tiles, entry bundles; GET and HEAD only; nothing else
    /// in the directory is reachable). Prints the URL it listens on, then
    /// serves until killed.
    #[command(after_help = "Example:\n  glassbox log serve audit-log --listen 127.0.0.1:8080")]
    Serve {
        /// The log directory.
        dir: PathBuf,
        /// Address and port to listen on; port 0 picks a free port (the
        /// URL printed says which).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Connections served at once.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: u16,
    },
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    match args.cmd {
        Cmd::Init {
            dir,
            origin,
            key,
            f,
        } => init(&dir, &origin, &key, f.format),
        Cmd::Append { dir, files, key, f } => append(&dir, &files, key.as_deref(), f.format, ui),
        Cmd::Checkpoint { dir, f } => show_checkpoint(&dir, f.format),
        Cmd::Prove {
            dir,
            index,
            file,
            output,
            force,
            f,
        } => prove(
            &dir,
            index,
            file.as_deref(),
            output.as_deref(),
            force,
            f.format,
            ui,
        ),
        Cmd::VerifyProof {
            proof,
            vkey,
            file,
            witness_vkeys,
            quorum,
            f,
        } => verify_proof(
            &proof,
            &vkey,
            file.as_deref(),
            &witness_vkeys,
            quorum,
            f.format,
            ui,
        ),
        Cmd::Consistency {
            old,
            new,
            log,
            vkey,
            t,
            f,
        } => consistency(&old, &new, &log, vkey.as_deref(), t.client(), f.format, ui),
        Cmd::Witness {
            log,
            state,
            key,
            name,
            vkey,
            output,
            f,
        } => witness(
            &log,
            &state,
            &key,
            &name,
            &vkey,
            output.as_deref(),
            f.format,
            ui,
        ),
        Cmd::Monitor { vkey, places, t, f } => {
            run_monitor(&vkey, &places, t.client(), f.format, ui)
        }
        Cmd::Serve {
            dir,
            listen,
            threads,
        } => serve(&dir, &listen, threads.into()),
    }
}

/// Verdicts (exit 1) as opposed to input errors (exit 2).
fn is_verdict(e: &Error) -> bool {
    matches!(
        e,
        Error::BadSignature { .. }
            | Error::NoKnownSignature
            | Error::NotSignedByLog { .. }
            | Error::QuorumNotMet { .. }
            | Error::InclusionFailed(_)
            | Error::ConsistencyFailed(_)
            | Error::EntryMismatch(_)
    )
}

pub(crate) fn read_limited(path: &Path, max: usize) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let f =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut buf = Vec::new();
    f.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if buf.len() > max {
        bail!("{}: larger than {max} bytes", path.display());
    }
    Ok(buf)
}

/// A verifier key given as the string itself or as a file holding it.
pub(crate) fn parse_vkey(arg: &str) -> anyhow::Result<VerifierKey> {
    if let Ok(k) = arg.parse::<VerifierKey>() {
        return Ok(k);
    }
    let path = Path::new(arg);
    if path.is_file() {
        let text = String::from_utf8(read_limited(path, 4096)?)
            .with_context(|| format!("{arg}: not UTF-8"))?;
        let line = text.lines().next().unwrap_or("").trim();
        return line
            .parse()
            .with_context(|| format!("{arg}: no verifier key"));
    }
    arg.parse::<VerifierKey>()
        .with_context(|| format!("verifier key {arg:?}: neither a verifier key nor a file"))
}

fn load_signer(path: &Path, name: &str, witness: bool) -> anyhow::Result<LogSigner> {
    let bytes = read_limited(path, 64 * 1024)?;
    let s = if witness {
        LogSigner::witness_from_pkcs8(name, &bytes)
    } else {
        LogSigner::from_pkcs8(name, &bytes)
    };
    s.with_context(|| format!("{}: cannot load the key", path.display()))
}

fn init(dir: &Path, origin: &str, key: &Path, format: Format) -> anyhow::Result<Outcome> {
    let signer = load_signer(key, origin, false)?;
    let key_abs =
        std::fs::canonicalize(key).with_context(|| format!("{}: cannot resolve", key.display()))?;
    let log = Log::create_with_key_path(dir, &signer, Some(&key_abs))
        .with_context(|| format!("{}: cannot create the log", dir.display()))?;
    let vkey = log.verifier_key().to_string();
    render::init(dir, log.origin(), &vkey, &dir.join(VKEY_FILE), format)?;
    Ok(Outcome::Ok)
}

fn append(
    dir: &Path,
    files: &[PathBuf],
    key: Option<&Path>,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<Outcome> {
    let log = Log::open(dir).with_context(|| format!("{}: not a glassbox log", dir.display()))?;
    let key = key
        .or(log.key_path())
        .context("no --key given and none recorded at `log init`")?;
    let signer = load_signer(key, log.origin(), false)?;
    let mut records = Vec::new();
    let bar = ui.progress(files.len() as u64, "hashing");
    for f in files {
        records
            .push(LeafRecord::of_file(f).with_context(|| format!("{}: cannot log", f.display()))?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let appended = log
        .append(&signer, records.iter().map(LeafRecord::to_bytes))
        .with_context(|| format!("{}: append failed", dir.display()))?;
    render::append(files, &records, &appended, format)?;
    Ok(Outcome::Ok)
}

fn show_checkpoint(dir: &Path, format: Format) -> anyhow::Result<Outcome> {
    let log = Log::open(dir).with_context(|| format!("{}: not a glassbox log", dir.display()))?;
    let cp = log
        .checkpoint()
        .with_context(|| format!("{}: checkpoint", dir.display()))?;
    render::checkpoint(&cp, format)?;
    Ok(Outcome::Ok)
}

fn prove(
    dir: &Path,
    index: Option<u64>,
    file: Option<&Path>,
    output: Option<&Path>,
    force: bool,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<Outcome> {
    let log = Log::open(dir).with_context(|| format!("{}: not a glassbox log", dir.display()))?;
    let index = match (index, file) {
        (Some(i), _) => i,
        (None, Some(f)) => {
            let want =
                LeafRecord::of_file(f).with_context(|| format!("{}: cannot hash", f.display()))?;
            let found = log.find(|e| LeafRecord::parse(e).is_ok_and(|r| r.same_content(&want)))?;
            match found {
                Some(i) => i,
                None => {
                    ui.note(&format!(
                        "{}: not in the log (no entry with sha256 {} and size {})",
                        f.display(),
                        want.sha256,
                        want.size
                    ));
                    return Ok(Outcome::Failed);
                }
            }
        }
        (None, None) => bail!("give --index or --file"),
    };
    let proof = log
        .prove(index)
        .with_context(|| format!("{}: cannot prove entry {index}", dir.display()))?;
    let bytes = proof.to_bytes();
    let size = checkpoint::open(&proof.checkpoint, log.verifier_key(), &[], 0)?
        .checkpoint
        .size;
    if let Some(p) = output {
        write_atomic(p, &bytes, force)?;
    }
    render::proof(index, size, &bytes, output, format)?;
    Ok(Outcome::Ok)
}

fn verify_proof(
    path: &Path,
    vkey: &str,
    file: Option<&Path>,
    witness_vkeys: &[String],
    quorum: usize,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<Outcome> {
    let vkey = parse_vkey(vkey)?;
    let witnesses = witness_vkeys
        .iter()
        .map(|w| parse_vkey(w))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let bytes = read_limited(path, MAX_PROOF_BYTES)?;
    let proof = TlogProof::parse(&bytes).with_context(|| format!("{}", path.display()))?;
    let want = match file {
        Some(f) => {
            Some(LeafRecord::of_file(f).with_context(|| format!("{}: cannot hash", f.display()))?)
        }
        None => None,
    };
    let result = proof
        .verify_file(want.as_ref(), &vkey, &witnesses, quorum)
        .map(|v| (v.checkpoint, v.record));
    match result {
        Ok((cp, record)) => {
            render::proof_verified(proof.index, &cp, &record, format, ui)?;
            Ok(Outcome::Ok)
        }
        Err(e) if is_verdict(&e) => {
            render::proof_failed(proof.index, &e.to_string(), format, ui)?;
            Ok(Outcome::Failed)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("{}", path.display()))),
    }
}

fn open_note(path: &Path, vkey: &VerifierKey) -> anyhow::Result<Result<SignedCheckpoint, Error>> {
    let bytes = read_limited(path, MAX_NOTE_BYTES)?;
    match checkpoint::open(&bytes, vkey, &[], 0) {
        Ok(c) => Ok(Ok(c)),
        Err(e) if is_verdict(&e) => Ok(Err(e)),
        Err(e) => Err(anyhow::Error::new(e).context(format!("{}", path.display()))),
    }
}

/// Checks that `old` is a prefix of `new` using proofs from `log`.
fn check_consistency(
    log: &LogSource,
    old: &SignedCheckpoint,
    new: &SignedCheckpoint,
) -> anyhow::Result<Result<Vec<merkle::Hash>, Error>> {
    let (o, n) = (&old.checkpoint, &new.checkpoint);
    if o.size > n.size {
        return Ok(Err(Error::ConsistencyFailed(
            "the new checkpoint is smaller than the old one",
        )));
    }
    if o.size == 0 {
        // Every tree extends the empty tree (C2SP tlog-witness).
        return Ok(Ok(Vec::new()));
    }
    if o.size == n.size {
        return Ok(
            merkle::verify_consistency(o.size, n.size, &[], &o.root, &n.root).map(|_| Vec::new()),
        );
    }
    // Tiles are read as the newer tree; nothing read is trusted, the proof
    // is checked against both signed roots below.
    let proof = merkle::consistency_proof(&log.reader(n.size), o.size, n.size)
        .with_context(|| format!("{}: cannot compute a consistency proof", log.describe()))?;
    Ok(merkle::verify_consistency(o.size, n.size, &proof, &o.root, &n.root).map(|_| proof))
}

fn consistency(
    old: &Path,
    new: &Path,
    log_arg: &str,
    vkey: Option<&str>,
    client: http::Client,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<Outcome> {
    let log = LogSource::parse(log_arg)?.with_client(client);
    let vkey = match (&log, vkey) {
        (LogSource::Dir(dir), given) => {
            let own = Log::open(dir)
                .with_context(|| format!("{}: not a glassbox log", dir.display()))?
                .verifier_key()
                .clone();
            if let Some(v) = given
                && parse_vkey(v)? != own
            {
                bail!("{}: the log's key is not --vkey {v}", dir.display());
            }
            own
        }
        (LogSource::Http { .. }, Some(v)) => parse_vkey(v)?,
        // The server's word on its own key is worth nothing: the key must
        // come from the auditor.
        (LogSource::Http { .. }, None) => {
            bail!("--log {log_arg} is a URL: give the log's key with --vkey")
        }
    };
    let fail = |why: String| {
        render::inconsistent(&why, format, ui)?;
        Ok(Outcome::Failed)
    };
    let o = match open_note(old, &vkey)? {
        Ok(c) => c,
        Err(e) => return fail(format!("{}: {e}", old.display())),
    };
    let n = match open_note(new, &vkey)? {
        Ok(c) => c,
        Err(e) => return fail(format!("{}: {e}", new.display())),
    };
    match check_consistency(&log, &o, &n)? {
        Ok(proof) => {
            render::consistent(o.checkpoint.size, n.checkpoint.size, &proof, format, ui)?;
            Ok(Outcome::Ok)
        }
        Err(e) => fail(format!(
            "tree size {} is not a prefix of tree size {}: {e} (proof from {})",
            o.checkpoint.size,
            n.checkpoint.size,
            log.describe()
        )),
    }
}

/// The state file of one origin: its name is the origin with anything but
/// [A-Za-z0-9.-] replaced, plus a short hash so distinct origins never clash.
fn state_file(state: &Path, origin: &str) -> PathBuf {
    let safe: String = origin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let h = glassbox_core::digest::Sha256Digest::of(origin.as_bytes()).to_hex();
    state.join(format!("{safe}-{}.checkpoint", &h[..8]))
}

#[allow(clippy::too_many_arguments)]
fn witness(
    dir: &Path,
    state: &Path,
    key: &Path,
    name: &str,
    vkey: &str,
    output: Option<&Path>,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<Outcome> {
    let vkey = parse_vkey(vkey)?;
    let signer = load_signer(key, name, true)?;
    let log = Log::open(dir).with_context(|| format!("{}: not a glassbox log", dir.display()))?;
    if log.verifier_key() != &vkey {
        bail!("{}: the log's key is not --vkey {vkey}", dir.display());
    }
    let fail = |why: String| {
        render::refused(&why, format, ui)?;
        Ok(Outcome::Failed)
    };
    let new = match open_note(&dir.join(CHECKPOINT_FILE), &vkey)? {
        Ok(c) => c,
        Err(e) => return fail(format!("the log's checkpoint: {e}")),
    };
    std::fs::create_dir_all(state)
        .with_context(|| format!("{}: cannot create", state.display()))?;
    let stored_path = state_file(state, &vkey.name);
    let old_size = if stored_path.exists() {
        let old = match open_note(&stored_path, &vkey)? {
            Ok(c) => c,
            Err(e) => bail!(
                "{}: stored checkpoint does not verify: {e}",
                stored_path.display()
            ),
        };
        if let Err(e) = check_consistency(&LogSource::from(dir), &old, &new)? {
            return fail(format!(
                "checkpoint {} is not consistent with the stored checkpoint {}: {e}",
                new.checkpoint.size, old.checkpoint.size
            ));
        }
        Some(old.checkpoint.size)
    } else {
        None
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut note = new.note.clone();
    cosignature::cosign(&mut note, &signer, now)?;
    let bytes = note.to_bytes();
    write_atomic(&stored_path, &bytes, true)?;
    if let Some(p) = output {
        write_atomic(p, &bytes, true)?;
    }
    let cosigned = render::CosignedJson {
        cosigned: true,
        note: String::from_utf8_lossy(&bytes).into_owned(),
        origin: &new.checkpoint.origin,
        previous_size: old_size,
        size: new.checkpoint.size,
        timestamp: now,
        witness_vkey: signer.verifier_key().to_string(),
    };
    render::cosigned(&cosigned, format, ui)?;
    Ok(Outcome::Ok)
}

fn run_monitor(
    vkey: &str,
    places: &[PathBuf],
    client: http::Client,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<Outcome> {
    let vkey = parse_vkey(vkey)?;
    // An http:// place is a served log; anything else a file or directory.
    let (urls, paths): (Vec<&PathBuf>, Vec<&PathBuf>) = places.iter().partition(|p| {
        p.to_str()
            .is_some_and(|s| s.starts_with("http://") || s.starts_with("https://"))
    });
    let remote = urls
        .iter()
        .map(|u| LogSource::parse(u.to_str().unwrap_or_default()).map(|s| s.with_client(client)))
        .collect::<Result<Vec<_>, _>>()?;
    let paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
    let report = monitor::monitor_sources(&paths, &remote, &vkey).context("monitor")?;
    render::monitor(&vkey.name, &report, format, ui)?;
    Ok(Outcome::from_ok(report.split_views.is_empty()))
}

fn serve(dir: &Path, listen: &str, threads: usize) -> anyhow::Result<Outcome> {
    // Refuse a directory that is not a log now, not request by request.
    let log = Log::open(dir).with_context(|| format!("{}: not a glassbox log", dir.display()))?;
    log.checkpoint()
        .with_context(|| format!("{}: its checkpoint does not verify", dir.display()))?;
    let server =
        http::Server::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let url = server.url()?;
    render::serving(&url, dir)?;
    let config = http::ServerConfig {
        threads,
        ..http::ServerConfig::default()
    };
    server
        .run(config, serve_tiles::handler(dir.to_path_buf()))
        .with_context(|| format!("serving {}", dir.display()))?;
    Ok(Outcome::Ok)
}
