//! `glassbox log serve` and logs given as http:// URLs, over loopback:
//! the served layout is C2SP tlog-tiles path for path (checked with plain
//! hand-written GETs), `log monitor` and `log consistency` say the same
//! over HTTP as over the directory, and hostile servers (oversized tiles,
//! endless bodies, wrong hashes, stalls) end in a bounded error naming the
//! URL, never a hang or unbounded memory.

mod common;
use common::{Listening, code, glassbox_in, json};
use std::ffi::OsStr;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use glassbox_core::tlog::merkle::leaf_hash;
use glassbox_core::tlog::{Log, LogSigner, key};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const ORIGIN: &str = "test.example/log";

/// A log of `sizes[0]` entries, then `sizes[1]` more...; the checkpoint
/// after each step is saved as `cp-<size>` beside the log.
fn build_log(d: &Path, name: &str, sizes: &[u64], tag: &str) -> LogSigner {
    let der = key::generate_pkcs8().unwrap();
    std::fs::write(d.join(format!("{name}.key")), key::pkcs8_pem(&der)).unwrap();
    let signer = LogSigner::from_pkcs8(ORIGIN, &der).unwrap();
    let log = Log::create(&d.join(name), &signer).unwrap();
    append(d, name, &log, &signer, sizes, tag);
    signer
}

fn append(d: &Path, name: &str, log: &Log, signer: &LogSigner, sizes: &[u64], tag: &str) {
    for &n in sizes {
        let start = log.checkpoint().unwrap().checkpoint.size;
        let entries: Vec<Vec<u8>> = (start..start + n)
            .map(|i| format!("{tag} entry {i}").into_bytes())
            .collect();
        let a = log.append(signer, &entries).unwrap();
        std::fs::write(
            d.join(format!("{name}-cp-{}", a.checkpoint.checkpoint.size)),
            a.checkpoint.to_bytes(),
        )
        .unwrap();
    }
}

/// `glassbox log serve DIR --listen 127.0.0.1:0`, killed on drop.
fn serve(dir: &Path) -> Listening {
    Listening::start(
        &[
            OsStr::new("log"),
            OsStr::new("serve"),
            dir.as_os_str(),
            OsStr::new("--listen"),
            OsStr::new("127.0.0.1:0"),
        ],
        Path::new("."),
    )
}

/// A plain HTTP/1.1 exchange written by hand (not glassbox's client):
/// status, headers (lower-cased names), body.
fn raw(method: &str, base: &str, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let addr = base.strip_prefix("http://").unwrap().trim_end_matches('/');
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = text(&all[..split]);
    let body = all[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    (status, headers, body)
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// `glassbox log consistency OLD NEW --log LOG EXTRA...` in `d`.
fn log_consistency(d: &Path, old: &str, new: &str, log: &str, extra: &[&str]) -> Output {
    let mut args = vec!["log", "consistency", old, new, "--log", log];
    args.extend(extra);
    glassbox_in(&args, d)
}

#[test]
fn served_layout_is_tlog_tiles_path_for_path() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    // 600 entries: level-0 tiles 000 and 001 full, 002 partial (88), one
    // partial level-1 tile of 2 hashes; the same for entry bundles.
    build_log(d, "L", &[600], "main");
    let dir = d.join("L");
    // A tile at a multi-group x-path (N = 1234067), which would take a
    // log of 316 million entries to reach honestly: the server must find
    // it by the spec's path and nothing else.
    std::fs::create_dir_all(dir.join("tile/0/x001/x234")).unwrap();
    std::fs::copy(dir.join("tile/0/000"), dir.join("tile/0/x001/x234/067")).unwrap();
    let s = serve(&dir);

    let (st, h, body) = raw("GET", &s.url, "/checkpoint");
    assert_eq!(st, 200);
    assert_eq!(body, std::fs::read(dir.join("checkpoint")).unwrap());
    assert_eq!(
        header(&h, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    assert!(text(&body).starts_with(&format!("{ORIGIN}\n600\n")));

    let immutable = "public, max-age=31536000, immutable";
    let mut level0 = Vec::new();
    let mut entries = Vec::new();
    for (path, cache, len) in [
        ("/tile/0/000", immutable, Some(256 * 32)),
        ("/tile/0/001", immutable, Some(256 * 32)),
        ("/tile/0/002.p/88", "public, max-age=60", Some(88 * 32)),
        ("/tile/1/000.p/2", "public, max-age=60", Some(2 * 32)),
        ("/tile/entries/000", immutable, None),
        ("/tile/entries/001", immutable, None),
        ("/tile/entries/002.p/88", "public, max-age=60", None),
        ("/tile/0/x001/x234/067", immutable, Some(256 * 32)),
    ] {
        let (st, h, body) = raw("GET", &s.url, path);
        assert_eq!(st, 200, "{path}");
        assert_eq!(header(&h, "cache-control"), Some(cache), "{path}");
        assert_eq!(
            header(&h, "content-type"),
            Some("application/octet-stream"),
            "{path}"
        );
        if let Some(n) = len {
            assert_eq!(body.len(), n, "{path}");
        }
        if path.starts_with("/tile/0/00") {
            level0.extend(body.chunks(32).map(|c| c.to_vec()));
        } else if path.starts_with("/tile/entries/") {
            // u16 big-endian length, then the entry (tlog-tiles).
            let mut rest = &body[..];
            while !rest.is_empty() {
                let n = u16::from_be_bytes([rest[0], rest[1]]) as usize;
                entries.push(rest[2..2 + n].to_vec());
                rest = &rest[2 + n..];
            }
        }
    }
    // The served level-0 hashes are RFC 9162 leaf hashes of the served
    // entries, in order: the layout is the spec's, not merely the files'.
    assert_eq!(entries.len(), 600);
    assert_eq!(entries[599], b"main entry 599");
    for (e, h) in entries.iter().zip(&level0) {
        assert_eq!(&leaf_hash(e)[..], &h[..]);
    }

    let (st, h, body) = raw("HEAD", &s.url, "/tile/0/000");
    assert_eq!((st, body.len()), (200, 0));
    assert_eq!(header(&h, "content-length"), Some("8192"));
    let (st, h, _) = raw("POST", &s.url, "/checkpoint");
    assert_eq!(st, 405);
    assert_eq!(header(&h, "allow"), Some("GET, HEAD"));
    for path in [
        "/",
        "/vkey",
        "/lock",
        "/glassbox-log.json",
        "/L.key",
        "/tile/0/1234067",
        "/tile/0/x000/000",
        "/tile/0/002",
        "/tile/0/002.p/089",
        "/tile/0/../../glassbox-log.json",
        "/tile/%2e%2e/glassbox-log.json",
        "/tile/entries/000?x=1",
        "//etc/passwd",
    ] {
        assert_eq!(raw("GET", &s.url, path).0, 404, "{path}");
    }
}

fn vkey_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("vkey"))
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn monitor_and_consistency_say_the_same_over_http() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let signer = build_log(d, "L", &[300], "main");
    // The fork: a copy at 300 entries that then goes its own way, with the
    // same key (a split view).
    let copy = |from: &Path, to: &Path| {
        let o = Command::new("cp")
            .arg("-a")
            .arg(from)
            .arg(to)
            .output()
            .unwrap();
        assert!(o.status.success());
    };
    copy(&d.join("L"), &d.join("F"));
    append(
        d,
        "L",
        &Log::open(&d.join("L")).unwrap(),
        &signer,
        &[300],
        "main",
    );
    append(
        d,
        "F",
        &Log::open(&d.join("F")).unwrap(),
        &signer,
        &[50],
        "fork",
    );
    let vkey = vkey_of(&d.join("L"));
    let main = serve(&d.join("L"));
    let fork = serve(&d.join("F"));

    let consistency = |log: &str, old: &str, new: &str| {
        log_consistency(d, old, new, log, &["--vkey", &vkey, "--format", "json"])
    };
    let by_dir = consistency("L", "L-cp-300", "L-cp-600");
    let by_url = consistency(&main.url, "L-cp-300", "L-cp-600");
    assert_eq!(code(&by_dir), 0, "{by_dir:?}");
    assert_eq!(code(&by_url), 0, "{by_url:?}");
    assert_eq!(json(&by_dir), json(&by_url));
    assert_eq!(json(&by_url)["new_size"], 600);

    // The fork's checkpoint is not a prefix of the main log's 600.
    let by_dir = consistency("L", "F-cp-350", "L-cp-600");
    let by_url = consistency(&main.url, "F-cp-350", "L-cp-600");
    assert_eq!(code(&by_dir), 1, "{by_dir:?}");
    assert_eq!(code(&by_url), 1, "{by_url:?}");
    assert_eq!(json(&by_url)["consistent"], false);
    assert!(
        json(&by_url)["reason"]
            .as_str()
            .unwrap()
            .contains(&main.url),
        "{}",
        json(&by_url)
    );

    // A URL without --vkey: the server's own key is not trusted.
    let o = log_consistency(d, "L-cp-300", "L-cp-600", &main.url, &[]);
    assert_eq!(code(&o), 2, "{o:?}");
    assert!(text(&o.stderr).contains("--vkey"), "{o:?}");

    // Monitor: the main log alone has no split view, by directory or URL.
    let monitor = |places: &[&str]| {
        let mut args = vec!["log", "monitor", "--vkey", &vkey, "--format", "json"];
        args.extend(places);
        glassbox_in(&args, d)
    };
    let by_dir = monitor(&["L", "L-cp-300"]);
    let by_url = monitor(&[&main.url, "L-cp-300"]);
    assert_eq!(code(&by_dir), 0, "{by_dir:?}");
    assert_eq!(code(&by_url), 0, "{by_url:?}");
    let sizes = |o: &Output| {
        let mut v: Vec<u64> = json(o)["observations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["size"].as_u64().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(sizes(&by_dir), sizes(&by_url));
    assert_eq!(json(&by_url)["proof_sources"][0], main.url.as_str());
    assert!(json(&by_url)["unchecked"].as_array().unwrap().is_empty());

    // The fork served over HTTP against the main log: a split view (exit
    // 1) both ways round, with the fork's checkpoint URL as evidence.
    for places in [&["L", fork.url.as_str()][..], &[main.url.as_str(), "F"]] {
        let o = monitor(places);
        assert_eq!(code(&o), 1, "{places:?}: {o:?}");
        assert_eq!(
            json(&o)["split_views"].as_array().unwrap().len(),
            1,
            "{o:?}"
        );
    }
    let o = monitor(&["L", &fork.url]);
    assert!(
        text(&o.stdout).contains(&format!("{}checkpoint", fork.url)),
        "{o:?}"
    );
}

/// How a hostile server answers tile and bundle requests (the checkpoint
/// is always the real one, so the client gets as far as the tiles).
#[derive(Clone, Copy, Debug)]
enum Hostile {
    /// A 200 with a `Content-Length` of 64 MiB.
    Oversized,
    /// 200, no length, zeros until the client hangs up.
    Endless,
    /// 200, chunked, 64 KiB chunks forever.
    EndlessChunked,
    /// The real tile with every byte flipped (right size, wrong hashes).
    WrongHashes,
    /// Reads the request, then says nothing for a minute.
    Stall,
}

fn hostile_server(dir: PathBuf, mode: Hostile) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { continue };
            let dir = dir.clone();
            std::thread::spawn(move || {
                let _ = answer(s, &dir, mode);
            });
        }
    });
    url
}

fn answer(mut s: TcpStream, dir: &Path, mode: Hostile) -> std::io::Result<()> {
    let mut r = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
    }
    let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
    let real = std::fs::read(dir.join(path.trim_start_matches('/')));
    if path == "/checkpoint" || real.is_err() {
        return match real {
            Ok(b) => {
                write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", b.len())?;
                s.write_all(&b)
            }
            Err(_) => s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        };
    }
    let chunk = vec![0u8; 64 * 1024];
    match mode {
        Hostile::Oversized => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\n\r\n")?;
            for _ in 0..1024 {
                s.write_all(&chunk)?;
            }
            Ok(())
        }
        Hostile::Endless => {
            s.write_all(b"HTTP/1.1 200 OK\r\n\r\n")?;
            loop {
                s.write_all(&chunk)?;
            }
        }
        Hostile::EndlessChunked => {
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            loop {
                write!(s, "{:x}\r\n", chunk.len())?;
                s.write_all(&chunk)?;
                s.write_all(b"\r\n")?;
            }
        }
        Hostile::WrongHashes => {
            let b: Vec<u8> = real?.iter().map(|x| !x).collect();
            write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", b.len())?;
            s.write_all(&b)
        }
        Hostile::Stall => {
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
    }
}

#[test]
fn hostile_servers_get_a_bounded_error_naming_the_url() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    build_log(d, "L", &[300, 300], "main");
    let vkey = vkey_of(&d.join("L"));
    for (mode, want_code, want) in [
        (Hostile::Oversized, 2, "limit"),
        (Hostile::Endless, 2, "limit"),
        (Hostile::EndlessChunked, 2, "limit"),
        (Hostile::WrongHashes, 1, "not a prefix"),
        (Hostile::Stall, 2, "no complete response"),
    ] {
        let url = hostile_server(d.join("L"), mode);
        let start = Instant::now();
        let limits = ["--vkey", &vkey, "--timeout", "2"];
        let o = log_consistency(d, "L-cp-300", "L-cp-600", &url, &limits);
        let took = start.elapsed();
        let said = format!("{}{}", text(&o.stdout), text(&o.stderr));
        assert_eq!(code(&o), want_code, "{mode:?}: {said}");
        assert!(said.contains(want), "{mode:?}: {said}");
        // The URL of the tile at fault; with wrong hashes no one tile is
        // provably at fault, so the log's URL.
        let culprit = match mode {
            Hostile::WrongHashes => url.clone(),
            _ => format!("{url}tile/"),
        };
        assert!(said.contains(&culprit), "{mode:?}: {said}");
        assert!(took < Duration::from_secs(8), "{mode:?} took {took:?}");

        // The monitor sets the served log aside, with the URL and why,
        // rather than hanging, aborting or trusting it.
        let o = glassbox_in(
            &[
                "log",
                "monitor",
                "--vkey",
                &vkey,
                "L-cp-300",
                &url,
                "--timeout",
                "2",
                "--format",
                "json",
            ],
            d,
        );
        let j = json(&o);
        let rejected = j["rejected"].to_string();
        assert!(rejected.contains(&url), "{mode:?}: {j}");
        assert!(
            j["proof_sources"].as_array().unwrap().is_empty(),
            "{mode:?}: {j}"
        );
    }
}
