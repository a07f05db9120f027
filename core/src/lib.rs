//! glassbox-core: the library behind `glassbox`, a toolkit for independent
//! audits of a software vendor's updates.
//!
//! Each module is one concept of the audit. They return typed results and
//! never print or exit; the `glassbox` binary decides how to render them.
//!
//! | module | concept |
//! |---|---|
//! | [`check`] | the customer side: is every received file covered by a logged, passing audit |
//! | [`digest`] | SHA-256/SHA-512 digests computed while streaming |
//! | [`release`] | a vendor release (directory or archive, nested) as entries |
//! | [`x509`] | RFC 5280 certificate path building and validation |
//! | [`keys`] | the auditor's own signing keys (PKCS#8), public keys (SPKI) |
//! | [`dsse`] | DSSE envelopes and in-toto Statements |
//! | [`policy`] | the trust policy an audit verifies against |
//! | [`sig`] | update-package signatures: raw, CMS, Sigstore, DSSE, checksum manifests |
//! | [`tuf`] | TUF update-repository metadata, client workflow |
//! | [`diff`] | what an update changes between two releases |
//! | [`repro`] | whether a rebuild reproduces the vendor's artifact |
//! | [`apt`] | apt repositories: keyring → Release → index → .deb |
//! | [`audit`] | running an audit case: every check on releases read once |
//! | [`report`] | the signed audit report |
//! | [`tlog`] | append-only transparency log (RFC 6962, C2SP checkpoints, tiles) |
//! | [`http`] | the one HTTP/1.1 client and server, bounded in bytes and time |
#![forbid(unsafe_code)]

pub mod apt;
pub mod audit;
pub mod check;
pub mod diff;
pub mod digest;
pub mod dsse;
pub mod fsio;
pub mod http;
pub mod keys;
pub mod pem;
pub mod policy;
pub mod release;
pub mod report;
pub mod repro;
pub mod sig;
pub mod sigstore_root;
pub mod tlog;
pub mod tuf;
pub mod x509;

/// The version of glassbox, recorded in reports and attestations.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// An error and every source under it, `: `-joined on one line: what a
/// signed finding's evidence and the command line's `error:` both say, so
/// the cause (`new release new.tar: entry engine/avengine at byte 9000:
/// archive is truncated`) is never cut down to its outermost context. A
/// source whose text its wrapper already ends with is not repeated.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    line
}
