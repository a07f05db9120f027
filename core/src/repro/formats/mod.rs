//! Container formats, each read into [`super::node::Archive`] members with
//! their exact and normalizable header fields kept apart.

pub(crate) mod ar;
pub(crate) mod gzip;
pub(crate) mod tar;
pub(crate) mod zip;
pub(crate) mod zstd;
