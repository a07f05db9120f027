//! The conformance corpora under `$GLASSBOX_CORPORA` (shared by the core and
//! CLI test suites; the CLI's `tests/common` includes this file by path).
//! A test that calls [`corpus`] carries
//! `#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]`, so it
//! only runs with the variable set, and then a missing corpus fails it
//! rather than letting it pass having checked nothing.

use std::path::PathBuf;

/// `$GLASSBOX_CORPORA/<rel>`, which must exist (a corpus directory or file).
pub fn corpus(rel: &str) -> PathBuf {
    let root = std::env::var_os("GLASSBOX_CORPORA").expect(
        "GLASSBOX_CORPORA unset: this test needs the corpora (see README, Tests and corpora)",
    );
    let path = PathBuf::from(root).join(rel);
    assert!(
        path.exists(),
        "{}: corpus missing (see its README under GLASSBOX_CORPORA)",
        path.display()
    );
    path
}
