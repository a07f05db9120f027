//! Serving a log directory read-only over HTTP as C2SP tlog-tiles
//! (c2sp.org/tlog-tiles), for `glassbox log serve`.
//!
//! Only the spec's resources exist: `checkpoint`, `tile/<L>/<N>[.p/<W>]`
//! and `tile/entries/<N>[.p/<W>]`, with `N` in canonical x-path form and
//! `W` in 1..=255. A request path is parsed into numbers and the file path
//! rebuilt from them, so no request can name any other file (`..`,
//! percent-encoding, `lock`, `glassbox-log.json`, the signing key's path:
//! all 404). Only `GET` and `HEAD` are answered (405 otherwise).
//!
//! Caching follows the spec's "Serving" advice: full tiles and bundles
//! never change (`immutable`, one year); partial ones are replaced when
//! the tree grows (a minute); the checkpoint is the one mutable file
//! (`no-cache`, so clients always revalidate and see a new tree at once).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::source::{MAX_BUNDLE_BYTES, MAX_CHECKPOINT_BYTES};
use super::storage::CHECKPOINT_FILE;
use super::tiles::{TILE_WIDTH, bundle_path, tile_path, x_path};
use crate::http::{Handler, Request, Response};

/// `Cache-Control` of full tiles and entry bundles.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of partial tiles and bundles.
pub const CACHE_PARTIAL: &str = "public, max-age=60";
/// `Cache-Control` of the checkpoint.
pub const CACHE_CHECKPOINT: &str = "no-cache";
/// Tile levels a request may name: 8 levels of 8 tree levels cover 2^64
/// leaves.
const MAX_LEVEL: u32 = 8;

/// A resource of the tlog-tiles layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    /// `checkpoint`.
    Checkpoint,
    /// A Merkle tree tile at `level`, `index`, `width` hashes.
    Tile {
        /// Tile level `L`.
        level: u32,
        /// Tile index `N`.
        index: u64,
        /// Hashes: 256 for a full tile, fewer for a partial one.
        width: u64,
    },
    /// The entry bundle `index` with `width` entries.
    Entries {
        /// Bundle index `N`.
        index: u64,
        /// Entries: 256 for a full bundle.
        width: u64,
    },
}

impl Resource {
    /// Parses a request path (`/checkpoint`, `/tile/0/x001/234.p/7`...),
    /// accepting only the canonical spelling of each number.
    pub fn parse(path: &str) -> Option<Self> {
        let rest = path.strip_prefix('/')?;
        if rest == CHECKPOINT_FILE {
            return Some(Self::Checkpoint);
        }
        let rest = rest.strip_prefix("tile/")?;
        let (head, rest) = rest.split_once('/')?;
        let (npath, width) = match rest.split_once(".p/") {
            Some((n, w)) => (n, Some(w)),
            None => (rest, None),
        };
        let width = match width {
            None => TILE_WIDTH,
            Some(w) => {
                let v = canonical_decimal(w)?;
                if v == 0 || v >= TILE_WIDTH {
                    return None;
                }
                v
            }
        };
        let index = parse_x_path(npath)?;
        let r = if head == "entries" {
            Self::Entries { index, width }
        } else {
            let level = u32::try_from(canonical_decimal(head)?).ok()?;
            if level >= MAX_LEVEL {
                return None;
            }
            Self::Tile {
                level,
                index,
                width,
            }
        };
        // The same path, rebuilt: anything not in canonical form is absent.
        (r.rel_path() == rest_of(path)).then_some(r)
    }

    /// The path under the log directory.
    pub fn rel_path(&self) -> String {
        match self {
            Self::Checkpoint => CHECKPOINT_FILE.to_owned(),
            Self::Tile {
                level,
                index,
                width,
            } => tile_path(*level, *index, *width),
            Self::Entries { index, width } => bundle_path(*index, *width),
        }
    }

    /// The most bytes the spec lets this resource hold.
    pub fn max_bytes(&self) -> u64 {
        match self {
            Self::Checkpoint => MAX_CHECKPOINT_BYTES,
            Self::Tile { width, .. } => width * 32,
            Self::Entries { .. } => MAX_BUNDLE_BYTES,
        }
    }

    fn content_type(&self) -> &'static str {
        match self {
            Self::Checkpoint => "text/plain; charset=utf-8",
            _ => "application/octet-stream",
        }
    }

    fn cache_control(&self) -> &'static str {
        match self {
            Self::Checkpoint => CACHE_CHECKPOINT,
            Self::Tile { width, .. } | Self::Entries { width, .. } if *width == TILE_WIDTH => {
                CACHE_IMMUTABLE
            }
            _ => CACHE_PARTIAL,
        }
    }
}

fn rest_of(path: &str) -> &str {
    path.strip_prefix('/').unwrap_or(path)
}

/// A decimal number without sign or leading zeros (except `0`).
fn canonical_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

/// The inverse of [`x_path`], canonical form only.
fn parse_x_path(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() > 7 {
        return None;
    }
    let mut n: u64 = 0;
    for (i, p) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            p.strip_prefix('x')?
        } else {
            p
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n
            .checked_mul(1000)?
            .checked_add(digits.parse::<u64>().ok()?)?;
    }
    (x_path(n) == s).then_some(n)
}

/// The answer to `req` from the log directory `dir`.
pub fn respond(dir: &Path, req: &Request) -> Response {
    if req.method != "GET" && req.method != "HEAD" {
        return Response::text(405, "read-only log: GET and HEAD only")
            .with_header("Allow", "GET, HEAD");
    }
    let Some(res) = Resource::parse(&req.path) else {
        return Response::text(404, "not a tlog-tiles resource");
    };
    let path = dir.join(res.rel_path());
    match read(&path, res.max_bytes()) {
        Ok(Some(body)) => Response::new(200, res.content_type(), body)
            .with_header("Cache-Control", res.cache_control()),
        // Absent files are not cached long: a partial tile appears once
        // the tree reaches it.
        Ok(None) => Response::text(404, "not found").with_header("Cache-Control", "no-cache"),
        Err(_) => Response::text(500, "cannot read the log directory"),
    }
}

/// Reads a log file without following a symlink at the leaf; `None` if
/// absent.
fn read(path: &Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let f = match crate::fsio::open_regular(path, false) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut buf = Vec::new();
    f.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(std::io::Error::other("larger than the spec allows"));
    }
    Ok(Some(buf))
}

/// A handler serving `dir` (see [`respond`]).
pub fn handler(dir: PathBuf) -> Arc<Handler> {
    Arc::new(move |req: &Request| respond(&dir, req))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::source::MAX_TILE_BYTES;

    #[test]
    fn only_canonical_tlog_tiles_paths_parse() {
        assert_eq!(Resource::parse("/checkpoint"), Some(Resource::Checkpoint));
        assert_eq!(
            Resource::parse("/tile/1/x001/x234/067"),
            Some(Resource::Tile {
                level: 1,
                index: 1234067,
                width: 256
            })
        );
        assert_eq!(
            Resource::parse("/tile/entries/000.p/3"),
            Some(Resource::Entries { index: 0, width: 3 })
        );
        for bad in [
            "/",
            "/vkey",
            "/lock",
            "/glassbox-log.json",
            "/checkpoint/",
            "/tile/0/1",
            "/tile/0/x000/001",
            "/tile/0/001.p/0",
            "/tile/0/001.p/256",
            "/tile/0/001.p/07",
            "/tile/00/001",
            "/tile/8/000",
            "/tile/0/../checkpoint",
            "/tile/0/%30%30%30",
            "/tile/entries/000.p/3?x",
            "/tile/0/x1000/000",
        ] {
            assert_eq!(Resource::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Resource::Tile {
                level: 0,
                index: 0,
                width: 7
            }
            .max_bytes(),
            MAX_TILE_BYTES / 256 * 7
        );
    }
}
