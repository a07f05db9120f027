//! `.pyc` files: the 16-byte header of a timestamp-based pyc (PEP 552,
//! flags = 0) records the source file's mtime in bytes 8..12. The magic
//! number, flags, source size and the code object stay compared.

/// A timestamp-based pyc named `*.pyc`.
pub(super) fn applies(prefix: &[u8], name: &[u8]) -> bool {
    name.ends_with(b".pyc")
        && prefix.len() >= 16
        && prefix[2..4] == *b"\r\n"
        && prefix[4..8] == [0, 0, 0, 0]
}

/// Zeroes the source-mtime field.
pub(super) fn normalize_header(prefix: &mut [u8]) {
    prefix[8..12].fill(0);
}

#[cfg(test)]
mod tests {
    use super::super::normalized_of;
    use crate::release::canonical::Field;

    /// A real pyc compiled by the host's Python, when there is one.
    fn compiled_pyc() -> Option<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("m.py");
        std::fs::write(&src, "def f(x):\n    return x * 2\n").unwrap();
        let out = dir.path().join("m.pyc");
        let status = std::process::Command::new("python3")
            .args(["-c", "import py_compile,sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)"])
            .arg(&src)
            .arg(&out)
            .status()
            .ok()?;
        status.success().then(|| std::fs::read(out).unwrap())
    }

    fn sample() -> Vec<u8> {
        compiled_pyc().unwrap_or_else(|| {
            eprintln!("notice: python3 unavailable; using a hand-built pyc header");
            let mut v = vec![
                0xa7, 0x0d, b'\r', b'\n', 0, 0, 0, 0, 1, 2, 3, 4, 30, 0, 0, 0,
            ];
            v.extend_from_slice(b"\xe3code object bytes");
            v
        })
    }

    #[test]
    fn source_mtime_is_ignored_but_code_is_not() {
        let a = sample();
        let mut b = a.clone();
        b[8] ^= 0xff; // another source mtime
        let na = normalized_of(&a, "pkg/__pycache__/m.cpython-311.pyc").unwrap();
        let nb = normalized_of(&b, "pkg/__pycache__/m.cpython-311.pyc").unwrap();
        assert_eq!(na.0, Field::PycSourceMtime);
        assert_eq!(na, nb);

        let mut c = b.clone();
        let last = c.len() - 1;
        c[last] ^= 1; // a change in the code object stays visible
        assert_ne!(normalized_of(&c, "m.pyc").unwrap(), na);
        let mut d = a.clone();
        d[12] ^= 1; // so does the source size
        assert_ne!(normalized_of(&d, "m.pyc").unwrap(), na);
    }

    #[test]
    fn hash_based_pycs_are_not_normalized() {
        let mut a = sample();
        a[4] = 1; // PEP 552 hash-based flag
        assert!(normalized_of(&a, "m.pyc").is_none());
        assert!(normalized_of(&sample(), "m.py").is_none());
    }
}
