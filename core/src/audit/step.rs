//! What every check of the audit shares: how a step ends, how a check
//! that could not run is said, how a long list of files is named.

use crate::report::{AuditReport, Check, Finding, InputRole, NotRun, Severity, Step, StepStatus};

use super::AuditEvent;

/// Title prefix of the finding a check that could not run produces.
pub(super) const CANNOT_RUN: &str = "Check could not run";

/// Most differing files named in a finding's title (all are in its paths).
const TITLE_PATHS: usize = 5;

/// How a check ended, with the one-line summary its step records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The check ran; its findings say what it found.
    Ran(String),
    /// The check could not run (its finding says why): the step is
    /// `not-run`, and the report says what was *not* established.
    CouldNotRun(String),
    /// The case does not ask for the check; the summary names the section
    /// that would.
    NotConfigured(String),
}

/// Records that `check` could not run on `subject`: a high finding titled
/// `Check could not run: <subject>` whose evidence is `cause` (the whole
/// error chain: which input, which entry, which offset, what), and the
/// step's summary `<summary>: <cause>`.
pub(super) fn could_not_run(
    findings: &mut Vec<Finding>,
    check: Check,
    subject: String,
    cause: String,
    summary: &str,
) -> Outcome {
    let line = format!("{summary}: {cause}");
    findings.push(
        Finding::new(Severity::High, check, format!("{CANNOT_RUN}: {subject}")).evidence(cause),
    );
    Outcome::CouldNotRun(line)
}

pub(super) use crate::error_chain;

/// `a, b, c and 4 more`.
pub(super) fn name_some(paths: &[String]) -> String {
    let shown: Vec<&str> = paths.iter().take(TITLE_PATHS).map(String::as_str).collect();
    let more = paths.len().saturating_sub(TITLE_PATHS);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The kebab-case name serde gives a unit variant (`cms`, `pinned-key`,
/// ...): the report records these names, and serde is where they are
/// defined once.
pub(super) fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Records the step of `check`: not-run when it could not run or was not
/// asked for, failed when it produced a high or critical finding, else ok.
pub(super) fn finish_step(
    report: &mut AuditReport,
    findings: &[Finding],
    check: Check,
    outcome: Outcome,
    progress: &mut dyn FnMut(AuditEvent<'_>),
) {
    let (status, why, summary) = match outcome {
        Outcome::CouldNotRun(summary) => (StepStatus::NotRun, Some(NotRun::CouldNotRun), summary),
        Outcome::NotConfigured(summary) => {
            (StepStatus::NotRun, Some(NotRun::NotConfigured), summary)
        }
        Outcome::Ran(summary) => {
            let failed = findings
                .iter()
                .any(|f| f.check == check && f.severity.fails_audit());
            let status = if failed {
                StepStatus::Failed
            } else {
                StepStatus::Ok
            };
            (status, None, summary)
        }
    };
    report.steps.push(Step {
        check,
        status,
        why,
        summary,
    });
    progress(AuditEvent::Finished(
        report.steps.last().expect("just pushed"),
    ));
}

/// A check the case requires (`[require] checks`) that was not configured
/// fails the audit: a high finding saying so and what to add. (One that
/// could not run already has its high finding, with the cause.)
pub(super) fn require(report: &AuditReport, required: &[Check], findings: &mut Vec<Finding>) {
    for step in &report.steps {
        if required.contains(&step.check) && step.why == Some(NotRun::NotConfigured) {
            findings.push(
                Finding::new(
                    Severity::High,
                    step.check,
                    format!(
                        "Required check did not run: {} ({} not checked)",
                        step.check.name(),
                        step.check.establishes()
                    ),
                )
                .evidence(format!(
                    "the case requires it (`[require] checks`) but {}",
                    step.summary
                )),
            );
        }
    }
}

/// The word a finding uses for an input of `role`.
pub(super) fn role_word(role: InputRole) -> &'static str {
    match role {
        InputRole::Release => "release",
        InputRole::Previous => "previous release",
        InputRole::Rebuild => "rebuild",
        InputRole::Policy => "trust policy",
        InputRole::TufRoot => "TUF trust anchor",
        InputRole::TufRepository => "TUF repository",
        InputRole::TrustMaterial => "trust material",
    }
}
