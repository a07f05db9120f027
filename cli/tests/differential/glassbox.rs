//! glassbox's reading of an archive, as an auditor gets it:
//! `glassbox manifest --format json --no-nested` (members of nested
//! archives are not files an extractor writes, so they are not compared).

use std::path::Path;
use std::process::Command;

use super::extractors::{Node, Reading, Tree};

/// Removes what extractors drop from a name: `./` prefixes, empty and `.`
/// components, a trailing `/`. The escaped form keeps `/` as is, so this is
/// safe on escaped names.
fn normalise(name: &str) -> String {
    name.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// The reading glassbox gives, in extractor terms. Exit 2 is a refusal;
/// so is exit 1, a reading with findings (a duplicate name, an escaping
/// link, an unreadable member...): every reader finding fails
/// `glassbox verify`, so no auditor is told such a release holds anything.
/// Otherwise every listed entry becomes a node: hard links take their
/// target's node, and every parent directory is implied, as extractors
/// create them.
pub fn reading(archive: &Path) -> Reading {
    // GLASSBOX_DIFF_BIN runs the corpus against another build (a branch
    // under review, a release binary).
    let bin = std::env::var_os("GLASSBOX_DIFF_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_glassbox").into());
    let out = Command::new(bin)
        .args(["manifest", "--format", "json", "--no-nested"])
        .arg(archive)
        .env("NO_COLOR", "1")
        .output()
        .expect("run glassbox");
    match out.status.code() {
        Some(0 | 1) => {}
        Some(2) => {
            let err = String::from_utf8_lossy(&out.stderr);
            return Reading::Refused(err.lines().next().unwrap_or("").to_string());
        }
        other => panic!(
            "glassbox manifest exited {other:?} on {}: {}",
            archive.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("manifest JSON");
    let findings = v["findings"].as_array().unwrap();
    if !findings.is_empty() || out.status.code() != Some(0) {
        let kinds: Vec<&str> = findings.iter().filter_map(|f| f["kind"].as_str()).collect();
        return Reading::Refused(format!("findings, each fails verify: {kinds:?}"));
    }
    let mut tree = Tree::new();
    let mut hardlinks = Vec::new();
    // A name listed twice is a duplicate-name finding, refused above; the
    // first would count, as it does for `verify`.
    for e in v["entries"].as_array().unwrap() {
        let path = e["path"].as_str().unwrap().to_string();
        if path == "." {
            continue;
        }
        let target = e["link_target"].as_str().unwrap_or("").to_string();
        let node = match e["kind"].as_str().unwrap() {
            "file" => Node::File(e["digests"]["sha256"].as_str().unwrap().to_string()),
            "dir" => Node::Dir,
            "symlink" => Node::Symlink(target),
            "other" => Node::Other,
            "hardlink" => {
                hardlinks.push((path, target));
                continue;
            }
            k => panic!("unknown entry kind {k}"),
        };
        tree.entry(path).or_insert(node);
    }
    for (path, target) in hardlinks {
        let node = tree
            .get(&normalise(&target))
            .cloned()
            .unwrap_or(Node::DanglingHardlink(target));
        tree.entry(path).or_insert(node);
    }
    let paths: Vec<String> = tree.keys().cloned().collect();
    for p in paths {
        let mut at = p.as_str();
        while let Some(i) = at.rfind('/') {
            at = &at[..i];
            if !at.is_empty() {
                tree.entry(at.to_string()).or_insert(Node::Dir);
            }
        }
    }
    Reading::Read(tree)
}
