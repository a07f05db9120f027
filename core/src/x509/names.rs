//! Owned forms of X.501 distinguished names and RFC 5280 GeneralNames, with
//! the comparison rules of RFC 5280 §7.1 (a simplified RFC 4518 string prep:
//! trim, collapse inner whitespace, case-fold).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use x509_parser::asn1_rs::{Any, Tag};
use x509_parser::extensions::GeneralName as PGeneralName;
use x509_parser::x509::X509Name;

/// OID of the PKCS#9 emailAddress attribute (RFC 5280 §4.2.1.6).
pub(crate) const OID_EMAIL_ADDRESS: &str = "1.2.840.113549.1.9.1";
/// OID of the commonName attribute.
pub(crate) const OID_COMMON_NAME: &str = "2.5.4.3";

/// One attribute of a relative distinguished name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Dotted OID of the attribute type.
    pub oid: String,
    /// ASN.1 universal tag number of the value.
    pub tag: u32,
    /// The raw value bytes.
    pub value: Vec<u8>,
    /// The value as text when it is a string type (decoded), else `None`.
    pub text: Option<String>,
}

impl Attribute {
    fn matches(&self, other: &Attribute) -> bool {
        if self.oid != other.oid {
            return false;
        }
        match (&self.text, &other.text) {
            (Some(a), Some(b)) => normalize(a) == normalize(b),
            _ => self.tag == other.tag && self.value == other.value,
        }
    }
}

/// RFC 4518-lite: trim, collapse whitespace runs, case-fold.
fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A distinguished name (subject or issuer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinguishedName {
    raw: Vec<u8>,
    rdns: Vec<Vec<Attribute>>,
}

impl DistinguishedName {
    pub(crate) fn from_parsed(name: &X509Name<'_>) -> Result<Self, String> {
        let mut rdns = Vec::new();
        for rdn in name.iter_rdn() {
            let mut attrs = Vec::new();
            for atv in rdn.iter() {
                let any = atv.attr_value();
                attrs.push(Attribute {
                    oid: atv.attr_type().to_id_string(),
                    tag: any.tag().0,
                    value: any.data.to_vec(),
                    text: decode_string(any),
                });
            }
            if attrs.is_empty() {
                return Err("empty RelativeDistinguishedName".into());
            }
            rdns.push(attrs);
        }
        Ok(Self {
            raw: name.as_raw().to_vec(),
            rdns,
        })
    }

    /// The empty name (an empty SEQUENCE).
    pub fn empty() -> Self {
        Self {
            raw: vec![0x30, 0x00],
            rdns: Vec::new(),
        }
    }

    /// The DER encoding of the Name.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// True when the name has no RDN (an empty SEQUENCE).
    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }

    /// RFC 5280 §7.1 name equality.
    pub fn matches(&self, other: &DistinguishedName) -> bool {
        if self.raw == other.raw {
            return true;
        }
        self.rdns.len() == other.rdns.len()
            && self
                .rdns
                .iter()
                .zip(&other.rdns)
                .all(|(a, b)| rdn_matches(a, b))
    }

    /// RFC 5280 §4.2.1.10: `self` is within the subtree `base` when `base`'s
    /// RDNs are a prefix of `self`'s.
    pub fn within(&self, base: &DistinguishedName) -> bool {
        base.rdns.len() <= self.rdns.len()
            && base
                .rdns
                .iter()
                .zip(&self.rdns)
                .all(|(a, b)| rdn_matches(a, b))
    }

    /// Values of attributes with the given dotted OID, as text.
    pub(crate) fn texts(&self, oid: &str) -> impl Iterator<Item = Option<&str>> + '_ {
        let oid = oid.to_string();
        self.rdns
            .iter()
            .flatten()
            .filter(move |a| a.oid == oid)
            .map(|a| a.text.as_deref())
    }

    /// The commonName values.
    pub fn common_names(&self) -> Vec<String> {
        self.texts(OID_COMMON_NAME)
            .flatten()
            .map(str::to_string)
            .collect()
    }
}

fn rdn_matches(a: &[Attribute], b: &[Attribute]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| x.matches(y)))
}

/// The text of BMPString content octets (X.680 §41: UTF-16 big-endian).
pub(crate) fn bmp_string(data: &[u8]) -> Option<String> {
    if !data.len().is_multiple_of(2) {
        return None;
    }
    let units: Vec<u16> = data
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

fn decode_string(any: &Any<'_>) -> Option<String> {
    let data = any.data;
    match any.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::VisibleString => {
            std::str::from_utf8(data).ok().map(str::to_string)
        }
        Tag::TeletexString => Some(data.iter().map(|&b| b as char).collect()),
        Tag::BmpString => bmp_string(data),
        Tag::UniversalString => {
            if !data.len().is_multiple_of(4) {
                return None;
            }
            data.chunks(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

impl fmt::Display for DistinguishedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rdns.is_empty() {
            return f.write_str("(empty)");
        }
        let mut first = true;
        for rdn in &self.rdns {
            for a in rdn {
                if !first {
                    f.write_str(", ")?;
                }
                first = false;
                let key = match a.oid.as_str() {
                    "2.5.4.3" => "CN",
                    "2.5.4.6" => "C",
                    "2.5.4.7" => "L",
                    "2.5.4.8" => "ST",
                    "2.5.4.10" => "O",
                    "2.5.4.11" => "OU",
                    "2.5.4.5" => "serialNumber",
                    "0.9.2342.19200300.100.1.25" => "DC",
                    OID_EMAIL_ADDRESS => "emailAddress",
                    other => other,
                };
                match &a.text {
                    Some(t) => write!(f, "{key}={}", t.escape_debug())?,
                    None => write!(f, "{key}=#{}", hex::encode(&a.value))?,
                }
            }
        }
        Ok(())
    }
}

/// An RFC 5280 GeneralName, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeneralName {
    /// dNSName (IA5String).
    Dns(String),
    /// rfc822Name.
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// iPAddress: 4 or 16 octets in a SAN, 8 or 32 (address + mask) in a
    /// name constraint.
    Ip(Vec<u8>),
    /// directoryName.
    Directory(DistinguishedName),
    /// otherName with its type-id.
    Other(String),
    /// x400Address, ediPartyName, registeredID: forms we do not process.
    Unsupported(&'static str),
    /// A name whose encoding is invalid for its form.
    Invalid(String),
}

impl GeneralName {
    pub(crate) fn from_parsed(g: &PGeneralName<'_>) -> Self {
        match g {
            PGeneralName::DNSName(s) => GeneralName::Dns(s.to_string()),
            PGeneralName::RFC822Name(s) => GeneralName::Email(s.to_string()),
            PGeneralName::URI(s) => GeneralName::Uri(s.to_string()),
            PGeneralName::IPAddress(b) => GeneralName::Ip(b.to_vec()),
            PGeneralName::DirectoryName(n) => match DistinguishedName::from_parsed(n) {
                Ok(n) => GeneralName::Directory(n),
                Err(e) => GeneralName::Invalid(format!("directoryName: {e}")),
            },
            PGeneralName::OtherName(oid, _) => GeneralName::Other(oid.to_id_string()),
            PGeneralName::X400Address(_) => GeneralName::Unsupported("x400Address"),
            PGeneralName::EDIPartyName(_) => GeneralName::Unsupported("ediPartyName"),
            PGeneralName::RegisteredID(_) => GeneralName::Unsupported("registeredID"),
            PGeneralName::Invalid(tag, _) => {
                GeneralName::Invalid(format!("undecodable GeneralName [{}]", tag.0))
            }
        }
    }

    /// The name form, as RFC 5280 spells it.
    pub fn form(&self) -> &'static str {
        match self {
            GeneralName::Dns(_) => "dNSName",
            GeneralName::Email(_) => "rfc822Name",
            GeneralName::Uri(_) => "uniformResourceIdentifier",
            GeneralName::Ip(_) => "iPAddress",
            GeneralName::Directory(_) => "directoryName",
            GeneralName::Other(_) => "otherName",
            GeneralName::Unsupported(f) => f,
            GeneralName::Invalid(_) => "invalid",
        }
    }
}

impl fmt::Display for GeneralName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeneralName::Dns(s) => write!(f, "DNS:{}", s.escape_debug()),
            GeneralName::Email(s) => write!(f, "email:{}", s.escape_debug()),
            GeneralName::Uri(s) => write!(f, "URI:{}", s.escape_debug()),
            GeneralName::Ip(b) => write!(f, "IP:{}", format_ip(b)),
            GeneralName::Directory(d) => write!(f, "DirName:{d}"),
            GeneralName::Other(oid) => write!(f, "othername:{oid}"),
            GeneralName::Unsupported(form) => write!(f, "{form}"),
            GeneralName::Invalid(why) => write!(f, "invalid:{why}"),
        }
    }
}

/// Formats 4/16-octet addresses, and 8/32-octet address/mask pairs.
pub(crate) fn format_ip(b: &[u8]) -> String {
    match b.len() {
        4 => Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => Ipv6Addr::from(<[u8; 16]>::try_from(b).unwrap_or_default()).to_string(),
        8 => format!("{}/{}", format_ip(&b[..4]), format_ip(&b[4..])),
        32 => format!("{}/{}", format_ip(&b[..16]), format_ip(&b[16..])),
        _ => format!("#{}", hex::encode(b)),
    }
}

/// RFC 1034 §3.5 preferred name syntax as amended by RFC 1123 §2.1, with
/// an optional leading `*` label when `allow_wildcard`. Returns why not.
pub(crate) fn check_dns_name(name: &str, allow_wildcard: bool) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty");
    }
    if name.len() > 253 {
        return Err("longer than 253 octets");
    }
    let labels: Vec<&str> = name.split('.').collect();
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() {
            return Err("empty label");
        }
        if *label == "*" {
            if i == 0 && allow_wildcard {
                continue;
            }
            return Err("wildcard not as the whole leftmost label");
        }
        if label.len() > 63 {
            return Err("label longer than 63 octets");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("character outside letters, digits and hyphen");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("label starts or ends with a hyphen");
        }
    }
    if labels.len() > 1 && labels[labels.len() - 1].bytes().all(|b| b.is_ascii_digit()) {
        return Err("all-numeric top-level label (an IP address in a dNSName?)");
    }
    if labels[0] == "*" && labels.len() < 3 {
        return Err("wildcard over fewer than two labels");
    }
    Ok(())
}

/// Splits an RFC 822 mailbox into (local-part, domain) when well-formed.
pub(crate) fn split_email(addr: &str) -> Option<(&str, &str)> {
    let (local, domain) = addr.rsplit_once('@')?;
    if local.is_empty() || local.contains('@') || !addr.is_ascii() {
        return None;
    }
    if local.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return None;
    }
    check_dns_name(domain, false).ok()?;
    Some((local, domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_syntax() {
        assert!(check_dns_name("example.com", false).is_ok());
        assert!(check_dns_name("*.example.com", true).is_ok());
        assert!(check_dns_name("*.example.com", false).is_err());
        assert!(check_dns_name("foo_bar.example.com", false).is_err());
        assert!(check_dns_name(".example.com", false).is_err());
        assert!(check_dns_name("8.8.8.8", false).is_err());
        assert!(check_dns_name("xn--*-1b3c148a.example.com", true).is_err());
        assert!(check_dns_name("*", true).is_err());
        assert!(check_dns_name("*.com", true).is_err());
    }

    #[test]
    fn email_syntax() {
        assert_eq!(split_email("foo@example.com"), Some(("foo", "example.com")));
        assert_eq!(split_email("invalid@address@example.com"), None);
        assert_eq!(split_email("@example.com"), None);
    }
}
