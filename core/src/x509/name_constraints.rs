//! Name constraints (RFC 5280 §4.2.1.10, §6.1.3(b)(c), §6.1.4(g)).
//!
//! Each CA's constraints are checked directly against every name of every
//! certificate below it in the path (the leaf always; intermediates unless
//! self-issued), which is equivalent to the RFC's running intersection of
//! permitted subtrees and union of excluded subtrees.
//!
//! Forms processed: dNSName, rfc822Name, iPAddress, directoryName and URI.
//! A constraint of another form (otherName, x400Address, ...) is accepted
//! while no name of that form appears below it, and rejects the path when
//! one does (RFC 5280: "MUST either process the constraint or reject").

use super::cert::{Certificate, NameConstraints};
use super::error::CertError;
use super::names::{GeneralName, check_dns_name, split_email};

/// A name of a subordinate certificate subject to constraints.
#[derive(Debug, Clone)]
pub(crate) enum SubjectName {
    /// A GeneralName from subjectAltName (or the subject DN).
    General(GeneralName),
    /// The subject commonName read as a DNS name (serverAuth leaves only).
    CommonNameDns(String),
}

/// Collects the names of `cert` that constraints apply to. With `cn_as_dns`
/// (serverAuth leaves) the subject CNs that are host names count as dNSNames
/// when the certificate has no subjectAltName (RFC 6125 §6.4.4).
pub(crate) fn names_of(cert: &Certificate, cn_as_dns: bool) -> Vec<SubjectName> {
    let mut out: Vec<SubjectName> = Vec::new();
    if !cert.subject().is_empty() {
        out.push(SubjectName::General(GeneralName::Directory(
            cert.subject().clone(),
        )));
    }
    for email in super::cert::subject_emails(cert) {
        out.push(SubjectName::General(match email {
            Some(e) => GeneralName::Email(e),
            None => GeneralName::Invalid("undecodable emailAddress".into()),
        }));
    }
    for n in cert.san() {
        out.push(SubjectName::General(n.clone()));
    }
    if cn_as_dns && cert.extensions().san.is_none() {
        for cn in cert.subject().common_names() {
            if check_dns_name(&cn, true).is_ok() {
                out.push(SubjectName::CommonNameDns(cn.to_ascii_lowercase()));
            }
        }
    }
    out
}

/// Checks that constraint bases are well-formed; a CA with a malformed
/// constraint cannot be relied on (limbo `invalid-dnsname-leading-period`,
/// `invalid-ipv4-address`).
pub(crate) fn check_constraints_syntax(nc: &NameConstraints) -> Result<(), CertError> {
    for base in nc.permitted.iter().chain(&nc.excluded) {
        let bad = |reason: &str| {
            Err(CertError::MalformedExtension {
                name: "nameConstraints".into(),
                reason: format!("{base}: {reason}"),
            })
        };
        match base {
            GeneralName::Dns(d) => {
                // An empty dNSName constraint matches every name.
                if !d.is_empty()
                    && let Err(why) = check_dns_name(d, false)
                {
                    return bad(why);
                }
            }
            GeneralName::Ip(b) => {
                if b.len() != 8 && b.len() != 32 {
                    return bad("iPAddress constraint must be an address and a mask");
                }
                if !is_contiguous_mask(&b[b.len() / 2..]) {
                    return bad("mask is not a CIDR prefix");
                }
            }
            GeneralName::Email(e) => {
                let ok = if e.contains('@') {
                    split_email(e).is_some()
                } else {
                    let host = e.strip_prefix('.').unwrap_or(e);
                    check_dns_name(host, false).is_ok()
                };
                if !ok {
                    return bad("not a mailbox, host or .domain");
                }
            }
            GeneralName::Uri(u) => {
                let host = u.strip_prefix('.').unwrap_or(u);
                if check_dns_name(host, false).is_err() {
                    return bad("URI constraint must be a host or .domain");
                }
            }
            GeneralName::Invalid(why) => return bad(why),
            _ => {}
        }
    }
    Ok(())
}

fn is_contiguous_mask(mask: &[u8]) -> bool {
    let mut seen_zero = false;
    for &byte in mask {
        for i in (0..8).rev() {
            let bit = byte >> i & 1 == 1;
            if bit && seen_zero {
                return false;
            }
            if !bit {
                seen_zero = true;
            }
        }
    }
    true
}

/// Most name/constraint comparisons for one certificate pair: beyond it the
/// path is refused rather than spend quadratic time (as Go does; limbo
/// `pathological::nc-dos-*`).
pub const MAX_COMPARISONS: usize = 250_000;

/// Checks `names` (of one subordinate certificate) against `nc` of the CA
/// whose subject is `ca`.
pub(crate) fn check(
    nc: &NameConstraints,
    names: &[SubjectName],
    ca: &str,
) -> Result<(), CertError> {
    let work = names
        .len()
        .saturating_mul(nc.permitted.len() + nc.excluded.len());
    if work > MAX_COMPARISONS {
        return Err(CertError::NameConstraintViolation {
            name: format!("{} names", names.len()),
            ca: ca.to_string(),
            reason: format!(
                "{} constraints x {} names exceeds the limit of {MAX_COMPARISONS} comparisons",
                nc.permitted.len() + nc.excluded.len(),
                names.len()
            ),
        });
    }
    let violation = |name: String, reason: String| CertError::NameConstraintViolation {
        name,
        ca: ca.to_string(),
        reason,
    };
    for name in names {
        let (gn, display) = match name {
            SubjectName::General(g) => (g.clone(), g.to_string()),
            SubjectName::CommonNameDns(d) => (GeneralName::Dns(d.clone()), format!("CN={d}")),
        };
        let form = gn.form();
        if let GeneralName::Invalid(why) = &gn {
            return Err(CertError::InvalidName {
                name: display,
                reason: why.clone(),
            });
        }
        // Validate the name itself so that a malformed name cannot slip
        // past a constraint (limbo nc-permits-invalid-*-san).
        validate_name(&gn).map_err(|reason| CertError::InvalidName {
            name: display.clone(),
            reason,
        })?;
        for ex in nc.excluded.iter().filter(|b| b.form() == form) {
            match matches(ex, &gn, true) {
                Some(true) => {
                    return Err(violation(display, format!("within excluded subtree {ex}")));
                }
                Some(false) => {}
                None => {
                    return Err(violation(
                        display,
                        format!("cannot process {form} constraint {ex}"),
                    ));
                }
            }
        }
        let permitted: Vec<&GeneralName> =
            nc.permitted.iter().filter(|b| b.form() == form).collect();
        if permitted.is_empty() {
            continue;
        }
        let mut ok = false;
        for p in permitted {
            match matches(p, &gn, false) {
                Some(true) => {
                    ok = true;
                    break;
                }
                Some(false) => {}
                None => {
                    return Err(violation(
                        display,
                        format!("cannot process {form} constraint {p}"),
                    ));
                }
            }
        }
        if !ok {
            return Err(violation(display, "outside every permitted subtree".into()));
        }
    }
    Ok(())
}

/// Syntax of a subordinate name.
fn validate_name(gn: &GeneralName) -> Result<(), String> {
    match gn {
        GeneralName::Dns(d) => check_dns_name(d, true).map_err(str::to_string),
        GeneralName::Email(e) => split_email(e)
            .map(|_| ())
            .ok_or_else(|| "malformed rfc822Name".to_string()),
        GeneralName::Ip(b) if b.len() != 4 && b.len() != 16 => {
            Err(format!("iPAddress of {} octets", b.len()))
        }
        _ => Ok(()),
    }
}

/// Whether `name` is within the subtree `base`; for excluded subtrees a
/// wildcard name counts when any name it stands for would be. `None` when the
/// form is not processed.
fn matches(base: &GeneralName, name: &GeneralName, excluded: bool) -> Option<bool> {
    match (base, name) {
        (GeneralName::Dns(b), GeneralName::Dns(n)) => Some(dns_within(b, n, excluded)),
        (GeneralName::Ip(b), GeneralName::Ip(n)) => Some(ip_within(b, n)),
        (GeneralName::Email(b), GeneralName::Email(n)) => Some(email_within(b, n)),
        (GeneralName::Uri(b), GeneralName::Uri(n)) => Some(uri_within(b, n)),
        (GeneralName::Directory(b), GeneralName::Directory(n)) => Some(n.within(b)),
        _ => None,
    }
}

/// `name` equals `base` or is a subdomain of it, label-wise, ASCII
/// case-insensitively (RFC 5280 §4.2.1.10).
fn dns_suffix(base: &str, name: &str) -> bool {
    let base = base.to_ascii_lowercase();
    let name = name.to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    name == base || name.ends_with(&format!(".{base}"))
}

fn dns_within(base: &str, name: &str, excluded: bool) -> bool {
    match name.strip_prefix("*.") {
        // `*.X` stands for every `L.X`: all are within `base` iff X is; some
        // are iff X is, or `base` is strictly below X.
        Some(rest) => {
            dns_suffix(base, rest)
                || (excluded
                    && !base.is_empty()
                    && dns_suffix(rest, base)
                    && !base.eq_ignore_ascii_case(rest))
        }
        None => dns_suffix(base, name),
    }
}

fn ip_within(base: &[u8], name: &[u8]) -> bool {
    let half = base.len() / 2;
    if name.len() != half {
        return false;
    }
    let (addr, mask) = base.split_at(half);
    name.iter()
        .zip(addr)
        .zip(mask)
        .all(|((n, a), m)| n & m == a & m)
}

fn email_within(base: &str, name: &str) -> bool {
    let Some((local, domain)) = split_email(name) else {
        return false;
    };
    if let Some((blocal, bdomain)) = base.rsplit_once('@') {
        // A particular mailbox: local part exact, host case-insensitive.
        return blocal == local && bdomain.eq_ignore_ascii_case(domain);
    }
    if let Some(sub) = base.strip_prefix('.') {
        // Any mailbox at a host below the domain.
        return domain.len() > sub.len()
            && dns_suffix(sub, domain)
            && !domain.eq_ignore_ascii_case(sub);
    }
    domain.eq_ignore_ascii_case(base)
}

fn uri_host(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return None;
    }
    let host = host_port.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

fn uri_within(base: &str, name: &str) -> bool {
    // RFC 5280 §4.2.1.10: URIs without a host never match.
    let Some(host) = uri_host(name) else {
        return false;
    };
    if let Some(sub) = base.strip_prefix('.') {
        return host.len() > sub.len() && dns_suffix(sub, host) && !host.eq_ignore_ascii_case(sub);
    }
    host.eq_ignore_ascii_case(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns() {
        assert!(dns_within("example.com", "example.com", false));
        assert!(dns_within("example.com", "a.example.com", false));
        assert!(!dns_within("example.com", "aexample.com", false));
        assert!(dns_within("foo.com", "*.foo.com", false));
        assert!(dns_within("a.foo.com", "*.foo.com", true));
        assert!(!dns_within("a.foo.com", "*.foo.com", false));
    }

    #[test]
    fn ip() {
        assert!(ip_within(
            &[192, 0, 2, 0, 255, 255, 255, 0],
            &[192, 0, 2, 1]
        ));
        assert!(!ip_within(
            &[192, 0, 2, 0, 255, 255, 255, 0],
            &[192, 0, 3, 1]
        ));
        assert!(is_contiguous_mask(&[255, 255, 0, 0]));
        assert!(!is_contiguous_mask(&[255, 0, 255, 0]));
    }

    #[test]
    fn email() {
        assert!(email_within("example.com", "foo@example.com"));
        assert!(email_within("*@example.com", "*@example.com"));
        assert!(!email_within("*@example.com", "*@sub.example.com"));
        assert!(email_within(".example.com", "a@sub.example.com"));
        assert!(!email_within(".example.com", "a@example.com"));
    }
}
