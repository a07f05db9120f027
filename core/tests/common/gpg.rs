//! A throw-away GnuPG home where `gpg` makes real OpenPGP keys and
//! signatures at test time (shared by core's and the CLI's OpenPGP tests;
//! the CLI includes this file by path).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Writes `dir/policy.toml` trusting only the OpenPGP keyring `keyring`
/// (keyring name `vendor`), with `extra` TOML after it; returns its path.
pub fn openpgp_policy(dir: &Path, keyring: &Path, extra: &str) -> PathBuf {
    let p = dir.join("policy.toml");
    let text = format!(
        "[[openpgp]]\nname = \"vendor\"\nkeyring = {:?}\n{extra}",
        keyring.to_str().unwrap()
    );
    std::fs::write(&p, text).unwrap();
    p
}

/// A temporary `GNUPGHOME` with no passphrases.
pub struct Gpg {
    pub home: tempfile::TempDir,
}

impl Gpg {
    /// An empty home (mode 0700, as gpg wants).
    pub fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        Gpg { home }
    }

    /// A path inside the home.
    pub fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// Runs `gpg --batch ARGS` (with `input` on stdin); it must succeed.
    pub fn run_with(&self, args: &[&str], input: Option<&str>) -> Vec<u8> {
        let mut cmd = Command::new("gpg");
        cmd.arg("--homedir")
            .arg(self.home.path())
            .args([
                "--batch",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
            ])
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("gpg must be installed (see .ci/run): {e}"));
        if let Some(text) = input {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Runs `gpg --batch ARGS`; it must succeed.
    pub fn run(&self, args: &[&str]) -> Vec<u8> {
        self.run_with(args, None)
    }

    /// The fingerprints (primary first, then subkeys) of the key `uid`.
    pub fn fingerprints(&self, uid: &str) -> Vec<String> {
        let out = self.run(&["--with-colons", "--list-keys", uid]);
        String::from_utf8_lossy(&out)
            .lines()
            .filter(|l| l.starts_with("fpr:"))
            .map(|l| l.split(':').nth(9).unwrap().to_string())
            .collect()
    }

    /// `gpg --quick-gen-key UID ALGO USAGE EXPIRE` (at `faked` epoch
    /// seconds when given); returns the primary fingerprint.
    pub fn gen_key(
        &self,
        uid: &str,
        algo: &str,
        usage: &str,
        expire: &str,
        faked: Option<i64>,
    ) -> String {
        let t;
        let mut args = Vec::new();
        if let Some(f) = faked {
            t = format!("{f}");
            args.extend(["--faked-system-time", t.as_str()]);
        }
        args.extend(["--quick-gen-key", uid, algo, usage, expire]);
        self.run(&args);
        self.fingerprints(uid)[0].clone()
    }

    /// A signing primary key that never expires.
    pub fn signing_key(&self, uid: &str, algo: &str) -> String {
        self.gen_key(uid, algo, "sign", "0", None)
    }

    /// An Ed25519 certification-only primary key (signing subkeys are
    /// added with [`Gpg::add_subkey`]).
    pub fn cert_key(&self, uid: &str) -> String {
        self.gen_key(uid, "ed25519", "cert", "0", None)
    }

    /// `gpg --quick-add-key FPR ALGO USAGE 0`; returns the new subkey's
    /// fingerprint.
    pub fn add_subkey(&self, fpr: &str, algo: &str, usage: &str) -> String {
        let before = self.fingerprints(fpr);
        self.run(&["--quick-add-key", fpr, algo, usage, "0"]);
        let after = self.fingerprints(fpr);
        after.into_iter().find(|f| !before.contains(f)).unwrap()
    }

    /// `gpg --edit-key FPR` driven by `commands` (one per line).
    pub fn edit(&self, fpr: &str, commands: &str, expert: bool) {
        let mut args = vec!["--command-fd", "0"];
        if expert {
            args.push("--expert");
        }
        args.extend(["--edit-key", fpr]);
        self.run_with(&args, Some(commands));
    }

    /// The public keys of `fprs`, binary (`gpg --export`), written to
    /// `name` in the home; returns the path.
    pub fn export(&self, name: &str, fprs: &[&str], armor: bool) -> PathBuf {
        let mut args = vec![];
        if armor {
            args.push("--armor");
        }
        args.push("--export");
        args.extend(fprs);
        let bytes = self.run(&args);
        assert!(!bytes.is_empty(), "nothing exported for {fprs:?}");
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// A detached signature of `file` by `signer` (append `!` to force a
    /// subkey), binary or armored, with extra gpg options.
    pub fn detach_sign(&self, signer: &str, file: &Path, armor: bool, extra: &[&str]) -> Vec<u8> {
        let out = self.path("out.sig");
        let _ = std::fs::remove_file(&out);
        let mut args = vec!["-u", signer];
        args.extend(extra);
        if armor {
            args.push("--armor");
        }
        let file = file.to_str().unwrap();
        let o = out.to_str().unwrap();
        args.extend(["--detach-sign", "-o", o, file]);
        self.run(&args);
        std::fs::read(&out).unwrap()
    }

    /// A cleartext-signed copy of `file` by each of `signers`.
    pub fn clearsign(&self, signers: &[&str], file: &Path, extra: &[&str]) -> Vec<u8> {
        let out = self.path("out.asc");
        let _ = std::fs::remove_file(&out);
        let mut args = Vec::new();
        for s in signers {
            args.extend(["-u", *s]);
        }
        args.extend(extra);
        let file = file.to_str().unwrap();
        let o = out.to_str().unwrap();
        args.extend(["--clearsign", "-o", o, file]);
        self.run(&args);
        std::fs::read(&out).unwrap()
    }
}
