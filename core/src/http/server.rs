//! The HTTP/1.1 server: a fixed pool of worker threads, one request per
//! connection, bounded request heads and bodies, a read deadline.

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{BodyError, Framing, Response, framing, read_body, read_headers, read_line};

/// A request as the handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `HEAD`, `POST`... (case-sensitive, RFC 9110 §9.1).
    pub method: String,
    /// The request target's path, as sent (still percent-encoded), always
    /// starting with `/`; a query is not split off (handlers that take
    /// none can match the whole string).
    pub path: String,
    /// Header fields in order, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (at most [`ServerConfig::max_request_body`] bytes).
    pub body: Vec<u8>,
    /// The client's address.
    pub peer: SocketAddr,
}

impl Request {
    /// The first header field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What answers requests. It runs on several worker threads at once.
pub type Handler = dyn Fn(&Request) -> Response + Send + Sync + 'static;

/// Limits of a server.
#[derive(Debug, Clone, Copy)]
pub struct ServerConfig {
    /// Worker threads, hence connections served at once; further
    /// connections wait in the kernel's accept queue.
    pub threads: usize,
    /// Largest request body accepted (413 beyond).
    pub max_request_body: u64,
    /// Time a client has to send its whole request; a slow client holds a
    /// worker no longer than this.
    pub read_timeout: Duration,
    /// Time a client has to take the whole response: one that reads just
    /// fast enough to beat every single write's time-out is still cut off
    /// here, so a slow reader cannot hold a worker indefinitely.
    pub write_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            threads: 8,
            max_request_body: 64 * 1024,
            read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(60),
        }
    }
}

/// A bound listening socket, not yet serving.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
}

/// A server running on background threads; dropping it stops it.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    pub fn bind(addr: impl ToSocketAddrs) -> std::io::Result<Self> {
        Ok(Self {
            listener: TcpListener::bind(addr)?,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `http://ADDR/`, the base URL clients use.
    pub fn url(&self) -> std::io::Result<String> {
        Ok(format!("http://{}/", self.local_addr()?))
    }

    /// Serves forever on `config.threads` workers (this thread is one).
    pub fn run(self, config: ServerConfig, handler: Arc<Handler>) -> std::io::Result<()> {
        let stop = Arc::new(AtomicBool::new(false));
        let _workers = self.start(config, &handler, &stop, config.threads.max(1) - 1)?;
        worker(&self.listener, config, &*handler, &stop);
        Ok(())
    }

    /// Serves on background threads until the handle is dropped.
    pub fn spawn(
        self,
        config: ServerConfig,
        handler: Arc<Handler>,
    ) -> std::io::Result<ServerHandle> {
        let addr = self.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let workers = self.start(config, &handler, &stop, config.threads.max(1))?;
        Ok(ServerHandle {
            addr,
            stop,
            workers,
        })
    }

    fn start(
        &self,
        config: ServerConfig,
        handler: &Arc<Handler>,
        stop: &Arc<AtomicBool>,
        n: usize,
    ) -> std::io::Result<Vec<JoinHandle<()>>> {
        let mut workers = Vec::with_capacity(n);
        for i in 0..n {
            let listener = self.listener.try_clone()?;
            let handler = handler.clone();
            let stop = stop.clone();
            workers.push(
                std::thread::Builder::new()
                    .name(format!("http-{i}"))
                    .spawn(move || worker(&listener, config, &*handler, &stop))?,
            );
        }
        Ok(workers)
    }
}

impl ServerHandle {
    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake every worker blocked in accept.
        for _ in &self.workers {
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn worker(listener: &TcpListener, config: ServerConfig, handler: &Handler, stop: &AtomicBool) {
    loop {
        let accepted = listener.accept();
        if stop.load(Ordering::SeqCst) {
            return;
        }
        // A failed accept (a client that reset early, descriptors
        // exhausted) concerns that connection only.
        if let Ok((stream, peer)) = accepted {
            let _ = serve_connection(stream, peer, config, handler);
        }
    }
}

/// The request stream, limited by a deadline for the whole request.
struct Deadline<'a> {
    stream: &'a TcpStream,
    deadline: Instant,
}

impl Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        (&*self.stream).read(buf)
    }
}

fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    config: ServerConfig,
    handler: &Handler,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(Deadline {
        stream: &stream,
        deadline: Instant::now() + config.read_timeout,
    });
    let response = match read_request(&mut reader, peer, config)? {
        Ok(req) => {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&req)))
                .unwrap_or_else(|_| Response::text(500, "internal error"));
            write_response(&stream, &r, req.method == "HEAD", config)
        }
        Err(r) => write_response(&stream, &r, false, config),
    };
    let _ = stream.shutdown(std::net::Shutdown::Write);
    response
}

/// Reads one request; `Ok(Err(response))` is a client error to answer.
fn read_request(
    r: &mut impl std::io::BufRead,
    peer: SocketAddr,
    config: ServerConfig,
) -> std::io::Result<Result<Request, Response>> {
    let bad = |why: &str| Ok(Err(Response::text(400, why)));
    let line = match read_line(r)? {
        Ok(l) => l,
        Err(e) => return bad(&e),
    };
    // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return bad("malformed request line");
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() {
        return bad("malformed request line");
    }
    // Origin form only (RFC 9112 §3.2.1); absolute and authority forms are
    // for proxies, which this is not.
    if !target.starts_with('/') {
        return bad("request target must be an absolute path");
    }
    let headers = match read_headers(r)? {
        Ok(h) => h,
        Err(e) => return bad(&e),
    };
    let body = match framing(&headers) {
        Err(e) => return bad(&e),
        // RFC 9112 §6.3: a request without either header has no body.
        Ok(Framing::Close) => Vec::new(),
        Ok(f) => match read_body(r, &f, config.max_request_body) {
            Ok(b) => b,
            Err(BodyError::TooLong) => {
                return Ok(Err(Response::text(
                    413,
                    &format!("request body larger than {} bytes", config.max_request_body),
                )));
            }
            Err(BodyError::Protocol(e)) => return bad(&e),
            Err(BodyError::Io(e)) => return Err(e),
        },
    };
    Ok(Ok(Request {
        method: method.to_owned(),
        path: target.to_owned(),
        headers,
        body,
        peer,
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn write_response(
    mut stream: &TcpStream,
    r: &Response,
    head_only: bool,
    config: ServerConfig,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    for (n, v) in &r.headers {
        // A handler bug must not split the response.
        if n.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
            continue;
        }
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        r.body.len()
    ));
    let deadline = Instant::now() + config.write_timeout;
    let body: &[u8] = if head_only { &[] } else { &r.body };
    for part in std::iter::once(head.as_bytes()).chain(body.chunks(64 * 1024)) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left.min(config.read_timeout)))?;
        stream.write_all(part)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::super::{Client, Url};
    use super::*;

    fn echo() -> ServerHandle {
        let h: Arc<Handler> = Arc::new(|r: &Request| {
            if r.path == "/panic" {
                panic!("handler bug");
            }
            if r.path == "/big" {
                return Response::new(200, "application/octet-stream", vec![0u8; 64 << 20]);
            }
            Response::new(200, "application/octet-stream", r.body.clone())
                .with_header("X-Method", &r.method)
                .with_header("X-Path", &r.path)
        });
        let cfg = ServerConfig {
            threads: 2,
            max_request_body: 16,
            read_timeout: Duration::from_millis(500),
            write_timeout: Duration::from_secs(1),
        };
        Server::bind("127.0.0.1:0").unwrap().spawn(cfg, h).unwrap()
    }

    #[test]
    fn requests_round_trip_and_limits_hold() {
        let s = echo();
        let c = Client::default();
        let url = Url::parse(&s.url()).unwrap().join("a/b");
        let r = c.post(&url, &[("X-T", "1")], b"hello", 100).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
        assert_eq!(r.header("x-path"), Some("/a/b"));
        let r = c.request("HEAD", &url, &[], None, 100).unwrap();
        assert_eq!((r.status, r.body.len()), (200, 0));
        assert_eq!(
            c.post(&url, &[], &[0u8; 17], 100).unwrap().status,
            413,
            "body over the limit"
        );
        let panicking = Url::parse(&s.url()).unwrap().join("panic");
        assert_eq!(c.post(&panicking, &[], b"", 100).unwrap().status, 500);
        // The pool survived the panic.
        assert_eq!(c.post(&url, &[], b"x", 100).unwrap().status, 200);
    }

    /// While slow peers hold the workers, another client (giving up after
    /// `timeout`) is answered within `within`: the deadlines freed them.
    fn served_within(s: &ServerHandle, timeout: Duration, within: Duration) {
        let t = Instant::now();
        let url = Url::parse(&s.url()).unwrap().join("x");
        let r = Client::with_timeout(timeout)
            .post(&url, &[], b"ok", 100)
            .unwrap();
        assert_eq!(r.body, b"ok");
        assert!(t.elapsed() < within, "{:?}", t.elapsed());
    }

    #[test]
    fn a_slow_client_is_cut_off_and_others_are_served() {
        let s = echo();
        // Two silent connections hold both workers until the read deadline.
        let _a = TcpStream::connect(s.addr()).unwrap();
        let _b = TcpStream::connect(s.addr()).unwrap();
        served_within(&s, Duration::from_secs(5), Duration::from_secs(3));
    }

    #[test]
    fn a_slow_reader_is_cut_off_and_others_are_served() {
        let s = echo();
        // Two clients take a 64 MiB response at 64 KiB per 10 ms: each
        // write makes progress within the write time-out, so only the
        // overall deadline frees the workers (otherwise: 10 s).
        let mut slow = Vec::new();
        for _ in 0..2 {
            let mut c = TcpStream::connect(s.addr()).unwrap();
            c.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            slow.push(std::thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                let t = Instant::now();
                while t.elapsed() < Duration::from_secs(10) {
                    match c.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            }));
        }
        std::thread::sleep(Duration::from_millis(200));
        served_within(&s, Duration::from_secs(8), Duration::from_secs(4));
        for h in slow {
            h.join().unwrap();
        }
    }
}
