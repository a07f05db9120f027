//! Running the real tools (openssl, gzip, tar, gcc...) that make test
//! data. Shared by core's and the CLI's tests.

use std::process::Command;

/// Runs `cmd` and returns its standard output. The tool must be installed
/// (`.ci/run` installs it) and must succeed: otherwise the test fails
/// showing the command and its standard error.
pub fn succeed(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} must be installed (see .ci/run): {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
