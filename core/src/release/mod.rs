//! A vendor release — a directory or an archive, possibly nested — read
//! safely as a list of entries with their digests.
//!
//! Release material comes from the vendor under audit, so it is untrusted:
//! nothing is extracted to disk, content is hashed while streaming, and every
//! limit in [`Limits`] is enforced. Anything suspicious that does not stop
//! the read (a `..` path, a symlink leaving the release, a duplicate name) is
//! recorded as a [`ReadFinding`] rather than silently dropped.

mod model;

pub use model::*;
