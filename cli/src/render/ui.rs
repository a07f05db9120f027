//! Terminal conventions shared by every command: colour, progress, errors,
//! exit codes, atomic output files.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// What a command concluded; errors are the third outcome (exit 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Verified / identical / ok.
    Ok,
    /// Verification failed or differences found.
    Failed,
}

impl Outcome {
    /// `Ok` when `ok`, else `Failed`.
    pub fn from_ok(ok: bool) -> Self {
        if ok { Outcome::Ok } else { Outcome::Failed }
    }

    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Ok => ExitCode::SUCCESS,
            Outcome::Failed => ExitCode::from(1),
        }
    }
}

/// Shared terminal state.
pub struct Ui {
    color: bool,
    quiet: bool,
    stderr_tty: bool,
}

impl Ui {
    pub fn new(choice: ColorChoice, quiet: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
        };
        Self {
            color,
            quiet,
            stderr_tty: std::io::stderr().is_terminal(),
        }
    }

    /// Whether output may carry ANSI colour.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Wraps `text` in an ANSI SGR code when colour is on.
    pub fn paint(&self, sgr: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Green.
    pub fn good(&self, text: &str) -> String {
        self.paint("32", text)
    }

    /// Red, bold.
    pub fn bad(&self, text: &str) -> String {
        self.paint("1;31", text)
    }

    /// Yellow.
    pub fn warn(&self, text: &str) -> String {
        self.paint("33", text)
    }

    /// `text` painted by `paint` and padded to `width` columns. Padding
    /// counts the characters shown, not the escape codes: `{:9}` on a
    /// painted string pads by its byte length, codes included, and the
    /// next column starts short on every coloured row.
    pub fn padded(&self, text: &str, width: usize, paint: fn(&Ui, &str) -> String) -> String {
        let fill = width.saturating_sub(text.chars().count());
        format!("{}{}", paint(self, text), " ".repeat(fill))
    }

    /// Unchanged (for [`Ui::padded`] of an uncoloured cell).
    pub fn plain(&self, text: &str) -> String {
        text.to_string()
    }

    /// A progress bar on stderr when it is a terminal and not `--quiet`;
    /// otherwise a hidden bar that costs nothing.
    pub fn progress(&self, len: u64, what: &str) -> indicatif::ProgressBar {
        if self.quiet || !self.stderr_tty {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:12} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        bar
    }

    /// A spinner for steps of unknown length, under the same rules.
    pub fn spinner(&self, what: &str) -> indicatif::ProgressBar {
        if self.quiet || !self.stderr_tty {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(what.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    /// A note on stderr, unless `--quiet`.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// `error: <what>: <why>` on one line, then the cause chain.
    pub fn error(&self, e: &anyhow::Error) {
        let chain = glassbox_core::error_chain(e.as_ref());
        eprintln!("{} {chain}", self.bad_stderr("error:"));
    }

    fn bad_stderr(&self, text: &str) -> String {
        if self.color && self.stderr_tty {
            format!("\x1b[1;31m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Writes `bytes` to `path` atomically with mode 0644
/// (`glassbox_core::fsio::write_file`, as every output file). Refuses to
/// replace an existing file unless `force`.
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    write_atomic_mode(path, bytes, force, glassbox_core::fsio::OUTPUT_MODE)
}

/// [`write_atomic`] with another mode (a private key's 0600), set before
/// anything is written: a secret is never readable by others, even briefly.
pub fn write_atomic_mode(path: &Path, bytes: &[u8], force: bool, mode: u32) -> anyhow::Result<()> {
    match glassbox_core::fsio::write_file(path, bytes, mode, force) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => anyhow::bail!(
            "{}: already exists (use --force to overwrite)",
            path.display()
        ),
        Err(e) => Err(anyhow::Error::new(e).context(format!("{}: cannot write", path.display()))),
    }
}
