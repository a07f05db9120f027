//! Every command's `--format json` against its published schema in
//! `core/schema/`: real runs on the demo releases, PKI, log and auditor
//! keys (testdata/demo), on logs and keys made here, and on the corpora,
//! never hand-written JSON. A field renamed, dropped or retyped in a result
//! type fails here until its schema says so.

mod common;
#[path = "../../core/tests/common/gpg.rs"]
mod gpg;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn demo(p: &str) -> String {
    root().join("testdata/demo").join(p).display().to_string()
}

/// Runs glassbox in `dir`; checks the exit code; returns stdout.
fn run(dir: &Path, args: &[&str], code: i32) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "glassbox {args:?}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `glassbox ARGS --format json` in `dir`, checks the exit code, and
/// asserts that stdout is valid under `name`'s schema.
fn run_json(dir: &Path, name: &str, args: &[&str], code: i32) {
    let args = [args, &["--format", "json"]].concat();
    assert_valid(name, &run(dir, &args, code));
}

fn schema(name: &str) -> serde_json::Value {
    let path = root()
        .join("core/schema")
        .join(format!("{name}.v1.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Asserts that `stdout` is one JSON document valid under `name`'s schema.
fn assert_valid(name: &str, stdout: &[u8]) {
    let validator = jsonschema::draft202012::options()
        .build(&schema(name))
        .unwrap_or_else(|e| panic!("{name}: the schema does not compile: {e}"));
    let value: serde_json::Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: not one JSON document: {e}\n{}",
            String::from_utf8_lossy(stdout)
        )
    });
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{value:#}");
}

#[test]
fn every_schema_compiles_and_names_itself() {
    let dir = root().join("core/schema");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let file = p.file_name().unwrap().to_str().unwrap().to_string();
        let Some(name) = file.strip_suffix(".v1.schema.json") else {
            panic!("{file}: schemas are named NAME.v1.schema.json");
        };
        let s = schema(name);
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{file}"
        );
        assert_eq!(
            s["$id"],
            format!("https://glassbox.dev/schema/{file}"),
            "{file}"
        );
        jsonschema::draft202012::options()
            .build(&s)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        n += 1;
    }
    assert!(n >= 20, "{n} schemas");
}

#[test]
fn manifest() {
    let t = tempfile::tempdir().unwrap();
    run_json(
        t.path(),
        "manifest",
        &["manifest", &demo("releases/exampleav-1.1.0")],
        0,
    );
    run_json(
        t.path(),
        "manifest",
        &[
            "manifest",
            &demo("tampered/exampleav-1.1.0.tar.gz"),
            "--sha512",
        ],
        0,
    );
}

#[test]
fn diff() {
    let t = tempfile::tempdir().unwrap();
    run_json(
        t.path(),
        "diff",
        &[
            "diff",
            &demo("releases/exampleav-1.0.0"),
            &demo("releases/exampleav-1.1.0.tar.gz"),
        ],
        1,
    );
}

#[test]
fn repro() {
    let t = tempfile::tempdir().unwrap();
    let vendor = demo("releases/exampleav-1.1.0.tar.gz");
    for (other, code) in [("rebuild", 0), ("tampered", 1)] {
        let other = demo(&format!("{other}/exampleav-1.1.0.tar.gz"));
        run_json(t.path(), "repro", &["repro", &vendor, &other], code);
    }
}

#[test]
fn verify_artifact_and_release() {
    let t = tempfile::tempdir().unwrap();
    let policy = demo("policy.toml");
    let sig = demo("releases/exampleav-1.1.0/engine/avengine.p7s");
    for (rel, code) in [("releases", 0), ("tampered", 1)] {
        let artifact = demo(&format!("{rel}/exampleav-1.1.0/engine/avengine"));
        run_json(
            t.path(),
            "verify",
            &[
                "verify",
                &artifact,
                "--signature",
                &sig,
                "--policy",
                &policy,
            ],
            code,
        );
        let release = demo(&format!("{rel}/exampleav-1.1.0"));
        let previous = demo("releases/exampleav-1.0.0");
        run_json(
            t.path(),
            "verify",
            &[
                "verify",
                &release,
                "--policy",
                &policy,
                "--previous",
                &previous,
            ],
            code,
        );
    }
    run_json(
        t.path(),
        "verify",
        &[
            "verify",
            &demo("releases/exampleav-1.1.0.tar.gz"),
            "--policy",
            &policy,
            "--log-proof",
            &demo("log/exampleav-1.1.0.tar.gz.tlog-proof"),
            "--log-vkey",
            &demo("log/vkey"),
        ],
        0,
    );
}

/// Authenticode: a PE file verified by its embedded signature (Debian's
/// fwupd EFI image, from the corpus .deb) alone and inside a release, and
/// a tampered copy (exit 1), and `diff` of the two; the text output names
/// the Authenticode digest osslsigncode calculates.
#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn verify_authenticode() {
    let t = tempfile::tempdir().unwrap();
    let corpus = common::corpus("vendor-channels/authenticode");
    let image = common::fwupd_image();
    let rel = t.path().join("rel");
    std::fs::create_dir(&rel).unwrap();
    std::fs::write(rel.join("fwupdx64.efi"), &image).unwrap();
    let mut tampered = image.clone();
    tampered[0x600] ^= 1;
    std::fs::write(t.path().join("tampered.efi"), &tampered).unwrap();
    std::fs::write(
        t.path().join("policy.toml"),
        format!(
            "[x509]\nroots = [{:?}]\n[validation]\ntime = \"2026-06-01T00:00:00Z\"\n",
            corpus.join("debian-uefi-ca.pem").display().to_string()
        ),
    )
    .unwrap();
    let efi = rel.join("fwupdx64.efi").display().to_string();
    run_json(
        t.path(),
        "verify",
        &["verify", &efi, "--policy", "policy.toml"],
        0,
    );
    run_json(
        t.path(),
        "verify",
        &[
            "verify",
            "tampered.efi",
            "--policy",
            "policy.toml",
            "--previous",
            &efi,
        ],
        1,
    );
    run_json(
        t.path(),
        "verify",
        &["verify", "rel", "--policy", "policy.toml"],
        0,
    );
    // The signed image against its tampered copy: `diff` names the
    // Authenticode part (signature unchanged, image changed).
    run_json(t.path(), "diff", &["diff", &efi, "tampered.efi"], 1);
    let text = run(t.path(), &["verify", &efi, "--policy", "policy.toml"], 0);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(
            "authenticode sha256: 54563dba7fe706fab763168771637e02f82bf776e47fc16c96b87f3ecdb11958"
        ),
        "{text}"
    );
}

/// OpenPGP: a release whose `InRelease` and `.asc` are signed by a
/// gpg-made subkey, with signer continuity against a release signed by
/// another subkey of the same certificate, and an artifact whose second
/// signature is by a key the policy does not hold (per-signature
/// failures).
#[test]
#[cfg_attr(not(any(ci, has_gpg)), ignore = "needs gpg")]
fn verify_openpgp() {
    let g = gpg::Gpg::new();
    let primary = g.cert_key("V <v@example.invalid>");
    let stranger = g.signing_key("S <s@example.invalid>", "ed25519");
    let mut releases = Vec::new();
    for v in ["1", "2"] {
        let sub = g.add_subkey(&primary, "ed25519", "sign");
        let dir = g.path(v);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("app.bin");
        std::fs::write(&file, v).unwrap();
        let asc = g.detach_sign(&format!("{sub}!"), &file, true, &[]);
        std::fs::write(dir.join("app.bin.asc"), asc).unwrap();
        std::fs::write(
            dir.join("InRelease"),
            g.clearsign(&[&format!("{sub}!")], &file, &[]),
        )
        .unwrap();
        releases.push(dir.to_str().unwrap().to_string());
    }
    let ring = g.export("v.gpg", &[&primary], false);
    let policy = gpg::openpgp_policy(g.home.path(), &ring, "");
    let policy = policy.to_str().unwrap();
    let args = [
        "verify",
        &releases[1],
        "--policy",
        policy,
        "--previous",
        &releases[0],
    ];
    run_json(g.home.path(), "verify", &args, 0);
    let app = g.path("1/app.bin");
    let two = [
        g.detach_sign(&stranger, &app, false, &[]),
        g.detach_sign(&primary, &app, false, &[]),
    ];
    // The primary key is certification-only: its signature fails on key
    // flags, the stranger's on an unknown key.
    let sig = g.path("two.sig");
    std::fs::write(&sig, two.concat()).unwrap();
    let app = app.to_str().unwrap();
    let args = [
        "verify",
        app,
        "--signature",
        sig.to_str().unwrap(),
        "--policy",
        policy,
    ];
    run_json(g.home.path(), "verify", &args, 1);
}

#[test]
fn chain() {
    let t = tempfile::tempdir().unwrap();
    let leaf = demo("pki/codesign.pem");
    let inter = demo("pki/intermediate.pem");
    let roots = demo("pki/root.pem");
    run_json(
        t.path(),
        "chain",
        &["chain", &leaf, "--intermediates", &inter, "--roots", &roots],
        0,
    );
    // Without the intermediate there is no path: the invalid form.
    run_json(t.path(), "chain", &["chain", &leaf, "--roots", &roots], 1);
}

#[test]
fn keygen_and_report_verify_and_render() {
    let t = tempfile::tempdir().unwrap();
    run_json(t.path(), "keygen", &["keygen", "--out", "k.key"], 0);
    run_json(
        t.path(),
        "keygen",
        &["keygen", "--out", "p.key", "--algorithm", "p256"],
        0,
    );

    let example = root().join("audit-reports/example");
    let envelope = example.join("report.dsse.json").display().to_string();
    let auditor = demo("auditor/TEST-ONLY-auditor.key.pub");
    run_json(
        t.path(),
        "report-verify",
        &["report", "verify", &envelope, "--key", &auditor],
        0,
    );
    // A key that did not sign it: the failed form, with its problem.
    run_json(
        t.path(),
        "report-verify",
        &["report", "verify", &envelope, "--key", "k.key.pub"],
        1,
    );

    let report = example.join("report.json").display().to_string();
    run_json(t.path(), "audit-report", &["report", "render", &report], 0);
}

/// A directory with a log key (`log.key`), a witness key (`w.key`) and a
/// file to log (`a.bin`).
fn log_keys_and_a_file() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    run(t.path(), &["keygen", "--out", "log.key"], 0);
    run(t.path(), &["keygen", "--out", "w.key"], 0);
    std::fs::write(t.path().join("a.bin"), b"first\n").unwrap();
    t
}

#[test]
fn every_log_subcommand() {
    let t = log_keys_and_a_file();
    let d = t.path();
    std::fs::write(d.join("b.bin"), b"second\n").unwrap();
    run_json(
        d,
        "log-init",
        &common::words("log init L --origin test.example/log --key log.key"),
        0,
    );
    std::fs::write(d.join("empty.cp"), run(d, &["log", "checkpoint", "L"], 0)).unwrap();
    run_json(
        d,
        "log-append",
        &["log", "append", "L", "a.bin", "b.bin"],
        0,
    );
    run_json(d, "log-checkpoint", &["log", "checkpoint", "L"], 0);
    run_json(d, "log-prove", &["log", "prove", "L", "--file", "a.bin"], 0);
    run_json(
        d,
        "log-prove",
        &["log", "prove", "L", "--index", "1", "--output", "b.proof"],
        0,
    );
    for (file, code) in [("b.bin", 0), ("a.bin", 1)] {
        let verify = format!("log verify-proof b.proof --vkey L/vkey --file {file}");
        run_json(d, "log-verify-proof", &common::words(&verify), code);
    }
    for (old, new, code) in [
        ("empty.cp", "L/checkpoint", 0),
        ("L/checkpoint", "empty.cp", 1),
    ] {
        run_json(
            d,
            "log-consistency",
            &["log", "consistency", old, new, "--log", "L"],
            code,
        );
    }
    let witness = format!("{} --format json", common::WITNESS_L);
    let witness = common::words(&witness);
    assert_valid("log-witness", &run(d, &witness, 0));
    run(d, &["log", "append", "L", "a.bin"], 0);
    // Now with the size it cosigned before.
    assert_valid("log-witness", &run(d, &witness, 0));
    run_json(
        d,
        "log-monitor",
        &["log", "monitor", "--vkey", "L/vkey", "L", "L/checkpoint"],
        0,
    );
    // The demo's split view: the evidence form.
    run_json(
        &common::demo_path(""),
        "log-monitor",
        &common::words(common::MONITOR_DEMO),
        1,
    );
}

/// `log cosign` against a real `log witness --listen` on loopback, and
/// against a port nobody listens on (the failure form).
#[test]
fn log_cosign() {
    let t = log_keys_and_a_file();
    let d = t.path();
    run(
        d,
        &common::words("log init L --origin test.example/log --key log.key"),
        0,
    );
    run(d, &["log", "append", "L", "a.bin"], 0);
    // Killed when dropped, also when an assertion fails first.
    let witness = common::Listening::start(
        &[
            "log",
            "witness",
            "--listen",
            "127.0.0.1:0",
            "--state",
            "ws",
            "--key",
            "w.key",
            "--name",
            "w.example/w",
            "--log-vkey",
            "L/vkey",
        ],
        d,
    );
    let url = witness.url.clone();
    let cosign = |witness: &str, code| {
        run(
            d,
            &[
                "log",
                "cosign",
                "--log",
                "L",
                "--witness",
                witness,
                "--witness-vkey",
                "ws/vkey",
                "--timeout",
                "5",
                "--format",
                "json",
            ],
            code,
        )
    };
    let ok = cosign(&url, 0);
    drop(witness);
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    assert_valid("log-cosign", &ok);
    // Port 9 (discard) on loopback: nobody answers.
    assert_valid("log-cosign", &cosign("http://127.0.0.1:9", 1));
}

fn corpora() -> PathBuf {
    PathBuf::from(std::env::var_os("GLASSBOX_CORPORA").expect("GLASSBOX_CORPORA"))
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn sigstore_verify_bundle() {
    let t = tempfile::tempdir().unwrap();
    let cases = corpora().join("sigstore-conformance/bundle-verify");
    let artifact = cases.join("a.txt").display().to_string();
    let identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let issuer = "https://token.actions.githubusercontent.com";
    for (case, code) in [
        ("happy-path-v0.3", 0),
        ("managed-key-happy-path", 0),
        ("dsse-invalid-sig_fail", 1),
    ] {
        let dir = cases.join(case);
        let bundle = dir.join("bundle.sigstore.json").display().to_string();
        let key = dir.join("key.pub").display().to_string();
        let root = dir.join("trusted_root.json").display().to_string();
        let mut args = vec!["sigstore", "verify-bundle", "--bundle", &bundle];
        if dir.join("key.pub").exists() {
            args.extend(["--key", &key]);
        } else {
            args.extend(["--certificate-identity", identity]);
            args.extend(["--certificate-oidc-issuer", issuer]);
        }
        if dir.join("trusted_root.json").exists() {
            args.extend(["--trusted-root", &root]);
        }
        args.extend(["--format", "json", &artifact]);
        assert_valid("sigstore-verify", &run(t.path(), &args, code));
    }
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn tuf_verify() {
    let t = tempfile::tempdir().unwrap();
    let cases = corpora().join("tuf/generated/cases");
    for (case, code) in [
        ("valid", 0),
        ("expired-root", 1),
        ("delegated-wrong-key", 1),
    ] {
        let dir = cases.join(case);
        let root = dir.join("initial_root.json").display().to_string();
        let repo = dir.display().to_string();
        run_json(
            t.path(),
            "tuf-verify",
            &[
                "tuf",
                "verify",
                "--root",
                &root,
                "--repo",
                &repo,
                "--targets",
                "all",
                "--at",
                "2026-11-01T00:00:00Z",
            ],
            code,
        );
    }
}

#[test]
#[cfg_attr(not(corpora), ignore = "needs GLASSBOX_CORPORA")]
fn apt_verify() {
    let t = tempfile::tempdir().unwrap();
    let c = corpora().join("vendor-channels/apt-bookworm-updates");
    let policy = t.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[openpgp]]\nname = \"debian\"\nkeyring = {:?}\n",
            c.join("debian-archive-keyring.gpg")
        ),
    )
    .unwrap();
    let f = |n: &str| c.join(n).display().to_string();
    let deb = f("ldb-tools_2_2.6.2+samba4.17.12+dfsg-0+deb12u2_amd64.deb");
    let base = [
        "apt",
        "verify",
        "--policy",
        policy.to_str().unwrap(),
        "--at",
        "2026-12-08T00:00:00Z",
        "--release",
    ];
    let inrelease = f("InRelease");
    let packages = f("Packages");
    // Every link holds; then the Packages file given as the Release, so
    // the signature link fails and the rest are not checked.
    for (release, code) in [(&inrelease, 0), (&packages, 1)] {
        let args = [&base[..], &[release.as_str(), "--index", &packages, &deb]].concat();
        run_json(t.path(), "apt-verify", &args, code);
    }
}
