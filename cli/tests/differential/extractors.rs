//! The real extractors, each run into a fresh sandbox, and the tree each
//! leaves behind read back as a [`Tree`].
//!
//! Sandbox: `<case>/<tool>/d1/d2/d3/out`. The extractor writes into `out`;
//! anything that appears elsewhere under `<tool>` was written outside the
//! destination (a `..` name, a write through a symlink) and is recorded
//! as an escape, which no reading of glassbox's can equal. When the test
//! runs as root the command-line extractors (GNU tar, bsdtar, unzip) run as
//! `nobody` (setpriv, with a system PATH), so an archive cannot make them
//! write anywhere a normal user could not. Python and Java run as the test
//! does (a user's pyenv interpreter is often unreadable by `nobody`) and
//! instead check every destination before writing (`extract.py`,
//! `Extract.java`): a member that would land outside is recorded as an
//! escape and not written.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use glassbox_core::digest::Sha256Digest;
use glassbox_core::release::write_escaped;

/// What a reader leaves at one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A regular file with this SHA-256 (hex).
    File(String),
    Dir,
    /// A symbolic link with this target (escaped).
    Symlink(String),
    /// A FIFO, device or socket.
    Other,
    /// A hard link (in glassbox's listing) to a name it does not list.
    DanglingHardlink(String),
    /// Written outside the destination (path relative to the sandbox).
    Escaped,
}

/// Every path (escaped as glassbox escapes it) a reading produces.
pub type Tree = BTreeMap<String, Node>;

/// A reader's verdict on one archive.
#[derive(Clone, Debug)]
pub enum Reading {
    Read(Tree),
    /// The reader stopped with an error (its own words).
    Refused(String),
}

/// The archive families; each extractor reads one or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Tar,
    Zip,
}

/// One extractor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    GnuTar,
    Bsdtar,
    PyTarDefault,
    PyTarData,
    PyZipfile,
    UnzipN,
    UnzipO,
    JavaZipInputStream,
}

impl Tool {
    pub const ALL: [Tool; 8] = [
        Tool::GnuTar,
        Tool::Bsdtar,
        Tool::PyTarDefault,
        Tool::PyTarData,
        Tool::PyZipfile,
        Tool::UnzipN,
        Tool::UnzipO,
        Tool::JavaZipInputStream,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tool::GnuTar => "gnu-tar",
            Tool::Bsdtar => "bsdtar",
            Tool::PyTarDefault => "python-tarfile",
            Tool::PyTarData => "python-tarfile-data",
            Tool::PyZipfile => "python-zipfile",
            Tool::UnzipN => "unzip-n",
            Tool::UnzipO => "unzip-o",
            Tool::JavaZipInputStream => "java-zipinputstream",
        }
    }

    /// Whether the tool reads this family (bsdtar reads both).
    pub fn reads(self, f: Family) -> bool {
        match self {
            Tool::GnuTar | Tool::PyTarDefault | Tool::PyTarData => f == Family::Tar,
            Tool::Bsdtar => true,
            Tool::PyZipfile | Tool::UnzipN | Tool::UnzipO | Tool::JavaZipInputStream => {
                f == Family::Zip
            }
        }
    }

    /// Whether the tool is installed and works; probes the real command.
    pub fn available(self) -> Result<(), String> {
        let probe = |cmd: &mut Command, want: &str| -> Result<(), String> {
            let out = cmd
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run: {e}"))?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            if text.contains(want) {
                Ok(())
            } else {
                Err(format!("probe did not print `{want}`: {text}"))
            }
        };
        match self {
            Tool::GnuTar => probe(unprivileged("tar").arg("--version"), "GNU tar"),
            Tool::Bsdtar => probe(unprivileged("bsdtar").arg("--version"), "libarchive"),
            Tool::PyTarDefault | Tool::PyZipfile => probe(
                Command::new("python3").args(["-c", "import tarfile, zipfile; print('py-ok')"]),
                "py-ok",
            ),
            // PEP 706 filters: Python 3.12, backported to 3.11.4.
            Tool::PyTarData => probe(
                Command::new("python3")
                    .args(["-c", "import tarfile; tarfile.data_filter; print('py-ok')"]),
                "py-ok",
            ),
            Tool::UnzipN | Tool::UnzipO => probe(unprivileged("unzip").arg("-v"), "Info-ZIP"),
            Tool::JavaZipInputStream => {
                probe(Command::new("java").arg("--list-modules"), "jdk.compiler")
            }
        }
    }
}

/// Runs `cmd` as `nobody` when we are root.
fn unprivileged(program: &str) -> Command {
    if is_root() {
        let mut c = Command::new("setpriv");
        c.env("PATH", "/usr/local/bin:/usr/bin:/bin");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            program,
        ]);
        c
    } else {
        Command::new(program)
    }
}

pub fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// Creates the sandbox for one (case, tool) and returns `out`.
pub fn sandbox(case_dir: &Path, tool: Tool) -> PathBuf {
    let top = case_dir.join(tool.name());
    let out = top.join("d1/d2/d3/out");
    fs::create_dir_all(&out).unwrap();
    if is_root() {
        for d in [
            top.clone(),
            top.join("d1"),
            top.join("d1/d2"),
            top.join("d1/d2/d3"),
            out.clone(),
        ] {
            std::os::unix::fs::chown(&d, Some(65534), Some(65534)).unwrap();
        }
    }
    out
}

fn escaped(bytes: &[u8]) -> String {
    let mut s = String::new();
    write_escaped(&mut s, bytes).unwrap();
    s
}

/// Reads back the tree under `dir` (never following links), paths relative
/// to `dir` and escaped, into `tree` under `prefix`.
fn walk(dir: &Path, rel: &[u8], tree: &mut Tree, skip: Option<&Path>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut names: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    names.sort();
    for p in names {
        if Some(p.as_path()) == skip {
            continue;
        }
        let mut r = rel.to_vec();
        if !r.is_empty() {
            r.push(b'/');
        }
        r.extend_from_slice(p.file_name().unwrap().as_bytes());
        let Ok(m) = fs::symlink_metadata(&p) else {
            continue;
        };
        let key = escaped(&r);
        if m.file_type().is_symlink() {
            let t = fs::read_link(&p).unwrap();
            tree.insert(key, Node::Symlink(escaped(t.as_os_str().as_bytes())));
        } else if m.is_dir() {
            tree.insert(key, Node::Dir);
            walk(&p, &r, tree, skip);
        } else if m.is_file() {
            let data = fs::read(&p).unwrap();
            tree.insert(key, Node::File(Sha256Digest::of(&data).to_hex()));
        } else {
            tree.insert(key, Node::Other);
        }
    }
}

/// The tree left in the sandbox: what is under `out`, plus every escape.
pub fn tree_of(out: &Path) -> Tree {
    let mut tree = Tree::new();
    walk(out, b"", &mut tree, None);
    // Anything beside the d1/d2/d3/out chain was written outside `out`.
    let mut level = out.parent().unwrap().to_path_buf();
    let mut skip = out.to_path_buf();
    for _ in 0..4 {
        let mut outside = Tree::new();
        walk(&level, b"", &mut outside, Some(&skip));
        for (k, _) in outside {
            tree.insert(format!("<escaped>/{k}"), Node::Escaped);
        }
        skip = level.clone();
        level = level.parent().unwrap().to_path_buf();
    }
    tree
}

/// Runs one command-line extractor on `archive` into `out`.
pub fn run_cli(tool: Tool, archive: &Path, out: &Path) -> Reading {
    let mut cmd = match tool {
        Tool::GnuTar => {
            let mut c = unprivileged("tar");
            c.arg("-xf").arg(archive).arg("-C").arg(out);
            c
        }
        Tool::Bsdtar => {
            let mut c = unprivileged("bsdtar");
            c.arg("-xf").arg(archive).arg("-C").arg(out);
            c
        }
        Tool::UnzipN | Tool::UnzipO => {
            let mut c = unprivileged("unzip");
            c.arg(if tool == Tool::UnzipN { "-n" } else { "-o" })
                .arg("-q")
                .arg(archive)
                .arg("-d")
                .arg(out);
            c
        }
        _ => unreachable!("batch tools run through run_batch"),
    };
    let res = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", tool.name()));
    let code = res.status.code().unwrap_or(-1);
    // unzip's 1 is "warnings, but processing completed successfully" (it
    // skipped a `../` component, say): the files are there, so it read.
    let ok = code == 0 || (code == 1 && matches!(tool, Tool::UnzipN | Tool::UnzipO));
    if ok {
        Reading::Read(tree_of(out))
    } else {
        let err = String::from_utf8_lossy(&res.stderr);
        let err = err.lines().next().unwrap_or("").to_string();
        Reading::Refused(format!("exit {code}: {err}"))
    }
}

/// One job of a batch tool (Python, Java): which archive into which `out`.
pub struct Job {
    pub id: usize,
    pub tool: Tool,
    pub archive: PathBuf,
    pub out: PathBuf,
}

/// Runs the Python or Java jobs in one process and returns each job's
/// reading, in job order.
pub fn run_batch(program: &[&str], script: &Path, jobs: &[Job]) -> Vec<Reading> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let mut input = String::new();
    for j in jobs {
        let mode = match j.tool {
            Tool::PyTarDefault => "tar-default\t",
            Tool::PyTarData => "tar-data\t",
            Tool::PyZipfile => "zipfile\t",
            _ => "",
        };
        input.push_str(&format!(
            "{}\t{mode}{}\t{}\n",
            j.id,
            j.archive.display(),
            j.out.display()
        ));
    }
    let mut cmd = Command::new(program[0]);
    cmd.args(&program[1..]).arg(script);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", program[0]));
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let res = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        res.status.success(),
        "{} {} failed: {}",
        program.join(" "),
        script.display(),
        String::from_utf8_lossy(&res.stderr)
    );
    let mut status: BTreeMap<usize, Result<Vec<String>, String>> = BTreeMap::new();
    let mut escapes: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&res.stdout).lines() {
        let mut f = line.splitn(3, '\t');
        let id: usize = f.next().unwrap().parse().unwrap();
        match (f.next(), f.next()) {
            (Some("ok"), _) => {
                status.insert(id, Ok(escapes.remove(&id).unwrap_or_default()));
            }
            (Some("error"), m) => {
                status.insert(id, Err(m.unwrap_or("").to_string()));
            }
            (Some("escape"), Some(h)) => {
                let name = hex::decode(h).unwrap();
                escapes.entry(id).or_default().push(escaped(&name));
            }
            other => panic!("unexpected line from {}: {line} ({other:?})", program[0]),
        }
    }
    jobs.iter()
        .map(|j| match status.remove(&j.id) {
            Some(Ok(esc)) => {
                let mut tree = tree_of(&j.out);
                for e in esc {
                    tree.insert(format!("<escaped>/{e}"), Node::Escaped);
                }
                Reading::Read(tree)
            }
            Some(Err(m)) => Reading::Refused(m),
            None => panic!("{} gave no result for job {}", program[0], j.id),
        })
        .collect()
}
