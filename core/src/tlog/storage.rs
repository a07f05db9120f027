//! A log directory: create, append (crash-safe, serialised by a lock
//! file), read entries, prove.
//!
//! Crash safety (the order of [`Log::append`]):
//! 1. take the lock file `DIR/lock` (`flock`-style, [`std::fs::File::lock`]);
//! 2. read and verify the published checkpoint, load the right edge of the
//!    tree from its tiles and check it reproduces the checkpoint's root;
//! 3. write every new entry bundle and tile, each to a temporary file that
//!    is fsynced and renamed into place, then fsync their directories;
//! 4. sign the new checkpoint, write it to `DIR/.checkpoint.tmp`, fsync,
//!    rename over `DIR/checkpoint`, fsync `DIR`;
//! 5. delete partial tiles that the new full tiles supersede.
//!
//! Until step 4's rename the published checkpoint is the old one and every
//! tile it needs keeps its content: new data goes to paths beyond it (full
//! tiles, partial tiles of new widths), and a partial tile of an upper level
//! whose width did not change is replaced, by rename, with the same bytes
//! (its hashes are fixed by the committed entries). A crash anywhere leaves
//! files that no checkpoint references; the next append overwrites them.
//! Step 3's files are independent, so they are written in parallel (16 I/O
//! threads) except under fault injection, which needs a known order.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Error;
use super::checkpoint::{self, Checkpoint, SignedCheckpoint};
use super::key::LogSigner;
use super::leaf::LeafRecord;
use super::merkle::{self, CompactRange, Hash, NodeSource, leaf_hash, perfect_root};
use super::note::{KeyType, Signature, VerifierKey};
use super::proof::TlogProof;
use super::tiles::{
    self, MAX_ENTRY_BYTES, TILE_HEIGHT, TILE_WIDTH, TileReader, bundle_path, tile_path,
};

/// Name of the checkpoint file (tlog-tiles).
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// Name of the verifier-key file.
pub const VKEY_FILE: &str = "vkey";
/// Name of glassbox's own description of the log.
pub const CONFIG_FILE: &str = "glassbox-log.json";
/// Name of the lock file.
pub const LOCK_FILE: &str = "lock";
const CHECKPOINT_TMP: &str = ".checkpoint.tmp";
const CONFIG_FORMAT: &str = "glassbox-log/v1";

/// Where a simulated crash stops [`Log::append_until`]; for tests of crash
/// safety.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// After this many entry bundles or tiles were written and renamed.
    AfterDataFiles(usize),
    /// After every data file and directory was fsynced.
    AfterDataSynced,
    /// After the new checkpoint was written to its temporary file.
    AfterCheckpointTemp,
    /// After the rename, before the directory was fsynced.
    AfterCheckpointRename,
    /// After publishing, before superseded partial tiles were deleted.
    AfterPublish,
}

#[derive(Serialize, Deserialize)]
struct Config {
    format: String,
    origin: String,
    vkey: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_path: Option<PathBuf>,
}

/// A log directory.
#[derive(Clone, Debug)]
pub struct Log {
    dir: PathBuf,
    vkey: VerifierKey,
    key_path: Option<PathBuf>,
}

/// What an append did.
#[derive(Clone, Debug)]
pub struct Appended {
    /// Index of the first entry appended.
    pub first_index: u64,
    /// Leaf hash of each entry appended, in order.
    pub leaf_hashes: Vec<Hash>,
    /// The checkpoint published after the append.
    pub checkpoint: SignedCheckpoint,
}

fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io(dir))
}

/// Writes `bytes` to `path` through a fsynced temporary file and a rename.
fn write_durable(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp"));
    let mut f = File::create(&tmp).map_err(Error::io(&tmp))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(Error::io(&tmp))?;
    fs::rename(&tmp, path).map_err(Error::io(path))
}

impl Log {
    /// Creates a log in `dir` (absent or empty) for the log key `signer`,
    /// whose name is the log's origin, and publishes the empty checkpoint.
    pub fn create(dir: &Path, signer: &LogSigner) -> Result<Self, Error> {
        Self::create_with_key_path(dir, signer, None)
    }

    /// As [`Log::create`], also recording where the signing key lives (so
    /// the command line needs no `--key` on every append).
    pub fn create_with_key_path(
        dir: &Path,
        signer: &LogSigner,
        key_path: Option<&Path>,
    ) -> Result<Self, Error> {
        if signer.kind() != KeyType::Ed25519 {
            return Err(Error::MalformedKey("a log key must be of type 0x01".into()));
        }
        if dir.exists() {
            let mut it = fs::read_dir(dir).map_err(Error::io(dir))?;
            if it.next().is_some() {
                return Err(Error::Io {
                    path: dir.to_path_buf(),
                    error: std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "directory is not empty",
                    ),
                });
            }
        }
        fs::create_dir_all(dir.join("tile")).map_err(Error::io(dir))?;
        let vkey = signer.verifier_key().clone();
        let config = Config {
            format: CONFIG_FORMAT.into(),
            origin: vkey.name.clone(),
            vkey: vkey.to_string(),
            key_path: key_path.map(Path::to_path_buf),
        };
        let json = serde_json::to_vec_pretty(&config).expect("config serialises");
        write_durable(&dir.join(CONFIG_FILE), &json)?;
        write_durable(&dir.join(VKEY_FILE), format!("{vkey}\n").as_bytes())?;
        let log = Self {
            dir: dir.to_path_buf(),
            vkey,
            key_path: config.key_path,
        };
        let empty = Checkpoint {
            origin: log.vkey.name.clone(),
            size: 0,
            root: merkle::empty_root(),
            extensions: Vec::new(),
        };
        log.publish(signer, &empty, None)?;
        Ok(log)
    }

    /// Opens an existing log directory.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(CONFIG_FILE);
        let bytes = tiles::read_bounded(&path, 64 * 1024)?;
        let config: Config = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Inconsistent(format!("{}: {e}", path.display())))?;
        if config.format != CONFIG_FORMAT {
            return Err(Error::Inconsistent(format!(
                "{}: unknown format {:?}",
                path.display(),
                config.format
            )));
        }
        let vkey: VerifierKey = config.vkey.parse()?;
        if vkey.name != config.origin || vkey.kind != KeyType::Ed25519 {
            return Err(Error::Inconsistent(format!(
                "{}: verifier key does not match the origin",
                path.display()
            )));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            vkey,
            key_path: config.key_path,
        })
    }

    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.vkey.name
    }

    /// The log's verifier key.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.vkey
    }

    /// The signing key's path recorded at creation, if any.
    pub fn key_path(&self) -> Option<&Path> {
        self.key_path.as_deref()
    }

    /// The published checkpoint, verified with the log's key.
    pub fn checkpoint(&self) -> Result<SignedCheckpoint, Error> {
        let bytes = tiles::read_bounded(
            &self.dir.join(CHECKPOINT_FILE),
            super::note::MAX_NOTE_BYTES as u64,
        )?;
        checkpoint::open(&bytes, &self.vkey, &[], 0)
    }

    /// The published checkpoint and a reader of the tree at its size.
    pub fn reader(&self) -> Result<(SignedCheckpoint, TileReader), Error> {
        let cp = self.checkpoint()?;
        let r = TileReader::new(&self.dir, cp.checkpoint.size);
        Ok((cp, r))
    }

    /// Appends `entries` (each at most 65535 bytes) and publishes a new
    /// checkpoint signed by `signer`.
    pub fn append<I, E>(&self, signer: &LogSigner, entries: I) -> Result<Appended, Error>
    where
        I: IntoIterator<Item = E>,
        E: AsRef<[u8]>,
    {
        self.append_until(signer, entries, None)
    }

    /// Appends files as `glassbox-leaf/v1` records ([`LeafRecord`]: SHA-256,
    /// size, base name), in order.
    pub fn append_files(&self, signer: &LogSigner, files: &[&Path]) -> Result<Appended, Error> {
        let records = files
            .iter()
            .map(|f| LeafRecord::of_file(f).map(|r| r.to_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        self.append(signer, records)
    }

    /// [`Log::append`] with fault injection: stops with
    /// [`Error::InjectedCrash`] at `crash`, leaving the directory as a
    /// crash there would (tests of crash safety).
    pub fn append_until<I, E>(
        &self,
        signer: &LogSigner,
        entries: I,
        crash: Option<CrashPoint>,
    ) -> Result<Appended, Error>
    where
        I: IntoIterator<Item = E>,
        E: AsRef<[u8]>,
    {
        if signer.verifier_key() != &self.vkey {
            return Err(Error::MalformedKey(format!(
                "the key given is not this log's key ({})",
                self.vkey
            )));
        }
        let lock_path = self.dir.join(LOCK_FILE);
        let lock = crate::fsio::open_lock(&lock_path).map_err(Error::io(&lock_path))?;
        lock.lock().map_err(Error::io(&lock_path))?;

        let old = self.checkpoint()?;
        let mut w = Writer::load(&self.dir, &old.checkpoint, crash)?;
        let first_index = w.size;
        let mut leaf_hashes = Vec::new();
        for e in entries {
            leaf_hashes.push(w.push(e.as_ref())?);
        }
        if leaf_hashes.is_empty() {
            return Ok(Appended {
                first_index,
                leaf_hashes,
                checkpoint: old,
            });
        }
        w.write_partials()?;
        w.flush()?;
        w.sync()?;
        w.crash_at(CrashPoint::AfterDataSynced)?;
        let new = Checkpoint {
            origin: self.vkey.name.clone(),
            size: w.size,
            root: merkle::root_at(&w, w.size)?,
            extensions: Vec::new(),
        };
        let published = self.publish(signer, &new, crash)?;
        if crash == Some(CrashPoint::AfterPublish) {
            return Err(Error::InjectedCrash(CrashPoint::AfterPublish));
        }
        // Superseded partial tiles: harmless if left, so errors are ignored.
        for full in &w.full_written {
            let _ = fs::remove_dir_all(self.dir.join(format!("{full}.p")));
        }
        drop(lock);
        Ok(Appended {
            first_index,
            leaf_hashes,
            checkpoint: published,
        })
    }

    /// Signs `cp` and atomically replaces the published checkpoint.
    fn publish(
        &self,
        signer: &LogSigner,
        cp: &Checkpoint,
        crash: Option<CrashPoint>,
    ) -> Result<SignedCheckpoint, Error> {
        let note = signer.sign_note(&cp.to_text())?;
        let bytes = note.to_bytes();
        let tmp = self.dir.join(CHECKPOINT_TMP);
        let mut f = File::create(&tmp).map_err(Error::io(&tmp))?;
        f.write_all(&bytes)
            .and_then(|_| f.sync_all())
            .map_err(Error::io(&tmp))?;
        if crash == Some(CrashPoint::AfterCheckpointTemp) {
            return Err(Error::InjectedCrash(CrashPoint::AfterCheckpointTemp));
        }
        let dest = self.dir.join(CHECKPOINT_FILE);
        fs::rename(&tmp, &dest).map_err(Error::io(&dest))?;
        if crash == Some(CrashPoint::AfterCheckpointRename) {
            return Err(Error::InjectedCrash(CrashPoint::AfterCheckpointRename));
        }
        sync_dir(&self.dir)?;
        checkpoint::open(&bytes, &self.vkey, &[], 0)
    }

    /// Adds witness cosignatures to the published checkpoint, whose text
    /// must still be `text` (the checkpoint the witnesses cosigned): each
    /// line replaces an older one of the same key. Published like a new
    /// checkpoint (temporary file, fsync, rename), under the append lock,
    /// so monitors, proofs and `log serve` see the cosignatures with it.
    /// The cosignatures are not verified here: the caller verified them
    /// with the witness keys it trusts ([`super::witness::read_reply`]).
    pub fn add_cosignatures(
        &self,
        text: &str,
        cosignatures: &[Signature],
    ) -> Result<SignedCheckpoint, Error> {
        let lock_path = self.dir.join(LOCK_FILE);
        let lock = crate::fsio::open_lock(&lock_path).map_err(Error::io(&lock_path))?;
        lock.lock().map_err(Error::io(&lock_path))?;
        let current = self.checkpoint()?;
        if current.note.text != text {
            let asked = Checkpoint::parse(text).map(|c| c.size).unwrap_or(0);
            return Err(Error::Inconsistent(format!(
                "the log published checkpoint {} while witnesses cosigned checkpoint {asked}; \
                 ask the witnesses again",
                current.checkpoint.size
            )));
        }
        let mut note = current.note;
        for c in cosignatures {
            if c.name == self.vkey.name && c.id == self.vkey.id {
                continue; // never replace the log's own signature
            }
            note.signatures
                .retain(|s| !(s.name == c.name && s.id == c.id));
            note.signatures.push(c.clone());
        }
        let bytes = note.to_bytes();
        write_durable(&self.dir.join(CHECKPOINT_FILE), &bytes)?;
        sync_dir(&self.dir)?;
        drop(lock);
        checkpoint::open(&bytes, &self.vkey, &[], 0)
    }

    /// Entry `index` of the published tree.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, Error> {
        let (cp, r) = self.reader()?;
        if index >= cp.checkpoint.size {
            return Err(Error::OutOfRange(format!(
                "entry {index} is not in the log of size {}",
                cp.checkpoint.size
            )));
        }
        let mut bundle = r.bundle(index / TILE_WIDTH)?;
        Ok(bundle.swap_remove((index % TILE_WIDTH) as usize))
    }

    /// The index of the first entry for which `pred` holds, scanning the
    /// published entries in order.
    pub fn find(&self, mut pred: impl FnMut(&[u8]) -> bool) -> Result<Option<u64>, Error> {
        let (cp, r) = self.reader()?;
        let size = cp.checkpoint.size;
        for b in 0..size.div_ceil(TILE_WIDTH) {
            for (i, e) in r.bundle(b)?.iter().enumerate() {
                if pred(e) {
                    return Ok(Some(b * TILE_WIDTH + i as u64));
                }
            }
        }
        Ok(None)
    }

    /// A tlog-proof of entry `index` against the published checkpoint, the
    /// entry itself as its `extra` data.
    pub fn prove(&self, index: u64) -> Result<TlogProof, Error> {
        let (cp, r) = self.reader()?;
        let hashes = merkle::inclusion_proof(&r, index, cp.checkpoint.size)?;
        let mut bundle = r.bundle(index / TILE_WIDTH)?;
        let entry = bundle.swap_remove((index % TILE_WIDTH) as usize);
        Ok(TlogProof {
            extra: Some(entry),
            index,
            hashes,
            checkpoint: cp.to_bytes(),
        })
    }

    /// A consistency proof from size `old` to size `new` (at most the
    /// published size), RFC 9162 §2.1.4.1.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, Error> {
        let (cp, r) = self.reader()?;
        if new > cp.checkpoint.size {
            return Err(Error::OutOfRange(format!(
                "size {new} is beyond the log's size {}",
                cp.checkpoint.size
            )));
        }
        merkle::consistency_proof(&r, old, new)
    }

    /// The root of the first `size` entries (at most the published size).
    pub fn root_at(&self, size: u64) -> Result<Hash, Error> {
        let (cp, r) = self.reader()?;
        if size > cp.checkpoint.size {
            return Err(Error::OutOfRange(format!(
                "size {size} is beyond the log's size {}",
                cp.checkpoint.size
            )));
        }
        merkle::root_at(&r, size)
    }

    /// Checks the whole directory against the published checkpoint: every
    /// entry hashes to its level-0 tile hash, every tile hash above is the
    /// root of the full tile below, and the entries' root is the
    /// checkpoint's. O(size).
    pub fn check(&self) -> Result<SignedCheckpoint, Error> {
        let (cp, r) = self.reader()?;
        let size = cp.checkpoint.size;
        let mut range = CompactRange::new();
        for b in 0..size.div_ceil(TILE_WIDTH) {
            let entries = r.bundle(b)?;
            let tile = r.tile(0, b)?;
            for (e, t) in entries.iter().zip(tile.iter()) {
                let h = leaf_hash(e);
                if h != *t {
                    return Err(Error::Inconsistent(format!(
                        "entry {} does not match its tile hash",
                        b * TILE_WIDTH
                    )));
                }
                range.push(h);
            }
        }
        let mut level = 0;
        while size >> (TILE_HEIGHT * (level + 1)) > 0 {
            let count = size >> (TILE_HEIGHT * (level + 1));
            for i in 0..count {
                let full = r.tile(level, i)?;
                let above = r.tile(level + 1, i / TILE_WIDTH)?;
                if perfect_root(&full) != above[(i % TILE_WIDTH) as usize] {
                    return Err(Error::Inconsistent(format!(
                        "tile {level}/{i} does not match its hash at level {}",
                        level + 1
                    )));
                }
            }
            level += 1;
        }
        if range.root() != cp.checkpoint.root || merkle::root_at(&r, size)? != cp.checkpoint.root {
            return Err(Error::Inconsistent(
                "entries and tiles do not give the checkpoint's root".into(),
            ));
        }
        Ok(cp)
    }
}

/// The right edge of the tree while appending.
struct Writer<'a> {
    dir: &'a Path,
    size: u64,
    /// Per tile level, the hashes of the rightmost incomplete tile.
    right: Vec<Vec<Hash>>,
    /// Entries of the rightmost incomplete bundle.
    bundle: Vec<Vec<u8>>,
    files: usize,
    crash: Option<CrashPoint>,
    dirs: BTreeSet<PathBuf>,
    full_written: Vec<String>,
    /// Files queued for writing, and their total size.
    pending: Vec<(PathBuf, Vec<u8>)>,
    pending_bytes: usize,
}

/// Bytes of tiles and bundles queued before they are written.
const PENDING_BYTES: usize = 32 << 20;
/// Threads writing and fsyncing files at once (I/O bound, not CPU bound).
const IO_THREADS: usize = 16;

impl<'a> Writer<'a> {
    fn load(dir: &'a Path, cp: &Checkpoint, crash: Option<CrashPoint>) -> Result<Self, Error> {
        let size = cp.size;
        let reader = TileReader::new(dir, size);
        let mut right = Vec::new();
        let mut level = 0;
        loop {
            let count = size >> (TILE_HEIGHT * level);
            if count == 0 {
                break;
            }
            let w = count % TILE_WIDTH;
            right.push(if w > 0 {
                reader.tile(level, count / TILE_WIDTH)?.to_vec()
            } else {
                Vec::new()
            });
            level += 1;
        }
        let bundle = if !size.is_multiple_of(TILE_WIDTH) {
            reader.bundle(size / TILE_WIDTH)?
        } else {
            Vec::new()
        };
        if let Some(r0) = right.first()
            && (bundle.len() != r0.len() || bundle.iter().zip(r0).any(|(e, h)| leaf_hash(e) != *h))
        {
            return Err(Error::Inconsistent(
                "the last entry bundle does not match the last tile".into(),
            ));
        }
        let w = Self {
            dir,
            size,
            right,
            bundle,
            files: 0,
            crash,
            dirs: BTreeSet::new(),
            full_written: Vec::new(),
            pending: Vec::new(),
            pending_bytes: 0,
        };
        if merkle::root_at(&w, size)? != cp.root {
            return Err(Error::Inconsistent(format!(
                "tiles do not give the root of checkpoint {}",
                cp.size
            )));
        }
        Ok(w)
    }

    fn crash_at(&self, p: CrashPoint) -> Result<(), Error> {
        if self.crash == Some(p) {
            return Err(Error::InjectedCrash(p));
        }
        Ok(())
    }

    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.dir.join(rel);
        let parent = path.parent().expect("tile paths have a parent");
        if !self.dirs.contains(parent) {
            fs::create_dir_all(parent).map_err(Error::io(parent))?;
            // New directories must reach the disk too: fsync every ancestor
            // up to the log directory.
            let mut d = parent;
            while d != self.dir {
                self.dirs.insert(d.to_path_buf());
                d = d.parent().expect("inside the log directory");
            }
        }
        if self.crash.is_some() {
            // Fault injection needs a known order: write one file at a time.
            write_durable(&path, bytes)?;
            self.files += 1;
            return self.crash_at(CrashPoint::AfterDataFiles(self.files));
        }
        self.pending_bytes += bytes.len();
        self.pending.push((path, bytes.to_vec()));
        if self.pending_bytes >= PENDING_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the queued files. Each is fsynced before its rename; they are
    /// independent, so they go out in parallel and the fsyncs overlap.
    fn flush(&mut self) -> Result<(), Error> {
        use rayon::prelude::*;
        let pending = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(IO_THREADS)
            .build()
            .map_err(|e| Error::Io {
                path: self.dir.to_path_buf(),
                error: std::io::Error::other(e),
            })?;
        pool.install(|| {
            pending
                .par_iter()
                .try_for_each(|(path, bytes)| write_durable(path, bytes))
        })?;
        self.files += pending.len();
        Ok(())
    }

    fn push(&mut self, entry: &[u8]) -> Result<Hash, Error> {
        if entry.len() > MAX_ENTRY_BYTES {
            return Err(Error::Limit(format!(
                "entry of {} bytes (at most {MAX_ENTRY_BYTES})",
                entry.len()
            )));
        }
        let h = leaf_hash(entry);
        self.bundle.push(entry.to_vec());
        self.size += 1;
        if self.bundle.len() as u64 == TILE_WIDTH {
            let rel = bundle_path((self.size - 1) / TILE_WIDTH, TILE_WIDTH);
            let bytes = tiles::encode_bundle(&self.bundle)?;
            self.write(&rel, &bytes)?;
            self.full_written.push(rel);
            self.bundle.clear();
        }
        if self.right.is_empty() {
            self.right.push(Vec::new());
        }
        self.right[0].push(h);
        let mut level = 0usize;
        while self.right[level].len() as u64 == TILE_WIDTH {
            let count = self.size >> (TILE_HEIGHT * level as u32);
            let rel = tile_path(level as u32, (count - 1) / TILE_WIDTH, TILE_WIDTH);
            let bytes = self.right[level].concat();
            self.write(&rel, &bytes)?;
            self.full_written.push(rel);
            let up = perfect_root(&self.right[level]);
            self.right[level].clear();
            if self.right.len() == level + 1 {
                self.right.push(Vec::new());
            }
            self.right[level + 1].push(up);
            level += 1;
        }
        Ok(h)
    }

    fn write_partials(&mut self) -> Result<(), Error> {
        if !self.bundle.is_empty() {
            let w = self.bundle.len() as u64;
            let rel = bundle_path(self.size / TILE_WIDTH, w);
            let bytes = tiles::encode_bundle(&self.bundle)?;
            self.write(&rel, &bytes)?;
        }
        for level in 0..self.right.len() {
            if self.right[level].is_empty() {
                continue;
            }
            let count = self.size >> (TILE_HEIGHT * level as u32);
            let w = self.right[level].len() as u64;
            let rel = tile_path(level as u32, count / TILE_WIDTH, w);
            let bytes = self.right[level].concat();
            self.write(&rel, &bytes)?;
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), Error> {
        // Deepest first, so a directory is synced after its children.
        for d in self.dirs.iter().rev() {
            sync_dir(d)?;
        }
        sync_dir(self.dir)
    }
}

/// Nodes of the right edge only: enough for the root of the current size.
impl NodeSource for Writer<'_> {
    fn node(&self, level: u32, index: u64) -> Result<Hash, Error> {
        let tl = level / TILE_HEIGHT;
        let r = level % TILE_HEIGHT;
        let first = index << r;
        let count = self.size >> (TILE_HEIGHT * tl);
        let right_tile = count / TILE_WIDTH;
        let tile = self
            .right
            .get(tl as usize)
            .filter(|_| first / TILE_WIDTH == right_tile)
            .ok_or_else(|| {
                Error::OutOfRange(format!("node {level}/{index} not on the right edge"))
            })?;
        let off = (first % TILE_WIDTH) as usize;
        tile.get(off..off + (1usize << r))
            .map(perfect_root)
            .ok_or_else(|| Error::OutOfRange(format!("node {level}/{index} not on the right edge")))
    }
}
