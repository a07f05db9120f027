//! `glassbox log`: an append-only transparency log of audited releases
//! (RFC 9162 Merkle tree, C2SP checkpoints, tiles, proofs, witnesses,
//! split-view monitoring).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use glassbox_core::http;
use glassbox_core::tlog::checkpoint::{self, SignedCheckpoint};
use glassbox_core::tlog::key::LogSigner;
use glassbox_core::tlog::leaf::LeafRecord;
use glassbox_core::tlog::merkle;
use glassbox_core::tlog::monitor;
use glassbox_core::tlog::note::{KeyType, MAX_NOTE_BYTES, VerifierKey};
use glassbox_core::tlog::proof::{MAX_PROOF_BYTES, TlogProof};
use glassbox_core::tlog::serve as serve_tiles;
use glassbox_core::tlog::storage::{Log, VKEY_FILE};
use glassbox_core::tlog::witness::{self, Witness};
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
  glassbox log witness --listen 127.0.0.1:7380 --state wstate --key w.key --name witness.example/w1 --log-vkey audit-log/vkey
  glassbox log cosign --log audit-log --witness http://127.0.0.1:7380 --witness-vkey w1.vkey
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
    /// Seconds allowed for each HTTP request (a fetch from an http:// log, a
    /// witness request), from connecting to the last byte (a stalled server
    /// fails after this, naming the URL).
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
    /// Act as a C2SP tlog-witness: cosign a log's checkpoint (cosignature/v1)
    /// only if it extends the one last cosigned, kept in --state. With
    /// --listen, serve `POST /add-checkpoint` over HTTP (c2sp.org/tlog-witness:
    /// 409 for a stale old size, 422 for an inconsistent proof, 403 for a bad
    /// signature, 404 for an unknown origin); with --log, cosign that log
    /// directory's checkpoint once and print it.
    #[command(
        after_help = "Examples:\n  glassbox log witness --listen 127.0.0.1:7380 --state wstate --key w.key --name witness.example/w1 --log-vkey audit-log/vkey\n  glassbox log witness --log audit-log --state wstate --key w.key --name witness.example/w1 --log-vkey audit-log/vkey"
    )]
    Witness {
        /// Serve the witness protocol on this address (port 0 picks a free
        /// port; the URL is printed on stdout).
        #[arg(long, conflicts_with_all = ["log", "output"], required_unless_present = "log")]
        listen: Option<String>,
        /// Cosign this log directory's checkpoint once, without HTTP.
        #[arg(long)]
        log: Option<PathBuf>,
        /// The witness's state directory (last cosigned checkpoint per origin).
        #[arg(long)]
        state: PathBuf,
        /// The witness's Ed25519 private key, PKCS#8.
        #[arg(long)]
        key: PathBuf,
        /// The witness's name (its key name).
        #[arg(long)]
        name: String,
        /// The verifier key of a log this witness cosigns (string or file);
        /// repeatable, one per log.
        #[arg(long = "log-vkey", alias = "vkey", required = true)]
        log_vkeys: Vec<String>,
        /// With --log: also write the cosigned checkpoint here.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        f: FormatArg,
    },
    /// Ask witnesses (C2SP tlog-witness) to cosign the log's checkpoint and
    /// store their cosignatures with it, so proofs, `check --quorum` and
    /// monitors see them. Exit 1 unless every witness cosigned.
    #[command(
        after_help = "Example:\n  glassbox log cosign --log audit-log --witness http://127.0.0.1:7380 --witness-vkey w1.vkey"
    )]
    Cosign {
        /// The log directory.
        #[arg(long, default_value = ".")]
        log: PathBuf,
        /// A witness's URL prefix (requests go to URL/add-checkpoint); repeatable.
        #[arg(long = "witness", required = true)]
        witnesses: Vec<String>,
        /// A witness verifier key (string or file); repeatable. Cosignatures
        /// from other keys are ignored.
        #[arg(long = "witness-vkey", required = true)]
        witness_vkeys: Vec<String>,
        #[command(flatten)]
        t: TimeoutArg,
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
            listen,
            log,
            state,
            key,
            name,
            log_vkeys,
            output,
            f,
        } => {
            let vkeys = log_vkeys
                .iter()
                .map(|v| parse_vkey(v))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let signer = load_signer(&key, &name, true)?;
            let w = Witness::open(&state, signer, vkeys)
                .with_context(|| format!("{}: cannot open the witness state", state.display()))?;
            match (listen, log) {
                (Some(addr), _) => serve_witness(w, &addr, ui),
                (None, Some(log)) => witness_once(&w, &log, output.as_deref(), f.format, ui),
                (None, None) => bail!("give --listen ADDR or --log DIR"),
            }
        }
        Cmd::Cosign {
            log,
            witnesses,
            witness_vkeys,
            t,
            f,
        } => cosign(&log, &witnesses, &witness_vkeys, t.client(), f.format, ui),
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

/// The log in `dir`; an error names the directory when it holds none.
fn open_log(dir: &Path) -> anyhow::Result<Log> {
    Log::open(dir).with_context(|| format!("{}: not a glassbox log", dir.display()))
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
    let log = open_log(dir)?;
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
    let log = open_log(dir)?;
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
    let log = open_log(dir)?;
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

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Local mode: one add-checkpoint request built from the log directory
/// (old size = what the witness stored, proof from the log's tiles), through
/// the same handler the HTTP witness uses.
fn witness_once(
    w: &Witness,
    dir: &Path,
    output: Option<&Path>,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<Outcome> {
    let log = open_log(dir)?;
    let new = log
        .checkpoint()
        .with_context(|| format!("{}: the log's checkpoint", dir.display()))?;
    let size = new.checkpoint.size;
    let stored = w
        .stored(log.origin())
        .with_context(|| format!("witness state for {}", log.origin()))?;
    let old = match &stored {
        Some(n) => checkpoint::Checkpoint::parse(&n.text)?.size,
        None => 0,
    };
    let proof = if old == 0 || old >= size {
        Vec::new()
    } else {
        log.consistency_proof(old, size)
            .with_context(|| format!("{}: cannot compute a consistency proof", dir.display()))?
    };
    let body = witness::AddCheckpoint {
        old_size: old,
        proof,
        checkpoint: new.to_bytes(),
    }
    .to_bytes();
    let now = now();
    match w.add_checkpoint(&body, now) {
        Ok(c) => {
            // The log's note as published, with our line added.
            let mut note = new.note.clone();
            note.signatures.extend(c.note.signatures.last().cloned());
            let bytes = note.to_bytes();
            if let Some(p) = output {
                write_atomic(p, &bytes, true)?;
            }
            let cosigned = render::CosignedJson {
                cosigned: true,
                note: String::from_utf8_lossy(&bytes).into_owned(),
                origin: &c.checkpoint.origin,
                previous_size: stored.is_some().then_some(c.previous_size),
                size,
                timestamp: now,
                witness_vkey: w.verifier_key().to_string(),
            };
            render::cosigned(&cosigned, format, ui)?;
            Ok(Outcome::Ok)
        }
        Err(witness::Refusal::State(e)) => Err(anyhow::Error::new(e).context("witness state")),
        Err(r) => {
            render::refused(&r.to_string(), format, ui)?;
            Ok(Outcome::Failed)
        }
    }
}

/// `--listen`: the tlog-witness HTTP endpoint, until the process is killed.
/// Each request is logged on stderr, even with --quiet: it is the witness's
/// trail of what it refused.
fn serve_witness(w: Witness, addr: &str, ui: &Ui) -> anyhow::Result<Outcome> {
    let server = http::Server::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    let url = server.url()?;
    render::witness_listening(&url, w.verifier_key(), ui)?;
    let w = Arc::new(w);
    let handler: Arc<http::Handler> = Arc::new(move |req: &http::Request| {
        let r = w.handle(&req.method, &req.path, &req.body, now());
        render::witness_request(req.peer, &req.method, &req.path, r.status, &r.body);
        http::Response::new(r.status, r.content_type, r.body)
    });
    let config = http::ServerConfig {
        max_request_body: witness::MAX_REQUEST_BYTES as u64,
        ..http::ServerConfig::default()
    };
    server
        .run(config, handler)
        .with_context(|| format!("witness server on {url}"))?;
    Ok(Outcome::Ok)
}

/// `log cosign`: asks each witness over HTTP, stores what verified.
fn cosign(
    dir: &Path,
    urls: &[String],
    vkeys: &[String],
    client: http::Client,
    format: Format,
    ui: &Ui,
) -> anyhow::Result<Outcome> {
    let keys = vkeys
        .iter()
        .map(|v| parse_vkey(v))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(k) = keys.iter().find(|k| k.kind != KeyType::CosignatureV1) {
        bail!("--witness-vkey {k}: not a witness key (type 0x04, cosignature/v1)");
    }
    for u in urls {
        http::Url::parse(u).with_context(|| format!("--witness {u}"))?;
    }
    let log = open_log(dir)?;
    let post = |endpoint: &str, body: &[u8]| -> Result<witness::HttpReply, String> {
        let url = http::Url::parse(endpoint).map_err(|e| e.to_string())?;
        let r = client
            .post(
                &url,
                &[("Content-Type", "text/plain")],
                body,
                witness::MAX_RESPONSE_BYTES as u64,
            )
            .map_err(|e| e.to_string())?;
        Ok(witness::HttpReply {
            status: r.status,
            content_type: r.header("content-type").map(str::to_string),
            body: r.body,
        })
    };
    let report = witness::cosign_log(&log, urls, &keys, &post)
        .with_context(|| format!("{}: cosign", dir.display()))?;
    render::cosign(&report, format, ui)?;
    Ok(Outcome::from_ok(
        report.witnesses.iter().all(|w| w.failure.is_none()),
    ))
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
    let log = open_log(dir)?;
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
