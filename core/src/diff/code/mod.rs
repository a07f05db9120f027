//! What the code of an update does differently: functions added, removed
//! and changed (with a disassembly diff), strings added and removed, and
//! what the update adds to the capability surface (imports by what they let
//! code do, network endpoints and other indicators in strings).
//!
//! Functions are found in [`functions`] (symbols, then unwind tables for
//! what symbols miss), printed by [`disasm`] with every address replaced by
//! what it points at, so that code that only moved compares equal. Named
//! functions are paired by name; unnamed ones (a stripped binary) by
//! aligning the two address-ordered lists of their normalized digests, as a
//! line diff aligns lines. Strings are in [`strings`], the surface in
//! [`surface`].
//!
//! Work is bounded: bytes disassembled per side are capped at
//! [`DECODE_FACTOR`] times the executable sections (hostile overlapping
//! ranges cannot multiply the work), the disassembly diff at
//! [`CodeOptions::max_lines_per_function`] and
//! [`CodeOptions::max_total_lines`], and every cut is said in `notes`.

pub mod functions;
pub mod strings;
pub mod surface;

mod disasm;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use object::Object;
use rayon::prelude::*;
use serde::Serialize;
use similar::{Algorithm, DiffOp};

use super::compare::LineTag;
use functions::{Function, FunctionMap, FunctionSource};
use strings::FoundString;
use surface::{Surface, SurfaceChange};

pub use surface::{Capability, IndicatorKind};

/// Bytes disassembled per side, as a multiple of the size of the
/// executable sections (plus 1 MiB): overlapping function ranges past it
/// are not compared.
pub const DECODE_FACTOR: u64 = 4;
/// Instructions per function fed to the disassembly diff.
const MAX_DIFF_INSTRUCTIONS: usize = 50_000;
/// Time one alignment (function list or one function's lines) may take
/// before the diff falls back to a coarser answer.
const ALIGN_DEADLINE: Duration = Duration::from_secs(2);
/// Context lines around each change in a disassembly diff.
const CONTEXT: usize = 3;

/// How much of the code to compare and show.
#[derive(Clone, Debug)]
pub struct CodeOptions {
    /// Compare functions, strings and surface at all.
    pub enabled: bool,
    /// Shortest string (in characters) reported.
    pub min_string_len: usize,
    /// Functions listed per list (added, removed, changed); all are counted.
    pub max_functions: usize,
    /// Disassembly diff lines kept per changed function.
    pub max_lines_per_function: usize,
    /// Disassembly diff lines kept per executable.
    pub max_total_lines: usize,
    /// Strings listed per list (added, removed); all are counted.
    pub max_strings: usize,
}

impl Default for CodeOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            min_string_len: 6,
            max_functions: 500,
            max_lines_per_function: 200,
            max_total_lines: 20_000,
            max_strings: 1000,
        }
    }
}

/// The code comparison of one executable.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CodeDiff {
    /// Functions added, removed, changed.
    pub functions: FunctionDiff,
    /// Strings added and removed.
    pub strings: StringsDiff,
    /// What the update adds to and removes from the capability surface.
    pub surface: SurfaceDiff,
    /// What was cut, skipped or approximated, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Added and removed capability surface.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SurfaceDiff {
    /// Only in the new executable.
    pub added: SurfaceChange,
    /// Only in the old executable.
    pub removed: SurfaceChange,
}

/// Strings added and removed (sorted, distinct).
#[derive(Clone, Debug, Default, Serialize)]
pub struct StringsDiff {
    /// The minimum length used.
    pub min_length: usize,
    /// Only in the new executable (first [`CodeOptions::max_strings`]).
    pub added: Vec<FoundString>,
    /// Only in the old executable.
    pub removed: Vec<FoundString>,
    /// All added, counted.
    pub added_count: u64,
    /// All removed, counted.
    pub removed_count: u64,
}

/// A function on one side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FunctionRef {
    /// Symbol name, or `fn@0x<start>` when only an unwind entry knows it.
    pub name: String,
    /// Start address.
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
    /// Where the range came from.
    pub source: FunctionSource,
}

/// One line of a function's disassembly diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AsmLine {
    /// Context, removed or added.
    pub tag: LineTag,
    /// Address in the old executable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_address: Option<u64>,
    /// Address in the new executable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_address: Option<u64>,
    /// The normalized instruction.
    pub text: String,
}

/// A function whose normalized code differs.
#[derive(Clone, Debug, Serialize)]
pub struct ChangedFunction {
    /// The name (the new side's).
    pub name: String,
    /// The old function.
    pub old: FunctionRef,
    /// The new function.
    pub new: FunctionRef,
    /// Disassembly diff in hunks of context, removed and added lines
    /// (empty when only the bytes were compared or the total cap was hit).
    pub lines: Vec<AsmLine>,
    /// Instructions removed plus added, all counted (label lines are
    /// shown, not counted).
    pub changed_lines: u64,
    /// Whether `lines` was cut.
    pub truncated: bool,
}

/// Functions added, removed and changed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FunctionDiff {
    /// The instruction set disassembled (`x86-64`, `x86`), `null` when the
    /// architecture is not disassembled: functions are then compared by
    /// their bytes and no disassembly is shown.
    pub disassembly: Option<String>,
    /// Functions found in the old executable.
    pub old_count: u64,
    /// Functions found in the new executable.
    pub new_count: u64,
    /// Only in the new executable.
    pub added: Vec<FunctionRef>,
    /// Only in the old executable.
    pub removed: Vec<FunctionRef>,
    /// In both, normalized code differs.
    pub changed: Vec<ChangedFunction>,
    /// All added, counted.
    pub added_count: u64,
    /// All removed, counted.
    pub removed_count: u64,
    /// All changed, counted.
    pub changed_count: u64,
    /// Same normalized code at another address (not listed as changed).
    pub moved_count: u64,
    /// Same normalized code at the same address.
    pub unchanged_count: u64,
    /// Pairs not compared (the decode budget ran out).
    pub not_compared_count: u64,
}

/// One side, read.
struct Side<'d> {
    map: FunctionMap<'d>,
    targets: Option<Arc<disasm::Targets>>,
    /// Per function: normalized digest (`None`: not compared).
    fingerprints: Vec<Option<u64>>,
    surface: Surface,
    strings: strings::Strings<'d>,
}

fn analyse<'d>(f: &object::File<'d>, data: &'d [u8], opts: &CodeOptions) -> Side<'d> {
    use std::hash::{DefaultHasher, Hasher};
    let mut map = functions::read(f, data);
    let bits = disasm::bitness(f.architecture());
    let targets = bits.map(|b| Arc::new(disasm::Targets::of(f, data, &map, b)));
    // Sections do not overlap (see `functions`), but several may still
    // name the same file bytes at different addresses: the budget is
    // also bounded by the file's size.
    let code_bytes: u64 = map.code.iter().map(|c| c.data.len() as u64).sum();
    let budget = code_bytes
        .min(data.len() as u64)
        .saturating_mul(DECODE_FACTOR)
        + (1 << 20);
    let spent = AtomicU64::new(0);
    let fingerprints: Vec<Option<u64>> = map
        .functions
        .par_iter()
        .map_init(
            || {
                bits.zip(targets.clone())
                    .map(|(b, t)| disasm::Disassembler::new(b, t))
            },
            |dis, func| {
                let bytes = map.bytes(func)?;
                if spent.fetch_add(func.size, Ordering::Relaxed) + func.size > budget {
                    return None;
                }
                Some(match dis {
                    Some(d) => d.fingerprint(func.address, bytes),
                    None => {
                        let mut h = DefaultHasher::new();
                        h.write(bytes);
                        h.finish()
                    }
                })
            },
        )
        .collect();
    let skipped = fingerprints.iter().filter(|x| x.is_none()).count();
    if skipped > 0 {
        map.notes.push(format!(
            "decode budget ({budget} bytes, {DECODE_FACTOR}x the code) spent: {skipped} function(s) not compared"
        ));
    }
    let strings = strings::extract(data, opts.min_string_len);
    if strings.cut {
        map.notes.push(format!(
            "more than {} distinct strings: the rest were not compared",
            strings::MAX_STRINGS
        ));
    }
    let mut surface = Surface {
        imports: surface::imports(f, &mut map.notes),
        ..Surface::default()
    };
    for (s, _) in &strings.set {
        surface::indicators_in(s, &mut surface.indicators);
    }
    Side {
        map,
        targets,
        fingerprints,
        surface,
        strings,
    }
}

fn fref(f: &Function) -> FunctionRef {
    FunctionRef {
        name: f.name.clone(),
        address: f.address,
        size: f.size,
        source: f.source,
    }
}

/// Pairs the functions of both sides: (old index, new index) pairs, then
/// old-only and new-only indices.
fn pair(old: &Side, new: &Side) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
    fn by_name<'a>(s: &'a Side) -> HashMap<&'a str, usize> {
        s.map
            .functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.named)
            .map(|(i, f)| (f.name.as_str(), i))
            .collect()
    }
    let (on, nn) = (by_name(old), by_name(new));
    let mut pairs = Vec::new();
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for (i, f) in new
        .map
        .functions
        .iter()
        .enumerate()
        .filter(|(_, f)| f.named)
    {
        match on.get(f.name.as_str()) {
            Some(&o) => pairs.push((o, i)),
            None => added.push(i),
        }
    }
    for (i, f) in old
        .map
        .functions
        .iter()
        .enumerate()
        .filter(|(_, f)| f.named)
    {
        if !nn.contains_key(f.name.as_str()) {
            removed.push(i);
        }
    }
    // Unnamed functions: align the address-ordered digest lists. A digest
    // that was not computed never equals another.
    let unnamed = |s: &Side| -> Vec<(usize, u64)> {
        s.map
            .functions
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.named)
            .map(|(i, _)| (i, s.fingerprints[i].unwrap_or(u64::MAX - i as u64)))
            .collect()
    };
    let (ou, nu) = (unnamed(old), unnamed(new));
    let ofp: Vec<u64> = ou.iter().map(|x| x.1).collect();
    let nfp: Vec<u64> = nu.iter().map(|x| x.1).collect();
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &ofp,
        &nfp,
        Some(Instant::now() + ALIGN_DEADLINE),
    );
    for op in ops {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => pairs.extend((0..len).map(|k| (ou[old_index + k].0, nu[new_index + k].0))),
            DiffOp::Delete {
                old_index, old_len, ..
            } => removed.extend(ou[old_index..old_index + old_len].iter().map(|x| x.0)),
            DiffOp::Insert {
                new_index, new_len, ..
            } => added.extend(nu[new_index..new_index + new_len].iter().map(|x| x.0)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let both = old_len.min(new_len);
                pairs.extend((0..both).map(|k| (ou[old_index + k].0, nu[new_index + k].0)));
                removed.extend(
                    ou[old_index + both..old_index + old_len]
                        .iter()
                        .map(|x| x.0),
                );
                added.extend(
                    nu[new_index + both..new_index + new_len]
                        .iter()
                        .map(|x| x.0),
                );
            }
        }
    }
    (pairs, removed, added)
}

/// Normalized instructions of one function: (address, text).
fn listing(side: &Side, f: &Function, bits: u32) -> Vec<(u64, String)> {
    let (Some(targets), Some(bytes)) = (&side.targets, side.map.bytes(f)) else {
        return Vec::new();
    };
    let mut d = disasm::Disassembler::new(bits, targets.clone());
    let mut out = Vec::new();
    d.each(f.address, bytes, |a, t| {
        if out.len() < MAX_DIFF_INSTRUCTIONS {
            out.push((a, t.to_string()));
        }
    });
    out
}

/// The disassembly diff of a changed pair: lines (at most `cap`), changed
/// line count, whether cut.
fn asm_diff(old: &[(u64, String)], new: &[(u64, String)], cap: usize) -> (Vec<AsmLine>, u64, bool) {
    let ot: Vec<&str> = old.iter().map(|x| x.1.as_str()).collect();
    let nt: Vec<&str> = new.iter().map(|x| x.1.as_str()).collect();
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &ot,
        &nt,
        Some(Instant::now() + ALIGN_DEADLINE),
    );
    let mut lines = Vec::new();
    let mut changed = 0u64;
    let mut truncated = false;
    for group in similar::group_diff_ops(ops, CONTEXT) {
        for op in group {
            for (tag, o, n) in op.iter_changes(&ot, &nt).map(|c| {
                let tag = match c.tag() {
                    similar::ChangeTag::Equal => LineTag::Context,
                    similar::ChangeTag::Delete => LineTag::Removed,
                    similar::ChangeTag::Insert => LineTag::Added,
                };
                (tag, c.old_index(), c.new_index())
            }) {
                let text = match (o, n) {
                    (Some(i), _) => &old[i].1,
                    (None, Some(i)) => &new[i].1,
                    (None, None) => "",
                };
                // A label line is where a jump lands, not an instruction.
                if tag != LineTag::Context && !disasm::is_label(text) {
                    changed += 1;
                }
                if lines.len() >= cap {
                    truncated = true;
                    continue;
                }
                let text = text.to_string();
                lines.push(AsmLine {
                    tag,
                    old_address: o.map(|i| old[i].0),
                    new_address: n.map(|i| new[i].0),
                    text,
                });
            }
        }
    }
    (lines, changed, truncated)
}

/// Compares the code of two parsed executables (`old_data`, `new_data`
/// their bytes).
pub fn diff_code(
    old: &object::File,
    new: &object::File,
    old_data: &[u8],
    new_data: &[u8],
    opts: &CodeOptions,
) -> CodeDiff {
    let (o, n) = rayon::join(
        || analyse(old, old_data, opts),
        || analyse(new, new_data, opts),
    );
    let mut notes: Vec<String> = Vec::new();
    for (side, s) in [("old", &o), ("new", &n)] {
        notes.extend(s.map.notes.iter().map(|x| format!("{side}: {x}")));
    }
    let bits = disasm::bitness(new.architecture()).filter(|_| o.targets.is_some());
    if bits.is_none() {
        notes.push(format!(
            "{:?}: not disassembled (x86 and x86-64 only); functions compared by their bytes",
            new.architecture()
        ));
    }
    let (pairs, removed, added) = pair(&o, &n);

    let mut fd = FunctionDiff {
        disassembly: bits.map(|b| if b == 64 { "x86-64" } else { "x86" }.to_string()),
        old_count: o.map.functions.len() as u64,
        new_count: n.map.functions.len() as u64,
        added_count: added.len() as u64,
        removed_count: removed.len() as u64,
        ..FunctionDiff::default()
    };
    let sorted = |idx: &[usize], s: &Side| -> Vec<FunctionRef> {
        let mut v: Vec<FunctionRef> = idx.iter().map(|&i| fref(&s.map.functions[i])).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v.truncate(opts.max_functions);
        v
    };
    fd.added = sorted(&added, &n);
    fd.removed = sorted(&removed, &o);
    let mut changed: Vec<(usize, usize)> = Vec::new();
    for &(oi, ni) in &pairs {
        match (o.fingerprints[oi], n.fingerprints[ni]) {
            (Some(a), Some(b)) if a == b => {
                if o.map.functions[oi].address == n.map.functions[ni].address {
                    fd.unchanged_count += 1;
                } else {
                    fd.moved_count += 1;
                }
            }
            (Some(_), Some(_)) => changed.push((oi, ni)),
            _ => fd.not_compared_count += 1,
        }
    }
    fd.changed_count = changed.len() as u64;
    changed.sort_by(|a, b| n.map.functions[a.1].name.cmp(&n.map.functions[b.1].name));
    changed.truncate(opts.max_functions);
    let mut budget = opts.max_total_lines;
    for (oi, ni) in changed {
        let (of, nf) = (&o.map.functions[oi], &n.map.functions[ni]);
        let (lines, changed_lines, truncated) = match bits {
            Some(b) if budget > 0 => {
                let cap = opts.max_lines_per_function.min(budget);
                let old_listing = listing(&o, of, b);
                let mut new_listing = listing(&n, nf, b);
                disasm::align_labels(
                    &old_listing,
                    &mut new_listing,
                    Instant::now() + ALIGN_DEADLINE,
                );
                let r = asm_diff(&old_listing, &new_listing, cap);
                budget -= r.0.len();
                r
            }
            Some(_) => (Vec::new(), 0, true),
            None => (Vec::new(), 0, false),
        };
        fd.changed.push(ChangedFunction {
            name: nf.name.clone(),
            old: fref(of),
            new: fref(nf),
            lines,
            changed_lines,
            truncated,
        });
    }
    if fd.changed_count as usize > fd.changed.len()
        || fd.added_count as usize > fd.added.len()
        || fd.removed_count as usize > fd.removed.len()
    {
        notes.push(format!(
            "functions listed: first {} per list by name (all counted)",
            opts.max_functions
        ));
    }
    if fd.changed.iter().any(|c| c.truncated) {
        notes.push(format!(
            "disassembly diff cut at {} lines per function and {} per executable",
            opts.max_lines_per_function, opts.max_total_lines
        ));
    }

    let strings = strings_diff(&o.strings, &n.strings, opts);
    if strings.added_count as usize > strings.added.len()
        || strings.removed_count as usize > strings.removed.len()
    {
        notes.push(format!(
            "strings listed: first {} per list (all counted)",
            opts.max_strings
        ));
    }
    CodeDiff {
        functions: fd,
        strings,
        surface: SurfaceDiff {
            added: SurfaceChange {
                imports: surface::minus(&n.surface.imports, &o.surface.imports),
                indicators: surface::minus(&n.surface.indicators, &o.surface.indicators),
            },
            removed: SurfaceChange {
                imports: surface::minus(&o.surface.imports, &n.surface.imports),
                indicators: surface::minus(&o.surface.indicators, &n.surface.indicators),
            },
        },
        notes,
    }
}

fn strings_diff(o: &strings::Strings, n: &strings::Strings, opts: &CodeOptions) -> StringsDiff {
    let only = |a: &strings::Strings, b: &strings::Strings| -> (Vec<FoundString>, u64) {
        let mut count = 0u64;
        let mut list = Vec::new();
        for (text, enc) in a.minus(b) {
            count += 1;
            if list.len() < opts.max_strings {
                list.push(strings::shown(text, enc));
            }
        }
        (list, count)
    };
    let (added, added_count) = only(n, o);
    let (removed, removed_count) = only(o, n);
    StringsDiff {
        min_length: opts.min_string_len,
        added,
        removed,
        added_count,
        removed_count,
    }
}
