//! The engine binaries: compiled from `c/*.c` with the system `cc`, and the
//! one-byte tamper of the engine.

use std::path::Path;
use std::process::Command;

use object::{Object, ObjectSection};

use crate::{Result, err};

const AVENGINE_C: &str = include_str!("c/avengine.c");
const LIBSCAN_C: &str = include_str!("c/libscan.c");

/// The compiled binaries a release ships.
#[derive(Clone, Debug)]
pub struct Binaries {
    /// `engine/avengine` of 1.0.0.
    pub avengine_1_0: Vec<u8>,
    /// `engine/avengine` of 1.1.0 (same source with `-DAVENGINE_1_1`).
    pub avengine_1_1: Vec<u8>,
    /// `engine/libscan.so`, the same in both releases.
    pub libscan: Vec<u8>,
}

/// Compiles the binaries with `cc` in a scratch directory. The sources are
/// given by relative name so the only path recorded (the STT_FILE symbol)
/// does not depend on where the scratch directory is.
pub fn compile(scratch: &Path) -> Result<Binaries> {
    std::fs::create_dir_all(scratch).map_err(|e| err(format!("creating scratch dir: {e}")))?;
    std::fs::write(scratch.join("avengine.c"), AVENGINE_C)?;
    std::fs::write(scratch.join("libscan.c"), LIBSCAN_C)?;
    let cc = |args: &[&str]| -> Result<()> {
        let status = Command::new("cc")
            .args(args)
            .current_dir(scratch)
            .status()
            .map_err(|e| err(format!("running cc (needed to build the engine): {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(err(format!("cc {} failed: {status}", args.join(" "))))
        }
    };
    cc(&[
        "-O2",
        "-Wl,--build-id=sha1",
        "-o",
        "avengine-1.0",
        "avengine.c",
    ])?;
    cc(&[
        "-O2",
        "-Wl,--build-id=sha1",
        "-DAVENGINE_1_1",
        "-o",
        "avengine-1.1",
        "avengine.c",
    ])?;
    cc(&[
        "-O2",
        "-shared",
        "-fPIC",
        "-Wl,--build-id=sha1",
        "-Wl,-soname,libscan.so",
        "-o",
        "libscan.so",
        "libscan.c",
    ])?;
    let read = |name: &str| {
        std::fs::read(scratch.join(name)).map_err(|e| err(format!("reading built {name}: {e}")))
    };
    Ok(Binaries {
        avengine_1_0: read("avengine-1.0")?,
        avengine_1_1: read("avengine-1.1")?,
        libscan: read("libscan.so")?,
    })
}

/// The string in `.rodata` the tamper changes, and the byte it changes to.
const TAMPER_NEEDLE: &[u8] = b"updates.exampleav.invalid";
const TAMPER_INDEX: usize = 11; // the `m` of `exampleav`
const TAMPER_BYTE: u8 = b'n';

/// Where the tamper changed the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tamper {
    /// File offset of the changed byte.
    pub offset: usize,
    /// Byte before.
    pub old: u8,
    /// Byte after.
    pub new: u8,
}

/// Changes one byte of the update URL string inside `.rodata`
/// (`updates.exampleav.invalid` → `updates.exanpleav.invalid`). The build-id
/// note is left alone, so it no longer matches the content.
pub fn tamper(elf: &[u8]) -> Result<(Vec<u8>, Tamper)> {
    let file = object::File::parse(elf).map_err(|e| err(format!("engine is not ELF: {e}")))?;
    let rodata = file
        .section_by_name(".rodata")
        .ok_or_else(|| err("engine has no .rodata"))?;
    let (start, size) = rodata
        .file_range()
        .ok_or_else(|| err(".rodata has no file range"))?;
    let (start, size) = (start as usize, size as usize);
    let section = elf
        .get(start..start + size)
        .ok_or_else(|| err(".rodata out of file bounds"))?;
    let hits: Vec<usize> = section
        .windows(TAMPER_NEEDLE.len())
        .enumerate()
        .filter(|(_, w)| *w == TAMPER_NEEDLE)
        .map(|(i, _)| i)
        .collect();
    let [at] = hits[..] else {
        return Err(err(format!(
            "expected the update URL once in .rodata, found it {} times",
            hits.len()
        )));
    };
    let offset = start + at + TAMPER_INDEX;
    let mut out = elf.to_vec();
    let old = out[offset];
    out[offset] = TAMPER_BYTE;
    Ok((
        out,
        Tamper {
            offset,
            old,
            new: TAMPER_BYTE,
        },
    ))
}

/// Checks that `data` looks like an ELF file (used on reused binaries).
pub fn check_elf(name: &str, data: &[u8]) -> Result<()> {
    if data.starts_with(b"\x7fELF") {
        Ok(())
    } else {
        Err(err(format!("{name} is not an ELF file")))
    }
}
