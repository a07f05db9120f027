//! Audit cases built in a test's directory.

use std::path::Path;

use glassbox_core::audit::AuditCase;

use super::demo;

/// Writes, in `root`, a trust policy (`policy.toml`: the demo vendor's
/// key, every file allowed unsigned, so the verify step runs but only the
/// archives the test puts in `new/` decide it) and a case (`audit.toml`:
/// release `new` version 2 against previous `old` version 1, signed with
/// the demo auditor's TEST-ONLY key), and loads the case. The test fills
/// `old/` and `new/`.
pub fn old_new_case(root: &Path) -> AuditCase {
    std::fs::write(
        root.join("policy.toml"),
        format!(
            "[[keys]]\nname = \"vendor\"\npath = \"{}\"\n\
             [coverage]\nallow_unsigned = [\"**\"]\n",
            demo("keys/exampleav-release-ed25519.pub.pem").display()
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("audit.toml"),
        format!(
            "vendor = \"V\"\nproduct = \"P\"\n[auditor]\nname = \"A\"\nkey = \"{}\"\n\
             [release]\npath = \"new\"\nversion = \"2\"\n\
             [previous]\npath = \"old\"\nversion = \"1\"\n\
             [verify]\npolicy = \"policy.toml\"\n",
            demo("auditor/TEST-ONLY-auditor.key").display()
        ),
    )
    .unwrap();
    AuditCase::load(&root.join("audit.toml")).unwrap()
}
