//! The HTTP/1.1 client: one request per connection, bounded in bytes and
//! time.

use std::io::{BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::{BodyError, Error, Response, Url, framing, read_body, read_headers, read_line};

/// A blocking HTTP/1.1 client with time-outs. Cheap to clone.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    /// Time allowed to open the TCP connection.
    pub connect_timeout: Duration,
    /// Time allowed for any one read or write (a stalled server).
    pub read_timeout: Duration,
    /// Time allowed for the whole exchange, connection to last body byte
    /// (a server that drips bytes just fast enough to beat the read
    /// time-out).
    pub total_timeout: Duration,
}

impl Default for Client {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
        }
    }
}

/// A stream whose every read and write is limited by the time left before
/// a deadline, so the overall time-out holds however the bytes trickle in.
struct Deadline {
    stream: TcpStream,
    deadline: Instant,
    per_read: Duration,
}

impl Deadline {
    fn arm(&self) -> std::io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "deadline passed",
            ));
        }
        let t = Some(left.min(self.per_read));
        self.stream.set_read_timeout(t)?;
        self.stream.set_write_timeout(t)
    }
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.arm()?;
        self.stream.read(buf)
    }
}

impl Write for Deadline {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.arm()?;
        self.stream.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

impl Client {
    /// A client whose three time-outs are all `t` (the overall one too).
    pub fn with_timeout(t: Duration) -> Self {
        Self {
            connect_timeout: t,
            read_timeout: t,
            total_timeout: t,
        }
    }

    /// `GET url`, body at most `max` bytes. `Ok(None)` on 404 or 410 (the
    /// resource does not exist); any other status but 200 is an error.
    pub fn get(&self, url: &Url, max: u64) -> Result<Option<Vec<u8>>, Error> {
        let r = self.request("GET", url, &[], None, max)?;
        match r.status {
            200 => Ok(Some(r.body)),
            404 | 410 => Ok(None),
            status => Err(Error::Status {
                url: url.to_string(),
                status,
            }),
        }
    }

    /// `POST url` with `body`, response body at most `max` bytes; returns
    /// the response whatever its status (protocols such as tlog-witness
    /// give meaning to 4xx codes). Redirects are still refused.
    pub fn post(
        &self,
        url: &Url,
        headers: &[(&str, &str)],
        body: &[u8],
        max: u64,
    ) -> Result<Response, Error> {
        self.request("POST", url, headers, Some(body), max)
    }

    /// One request; the response body at most `max` bytes. A 3xx status is
    /// [`Error::Redirect`]; other statuses are returned.
    pub fn request(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        max: u64,
    ) -> Result<Response, Error> {
        let start = Instant::now();
        let what = url.to_string();
        let io = |e: std::io::Error| {
            if matches!(
                e.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) {
                Error::TimedOut {
                    url: what.clone(),
                    after_ms: start.elapsed().as_millis() as u64,
                }
            } else {
                Error::Io {
                    url: what.clone(),
                    reason: e.to_string(),
                }
            }
        };
        let protocol = |reason: String| Error::Protocol {
            url: what.clone(),
            reason,
        };
        if headers
            .iter()
            .any(|(n, v)| n.contains([':', '\r', '\n']) || v.contains(['\r', '\n']) || n.is_empty())
        {
            return Err(Error::BadUrl {
                url: what.clone(),
                reason: "header names and values must not contain CR, LF or ':'".into(),
            });
        }
        let addr = (url.host(), url.port())
            .to_socket_addrs()
            .map_err(io)?
            .next()
            .ok_or_else(|| Error::Io {
                url: what.clone(),
                reason: "host has no address".into(),
            })?;
        let stream = TcpStream::connect_timeout(&addr, self.connect_timeout).map_err(io)?;
        let mut stream = Deadline {
            stream,
            deadline: start + self.total_timeout,
            per_read: self.read_timeout,
        };
        let mut head = format!(
            "{method} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: glassbox/{}\r\nAccept-Encoding: identity\r\nConnection: close\r\n",
            url.path(),
            url.host_header(),
            crate::TOOL_VERSION
        );
        for (n, v) in headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        if let Some(b) = body {
            head.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).map_err(io)?;
        if let Some(b) = body {
            stream.write_all(b).map_err(io)?;
        }
        let mut reader = BufReader::new(stream);
        let status_line = read_line(&mut reader).map_err(io)?.map_err(&protocol)?;
        // RFC 9112 §4: status-line = HTTP-version SP status-code SP [reason]
        let mut it = status_line.splitn(3, ' ');
        let version = it.next().unwrap_or("");
        let status: u16 = it
            .next()
            .filter(|c| c.len() == 3)
            .and_then(|c| c.parse().ok())
            .filter(|c| (100..600).contains(c))
            .ok_or_else(|| protocol(format!("bad status line {status_line:?}")))?;
        if !version.starts_with("HTTP/1.") {
            return Err(protocol(format!("bad status line {status_line:?}")));
        }
        if (100..200).contains(&status) {
            // We never send `Expect`, so an interim response is not ours.
            return Err(protocol(format!("unexpected interim status {status}")));
        }
        let headers = read_headers(&mut reader).map_err(io)?.map_err(&protocol)?;
        let mut response = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if (300..400).contains(&status) {
            return Err(Error::Redirect {
                url: what.clone(),
                status,
                location: response.header("location").unwrap_or("").to_owned(),
            });
        }
        let framing = framing(&response.headers).map_err(&protocol)?;
        if method == "HEAD" || status == 204 || status == 304 {
            return Ok(response);
        }
        response.body = read_body(&mut reader, &framing, max).map_err(|e| match e {
            BodyError::TooLong => Error::TooLong {
                url: what.clone(),
                max,
            },
            BodyError::Protocol(r) => protocol(r),
            BodyError::Io(e) => io(e),
        })?;
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Serves `response` (raw bytes, then `then` — e.g. a stall) to each
    /// of `n` connections after reading the request head.
    fn raw_server(n: usize, response: &'static [u8], stall: Option<Duration>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for s in listener.incoming().take(n) {
                let mut s = s.unwrap();
                let mut r = BufReader::new(s.try_clone().unwrap());
                let _ = read_line(&mut r);
                let _ = read_headers(&mut r);
                let _ = s.write_all(response);
                if let Some(d) = stall {
                    std::thread::sleep(d);
                }
            }
        });
        url
    }

    #[test]
    fn statuses_lengths_and_redirects() {
        let get = |resp: &'static [u8], max| {
            let url = Url::parse(&raw_server(1, resp, None)).unwrap();
            Client::default().get(&url, max)
        };
        assert_eq!(
            get(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 10).unwrap(),
            Some(b"abc".to_vec())
        );
        assert_eq!(
            get(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 10).unwrap(),
            None
        );
        assert!(matches!(
            get(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nabc", 10),
            Err(Error::TooLong { max: 10, .. })
        ));
        assert!(matches!(
            get(b"HTTP/1.1 200 OK\r\n\r\n0123456789ABC", 10),
            Err(Error::TooLong { .. })
        ));
        assert!(matches!(
            get(
                b"HTTP/1.1 301 Moved\r\nLocation: http://elsewhere/\r\n\r\n",
                10
            ),
            Err(Error::Redirect { status: 301, .. })
        ));
        assert!(matches!(
            get(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 10),
            Err(Error::Protocol { .. })
        ));
        assert!(matches!(
            get(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", 10),
            Err(Error::Status { status: 500, .. })
        ));
        assert!(matches!(
            get(b"SSH-2.0-OpenSSH\r\n\r\n", 10),
            Err(Error::Protocol { .. })
        ));
    }

    #[test]
    fn a_stalled_server_times_out_naming_the_url() {
        let url = Url::parse(&raw_server(
            1,
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab",
            Some(Duration::from_secs(5)),
        ))
        .unwrap();
        let t = Instant::now();
        let err = Client::with_timeout(Duration::from_millis(300))
            .get(&url, 100)
            .unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        assert!(matches!(err, Error::TimedOut { .. }), "{err}");
        assert!(err.to_string().contains(&url.to_string()), "{err}");
    }
}
