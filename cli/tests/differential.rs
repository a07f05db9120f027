//! Differential test of the release reader against real extractors (issue
//! 18): every archive of a hostile corpus, and a few hundred seeded
//! mutations, is read by glassbox (`glassbox manifest --format json
//! --no-nested`) and extracted by GNU tar, bsdtar (libarchive), Python's
//! tarfile (the fully_trusted default and `filter='data'`) and zipfile,
//! Info-ZIP `unzip -n` and `unzip -o`, and Java's `ZipInputStream`, each
//! into a fresh sandbox. Each reading is a set of (path → file digest,
//! directory, symlink target, other).
//!
//! The rule, "one reading": when glassbox reads an archive (manifest exit
//! 0; exit 1 lists reader findings, each of which fails `glassbox verify`,
//! so it counts as a refusal, like exit 2), every extractor that extracts
//! it without error must leave exactly glassbox's set. An extractor that
//! errors out refuses for itself and is not compared: refusing is safe,
//! and glassbox is then answerable only to the extractors that did read.
//! When glassbox refuses there is nothing to compare: whatever the
//! extractors do, no auditor was told the archive holds something it does
//! not. So glassbox must refuse every archive that two extractors read
//! differently, or that any extractor reads differently from glassbox.
//!
//! Controls (honest archives) must be read by glassbox and every extractor
//! alike, which proves the harness compares what it claims to.
//!
//! An extractor that is not installed fails the test under `CI=true` and
//! is skipped with a notice otherwise. `GLASSBOX_DIFF_SEED` and
//! `GLASSBOX_DIFF_MUTANTS` change the generator's seed (default fixed) and
//! count (default 300); `GLASSBOX_DIFF_BIN` runs another glassbox binary.

#[path = "differential/corpus.rs"]
mod corpus;
#[path = "differential/extractors.rs"]
mod extractors;
#[path = "differential/glassbox.rs"]
mod glassbox;
#[path = "differential/mutate.rs"]
mod mutate;
#[path = "differential/tarb.rs"]
mod tarb;
#[path = "differential/zipb.rs"]
mod zipb;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use corpus::Case;
use extractors::{Family, Job, Node, Reading, Tool, Tree};

const DEFAULT_SEED: u64 = 0x6c61_7373_626f_7831;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            let v = v.trim();
            match v.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => v.parse(),
            }
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
        })
        .unwrap_or(default)
}

/// The extractors to run; a missing one fails under CI, else is skipped.
fn tools() -> Vec<Tool> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let mut have = Vec::new();
    for t in Tool::ALL {
        match t.available() {
            Ok(()) => have.push(t),
            Err(why) if ci => panic!(
                "{} is not available ({why}); CI must install it (.ci/run apt_packages)",
                t.name()
            ),
            Err(why) => eprintln!("differential: skipping {}: {why}", t.name()),
        }
    }
    have
}

/// How one extractor's set differs from glassbox's, in a few lines.
fn describe(glassbox: &Tree, other: &Tree) -> String {
    let mut lines = Vec::new();
    for (k, v) in other {
        match glassbox.get(k) {
            None => lines.push(format!("    + {k}: {v:?} (glassbox does not list it)")),
            Some(g) if g != v => lines.push(format!("    ~ {k}: {v:?}, glassbox says {g:?}")),
            _ => {}
        }
    }
    for (k, g) in glassbox {
        if !other.contains_key(k) {
            lines.push(format!("    - {k}: glassbox lists {g:?}, not extracted"));
        }
    }
    lines.truncate(6);
    for l in &mut lines {
        if l.len() > 240 {
            let mut cut = 240;
            while !l.is_char_boundary(cut) {
                cut -= 1;
            }
            l.truncate(cut);
            l.push_str("...");
        }
    }
    lines.join("\n")
}

/// glassbox's reading of one case, and each extractor's.
type CaseReadings = (Reading, Vec<(Tool, Reading)>);

struct Verdict {
    glassbox: Reading,
    tools: Vec<(Tool, Reading)>,
}

/// Reads every case with glassbox and every extractor that reads its
/// family.
fn run_all(cases: &[Case], tools: &[Tool], root: &Path) -> Vec<Verdict> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
    let mut archives = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let dir = root.join(format!("{i:03}"));
        fs::create_dir(&dir).unwrap();
        let ext = if c.family == Family::Tar {
            "tar"
        } else {
            "zip"
        };
        let a = dir.join(format!("archive.{ext}"));
        fs::write(&a, &c.bytes).unwrap();
        fs::set_permissions(&a, fs::Permissions::from_mode(0o644)).unwrap();
        archives.push((dir, a));
    }

    // Command-line extractors and glassbox, per case, on two threads.
    let cli_tools: Vec<Tool> = tools
        .iter()
        .copied()
        .filter(|t| matches!(t, Tool::GnuTar | Tool::Bsdtar | Tool::UnzipN | Tool::UnzipO))
        .collect();
    let mut per_case: Vec<CaseReadings> = Vec::new();
    let chunks: Vec<Vec<usize>> = {
        let idx: Vec<usize> = (0..cases.len()).collect();
        let half = idx.len().div_ceil(2).max(1);
        idx.chunks(half).map(<[usize]>::to_vec).collect()
    };
    let results: Vec<Vec<(usize, CaseReadings)>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let (archives, cli_tools) = (&archives, &cli_tools);
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|&i| {
                            let (dir, a) = &archives[i];
                            let g = glassbox::reading(a);
                            let readings = cli_tools
                                .iter()
                                .filter(|t| t.reads(cases[i].family))
                                .map(|&t| {
                                    let out = extractors::sandbox(dir, t);
                                    (t, extractors::run_cli(t, a, &out))
                                })
                                .collect();
                            (i, (g, readings))
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut flat: Vec<_> = results.into_iter().flatten().collect();
    flat.sort_by_key(|r| r.0);
    per_case.extend(flat.into_iter().map(|(_, r)| r));

    // Python and Java: one process each for every job.
    let mut py_jobs = Vec::new();
    let mut java_jobs = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let (dir, a) = &archives[i];
        for &t in tools {
            if !t.reads(c.family) {
                continue;
            }
            let job = |t| Job {
                id: i,
                tool: t,
                archive: a.clone(),
                out: extractors::sandbox(dir, t),
            };
            match t {
                Tool::PyTarDefault | Tool::PyTarData | Tool::PyZipfile => py_jobs.push(job(t)),
                Tool::JavaZipInputStream => java_jobs.push(job(t)),
                _ => {}
            }
        }
    }
    // Jobs of one tool per batch, so ids stay unique within a batch.
    for t in [Tool::PyTarDefault, Tool::PyTarData, Tool::PyZipfile] {
        let jobs: Vec<Job> = py_jobs.extract_if(.., |j| j.tool == t).collect();
        let r = extractors::run_batch(&["python3"], &here.join("extract.py"), &jobs);
        for (j, reading) in jobs.iter().zip(r) {
            per_case[j.id].1.push((t, reading));
        }
    }
    let r = extractors::run_batch(
        &["java", "-XX:-UsePerfData", "-Xshare:auto"],
        &here.join("Extract.java"),
        &java_jobs,
    );
    for (j, reading) in java_jobs.iter().zip(r) {
        per_case[j.id].1.push((Tool::JavaZipInputStream, reading));
    }
    per_case
        .into_iter()
        .map(|(glassbox, tools)| Verdict { glassbox, tools })
        .collect()
}

/// Root of the sandboxes: traversable by `nobody`, not writable by it.
fn sandbox_root() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    fs::set_permissions(t.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let p = t.path().to_path_buf();
    (t, p)
}

/// Checks the rule over `cases`; returns the violations, one paragraph
/// each, and prints a summary.
fn check(label: &str, cases: &[Case]) -> Vec<String> {
    let tools = tools();
    let (_keep, root) = sandbox_root();
    let start = Instant::now();
    let verdicts = run_all(cases, &tools, &root);
    let mut violations = Vec::new();
    let mut stats: BTreeMap<&str, usize> = BTreeMap::new();
    for (c, v) in cases.iter().zip(&verdicts) {
        let readers: Vec<&(Tool, Reading)> = v
            .tools
            .iter()
            .filter(|(_, r)| matches!(r, Reading::Read(_)))
            .collect();
        match &v.glassbox {
            Reading::Refused(why) => {
                *stats.entry("glassbox refused").or_default() += 1;
                if c.control {
                    violations.push(format!(
                        "{}: control archive refused by glassbox: {why}",
                        c.name
                    ));
                }
            }
            Reading::Read(g) => {
                *stats.entry("glassbox read").or_default() += 1;
                if readers.is_empty() {
                    // Not a violation (no extractor produced a set), but
                    // worth a look: glassbox is more lenient than all.
                    let n = stats
                        .entry("glassbox read, every extractor refused")
                        .or_default();
                    *n += 1;
                    if *n <= 5 {
                        eprintln!(
                            "differential: glassbox read, every extractor refused: {}",
                            c.name
                        );
                    }
                }
                for (t, r) in &v.tools {
                    match r {
                        Reading::Read(x) if x != g => violations.push(format!(
                            "{}: glassbox read it, {} extracted a different set:\n{}",
                            c.name,
                            t.name(),
                            describe(g, x)
                        )),
                        Reading::Refused(why) if c.control => violations.push(format!(
                            "{}: control archive refused by {}: {why}",
                            c.name,
                            t.name()
                        )),
                        _ => {}
                    }
                }
            }
        }
    }
    eprintln!(
        "differential {label}: {} archives, {} extractors, {:.1} s; {stats:?}",
        cases.len(),
        tools.len(),
        start.elapsed().as_secs_f64()
    );
    violations
}

fn assert_no_violations(violations: Vec<String>) {
    assert!(
        violations.is_empty(),
        "{} archive(s) read by glassbox differently from a real extractor \
         (glassbox must refuse them):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[test]
fn hostile_corpus_is_refused_or_read_as_every_extractor_reads_it() {
    let cases = corpus::cases();
    assert!(cases.len() >= 30, "the corpus lost cases");
    assert_no_violations(check("corpus", &cases));
}

#[test]
fn mutated_archives_are_refused_or_read_as_every_extractor_reads_them() {
    let seed = env_u64("GLASSBOX_DIFF_SEED", DEFAULT_SEED);
    let count = env_u64("GLASSBOX_DIFF_MUTANTS", 300) as usize;
    let cases = mutate::generate(seed, count);
    let violations = check(&format!("mutants (seed {seed:#x})"), &cases);
    assert_no_violations(violations);
}

/// The harness must see a disagreement when there is one: a tree that
/// differs from glassbox's by one digest is reported.
#[test]
fn harness_reports_a_differing_extraction() {
    let mut g = Tree::new();
    g.insert("a".into(), Node::File("00".into()));
    let mut x = g.clone();
    x.insert("a".into(), Node::File("11".into()));
    assert!(describe(&g, &x).contains("~ a"));
}

/// A write outside `out` (here, beside it, as a `../` name would land) is
/// part of the extractor's tree, so it can never equal glassbox's.
#[test]
fn sandbox_sees_writes_outside_the_destination() {
    let (_keep, root) = sandbox_root();
    let out = extractors::sandbox(&root, Tool::GnuTar);
    fs::write(out.join("inside"), b"x").unwrap();
    fs::write(out.join("../../beside"), b"y").unwrap();
    let tree = extractors::tree_of(&out);
    assert_eq!(tree.len(), 2, "{tree:?}");
    assert!(matches!(tree.get("inside"), Some(Node::File(_))));
    assert_eq!(tree.get("<escaped>/beside"), Some(&Node::Escaped));
}
