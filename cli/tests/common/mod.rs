//! Helpers shared by the CLI's integration tests: running the built
//! binary, the demo vendor's paths, reading its output, and the corpora.
//! Each test file takes what it needs (`mod common;`), so some helpers go
//! unused in any one file.
#![allow(dead_code, unused_imports)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../../core/tests/common/corpora.rs"]
mod corpora;
pub use corpora::corpus;
#[path = "../../../core/tests/common/files.rs"]
mod files;
pub use files::{copy_dir, files_with_extension, noise};
#[path = "../../../core/tests/common/tools.rs"]
mod tools;
pub use tools::succeed;

/// The built `glassbox` binary, ready for arguments. `NO_COLOR` keeps the
/// output plain whatever the terminal.
pub fn glassbox_cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_glassbox"));
    c.env("NO_COLOR", "1");
    c
}

/// The arguments of a command line of plain words (no quoting, no
/// spaces inside an argument): `words("log init L --key log.key")`.
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// `glassbox log witness` of the log `L` (key `w.key`, state `ws`), the
/// witness the log tests run next to the log they build.
pub const WITNESS_L: &str =
    "log witness --log L --state ws --key w.key --name w.example/w1 --vkey L/vkey";

/// `glassbox log monitor` of the demo's public log and the fork served to
/// one customer (run in `testdata/demo`): a split view, exit 1.
pub const MONITOR_DEMO: &str = "log monitor --vkey log/vkey log log-targeted";

/// Runs `glassbox ARGS` and returns what it did.
pub fn glassbox<S: AsRef<OsStr>>(args: &[S]) -> Output {
    glassbox_cmd().args(args).output().expect("run glassbox")
}

/// Runs `glassbox ARGS` in the directory `dir`.
pub fn glassbox_in<S: AsRef<OsStr>>(args: &[S], dir: &Path) -> Output {
    glassbox_cmd()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run glassbox")
}

/// The repository's root (the workspace, above `cli/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A file of the demo vendor, `testdata/demo/<rel>`.
pub fn demo_path(rel: &str) -> PathBuf {
    repo_root().join("testdata/demo").join(rel)
}

/// [`demo_path`] as a string, for argument lists.
pub fn demo(rel: &str) -> String {
    demo_path(rel).to_str().unwrap().to_string()
}

/// The exit code (a test fails if a signal ended the run).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("glassbox ended by a signal")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output then standard error, for assertion messages.
pub fn text(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// Asserts that the run exited with `code` and that its output (stdout and
/// stderr) says each of `says`; returns that output. A failure shows it.
pub fn expect(o: &Output, code: i32, says: &[&str]) -> String {
    let t = text(o);
    assert_eq!(o.status.code(), Some(code), "{t}");
    for s in says {
        assert!(t.contains(s), "expected {s:?} in:\n{t}");
    }
    t
}

/// [`expect`] on standard output alone: the run exited with `code` and
/// what it printed to standard output (not its warnings) says each of
/// `says`; returns that output.
pub fn expect_stdout(o: &Output, code: i32, says: &[&str]) -> String {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
    let out = stdout(o);
    for s in says {
        assert!(out.contains(s), "expected {s:?} on stdout:\n{out}");
    }
    out
}

/// Standard output parsed as JSON; the failure shows what came instead.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The elements of the JSON array `v` (a test fails if it is not one).
pub fn items(v: &serde_json::Value) -> std::slice::Iter<'_, serde_json::Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
}

/// `glassbox keygen --algorithm ALGORITHM --out KEY`, which must succeed:
/// an auditor's signing key (`KEY`, PKCS#8) and its public key
/// (`KEY.pub`).
pub fn keygen(key: &Path, algorithm: &str) {
    let o = glassbox_cmd()
        .args(["keygen", "--algorithm", algorithm, "--out"])
        .arg(key)
        .output()
        .expect("run glassbox");
    assert!(o.status.success(), "keygen {algorithm}: {}", text(&o));
}

/// Writes a fresh log or witness signing key (PKCS#8 PEM) to `dir/name`.
pub fn write_key(dir: &Path, name: &str) {
    use glassbox_core::tlog::key;
    let der = key::generate_pkcs8().unwrap();
    std::fs::write(dir.join(name), key::pkcs8_pem(&der)).unwrap();
}

/// A long-running `glassbox` (`log serve` or `log witness --listen` on
/// 127.0.0.1:0) started in `dir`, killed when dropped. `url` is the
/// http:// URL it prints as the last word of its first line, read before
/// `start` returns so the server is listening by then.
pub struct Listening {
    child: std::process::Child,
    pub url: String,
}

impl Listening {
    pub fn start<S: AsRef<OsStr>>(args: &[S], dir: &Path) -> Self {
        use std::io::BufRead as _;
        let mut child = glassbox_cmd()
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_owned();
        Self { child, url }
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `glassbox log init LOG --origin ORIGIN --key KEY` in `d`.
pub fn init_log(d: &Path, log: &str, origin: &str, key: &str) -> Output {
    glassbox_in(&["log", "init", log, "--origin", origin, "--key", key], d)
}

/// The signed fwupd EFI image of the Authenticode corpus
/// (vendor-channels/authenticode, Debian's fwupd-amd64-signed .deb).
pub fn fwupd_image() -> Vec<u8> {
    let deb = corpus("vendor-channels/authenticode").join("fwupd-amd64-signed_1_1.4+1_amd64.deb");
    let release = glassbox_core::release::Release::open(&deb, &Default::default()).unwrap();
    let mut image = Vec::new();
    release
        .visit_contents(
            &|e| e.path.to_string().ends_with(".efi.signed"),
            &mut |_, r| {
                std::io::Read::read_to_end(r, &mut image).unwrap();
                Ok(())
            },
        )
        .unwrap();
    image
}

/// [`fwupd_image`] in `dir`, and the same image with its signature taken
/// off by `osslsigncode remove-signature`: Debian's signed file and the
/// unsigned build it signed.
pub fn fwupd_signed_and_unsigned(dir: &Path) -> (PathBuf, PathBuf) {
    let (signed, unsigned) = (dir.join("signed.efi"), dir.join("unsigned.efi"));
    std::fs::write(&signed, fwupd_image()).unwrap();
    succeed(
        Command::new("osslsigncode")
            .arg("remove-signature")
            .arg("-in")
            .arg(&signed)
            .arg("-out")
            .arg(&unsigned),
    );
    (signed, unsigned)
}
