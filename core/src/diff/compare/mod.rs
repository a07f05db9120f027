//! Content comparators, one module per kind, dispatched through one
//! registry ([`REGISTRY`]): the first comparator that recognises both sides
//! compares them. Adding a kind is adding one module and one line.

pub mod authenticode;
pub mod binary;
pub mod exec;
pub mod postlink;
pub mod structured;
pub mod text;

use serde::Serialize;

use crate::release::EntryPath;

use super::DiffOptions;

pub use authenticode::{AuthenticodeDiff, CODE_IDENTICAL_RESIGNED};
pub use binary::{BinaryDiff, ByteRange, HexWindow};
pub use exec::{ExecutableDiff, SectionRow, SymbolChanges};
pub use structured::{KeyChange, KeyChangeOp, StructuredDiff};
pub use text::{DiffLine, Hunk, LineTag, Segment, TextDiff, TextEncoding};

/// What kind of content an entry holds, as far as the differ is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContentKind {
    /// Text (UTF-8 or Latin-1).
    Text,
    /// A JSON, TOML or YAML configuration file.
    Config,
    /// An ELF, PE or Mach-O executable or library.
    Executable,
    /// Anything else.
    Binary,
    /// A container whose members are compared one by one.
    Archive,
}

/// The in-depth comparison of one entry's two contents. Which parts are
/// present depends on the kind: `text` for text and configs, `structured`
/// for configs, `executable` and `binary` for executables, `binary` for
/// everything else.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContentDiff {
    /// The kind the registry recognised (`null` when not compared).
    pub kind: Option<ContentKind>,
    /// For executables: `elf`, `pe` or `macho` (also for added and removed
    /// ones, which are recognised by their first bytes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executable_format: Option<String>,
    /// Line diff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextDiff>,
    /// Key-level diff of a configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structured: Option<StructuredDiff>,
    /// Section, symbol and build-id comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executable: Option<ExecutableDiff>,
    /// Authenticode signatures of a PE pair (at least one side signed):
    /// the certificate table, its directory entry and the CheckSum are
    /// described here and left out of `binary`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticode: Option<AuthenticodeDiff>,
    /// Functions, strings and capability surface (executables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<super::code::CodeDiff>,
    /// Differing byte ranges.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary: Option<BinaryDiff>,
    /// Why a part is missing or approximate (size caps, parse failures).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The two contents of one entry, both fully in memory.
pub struct Sides<'a> {
    /// The entry (its name decides the config formats).
    pub path: &'a EntryPath,
    /// The old release's content.
    pub old: &'a [u8],
    /// The new release's content.
    pub new: &'a [u8],
}

/// One content comparator.
pub trait Comparator: Sync {
    /// The kind it handles.
    fn kind(&self) -> ContentKind;
    /// Whether it handles this pair.
    fn recognises(&self, s: &Sides<'_>) -> bool;
    /// Compares; fills `out`.
    fn compare(&self, s: &Sides<'_>, opts: &DiffOptions, out: &mut ContentDiff);
}

/// The comparators, most specific first; [`binary::BinaryComparator`]
/// accepts everything.
pub static REGISTRY: &[&dyn Comparator] = &[
    &exec::ExecutableComparator,
    &structured::StructuredComparator,
    &text::TextComparator,
    &binary::BinaryComparator,
];

/// Compares two contents held in memory with the first comparator of the
/// registry that recognises them.
pub fn compare_bytes(path: &EntryPath, old: &[u8], new: &[u8], opts: &DiffOptions) -> ContentDiff {
    let mut out = ContentDiff::default();
    let sides = Sides { path, old, new };
    for c in REGISTRY {
        if c.recognises(&sides) {
            out.kind = Some(c.kind());
            c.compare(&sides, opts, &mut out);
            if let Some(e) = &out.executable {
                out.executable_format = Some(e.format.clone());
            }
            break;
        }
    }
    out
}

/// The executable format of content, from its first bytes (for listing
/// added and removed executables without parsing them).
pub fn sniff_executable(head: &[u8]) -> Option<&'static str> {
    match head {
        [0x7f, b'E', b'L', b'F', ..] => Some("elf"),
        [b'M', b'Z', ..] => Some("pe"),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..] | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..] => Some("macho"),
        _ => None,
    }
}
