//! The capability surface of an executable: what its imports let it do,
//! and which network endpoints and other indicators its strings hold.
//!
//! Imports are the ELF dynamic symbols it leaves undefined and the PE
//! import and delay-load import tables (as `object` reads them). Each is
//! put in one group by [`CAPABILITIES`], a table an auditor can read:
//! exact names, or prefixes ending in `*`. Windows `A`/`W` variants match
//! their base name. An import no row names is grouped as `other`, so no
//! new import disappears from the report.
//!
//! Indicators are found in the strings ([`super::strings`]):
//!
//! | kind | what matches |
//! |---|---|
//! | `url` | any scheme (`https`, `wss`, `tcp`, `mqtt`, `hxxp`...) `://` followed by a host: a C2 address need not be HTTP |
//! | `host` | a dotted name whose last label is in [`TLDS`] (so `libssl.so`, `main.c` or `EVP_sha256.init` are not hosts) |
//! | `ipv4` | a dotted quad, each part 0-255 without leading zeros, not part of a longer dotted run and not after a letter or `v` |
//! | `ipv6` | a token of hex digits and colons that `std::net::Ipv6Addr` parses, with at least two colons |
//! | `email` | `local@domain.tld`, the last label letters only (`connect@GLIBC_2.2.5` is not one) |
//! | `registry` | a path under `HKEY_*` or `HKLM`/`HKCU`/`HKCR`/`HKU` |
//!
//! A four-part version standing alone (`1.2.3.4`) is reported as an IPv4
//! address: the two cannot be told apart from the bytes, and one line to
//! dismiss costs an auditor less than a hidden address. `v1.2.3.4`,
//! `1.2.3.4.5` and `2.0.1.300` are not.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// What an import lets code do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// Sockets, name resolution, HTTP clients.
    Network,
    /// Starting processes, loading and injecting code.
    ProcessAndCodeLoading,
    /// Opening, writing, deleting, renaming files and directories.
    FileSystem,
    /// Encryption, hashing, key handling, randomness.
    Crypto,
    /// Identity changes, privileges, tokens, capabilities, debugging others.
    PrivilegeAndSecurity,
    /// Host, user, OS, hardware and network configuration queries.
    SystemInformation,
    /// Imports no row of the table names.
    Other,
}

impl Capability {
    /// The name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Network => "network",
            Capability::ProcessAndCodeLoading => "process-and-code-loading",
            Capability::FileSystem => "file-system",
            Capability::Crypto => "crypto",
            Capability::PrivilegeAndSecurity => "privilege-and-security",
            Capability::SystemInformation => "system-information",
            Capability::Other => "other",
        }
    }
}

/// The import table: (capability, names). A name ending in `*` is a prefix.
pub const CAPABILITIES: &[(Capability, &[&str])] = &[
    (
        Capability::Network,
        &[
            // POSIX sockets and resolver.
            "socket",
            "socketpair",
            "connect",
            "bind",
            "listen",
            "accept",
            "accept4",
            "send",
            "sendto",
            "sendmsg",
            "sendmmsg",
            "recv",
            "recvfrom",
            "recvmsg",
            "recvmmsg",
            "getaddrinfo",
            "getnameinfo",
            "gethostbyname",
            "gethostbyname2",
            "gethostbyname_r",
            "gethostbyaddr",
            "res_query",
            "res_search",
            "res_nquery",
            "inet_pton",
            "inet_ntop",
            "inet_addr",
            "inet_aton",
            // Client libraries.
            "curl_*",
            "SSL_connect",
            "BIO_new_connect",
            "BIO_do_connect",
            // Windows: Winsock, WinHTTP, WinINet, URL monikers, DNS.
            "WSAStartup",
            "WSASocket",
            "WSAConnect",
            "WSASend",
            "WSARecv",
            "WSAIoctl",
            "closesocket",
            "ioctlsocket",
            "WinHttp*",
            "Internet*",
            "HttpOpenRequest",
            "HttpSendRequest",
            "HttpSendRequestEx",
            "URLDownloadToFile",
            "URLOpenStream",
            "DnsQuery_*",
            "DnsQueryEx",
            "GetAddrInfo",
            "GetAddrInfoEx",
        ],
    ),
    (
        Capability::ProcessAndCodeLoading,
        &[
            "fork",
            "vfork",
            "clone",
            "clone3",
            "execve",
            "execveat",
            "execv",
            "execvp",
            "execvpe",
            "execl",
            "execlp",
            "execle",
            "fexecve",
            "posix_spawn",
            "posix_spawnp",
            "system",
            "popen",
            "dlopen",
            "dlmopen",
            "dlsym",
            "dlvsym",
            "mprotect",
            "memfd_create",
            "ptrace",
            "process_vm_writev",
            "CreateProcess",
            "CreateProcessAsUser",
            "CreateProcessWithLogon",
            "CreateProcessWithToken",
            "ShellExecute",
            "ShellExecuteEx",
            "WinExec",
            "LoadLibrary",
            "LoadLibraryEx",
            "LdrLoadDll",
            "GetProcAddress",
            "CreateRemoteThread",
            "CreateRemoteThreadEx",
            "VirtualAllocEx",
            "WriteProcessMemory",
            "OpenProcess",
            "QueueUserAPC",
            "NtCreateThreadEx",
            "SetWindowsHookEx",
        ],
    ),
    (
        Capability::FileSystem,
        &[
            "open",
            "open64",
            "openat",
            "openat2",
            "creat",
            "fopen",
            "fopen64",
            "freopen",
            "unlink",
            "unlinkat",
            "remove",
            "rename",
            "renameat",
            "renameat2",
            "mkdir",
            "mkdirat",
            "rmdir",
            "chmod",
            "fchmod",
            "fchmodat",
            "chown",
            "fchown",
            "lchown",
            "fchownat",
            "link",
            "symlink",
            "symlinkat",
            "truncate",
            "ftruncate",
            "opendir",
            "fdopendir",
            "readdir",
            "nftw",
            "ftw",
            "mkstemp",
            "mkdtemp",
            "CreateFile",
            "CreateFile2",
            "DeleteFile",
            "MoveFile",
            "MoveFileEx",
            "CopyFile",
            "CopyFileEx",
            "ReplaceFile",
            "CreateDirectory",
            "RemoveDirectory",
            "FindFirstFile",
            "FindFirstFileEx",
            "FindNextFile",
            "SetFileAttributes",
            "WriteFile",
        ],
    ),
    (
        Capability::Crypto,
        &[
            "EVP_*",
            "RSA_*",
            "EC_KEY_*",
            "ECDSA_*",
            "AES_*",
            "SHA1",
            "SHA256",
            "SHA512",
            "HMAC*",
            "RAND_*",
            "PKCS*",
            "X509_*",
            "gcry_*",
            "gnutls_*",
            "mbedtls_*",
            "crypto_*",
            "sodium_*",
            "getrandom",
            "getentropy",
            "Crypt*",
            "BCrypt*",
            "NCrypt*",
            "CertOpenStore",
            "CertFindCertificateInStore",
            "CertGetCertificateChain",
        ],
    ),
    (
        Capability::PrivilegeAndSecurity,
        &[
            "setuid",
            "setgid",
            "seteuid",
            "setegid",
            "setreuid",
            "setregid",
            "setresuid",
            "setresgid",
            "setgroups",
            "initgroups",
            "capset",
            "cap_set_proc",
            "prctl",
            "chroot",
            "pivot_root",
            "setns",
            "unshare",
            "seccomp",
            "mount",
            "umount",
            "umount2",
            "pam_*",
            "selinux_*",
            "AdjustTokenPrivileges",
            "OpenProcessToken",
            "OpenThreadToken",
            "LookupPrivilegeValue",
            "ImpersonateLoggedOnUser",
            "DuplicateTokenEx",
            "SetSecurityInfo",
            "SetNamedSecurityInfo",
            "SetTokenInformation",
            "LogonUser",
            "RegSetValue",
            "RegSetValueEx",
            "RegCreateKey",
            "RegCreateKeyEx",
            "RegDeleteKey",
            "RegDeleteValue",
            "CreateService",
            "OpenSCManager",
            "ChangeServiceConfig",
        ],
    ),
    (
        Capability::SystemInformation,
        &[
            "uname",
            "gethostname",
            "getdomainname",
            "sysinfo",
            "sysctl",
            "sysctlbyname",
            "getifaddrs",
            "if_nameindex",
            "getpwuid",
            "getpwuid_r",
            "getpwnam",
            "getpwnam_r",
            "getpwent",
            "getgrnam",
            "getgrgid",
            "getlogin",
            "getlogin_r",
            "GetComputerName",
            "GetComputerNameEx",
            "GetUserName",
            "GetUserNameEx",
            "GetVersion",
            "GetVersionEx",
            "RtlGetVersion",
            "GetSystemInfo",
            "GetNativeSystemInfo",
            "GetAdaptersInfo",
            "GetAdaptersAddresses",
            "GetVolumeInformation",
            "RegOpenKey",
            "RegOpenKeyEx",
            "RegQueryValue",
            "RegQueryValueEx",
            "RegEnumKey",
            "RegEnumKeyEx",
            "RegEnumValue",
            "CreateToolhelp32Snapshot",
            "Process32First",
            "Process32Next",
            "EnumProcesses",
        ],
    ),
];

/// Top-level domains a dotted name must end in to count as a host name:
/// the generic ones and the country codes of the largest registries.
/// Country codes that are also common file extensions (`.so`, `.sh`, `.py`,
/// `.pl`, `.rs`, `.md`, `.in`, `.am`, `.ac`, `.cc`, `.ch`, `.h`...) are left
/// out on purpose: `libssl.so` is not a host.
pub const TLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "io",
    "dev",
    "app",
    "cloud",
    "online",
    "site",
    "xyz",
    "top",
    "club",
    "tech",
    "store",
    "ru",
    "cn",
    "de",
    "uk",
    "fr",
    "nl",
    "jp",
    "br",
    "it",
    "pl",
    "es",
    "ca",
    "au",
    "kr",
    "eu",
    "us",
    "tk",
    "ir",
    "ua",
    "tw",
    "vn",
    "ro",
    "cz",
    "se",
    "no",
    "fi",
    "dk",
    "be",
    "at",
    "gr",
    "hu",
    "il",
    "nz",
    "za",
    "mx",
    "ar",
    "tr",
    "kz",
    "by",
    "su",
    "onion",
    "local",
    "example",
    "test",
    "invalid",
    "localhost",
];

/// What kind of indicator a string holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorKind {
    /// A URL.
    Url,
    /// A host name.
    Host,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// An e-mail address.
    Email,
    /// A Windows registry path.
    Registry,
}

impl IndicatorKind {
    /// The name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Url => "url",
            IndicatorKind::Host => "host",
            IndicatorKind::Ipv4 => "ipv4",
            IndicatorKind::Ipv6 => "ipv6",
            IndicatorKind::Email => "email",
            IndicatorKind::Registry => "registry",
        }
    }

    /// Whether it names a network endpoint (a new one is a high finding).
    pub fn is_endpoint(self) -> bool {
        matches!(
            self,
            IndicatorKind::Url | IndicatorKind::Host | IndicatorKind::Ipv4 | IndicatorKind::Ipv6
        )
    }
}

/// Imports grouped by capability.
pub type Imports = BTreeMap<Capability, BTreeSet<String>>;
/// Indicators by kind.
pub type Indicators = BTreeMap<IndicatorKind, BTreeSet<String>>;

/// What an update adds to (or removes from) the surface of one executable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SurfaceChange {
    /// Imports, by capability.
    pub imports: Imports,
    /// Indicators found in strings, by kind.
    pub indicators: Indicators,
}

impl SurfaceChange {
    /// Whether nothing was added (or removed).
    pub fn is_empty(&self) -> bool {
        self.imports.is_empty() && self.indicators.is_empty()
    }

    /// Network imports and endpoint indicators: what makes a finding high.
    pub fn network(&self) -> (Vec<&str>, Vec<&str>) {
        let imports = self
            .imports
            .get(&Capability::Network)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let endpoints = self
            .indicators
            .iter()
            .filter(|(k, _)| k.is_endpoint())
            .flat_map(|(_, v)| v.iter().map(String::as_str))
            .collect();
        (imports, endpoints)
    }
}

/// The surface of one executable.
#[derive(Default)]
pub(super) struct Surface {
    pub imports: Imports,
    pub indicators: Indicators,
}

/// The group of an import.
pub fn capability(name: &str) -> Capability {
    // `CreateProcessW` matches `CreateProcess`; `WSASocketA` matches `WSASocket`.
    let base = name
        .strip_suffix('A')
        .or_else(|| name.strip_suffix('W'))
        .filter(|b| b.len() > 2);
    for (cap, names) in CAPABILITIES {
        for pattern in *names {
            let hit = |n: &str| match pattern.strip_suffix('*') {
                Some(prefix) => n.starts_with(prefix),
                None => n == *pattern,
            };
            if hit(name) || base.is_some_and(hit) {
                return *cap;
            }
        }
    }
    Capability::Other
}

/// The group of an import by ordinal, from its library: the libraries
/// whose every export is about one capability (Winsock, WinHTTP, WinINet,
/// DNS, URL monikers are network). Another library's ordinal is `other`,
/// still listed by name so an auditor sees it was added.
fn library_capability(library: &str) -> Capability {
    const NETWORK: &[&str] = &[
        "ws2_32.dll",
        "wsock32.dll",
        "winhttp.dll",
        "wininet.dll",
        "dnsapi.dll",
        "urlmon.dll",
        "iphlpapi.dll",
    ];
    if NETWORK.iter().any(|l| l.eq_ignore_ascii_case(library)) {
        Capability::Network
    } else {
        Capability::Other
    }
}

/// The imports of `f`, grouped.
pub(super) fn imports(f: &object::File, notes: &mut Vec<String>) -> Imports {
    use object::Object;
    let mut out = Imports::new();
    match f.imports() {
        Ok(list) => {
            for i in list {
                let i = match i {
                    Ok(i) => i,
                    Err(e) => {
                        notes.push(format!("import table unreadable past an entry: {e}"));
                        break;
                    }
                };
                let library = String::from_utf8_lossy(i.library());
                let (name, cap) = match i.name() {
                    object::read::NameOrOrdinal::Name(name) => {
                        let Ok(name) = std::str::from_utf8(name) else {
                            continue;
                        };
                        if name.is_empty() {
                            continue;
                        }
                        (name.to_string(), capability(name))
                    }
                    // An import by ordinal (PE import lookup table, bit 63
                    // set: PE/COFF spec "Import Lookup Table") has no name,
                    // but it is an import all the same: `ws2_32.dll#4` is
                    // `connect`. Skipping it let an update gain sockets
                    // unseen; it is listed as `DLL#ordinal` and grouped by
                    // what its library lets code do.
                    object::read::NameOrOrdinal::Ordinal(n) => {
                        (format!("{library}#{n}"), library_capability(&library))
                    }
                };
                out.entry(cap).or_default().insert(name);
            }
        }
        Err(e) => notes.push(format!("import table unreadable: {e}")),
    }
    out
}

/// One pattern per kind. Where the indicator is a part of the match
/// (hosts and IPv4 addresses need the character before and after to be
/// checked), it is capture group 1.
const PATTERNS: &[(IndicatorKind, &str)] = &[
    (
        IndicatorKind::Url,
        r"(?i)\b[a-z][a-z0-9+.-]{0,31}://[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?(?:[/?#][^\s\x22'<>`\\]*)?",
    ),
    (
        IndicatorKind::Host,
        r"(?i)(?:^|[^a-z0-9_.@/-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?:$|[^a-z0-9_.-]|\.(?:$|[^a-z0-9_-]))",
    ),
    (
        IndicatorKind::Ipv4,
        r"(?:^|[^0-9A-Za-z.])((?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})(?:$|[^0-9.]|\.[^0-9])",
    ),
    (
        IndicatorKind::Ipv6,
        r"[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*",
    ),
    (
        IndicatorKind::Email,
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b",
    ),
    (
        IndicatorKind::Registry,
        r"(?i)\b(?:HKEY_(?:LOCAL_MACHINE|CURRENT_USER|CLASSES_ROOT|USERS|CURRENT_CONFIG)|HKLM|HKCU|HKCR|HKU)\\[^\x00-\x1f\x22*?<>|]*",
    ),
];

static COMPILED: LazyLock<Vec<(IndicatorKind, Regex)>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|(k, p)| (*k, Regex::new(p).expect("static regex")))
        .collect()
});

/// Whether a match is really an indicator of its kind (the checks a
/// regular expression cannot make).
fn accept(kind: IndicatorKind, s: &str, start: usize, t: &str) -> bool {
    match kind {
        IndicatorKind::Host => t
            .rsplit('.')
            .next()
            .is_some_and(|tld| TLDS.contains(&tld.to_ascii_lowercase().as_str())),
        IndicatorKind::Ipv6 => {
            // Not glued to an identifier (`std::string` holds `d::`), and
            // at least one digit (`a::b` is C++, not an address anyone
            // wrote).
            let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            !glued(s[..start].chars().next_back())
                && !glued(s[start + t.len()..].chars().next())
                && t.matches(':').count() >= 2
                && t.bytes().any(|b| b.is_ascii_digit())
                && t.parse::<std::net::Ipv6Addr>().is_ok()
        }
        _ => true,
    }
}

/// Whether `s` has the one character every indicator of `kind` needs:
/// most strings of an executable have none, and skipping the regular
/// expressions for them keeps a file of a million strings cheap.
fn may_hold(kind: IndicatorKind, s: &str) -> bool {
    let b = s.as_bytes();
    match kind {
        IndicatorKind::Url => s.contains("://"),
        IndicatorKind::Host | IndicatorKind::Ipv4 => b.contains(&b'.'),
        IndicatorKind::Ipv6 => b.iter().filter(|&&c| c == b':').nth(1).is_some(),
        IndicatorKind::Email => b.contains(&b'@'),
        IndicatorKind::Registry => b.contains(&b'\\'),
    }
}

/// The indicators in one string, added to `out`.
pub(super) fn indicators_in(s: &str, out: &mut Indicators) {
    for (kind, re) in COMPILED.iter() {
        if !may_hold(*kind, s) {
            continue;
        }
        for c in re.captures_iter(s) {
            let Some(m) = c.get(1).or_else(|| c.get(0)) else {
                continue;
            };
            let t = match kind {
                IndicatorKind::Ipv6 => m.as_str().trim_end_matches('.'),
                _ => m.as_str(),
            };
            if !accept(*kind, s, m.start(), t) {
                continue;
            }
            out.entry(*kind).or_default().insert(t.to_string());
            if *kind == IndicatorKind::Url {
                // The URL's host is a host name too (the host pattern does
                // not look after a `/`).
                let host = t.split_once("://").map_or("", |x| x.1);
                let host = host.split([':', '/', '?', '#']).next().unwrap_or("");
                if host.contains('.') && !host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                    out.entry(IndicatorKind::Host)
                        .or_default()
                        .insert(host.to_string());
                }
            }
        }
    }
}

/// Whether `s` holds any indicator: the diff's grouping (`diff::group`)
/// keeps such a line as written rather than masking a file name in it.
pub(crate) fn has_indicator(s: &str) -> bool {
    let mut found = Indicators::new();
    indicators_in(s, &mut found);
    !found.is_empty()
}

/// `new` less `old`, per key; empty keys dropped.
pub(super) fn minus<K: Ord + Copy>(
    new: &BTreeMap<K, BTreeSet<String>>,
    old: &BTreeMap<K, BTreeSet<String>>,
) -> BTreeMap<K, BTreeSet<String>> {
    new.iter()
        .filter_map(|(k, v)| {
            let d: BTreeSet<String> = match old.get(k) {
                Some(o) => v.difference(o).cloned().collect(),
                None => v.clone(),
            };
            (!d.is_empty()).then_some((*k, d))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(s: &str) -> Indicators {
        let mut out = Indicators::new();
        indicators_in(s, &mut out);
        out
    }

    fn kinds(s: &str, k: IndicatorKind) -> Vec<String> {
        found(s).remove(&k).into_iter().flatten().collect()
    }

    #[test]
    fn indicators_and_what_is_not_one() {
        use IndicatorKind::*;
        let url = "upload to https://collect.example.net/upload now";
        let cases: &[(&str, IndicatorKind, &[&str])] = &[
            (url, Url, &["https://collect.example.net/upload"]),
            (url, Host, &["collect.example.net"]),
            ("see www.vendor.com.", Host, &["www.vendor.com"]),
            // Any scheme: only http/https/ftp/ws/wss were URLs, and the
            // host pattern does not look after a `/`, so these held none.
            (
                "beacon tcp://c2.example.net:4444",
                Url,
                &["tcp://c2.example.net:4444"],
            ),
            ("at mqtt://c2.example.net/t", Host, &["c2.example.net"]),
            (
                "hxxp://drop.example.org/x",
                Url,
                &["hxxp://drop.example.org/x"],
            ),
            ("mail ops@vendor.com", Email, &["ops@vendor.com"]),
            ("connect to 10.1.2.3:443", Ipv4, &["10.1.2.3"]),
            ("dns 2001:db8::1 ok", Ipv6, &["2001:db8::1"]),
            (
                r"at HKLM\Software\Vendor\Run",
                Registry,
                &[r"HKLM\Software\Vendor\Run"],
            ),
            // Version strings are not addresses, C++ scopes and clock
            // times are not IPv6.
            ("v1.2.3.4", Ipv4, &[]),
            ("1.2.3.4.5", Ipv4, &[]),
            ("2.0.1.300", Ipv4, &[]),
            ("1.01.2.3", Ipv4, &[]),
            ("12:34:56", Ipv6, &[]),
            ("std::string", Ipv6, &[]),
            ("a::b", Ipv6, &[]),
        ];
        for (s, k, want) in cases {
            assert_eq!(kinds(s, *k), *want, "{s}");
        }
        // Versioned symbols, file names and C identifiers are none of them.
        for s in [
            "connect@GLIBC_2.2.5",
            "libssl.so.3",
            "main.c",
            "EVP_sha256.init",
            "ssl/t1_lib.c",
            "OpenSSL 3.0.11",
        ] {
            assert_eq!(found(s), Indicators::new(), "{s}");
        }
    }

    #[test]
    fn imports_are_grouped_by_the_table() {
        assert_eq!(capability("connect"), Capability::Network);
        assert_eq!(capability("WinHttpOpen"), Capability::Network);
        assert_eq!(capability("InternetOpenA"), Capability::Network);
        assert_eq!(
            capability("CreateProcessW"),
            Capability::ProcessAndCodeLoading
        );
        assert_eq!(capability("EVP_DigestInit_ex"), Capability::Crypto);
        assert_eq!(capability("setuid"), Capability::PrivilegeAndSecurity);
        assert_eq!(capability("uname"), Capability::SystemInformation);
        assert_eq!(capability("fopen"), Capability::FileSystem);
        assert_eq!(capability("printf"), Capability::Other);
    }
}
