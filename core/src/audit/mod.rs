//! Running an audit case: every check the case asks for, on releases read
//! once and shared by reference, each result and each failure to run
//! turned into findings of one [`AuditReport`].
//!
//! ```text
//! case (audit.toml) ──> Releases (each read once) ──┬─> inputs  (digests)
//!                                                   ├─> verify  (core::sig)
//!                                                   ├─> diff    (core::diff)
//!                                                   ├─> repro   (core::repro)
//!                                                   └─> tuf     (core::tuf)
//!                                                        │
//!                                  AuditReport <─────────┘ (core::report: sign, render)
//! ```
//!
//! A check that cannot run (an unreadable release, a malformed policy)
//! becomes a finding naming the reason, and the audit goes on: the report
//! then says what was *not* established, which is itself evidence. A new
//! check is one module here with a `*_step` function and one line in
//! [`run_audit`].
//!
//! The one call: [`audit_and_sign`] (or [`run_audit`] for the unsigned
//! report); after the report is written, [`log_audit`].

mod auditor;
pub mod case;
mod code;
mod diff;
pub mod inputs;
mod log;
pub mod releases;
mod repro;
mod step;
mod tuf;
mod verify;

pub use auditor::{AuditorError, MAX_CERTIFICATE_BYTES, SignedAudit, audit_and_sign, load_auditor};
pub use case::{AuditCase, CaseError};
pub use inputs::{InputError, MAX_INPUT_FILES, check_directories, hash_directory};
pub use log::{Logged, log_audit};
pub use releases::{Reads, Releases, SharedRelease};

use crate::report::{AuditReport, Check, ReportError, Step};

use step::{Outcome, finish_step};

/// What the audit tells its caller while it runs (for progress display).
#[derive(Clone, Debug)]
pub enum AuditEvent<'a> {
    /// A check starts.
    Started(Check),
    /// A check ended.
    Finished(&'a Step),
}

/// Why an audit could not produce a report at all (every problem with an
/// input or a check is a finding instead).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The report could not be started (the time is not RFC 3339).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The auditor's key or certificate chain cannot be used.
    #[error(transparent)]
    Auditor(#[from] AuditorError),
    /// The finished report could not be signed.
    #[error("signing the report")]
    Sign(#[source] ReportError),
}

/// Runs every check the case asks for, dated `time` (RFC 3339), and
/// returns the finished report ([`AuditReport::finish`] called).
pub fn run_audit(
    case: &AuditCase,
    time: &str,
    progress: &mut dyn FnMut(AuditEvent<'_>),
) -> Result<AuditReport, AuditError> {
    run_audit_with(case, &Releases::new(case), time, progress)
}

/// [`run_audit`] over `releases` (made with [`Releases::new`] for this
/// case), which the caller keeps: to see how often each was read, or to
/// use the readings after the audit.
pub fn run_audit_with(
    case: &AuditCase,
    releases: &Releases,
    time: &str,
    progress: &mut dyn FnMut(AuditEvent<'_>),
) -> Result<AuditReport, AuditError> {
    let mut report = AuditReport::new(case.case.clone(), time)?;
    let mut findings = Vec::new();

    progress(AuditEvent::Started(Check::Inputs));
    releases.prefetch(case);
    let outcome = inputs::inputs_step(case, releases, &mut report, &mut findings);
    finish_step(&mut report, &findings, Check::Inputs, outcome, progress);

    // Every check gets a step, run or not: the report must say what was
    // not established, not leave it to a missing line.
    let not_configured =
        |section: &str| Outcome::NotConfigured(format!("the case file has no {section} section"));

    let outcome = match &case.policy {
        Some(policy) => {
            progress(AuditEvent::Started(Check::Verify));
            verify::verify_step(case, policy, releases, &mut report, &mut findings)
        }
        None => not_configured("[verify]"),
    };
    finish_step(&mut report, &findings, Check::Verify, outcome, progress);

    let outcome = match &case.previous {
        Some(previous) => {
            progress(AuditEvent::Started(Check::Diff));
            diff::diff_step(
                releases,
                &case.release,
                previous,
                &mut report,
                &mut findings,
            )
        }
        None => not_configured("[previous]"),
    };
    finish_step(&mut report, &findings, Check::Diff, outcome, progress);

    let outcome = match &case.rebuild {
        Some(rebuild) => {
            progress(AuditEvent::Started(Check::Repro));
            repro::repro_step(releases, rebuild, &mut report, &mut findings)
        }
        None => not_configured("[rebuild]"),
    };
    finish_step(&mut report, &findings, Check::Repro, outcome, progress);

    let outcome = match &case.tuf {
        Some(tuf) => {
            progress(AuditEvent::Started(Check::Tuf));
            tuf::tuf_step(tuf, &mut report, &mut findings)
        }
        None => not_configured("[tuf]"),
    };
    finish_step(&mut report, &findings, Check::Tuf, outcome, progress);

    step::require(&report, &case.require, &mut findings);
    report.findings = findings;
    report.finish();
    Ok(report)
}
