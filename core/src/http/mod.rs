//! Plain HTTP/1.1 over `std::net`: the one client and the one server of
//! glassbox.
//!
//! The client ([`Client`]) fetches TUF metadata and targets, log tiles and
//! checkpoints, and talks to witnesses. Every request has a byte cap on the
//! response body chosen by the caller (nothing is read past it, whether the
//! body is framed by `Content-Length`, chunked or runs to end of stream), a
//! connect time-out, a per-read time-out and an overall deadline (a server
//! that drips one byte a second is cut off at the deadline), and redirects
//! are refused (a log or repository that moved must be given by its new
//! URL, never followed blindly). Every error names the URL.
//!
//! The server ([`Server`]) answers one request per connection with a fixed
//! number of worker threads, bounded request heads and bodies and a read
//! time-out, so a slow or hostile client holds at most one worker for at
//! most the time-out. `glassbox log serve` and the witness endpoint run on it.
//!
//! No TLS: glassbox verifies signatures and proofs end to end, so transport
//! security adds privacy, not integrity; put a TLS-terminating proxy in
//! front of the server, or a local copy or loopback proxy behind the client.

mod client;
mod server;

pub use client::Client;
pub use server::{Handler, Request, Server, ServerConfig, ServerHandle};

/// The client's name for a [`Response`] it received (one type serves both sides).
pub type ClientResponse = Response;

/// A response: what a handler answers (the server adds `Content-Length`
/// and `Connection: close`, and drops the body for `HEAD`) and what the
/// client received (header values trimmed, body at most the caller's cap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a `Content-Type`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A `text/plain` response whose body is `message` and a newline.
    pub fn text(status: u16, message: &str) -> Self {
        Self::new(
            status,
            "text/plain; charset=utf-8",
            format!("{message}\n").into_bytes(),
        )
    }

    /// Adds a header field.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The first header field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

use std::fmt;

/// Why an HTTP exchange failed. Every variant names the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The URL is not one we fetch (not `http://`, user info, fragment...).
    #[error("{url}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// Why it is refused.
        reason: String,
    },
    /// The response body is longer than the caller's cap.
    #[error("{url}: response longer than the {max}-byte limit; refused")]
    TooLong {
        /// The URL.
        url: String,
        /// The cap in bytes.
        max: u64,
    },
    /// The server did not answer in time.
    #[error("{url}: no complete response after {after_ms} ms; the server is too slow or stalled")]
    TimedOut {
        /// The URL.
        url: String,
        /// Time spent when the time-out expired, in milliseconds.
        after_ms: u64,
    },
    /// A redirect, which glassbox never follows.
    #[error(
        "{url}: HTTP {status} redirect to {location:?} refused; give the new URL directly if it is trusted"
    )]
    Redirect {
        /// The URL.
        url: String,
        /// The 3xx status.
        status: u16,
        /// The `Location` header, if any.
        location: String,
    },
    /// A status other than the ones the caller handles.
    #[error("{url}: HTTP status {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// A response that does not follow HTTP/1.1 (RFC 9112).
    #[error("{url}: malformed HTTP response: {reason}")]
    Protocol {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Connecting, writing or reading failed.
    #[error("{url}: {reason}")]
    Io {
        /// The URL.
        url: String,
        /// The operating system's error.
        reason: String,
    },
}

impl Error {
    /// The URL the error is about.
    pub fn url(&self) -> &str {
        match self {
            Error::BadUrl { url, .. }
            | Error::TooLong { url, .. }
            | Error::TimedOut { url, .. }
            | Error::Redirect { url, .. }
            | Error::Status { url, .. }
            | Error::Protocol { url, .. }
            | Error::Io { url, .. } => url,
        }
    }
}

/// A parsed `http://host[:port]/path` URL (RFC 3986 §3), without query or
/// fragment. The path is kept as given (already percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url {
    host: String,
    port: u16,
    path: String,
}

impl Url {
    /// Parses an `http://` URL; `https://` and anything else is refused.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            bad("only http:// URLs are supported (no TLS); use a local copy or a loopback proxy for https")
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') || path.contains(['?', '#']) {
            return Err(bad("user info, query and fragment are not supported"));
        }
        if path.bytes().any(|b| b <= b' ' || b == 0x7f) || authority.bytes().any(|b| b <= b' ') {
            return Err(bad(
                "spaces and control characters are not allowed in a URL",
            ));
        }
        let (host, port) = if let Some(h) = authority.strip_prefix('[') {
            let (h, p) = h.split_once(']').ok_or_else(|| bad("bad IPv6 host"))?;
            if !p.is_empty() && !p.starts_with(':') {
                return Err(bad("bad IPv6 host"));
            }
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
        Ok(Self {
            host,
            port,
            path: path.to_owned(),
        })
    }

    /// The host (without brackets for IPv6).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (80 when not given).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// This URL as a base directory: its path ends with `/`.
    pub fn as_dir(&self) -> Url {
        let mut u = self.clone();
        if !u.path.ends_with('/') {
            u.path.push('/');
        }
        u
    }

    /// `rel` (already percent-encoded, no leading `/`) under this URL taken
    /// as a directory.
    pub fn join(&self, rel: &str) -> Url {
        let mut u = self.as_dir();
        u.path.push_str(rel.trim_start_matches('/'));
        u
    }

    /// The `Host` header value (RFC 9110 §7.2).
    fn host_header(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.path)
    }
}

impl std::str::FromStr for Url {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Url::parse(s)
    }
}

/// Percent-encodes one path segment (RFC 3986 §2.1), keeping unreserved
/// characters.
pub fn percent_encode(s: &str) -> String {
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

/// Lines of a request or response head we read before giving up.
const MAX_HEADER_LINES: usize = 100;
/// Bytes of one head line.
const MAX_LINE_BYTES: u64 = 8192;

/// Reads one CRLF- (or LF-) terminated head line of at most
/// [`MAX_LINE_BYTES`].
fn read_line(r: &mut impl std::io::BufRead) -> std::io::Result<Result<String, String>> {
    use std::io::{BufRead, Read};
    let mut line = Vec::new();
    r.take(MAX_LINE_BYTES).read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\n") {
        return Ok(Err(if line.is_empty() {
            "connection closed".into()
        } else {
            "header line too long or truncated".into()
        }));
    }
    Ok(String::from_utf8(line)
        .map(|s| s.trim_end_matches(['\r', '\n']).to_owned())
        .map_err(|_| "header is not UTF-8".to_string()))
}

/// A header block: `(name, value)` pairs, values trimmed.
type Headers = Vec<(String, String)>;

/// Reads header fields up to the empty line (RFC 9112 §5).
fn read_headers(r: &mut impl std::io::BufRead) -> std::io::Result<Result<Headers, String>> {
    let mut out = Vec::new();
    for _ in 0..MAX_HEADER_LINES {
        let line = match read_line(r)? {
            Ok(l) => l,
            Err(e) => return Ok(Err(e)),
        };
        if line.is_empty() {
            return Ok(Ok(out));
        }
        // RFC 9112 §5.2: obsolete line folding is refused.
        if line.starts_with([' ', '\t']) {
            return Ok(Err("obsolete header line folding".into()));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Ok(Err(format!("bad header line {line:?}")));
        };
        if name.is_empty() || name.contains([' ', '\t']) {
            return Ok(Err(format!("bad header name {name:?}")));
        }
        out.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(Err("too many header lines".into()))
}

/// How a message body is framed (RFC 9112 §6.3).
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Chunked,
    Length(u64),
    /// Until the connection closes (responses only).
    Close,
}

/// The body framing of a header block; two readings of the length (two
/// different `Content-Length`s, or one alongside chunked) are refused, as
/// RFC 9112 §6.3 says a recipient must treat them as an error.
fn framing(headers: &Headers) -> Result<Framing, String> {
    let mut length: Option<u64> = None;
    let mut chunked = false;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("content-length") {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("bad Content-Length {value:?}"));
            }
            let n: u64 = value
                .parse()
                .map_err(|_| format!("bad Content-Length {value:?}"))?;
            if length.is_some_and(|l| l != n) {
                return Err("two different Content-Length headers".into());
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if !value.eq_ignore_ascii_case("chunked") || chunked {
                return Err(format!("unsupported Transfer-Encoding {value:?}"));
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("content-encoding")
            && !value.eq_ignore_ascii_case("identity")
        {
            return Err(format!("unsupported Content-Encoding {value:?}"));
        }
    }
    match (chunked, length) {
        (true, Some(_)) => Err("both Transfer-Encoding and Content-Length".into()),
        (true, None) => Ok(Framing::Chunked),
        (false, Some(n)) => Ok(Framing::Length(n)),
        (false, None) => Ok(Framing::Close),
    }
}

/// Why a body could not be read.
#[derive(Debug)]
enum BodyError {
    TooLong,
    Protocol(String),
    Io(std::io::Error),
}

/// Reads a body framed by `framing`, at most `max` bytes.
fn read_body(
    r: &mut impl std::io::BufRead,
    framing: &Framing,
    max: u64,
) -> Result<Vec<u8>, BodyError> {
    use std::io::Read;
    match framing {
        Framing::Length(len) => {
            if *len > max {
                return Err(BodyError::TooLong);
            }
            let mut body = Vec::with_capacity(*len as usize);
            r.take(*len).read_to_end(&mut body).map_err(BodyError::Io)?;
            if (body.len() as u64) < *len {
                return Err(BodyError::Protocol(
                    "connection closed before Content-Length bytes".into(),
                ));
            }
            Ok(body)
        }
        Framing::Close => {
            let got = crate::fsio::read_capped(r, max, 0).map_err(BodyError::Io)?;
            if got.over {
                return Err(BodyError::TooLong);
            }
            Ok(got.bytes)
        }
        Framing::Chunked => read_chunked(r, max),
    }
}

/// RFC 9112 §7.1 chunked transfer coding, capped at `max` bytes of body.
fn read_chunked(r: &mut impl std::io::BufRead, max: u64) -> Result<Vec<u8>, BodyError> {
    use std::io::Read;
    let line = |r: &mut _| match read_line(r) {
        Ok(Ok(l)) => Ok(l),
        Ok(Err(e)) => Err(BodyError::Protocol(e)),
        Err(e) => Err(BodyError::Io(e)),
    };
    let mut body = Vec::new();
    loop {
        let size_line = line(r)?;
        let size_hex = size_line.split(';').next().unwrap_or("").trim();
        if size_hex.is_empty() || size_hex.len() > 16 {
            return Err(BodyError::Protocol("bad chunk size".into()));
        }
        let size = u64::from_str_radix(size_hex, 16)
            .map_err(|_| BodyError::Protocol("bad chunk size".into()))?;
        if size == 0 {
            // Trailer section, ended by an empty line.
            for _ in 0..MAX_HEADER_LINES {
                if line(r)?.is_empty() {
                    return Ok(body);
                }
            }
            return Err(BodyError::Protocol("too many trailer lines".into()));
        }
        if (body.len() as u64).saturating_add(size) > max {
            return Err(BodyError::TooLong);
        }
        let start = body.len();
        r.take(size).read_to_end(&mut body).map_err(BodyError::Io)?;
        if (body.len() - start) as u64 != size {
            return Err(BodyError::Protocol("truncated chunk".into()));
        }
        if !line(r)?.is_empty() {
            return Err(BodyError::Protocol("chunk not followed by CRLF".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn urls_parse_join_and_refuse_tls() {
        let u = Url::parse("http://127.0.0.1:8080/repo/metadata").unwrap();
        assert_eq!(
            (u.host(), u.port(), u.path()),
            ("127.0.0.1", 8080, "/repo/metadata")
        );
        assert_eq!(
            u.join("tile/0/000").to_string(),
            "http://127.0.0.1:8080/repo/metadata/tile/0/000"
        );
        let u = Url::parse("http://[::1]/m/").unwrap();
        assert_eq!((u.host(), u.port()), ("::1", 80));
        assert_eq!(u.to_string(), "http://[::1]:80/m/");
        for bad in [
            "https://example.org/",
            "http://a@b/",
            "http://h/x?q",
            "http://h/x#f",
            "http://:80/",
            "http://h:99999/",
            "http://h/a b",
            "ftp://h/",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percent_encoding_keeps_unreserved_only() {
        assert_eq!(percent_encode("naïve file"), "na%C3%AFve%20file");
        // Role names are quoted like Python's urllib.parse.quote(name, "").
        assert_eq!(percent_encode("1.../x?.json"), "1...%2Fx%3F.json");
    }

    #[test]
    fn chunked_bodies_decode_and_are_capped() {
        let body = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: a\r\n\r\n";
        let got = read_chunked(&mut Cursor::new(&body[..]), 100).unwrap();
        assert_eq!(got, b"Wikipedia");
        assert!(matches!(
            read_chunked(&mut Cursor::new(&body[..]), 8),
            Err(BodyError::TooLong)
        ));
        let bad = b"4\r\nWikiXX0\r\n\r\n";
        assert!(read_chunked(&mut Cursor::new(&bad[..]), 100).is_err());
        // A chunk size that would overflow is a protocol error, not a wrap.
        let huge = b"ffffffffffffffffff\r\n";
        assert!(matches!(
            read_chunked(&mut Cursor::new(&huge[..]), 100),
            Err(BodyError::Protocol(_))
        ));
    }

    #[test]
    fn ambiguous_framing_is_refused() {
        let h = |v: &[(&str, &str)]| -> Headers {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            framing(&h(&[("Content-Length", "3")])).unwrap(),
            Framing::Length(3)
        );
        assert_eq!(
            framing(&h(&[("content-length", "3"), ("Content-Length", "3")])).unwrap(),
            Framing::Length(3)
        );
        for bad in [
            &[("Content-Length", "3"), ("Content-Length", "4")][..],
            &[("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
            &[("Transfer-Encoding", "gzip, chunked")],
            &[("Content-Length", "+3")],
            &[("Content-Encoding", "gzip")],
        ] {
            assert!(framing(&h(bad)).is_err(), "{bad:?}");
        }
    }
}
