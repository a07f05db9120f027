//! Reading the content of the entries that differ, each side once, and
//! handing it to the comparators.
//!
//! Files a source can open on their own (a directory release) are compared
//! in parallel, a pair at a time: buffered when both fit under
//! `max_compare_bytes`, otherwise streamed in lockstep. Members of archives
//! are reached by one [`ContentSource::visit`] pass per side (both sides at
//! once); a member is buffered while it fits under the per-file cap and the
//! side's total budget, and otherwise reduced to 64 KiB block digests that
//! still locate the differing ranges.

use std::collections::HashMap;
use std::io::Read;

use rayon::prelude::*;

use crate::release::{Entry, EntryKind, EntryPath};

use super::compare::binary::{self, BlockDigests, BlockHasher};
use super::compare::{self, ContentDiff, ContentKind};
use super::{ChangeClass, ContentSource, DiffError, DiffOptions, DiffProgress, EntryChange, Side};

/// Bytes read from added and removed files to recognise executables.
const SNIFF: usize = 16;

/// Whether the change needs content read.
pub(super) fn wants_content(c: &EntryChange) -> bool {
    let file =
        |s: &Option<super::EntryState>| s.as_ref().is_some_and(|s| s.kind == EntryKind::File);
    match c.class {
        ChangeClass::Modified => file(&c.old) && file(&c.new),
        ChangeClass::Added => file(&c.new),
        ChangeClass::Removed => file(&c.old),
        _ => false,
    }
}

/// What one change needs.
enum Job<'a> {
    Pair(&'a Entry, &'a Entry),
    Sniff(Side, &'a Entry),
}

/// One side's content of one entry, as captured while visiting.
#[derive(Default)]
struct Captured {
    head: Vec<u8>,
    bytes: Option<Vec<u8>>,
    blocks: Option<BlockDigests>,
}

impl Captured {
    fn blocks(&self) -> BlockDigests {
        match (&self.blocks, &self.bytes) {
            (Some(b), _) => b.clone(),
            (None, Some(bytes)) => {
                let mut h = BlockHasher::default();
                h.update(bytes);
                h.finish()
            }
            (None, None) => BlockDigests::default(),
        }
    }
}

fn read_err(side: Side, path: &EntryPath, e: impl std::fmt::Display) -> DiffError {
    DiffError::Read {
        side,
        path: path.to_string(),
        reason: e.to_string(),
    }
}

fn sniffed(head: &[u8]) -> ContentDiff {
    match compare::sniff_executable(head) {
        Some(f) => ContentDiff {
            kind: Some(ContentKind::Executable),
            executable_format: Some(f.to_string()),
            ..ContentDiff::default()
        },
        None => ContentDiff::default(),
    }
}

/// Reads a whole reader, at most `cap` bytes; `None` when it is longer.
fn read_capped(
    r: &mut dyn Read,
    cap: u64,
    hint: u64,
) -> std::io::Result<(Option<Vec<u8>>, Vec<u8>)> {
    let got = crate::fsio::read_capped(r, cap, hint)?;
    if got.over {
        return Ok((None, got.bytes));
    }
    Ok((Some(got.bytes), Vec::new()))
}

fn open<'s>(
    src: &'s dyn ContentSource,
    e: &Entry,
    side: Side,
) -> Result<Box<dyn Read + Send + 's>, DiffError> {
    match src.open(e) {
        Some(Ok(r)) => Ok(r),
        Some(Err(err)) => Err(read_err(side, &e.path, err)),
        None => Err(read_err(side, &e.path, "not directly readable")),
    }
}

/// Compares a pair that both sources can open directly.
fn compare_direct(
    old: &dyn ContentSource,
    new: &dyn ContentSource,
    o: &Entry,
    n: &Entry,
    opts: &DiffOptions,
) -> Result<ContentDiff, DiffError> {
    let cap = opts.max_compare_bytes;
    if o.size <= cap && n.size <= cap {
        let (a, _) = read_capped(&mut open(old, o, Side::Old)?, cap, o.size)
            .map_err(|e| read_err(Side::Old, &o.path, e))?;
        let (b, _) = read_capped(&mut open(new, n, Side::New)?, cap, n.size)
            .map_err(|e| read_err(Side::New, &n.path, e))?;
        if let (Some(a), Some(b)) = (a, b) {
            return Ok(compare::compare_bytes(&n.path, &a, &b, opts));
        }
    }
    // Too large to buffer: stream both in lockstep.
    let mut head = [0u8; SNIFF];
    let mut ra = open(old, o, Side::Old)?;
    let got = ra
        .read(&mut head)
        .map_err(|e| read_err(Side::Old, &o.path, e))?;
    let mut chained = (&head[..got]).chain(ra);
    let bin = binary::compare_readers(&mut chained, &mut open(new, n, Side::New)?, opts.max_ranges)
        .map_err(|e| read_err(Side::New, &n.path, e))?;
    let mut out = large_file(&head[..got]);
    out.binary = Some(bin);
    Ok(out)
}

fn large_file(head: &[u8]) -> ContentDiff {
    let mut out = sniffed(head);
    if out.kind.is_none() {
        out.kind = Some(ContentKind::Binary);
    }
    out.notes
        .push("larger than max-compare-bytes: compared as binary only".into());
    out
}

/// Visits one side and captures what the jobs need of it.
fn capture(
    src: &dyn ContentSource,
    side: Side,
    full: &HashMap<EntryPath, u64>,
    sniff: &HashMap<EntryPath, ()>,
    opts: &DiffOptions,
) -> Result<HashMap<EntryPath, Captured>, DiffError> {
    let mut out: HashMap<EntryPath, Captured> = HashMap::new();
    if full.is_empty() && sniff.is_empty() {
        return Ok(out);
    }
    let mut budget = opts.max_buffered_bytes;
    let select = |e: &Entry| full.contains_key(&e.path) || sniff.contains_key(&e.path);
    src.visit(&select, &mut |e: &Entry, r: &mut dyn Read| {
        let mut c = Captured::default();
        if full.contains_key(&e.path) {
            let cap = opts.max_compare_bytes.min(budget);
            let (bytes, partial) =
                read_capped(r, cap, e.size).map_err(|err| read_err(side, &e.path, err))?;
            match bytes {
                Some(b) => {
                    budget -= b.len() as u64;
                    c.head = b[..b.len().min(SNIFF)].to_vec();
                    c.bytes = Some(b);
                }
                None => {
                    c.head = partial[..partial.len().min(SNIFF)].to_vec();
                    let mut h = BlockHasher::default();
                    h.update(&partial);
                    drop(partial);
                    let mut buf = vec![0u8; 256 * 1024];
                    loop {
                        let n = r
                            .read(&mut buf)
                            .map_err(|err| read_err(side, &e.path, err))?;
                        if n == 0 {
                            break;
                        }
                        h.update(&buf[..n]);
                    }
                    c.blocks = Some(h.finish());
                }
            }
        } else {
            let mut head = Vec::with_capacity(SNIFF);
            r.take(SNIFF as u64)
                .read_to_end(&mut head)
                .map_err(|err| read_err(side, &e.path, err))?;
            c.head = head;
        }
        out.insert(e.path.clone(), c);
        Ok(())
    })?;
    Ok(out)
}

/// Fills `content` of every change that needs it.
pub(super) fn fill_content(
    old: &dyn ContentSource,
    new: &dyn ContentSource,
    changes: &mut [EntryChange],
    opts: &DiffOptions,
    progress: &(dyn Fn(DiffProgress) + Sync),
) -> Result<(), DiffError> {
    let want: Vec<usize> = (0..changes.len())
        .filter(|&i| wants_content(&changes[i]))
        .collect();
    if want.is_empty() {
        return Ok(());
    }
    let index = |src: &'_ dyn ContentSource| -> HashMap<EntryPath, usize> {
        src.entries()
            .iter()
            .enumerate()
            .map(|(i, e)| (e.path.clone(), i))
            .collect()
    };
    let (oi, ni) = rayon::join(|| index(old), || index(new));
    let (oe, ne) = (old.entries(), new.entries());
    let mut jobs: Vec<(usize, Job)> = Vec::new();
    for &i in &want {
        let c = &changes[i];
        let path = &c.path;
        let job = match c.class {
            ChangeClass::Modified => Job::Pair(&oe[oi[path]], &ne[ni[path]]),
            ChangeClass::Added => Job::Sniff(Side::New, &ne[ni[path]]),
            _ => Job::Sniff(Side::Old, &oe[oi[path]]),
        };
        jobs.push((i, job));
    }

    // Modified containers whose members are diffed one by one need no
    // byte comparison of their own.
    let is_expanded = |e: &Entry| e.expanded_as.is_some() && e.path.depth() < opts.max_depth;
    let mut results: Vec<(usize, ContentDiff)> = Vec::new();
    let direct = |side: Side, e: &Entry| match side {
        Side::Old => old.open(e).is_some(),
        Side::New => new.open(e).is_some(),
    };
    let mut quick: Vec<(usize, Job)> = Vec::new();
    let mut visit: Vec<(usize, Job)> = Vec::new();
    for (i, job) in jobs {
        match &job {
            Job::Pair(o, n) if is_expanded(o) && is_expanded(n) => results.push((
                i,
                ContentDiff {
                    kind: Some(ContentKind::Archive),
                    ..ContentDiff::default()
                },
            )),
            Job::Pair(o, n) if direct(Side::Old, o) && direct(Side::New, n) => quick.push((i, job)),
            Job::Sniff(s, e) if direct(*s, e) => quick.push((i, job)),
            _ => visit.push((i, job)),
        }
    }

    let quick_results: Vec<Result<(usize, ContentDiff), DiffError>> = quick
        .par_iter()
        .map(|(i, job)| {
            let r = match job {
                Job::Pair(o, n) => compare_direct(old, new, o, n, opts),
                Job::Sniff(side, e) => {
                    let src = if *side == Side::Old { old } else { new };
                    let mut head = Vec::with_capacity(SNIFF);
                    open(src, e, *side).and_then(|r| {
                        r.take(SNIFF as u64)
                            .read_to_end(&mut head)
                            .map_err(|err| read_err(*side, &e.path, err))?;
                        Ok(sniffed(&head))
                    })
                }
            };
            progress(DiffProgress::Compared);
            // One unreadable file is a note on that file, not the end of the diff.
            Ok((
                *i,
                r.unwrap_or_else(|e| ContentDiff {
                    notes: vec![e.to_string()],
                    ..ContentDiff::default()
                }),
            ))
        })
        .collect();
    for r in quick_results {
        results.push(r?);
    }

    if !visit.is_empty() {
        let mut full_old = HashMap::new();
        let mut full_new = HashMap::new();
        let mut sniff_old = HashMap::new();
        let mut sniff_new = HashMap::new();
        for (_, job) in &visit {
            match job {
                Job::Pair(o, n) => {
                    full_old.insert(o.path.clone(), o.size);
                    full_new.insert(n.path.clone(), n.size);
                }
                Job::Sniff(Side::Old, e) => {
                    sniff_old.insert(e.path.clone(), ());
                }
                Job::Sniff(Side::New, e) => {
                    sniff_new.insert(e.path.clone(), ());
                }
            }
        }
        let (co, cn) = rayon::join(
            || capture(old, Side::Old, &full_old, &sniff_old, opts),
            || capture(new, Side::New, &full_new, &sniff_new, opts),
        );
        let (co, cn) = (co?, cn?);
        let missing = |side: Side, p: &EntryPath| ContentDiff {
            notes: vec![format!(
                "{side} content of {p} was not delivered by the reader"
            )],
            ..ContentDiff::default()
        };
        let visited: Vec<(usize, ContentDiff)> = visit
            .par_iter()
            .map(|(i, job)| {
                let d = match job {
                    Job::Pair(o, n) => match (co.get(&o.path), cn.get(&n.path)) {
                        (Some(a), Some(b)) => match (&a.bytes, &b.bytes) {
                            (Some(x), Some(y)) => compare::compare_bytes(&n.path, x, y, opts),
                            _ => {
                                let mut out = large_file(&b.head);
                                out.binary = Some(binary::compare_blocks(
                                    &a.blocks(),
                                    &b.blocks(),
                                    opts.max_ranges,
                                ));
                                out.notes.push(format!(
                                    "differing ranges located to {} KiB blocks",
                                    binary::BLOCK / 1024
                                ));
                                out
                            }
                        },
                        (None, _) => missing(Side::Old, &o.path),
                        (_, None) => missing(Side::New, &n.path),
                    },
                    Job::Sniff(side, e) => {
                        let m = if *side == Side::Old { &co } else { &cn };
                        m.get(&e.path)
                            .map_or_else(|| missing(*side, &e.path), |c| sniffed(&c.head))
                    }
                };
                progress(DiffProgress::Compared);
                (*i, d)
            })
            .collect();
        results.extend(visited);
    }

    for (i, d) in results {
        let empty = d.kind.is_none() && d.notes.is_empty();
        if !empty {
            changes[i].content = Some(d);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::source::memory::MemoryRelease;
    use super::super::{ReleaseDiff, diff_sources};
    use super::*;

    fn pair(random_access: bool) -> (MemoryRelease, MemoryRelease) {
        let ls = std::fs::read("/bin/ls").unwrap_or_else(|_| b"MZ-not-really".repeat(1000));
        let mut ls2 = ls.clone();
        let at = ls2.len() / 2;
        ls2[at] ^= 1;
        let a = MemoryRelease::new(random_access)
            .with_file("pkg/readme.txt", b"hello\nworld\n")
            .with_file("pkg/bin/ls", &ls)
            .with_file("pkg/conf.json", br#"{"a":1}"#)
            .with_file("pkg/gone.txt", b"removed text");
        let b = MemoryRelease::new(random_access)
            .with_file("pkg/readme.txt", b"hello\nthere world\n")
            .with_file("pkg/bin/ls", &ls2)
            .with_file("pkg/conf.json", br#"{"a":2}"#)
            .with_file("pkg/new.bin", b"\x7fELF\x02\x01\x01\x00 plus more");
        (a, b)
    }

    fn run(a: &MemoryRelease, b: &MemoryRelease, opts: &DiffOptions) -> ReleaseDiff {
        diff_sources(a, b, opts, &|_| {}).unwrap()
    }

    fn kinds(d: &ReleaseDiff) -> Vec<(String, Option<ContentKind>)> {
        d.changes
            .iter()
            .map(|c| (c.path.to_string(), c.content.as_ref().and_then(|x| x.kind)))
            .collect()
    }

    #[test]
    fn direct_and_visited_sources_give_the_same_diff() {
        let (a, b) = pair(true);
        let direct = run(&a, &b, &DiffOptions::default());
        let (a, b) = pair(false);
        let visited = run(&a, &b, &DiffOptions::default());
        assert_eq!(
            serde_json::to_value(&direct.changes).unwrap(),
            serde_json::to_value(&visited.changes).unwrap()
        );
        assert_eq!(
            kinds(&direct),
            vec![
                (
                    "pkg/bin/ls".into(),
                    Some(if std::path::Path::new("/bin/ls").exists() {
                        ContentKind::Executable
                    } else {
                        ContentKind::Binary
                    })
                ),
                ("pkg/conf.json".into(), Some(ContentKind::Config)),
                ("pkg/gone.txt".into(), None),
                ("pkg/new.bin".into(), Some(ContentKind::Executable)),
                ("pkg/readme.txt".into(), Some(ContentKind::Text)),
            ]
        );
        assert_eq!(
            (
                direct.summary.modified,
                direct.summary.added,
                direct.summary.removed
            ),
            (3, 1, 1)
        );
        assert!(
            direct
                .summary
                .changed_executables
                .iter()
                .any(|e| e.path.to_string() == "pkg/new.bin" && e.class == ChangeClass::Added)
        );
    }

    #[test]
    fn over_the_cap_direct_streams_exactly_and_visited_uses_blocks() {
        let opts = DiffOptions {
            max_compare_bytes: 1024,
            ..DiffOptions::default()
        };
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut big2 = big.clone();
        big2[200_001] ^= 0xff;
        let a = MemoryRelease::new(true).with_file("f", &big);
        let b = MemoryRelease::new(true).with_file("f", &big2);
        let d = run(&a, &b, &opts);
        let bin = d.changes[0]
            .content
            .as_ref()
            .unwrap()
            .binary
            .clone()
            .unwrap();
        assert_eq!(
            (bin.granularity, bin.ranges[0].offset, bin.ranges[0].len),
            (1, 200_001, 1)
        );
        assert!(!bin.hexdump.is_empty());

        let a = MemoryRelease::new(false).with_file("f", &big);
        let b = MemoryRelease::new(false).with_file("f", &big2);
        let d = run(&a, &b, &opts);
        let c = d.changes[0].content.as_ref().unwrap();
        let bin = c.binary.clone().unwrap();
        assert_eq!(
            (bin.granularity, bin.ranges[0].offset, bin.ranges[0].len),
            (binary::BLOCK, 3 * binary::BLOCK, binary::BLOCK)
        );
        assert!(c.notes.iter().any(|n| n.contains("blocks")));
    }

    #[test]
    fn buffer_budget_degrades_to_blocks_instead_of_growing() {
        let opts = DiffOptions {
            max_buffered_bytes: 10,
            ..DiffOptions::default()
        };
        let (a, b) = pair(false);
        let d = run(&a, &b, &opts);
        let readme = d
            .changes
            .iter()
            .find(|c| c.path.to_string() == "pkg/readme.txt")
            .unwrap();
        let c = readme.content.as_ref().unwrap();
        assert!(c.text.is_none() && c.binary.is_some(), "{c:?}");
    }
}
