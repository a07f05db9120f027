//! Peer-name matching: does the leaf certify the name the caller expects?
//! DNS names per RFC 6125 §6.4 (wildcard only as the whole leftmost label,
//! never matching more than one label), IP addresses and email addresses
//! against subjectAltName only. The subject CN is never used as a fallback.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::cert::Certificate;
use super::error::X509Error;
use super::names::{GeneralName, check_dns_name, split_email};

/// A name the leaf must certify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerName {
    /// A DNS host name (no wildcard), compared case-insensitively.
    Dns(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// An RFC 822 mailbox.
    Email(String),
}

impl FromStr for PeerName {
    type Err = X509Error;

    /// Email when it contains `@`, IP when it parses as one, else DNS.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains('@') {
            return split_email(s)
                .map(|_| PeerName::Email(s.to_string()))
                .ok_or_else(|| X509Error::PeerName(s.to_string()));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(PeerName::Ip(ip));
        }
        let host = s.strip_suffix('.').unwrap_or(s);
        check_dns_name(host, false).map_err(|_| X509Error::PeerName(s.to_string()))?;
        Ok(PeerName::Dns(host.to_ascii_lowercase()))
    }
}

impl fmt::Display for PeerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerName::Dns(d) => write!(f, "DNS:{d}"),
            PeerName::Ip(ip) => write!(f, "IP:{ip}"),
            PeerName::Email(e) => write!(f, "email:{e}"),
        }
    }
}

impl PeerName {
    /// Whether `cert`'s subjectAltName certifies this name.
    pub fn matches(&self, cert: &Certificate) -> bool {
        cert.san().iter().any(|n| match (self, n) {
            (PeerName::Dns(want), GeneralName::Dns(have)) => dns_matches(have, want),
            (PeerName::Ip(want), GeneralName::Ip(have)) => match want {
                IpAddr::V4(v4) => have.as_slice() == v4.octets(),
                IpAddr::V6(v6) => have.as_slice() == v6.octets(),
            },
            (PeerName::Email(want), GeneralName::Email(have)) => {
                match (split_email(want), split_email(have)) {
                    (Some((wl, wd)), Some((hl, hd))) => wl == hl && wd.eq_ignore_ascii_case(hd),
                    _ => false,
                }
            }
            _ => false,
        })
    }
}

/// RFC 6125 §6.4.1 and §6.4.3: label-wise, case-insensitive; `*` only as the
/// entire leftmost label of the presented identifier, matching one label.
pub(crate) fn dns_matches(presented: &str, reference: &str) -> bool {
    if check_dns_name(presented, true).is_err() {
        return false;
    }
    let presented = presented.to_ascii_lowercase();
    let reference = reference.to_ascii_lowercase();
    match presented.strip_prefix("*.") {
        Some(rest) => match reference.split_once('.') {
            Some((first, tail)) => !first.is_empty() && tail == rest,
            None => false,
        },
        None => presented == reference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(dns_matches("*.example.com", "foo.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches(
            "xn--*-1b3c148a.example.com",
            "xn--bliss-1b3c148a.example.com"
        ));
        assert!(dns_matches("Example.COM", "example.com"));
        assert!(!dns_matches("*", "com"));
    }

    #[test]
    fn parse() {
        assert_eq!(
            "a.example".parse::<PeerName>().unwrap(),
            PeerName::Dns("a.example".into())
        );
        assert!(matches!(
            "::1".parse::<PeerName>().unwrap(),
            PeerName::Ip(_)
        ));
        assert!(matches!(
            "a@b.example".parse::<PeerName>().unwrap(),
            PeerName::Email(_)
        ));
        assert!("bad_name".parse::<PeerName>().is_err());
    }
}
