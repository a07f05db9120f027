//! Renderers: typed results from glassbox-core to text, JSON, Markdown and
//! HTML. The core never formats; everything a command writes to stdout or
//! stderr is built and written here (`--format` is [`Format`]).

/// `writeln!` into a `String` buffer, which cannot fail.
macro_rules! outln {
    ($buf:expr) => {{
        $buf.push('\n');
    }};
    ($buf:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($buf, $($arg)*);
    }};
}

pub mod apt;
pub mod audit;
pub mod chain;
pub mod check;
pub mod diff;
pub mod format;
pub mod log;
pub mod manifest;
pub mod report;
pub mod repro;
pub mod sigstore;
pub mod tuf;
pub mod ui;
pub mod verify;

pub use format::{Format, Formats, TEXT_JSON};

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

/// Writes `text` to stdout. A closed pipe (`glassbox ... | head`) ends
/// quietly: the reader has what it wanted. Any other write error is an
/// error, so a full disk never looks like a complete report.
pub fn stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}

/// `value` as pretty-printed JSON and a newline: what every `--format json`
/// prints (its schema is under `core/schema/`).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(value).context("serialising the result")?;
    s.push('\n');
    Ok(s)
}

/// Prints `value` as [`to_json`] does.
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    stdout(&to_json(value)?)
}

/// Writes `text` to `output` atomically (refusing to replace a file unless
/// `force`), or to stdout when there is no `--output`.
pub fn emit(text: &str, output: Option<&Path>, force: bool) -> anyhow::Result<()> {
    match output {
        Some(path) => ui::write_atomic(path, text.as_bytes(), force),
        None => stdout(text),
    }
}

/// What `glassbox keygen --format json` prints (schema
/// `core/schema/keygen.v1.schema.json`), on one line.
#[derive(Serialize)]
pub struct KeygenJson<'a> {
    /// `ed25519` or `ecdsa-p256`.
    pub algorithm: &'a str,
    /// SHA-256 of the public key's SubjectPublicKeyInfo, hex.
    pub key_id: &'a str,
    pub private_key: String,
    pub public_key: String,
}
