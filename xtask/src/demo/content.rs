//! The unsigned payload of ExampleAV releases 1.0.0 and 1.1.0.
//!
//! Every change from 1.0.0 to 1.1.0 is listed in `testdata/demo/README.md`;
//! keep the two in step.

use ring::digest::{SHA256, digest};

use super::elf::Binaries;
use super::tree::Tree;

/// A release of the update package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// 1.0.0, released 2026-03-02.
    V1_0,
    /// 1.1.0, released 2026-06-15.
    V1_1,
}

impl Version {
    /// `1.0.0` or `1.1.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1_0 => "1.0.0",
            Version::V1_1 => "1.1.0",
        }
    }
}

/// The unsigned payload of `version`.
pub fn payload(version: Version, bins: &Binaries) -> Tree {
    let v11 = version == Version::V1_1;
    let mut t = Tree::default();
    let engine = if v11 {
        &bins.avengine_1_1
    } else {
        &bins.avengine_1_0
    };
    t.put("engine/avengine", engine.clone(), 0o755);
    t.put("engine/libscan.so", bins.libscan.clone(), 0o755);
    t.put("signatures/main.db", main_db(version), 0o644);
    t.put("signatures/daily.cvd", daily_cvd(version), 0o644);
    t.put("etc/exampleav.json", config(version), 0o644);
    t.put("CHANGELOG.md", changelog(version), 0o644);
    // Mode change: the helper became executable in 1.1.0.
    t.put(
        "tools/quarantine.sh",
        QUARANTINE_SH,
        if v11 { 0o755 } else { 0o644 },
    );
    if v11 {
        // Added in 1.1.0.
        t.put("signatures/heuristics.db", HEURISTICS_DB, 0o644);
        // Renamed from docs/LICENSE.txt, content unchanged.
        t.put("LICENSE", LICENSE, 0o644);
    } else {
        // Removed in 1.1.0.
        t.put("signatures/legacy.db", LEGACY_DB, 0o644);
        t.put("docs/LICENSE.txt", LICENSE, 0o644);
    }
    t
}

/// Detection names of `signatures/main.db`; 1.1.0 appends the last three.
const MAIN_DB_NAMES: [&str; 15] = [
    "Demo.Trojan.Agent-1",
    "Demo.Trojan.Agent-2",
    "Demo.Worm.Mailer-1",
    "Demo.Dropper.A",
    "Demo.Dropper.B",
    "Demo.Ransom.Locker-1",
    "Demo.Adware.Toolbar-1",
    "Demo.Backdoor.Shell-1",
    "Demo.Miner.Coin-1",
    "Demo.Exploit.PDF-1",
    "Demo.Macro.Doc-1",
    "Demo.Script.JS-1",
    "Demo.Ransom.Locker-2",
    "Demo.Stealer.Browser-1",
    "Demo.Macro.Doc-2",
];

fn main_db(version: Version) -> Vec<u8> {
    let (serial, count) = match version {
        Version::V1_0 => ("2026030201", 12),
        Version::V1_1 => ("2026061501", 15),
    };
    let mut out = format!(
        "# ExampleAV main signature database\n# serial: {serial}\n# format: name:target:offset:hex-pattern\n"
    );
    for (i, name) in MAIN_DB_NAMES[..count].iter().enumerate() {
        let pattern = hex::encode(&digest(&SHA256, name.as_bytes()).as_ref()[..12]);
        let target = i % 3;
        out.push_str(&format!("{name}:{target}:*:{pattern}\n"));
    }
    out.into_bytes()
}

/// A binary, ClamAV-`.cvd`-like blob: a 128-byte text header padded with
/// spaces, then records `u16le name_len, name, u16le pattern_len, pattern`.
fn daily_cvd(version: Version) -> Vec<u8> {
    let (build, date, count) = match version {
        Version::V1_0 => (101, "20260302", 40),
        Version::V1_1 => (187, "20260615", 64),
    };
    let mut header = format!("ExampleAV-CVD:daily:{build}:{date}:{count}:").into_bytes();
    header.resize(128, b' ');
    let mut out = header;
    for i in 0..count {
        let name = format!("Demo.Daily.{i:04}");
        let pattern = digest(&SHA256, format!("daily-{i}").as_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(pattern.as_ref().len() as u16).to_le_bytes());
        out.extend_from_slice(pattern.as_ref());
    }
    out
}

fn config(version: Version) -> &'static str {
    match version {
        Version::V1_0 => CONFIG_1_0,
        Version::V1_1 => CONFIG_1_1,
    }
}

const CONFIG_1_0: &str = r#"{
  "engine": {
    "threads": 2,
    "max_file_size_mb": 25,
    "scan_archives": true
  },
  "update": {
    "url": "https://updates.exampleav.invalid/v1/",
    "interval_hours": 24
  },
  "legacy_mode": false,
  "log_level": "info"
}
"#;

const CONFIG_1_1: &str = r#"{
  "engine": {
    "threads": 4,
    "max_file_size_mb": 50,
    "scan_archives": true,
    "heuristics": {
      "enabled": true,
      "threshold": 70
    }
  },
  "update": {
    "url": "https://updates.exampleav.invalid/v2/",
    "interval_hours": 24,
    "channel": "stable"
  },
  "log_level": "info"
}
"#;

const CHANGELOG_1_0: &str = "# ExampleAV changelog

## 1.0.0 (2026-03-02)

- First release of the ExampleAV update package.
- Scan engine with built-in test patterns; `libscan` 3.2.1.
- Signature databases `main.db` (12 records), `daily.cvd` (build 101) and `legacy.db`.
";

const CHANGELOG_1_1_ENTRY: &str = "## 1.1.0 (2026-06-15)

- Engine: heuristic scoring of packed payloads (`heuristic_score`), new built-in pattern `Demo.Macro.B`.
- Signatures: `main.db` +3 records, `daily.cvd` build 187, new `heuristics.db`; `legacy.db` removed.
- Config: `engine.heuristics` and `update.channel` added, `engine.threads` 2 -> 4,
  `engine.max_file_size_mb` 25 -> 50, update URL moved to `/v2/`, `legacy_mode` removed.
- `docs/LICENSE.txt` moved to `LICENSE`; `tools/quarantine.sh` is now executable.

";

fn changelog(version: Version) -> String {
    match version {
        Version::V1_0 => CHANGELOG_1_0.to_string(),
        Version::V1_1 => {
            CHANGELOG_1_0.replacen("## 1.0.0", &format!("{CHANGELOG_1_1_ENTRY}## 1.0.0"), 1)
        }
    }
}

const QUARANTINE_SH: &str = r#"#!/bin/sh
# Move a detected file into the ExampleAV quarantine directory.
set -eu
dir="${EXAMPLEAV_QUARANTINE:-/var/lib/exampleav/quarantine}"
mkdir -p "$dir"
for f in "$@"; do
    mv -- "$f" "$dir/$(date +%s)-$(basename -- "$f")"
    echo "quarantined: $f"
done
"#;

const LEGACY_DB: &str = "# ExampleAV legacy signature format (pre-2026 engines), dropped in 1.1.0
LEGACY|Demo.Old.Boot-1|33c08ed0bc007c
LEGACY|Demo.Old.Boot-2|fa33c08ed0bc00
LEGACY|Demo.Old.Com-1|e9000090cd21
";

const HEURISTICS_DB: &str = "# ExampleAV heuristic rules (new in 1.1.0)
# rule: name:min-score:description
Heur.Packed.HighEntropy:70:most bytes non-printable
Heur.Packed.UPXLike:60:packer stub followed by compressed data
Heur.Script.Obfuscated:80:long lines of escaped characters
";

const LICENSE: &str = "ExampleAV demo update package
Copyright 2026 ExampleAV (a fictional vendor for the glassbox test suite)

This package is test data. It contains no real malware signatures and no
real security product. Permission is granted to use, copy and modify it for
any purpose, without warranty of any kind.
";
