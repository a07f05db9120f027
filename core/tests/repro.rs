//! Reproducibility verdicts on archives made by the real tools (GNU tar,
//! gzip, Info-ZIP zip, GNU ar) at test time: each normalization is applied
//! where only its field differs, and a real content change stays visible
//! through every one of them.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::succeed;

use glassbox_core::repro::{
    DifferenceKind, Normalization, NormalizationSet, ReproOptions, ReproReport, Verdict, compare,
};

/// Fails the test when `tool` is missing: tests that need it are ignored
/// unless the build probe found it (test_cfgs.rs), and under CI they run
/// and must fail here rather than pass having checked nothing.
fn need(tool: &str) {
    assert!(
        Command::new(tool).arg("--version").output().is_ok(),
        "{tool} is not installed (.ci/run installs it)"
    );
}

/// A small release tree: text, a binary, a nested directory.
fn make_tree(root: &Path, engine: &[u8]) {
    std::fs::create_dir_all(root.join("pkg/bin")).unwrap();
    std::fs::create_dir_all(root.join("pkg/etc")).unwrap();
    std::fs::write(root.join("pkg/bin/engine"), engine).unwrap();
    std::fs::write(root.join("pkg/etc/config.json"), b"{\"level\": 3}\n").unwrap();
    std::fs::write(root.join("pkg/README"), b"ExampleAV engine\n").unwrap();
}

fn touch_all(root: &Path, date: &str) {
    succeed(
        Command::new("find")
            .arg(root)
            .args(["-exec", "touch", "-h", "-d", date, "{}", "+"]),
    );
}

fn tar_gz(src: &Path, out: &Path, reverse: bool, owner: &str, gzip_n: bool) {
    let list = src.join("../list.txt");
    let mut names: Vec<String> = walk(&src.join("pkg"))
        .into_iter()
        .map(|p| p.strip_prefix(src).unwrap().display().to_string())
        .collect();
    names.insert(0, "pkg".into());
    names.sort();
    if reverse {
        names.reverse();
    }
    std::fs::write(&list, names.join("\n") + "\n").unwrap();
    let tar = out.with_extension("");
    succeed(
        Command::new("tar")
            .arg("-C")
            .arg(src)
            .args(["--no-recursion", "--numeric-owner"])
            .arg(format!("--owner={owner}"))
            .arg(format!("--group={owner}"))
            .arg("-T")
            .arg(&list)
            .arg("-cf")
            .arg(&tar),
    );
    let mut gz = Command::new("gzip");
    if gzip_n {
        gz.arg("-n");
    }
    succeed(gz.arg("-f").arg(&tar));
    std::fs::rename(tar.with_extension("tar.gz"), out).ok();
    assert!(out.exists(), "{out:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        out.push(p.clone());
        if p.is_dir() {
            out.extend(walk(&p));
        }
    }
    out
}

fn applied(r: &ReproReport) -> Vec<(Normalization, u64)> {
    r.normalizations.iter().map(|n| (n.name, n.count)).collect()
}

fn names(r: &ReproReport) -> Vec<Normalization> {
    r.normalizations.iter().map(|n| n.name).collect()
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn fixture() -> Fixture {
    need("tar");
    need("gzip");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    make_tree(&root.join("vendor"), b"\x7fELF engine v1.1 code");
    make_tree(&root.join("rebuild"), b"\x7fELF engine v1.1 code");
    make_tree(&root.join("tampered"), b"\x7fELF engine v1.1 codf");
    touch_all(&root.join("vendor"), "2026-01-01 00:00:00");
    touch_all(&root.join("rebuild"), "2026-03-04 05:06:07");
    touch_all(&root.join("tampered"), "2026-01-01 00:00:00");
    Fixture { _dir: dir, root }
}

impl Fixture {
    /// [`tar_gz`] of the tree `side` (`vendor`, `rebuild`, `tampered`)
    /// into `name` beside the trees; returns its path.
    fn tar_gz(&self, side: &str, name: &str, reverse: bool, owner: &str, gzip_n: bool) -> PathBuf {
        let out = self.root.join(name);
        tar_gz(&self.root.join(side), &out, reverse, owner, gzip_n);
        out
    }

    /// The vendor's `a.tar.gz`: names in order, owned by root, `gzip -n`.
    fn vendor_tar_gz(&self) -> PathBuf {
        self.tar_gz("vendor", "a.tar.gz", false, "0", true)
    }
}

/// `compare` with the default normalizations; the comparison must run.
fn repro(vendor: &Path, rebuild: &Path) -> ReproReport {
    compare(vendor, rebuild, &ReproOptions::default()).unwrap()
}

/// `compare` with `normalizations`; the comparison must run.
fn repro_with(vendor: &Path, rebuild: &Path, normalizations: NormalizationSet) -> ReproReport {
    let opts = ReproOptions {
        normalizations,
        ..Default::default()
    };
    compare(vendor, rebuild, &opts).unwrap()
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_tar, has_gzip))),
    ignore = "needs tar, gzip on PATH"
)]
fn same_file_is_identical() {
    let f = fixture();
    let a = f.vendor_tar_gz();
    let r = repro(&a, &a);
    assert_eq!(r.verdict, Verdict::Identical);
    assert!(r.normalizations.is_empty() && r.differences.is_empty());
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_tar, has_gzip))),
    ignore = "needs tar, gzip on PATH"
)]
fn tar_gz_rebuild_with_metadata_noise_is_equivalent_with_each_normalization_named() {
    let f = fixture();
    let a = f.vendor_tar_gz();
    // Reverse order, another owner, gzip header with name and mtime.
    let b = f.tar_gz("rebuild", "b.tar.gz", true, "1000", false);
    let r = repro(&a, &b);
    assert_eq!(r.verdict, Verdict::Equivalent, "{r:#?}");
    assert_eq!(
        applied(&r),
        vec![
            (Normalization::MemberOrder, 1),
            (Normalization::TarMtime, 6),
            (Normalization::TarOwner, 6),
            (Normalization::GzipHeader, 1),
        ]
    );
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_tar, has_gzip))),
    ignore = "needs tar, gzip on PATH"
)]
fn tar_gz_content_change_stays_visible_under_every_normalization() {
    let f = fixture();
    let a = f.vendor_tar_gz();
    let t = f.tar_gz("tampered", "t.tar.gz", true, "1000", false);
    let r = repro(&a, &t);
    assert_eq!(r.verdict, Verdict::Different);
    let paths: Vec<&str> = r.differences.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, vec!["pkg/bin/engine"], "{r:#?}");
    assert!(matches!(
        r.differences[0].kind,
        DifferenceKind::Content { .. }
    ));
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_tar, has_gzip))),
    ignore = "needs tar, gzip on PATH"
)]
fn strict_mode_reports_every_normalizable_field_as_a_difference() {
    let f = fixture();
    let a = f.vendor_tar_gz();
    let b = f.tar_gz("rebuild", "b.tar.gz", false, "0", true);
    let r = repro_with(&a, &b, NormalizationSet::strict());
    assert_eq!(r.verdict, Verdict::Different);
    assert!(r.differences.iter().all(|d| matches!(
        d.kind,
        DifferenceKind::NotNormalized {
            normalization: Normalization::TarMtime
        }
    )));
    // Disabling one name only turns that one into differences.
    let mut set = NormalizationSet::default_set();
    set.disable(Normalization::TarOwner);
    let r = repro_with(&a, &b, set);
    assert_eq!(r.verdict, Verdict::Equivalent);
    assert_eq!(names(&r), vec![Normalization::TarMtime]);
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_tar, has_gzip))),
    ignore = "needs tar, gzip on PATH"
)]
fn data_hidden_after_the_tar_end_marker_is_a_difference() {
    let f = fixture();
    let (a, b) = (f.root.join("a.tar"), f.root.join("b.tar"));
    for p in [&a, &b] {
        succeed(
            Command::new("tar")
                .arg("-C")
                .arg(f.root.join("vendor"))
                .args([
                    "--sort=name",
                    "--owner=0",
                    "--group=0",
                    "--numeric-owner",
                    "-cf",
                ])
                .arg(p)
                .arg("pkg"),
        );
    }
    let mut bytes = std::fs::read(&b).unwrap();
    let n = bytes.len();
    bytes[n - 100..n - 90].copy_from_slice(b"smuggled!!");
    std::fs::write(&b, bytes).unwrap();
    let r = repro(&a, &b);
    assert_eq!(r.verdict, Verdict::Different, "{r:#?}");
    assert!(
        r.differences.iter().any(
            |d| matches!(&d.kind, DifferenceKind::Header { what } if what.contains("trailing"))
        )
    );
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_tar, has_gzip, has_zip))),
    ignore = "needs tar, gzip, zip on PATH"
)]
fn zip_rebuild_with_other_times_is_equivalent_and_content_change_is_not() {
    let f = fixture();
    need("zip");
    // The vendor zips without extra fields (-X), the rebuild with them.
    let zip = |src: &str, out: &Path| {
        let flags = if src == "rebuild" { "-qry" } else { "-qrXy" };
        succeed(
            Command::new("zip")
                .current_dir(f.root.join(src))
                .arg(flags)
                .arg(out)
                .arg("pkg"),
        );
    };
    let (a, b, t) = (
        f.root.join("a.zip"),
        f.root.join("b.zip"),
        f.root.join("t.zip"),
    );
    zip("vendor", &a);
    zip("rebuild", &b);
    zip("tampered", &t);
    let r = repro(&a, &b);
    assert_eq!(r.verdict, Verdict::Equivalent, "{r:#?}");
    assert_eq!(
        names(&r),
        vec![Normalization::ZipDosTime, Normalization::ZipExtraFields]
    );
    let r = repro(&a, &t);
    assert_eq!(r.verdict, Verdict::Different);
    assert_eq!(r.differences.len(), 1);
    assert_eq!(r.differences[0].path, "pkg/bin/engine");
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_tar, has_gzip))),
    ignore = "needs tar, gzip on PATH"
)]
fn directory_trees_differ_only_in_mtimes_and_modes_only_when_allowed() {
    let f = fixture();
    let (v, r_) = (f.root.join("vendor"), f.root.join("rebuild"));
    let r = repro(&v, &r_);
    assert_eq!(r.verdict, Verdict::Equivalent);
    assert_eq!(names(&r), vec![Normalization::FileMtime]);

    use std::os::unix::fs::PermissionsExt;
    let engine = r_.join("pkg/bin/engine");
    std::fs::set_permissions(&engine, std::fs::Permissions::from_mode(0o755)).unwrap();
    touch_all(&r_, "2026-03-04 05:06:07");
    let r = repro(&v, &r_);
    assert_eq!(r.verdict, Verdict::Different);
    assert!(matches!(r.differences[0].kind, DifferenceKind::Mode { .. }));
    let mut set = NormalizationSet::default_set();
    set.enable(Normalization::FileMode);
    let r = repro_with(&v, &r_, set);
    assert_eq!(r.verdict, Verdict::Equivalent);
    assert!(names(&r).contains(&Normalization::FileMode));
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_tar, has_gzip, has_ar))),
    ignore = "needs tar, gzip, ar on PATH"
)]
fn ar_member_times_and_owners_are_normalized() {
    let f = fixture();
    need("ar");
    let (a, b, t) = (f.root.join("a.a"), f.root.join("b.a"), f.root.join("t.a"));
    let ar = |flags: &str, src: &str, out: &Path| {
        succeed(
            Command::new("ar")
                .current_dir(f.root.join(src).join("pkg"))
                .arg(flags)
                .arg(out)
                .args(["README", "bin/engine"]),
        );
    };
    ar("rcD", "vendor", &a); // deterministic: zero times and ids
    ar("rcU", "rebuild", &b); // real mtimes
    ar("rcD", "tampered", &t);
    let r = repro(&a, &b);
    assert_eq!(r.verdict, Verdict::Equivalent, "{r:#?}");
    assert_eq!(names(&r), vec![Normalization::ArMetadata]);
    let r = repro(&a, &t);
    assert_eq!(r.verdict, Verdict::Different);
}

#[test]
#[cfg_attr(
    not(any(ci, all(has_tar, has_gzip))),
    ignore = "needs tar, gzip on PATH"
)]
fn nested_archives_are_compared_member_by_member() {
    let f = fixture();
    // vendor/pkg/lib/inner.tar.gz differs from rebuild's only in metadata.
    for (side, date, owner) in [
        ("vendor", "2026-01-01", "0"),
        ("rebuild", "2026-05-05", "42"),
    ] {
        let inner_src = f.root.join(format!("{side}-inner"));
        make_tree(&inner_src, b"inner engine");
        touch_all(&inner_src, date);
        std::fs::create_dir_all(f.root.join(side).join("pkg/lib")).unwrap();
        tar_gz(
            &inner_src,
            &f.root.join(side).join("pkg/lib/inner.tar.gz"),
            side == "rebuild",
            owner,
            side == "vendor",
        );
        touch_all(&f.root.join(side), date);
    }
    let a = f.vendor_tar_gz();
    let b = f.tar_gz("rebuild", "b.tar.gz", false, "0", true);
    let r = repro(&a, &b);
    assert_eq!(r.verdict, Verdict::Equivalent, "{r:#?}");
    assert!(names(&r).contains(&Normalization::TarOwner));
    assert!(names(&r).contains(&Normalization::GzipHeader));
}

#[test]
fn a_gzip_bomb_stops_with_a_limit_error() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&bomb).unwrap(),
        flate2::Compression::best(),
    );
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        std::io::Write::write_all(&mut enc, &zeros).unwrap();
    }
    enc.finish().unwrap();
    let other = dir.path().join("other.gz");
    std::fs::write(&other, b"x").unwrap();
    let err = compare(&bomb, &other, &ReproOptions::default()).unwrap_err();
    assert!(err.to_string().contains("decompression bomb"), "{err}");
}
