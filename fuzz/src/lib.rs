//! What every fuzz target shares.

use glassbox_core::release::{Limits, ReadOptions};

/// Small limits, so a run stays fast and within libFuzzer's memory cap;
/// nested expansion on, so nested readers are reached too.
pub fn opts() -> ReadOptions {
    ReadOptions {
        limits: Limits {
            max_depth: 3,
            max_expanded_bytes: 64 << 20,
            max_entries: 10_000,
            max_ratio: 1000,
        },
        expand_nested: true,
        ..Default::default()
    }
}
