//! `glassbox tuf client` speaks the tuf-conformance client-under-test
//! protocol end to end against generated corpus cases served over
//! loopback HTTP by a tiny std::net server; `glassbox tuf verify` renders
//! and exits as documented.

mod common;
use common::{corpus, stderr, stdout};

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Serves files below a switchable root directory; logs request paths.
struct Server {
    url: String,
    root: Arc<Mutex<PathBuf>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(root: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let root = Arc::new(Mutex::new(root.to_path_buf()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (r, l) = (root.clone(), log.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                }
                let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
                l.lock().unwrap().push(path.clone());
                let rel = String::from_utf8(percent_decode(&path)).unwrap();
                let file = r.lock().unwrap().join(rel.trim_start_matches('/'));
                let _ = match std::fs::read(&file) {
                    Ok(body) if !rel.contains("..") => stream
                        .write_all(
                            format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())
                                .as_bytes(),
                        )
                        .and_then(|_| stream.write_all(&body)),
                    _ => stream.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
                };
            }
        });
        Self { url, root, log }
    }

    fn serve(&self, root: &Path) {
        *self.root.lock().unwrap() = root.to_path_buf();
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn glassbox(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(args)
        .output()
        .unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    (out.status.code().unwrap(), text)
}

/// A case of the generated tuf-conformance corpus.
fn tuf_case(name: &str) -> PathBuf {
    corpus("tuf/generated/cases").join(name)
}

/// `glassbox tuf client --metadata-dir MD ARGS...`
fn tuf_client(md: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["tuf", "client", "--metadata-dir", md.to_str().unwrap()];
    all.extend(args);
    glassbox(&all)
}

/// `glassbox tuf verify --root ROOT --repo REPO ARGS...`
fn tuf_verify(root: &Path, repo: &str, args: &[&str]) -> (i32, String) {
    let mut all = vec![
        "tuf",
        "verify",
        "--root",
        root.to_str().unwrap(),
        "--repo",
        repo,
    ];
    all.extend(args);
    glassbox(&all)
}

struct Conformance<'a> {
    server: &'a Server,
    md: PathBuf,
    td: PathBuf,
    _tmp: tempfile::TempDir,
}

impl<'a> Conformance<'a> {
    /// A fresh client (empty metadata and target dirs) of `server`,
    /// initialised with `root` as its trust anchor.
    fn init_with(server: &'a Server, root: &Path) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let (md, td) = (tmp.path().join("metadata"), tmp.path().join("targets"));
        std::fs::create_dir_all(&md).unwrap();
        std::fs::create_dir_all(&td).unwrap();
        let c = Conformance {
            server,
            md,
            td,
            _tmp: tmp,
        };
        assert_eq!(c.init(root), 0);
        c
    }

    fn init(&self, root: &Path) -> i32 {
        tuf_client(&self.md, &["init", root.to_str().unwrap()]).0
    }
    fn refresh(&self) -> (i32, String) {
        tuf_client(
            &self.md,
            &[
                "--metadata-url",
                &format!("{}/metadata", self.server.url),
                "refresh",
            ],
        )
    }
    fn download(&self, target: &str) -> (i32, String) {
        let (metadata, targets) = (
            format!("{}/metadata", self.server.url),
            format!("{}/targets/", self.server.url),
        );
        tuf_client(
            &self.md,
            &[
                "--metadata-url",
                &metadata,
                "--target-name",
                target,
                "--target-base-url",
                &targets,
                "--target-dir",
                self.td.to_str().unwrap(),
                "download",
            ],
        )
    }
    fn trusted_version(&self, role: &str) -> u64 {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.md.join(format!("{role}.json"))).unwrap())
                .unwrap();
        v["signed"]["version"].as_u64().unwrap()
    }
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn conformance_protocol_valid_repository() {
    let case = tuf_case("valid");
    let server = Server::start(&case);
    let c = Conformance::init_with(&server, &case.join("initial_root.json"));
    assert!(
        server.requests().is_empty(),
        "init must not touch the network"
    );
    let (code, out) = c.refresh();
    assert_eq!(code, 0, "{out}");
    assert_eq!(c.trusted_version("root"), 2);
    for role in ["timestamp", "snapshot", "targets"] {
        assert_eq!(c.trusted_version(role), 1);
    }
    let reqs = server.requests();
    assert_eq!(
        reqs,
        [
            "/metadata/2.root.json",
            "/metadata/3.root.json",
            "/metadata/timestamp.json",
            "/metadata/1.snapshot.json",
            "/metadata/1.targets.json"
        ]
    );
    for t in [
        "client/av-engine-1.2.3.bin",
        "client/release-notes.txt",
        "bases/daily-2026-10-01.bin",
    ] {
        let (code, out) = c.download(t);
        assert_eq!(code, 0, "{t}: {out}");
        let stored = c.td.join(t.replace('/', "%2F"));
        assert_eq!(
            std::fs::read(stored).unwrap(),
            std::fs::read(case.join("targets").join(t)).unwrap()
        );
    }
    assert_eq!(c.trusted_version("bases"), 1);
    // Consistent-snapshot target names, and the delegated role was fetched.
    let reqs = server.requests();
    assert!(reqs.iter().any(|r| r
        == "/targets/client/1e5046ad2d694842b8877eb21e8e2455590e14df2022becf6d90d06718f2db97.av-engine-1.2.3.bin"));
    assert!(reqs.iter().any(|r| r == "/metadata/1.bases.json"));
    // A second download of the same target is served from the target dir.
    let before = server.requests().len();
    assert_eq!(c.download("client/release-notes.txt").0, 0);
    let after: Vec<_> = server.requests().split_off(before);
    assert!(
        after.iter().all(|r| r.starts_with("/metadata/")),
        "{after:?}"
    );
    // Unknown targets fail.
    assert_eq!(c.download("client/none.bin").0, 1);
    // Nothing changed: a refresh re-reads only the next root and the
    // timestamp; snapshot and targets come from the metadata dir.
    let before = server.requests().len();
    assert_eq!(c.refresh().0, 0);
    let after: Vec<_> = server.requests().split_off(before);
    assert_eq!(after, ["/metadata/3.root.json", "/metadata/timestamp.json"]);
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn conformance_protocol_rollback_across_refreshes() {
    let case = tuf_case("rollback-timestamp");
    let server = Server::start(&case.join("step1"));
    let c = Conformance::init_with(&server, &case.join("step1/initial_root.json"));
    assert_eq!(c.refresh().0, 0);
    assert_eq!(c.trusted_version("timestamp"), 2);
    server.serve(&case.join("step2"));
    let (code, out) = c.refresh();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rollback"), "{out}");
    assert_eq!(c.trusted_version("timestamp"), 2);
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn conformance_protocol_bad_targets_and_unicode_names() {
    let case = tuf_case("target-file-tampered");
    let server = Server::start(&case);
    let c = Conformance::init_with(&server, &case.join("initial_root.json"));
    let (code, out) = c.download("client/av-engine-1.2.3.bin");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("hash"), "{out}");
    assert!(!c.td.join("client%2Fav-engine-1.2.3.bin").exists());
    assert_eq!(c.download("client/release-notes.txt").0, 0);

    let case = tuf_case("canonical-json-edge");
    server.serve(&case);
    let c = Conformance::init_with(&server, &case.join("initial_root.json"));
    let (code, out) = c.download("client/na\u{ef}ve file \u{fc}ml.txt");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn conformance_init_refuses_garbage_and_refresh_needs_init() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, b"{not json").unwrap();
    let md = tmp.path().join("md");
    let (code, out) = tuf_client(&md, &["init", bad.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let no_server = ["--metadata-url", "http://127.0.0.1:9/metadata", "refresh"];
    let (code, out) = tuf_client(&md, &no_server);
    assert_eq!(code, 1, "{out}");
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn verify_command_reports_roles_targets_and_exit_codes() {
    let case = tuf_case("delegated-wrong-key");
    let root = case.join("initial_root.json");
    let targets = ["client/release-notes.txt", "bases/daily-2026-10-01.bin"];
    let (code, out) = tuf_verify(
        &root,
        case.to_str().unwrap(),
        &[&["--targets"], &targets[..]].concat(),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("target client/release-notes.txt  ok"), "{out}");
    assert!(
        out.contains("target bases/daily-2026-10-01.bin  FAILED"),
        "{out}"
    );
    assert!(out.contains("timestamp"), "{out}");

    // Over HTTP, JSON output, whole repository.
    let case = tuf_case("valid");
    let server = Server::start(&case);
    let (code, out) = tuf_verify(
        &case.join("initial_root.json"),
        &server.url,
        &["--targets", "all", "--format", "json"],
    );
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["targets"].as_array().unwrap().len(), 3);
    assert_eq!(v["roles"][0]["version"], 2);

    // An unusable trust anchor is an input error.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("root.json");
    std::fs::write(&bad, b"[]").unwrap();
    let (code, out) = tuf_verify(&bad, case.to_str().unwrap(), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("error: "), "{out}");
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn verify_with_state_detects_rollback_on_a_later_audit() {
    let case = tuf_case("rollback-snapshot");
    let state = tempfile::tempdir().unwrap();
    let audit = |step: &str| {
        let dir = case.join(step);
        let state = state.path().to_str().unwrap();
        let json = ["--state", state, "--format", "json"];
        tuf_verify(&dir.join("initial_root.json"), dir.to_str().unwrap(), &json)
    };
    let (code, out) = audit("step1");
    assert_eq!(code, 0, "{out}");
    let (code, out) = audit("step2");
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["kind"], "rollback", "{out}");
    assert_eq!(v["verified"], false);

    // Input errors: bad --at, missing repository directory.
    let root = case.join("step1/initial_root.json");
    let repo = case.join("step1");
    let (code, out) = tuf_verify(&root, repo.to_str().unwrap(), &["--at", "yesterday"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--at"), "{out}");
    let (code, out) = tuf_verify(&root, "/nonexistent/repo", &[]);
    assert_eq!(code, 2, "{out}");
}
