//! `--format`: the one output-format type every command takes.
//!
//! Each command accepts the subset it can render ([`Formats`]), so
//! `glassbox tuf --format html` is a usage error (exit 2) listing what that
//! command does offer, not a silent fallback to text.

use std::ffi::OsStr;
use std::fmt;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For people (the default everywhere).
    Text,
    /// One JSON document; its schema is under `core/schema/`.
    Json,
    /// Markdown (CommonMark with tables).
    Markdown,
    /// One self-contained HTML page.
    Html,
    /// `<sha256>  <path>` lines, as coreutils' `sha256sum` prints them.
    Sha256sum,
}

impl Format {
    /// The `--format` value.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Sha256sum => "sha256sum",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Format::Text => "For people",
            Format::Json => "One JSON document (schema under core/schema/)",
            Format::Markdown => "Markdown (CommonMark with tables)",
            Format::Html => "One self-contained HTML page",
            Format::Sha256sum => "`<sha256>  <path>` lines, as sha256sum prints them",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The formats one command offers: its `--format` value parser.
#[derive(Clone, Copy)]
pub struct Formats(pub &'static [Format]);

/// `text` and `json`: what most commands offer.
pub const TEXT_JSON: Formats = Formats(&[Format::Text, Format::Json]);

impl TypedValueParser for Formats {
    type Value = Format;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Format, clap::Error> {
        // clap's own parser gives the usual "invalid value ... [possible
        // values: ...]" error for anything outside this command's subset.
        let name = PossibleValuesParser::new(self.0.iter().map(|f| f.name()))
            .parse_ref(cmd, arg, value)?;
        Ok(*self
            .0
            .iter()
            .find(|f| f.name() == name)
            .expect("PossibleValuesParser returns one of the names it was given"))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            self.0
                .iter()
                .map(|f| PossibleValue::new(f.name()).help(f.help())),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_the_commands_subset() {
        let cmd = clap::Command::new("t");
        let parse = |v: &str| TEXT_JSON.parse_ref(&cmd, None, OsStr::new(v));
        assert_eq!(parse("json").unwrap(), Format::Json);
        assert_eq!(parse("text").unwrap(), Format::Text);
        assert!(parse("html").is_err());
        assert!(parse("JSON").is_err());
    }
}
