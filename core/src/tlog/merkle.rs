//! RFC 6962 / RFC 9162 §2 Merkle trees: hashing, inclusion and consistency
//! proofs (create and verify).
//!
//! Proof creation works over any [`NodeSource`] that can return the hash of
//! a perfect subtree, so the same code runs on an in-memory tree
//! ([`MemoryTree`]) and on tiles on disk ([`crate::tlog::tiles::TileReader`]).

use sha2::{Digest, Sha256};

use super::Error;

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// Longest proof a tree of at most 2^64 leaves can need: one hash per level.
pub const MAX_PROOF_HASHES: usize = 64;

/// RFC 9162 §2.1.1: MTH({}) = SHA-256().
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// RFC 9162 §2.1.1: MTH({d}) = SHA-256(0x00 || d).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// RFC 9162 §2.1.1: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly smaller than `n` (n >= 2), the split
/// point `k` of RFC 9162 §2.1.1.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Anything that can give the hash of a perfect subtree: the node at
/// `level` (0 = leaves) and `index` covers leaves
/// `index << level .. (index + 1) << level`.
pub trait NodeSource {
    /// The hash of that node, or an error if the source does not hold it.
    fn node(&self, level: u32, index: u64) -> Result<Hash, Error>;
}

/// `MTH(D[start:end])` for a range that is a subtree of the RFC 9162 tree
/// structure (`start` is a multiple of the largest power of two that is
/// at most `end - start`).
pub fn subtree_hash<S: NodeSource + ?Sized>(src: &S, start: u64, end: u64) -> Result<Hash, Error> {
    let n = end - start;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() {
        let level = n.trailing_zeros();
        return src.node(level, start >> level);
    }
    let k = split_point(n);
    Ok(node_hash(
        &subtree_hash(src, start, start + k)?,
        &subtree_hash(src, start + k, end)?,
    ))
}

/// The root of the first `size` leaves.
pub fn root_at<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Hash, Error> {
    subtree_hash(src, 0, size)
}

/// RFC 9162 §2.1.3.1: the inclusion proof `PATH(index, D[0:size])`.
pub fn inclusion_proof<S: NodeSource + ?Sized>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, Error> {
    if index >= size {
        return Err(Error::OutOfRange(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    }
    // Walk down from the root, collecting siblings; the proof lists them
    // leaf-first, so reverse at the end.
    let (mut start, mut end, mut m) = (0u64, size, index);
    let mut path = Vec::new();
    while end - start > 1 {
        let k = split_point(end - start);
        if m < k {
            path.push(subtree_hash(src, start + k, end)?);
            end = start + k;
        } else {
            path.push(subtree_hash(src, start, start + k)?);
            start += k;
            m -= k;
        }
    }
    path.reverse();
    Ok(path)
}

/// RFC 9162 §2.1.4.1: the consistency proof `PROOF(old, D[0:new])`.
pub fn consistency_proof<S: NodeSource + ?Sized>(
    src: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, Error> {
    if old == 0 || old > new {
        return Err(Error::OutOfRange(format!(
            "no consistency proof from size {old} to size {new}"
        )));
    }
    // SUBPROOF(m, D[start:end], b), iteratively.
    let (mut start, mut end, mut m, mut b) = (0u64, new, old, true);
    let mut proof = Vec::new();
    loop {
        let n = end - start;
        if m == n {
            if !b {
                proof.push(subtree_hash(src, start, end)?);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            proof.push(subtree_hash(src, start + k, end)?);
            end = start + k;
        } else {
            proof.push(subtree_hash(src, start, start + k)?);
            start += k;
            m -= k;
            b = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// RFC 9162 §2.1.3.2: the root an inclusion proof leads to.
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, Error> {
    if index >= size {
        return Err(Error::InclusionFailed("leaf index not below tree size"));
    }
    let (mut fn_, mut sn, mut r) = (index, size - 1, *leaf);
    for p in proof {
        if sn == 0 {
            return Err(Error::InclusionFailed("proof longer than the tree is deep"));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(Error::InclusionFailed(
            "proof shorter than the tree is deep",
        ));
    }
    Ok(r)
}

/// RFC 9162 §2.1.3.2: verifies that `leaf` is at `index` in the tree of
/// `size` leaves with root `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), Error> {
    if root_from_inclusion(index, size, leaf, proof)? != *root {
        return Err(Error::InclusionFailed("computed root differs"));
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: verifies that the tree of `old` leaves with root
/// `old_root` is a prefix of the tree of `new` leaves with root `new_root`.
///
/// A proof from size 0 is refused, as in transparency-dev/merkle: it proves
/// nothing (C2SP tlog-witness accepts old size 0 with no proof; callers
/// handle that protocol rule before calling this).
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), Error> {
    if new < old {
        return Err(Error::ConsistencyFailed(
            "new size is smaller than old size",
        ));
    }
    if old == 0 {
        return Err(Error::ConsistencyFailed("consistency from the empty tree"));
    }
    if old == new {
        if !proof.is_empty() {
            return Err(Error::ConsistencyFailed(
                "non-empty proof between equal sizes",
            ));
        }
        if old_root != new_root {
            return Err(Error::ConsistencyFailed("equal sizes but different roots"));
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(Error::ConsistencyFailed("empty proof"));
    }
    // Step 1: if old is an exact power of two, prepend old_root.
    let mut hashes: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        hashes.push(old_root);
    }
    hashes.extend(proof.iter());
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*hashes[0], *hashes[0]);
    for c in &hashes[1..] {
        if sn == 0 {
            return Err(Error::ConsistencyFailed("proof longer than expected"));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(Error::ConsistencyFailed("proof shorter than expected"));
    }
    if fr != *old_root {
        return Err(Error::ConsistencyFailed("old root differs"));
    }
    if sr != *new_root {
        return Err(Error::ConsistencyFailed("new root differs"));
    }
    Ok(())
}

/// [`verify_inclusion`] for untyped input (hashes of any length, as in
/// JSON probes): anything that is not 32 bytes fails.
pub fn verify_inclusion_bytes(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[Vec<u8>],
    root: &[u8],
) -> Result<(), Error> {
    let leaf: Hash = leaf
        .try_into()
        .map_err(|_| Error::InclusionFailed("leaf hash is not 32 bytes"))?;
    let root: Hash = root
        .try_into()
        .map_err(|_| Error::InclusionFailed("root is not 32 bytes"))?;
    let proof = typed_proof(proof).ok_or(Error::InclusionFailed("proof hash is not 32 bytes"))?;
    verify_inclusion(index, size, &leaf, &proof, &root)
}

/// [`verify_consistency`] for untyped input. As transparency-dev/merkle,
/// equal sizes with an empty proof compare the roots as bytes; otherwise
/// anything that is not 32 bytes fails.
pub fn verify_consistency_bytes(
    old: u64,
    new: u64,
    proof: &[Vec<u8>],
    old_root: &[u8],
    new_root: &[u8],
) -> Result<(), Error> {
    if old == new && old != 0 && proof.is_empty() {
        return if old_root == new_root {
            Ok(())
        } else {
            Err(Error::ConsistencyFailed("equal sizes but different roots"))
        };
    }
    let (Ok(r1), Ok(r2)) = (<Hash>::try_from(old_root), <Hash>::try_from(new_root)) else {
        return Err(Error::ConsistencyFailed("root is not 32 bytes"));
    };
    let proof = typed_proof(proof).ok_or(Error::ConsistencyFailed("proof hash is not 32 bytes"))?;
    verify_consistency(old, new, &proof, &r1, &r2)
}

fn typed_proof(proof: &[Vec<u8>]) -> Option<Vec<Hash>> {
    if proof.len() > MAX_PROOF_HASHES {
        return None;
    }
    proof.iter().map(|p| p.as_slice().try_into().ok()).collect()
}

/// The hash of a perfect tree over `hashes` (length a power of two).
pub(crate) fn perfect_root(hashes: &[Hash]) -> Hash {
    debug_assert!(hashes.len().is_power_of_two());
    if hashes.len() == 1 {
        return hashes[0];
    }
    let mut level: Vec<Hash> = hashes
        .chunks_exact(2)
        .map(|p| node_hash(&p[0], &p[1]))
        .collect();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
    }
    level[0]
}

/// The root of a tree whose leaf hashes arrive one at a time, in memory
/// proportional to the tree's depth (the "compact range" of the right edge).
#[derive(Clone, Debug, Default)]
pub struct CompactRange {
    size: u64,
    /// Roots of the perfect subtrees of the decomposition, largest first.
    peaks: Vec<Hash>,
}

impl CompactRange {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut s = self.size;
        while s & 1 == 1 {
            let left = self.peaks.pop().expect("one peak per set bit");
            h = node_hash(&left, &h);
            s >>= 1;
        }
        self.peaks.push(h);
        self.size += 1;
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// MTH of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut it = self.peaks.iter().rev();
        match it.next() {
            None => empty_root(),
            Some(first) => it.fold(*first, |acc, left| node_hash(left, &acc)),
        }
    }
}

/// A whole tree in memory: every level of every perfect subtree. For tests
/// and small logs.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let l = &self.levels[level];
            let h = node_hash(&l[l.len() - 2], &l[l.len() - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(h);
            level += 1;
        }
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// MTH of all leaves.
    pub fn root(&self) -> Hash {
        root_at(self, self.size()).expect("memory tree holds every node")
    }
}

impl NodeSource for MemoryTree {
    fn node(&self, level: u32, index: u64) -> Result<Hash, Error> {
        self.levels
            .get(level as usize)
            .and_then(|l| l.get(usize::try_from(index).ok()?))
            .copied()
            .ok_or_else(|| Error::OutOfRange(format!("no node at level {level} index {index}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_round_trip_for_all_small_trees() {
        let mut t = MemoryTree::new();
        let mut roots = vec![empty_root()];
        for i in 0..70u32 {
            t.push(leaf_hash(&i.to_be_bytes()));
            roots.push(t.root());
        }
        for size in 1..=70u64 {
            for idx in 0..size {
                let p = inclusion_proof(&t, idx, size).unwrap();
                let leaf = leaf_hash(&(idx as u32).to_be_bytes());
                verify_inclusion(idx, size, &leaf, &p, &roots[size as usize]).unwrap();
                assert!(verify_inclusion(idx, size, &leaf, &p, &roots[size as usize - 1]).is_err());
            }
            for old in 1..=size {
                let p = consistency_proof(&t, old, size).unwrap();
                verify_consistency(old, size, &p, &roots[old as usize], &roots[size as usize])
                    .unwrap();
                if old > 1 && old < size {
                    assert!(
                        verify_consistency(
                            old,
                            size,
                            &p,
                            &roots[old as usize - 1],
                            &roots[size as usize]
                        )
                        .is_err()
                    );
                }
            }
        }
    }
}
