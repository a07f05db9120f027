//! The walk shared by every reader: admitting entry names, hashing content
//! while it streams past, recognising and expanding nested containers, and
//! either collecting the listing ([`Out::Collect`], used by
//! [`Release::open`](super::Release::open)) or handing selected content to
//! a visitor ([`Out::Visit`], used by
//! [`Release::visit_contents`](super::Release::visit_contents)).

use std::collections::{HashMap, HashSet};
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::codec::{Extra, Probe};
use super::error::unwrap_io;
use super::limits::{Budget, Counting, Place, RatioReader, peek};
use super::registry::{self, Reader, Row, SNIFF_LEN};
use super::{
    ContainerFacts, Entry, EntryKind, EntryPath, Format, RawPath, ReadFinding, ReadFindingKind,
    ReadOptions, ReleaseError,
};
use crate::digest::MultiHasher;

/// A zip needs random access, so a zip met inside a stream (a zip inside a
/// tar.gz, or inside another zip) is buffered in memory up to this size and
/// expanded from there. A larger one is listed as a file with its digest and
/// a [`ReadFindingKind::NotExpanded`] finding; nothing is ever spilled to
/// disk.
pub const NESTED_ZIP_BUFFER_CAP: u64 = 16 * 1024 * 1024;

/// Longest symlink chain resolved when looking for escapes and loops
/// (Linux's MAXSYMLINKS is 40).
const MAX_LINK_HOPS: usize = 40;

/// Receives byte progress of the top-level input.
pub trait Progress: Sync {
    /// The total, once known (file size of an archive; sum of file sizes of
    /// a directory).
    fn start(&self, total_bytes: u64);
    /// `bytes` more of the top-level input were read.
    fn advance(&self, bytes: u64);
}

/// The collected listing.
#[derive(Default)]
pub(crate) struct Collected {
    pub entries: Vec<Entry>,
    pub findings: Vec<ReadFinding>,
    /// Containers whose member names stand for paths rooted at `/` of the
    /// machine they are installed on (a `.deb`'s `data.tar.*`, deb(5)):
    /// there an absolute symlink target names a path of the package, not of
    /// the extraction directory's host. A property of the package format,
    /// set by its reader ([`Walk::mark_rooted`]).
    pub rooted: HashSet<EntryPath>,
}

/// The visitor's view: which recorded entries it wants.
pub(crate) struct VisitState<'v> {
    /// The listing made by `open`, sorted by path (stable: duplicates keep
    /// container order).
    pub entries: &'v [Entry],
    /// File entries whose content is wanted.
    pub selected: HashSet<EntryPath>,
    /// Containers with a selected entry somewhere inside.
    pub inner: HashSet<EntryPath>,
    /// Selected containers whose own content could not be handed over in
    /// this pass (it was consumed to expand them); done in another pass.
    pub deferred: Vec<EntryPath>,
    /// Occurrences seen per path, to match duplicates in order.
    pub seen: HashMap<EntryPath, usize>,
    pub visit: &'v mut dyn FnMut(&Entry, &mut dyn Read) -> Result<(), ReleaseError>,
}

impl VisitState<'_> {
    fn recorded(&mut self, path: &EntryPath) -> Option<Entry> {
        let nth = self.seen.entry(path.clone()).or_insert(0);
        let start = self.entries.partition_point(|e| &e.path < path);
        let found = self.entries[start..]
            .iter()
            .take_while(|e| &e.path == path)
            .nth(*nth)
            .cloned();
        *nth += 1;
        found
    }
}

/// Where walk results go.
pub(crate) enum Out<'v> {
    Collect(Collected),
    Visit(VisitState<'v>),
}

/// One walk over (part of) a release.
pub(crate) struct Walk<'w, 'v> {
    pub source: &'w Path,
    pub opts: &'w ReadOptions,
    pub budget: &'w Budget,
    pub out: Out<'v>,
}

/// Longest name or link target accepted (Linux PATH_MAX). Longer ones
/// cannot be extracted anyway, and capping them keeps the per-member work
/// of the name checks and link resolution bounded.
pub(crate) const MAX_NAME_BYTES: usize = 4096;

/// Index of a node in [`Names::nodes`]; 0 is the container's root.
type NodeId = u32;
const ROOT: NodeId = 0;

/// Where a symlink resolves: a node of the tree, possibly followed by
/// `depth` components that name nothing in the container (nothing exists
/// below them, so no further link can be met there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Spot {
    node: NodeId,
    depth: u32,
}

/// Memo of one symlink's resolution, so each link is resolved once.
#[derive(Clone, Copy, Debug)]
enum Memo {
    Unvisited,
    Busy,
    Inside(Spot, usize),
    Escapes,
    Loop,
    /// Resolution stopped at the nesting cap: a loop for the outermost
    /// link, but not remembered for the inner ones (their own chains may be
    /// short enough).
    Cut,
}

/// One path of the container: a member, or a directory implied by one.
struct Node {
    parent: NodeId,
    /// The member's kind; `None` for a directory only implied by deeper
    /// names.
    kind: Option<EntryKind>,
    /// Symlink target.
    target: Option<Vec<u8>>,
    memo: Memo,
    /// foldhash rather than SipHash: a name walk hashes every component
    /// of every name and link target, and SipHash was most of the time of
    /// 10,000 4 KB link targets. foldhash is seeded per process, so
    /// colliding names cannot be prepared in advance.
    children: HashMap<Vec<u8>, NodeId, foldhash::fast::RandomState>,
}

impl Node {
    fn new(parent: NodeId) -> Self {
        Self {
            parent,
            kind: None,
            target: None,
            memo: Memo::Unvisited,
            children: HashMap::default(),
        }
    }
}

/// The names seen in one container as a tree of components, for the
/// duplicate, unsafe-name and link checks. Every check walks a name one
/// component at a time (one hash lookup each), so the work is linear in the
/// bytes of names and link targets, never quadratic.
pub(crate) struct Names {
    container: Option<EntryPath>,
    nodes: Vec<Node>,
    /// Symlinks, in archive order, with their addresses.
    links: Vec<(NodeId, RawPath)>,
    /// Member names are rooted at `/` ([`Collected::rooted`]): an absolute
    /// link target resolves from the container's root.
    rooted: bool,
}

impl Names {
    pub fn new(container: Option<&EntryPath>) -> Self {
        Self {
            container: container.cloned(),
            nodes: vec![Node::new(ROOT)],
            links: Vec::new(),
            rooted: false,
        }
    }

    /// Names of a package rooted at `/` ([`Collected::rooted`]) whose
    /// reader makes the names itself (an RPM's payload, which may be the
    /// top-level release and so have no container path to mark).
    pub fn rooted(mut self) -> Self {
        self.rooted = true;
        self
    }

    fn address(&self, inner: RawPath) -> EntryPath {
        match &self.container {
            Some(c) => c.child(inner),
            None => EntryPath::top(inner),
        }
    }

    fn child(&self, at: NodeId, comp: &[u8]) -> Option<NodeId> {
        self.nodes[at as usize].children.get(comp).copied()
    }

    fn child_or_new(&mut self, at: NodeId, comp: &[u8]) -> NodeId {
        if let Some(c) = self.child(at, comp) {
            return c;
        }
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node::new(at));
        self.nodes[at as usize].children.insert(comp.to_vec(), id);
        id
    }

    /// Resolves symlink `link` lexically against the container's own
    /// members (POSIX path resolution, XBD 4.13): nothing on the auditor's
    /// disk is consulted. Each link is resolved once and remembered; more
    /// than [`MAX_LINK_HOPS`] links followed is a loop, as for ELOOP. A
    /// chain deeper than that is cut short and reported as a loop.
    fn resolve(&mut self, link: NodeId, nesting: usize) -> Memo {
        match self.nodes[link as usize].memo {
            Memo::Unvisited => {}
            Memo::Busy => return Memo::Loop,
            done => return done,
        }
        if nesting > MAX_LINK_HOPS {
            return Memo::Cut;
        }
        self.nodes[link as usize].memo = Memo::Busy;
        let target = self.nodes[link as usize].target.clone().unwrap_or_default();
        let result = match self.walk_target(self.nodes[link as usize].parent, &target, nesting) {
            // Every level of nesting is at least one hop of the outermost
            // link, so past the cap it loops (ELOOP).
            Memo::Cut if nesting == 0 => Memo::Loop,
            Memo::Cut => {
                self.nodes[link as usize].memo = Memo::Unvisited;
                return Memo::Cut;
            }
            r => r,
        };
        self.nodes[link as usize].memo = result;
        result
    }

    fn walk_target(&mut self, base: NodeId, target: &[u8], nesting: usize) -> Memo {
        let base = match target.first() {
            // In an installed package `/` is the package's root (dpkg
            // unpacks data.tar at `/`); `/..` past it is still an escape
            // below, as it is for the extraction directory.
            Some(b'/') if self.rooted => ROOT,
            Some(b'/') => return Memo::Escapes,
            _ => base,
        };
        let mut at = Spot {
            node: base,
            depth: 0,
        };
        let mut hops = 0usize;
        for comp in target.split(|b| *b == b'/') {
            match comp {
                b"" | b"." => {}
                b".." if at.depth > 0 => at.depth -= 1,
                b".." if at.node == ROOT => return Memo::Escapes,
                b".." => at.node = self.nodes[at.node as usize].parent,
                _ if at.depth > 0 => at.depth += 1,
                _ => match self.child(at.node, comp) {
                    None => at.depth = 1,
                    Some(c) if self.nodes[c as usize].kind == Some(EntryKind::Symlink) => {
                        match self.resolve(c, nesting + 1) {
                            Memo::Inside(p, h) => {
                                hops += 1 + h;
                                if hops > MAX_LINK_HOPS {
                                    return Memo::Loop;
                                }
                                at = p;
                            }
                            Memo::Escapes => return Memo::Escapes,
                            Memo::Cut => return Memo::Cut,
                            _ => return Memo::Loop,
                        }
                    }
                    Some(c) => at.node = c,
                },
            }
        }
        Memo::Inside(at, hops)
    }
}

/// Normalises a recorded name the way extractors do before creating it:
/// `./` prefixes, empty and `.` components and trailing slashes go. (`..`
/// and a leading `/` stay; names holding them are refused before this
/// matters.)
pub(crate) fn normalise(raw: &[u8]) -> Vec<u8> {
    let absolute = raw.first() == Some(&b'/');
    let mut out = Vec::with_capacity(raw.len());
    if absolute {
        out.push(b'/');
    }
    for comp in raw.split(|b| *b == b'/') {
        if comp.is_empty() || comp == b"." {
            continue;
        }
        if out.len() > usize::from(absolute) {
            out.push(b'/');
        }
        out.extend_from_slice(comp);
    }
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// Whether an error must stop the whole read (a limit, or a container read
/// two ways or naming unsafe paths: a nested archive customers unpack is
/// as dangerous as the outer one) rather than only the nested container it
/// arose in.
fn is_limit(e: &ReleaseError) -> bool {
    matches!(
        e,
        ReleaseError::Ambiguous { .. }
            | ReleaseError::UnsafeName { .. }
            | ReleaseError::ExpandedBytesLimit { .. }
            | ReleaseError::RatioLimit { .. }
            | ReleaseError::EntriesLimit { .. }
            | ReleaseError::Visitor { .. }
            | ReleaseError::Changed { .. }
    )
}

/// Hashes what is read through it; remembers whether the reader beneath
/// failed, so a failure of the outer stream is never blamed on the nested
/// container being parsed from it.
struct Tee<'a, 'b> {
    inner: &'a mut (dyn Read + 'b),
    hasher: Option<MultiHasher>,
    failed: bool,
}

impl Read for Tee<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                if let Some(h) = &mut self.hasher {
                    h.update(&buf[..n]);
                }
                Ok(n)
            }
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }
}

/// How an error while parsing a member header names where it was: after
/// the last member read, or at the first header.
pub(crate) fn next_header_label(last: Option<&str>) -> String {
    match last {
        Some(name) => format!("(header after `{name}`)"),
        None => "(first header)".to_string(),
    }
}

thread_local! {
    /// One drain buffer per thread, reused for every file: allocating (and
    /// zeroing) a fresh one per file costs more than hashing small files.
    static DRAIN_BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 64 * 1024]);
}

/// Reads to the end (the tee hashes on the way).
fn drain(r: &mut dyn Read) -> io::Result<()> {
    DRAIN_BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => drain_with(r, &mut buf),
        // Re-entered (a reader that drains while being drained): use a
        // buffer of its own.
        Err(_) => drain_with(r, &mut vec![0u8; 64 * 1024]),
    })
}

fn drain_with(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<()> {
    loop {
        match r.read(buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// A compressed stream being expanded: the compressed bytes consumed so
/// far, and what its header and structure hold (`codec.rs`).
pub(crate) struct Codec<'c> {
    pub compressed: Arc<AtomicU64>,
    pub probe: &'c Probe,
    pub extra: &'c Extra,
}

/// Hashes what is read through it, when it has a hasher.
struct HashRead<'a, 'b> {
    inner: &'a mut (dyn Read + 'b),
    hasher: Option<sha2::Sha256>,
}

impl Read for HashRead<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            sha2::Digest::update(h, &buf[..n]);
        }
        Ok(n)
    }
}

/// How a file entry's content reaches [`Walk::file`].
pub(crate) struct Content<'a, 'b> {
    pub reader: &'a mut (dyn Read + 'b),
    /// Size the container declares, checked against the content.
    pub declared: Option<u64>,
    pub place: Place,
    pub short_is_truncation: bool,
    /// A path on disk holding exactly this content, for random access
    /// (top-level files of a directory release).
    pub random: Option<&'a Path>,
    /// Expand even when nested expansion is off (deb members).
    pub forced: bool,
}

impl<'w, 'v> Walk<'w, 'v> {
    /// The escaped address of a container, for messages.
    pub fn label(&self, container: Option<&EntryPath>) -> String {
        match container {
            Some(c) => format!("{}!{c}", self.source.display()),
            None => self.source.display().to_string(),
        }
    }

    /// Whether this walk collects a listing (rather than visiting).
    pub fn collecting(&self) -> bool {
        matches!(self.out, Out::Collect(_))
    }

    /// What a forked walk collected.
    pub fn into_collected(self) -> Collected {
        match self.out {
            Out::Collect(c) => c,
            Out::Visit(_) => unreachable!("forks collect"),
        }
    }

    /// Adds what a forked walk collected.
    pub fn absorb(&mut self, part: Collected) {
        if let Out::Collect(c) = &mut self.out {
            c.entries.extend(part.entries);
            c.findings.extend(part.findings);
        }
    }

    fn finding(&mut self, path: EntryPath, kind: ReadFindingKind) {
        if let Out::Collect(c) = &mut self.out {
            c.findings.push(ReadFinding { path, kind });
        }
    }

    /// Admits one member name: counts it against `max_entries`, refuses
    /// what extractors could write outside the tree or read two ways
    /// ([`ReleaseError::UnsafeName`], [`ReleaseError::Ambiguous`]), and
    /// remembers it for the link checks of [`Walk::finish_container`].
    ///
    /// Refused: absolute names and `..` components; names and link targets
    /// longer than PATH_MAX; a name met twice after the normalisation
    /// extractors apply (`./a`, `a//b`, `a/`), whatever the kinds; a member
    /// below an earlier symlink (extractors would write through the link)
    /// or below an earlier non-directory; a symlink without a target; a hard
    /// link to a name no earlier regular file has.
    pub fn admit(
        &mut self,
        names: &mut Names,
        raw: &[u8],
        kind: EntryKind,
        link: Option<&[u8]>,
    ) -> Result<EntryPath, ReleaseError> {
        let label = self.label(names.container.as_ref());
        self.budget.entry(&label)?;
        let shown = RawPath(raw.to_vec()).to_string();
        let unsafe_name = |reason: String| ReleaseError::UnsafeName {
            archive: label.clone(),
            entry: shown.clone(),
            reason,
        };
        if raw.len() > MAX_NAME_BYTES {
            return Err(unsafe_name(format!(
                "{} bytes long, more than PATH_MAX ({MAX_NAME_BYTES}); no extractor can create it",
                raw.len()
            )));
        }
        if raw.is_empty() {
            return Err(unsafe_name("the name is empty".into()));
        }
        if raw.first() == Some(&b'/') {
            return Err(unsafe_name(
                "absolute name: extractors that honour it (GNU tar -P, bsdtar -P, old unzip) \
                 write outside the extraction directory"
                    .into(),
            ));
        }
        if raw.split(|b| *b == b'/').any(|c| c == b"..") {
            return Err(unsafe_name(
                "a `..` component climbs out of the extraction directory".into(),
            ));
        }
        let inner = RawPath(normalise(raw));
        let path = names.address(inner.clone());
        // Backslashes and drive letters mean something only to Windows
        // extractors; on the Unix tools they are plain bytes, so they stay
        // findings here (zip names with backslashes are refused by the zip
        // reader, where the Unix tools themselves disagree).
        let bytes = inner.as_bytes();
        let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
        if bytes.first() == Some(&b'\\') || drive {
            self.finding(path.clone(), ReadFindingKind::AbsolutePath);
        }
        if bytes.split(|b| *b == b'\\').any(|c| c == b"..") {
            self.finding(path.clone(), ReadFindingKind::ParentTraversal);
        }
        // Walk the tree one component at a time; `walked` is how much of
        // `raw` names the current node, for messages.
        let mut at = ROOT;
        let mut walked = 0usize;
        let mut pos = 0usize;
        for comp in raw.split(|b| *b == b'/') {
            let end = pos + comp.len();
            pos = end + 1;
            if comp.is_empty() || comp == b"." {
                continue;
            }
            match names.nodes[at as usize].kind {
                Some(EntryKind::Symlink) => {
                    return Err(unsafe_name(format!(
                        "it lies below `{}`, a symlink declared earlier in the archive: \
                         extractors would write through the link, possibly outside the tree",
                        RawPath(normalise(&raw[..walked])),
                    )));
                }
                Some(k) if k != EntryKind::Dir => {
                    return Err(unsafe_name(format!(
                        "it lies below `{}`, which an earlier member made a {k:?} \
                         (not a directory): extractors fail or replace it, each its own way",
                        RawPath(normalise(&raw[..walked])),
                    )));
                }
                _ => {}
            }
            at = names.child_or_new(at, comp);
            walked = end;
        }
        let node = &mut names.nodes[at as usize];
        match node.kind {
            Some(_) => {
                return Err(ReleaseError::Ambiguous {
                    archive: label.clone(),
                    entry: shown.clone(),
                    reason: format!(
                        "the name `{inner}` occurs twice (after removing `./`, `//` and \
                         trailing `/` as extractors do): glassbox would check the first, \
                         tar, Python and Java keep the last, `unzip -n` the first"
                    ),
                });
            }
            None if !node.children.is_empty() && kind != EntryKind::Dir => {
                return Err(unsafe_name(format!(
                    "a {kind:?} replaces `{inner}`, a directory earlier members were put in"
                )));
            }
            None => {}
        }
        match kind {
            EntryKind::Symlink => {
                let target = link.unwrap_or_default();
                if target.is_empty() {
                    return Err(unsafe_name(
                        "a symlink without a target: extractors fail or create it \
                         differently"
                            .into(),
                    ));
                }
                if target.len() > MAX_NAME_BYTES {
                    return Err(unsafe_name(format!(
                        "link target is {} bytes, more than PATH_MAX ({MAX_NAME_BYTES})",
                        target.len()
                    )));
                }
                names.nodes[at as usize].target = Some(target.to_vec());
                names.links.push((at, inner));
            }
            EntryKind::Hardlink => {
                let target = link.unwrap_or_default();
                self.check_hardlink(names, target).map_err(unsafe_name)?;
            }
            _ => {}
        }
        // Recorded only now, so a hard link cannot name itself.
        names.nodes[at as usize].kind = Some(kind);
        Ok(path)
    }

    /// A hard link (tar) names an earlier member from the archive root; the
    /// extractor calls link(2) on what it already wrote. Anything else — no
    /// such member, a directory, a name through a symlink — makes each tool
    /// do something different (fail, skip, or link to a file outside).
    fn check_hardlink(&self, names: &Names, target: &[u8]) -> Result<(), String> {
        let shown = RawPath(target.to_vec());
        if target.is_empty() {
            return Err("a hard link without a target".into());
        }
        if target.len() > MAX_NAME_BYTES {
            return Err(format!(
                "link target is {} bytes, more than PATH_MAX ({MAX_NAME_BYTES})",
                target.len()
            ));
        }
        if target.first() == Some(&b'/') || target.split(|b| *b == b'/').any(|c| c == b"..") {
            return Err(format!(
                "hard link to `{shown}`, outside the archive: extractors would link to a file \
                 of the machine they run on"
            ));
        }
        let mut at = ROOT;
        for comp in target
            .split(|b| *b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
        {
            if names.nodes[at as usize].kind == Some(EntryKind::Symlink) {
                return Err(format!(
                    "hard link to `{shown}`, which passes through a symlink: extractors would \
                     link to whatever the symlink points at"
                ));
            }
            at = names.child(at, comp).ok_or_else(|| {
                format!(
                    "hard link to `{shown}`, which no earlier member of the archive is: \
                     extractors fail or link to a file already on disk"
                )
            })?;
        }
        match names.nodes[at as usize].kind {
            Some(EntryKind::File | EntryKind::Hardlink) => Ok(()),
            _ => Err(format!(
                "hard link to `{shown}`, which no earlier regular file of the archive is"
            )),
        }
    }

    /// Marks `container` as a package tree rooted at `/`
    /// ([`Collected::rooted`]); called by a format's reader before the
    /// container is expanded.
    pub fn mark_rooted(&mut self, container: &EntryPath) {
        if let Out::Collect(c) = &mut self.out {
            c.rooted.insert(container.clone());
        }
    }

    /// Escaping links and link loops of one container, as findings. In a
    /// package rooted at `/`, an absolute link to a path the package does
    /// not hold (`/etc/ssl/openssl.cnf` from libssl3) is information: it is
    /// how packages refer to files of other packages, and no extractor
    /// writes through it (a member below a symlink is refused in
    /// [`Walk::admit`]).
    pub fn finish_container(&mut self, mut names: Names) {
        let Out::Collect(c) = &self.out else {
            return;
        };
        names.rooted = names.rooted
            || names
                .container
                .as_ref()
                .is_some_and(|p| c.rooted.contains(p));
        let links = std::mem::take(&mut names.links);
        for (node, inner) in links {
            let path = names.address(inner);
            let memo = names.resolve(node, 0);
            let target = RawPath(
                names.nodes[node as usize]
                    .target
                    .clone()
                    .unwrap_or_default(),
            );
            match memo {
                Memo::Escapes => self.finding(path, ReadFindingKind::SymlinkEscapes { target }),
                Memo::Loop => self.finding(path, ReadFindingKind::SymlinkLoop),
                Memo::Inside(spot, _) if spot.depth > 0 && target.as_bytes().starts_with(b"/") => {
                    self.finding(path, ReadFindingKind::SymlinkOutsidePackage { target })
                }
                _ => {}
            }
        }
    }

    /// Records a member that has no content to read (directory, link, ...).
    pub fn other(&mut self, entry: Entry) {
        if let Out::Collect(c) = &mut self.out {
            c.entries.push(entry);
        } else if let Out::Visit(v) = &mut self.out {
            // Keep duplicate counting in step with the listing.
            v.recorded(&entry.path);
        }
    }

    /// Records a member that could not be read, with a finding.
    pub fn unreadable(&mut self, entry: Entry, reason: String) {
        self.finding(entry.path.clone(), ReadFindingKind::Unreadable { reason });
        self.other(entry);
    }

    /// A file member: hashes it (collect) or hands it to the visitor, and
    /// expands it when it is a container and expansion is wanted.
    pub fn file(&mut self, entry: Entry, c: Content<'_, '_>) -> Result<(), ReleaseError> {
        let mut guarded =
            super::limits::ContentReader::new(c.reader, self.budget, c.place.clone(), c.declared);
        guarded.short_is_truncation = c.short_is_truncation;
        if matches!(self.out, Out::Collect(_)) {
            self.collect_file(entry, &mut guarded, c.random, c.forced)
        } else {
            self.visit_file(entry, &mut guarded, c.random)
        }
    }

    fn collect_file(
        &mut self,
        mut entry: Entry,
        reader: &mut dyn Read,
        random: Option<&Path>,
        forced: bool,
    ) -> Result<(), ReleaseError> {
        let lift = |e: io::Error, entry: &Entry| match unwrap_io(e) {
            Ok(r) => r,
            Err(e) => ReleaseError::from_io(&entry.path, e),
        };
        let mut tee = Tee {
            inner: reader,
            hasher: Some(MultiHasher::new(self.opts.digests)),
            failed: false,
        };
        if forced || self.opts.expand_nested {
            let head = peek(&mut tee, SNIFF_LEN).map_err(|e| lift(e, &entry))?;
            if let Some(row) = registry::sniff(&head, entry.path.inner().file_name()) {
                if entry.path.depth() >= self.opts.limits.max_depth {
                    self.finding(entry.path.clone(), ReadFindingKind::DepthLimitReached);
                } else {
                    let mark = match &self.out {
                        Out::Collect(c) => (c.entries.len(), c.findings.len()),
                        Out::Visit(_) => (0, 0),
                    };
                    let mut chained = Cursor::new(head).chain(&mut tee);
                    let name = entry.path.inner().file_name().to_vec();
                    let result = self.expand(Some(&entry.path), &name, row, &mut chained, random);
                    let tee_failed = chained.into_inner().1.failed;
                    match result {
                        Ok(Some((format, facts))) => {
                            entry.expanded_as = Some(format);
                            entry.header.get_or_insert_default().container = Some(facts);
                        }
                        Ok(None) => {}
                        Err(e) if tee_failed || is_limit(&e) => return Err(e),
                        Err(e) => {
                            // A nested container that cannot be parsed: list
                            // it as a file, say why, keep reading the rest.
                            if let Out::Collect(c) = &mut self.out {
                                c.entries.truncate(mark.0);
                                c.findings.truncate(mark.1);
                            }
                            self.finding(
                                entry.path.clone(),
                                ReadFindingKind::NotExpanded {
                                    format: row.format,
                                    reason: e.brief(),
                                },
                            );
                        }
                    }
                }
            }
        }
        drain(&mut tee).map_err(|e| lift(e, &entry))?;
        let hasher = tee.hasher.take().expect("hasher present");
        entry.size = hasher.len();
        entry.digests = Some(hasher.finish());
        if let Out::Collect(c) = &mut self.out {
            c.entries.push(entry);
        }
        Ok(())
    }

    fn visit_file(
        &mut self,
        entry: Entry,
        reader: &mut dyn Read,
        random: Option<&Path>,
    ) -> Result<(), ReleaseError> {
        let Out::Visit(v) = &mut self.out else {
            unreachable!("visit_file only in visit mode")
        };
        let Some(recorded) = v.recorded(&entry.path) else {
            return Err(ReleaseError::Changed { path: entry.path });
        };
        let want_self = v.selected.contains(&entry.path);
        let want_inner = recorded.expanded_as.is_some() && v.inner.contains(&entry.path);
        // Never more than was listed: content that grew since `open` fails.
        let mut capped = super::limits::ContentReader::new(
            reader,
            self.budget,
            Place {
                archive: self.label(entry.path.container().as_ref()),
                entry: entry.path.inner().to_string(),
                offset: 0,
            },
            Some(recorded.size),
        );
        capped.short_is_truncation = false;
        let reader: &mut dyn Read = &mut capped;
        let Out::Visit(v) = &mut self.out else {
            unreachable!("visit_file only in visit mode")
        };
        let lift = |e: io::Error| ReleaseError::from_io(&entry.path, e);
        match (want_self, want_inner) {
            (false, false) => Ok(()),
            (true, false) => {
                (v.visit)(&recorded, reader)?;
                Ok(())
            }
            (false, true) => self.visit_inner(&recorded, reader, random),
            (true, true) => {
                if let Some(p) = random {
                    let mut f = crate::fsio::open_regular(p, false).map_err(lift)?;
                    (v.visit)(&recorded, &mut f)?;
                    return self.visit_inner(&recorded, reader, random);
                }
                let got = crate::fsio::read_capped(&mut *reader, NESTED_ZIP_BUFFER_CAP, 0)
                    .map_err(lift)?;
                let buf = got.bytes;
                if got.over {
                    // Too big to hold: expand it now (its inner entries
                    // stream from here) and hand its own bytes over in a
                    // later pass.
                    v.deferred.push(recorded.path.clone());
                    let mut rest = Cursor::new(buf).chain(reader);
                    return self.visit_inner(&recorded, &mut rest, None);
                }
                (v.visit)(&recorded, &mut Cursor::new(&buf[..]))?;
                self.visit_inner(&recorded, &mut Cursor::new(buf), None)
            }
        }
    }

    fn visit_inner(
        &mut self,
        recorded: &Entry,
        reader: &mut dyn Read,
        random: Option<&Path>,
    ) -> Result<(), ReleaseError> {
        let lift = |e: io::Error| ReleaseError::from_io(&recorded.path, e);
        let head = peek(reader, SNIFF_LEN).map_err(lift)?;
        let Some(row) = registry::sniff(&head, recorded.path.inner().file_name()) else {
            return Err(ReleaseError::Changed {
                path: recorded.path.clone(),
            });
        };
        let name = recorded.path.inner().file_name().to_vec();
        let mut chained = Cursor::new(head).chain(reader);
        self.expand(Some(&recorded.path), &name, row, &mut chained, random)?;
        Ok(())
    }

    /// Reads the container `row` recognised in `reader` (its first bytes
    /// included); its members are addressed under `container`. `random`
    /// is a path on disk with the same bytes, for zip. Returns the format
    /// the container turned out to be (`tar.gz` for a gzip holding a tar)
    /// with what its reader recorded about it, or `None` when it was
    /// recognised but not expanded (with a finding).
    pub fn expand(
        &mut self,
        container: Option<&EntryPath>,
        name: &[u8],
        row: &'static Row,
        reader: &mut dyn Read,
        random: Option<&Path>,
    ) -> Result<Option<(Format, ContainerFacts)>, ReleaseError> {
        match &row.reader {
            Reader::Tar => {
                let facts = super::tar::read(self, container, row.format, reader)?;
                Ok(Some((row.format, facts)))
            }
            Reader::Ar => {
                let facts = super::ar::read(self, container, row.format, reader)?;
                Ok(Some((row.format, facts)))
            }
            Reader::Rpm => {
                super::rpm::read(self, container, reader)?;
                // repro compares an rpm as its bytes (`canonical/build.rs`).
                Ok(Some((row.format, ContainerFacts::default())))
            }
            Reader::Zip => {
                if let Some(p) = random {
                    let f =
                        crate::fsio::open_regular(p, false).map_err(|e| ReleaseError::Open {
                            path: p.to_path_buf(),
                            error: e,
                        })?;
                    let facts = super::zip::read(self, container, &mut BufReader::new(f), Some(p))?;
                    return Ok(Some((row.format, facts)));
                }
                let got = crate::fsio::read_capped(&mut *reader, NESTED_ZIP_BUFFER_CAP, 0)
                    .map_err(|e| self.io_error(container, e))?;
                let buf = got.bytes;
                if got.over {
                    let path = container
                        .cloned()
                        .unwrap_or_else(|| EntryPath::top(RawPath(name.to_vec())));
                    self.finding(
                        path,
                        ReadFindingKind::NotExpanded {
                            format: Format::Zip,
                            reason: format!(
                                "a zip inside a stream is expanded only up to {NESTED_ZIP_BUFFER_CAP} \
                                 bytes (it needs random access; nothing is spilled to disk)"
                            ),
                        },
                    );
                    return Ok(None);
                }
                let facts = super::zip::read(self, container, &mut Cursor::new(buf), None)?;
                Ok(Some((row.format, facts)))
            }
            Reader::Codec { decode, .. } => {
                let probe = Probe::new(row.format);
                let extra = Extra::default();
                let (counting, compressed) = Counting::new(probe.wrap(reader));
                let mut decoded = decode(Box::new(counting), extra.clone()).map_err(|e| {
                    ReleaseError::Corrupt {
                        archive: self.label(container),
                        entry: String::new(),
                        offset: 0,
                        reason: e.to_string(),
                    }
                })?;
                let stream = Codec {
                    compressed,
                    probe: &probe,
                    extra: &extra,
                };
                self.expand_decoded(container, name, row, &mut decoded, stream)
            }
        }
    }

    /// The decompressed stream of codec `row`: a tar (the release format is
    /// then `tar.gz` and so on) or one file. `codec` counts the compressed
    /// bytes consumed so far, for the ratio limit and offsets, and records
    /// the stream's [`CodecFacts`](super::CodecFacts).
    pub fn expand_decoded(
        &mut self,
        container: Option<&EntryPath>,
        name: &[u8],
        row: &'static Row,
        decoded: &mut dyn Read,
        codec: Codec<'_>,
    ) -> Result<Option<(Format, ContainerFacts)>, ReleaseError> {
        let compressed = codec.compressed.clone();
        let Reader::Codec { tar, .. } = &row.reader else {
            unreachable!("expand_decoded is for codecs")
        };
        let label = self.label(container);
        let mut ratio = RatioReader {
            inner: decoded,
            compressed,
            out: 0,
            max_ratio: self.opts.limits.max_ratio,
            place: Place {
                archive: label.clone(),
                entry: format!("({} stream)", row.format),
                offset: 0,
            },
        };
        let head = peek(&mut ratio, SNIFF_LEN).map_err(|e| self.io_error(container, e))?;
        let tar_row = registry::tar_row();
        let hint = registry::tar_hint(name) || name.is_empty();
        let mut chained = Cursor::new(head.clone()).chain(&mut ratio);
        let (format, mut facts, payload) = if (tar_row.sniff)(&head, hint) {
            // The decompressed tar's own digest: repro tells "the same tar
            // compressed differently" from "a different tar" by it.
            let mut hashed = HashRead {
                inner: &mut chained,
                hasher: self.collecting().then(sha2::Sha256::default),
            };
            let facts = super::tar::read(self, container, *tar, &mut hashed)?;
            let payload = hashed
                .hasher
                .map(|h| crate::digest::Sha256Digest(sha2::Digest::finalize(h).into()));
            (*tar, facts, payload)
        } else {
            let inner_name = registry::decompressed_name(row, name);
            self.single(container, &inner_name, row.format, &mut chained)?;
            (row.format, ContainerFacts::default(), None)
        };
        let extra = codec.extra.load(std::sync::atomic::Ordering::Relaxed);
        let recorded = codec.probe.finish(extra, payload).map_err(|why| {
            self.io_error(container, io::Error::new(io::ErrorKind::InvalidData, why))
        })?;
        facts.codec = Some(recorded);
        Ok(Some((format, facts)))
    }

    /// A container holding exactly one file with no metadata of its own
    /// (a `.gz` and its kin, or a release that is one plain file).
    pub fn single(
        &mut self,
        container: Option<&EntryPath>,
        name: &[u8],
        format: Format,
        reader: &mut dyn Read,
    ) -> Result<(), ReleaseError> {
        let mut names = Names::new(container);
        let path = self.admit(&mut names, name, EntryKind::File, None)?;
        let entry = Entry {
            path,
            kind: EntryKind::File,
            size: 0,
            mode: None,
            mtime: None,
            owner: None,
            link_target: None,
            digests: None,
            format,
            expanded_as: None,
            header: None,
        };
        let place = Place {
            archive: self.label(container),
            entry: String::from_utf8_lossy(name).into_owned(),
            offset: 0,
        };
        self.file(
            entry,
            Content {
                reader,
                declared: None,
                place,
                short_is_truncation: true,
                random: None,
                forced: false,
            },
        )
    }

    /// An I/O error while reading `container`'s own stream.
    pub fn io_error(&self, container: Option<&EntryPath>, e: io::Error) -> ReleaseError {
        match unwrap_io(e) {
            Ok(r) => r,
            Err(e) => ReleaseError::Corrupt {
                archive: self.label(container),
                entry: String::new(),
                offset: 0,
                reason: e.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_keeps_dotdot_and_root_but_drops_dots() {
        assert_eq!(normalise(b"./a//b/./c/"), b"a/b/c");
        assert_eq!(normalise(b"/etc/passwd"), b"/etc/passwd");
        assert_eq!(normalise(b"a/../../x"), b"a/../../x");
        assert_eq!(normalise(b"./"), b".");
    }

    fn names_with_links(links: &[(&[u8], &[u8])]) -> (Names, Vec<NodeId>) {
        let mut n = Names::new(None);
        let mut ids = Vec::new();
        for (name, target) in links {
            let mut at = ROOT;
            for c in name.split(|b| *b == b'/') {
                at = n.child_or_new(at, c);
            }
            n.nodes[at as usize].kind = Some(EntryKind::Symlink);
            n.nodes[at as usize].target = Some(target.to_vec());
            ids.push(at);
        }
        (n, ids)
    }

    fn outcome(m: Memo) -> &'static str {
        match m {
            Memo::Inside(..) => "inside",
            Memo::Escapes => "escapes",
            Memo::Loop => "loop",
            _ => "unresolved",
        }
    }

    #[test]
    fn resolve_finds_escapes_through_intermediate_links() {
        let (mut n, ids) = names_with_links(&[
            (b"up", b".."),
            (b"a/b/c", b"../c"),
            (b"via", b"up/etc"),
            (b"abs", b"/etc/passwd"),
            (b"x", b"y"),
            (b"y", b"x"),
            (b"deep/l", b"../nothing/here/../../deep"),
        ]);
        let got: Vec<_> = ids.iter().map(|i| outcome(n.resolve(*i, 0))).collect();
        assert_eq!(
            got,
            [
                "escapes", "inside", "escapes", "escapes", "loop", "loop", "inside"
            ]
        );
    }

    #[test]
    fn a_chain_longer_than_maxsymlinks_is_a_loop() {
        let names: Vec<Vec<u8>> = (0..=MAX_LINK_HOPS + 1)
            .map(|i| format!("l{i}").into_bytes())
            .collect();
        let mut pairs: Vec<(&[u8], &[u8])> =
            names.windows(2).map(|w| (&w[0][..], &w[1][..])).collect();
        pairs.push((&names[MAX_LINK_HOPS + 1], b"."));
        let (mut n, ids) = names_with_links(&pairs);
        assert_eq!(outcome(n.resolve(ids[0], 0)), "loop");
        assert_eq!(outcome(n.resolve(ids[5], 0)), "inside");
    }
}
