//! C2SP tlog-witness: a witness that cosigns a log's checkpoint only when it
//! is consistent with the last one it cosigned (c2sp.org/tlog-witness,
//! "add-checkpoint"), and the client side that asks witnesses for
//! cosignatures.
//!
//! The handler is pure over its inputs: request bytes, the state directory
//! and the time give a status code and a body ([`Witness::handle`]); any
//! HTTP server can mount it. What the witness promises (tlog-cosignature
//! "Ed25519 signed message"): as of the cosignature's time, the checkpoint
//! is the largest consistent tree head it has seen for that origin. So it
//! never cosigns a tree smaller than, or not an extension of, the one it
//! stored, across restarts and crashes:
//!
//! - the state is one file per origin holding the last cosigned checkpoint
//!   (its log signatures and our cosignature, the evidence), written to a
//!   temporary file, fsynced, renamed over the old one, and the directory
//!   fsynced, all *before* the response is sent (tlog-witness: "The
//!   witness MUST persist the new checkpoint before responding");
//! - checking the old size and storing the new checkpoint happen under one
//!   lock, so two requests cannot roll the state back (the race the spec
//!   spells out); a lock file on the state directory keeps a second witness
//!   process off the same state;
//! - a state file that does not verify with the log's key is an error, never
//!   a fresh start: starting over at size 0 would let the witness cosign a
//!   fork.

use std::fs::{self, File};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::Error;
use super::checkpoint::{Checkpoint, parse_decimal};
use super::cosignature;
use super::key::LogSigner;
use super::merkle::{self, Hash};
use super::note::{KeyType, MAX_NOTE_BYTES, Note, Signature, VerifierKey};

/// The submission endpoint, under the witness's URL prefix.
pub const ADD_CHECKPOINT_PATH: &str = "/add-checkpoint";
/// Content type of a 409 response carrying the witness's latest size.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";
/// tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
pub const MAX_PROOF_LINES: usize = 63;
/// The largest request body we read: an old-size line, 63 proof lines and
/// a checkpoint with up to 100 signatures fit many times over.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// The largest response body a client reads: a few signature lines.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024;
/// Name of the lock file in the state directory.
pub const STATE_LOCK_FILE: &str = "lock";
/// Directory in the state directory where refused, validly signed
/// checkpoints are kept as evidence.
pub const EVIDENCE_DIR: &str = "evidence";
/// The most refused checkpoints kept as evidence.
pub const MAX_EVIDENCE_FILES: usize = 1000;
/// Name of the file in the state directory holding the witness's verifier key.
pub const STATE_VKEY_FILE: &str = "vkey";

/// A parsed `add-checkpoint` request body (tlog-witness "add-checkpoint").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness cosigned last.
    pub old_size: u64,
    /// RFC 6962 §2.1.2 consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, as sent.
    pub checkpoint: Vec<u8>,
}

impl AddCheckpoint {
    /// Parses a request body: `old <size>\n`, up to 63 base64 hash lines,
    /// an empty line, then the checkpoint note.
    pub fn parse(body: &[u8]) -> Result<Self, Refusal> {
        let bad = |why: &str| Refusal::Malformed(why.to_string());
        if body.len() > MAX_REQUEST_BYTES {
            return Err(Refusal::Malformed(format!(
                "request body larger than {MAX_REQUEST_BYTES} bytes"
            )));
        }
        let mut rest = body;
        let mut next_line = || -> Result<&[u8], Refusal> {
            let i = memchr::memchr(b'\n', rest)
                .ok_or_else(|| bad("the proof part does not end with an empty line"))?;
            let line = &rest[..i];
            rest = &rest[i + 1..];
            Ok(line)
        };
        let first = next_line()?;
        let old = std::str::from_utf8(first)
            .ok()
            .and_then(|l| l.strip_prefix("old "))
            .and_then(parse_decimal)
            .ok_or_else(|| bad("the first line is not \"old <decimal size>\""))?;
        let mut proof = Vec::new();
        loop {
            let line = next_line()?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad("more than 63 consistency proof lines"));
            }
            proof
                .push(decode_hash(line).ok_or_else(|| {
                    bad("a consistency proof line is not the base64 of 32 bytes")
                })?);
        }
        Ok(Self {
            old_size: old,
            proof,
            checkpoint: rest.to_vec(),
        })
    }

    /// The request body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("old {}\n", self.old_size);
        for h in &self.proof {
            out.push_str(&B64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        let mut b = out.into_bytes();
        b.extend_from_slice(&self.checkpoint);
        b
    }
}

/// Canonical base64 of exactly 32 bytes (re-encoding gives the same text,
/// so one proof has one spelling).
fn decode_hash(line: &[u8]) -> Option<Hash> {
    let h: Hash = B64.decode(line).ok()?.try_into().ok()?;
    (B64.encode(h).as_bytes() == line).then_some(h)
}

/// Why the witness did not cosign, each with the status code
/// tlog-witness gives it.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// 400: the body, the note or the checkpoint does not parse, or the
    /// old size is larger than the checkpoint's.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// 404: the witness is not configured for this origin.
    #[error("unknown log origin {0:?}: this witness has no key for it")]
    UnknownOrigin(String),
    /// 403: no signature verifies with the log's key (or one from the log's
    /// key is bad).
    #[error("checkpoint signature refused: {0}")]
    BadSignature(String),
    /// 409 with `text/x.tlog.size`: the old size is not the size this
    /// witness last cosigned; the client should retry from `latest`.
    #[error(
        "old size {sent} is not the size this witness last cosigned ({latest}); retry with old {latest}"
    )]
    StaleOldSize {
        /// The old size in the request.
        sent: u64,
        /// The size of the witness's latest cosigned checkpoint.
        latest: u64,
    },
    /// 409: same size as the stored checkpoint but another root: a split view.
    #[error(
        "checkpoint {size} has a different root from the checkpoint {size} this witness cosigned: \
         the log shows two different trees of one size (a split view)"
    )]
    RootMismatch {
        /// The tree size.
        size: u64,
    },
    /// 422: the consistency proof does not link the stored checkpoint to
    /// the new one.
    #[error(
        "checkpoint {new} is not consistent with the checkpoint {old} this witness cosigned: {why}"
    )]
    Inconsistent {
        /// The stored size.
        old: u64,
        /// The new size.
        new: u64,
        /// What failed.
        why: String,
    },
    /// 500: the witness's own state could not be read or written; nothing
    /// was cosigned.
    #[error("witness state: {0}")]
    State(#[from] Error),
}

impl Refusal {
    /// The HTTP status code (tlog-witness "add-checkpoint").
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Malformed(_) => 400,
            Refusal::UnknownOrigin(_) => 404,
            Refusal::BadSignature(_) => 403,
            Refusal::StaleOldSize { .. } | Refusal::RootMismatch { .. } => 409,
            Refusal::Inconsistent { .. } => 422,
            Refusal::State(_) => 500,
        }
    }
}

/// An HTTP response: status, content type and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    fn text(status: u16, body: String) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into_bytes(),
        }
    }
}

/// What the witness stored after cosigning.
#[derive(Clone, Debug)]
pub struct Cosigned {
    /// The checkpoint cosigned.
    pub checkpoint: Checkpoint,
    /// The size it had cosigned before (0 if none).
    pub previous_size: u64,
    /// Our cosignature line(s), the 200 response body.
    pub lines: Vec<u8>,
    /// The note stored: the log's verified signatures and our cosignature.
    pub note: Note,
}

/// The last checkpoint cosigned for one origin.
struct Latest {
    size: u64,
    root: Hash,
}

/// A tlog-witness over a state directory.
pub struct Witness {
    signer: LogSigner,
    logs: Vec<VerifierKey>,
    dir: PathBuf,
    /// Serialises check-then-store across requests (tlog-witness: the two
    /// "must be performed atomically").
    serial: Mutex<()>,
    /// Held for the witness's lifetime: one process per state directory.
    _lock: File,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("vkey", self.signer.verifier_key())
            .field("dir", &self.dir)
            .finish()
    }
}

impl Witness {
    /// A witness signing with `signer` (a cosignature/v1 key) for the logs
    /// whose keys are `logs` (each key's name is its log's origin), keeping
    /// its state in `dir` (created if absent). Fails if another witness
    /// process holds the directory.
    pub fn open(dir: &Path, signer: LogSigner, logs: Vec<VerifierKey>) -> Result<Self, Error> {
        if signer.kind() != KeyType::CosignatureV1 {
            return Err(Error::MalformedKey(
                "a witness key must be a cosignature/v1 key (type 0x04)".into(),
            ));
        }
        if let Some(k) = logs.iter().find(|k| k.kind != KeyType::Ed25519) {
            return Err(Error::MalformedVerifierKey(format!(
                "{k}: a log key must be of type 0x01 (Ed25519)"
            )));
        }
        fs::create_dir_all(dir).map_err(Error::io(dir))?;
        let lock_path = dir.join(STATE_LOCK_FILE);
        let lock = crate::fsio::open_lock(&lock_path).map_err(Error::io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::Io {
                    path: lock_path,
                    error: std::io::Error::new(
                        std::io::ErrorKind::WouldBlock,
                        "another witness process uses this state directory; \
                         stop it or give another --state",
                    ),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path)(e)),
        }
        // The state belongs to one witness key: another key must not inherit
        // it, and log operators read the verifier key from here.
        let vkey_path = dir.join(STATE_VKEY_FILE);
        let vkey = format!("{}\n", signer.verifier_key());
        match read_state(&vkey_path)? {
            Some(b) if b == vkey.as_bytes() => {}
            Some(b) => {
                return Err(Error::Inconsistent(format!(
                    "{}: this state belongs to witness key {}, not {}; give the key it was \
                     made with, or another --state",
                    vkey_path.display(),
                    String::from_utf8_lossy(&b).trim(),
                    signer.verifier_key()
                )));
            }
            None => write_durable(dir, &vkey_path, vkey.as_bytes())?,
        }
        Ok(Self {
            signer,
            logs,
            dir: dir.to_path_buf(),
            serial: Mutex::new(()),
            _lock: lock,
        })
    }

    /// The witness's verifier key.
    pub fn verifier_key(&self) -> &VerifierKey {
        self.signer.verifier_key()
    }

    /// Routes an HTTP request: `POST /add-checkpoint` to
    /// [`Witness::add_checkpoint`], anything else 404 or 405.
    pub fn handle(&self, method: &str, path: &str, body: &[u8], now: u64) -> Response {
        if path != ADD_CHECKPOINT_PATH {
            return Response::text(
                404,
                "not found: this witness serves POST /add-checkpoint\n".into(),
            );
        }
        if method != "POST" {
            return Response::text(405, "method not allowed: use POST\n".into());
        }
        match self.add_checkpoint(body, now) {
            Ok(c) => Response {
                status: 200,
                content_type: "text/plain; charset=utf-8",
                body: c.lines,
            },
            Err(Refusal::StaleOldSize { latest, .. }) => Response {
                status: 409,
                content_type: SIZE_CONTENT_TYPE,
                body: format!("{latest}\n").into_bytes(),
            },
            Err(r) => Response::text(r.status(), format!("{r}\n")),
        }
    }

    /// tlog-witness "add-checkpoint": checks the request in the order the
    /// spec gives, then cosigns at time `now` (seconds since the epoch) and
    /// stores the checkpoint before returning.
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Result<Cosigned, Refusal> {
        let req = AddCheckpoint::parse(body)?;
        let note = Note::parse(&req.checkpoint)
            .map_err(|e| Refusal::Malformed(format!("checkpoint note: {e}")))?;
        let cp = Checkpoint::parse(&note.text)
            .map_err(|e| Refusal::Malformed(format!("checkpoint: {e}")))?;
        // "If the checkpoint origin is unknown, the witness MUST respond with
        // a 404 Not Found."
        let keys: Vec<VerifierKey> = self
            .logs
            .iter()
            .filter(|k| k.name == cp.origin)
            .cloned()
            .collect();
        if keys.is_empty() {
            return Err(Refusal::UnknownOrigin(cp.origin));
        }
        // "If none of the signatures verify against a trusted public key, the
        // witness MUST respond with a 403 Forbidden"; unknown keys are ignored.
        note.verify(&keys)
            .map_err(|e| Refusal::BadSignature(e.to_string()))?;
        // "The old size MUST be equal to or lower than the checkpoint size.
        // Otherwise ... 400 Bad Request."
        if req.old_size > cp.size {
            return Err(Refusal::Malformed(format!(
                "old size {} is larger than the checkpoint's size {}",
                req.old_size, cp.size
            )));
        }
        let _serial = self.serial.lock().unwrap_or_else(|p| p.into_inner());
        let latest = self.latest(&cp.origin, &keys)?;
        // "The witness MUST check that the old size matches the size of the
        // latest checkpoint it cosigned ... If it doesn't match ... 409."
        if req.old_size != latest.size {
            return Err(Refusal::StaleOldSize {
                sent: req.old_size,
                latest: latest.size,
            });
        }
        if let Err(r) = check_extends(&latest, &cp, &req.proof) {
            // tlog-witness: "the witness MAY log the request even if the
            // consistency proof doesn't verify ... as it might be proof of log
            // misbehavior". Best effort: the refusal stands either way.
            let _ = self.keep_evidence(&note);
            return Err(r);
        }
        if now > i64::MAX as u64 {
            // tlog-cosignature: the timestamp "MUST NOT exceed 2^63 - 1".
            return Err(Refusal::State(Error::Limit(
                "the clock is past 2^63-1 seconds".into(),
            )));
        }
        // Our line, and the note we keep: the log's verified signatures
        // (unknown keys' lines are not ours to keep) plus our cosignature.
        let mut ours = Note {
            text: note.text.clone(),
            signatures: Vec::new(),
        };
        cosignature::cosign(&mut ours, &self.signer, now)?;
        let mine: Signature = ours.signatures.pop().expect("cosign pushed a line");
        let mut stored = Note {
            text: note.text.clone(),
            signatures: note
                .signatures
                .iter()
                .filter(|s| keys.iter().any(|k| k.name == s.name && k.id == s.id))
                .cloned()
                .collect(),
        };
        stored.signatures.push(mine.clone());
        self.store(&cp.origin, &stored.to_bytes())?;
        Ok(Cosigned {
            checkpoint: cp,
            previous_size: latest.size,
            lines: mine.line().into_bytes(),
            note: stored,
        })
    }

    /// The stored (cosigned) checkpoint for `origin`, if any, verified with
    /// the configured log keys.
    pub fn stored(&self, origin: &str) -> Result<Option<Note>, Error> {
        let keys: Vec<VerifierKey> = self
            .logs
            .iter()
            .filter(|k| k.name == origin)
            .cloned()
            .collect();
        let path = state_file(&self.dir, origin);
        match read_state(&path)? {
            None => Ok(None),
            Some(bytes) => {
                open_state(&path, &bytes, &keys)?;
                Ok(Some(Note::parse(&bytes)?))
            }
        }
    }

    fn latest(&self, origin: &str, keys: &[VerifierKey]) -> Result<Latest, Error> {
        let path = state_file(&self.dir, origin);
        match read_state(&path)? {
            // Never cosigned: "or zero if it never cosigned a checkpoint for
            // that origin"; every tree extends the empty tree.
            None => Ok(Latest {
                size: 0,
                root: merkle::empty_root(),
            }),
            Some(bytes) => {
                let cp = open_state(&path, &bytes, keys)?;
                Ok(Latest {
                    size: cp.size,
                    root: cp.root,
                })
            }
        }
    }

    /// Keeps a log-signed checkpoint the witness refused as inconsistent in
    /// `evidence/`, named `<sha256 of its text>.note` (one file per distinct
    /// checkpoint, at most [`MAX_EVIDENCE_FILES`]): with the state file next
    /// to it, `glassbox log monitor` over the state directory and the log
    /// shows the split view. Only the log's key can sign these, so their
    /// number is bounded by the log's misbehaviour, and capped anyway.
    fn keep_evidence(&self, note: &Note) -> Result<(), Error> {
        let dir = self.dir.join(EVIDENCE_DIR);
        fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        let name = crate::digest::Sha256Digest::of(note.text.as_bytes()).to_hex();
        let path = dir.join(format!("{name}.note"));
        if path.exists() {
            return Ok(());
        }
        let count = fs::read_dir(&dir).map_err(Error::io(&dir))?.count();
        if count >= MAX_EVIDENCE_FILES {
            return Err(Error::Limit(format!(
                "{}: {MAX_EVIDENCE_FILES} refused checkpoints kept already",
                dir.display()
            )));
        }
        write_durable(&dir, &path, &note.to_bytes())
    }

    fn store(&self, origin: &str, bytes: &[u8]) -> Result<(), Error> {
        write_durable(&self.dir, &state_file(&self.dir, origin), bytes)
    }
}

/// Temporary file, fsync, rename, fsync the directory: after a crash the
/// file holds either the old bytes or the new ones.
fn write_durable(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), Error> {
    crate::fsio::replace_durable(dir, path, bytes)
        .map_err(|(path, error)| Error::Io { path, error })
}

/// The stored checkpoint must be the new one's prefix (tlog-witness
/// "add-checkpoint", RFC 9162 §2.1.4.2); the old size already equals
/// `latest.size`.
fn check_extends(latest: &Latest, cp: &Checkpoint, proof: &[Hash]) -> Result<(), Refusal> {
    let inconsistent = |why: &str| Refusal::Inconsistent {
        old: latest.size,
        new: cp.size,
        why: why.to_string(),
    };
    if latest.size == cp.size {
        // "If the old size matches the checkpoint size, the witness MUST
        // check that the root hashes are also identical ... 409."
        if latest.root != cp.root {
            return Err(Refusal::RootMismatch { size: cp.size });
        }
        if !proof.is_empty() {
            return Err(inconsistent("a proof between equal sizes must be empty"));
        }
        return Ok(());
    }
    if latest.size == 0 {
        // "The proof MUST be empty if the old size is zero."
        if !proof.is_empty() {
            return Err(inconsistent("a proof from size 0 must be empty"));
        }
        return Ok(());
    }
    merkle::verify_consistency(latest.size, cp.size, proof, &latest.root, &cp.root)
        .map_err(|e| inconsistent(&e.to_string()))
}

/// The state file of one origin: the origin with anything but
/// `[A-Za-z0-9.-]` replaced by `_`, plus 8 hex digits of its SHA-256 so
/// distinct origins never share a file.
pub fn state_file(dir: &Path, origin: &str) -> PathBuf {
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
    let h = crate::digest::Sha256Digest::of(origin.as_bytes()).to_hex();
    dir.join(format!("{safe}-{}.checkpoint", &h[..8]))
}

fn read_state(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path)(e)),
    };
    let mut buf = Vec::new();
    f.take(MAX_NOTE_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(Error::io(path))?;
    if buf.len() > MAX_NOTE_BYTES {
        return Err(Error::Limit(format!(
            "{}: state file larger than {MAX_NOTE_BYTES} bytes",
            path.display()
        )));
    }
    Ok(Some(buf))
}

/// A state file must verify with the log's key: a damaged or foreign one
/// stops the witness for that origin rather than resetting it to size 0.
fn open_state(path: &Path, bytes: &[u8], keys: &[VerifierKey]) -> Result<Checkpoint, Error> {
    let fail = |e: Error| {
        Error::Inconsistent(format!(
            "{}: the stored checkpoint does not verify with the log's key ({e}); \
             restore it from a backup, or retire this witness key: starting over \
             at size 0 would let it cosign a fork",
            path.display()
        ))
    };
    let note = Note::parse(bytes).map_err(fail)?;
    note.verify(keys).map_err(fail)?;
    Checkpoint::parse(&note.text).map_err(fail)
}

// ---------------------------------------------------------------------------
// Client side: asking a witness for a cosignature.

/// The outcome of one add-checkpoint exchange, as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// 200: the cosignature lines that verified with a known witness key.
    Cosigned(Vec<Signature>),
    /// 409 with a size: the witness last cosigned this size.
    Conflict(u64),
    /// Anything else: the witness refused (or the reply is unusable).
    Refused {
        /// The status code.
        status: u16,
        /// The reason (the witness's body, or what was wrong with it).
        reason: String,
    },
}

/// Reads a witness's HTTP reply to [`AddCheckpoint`] for `note`:
/// cosignature lines from keys in `witnesses` must verify (tlog-witness:
/// the client "MAY concatenate it to the checkpoint, and use a note
/// verification function configured with the witness keys it trusts");
/// lines from unknown keys are ignored, and a 200 with no known valid
/// cosignature is a refusal.
pub fn read_reply(
    note: &Note,
    witnesses: &[VerifierKey],
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Reply {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)])
        .trim()
        .to_string();
    match status {
        200 => {
            let mut joined = note.text.clone().into_bytes();
            joined.push(b'\n');
            joined.extend_from_slice(body);
            let parsed = match Note::parse(&joined) {
                Ok(n) => n,
                Err(e) => {
                    return Reply::Refused {
                        status,
                        reason: format!("the 200 body is not signature lines ({e})"),
                    };
                }
            };
            let known: Vec<VerifierKey> = witnesses
                .iter()
                .filter(|k| k.kind == KeyType::CosignatureV1)
                .cloned()
                .collect();
            match parsed.verify(&known) {
                Ok(_) => Reply::Cosigned(
                    parsed
                        .signatures
                        .into_iter()
                        .filter(|s| known.iter().any(|k| k.name == s.name && k.id == s.id))
                        .collect(),
                ),
                Err(Error::NoKnownSignature) => Reply::Refused {
                    status,
                    reason: "no cosignature from a witness key given (--witness-vkey)".into(),
                },
                Err(e) => Reply::Refused {
                    status,
                    reason: format!("a cosignature does not verify: {e}"),
                },
            }
        }
        409 if content_type.is_some_and(|c| c.trim() == SIZE_CONTENT_TYPE) => {
            match std::str::from_utf8(body)
                .ok()
                .and_then(|b| b.strip_suffix('\n'))
                .and_then(parse_decimal)
            {
                Some(n) => Reply::Conflict(n),
                None => Reply::Refused {
                    status,
                    reason: format!("409 with a malformed size body {text:?}"),
                },
            }
        }
        _ => Reply::Refused {
            status,
            reason: if text.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status}: {text}")
            },
        },
    }
}

/// A witness's answer as it came over the wire.
#[derive(Clone, Debug)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body (bounded by the transport to [`MAX_RESPONSE_BYTES`]).
    pub body: Vec<u8>,
}

/// What asking one witness gave.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WitnessOutcome {
    /// The witness's URL prefix.
    pub url: String,
    /// The old size of the request that got the final answer.
    pub old_size: u64,
    /// Whether the first request got a 409 and was sent again.
    pub retried: bool,
    /// The names of the witness keys whose cosignatures verified (empty on failure).
    pub cosigned_by: Vec<String>,
    /// Why there is no cosignature (`None` on success).
    pub failure: Option<String>,
}

/// The result of [`cosign_log`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct CosignReport {
    /// The log's origin.
    pub origin: String,
    /// The size of the checkpoint the witnesses were asked to cosign.
    pub size: u64,
    /// One outcome per witness, in the order given.
    pub witnesses: Vec<WitnessOutcome>,
    /// Names of all witness keys whose cosignatures are now stored with the
    /// checkpoint (older ones of other witnesses included).
    pub stored: Vec<String>,
}

/// Sends one add-checkpoint request: `(endpoint URL, body)` to the reply,
/// or why there is none (connection, time-out, oversized reply).
pub type Post<'a> = dyn Fn(&str, &[u8]) -> Result<HttpReply, String> + 'a;

/// The file in a log directory remembering, per witness URL, the size it
/// last cosigned, so the next request carries the right old size and proof
/// at once (a stale hint only costs one 409 and a retry).
pub const HINTS_FILE: &str = "witness-sizes.json";

/// Asks each witness at `urls` to cosign the log's published checkpoint
/// (tlog-witness "add-checkpoint"), sending the consistency proof from the
/// size it last cosigned; on 409 it retries once from the size the witness
/// reports. Cosignatures that verify with `witness_keys` are stored with
/// the checkpoint ([`super::Log::add_cosignatures`]). `post(url, body)`
/// sends one request (the HTTP client, bounded in size and time).
pub fn cosign_log(
    log: &super::Log,
    urls: &[String],
    witness_keys: &[VerifierKey],
    post: &Post<'_>,
) -> Result<CosignReport, Error> {
    let cp = log.checkpoint()?;
    let size = cp.checkpoint.size;
    let hints_path = log.dir().join(HINTS_FILE);
    let mut hints: std::collections::BTreeMap<String, u64> = read_state(&hints_path)?
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let note_bytes = cp.to_bytes();
    let mut outcomes = Vec::new();
    let mut cosignatures: Vec<Signature> = Vec::new();
    for url in urls {
        let mut old = hints.get(url).copied().filter(|&h| h <= size).unwrap_or(0);
        let mut retried = false;
        let outcome = loop {
            let proof = if old == 0 || old == size {
                Vec::new()
            } else {
                log.consistency_proof(old, size)?
            };
            let body = AddCheckpoint {
                old_size: old,
                proof,
                checkpoint: note_bytes.clone(),
            }
            .to_bytes();
            let endpoint = format!("{}{ADD_CHECKPOINT_PATH}", url.trim_end_matches('/'));
            let reply = match post(&endpoint, &body) {
                Ok(r) => r,
                Err(e) => break Err(e),
            };
            match read_reply(
                &cp.note,
                witness_keys,
                reply.status,
                reply.content_type.as_deref(),
                &reply.body,
            ) {
                Reply::Cosigned(sigs) => break Ok(sigs),
                Reply::Conflict(latest) if latest > size => {
                    break Err(format!(
                        "the witness has cosigned size {latest} of this log, larger than its \
                         checkpoint {size}: the log was rolled back, or the witness saw a fork; \
                         compare with `glassbox log monitor`"
                    ));
                }
                Reply::Conflict(latest) if !retried => {
                    retried = true;
                    old = latest;
                }
                Reply::Conflict(latest) => {
                    break Err(format!(
                        "409 twice: the witness's size moved to {latest} during the exchange"
                    ));
                }
                Reply::Refused { reason, .. } => break Err(reason),
            }
        };
        let (cosigned_by, failure) = match outcome {
            Ok(sigs) => {
                hints.insert(url.clone(), size);
                let names = sigs.iter().map(|s| s.name.clone()).collect();
                cosignatures.extend(sigs);
                (names, None)
            }
            Err(why) => (Vec::new(), Some(why)),
        };
        outcomes.push(WitnessOutcome {
            url: url.clone(),
            old_size: old,
            retried,
            cosigned_by,
            failure,
        });
    }
    let stored_cp = if cosignatures.is_empty() {
        cp
    } else {
        log.add_cosignatures(&cp.note.text, &cosignatures)?
    };
    // The hints are only a shortcut: losing them costs a 409 and a retry.
    let hints_json = serde_json::to_vec_pretty(&hints).expect("hints serialise");
    let _ = fs::write(&hints_path, hints_json);
    let known: Vec<VerifierKey> = witness_keys.to_vec();
    let stored = stored_cp
        .note
        .verify(&known)
        .map(|v| v.into_iter().map(|s| s.name).collect())
        .unwrap_or_default();
    Ok(CosignReport {
        origin: stored_cp.checkpoint.origin,
        size,
        witnesses: outcomes,
        stored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip_and_malformed_bodies() {
        let r = AddCheckpoint {
            old_size: 7,
            proof: vec![[1u8; 32], [2u8; 32]],
            checkpoint: b"o\n1\nAAAA\n\n".to_vec(),
        };
        assert_eq!(AddCheckpoint::parse(&r.to_bytes()).unwrap(), r);
        for bad in [
            &b"old 07\n\nx"[..],
            b"old -1\n\nx",
            b"old 1",
            b"new 1\n\nx",
            b"old 1\nAAAA\n\nx",
            b"old 1\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\n\nx",
        ] {
            assert!(
                matches!(AddCheckpoint::parse(bad), Err(Refusal::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let mut long = b"old 1\n".to_vec();
        for _ in 0..64 {
            long.extend_from_slice(B64.encode([0u8; 32]).as_bytes());
            long.push(b'\n');
        }
        long.extend_from_slice(b"\nx");
        assert!(AddCheckpoint::parse(&long).is_err());
    }
}
