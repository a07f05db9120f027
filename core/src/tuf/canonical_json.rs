//! OLPC canonical JSON, the byte form TUF signatures are computed over
//! (TUF specification §4.2 "File formats: general principles"; the format is
//! defined at <http://wiki.laptop.org/go/Canonical_JSON>).
//!
//! Canonical form: no insignificant whitespace, object members sorted by
//! key, integers only (no floats), and strings with only `"` and `\`
//! escaped — every other byte, including control characters and non-ASCII
//! UTF-8, is written raw. This differs from RFC 8785 (JCS), which escapes
//! control characters; using JCS here would break signatures over strings
//! that contain a newline.
//!
//! Parsing is strict too: an object with a duplicate member name is
//! rejected, because two parsers could disagree on which value counts while
//! the signature covers both.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why a document has no canonical form or could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalJsonError {
    /// The bytes are not JSON (or have a duplicate object member).
    #[error("not valid JSON: {0}")]
    Parse(String),
    /// OLPC canonical JSON has no floating-point numbers.
    #[error("number {0} is not an integer (canonical JSON allows integers only)")]
    NotInteger(String),
}

/// Parses `bytes` as JSON, rejecting duplicate object member names.
/// serde_json's recursion limit (128) bounds nesting depth.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, CanonicalJsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue
        .deserialize(&mut de)
        .map_err(|e| CanonicalJsonError::Parse(e.to_string()))?;
    de.end()
        .map_err(|e| CanonicalJsonError::Parse(e.to_string()))?;
    Ok(value)
}

/// The OLPC canonical encoding of `value`.
pub fn to_canonical(value: &Value) -> Result<Vec<u8>, CanonicalJsonError> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalJsonError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(CanonicalJsonError::NotInteger(n.to_string()));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sort by the UTF-8 bytes of the key, which is the same order as
            // by Unicode code point (what securesystemslib's sort_keys uses).
            let sorted: BTreeMap<&[u8], &Value> =
                map.iter().map(|(k, v)| (k.as_bytes(), v)).collect();
            out.push(b'{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_bytes_string(k, out);
                out.push(b':');
                write_value(v, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    write_bytes_string(s.as_bytes(), out)
}

fn write_bytes_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// A `serde_json::Value` builder that refuses duplicate object members.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(StrictValue)?;
            if map.insert(key.clone(), value).is_some() {
                return Err(de::Error::custom(format!(
                    "duplicate object member {key:?}"
                )));
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_keys_and_escapes_only_quote_and_backslash() {
        let v = parse_strict(
            "{\"b\":1,\"a\":\"x\\n\\\"q\\\"\\\\ \u{fc}\",\"c\":[true,null]}".as_bytes(),
        )
        .unwrap();
        let c = to_canonical(&v).unwrap();
        assert_eq!(
            c,
            "{\"a\":\"x\n\\\"q\\\"\\\\ \u{fc}\",\"b\":1,\"c\":[true,null]}".as_bytes()
        );
    }

    #[test]
    fn rejects_floats_and_duplicate_members() {
        let v = parse_strict(b"{\"a\":1.5}").unwrap();
        assert!(matches!(
            to_canonical(&v),
            Err(CanonicalJsonError::NotInteger(_))
        ));
        assert!(parse_strict(b"{\"a\":1,\"a\":2}").is_err());
        assert!(parse_strict(b"{\"a\":1} x").is_err());
    }

    #[test]
    fn negative_and_large_integers_round_trip() {
        let v = parse_strict(b"[-3, 18446744073709551615]").unwrap();
        assert_eq!(to_canonical(&v).unwrap(), b"[-3,18446744073709551615]");
    }
}
