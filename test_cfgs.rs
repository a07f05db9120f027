//! Build script shared by `core` and `cli` (each names it with `build =`):
//! sets the cfgs that decide which tests run, so a run without corpora or
//! tools shows those tests as *ignored* instead of as passes that checked
//! nothing (issue 17, item 5).
//!
//! - `corpora`: `GLASSBOX_CORPORA` is set. Corpus tests carry
//!   `#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]`; set but
//!   missing a corpus is a test failure, not a skip.
//! - `ci`: `CI` is set. Tool tests carry
//!   `#[cfg_attr(not(any(ci, has_TOOL)), ignore = ...)]`, so under CI they
//!   always run and a missing tool fails them.
//! - `has_TOOL`: the tool answered a probe at build time. Probing again when
//!   `PATH` changes catches most installs; after installing a tool without
//!   changing `PATH`, `touch test_cfgs.rs` to probe again.

use std::process::{Command, Stdio};

/// (cfg name, program, arguments): a probe succeeds when the program exits 0.
const PROBES: &[(&str, &str, &[&str])] = &[
    ("has_tar", "tar", &["--version"]),
    ("has_gzip", "gzip", &["--version"]),
    ("has_zip", "zip", &["-v"]),
    ("has_ar", "ar", &["--version"]),
    ("has_osslsigncode", "osslsigncode", &["--version"]),
    ("has_gpg", "gpg", &["--version"]),
    // RPM packages built and signed at test time (core/tests/rpm_package.rs).
    // Found on PATH rather than run: two `rpmbuild --version` probes
    // started at once (core's and the CLI's build scripts) can fail.
    (
        "has_rpmbuild",
        "sh",
        &[
            "-c",
            "command -v rpmbuild && command -v rpmsign && command -v rpm2cpio",
        ],
    ),
    ("has_dpkg_scanpackages", "dpkg-scanpackages", &["--version"]),
    ("has_chromium", "chromium", &["--version"]),
    // Executables built at test time (the code diff, diff/code).
    ("has_gcc", "gcc", &["--version"]),
    ("has_strip", "strip", &["--version"]),
    ("has_mingw", "x86_64-w64-mingw32-gcc", &["--version"]),
    ("has_chromium_browser", "chromium-browser", &["--version"]),
    (
        "has_securesystemslib",
        "python3",
        &[
            "-c",
            "import securesystemslib.dsse, securesystemslib.signer",
        ],
    ),
    (
        "has_in_toto_attestation",
        "python3",
        &["-c", "import in_toto_attestation.v1.statement"],
    ),
];

fn main() {
    println!("cargo::rerun-if-changed=../test_cfgs.rs");
    for var in ["GLASSBOX_CORPORA", "CI", "PATH"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    println!("cargo::rustc-check-cfg=cfg(corpora)");
    println!("cargo::rustc-check-cfg=cfg(ci)");
    if std::env::var_os("GLASSBOX_CORPORA").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=corpora");
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
        println!("cargo::rustc-cfg=ci");
    }
    for (cfg, program, args) in PROBES {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        let ok = Command::new(program)
            .args(*args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
