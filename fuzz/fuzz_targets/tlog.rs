//! Signed notes, checkpoints, tlog-proofs, leaf records, tiles, Merkle proofs.
//! The body is `glassbox_fuzz::tlog`, shared with core/tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glassbox_fuzz::tlog(data));
