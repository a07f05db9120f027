//! C2SP tlog-tiles layout (c2sp.org/tlog-tiles): hashes and entries of a
//! log as immutable static files.
//!
//! A tile at level `L`, index `N` holds up to 256 consecutive hashes of
//! tree level `8·L`; tile `L/N` is full when it holds 256, and a partial
//! tile of width `W` is stored at `tile/L/N.p/W`. Entry bundles hold the
//! entries of a level-0 tile, each as a big-endian u16 length and the bytes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use super::Error;
use super::merkle::{Hash, NodeSource, perfect_root};
use super::source::{LogSource, MAX_BUNDLE_BYTES, MAX_TILE_BYTES};

/// Tree levels per tile (tlog-tiles "tile height").
pub const TILE_HEIGHT: u32 = 8;
/// Hashes in a full tile, entries in a full bundle.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// The largest entry a bundle can hold (u16 length prefix).
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// tlog-tiles "x-path": `N` as 3-digit groups, all but the last prefixed
/// with `x` (1234067 → `x001/x234/067`).
pub fn x_path(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn with_width(base: String, width: u64) -> String {
    if width == TILE_WIDTH {
        base
    } else {
        format!("{base}.p/{width}")
    }
}

/// Path of tile `level`/`index` with `width` hashes, relative to the log.
pub fn tile_path(level: u32, index: u64, width: u64) -> String {
    with_width(format!("tile/{level}/{}", x_path(index)), width)
}

/// Path of entry bundle `index` with `width` entries, relative to the log.
pub fn bundle_path(index: u64, width: u64) -> String {
    with_width(format!("tile/entries/{}", x_path(index)), width)
}

/// Width of tile `index` at `level` in a tree of `size` leaves (0 when the
/// tile has no hashes yet).
pub fn tile_width(level: u32, index: u64, size: u64) -> u64 {
    let count = size >> (TILE_HEIGHT * level);
    count.saturating_sub(index * TILE_WIDTH).min(TILE_WIDTH)
}

/// Encodes entries as a bundle (u16 BE length || data, each).
pub fn encode_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for e in entries {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| {
            Error::Limit(format!(
                "entry of {} bytes (at most {MAX_ENTRY_BYTES})",
                e.len()
            ))
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decodes a bundle that must hold exactly `count` entries.
pub fn decode_bundle(bytes: &[u8], count: u64, path: &Path) -> Result<Vec<Vec<u8>>, Error> {
    let bad = |why: &str| Error::MalformedTile {
        path: path.to_path_buf(),
        why: why.to_string(),
    };
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(bad("truncated entry length"));
        }
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        rest = &rest[2..];
        if rest.len() < len {
            return Err(bad("truncated entry"));
        }
        out.push(rest[..len].to_vec());
        rest = &rest[len..];
        if out.len() as u64 > count {
            break;
        }
    }
    if out.len() as u64 != count {
        return Err(bad(&format!("{} entries, expected {count}", out.len())));
    }
    Ok(out)
}

/// Decodes a tile that must hold exactly `width` hashes.
pub fn decode_tile(bytes: &[u8], width: u64, path: &Path) -> Result<Vec<Hash>, Error> {
    if bytes.len() as u64 != width * 32 {
        return Err(Error::MalformedTile {
            path: path.to_path_buf(),
            why: format!("{} bytes, expected {}", bytes.len(), width * 32),
        });
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| c.try_into().expect("32-byte chunk"))
        .collect())
}

/// Reads a file of at most `max` bytes.
pub(crate) fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, Error> {
    use crate::fsio::ReadFileError;
    crate::fsio::read_file_capped(path, max).map_err(|e| match e {
        ReadFileError::Io { source, .. } => Error::io(path)(source),
        ReadFileError::TooLarge { .. } => Error::MalformedTile {
            path: path.to_path_buf(),
            why: format!("larger than {max} bytes"),
        },
    })
}

/// Reads the tiles of a log directory as the tree of `size` leaves, with a
/// small cache. A node is served only if it is a complete subtree of that
/// tree.
pub struct TileReader {
    source: LogSource,
    size: u64,
    cache: RefCell<HashMap<TileId, Rc<Vec<Hash>>>>,
}

/// (level, index) of a tile.
type TileId = (u32, u64);

/// Tiles kept in a reader's cache before it is cleared.
const CACHE_TILES: usize = 256;

impl TileReader {
    /// A reader of `dir` as the tree of `size` leaves.
    pub fn new(dir: &Path, size: u64) -> Self {
        Self::from_source(LogSource::Dir(dir.to_path_buf()), size)
    }

    /// A reader of `source` (a directory or a URL) as the tree of `size`
    /// leaves.
    pub fn from_source(source: LogSource, size: u64) -> Self {
        Self {
            source,
            size,
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// Where the tiles are read from.
    pub fn source(&self) -> &LogSource {
        &self.source
    }

    /// The tree size this reader serves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Tile `level`/`index` as it is at this tree size.
    pub fn tile(&self, level: u32, index: u64) -> Result<Rc<Vec<Hash>>, Error> {
        if let Some(t) = self.cache.borrow().get(&(level, index)) {
            return Ok(t.clone());
        }
        let width = tile_width(level, index, self.size);
        if width == 0 {
            return Err(Error::OutOfRange(format!(
                "tile {level}/{index} is beyond tree size {}",
                self.size
            )));
        }
        let rel = tile_path(level, index, width);
        // A partial tile may have been replaced by its full tile, whose
        // first `width` hashes are the same (tlog-tiles "Partial tiles").
        let hashes = match self.source.fetch(&rel, width * 32)? {
            Some(bytes) => decode_tile(&bytes, width, &self.source.location(&rel))?,
            None if width < TILE_WIDTH => {
                let full = tile_path(level, index, TILE_WIDTH);
                let bytes = self.source.fetch_required(&full, MAX_TILE_BYTES)?;
                let mut h = decode_tile(&bytes, TILE_WIDTH, &self.source.location(&full))?;
                h.truncate(width as usize);
                h
            }
            None => return Err(self.source.not_found(&rel)),
        };
        let rc = Rc::new(hashes);
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= CACHE_TILES {
            cache.clear();
        }
        cache.insert((level, index), rc.clone());
        Ok(rc)
    }

    /// The entries of bundle `index` as it is at this tree size.
    pub fn bundle(&self, index: u64) -> Result<Vec<Vec<u8>>, Error> {
        let width = tile_width(0, index, self.size);
        if width == 0 {
            return Err(Error::OutOfRange(format!(
                "entry bundle {index} is beyond tree size {}",
                self.size
            )));
        }
        let max = width * (2 + MAX_ENTRY_BYTES as u64);
        let rel = bundle_path(index, width);
        match self.source.fetch(&rel, max)? {
            Some(bytes) => decode_bundle(&bytes, width, &self.source.location(&rel)),
            None if width < TILE_WIDTH => {
                let full = bundle_path(index, TILE_WIDTH);
                let bytes = self.source.fetch_required(&full, MAX_BUNDLE_BYTES)?;
                let mut e = decode_bundle(&bytes, TILE_WIDTH, &self.source.location(&full))?;
                e.truncate(width as usize);
                Ok(e)
            }
            None => Err(self.source.not_found(&rel)),
        }
    }
}

impl NodeSource for TileReader {
    fn node(&self, level: u32, index: u64) -> Result<Hash, Error> {
        let covered = index
            .checked_add(1)
            .and_then(|i| i.checked_mul(1u64.checked_shl(level)?));
        if level >= 64 || covered.is_none_or(|c| c > self.size) {
            return Err(Error::OutOfRange(format!(
                "node {level}/{index} is not in the tree of size {}",
                self.size
            )));
        }
        let tile_level = level / TILE_HEIGHT;
        let r = level % TILE_HEIGHT;
        let first = index << r; // index of the first covered hash at level 8·tile_level
        let tile = self.tile(tile_level, first / TILE_WIDTH)?;
        let off = (first % TILE_WIDTH) as usize;
        let span = 1usize << r;
        tile.get(off..off + span)
            .map(perfect_root)
            .ok_or_else(|| Error::OutOfRange(format!("node {level}/{index} not in its tile")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_tlog_tiles() {
        assert_eq!(x_path(0), "000");
        assert_eq!(x_path(1234067), "x001/x234/067");
        assert_eq!(x_path(1000), "x001/000");
        assert_eq!(tile_path(1, 1234067, 256), "tile/1/x001/x234/067");
        assert_eq!(tile_path(0, 5, 17), "tile/0/005.p/17");
        assert_eq!(bundle_path(0, 3), "tile/entries/000.p/3");
        assert_eq!(tile_width(0, 0, 300), 256);
        assert_eq!(tile_width(0, 1, 300), 44);
        assert_eq!(tile_width(1, 0, 300), 1);
        assert_eq!(tile_width(0, 2, 300), 0);
    }

    #[test]
    fn bundles_round_trip_and_reject_garbage() {
        let p = Path::new("b");
        let b = encode_bundle(&[b"a".to_vec(), vec![], b"xyz".to_vec()]).unwrap();
        assert_eq!(decode_bundle(&b, 3, p).unwrap()[2], b"xyz");
        assert!(decode_bundle(&b, 2, p).is_err());
        assert!(decode_bundle(&b[..b.len() - 1], 3, p).is_err());
        assert!(encode_bundle(&[vec![0u8; 70000]]).is_err());
    }
}
