//! What the chain needs from a `.deb` (deb(5)): its SHA-256 and size, and,
//! when no index lists that digest, its own `control` file to say which
//! package it claims to be. The package is read through the release
//! reader (`core::release`), which reads `.deb` as an ar archive and
//! expands `control.tar.*`, so there is one reader for packages.

use std::path::Path;

use super::deb822::Paragraphs;
use crate::release::{EntryPath, ReadOptions, Release};

/// Largest `control` file read.
const MAX_CONTROL_BYTES: u64 = 1024 * 1024;

/// Package, version and architecture a `.deb` names in its `control`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebIdentity {
    /// `Package`.
    pub package: String,
    /// `Version`.
    pub version: String,
    /// `Architecture`.
    pub architecture: String,
}

/// The `control` member of `control.tar.*` (deb(5): `./control`, or
/// `control` as some builders write it).
fn is_control(p: &EntryPath) -> bool {
    let segs = p.segments();
    segs.len() == 2
        && segs[0].as_bytes().starts_with(b"control.tar")
        && matches!(segs[1].as_bytes(), b"./control" | b"control")
}

/// Reads the identity a `.deb` claims in its `control` file.
pub fn identity(path: &Path) -> Result<DebIdentity, String> {
    let deb = Release::open(path, &ReadOptions::default()).map_err(|e| e.to_string())?;
    if deb.format != crate::release::Format::Deb {
        return Err(format!(
            "not a Debian package (read as {})",
            deb.format.name()
        ));
    }
    let controls: Vec<&EntryPath> = deb
        .entries
        .iter()
        .map(|e| &e.path)
        .filter(|p| is_control(p))
        .collect();
    let [control] = controls[..] else {
        return Err(format!(
            "{} control files in control.tar (deb(5) has exactly one)",
            controls.len()
        ));
    };
    let bytes = deb
        .read_entry(control, MAX_CONTROL_BYTES)
        .map_err(|e| e.to_string())?;
    let para = Paragraphs::new(&bytes[..], MAX_CONTROL_BYTES)
        .next()
        .ok_or("the control file is empty")?
        .map_err(|e| format!("control: {e}"))?;
    let field = |name: &str| -> Result<String, String> {
        match para.single(name) {
            Ok(Some(v)) if !v.is_empty() => Ok(v.to_string()),
            Ok(_) => Err(format!("control: no {name} field")),
            Err(e) => Err(format!("control: {e}")),
        }
    };
    Ok(DebIdentity {
        package: field("Package")?,
        version: field("Version")?,
        architecture: field("Architecture")?,
    })
}
