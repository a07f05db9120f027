//! `glassbox manifest`: every entry of a release with its digest.

use std::path::PathBuf;

use glassbox_core::digest::DigestSet;
use glassbox_core::release::{Limits, ReadOptions, Release};

use crate::render::{Format, Formats};
use crate::ui::{Outcome, Ui};

const EXAMPLES: &str = "\
Examples:
  glassbox manifest vendor-1.1.0/
  glassbox manifest vendor-1.1.0.tar.gz --format json > manifest.json
  cd vendor-1.1.0 && glassbox manifest --format sha256sum . | sha256sum -c
  glassbox manifest update.zip --sha512 --max-ratio 200 --max-depth 2

Exit codes: 0 read, nothing suspicious (`info:` lines, such as a package's
absolute symlink to a file of the installed system, do not fail); 1 read,
with findings (`..` or absolute names, symlinks leaving the release,
duplicates, nested archives not expanded); 2 unreadable, corrupt, or a
limit was crossed.";

/// List every entry of a release (directory or archive, nested archives
/// expanded) with its SHA-256 digest.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The release: a directory, or a tar/tar.gz/tar.xz/tar.zst/tar.bz2,
    /// zip (jar, apk, whl), ar or .deb file, or a .gz/.xz/.zst/.bz2 file.
    pub release: PathBuf,

    /// Output format. `sha256sum` is exactly coreutils' format (top-level
    /// files only, so `sha256sum -c` can check a directory); findings then
    /// go to stderr.
    #[arg(long, default_value_t = Format::Text, value_parser = Formats(&[Format::Text, Format::Json, Format::Sha256sum]))]
    pub format: Format,

    /// Also compute SHA-512.
    #[arg(long)]
    pub sha512: bool,

    #[command(flatten)]
    pub read: ReadArgs,
}

/// Options for reading an untrusted release, shared by every command that
/// reads one (`#[command(flatten)] read: manifest::ReadArgs`).
#[derive(clap::Args, Clone, Debug)]
pub struct ReadArgs {
    /// Do not expand archives found inside the release.
    #[arg(long)]
    pub no_nested: bool,

    /// How many archives deep nested archives are expanded.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,

    /// Total bytes that may be read after decompression (suffixes K, M, G, T:
    /// powers of 1024).
    #[arg(long, value_name = "BYTES", default_value = "64G", value_parser = parse_bytes)]
    pub max_expanded_bytes: u64,

    /// Total entries across all (nested) containers.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries)]
    pub max_entries: u64,

    /// Largest decompressed:compressed ratio of any stream or member
    /// (judged once it has produced more than 1 MiB).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_ratio)]
    pub max_ratio: u64,
}

impl ReadArgs {
    /// The core options these arguments stand for.
    pub fn options(&self, digests: DigestSet) -> ReadOptions {
        ReadOptions {
            limits: Limits {
                max_depth: self.max_depth,
                max_expanded_bytes: self.max_expanded_bytes,
                max_entries: self.max_entries,
                max_ratio: self.max_ratio,
            },
            digests,
            expand_nested: !self.no_nested,
        }
    }
}

/// Parses `123`, `64K`, `512M`, `64G`, `1T` (binary multiples).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(format!("unknown size suffix in `{s}` (use K, M, G or T)")),
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a byte count (e.g. 1048576, 512M, 64G)"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// Bridges core's progress reports to the terminal bar.
struct Bar(indicatif::ProgressBar);

impl glassbox_core::release::Progress for Bar {
    fn start(&self, total_bytes: u64) {
        self.0.set_length(total_bytes);
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<Outcome> {
    let mut opts = args.read.options(DigestSet {
        sha512: args.sha512,
    });
    if args.format == Format::Sha256sum {
        // Nested entries have no file of their own to check.
        opts.expand_nested = false;
    }
    let bar = Bar(ui.progress(0, "hashing"));
    let release = Release::open_with_progress(&args.release, &opts, Some(&bar))?;
    bar.0.finish_and_clear();

    crate::render::manifest::release(&release, args.format, ui)?;
    // Informational findings (a package's absolute symlink to a file of the
    // installed system) are shown but do not fail.
    Ok(Outcome::from_ok(
        release.findings.iter().all(|f| f.kind.is_informational()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_bytes_accepts_binary_suffixes_and_rejects_garbage() {
        assert_eq!(parse_bytes("64G"), Ok(64 << 30));
        assert_eq!(parse_bytes("512m"), Ok(512 << 20));
        assert_eq!(parse_bytes("100"), Ok(100));
        assert!(parse_bytes("12X").is_err());
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("99999999999T").is_err());
    }
}
