//! Canonical JSON for reports: the same value always gives the same bytes.
//!
//! The form follows the JSON Canonicalization Scheme (RFC 8785) for the
//! values a report holds: object members sorted by the UTF-16 code units of
//! their names (§3.2.3), no insignificant whitespace (§3.2.1), strings
//! escaped the way ECMAScript's `JSON.stringify` does (§3.2.2.2: `\"`, `\\`,
//! `\b \f \n \r \t`, other controls as lowercase `\u00xx`, everything else
//! literal UTF-8). Integers are written in decimal. Reports carry no
//! fractional numbers; one that appears is refused rather than written in a
//! form that RFC 8785 §3.2.2.3 and serde's float printer might disagree on.

use serde_json::Value;

/// Why a value has no canonical form.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CanonicalError {
    /// A number that is not an integer (reports hold none).
    #[error("non-integer number {0} has no canonical form here")]
    NonInteger(String),
    /// The value could not be turned into JSON at all (a map with
    /// non-string keys, a failing `Serialize` impl).
    #[error("cannot serialise as JSON: {0}")]
    Serialize(String),
}

/// Serialises `value` canonically (see the module documentation).
pub fn to_canonical_string(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::new();
    write_value(&mut out, value)?;
    Ok(out)
}

/// Serialises any `Serialize` value canonically by way of [`Value`].
pub fn to_canonical_json<T: serde::Serialize>(value: &T) -> Result<String, CanonicalError> {
    let v = serde_json::to_value(value).map_err(|e| CanonicalError::Serialize(e.to_string()))?;
    to_canonical_string(&v)
}

fn write_value(out: &mut String, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                return Err(CanonicalError::NonInteger(n.to_string()));
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            // RFC 8785 §3.2.3: sort by UTF-16 code units, which differs from
            // byte order only for characters above U+FFFF vs U+E000..U+FFFF.
            let mut keys: Vec<(&String, Vec<u16>)> = map
                .keys()
                .map(|k| (k, k.encode_utf16().collect()))
                .collect();
            keys.sort_by(|a, b| a.1.cmp(&b.1));
            out.push('{');
            for (i, (k, _)) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, &map[k.as_str()])?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_drops_whitespace() {
        let v = json!({"b": [1, {"z": true, "a": null}], "a": "x"});
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            r#"{"a":"x","b":[1,{"a":null,"z":true}]}"#
        );
    }

    #[test]
    fn escapes_like_json_stringify() {
        let v = json!("q\"b\\\u{8}\u{c}\n\r\t\u{1f}é€😀/");
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            "\"q\\\"b\\\\\\b\\f\\n\\r\\t\\u001fé€😀/\""
        );
    }

    #[test]
    fn sorts_by_utf16_code_units() {
        // RFC 8785 §3.2.3's example: U+1F600 (UTF-16 D83D..) sorts before
        // U+FB33 although its UTF-8 bytes sort after.
        let v = json!({"\u{fb33}": 1, "\u{1f600}": 2});
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            "{\"\u{1f600}\":2,\"\u{fb33}\":1}"
        );
    }

    #[test]
    fn integers_and_refused_floats() {
        assert_eq!(
            to_canonical_string(&json!([-3, 0, u64::MAX])).unwrap(),
            "[-3,0,18446744073709551615]"
        );
        assert!(matches!(
            to_canonical_string(&json!(1.5)),
            Err(CanonicalError::NonInteger(_))
        ));
    }

    #[test]
    fn insertion_order_does_not_matter() {
        let mut a = serde_json::Map::new();
        a.insert("y".into(), json!(1));
        a.insert("x".into(), json!(2));
        let mut b = serde_json::Map::new();
        b.insert("x".into(), json!(2));
        b.insert("y".into(), json!(1));
        assert_eq!(
            to_canonical_string(&Value::Object(a)).unwrap(),
            to_canonical_string(&Value::Object(b)).unwrap()
        );
    }
}
