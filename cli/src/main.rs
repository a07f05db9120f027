//! `glassbox`: the command-line front end. Parses arguments, calls
//! glassbox-core, renders the typed result and maps it to an exit code.
#![forbid(unsafe_code)]

mod cmd;
mod render;

// Commands reach the terminal conventions as `crate::ui`; they live in
// render/ because only render/ and main.rs write to stdout or stderr.
use render::ui;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use ui::{ColorChoice, Ui};

const EXIT_CODES: &str = "\
Exit codes:
  0  verified / identical / ok
  1  verification failed or differences found
  2  usage or input error (bad arguments, unreadable or malformed input)";

/// Independent audits of a software vendor's updates: verify signatures and
/// certificate chains, diff releases, judge reproducibility, sign audit
/// reports and keep a transparency log.
#[derive(Parser)]
#[command(name = "glassbox", version, after_help = EXIT_CODES)]
struct Cli {
    /// When to colour output (NO_COLOR in the environment means never).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// No progress bars or notes on stderr.
    #[arg(long, short, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Manifest(cmd::manifest::Args),
    Chain(cmd::chain::Args),
    Verify(cmd::verify::Args),
    /// apt repositories: verify the chain keyring → Release → index → .deb.
    #[command(subcommand)]
    Apt(cmd::apt::Args),
    Sigstore(cmd::sigstore::Args),
    Diff(cmd::diff::Args),
    Repro(cmd::repro::Args),
    Keygen(cmd::keygen::Args),
    Audit(cmd::audit::Args),
    Check(cmd::check::Args),
    Report(cmd::report::Args),
    Log(cmd::log::Args),
    Tuf(cmd::tuf::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints help/version to stdout (exit 0) and usage errors to
        // stderr (exit 2), which is our convention too.
        Err(e) => e.exit(),
    };
    let ui = Ui::new(cli.color, cli.quiet);
    let result = match cli.command {
        Command::Manifest(a) => cmd::manifest::run(a, &ui),
        Command::Chain(a) => cmd::chain::run(a, &ui),
        Command::Verify(a) => cmd::verify::run(a, &ui),
        Command::Apt(a) => cmd::apt::run(a, &ui),
        Command::Sigstore(a) => cmd::sigstore::run(a, &ui),
        Command::Diff(a) => cmd::diff::run(a, &ui),
        Command::Repro(a) => cmd::repro::run(a, &ui),
        Command::Keygen(a) => cmd::keygen::run(a, &ui),
        Command::Audit(a) => cmd::audit::run(a, &ui),
        Command::Check(a) => cmd::check::run(a, &ui),
        Command::Report(a) => cmd::report::run(a, &ui),
        Command::Log(a) => cmd::log::run(a, &ui),
        Command::Tuf(a) => cmd::tuf::run(a, &ui),
    };
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            ui.error(&e);
            ExitCode::from(2)
        }
    }
}
