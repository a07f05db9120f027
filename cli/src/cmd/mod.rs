//! One module per subcommand: its clap `Args` and a `run` that calls core
//! and renders the result.

pub mod apt;
pub mod audit;
pub mod chain;
pub mod check;
pub mod diff;
pub mod keygen;
pub mod log;
pub mod manifest;
pub mod report;
pub mod repro;
pub mod sigstore;
pub mod tuf;
pub mod verify;
