//! Append-only transparency log: RFC 6962/9162 Merkle trees, C2SP signed
//! notes, checkpoints, cosignatures, tiles and proofs.
//!
//! A log is a directory that any static web server can publish
//! ([`storage::Log`]). Its layout is C2SP tlog-tiles:
//!
//! ```text
//! DIR/checkpoint                  signed note, C2SP tlog-checkpoint (the only mutable file)
//! DIR/tile/<L>/<N>[.p/<W>]        Merkle tree tiles, 256 hashes each (x-path encoded N)
//! DIR/tile/entries/<N>[.p/<W>]    entry bundles, 256 entries each (u16 BE length || data)
//! DIR/vkey                        the log's verifier key (`name+keyid+base64`)
//! DIR/glassbox-log.json           origin and verifier key, for glassbox itself
//! DIR/lock                        lock file serialising appenders
//! ```
//!
//! Building a log (the demo generator does this):
//!
//! ```no_run
//! use glassbox_core::tlog::{Log, LogSigner};
//! # fn main() -> Result<(), glassbox_core::tlog::Error> {
//! let pkcs8 = std::fs::read("log.key").unwrap(); // PEM or DER PKCS#8 Ed25519
//! let signer = LogSigner::from_pkcs8("example.org/log", &pkcs8)?;
//! let log = Log::create("demo-log".as_ref(), &signer)?;
//! // Files are logged as glassbox-leaf/v1 records (digest, size, name).
//! let appended = log.append_files(&signer, &["app-1.0.0.tar.gz".as_ref()])?;
//! let proof = log.prove(appended.first_index)?; // a C2SP tlog-proof
//! std::fs::write("app-1.0.0.tlog-proof", proof.to_bytes()).unwrap();
//! std::fs::write("demo-log.vkey", format!("{}\n", log.verifier_key())).unwrap();
//! # Ok(()) }
//! ```
//!
//! A split view for a demo: copy the log directory at some size, append a
//! different entry to the copy with the same key ([`Log::open`] on the
//! copy, then [`Log::append`]), keep appending to the original; then
//! [`monitor::monitor`] over the original and the copy's checkpoint (or a
//! proof from it) reports the split view.
//!
//! Witnessing (C2SP tlog-witness): a [`witness::Witness`] cosigns a
//! checkpoint only if it extends the last one it cosigned for that origin,
//! and refuses the second branch of a split view (409 or 422);
//! [`witness::cosign_log`] asks witnesses over HTTP and stores their
//! cosignatures in the published `DIR/checkpoint`
//! ([`Log::add_cosignatures`]), where [`checkpoint::open`] counts them
//! towards a quorum. `DIR/witness-sizes.json` remembers the size each
//! witness last cosigned (a shortcut past the 409 round trip; not served).

pub mod checkpoint;
pub mod cosignature;
pub mod key;
pub mod leaf;
pub mod merkle;
pub mod monitor;
pub mod note;
pub mod proof;
pub mod serve;
pub mod source;
pub mod storage;
pub mod tiles;
pub mod witness;

use std::path::PathBuf;

pub use key::LogSigner;
pub use merkle::Hash;
pub use source::LogSource;
pub use storage::Log;

/// Everything that can go wrong in the transparency log, as verdicts.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A signed note that does not follow C2SP signed-note.
    #[error("malformed note: {0}")]
    MalformedNote(String),
    /// A signature from a key we trust that does not verify.
    #[error("bad signature from known key {name}")]
    BadSignature {
        /// The key name on the signature line.
        name: String,
    },
    /// No signature line is from a key we were given.
    #[error("no signature from a known key")]
    NoKnownSignature,
    /// The note verified, but not with the log's own key for this origin.
    #[error("checkpoint not signed by the log key for this origin ({origin})")]
    NotSignedByLog {
        /// The origin line of the checkpoint.
        origin: String,
    },
    /// Fewer witness cosignatures than the policy asks for.
    #[error("witness quorum not met: {got} of {want} cosignatures")]
    QuorumNotMet {
        /// Cosignatures that verified.
        got: usize,
        /// Cosignatures required.
        want: usize,
    },
    /// A checkpoint body that does not follow C2SP tlog-checkpoint.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(String),
    /// A verifier key string that does not parse or whose key ID is wrong.
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(String),
    /// A private key that is not an Ed25519 PKCS#8 key.
    #[error("malformed private key: {0}")]
    MalformedKey(String),
    /// A tlog-proof file that does not follow C2SP tlog-proof.
    #[error("malformed proof: {0}")]
    MalformedProof(String),
    /// An inclusion proof that does not lead to the root (RFC 9162 §2.1.3.2).
    #[error("inclusion proof does not verify: {0}")]
    InclusionFailed(&'static str),
    /// A consistency proof that does not link the two roots (RFC 9162 §2.1.4.2).
    #[error("consistency proof does not verify: {0}")]
    ConsistencyFailed(&'static str),
    /// The leaf record in a proof does not describe the file given.
    #[error("entry does not match the file: {0}")]
    EntryMismatch(String),
    /// A proof was asked for a leaf or size the tree does not have.
    #[error("out of range: {0}")]
    OutOfRange(String),
    /// A tile or entry bundle on disk with the wrong size or content.
    #[error("{path}: malformed tile: {why}")]
    MalformedTile {
        /// Where the tile is.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The log directory is not a consistent log.
    #[error("log directory is inconsistent: {0}")]
    Inconsistent(String),
    /// An input larger than the limits we accept.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A file system operation failed.
    #[error("{path}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// A log served over HTTP could not be fetched (the error names the URL).
    #[error(transparent)]
    Http(#[from] crate::http::Error),
    /// The writer stopped at a fault-injection point (tests of crash safety).
    #[error("simulated crash at {0:?}")]
    InjectedCrash(storage::CrashPoint),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |error| Error::Io { path, error }
    }
}
