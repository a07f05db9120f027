//! A jar's `META-INF/MANIFEST.MF` (JAR File Specification, "Manifest
//! Specification"): build tools record build timestamps as main attributes.
//! Only the attributes named in [`TIMESTAMP_ATTRIBUTES`] are dropped; every
//! other line stays compared.

/// Manifest attributes that hold a build time, by the tools that write them.
pub(crate) const TIMESTAMP_ATTRIBUTES: &[&str] = &[
    "Build-Date",
    "Build-Time",
    "Build-Timestamp",
    "Built-Date",
    "Bnd-LastModified",
    "Implementation-Build-Date",
];

pub(super) fn applies(name: &[u8]) -> bool {
    name.len() >= 20 && name[name.len() - 20..].eq_ignore_ascii_case(b"META-INF/MANIFEST.MF")
}

/// The manifest without timestamp attributes (and their continuation lines).
pub(super) fn normalize(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut dropping = false;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b" ") {
            // A continuation belongs to the attribute above it.
            if !dropping {
                out.extend_from_slice(line);
            }
            continue;
        }
        let key = line.split(|&b| b == b':').next().unwrap_or_default();
        dropping = line.contains(&b':')
            && TIMESTAMP_ATTRIBUTES
                .iter()
                .any(|k| key.eq_ignore_ascii_case(k.as_bytes()));
        if !dropping {
            out.extend_from_slice(line);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::normalized_of;
    use crate::repro::normalization::Normalization;

    const NAME: &str = "lib/engine.jar!META-INF/MANIFEST.MF";

    fn manifest(date: &str, version: &str) -> Vec<u8> {
        format!(
            "Manifest-Version: 1.0\r\nCreated-By: Maven JAR Plugin 3.3.0\r\nBuild-Jdk-Spec: 17\r\nBnd-LastModified: {date}\r\nImplementation-Version: {version}\r\nBuild-Date: 2026-11-2\r\n 8T12:00:00Z\r\n\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn build_times_are_ignored_but_versions_are_not() {
        let a = manifest("1700000000000", "1.1.0");
        let b = manifest("1800000000000", "1.1.0").replace_bytes("2026-11-2", "2027-01-0");
        let na = normalized_of(&a, NAME).unwrap();
        assert_eq!(na.0, Normalization::JarManifestTimestamps);
        assert_eq!(na, normalized_of(&b, NAME).unwrap());
        let c = manifest("1700000000000", "1.1.1");
        assert_ne!(na, normalized_of(&c, NAME).unwrap());
        assert!(normalized_of(&a, "MANIFEST.txt").is_none());
    }

    trait ReplaceBytes {
        fn replace_bytes(self, from: &str, to: &str) -> Vec<u8>;
    }

    impl ReplaceBytes for Vec<u8> {
        fn replace_bytes(self, from: &str, to: &str) -> Vec<u8> {
            String::from_utf8(self)
                .unwrap()
                .replace(from, to)
                .into_bytes()
        }
    }
}
