//! `glassbox chain` (not built yet — see the open issue).

use crate::ui::{Outcome, Ui};

/// Not built yet.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _ui: &Ui) -> anyhow::Result<Outcome> {
    anyhow::bail!("`glassbox chain` is not built yet")
}
