//! Where repository files come from: a local directory (an auditor's copy)
//! or a base URL over plain HTTP/1.1.
//!
//! Every read has a byte cap given by the caller (TUF specification §5.2:
//! "the client MUST download at most the length ... or an upper bound");
//! nothing is read past it. The HTTP client is deliberately small: one
//! blocking `GET` per file over `std::net::TcpStream`, no redirects (a
//! repository that redirects elsewhere is refused), no TLS (use a local
//! copy or a loopback proxy for HTTPS repositories).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a file could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// More bytes than the cap allows.
    #[error("{what}: longer than the {max}-byte limit")]
    TooLong {
        /// The file.
        what: String,
        /// The cap in bytes.
        max: u64,
    },
    /// The path cannot safely name a file (`..`, absolute, empty part).
    #[error("{0:?}: unsafe path")]
    UnsafePath(String),
    /// I/O or protocol failure.
    #[error("{what}: {reason}")]
    Failed {
        /// The file or URL.
        what: String,
        /// Why.
        reason: String,
    },
}

/// A repository's files. `Ok(None)` means "does not exist" (HTTP 404 or
/// no such file), which the root-rotation loop relies on to stop.
pub trait Source {
    /// Metadata file `name` (e.g. `3.root.json`, or `1.<role>.json` with the
    /// delegated role name as is), at most `max` bytes. Over HTTP the name
    /// is one percent-encoded path segment (as python-tuf quotes role
    /// names); on disk it must be a plain file name.
    fn metadata(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError>;
    /// Target file at `path` (already consistent-snapshot prefixed), at
    /// most `max` bytes.
    fn target(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError>;
    /// Human-readable location, for reports.
    fn describe(&self) -> String;
}

/// A repository copy on disk: `metadata/` and `targets/` directories.
#[derive(Debug, Clone)]
pub struct DirSource {
    /// Directory holding metadata files.
    pub metadata_dir: PathBuf,
    /// Directory holding target files.
    pub targets_dir: PathBuf,
}

impl DirSource {
    /// `<repo>/metadata` and `<repo>/targets`.
    pub fn new(repo: &Path) -> Self {
        Self {
            metadata_dir: repo.join("metadata"),
            targets_dir: repo.join("targets"),
        }
    }
}

/// Rejects paths that could leave the base directory or URL path.
fn safe_parts(path: &str) -> Result<Vec<&str>, FetchError> {
    let parts: Vec<&str> = path.split('/').collect();
    if path.is_empty()
        || path.contains('\\')
        || path.contains('\0')
        || parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(FetchError::UnsafePath(path.to_owned()));
    }
    Ok(parts)
}

fn read_capped(mut r: impl Read, what: &str, max: u64) -> Result<Vec<u8>, FetchError> {
    let mut buf = Vec::new();
    r.by_ref()
        .take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| FetchError::Failed {
            what: what.to_owned(),
            reason: e.to_string(),
        })?;
    if buf.len() as u64 > max {
        return Err(FetchError::TooLong {
            what: what.to_owned(),
            max,
        });
    }
    Ok(buf)
}

fn read_file(base: &Path, path: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
    let parts = safe_parts(path)?;
    let mut full = base.to_path_buf();
    full.extend(parts);
    let what = full.display().to_string();
    match File::open(&full) {
        Ok(f) => {
            if f.metadata().is_ok_and(|m| m.is_dir()) {
                return Ok(None);
            }
            read_capped(f, &what, max).map(Some)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FetchError::Failed {
            what,
            reason: e.to_string(),
        }),
    }
}

impl Source for DirSource {
    fn metadata(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
        if name.contains('/') || name.starts_with('.') {
            return Err(FetchError::UnsafePath(name.to_owned()));
        }
        read_file(&self.metadata_dir, name, max)
    }
    fn target(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
        read_file(&self.targets_dir, path, max)
    }
    fn describe(&self) -> String {
        self.metadata_dir.display().to_string()
    }
}

/// A repository served over `http://` (metadata and targets base URLs).
#[derive(Debug, Clone)]
pub struct HttpSource {
    metadata: Url,
    targets: Url,
    /// Per-read and connect timeout.
    pub timeout: Duration,
}

/// A parsed `http://host[:port]/path/` base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Url {
    host: String,
    port: u16,
    /// Always ends with `/`.
    path: String,
}

impl Url {
    fn parse(url: &str) -> Result<Self, FetchError> {
        let bad = |reason: &str| FetchError::Failed {
            what: url.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            bad("only http:// URLs are supported (no TLS); use a local copy for https")
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') || path.contains(['?', '#']) {
            return Err(bad("user info, query and fragment are not supported"));
        }
        let (host, port) = if let Some(h) = authority.strip_prefix('[') {
            let (h, p) = h.split_once(']').ok_or_else(|| bad("bad IPv6 host"))?;
            (h.to_owned(), p.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (authority.to_owned(), None),
            }
        };
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad("bad port"))?,
            None => 80,
        };
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        let mut path = path.to_owned();
        if !path.ends_with('/') {
            path.push('/');
        }
        Ok(Self { host, port, path })
    }
}

impl HttpSource {
    /// Metadata and targets base URLs (`http://` only).
    pub fn new(metadata_url: &str, targets_url: &str) -> Result<Self, FetchError> {
        Ok(Self {
            metadata: Url::parse(metadata_url)?,
            targets: Url::parse(targets_url)?,
            timeout: Duration::from_secs(30),
        })
    }

    /// GET `base` + `encoded_rel` (already percent-encoded).
    fn get(&self, base: &Url, encoded_rel: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
        let path = format!("{}{}", base.path, encoded_rel);
        let what = format!("http://{}:{}{}", base.host, base.port, path);
        let fail = |reason: String| FetchError::Failed {
            what: what.clone(),
            reason,
        };
        let addr = (base.host.as_str(), base.port)
            .to_socket_addrs()
            .map_err(|e| fail(e.to_string()))?
            .next()
            .ok_or_else(|| fail("host has no address".into()))?;
        let mut stream =
            TcpStream::connect_timeout(&addr, self.timeout).map_err(|e| fail(e.to_string()))?;
        stream
            .set_read_timeout(Some(self.timeout))
            .and_then(|_| stream.set_write_timeout(Some(self.timeout)))
            .map_err(|e| fail(e.to_string()))?;
        let host_header = if base.host.contains(':') {
            format!("[{}]:{}", base.host, base.port)
        } else {
            format!("{}:{}", base.host, base.port)
        };
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: glassbox/{}\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n",
            crate::TOOL_VERSION
        )
        .map_err(|e| fail(e.to_string()))?;
        let mut reader = BufReader::new(stream);
        let status_line = read_line(&mut reader).map_err(&fail)?;
        // RFC 9112 §4: status-line = HTTP-version SP status-code SP [reason]
        let mut it = status_line.splitn(3, ' ');
        let version = it.next().unwrap_or("");
        let code: u16 = it
            .next()
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| fail(format!("bad status line {status_line:?}")))?;
        if !version.starts_with("HTTP/1.") {
            return Err(fail(format!("bad status line {status_line:?}")));
        }
        let mut content_length: Option<u64> = None;
        let mut chunked = false;
        for _ in 0..100 {
            let line = read_line(&mut reader).map_err(&fail)?;
            if line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(fail(format!("bad header line {line:?}")));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = Some(
                    value
                        .parse()
                        .map_err(|_| fail("bad Content-Length".into()))?,
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                if !value.eq_ignore_ascii_case("chunked") {
                    return Err(fail(format!("unsupported Transfer-Encoding {value}")));
                }
                chunked = true;
            } else if name.eq_ignore_ascii_case("content-encoding")
                && !value.eq_ignore_ascii_case("identity")
            {
                return Err(fail(format!("unsupported Content-Encoding {value}")));
            }
        }
        match code {
            200 => {}
            404 | 403 | 410 => return Ok(None),
            _ => return Err(fail(format!("HTTP status {code}"))),
        }
        if let Some(len) = content_length
            && len > max
        {
            return Err(FetchError::TooLong { what, max });
        }
        let body = if chunked {
            read_chunked(&mut reader, &what, max)?
        } else if let Some(len) = content_length {
            let body = read_capped(reader.by_ref().take(len), &what, max)?;
            if (body.len() as u64) < len {
                return Err(fail("connection closed before Content-Length bytes".into()));
            }
            body
        } else {
            read_capped(reader, &what, max)?
        };
        Ok(Some(body))
    }
}

fn read_line(r: &mut impl BufRead) -> Result<String, String> {
    let mut line = Vec::new();
    r.take(8192)
        .read_until(b'\n', &mut line)
        .map_err(|e| e.to_string())?;
    if !line.ends_with(b"\n") {
        return Err("response header line too long or truncated".into());
    }
    let s = String::from_utf8(line).map_err(|_| "response header is not UTF-8".to_string())?;
    Ok(s.trim_end_matches(['\r', '\n']).to_owned())
}

/// RFC 9112 §7.1 chunked transfer coding, capped at `max` bytes of body.
fn read_chunked(r: &mut impl BufRead, what: &str, max: u64) -> Result<Vec<u8>, FetchError> {
    let fail = |reason: String| FetchError::Failed {
        what: what.to_owned(),
        reason,
    };
    let mut body = Vec::new();
    loop {
        let line = read_line(r).map_err(fail)?;
        let size_hex = line.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size_hex, 16).map_err(|_| fail("bad chunk size".into()))?;
        if size == 0 {
            // Trailer section, ended by an empty line.
            for _ in 0..100 {
                if read_line(r).map_err(fail)?.is_empty() {
                    return Ok(body);
                }
            }
            return Err(fail("too many trailer lines".into()));
        }
        if body.len() as u64 + size > max {
            return Err(FetchError::TooLong {
                what: what.to_owned(),
                max,
            });
        }
        let start = body.len();
        r.take(size)
            .read_to_end(&mut body)
            .map_err(|e| fail(e.to_string()))?;
        if (body.len() - start) as u64 != size {
            return Err(fail("truncated chunk".into()));
        }
        if !read_line(r).map_err(fail)?.is_empty() {
            return Err(fail("chunk not followed by CRLF".into()));
        }
    }
}

/// Percent-encodes one path segment (RFC 3986 §2.1), keeping unreserved
/// characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Source for HttpSource {
    fn metadata(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
        // One segment: a `/` or `..` in a role name is encoded, never a
        // path separator.
        self.get(&self.metadata, &percent_encode(name), max)
    }
    fn target(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
        let parts = safe_parts(path)?;
        let encoded: Vec<String> = parts.iter().map(|p| percent_encode(p)).collect();
        self.get(&self.targets, &encoded.join("/"), max)
    }
    fn describe(&self) -> String {
        format!(
            "http://{}:{}{}",
            self.metadata.host, self.metadata.port, self.metadata.path
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_refuse_tls() {
        let u = Url::parse("http://127.0.0.1:8080/repo/metadata").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8080, "/repo/metadata/")
        );
        let u = Url::parse("http://[::1]/m/").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 80));
        assert!(Url::parse("https://example.org/").is_err());
        assert!(Url::parse("http://a@b/").is_err());
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for p in ["../x", "a/../b", "/abs", "a//b", "a\\b", ""] {
            assert!(safe_parts(p).is_err(), "{p}");
        }
        assert_eq!(percent_encode("naïve file"), "na%C3%AFve%20file");
        // Role names are quoted like Python's urllib.parse.quote(name, "").
        assert_eq!(percent_encode("1.../x?.json"), "1...%2Fx%3F.json");
    }

    #[test]
    fn chunked_bodies_decode_and_are_capped() {
        let body = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: a\r\n\r\n";
        let got = read_chunked(&mut std::io::Cursor::new(&body[..]), "t", 100).unwrap();
        assert_eq!(got, b"Wikipedia");
        assert!(matches!(
            read_chunked(&mut std::io::Cursor::new(&body[..]), "t", 8),
            Err(FetchError::TooLong { .. })
        ));
        let bad = b"4\r\nWikiXX0\r\n\r\n";
        assert!(read_chunked(&mut std::io::Cursor::new(&bad[..]), "t", 100).is_err());
    }

    /// One canned response per path, on loopback.
    fn canned_server(responses: Vec<(&'static str, &'static [u8])>) -> String {
        use std::io::BufRead;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/m/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(responses.len()) {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap() == 0 || h.trim().is_empty() {
                        break;
                    }
                }
                let path = line.split(' ').nth(1).unwrap().to_owned();
                let resp = responses
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, r)| *r)
                    .unwrap_or(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
                stream.write_all(resp).unwrap();
            }
        });
        url
    }

    #[test]
    fn http_statuses_lengths_and_redirects() {
        let url = canned_server(vec![
            (
                "/m/ok.json",
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
            ),
            (
                "/m/gone.json",
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            ),
            (
                "/m/big.json",
                b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nabc",
            ),
            (
                "/m/moved.json",
                b"HTTP/1.1 301 Moved\r\nLocation: http://elsewhere/\r\n\r\n",
            ),
            (
                "/m/short.json",
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
            ),
        ]);
        let src = HttpSource::new(&url, &url).unwrap();
        assert_eq!(src.metadata("ok.json", 10).unwrap().unwrap(), b"abc");
        assert_eq!(src.metadata("gone.json", 10).unwrap(), None);
        assert!(matches!(
            src.metadata("big.json", 10),
            Err(FetchError::TooLong { .. })
        ));
        assert!(matches!(
            src.metadata("moved.json", 10),
            Err(FetchError::Failed { .. })
        ));
        assert!(matches!(
            src.metadata("short.json", 10),
            Err(FetchError::Failed { .. })
        ));
    }

    #[test]
    fn dir_source_caps_reads() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("metadata")).unwrap();
        std::fs::write(dir.path().join("metadata/a.json"), b"0123456789").unwrap();
        let src = DirSource::new(dir.path());
        assert_eq!(src.metadata("a.json", 10).unwrap().unwrap().len(), 10);
        assert!(matches!(
            src.metadata("a.json", 9),
            Err(FetchError::TooLong { .. })
        ));
        assert_eq!(src.metadata("missing.json", 9).unwrap(), None);
    }
}
