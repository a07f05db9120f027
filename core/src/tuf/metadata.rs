//! Typed TUF metadata (TUF specification §4): the signed envelope and the
//! four top-level roles plus delegated targets roles.
//!
//! Parsing keeps the whole `signed` object as JSON next to the typed view:
//! signatures are over the canonical form of all of `signed`, including
//! fields glassbox does not model (custom target data, `x-tuf-on-ci-*`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::canonical_json;
use super::keys::{KeyError, TufKey};

/// Why a metadata file is malformed or not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MetadataError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, MetadataError> {
    Err(MetadataError(msg.into()))
}

/// One entry of `signatures`.
#[derive(Debug, Clone)]
pub struct Signature {
    /// The keyid the signature claims.
    pub keyid: String,
    /// Decoded signature bytes (empty when the signer has not signed yet,
    /// as tuf-on-ci publishes).
    pub sig: Vec<u8>,
}

/// A metadata file: `{"signatures": [...], "signed": {...}}`.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The signatures as listed.
    pub signatures: Vec<Signature>,
    /// The `signed` object.
    pub signed: Value,
    /// OLPC canonical JSON of `signed`: what the signatures cover.
    pub canonical_signed: Vec<u8>,
}

impl Envelope {
    /// Parses a metadata file (strict JSON, canonicalizable `signed`).
    pub fn parse(bytes: &[u8]) -> Result<Self, MetadataError> {
        let doc = canonical_json::parse_strict(bytes).map_err(|e| MetadataError(e.to_string()))?;
        let Value::Object(mut obj) = doc else {
            return err("metadata is not a JSON object");
        };
        let signed = obj
            .remove("signed")
            .ok_or_else(|| MetadataError("missing \"signed\"".into()))?;
        let sigs = obj
            .remove("signatures")
            .ok_or_else(|| MetadataError("missing \"signatures\"".into()))?;
        if let Some(other) = obj.keys().next() {
            return err(format!("unknown top-level member {other:?}"));
        }
        let Value::Array(sigs) = sigs else {
            return err("\"signatures\" is not an array");
        };
        let mut signatures = Vec::with_capacity(sigs.len());
        let mut seen = BTreeSet::new();
        for s in &sigs {
            let keyid = str_field(s, "keyid")?;
            // §4.2: "The keyid MUST be unique in the "signatures" array:
            // multiple signatures with the same keyid are not allowed."
            // Counting a keyid once would be safe for the threshold, but a
            // second signature under one keyid is not a reading we
            // understand (which one did the signer mean?), so refuse.
            if !seen.insert(keyid.clone()) {
                return err(format!(
                    "keyid {keyid} appears twice in \"signatures\" (TUF specification §4.2 requires each keyid once); the repository must re-publish this file with one signature per key"
                ));
            }
            let sig_hex = str_field(s, "sig")?;
            let sig = hex::decode(&sig_hex)
                .map_err(|_| MetadataError(format!("signature by {keyid} is not hex")))?;
            signatures.push(Signature { keyid, sig });
        }
        let canonical_signed =
            canonical_json::to_canonical(&signed).map_err(|e| MetadataError(e.to_string()))?;
        Ok(Self {
            signatures,
            signed,
            canonical_signed,
        })
    }

    /// `signed._type`.
    pub fn role_type(&self) -> Result<String, MetadataError> {
        str_field(&self.signed, "_type")
    }
}

/// Fields every role has (TUF specification §4.2-§4.6).
#[derive(Debug, Clone)]
pub struct Common {
    /// `_type`.
    pub role_type: String,
    /// `spec_version`; major version must be 1.
    pub spec_version: String,
    /// `version`, at least 1.
    pub version: u64,
    /// `expires`.
    pub expires: OffsetDateTime,
}

impl Common {
    fn parse(signed: &Value, expected_type: &str) -> Result<Self, MetadataError> {
        let role_type = str_field(signed, "_type")?;
        if role_type != expected_type {
            return err(format!(
                "_type is {role_type:?}, expected {expected_type:?}"
            ));
        }
        let spec_version = str_field(signed, "spec_version")?;
        // §4.2 "spec_version": a client MUST refuse a major version it does
        // not implement. Only 1.x exists.
        let major = spec_version.split('.').next().unwrap_or("");
        if major != "1" {
            return err(format!("unsupported spec_version {spec_version:?}"));
        }
        let version = u64_field(signed, "version")?;
        if version == 0 {
            return err("version 0 (versions start at 1)");
        }
        let exp = str_field(signed, "expires")?;
        let expires = OffsetDateTime::parse(&exp, &Rfc3339)
            .map_err(|e| MetadataError(format!("expires {exp:?}: {e}")))?;
        Ok(Self {
            role_type,
            spec_version,
            version,
            expires,
        })
    }

    /// `expires` in RFC 3339.
    pub fn expires_rfc3339(&self) -> String {
        self.expires.format(&Rfc3339).unwrap_or_default()
    }
}

/// A key listed in root or in delegations, and whether it is usable.
#[derive(Debug, Clone)]
pub struct ListedKey {
    /// The keyid it is listed under.
    pub keyid: String,
    /// The parsed key, or why it cannot verify anything.
    pub key: Result<TufKey, KeyError>,
}

impl ListedKey {
    /// Whether the listed keyid differs from sha256 of the canonical key
    /// (allowed by TAP 12, reported as a finding).
    pub fn keyid_mismatch(&self) -> Option<&str> {
        match &self.key {
            Ok(k) if k.computed_keyid != self.keyid => Some(&k.computed_keyid),
            _ => None,
        }
    }
}

/// The keys and threshold of one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleKeys {
    /// Distinct keyids of the role.
    pub keyids: Vec<String>,
    /// How many distinct keys must sign, at least 1.
    pub threshold: u32,
}

impl RoleKeys {
    fn parse(
        v: &Value,
        what: &str,
        keys: &BTreeMap<String, ListedKey>,
    ) -> Result<Self, MetadataError> {
        let ids = v
            .get("keyids")
            .and_then(Value::as_array)
            .ok_or_else(|| MetadataError(format!("{what}: missing keyids")))?;
        let mut keyids = Vec::with_capacity(ids.len());
        let mut seen = BTreeSet::new();
        for id in ids {
            let id = id
                .as_str()
                .ok_or_else(|| MetadataError(format!("{what}: keyid is not a string")))?;
            if !seen.insert(id) {
                return err(format!("{what}: keyid {id} listed twice"));
            }
            if !keys.contains_key(id) {
                return err(format!("{what}: keyid {id} is not among the listed keys"));
            }
            keyids.push(id.to_owned());
        }
        let threshold =
            u64_field(v, "threshold").map_err(|e| MetadataError(format!("{what}: {e}")))?;
        if threshold == 0 || threshold > u64::from(u32::MAX) {
            return err(format!("{what}: threshold {threshold} out of range"));
        }
        Ok(Self {
            keyids,
            threshold: threshold as u32,
        })
    }
}

fn parse_keys(v: Option<&Value>, what: &str) -> Result<BTreeMap<String, ListedKey>, MetadataError> {
    let Some(obj) = v.and_then(Value::as_object) else {
        return err(format!("{what}: missing \"keys\" object"));
    };
    Ok(obj
        .iter()
        .map(|(keyid, key)| {
            (
                keyid.clone(),
                ListedKey {
                    keyid: keyid.clone(),
                    key: TufKey::from_json(key),
                },
            )
        })
        .collect())
}

/// `root.json` (TUF specification §4.3).
#[derive(Debug, Clone)]
pub struct Root {
    /// Common fields.
    pub common: Common,
    /// `consistent_snapshot`.
    pub consistent_snapshot: bool,
    /// `keys`.
    pub keys: BTreeMap<String, ListedKey>,
    /// `roles`: root, timestamp, snapshot, targets.
    pub roles: BTreeMap<String, RoleKeys>,
}

/// The four top-level role names.
pub const TOP_LEVEL_ROLES: [&str; 4] = ["root", "timestamp", "snapshot", "targets"];

impl Root {
    /// Parses `signed` of a root file.
    pub fn parse(signed: &Value) -> Result<Self, MetadataError> {
        let common = Common::parse(signed, "root")?;
        let consistent_snapshot = match signed.get("consistent_snapshot") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return err("consistent_snapshot is not a boolean"),
        };
        let keys = parse_keys(signed.get("keys"), "root")?;
        let roles_obj = object_field(signed, "root", "roles")?;
        let mut roles = BTreeMap::new();
        for name in TOP_LEVEL_ROLES {
            let r = roles_obj
                .get(name)
                .ok_or_else(|| MetadataError(format!("root: role {name:?} missing")))?;
            roles.insert(name.to_owned(), RoleKeys::parse(r, name, &keys)?);
        }
        if let Some(other) = roles_obj
            .keys()
            .find(|k| !TOP_LEVEL_ROLES.contains(&k.as_str()))
        {
            return err(format!("root: unknown role {other:?}"));
        }
        Ok(Self {
            common,
            consistent_snapshot,
            keys,
            roles,
        })
    }

    /// The keys and threshold of top-level role `name`.
    pub fn role(&self, name: &str) -> &RoleKeys {
        // Root::parse guarantees all four top-level roles are present.
        &self.roles[name]
    }
}

/// Hashes of a file, by algorithm name (lowercase hex).
pub type Hashes = BTreeMap<String, String>;

/// A `METAFILES` entry: what snapshot/timestamp say about another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaFile {
    /// The version the file must carry.
    pub version: u64,
    /// Its exact length, when given.
    pub length: Option<u64>,
    /// Its hashes, when given.
    pub hashes: Option<Hashes>,
}

impl MetaFile {
    fn parse(v: &Value, what: &str) -> Result<Self, MetadataError> {
        let version = u64_field(v, "version").map_err(|e| MetadataError(format!("{what}: {e}")))?;
        let length = match v.get("length") {
            None => None,
            Some(l) => Some(
                l.as_u64()
                    .ok_or_else(|| MetadataError(format!("{what}: length is not an integer")))?,
            ),
        };
        let hashes = match v.get("hashes") {
            None => None,
            Some(h) => Some(parse_hashes(h, what)?),
        };
        Ok(Self {
            version,
            length,
            hashes,
        })
    }
}

fn parse_hashes(v: &Value, what: &str) -> Result<Hashes, MetadataError> {
    let obj = v
        .as_object()
        .ok_or_else(|| MetadataError(format!("{what}: hashes is not an object")))?;
    if obj.is_empty() {
        return err(format!("{what}: hashes is empty"));
    }
    obj.iter()
        .map(|(alg, h)| {
            let h = h
                .as_str()
                .ok_or_else(|| MetadataError(format!("{what}: hash {alg} is not a string")))?;
            Ok((alg.clone(), h.to_ascii_lowercase()))
        })
        .collect()
}

/// `timestamp.json` (TUF specification §4.6).
#[derive(Debug, Clone)]
pub struct Timestamp {
    /// Common fields.
    pub common: Common,
    /// `meta["snapshot.json"]`.
    pub snapshot: MetaFile,
}

impl Timestamp {
    /// Parses `signed` of a timestamp file.
    pub fn parse(signed: &Value) -> Result<Self, MetadataError> {
        let common = Common::parse(signed, "timestamp")?;
        let meta = object_field(signed, "timestamp", "meta")?;
        if meta.len() != 1 {
            return err("timestamp: meta must list exactly snapshot.json");
        }
        let snap = meta
            .get("snapshot.json")
            .ok_or_else(|| MetadataError("timestamp: meta lacks snapshot.json".into()))?;
        Ok(Self {
            common,
            snapshot: MetaFile::parse(snap, "timestamp meta snapshot.json")?,
        })
    }
}

/// `snapshot.json` (TUF specification §4.4).
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Common fields.
    pub common: Common,
    /// `meta`: `"<role>.json"` to what the file must be.
    pub meta: BTreeMap<String, MetaFile>,
}

impl Snapshot {
    /// Parses `signed` of a snapshot file.
    pub fn parse(signed: &Value) -> Result<Self, MetadataError> {
        let common = Common::parse(signed, "snapshot")?;
        let meta = object_field(signed, "snapshot", "meta")?
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    MetaFile::parse(v, &format!("snapshot meta {k}"))?,
                ))
            })
            .collect::<Result<BTreeMap<_, _>, MetadataError>>()?;
        if !meta.contains_key("targets.json") {
            return err("snapshot: meta lacks targets.json");
        }
        Ok(Self { common, meta })
    }
}

/// A target file entry (TUF specification §4.5, `TARGETS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFile {
    /// Exact length in bytes.
    pub length: u64,
    /// Hashes by algorithm.
    pub hashes: Hashes,
    /// `custom`, if any.
    pub custom: Option<Value>,
}

/// Which target paths a delegation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSpec {
    /// `paths`: shell-style patterns, `*` not crossing `/`.
    Patterns(Vec<String>),
    /// `path_hash_prefixes`: hex prefixes of sha256(target path).
    HashPrefixes(Vec<String>),
}

/// A delegated role (TUF specification §4.5, `DELEGATIONS`).
#[derive(Debug, Clone)]
pub struct DelegatedRole {
    /// `name`.
    pub name: String,
    /// Keys and threshold.
    pub keys: RoleKeys,
    /// `terminating`.
    pub terminating: bool,
    /// Covered paths.
    pub paths: PathSpec,
}

/// `delegations` of a targets role.
#[derive(Debug, Clone)]
pub struct Delegations {
    /// Keys the delegated roles use.
    pub keys: BTreeMap<String, ListedKey>,
    /// Roles in priority order.
    pub roles: Vec<DelegatedRole>,
}

/// `targets.json` or a delegated targets role (TUF specification §4.5).
#[derive(Debug, Clone)]
pub struct Targets {
    /// Common fields.
    pub common: Common,
    /// `targets`: target path to file entry.
    pub targets: BTreeMap<String, TargetFile>,
    /// `delegations`, if any.
    pub delegations: Option<Delegations>,
}

impl Targets {
    /// Parses `signed` of a targets file.
    pub fn parse(signed: &Value) -> Result<Self, MetadataError> {
        let common = Common::parse(signed, "targets")?;
        let tobj = object_field(signed, "targets", "targets")?;
        let mut targets = BTreeMap::new();
        for (path, t) in tobj {
            let what = format!("target {path:?}");
            let length = t
                .get("length")
                .and_then(Value::as_u64)
                .ok_or_else(|| MetadataError(format!("{what}: missing length")))?;
            let hashes = parse_hashes(
                t.get("hashes")
                    .ok_or_else(|| MetadataError(format!("{what}: missing hashes")))?,
                &what,
            )?;
            targets.insert(
                path.clone(),
                TargetFile {
                    length,
                    hashes,
                    custom: t.get("custom").cloned(),
                },
            );
        }
        let delegations = match signed.get("delegations") {
            None | Some(Value::Null) => None,
            Some(d) => Some(parse_delegations(d)?),
        };
        Ok(Self {
            common,
            targets,
            delegations,
        })
    }
}

fn parse_delegations(d: &Value) -> Result<Delegations, MetadataError> {
    if d.get("succinct_roles").is_some() {
        // TAP 15 is not implemented: refuse rather than skip its targets.
        return err("delegations: succinct_roles (TAP 15) is not supported");
    }
    let keys = parse_keys(d.get("keys"), "delegations")?;
    let list = d
        .get("roles")
        .and_then(Value::as_array)
        .ok_or_else(|| MetadataError("delegations: missing \"roles\"".into()))?;
    let mut roles = Vec::with_capacity(list.len());
    let mut names = BTreeSet::new();
    for r in list {
        let name = str_field(r, "name")?;
        if !names.insert(name.clone()) {
            return err(format!("delegations: role {name:?} listed twice"));
        }
        if TOP_LEVEL_ROLES.contains(&name.as_str()) {
            return err(format!(
                "delegations: role named {name:?} (a top-level role)"
            ));
        }
        let what = format!("delegated role {name:?}");
        let keys_ = RoleKeys::parse(r, &what, &keys)?;
        let terminating = match r.get("terminating") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return err(format!("{what}: terminating is not a boolean")),
        };
        let strings = |field: &str| -> Result<Option<Vec<String>>, MetadataError> {
            match r.get(field) {
                None => Ok(None),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|p| {
                        p.as_str().map(str::to_owned).ok_or_else(|| {
                            MetadataError(format!("{what}: {field} entry is not a string"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Some(_) => err(format!("{what}: {field} is not an array")),
            }
        };
        let paths = match (strings("paths")?, strings("path_hash_prefixes")?) {
            (Some(_), Some(_)) => {
                return err(format!("{what}: both paths and path_hash_prefixes"));
            }
            (Some(p), None) => PathSpec::Patterns(p),
            (None, Some(h)) => PathSpec::HashPrefixes(h),
            (None, None) => return err(format!("{what}: neither paths nor path_hash_prefixes")),
        };
        roles.push(DelegatedRole {
            name,
            keys: keys_,
            terminating,
            paths,
        });
    }
    Ok(Delegations { keys, roles })
}

/// The object `name` of the `role` metadata's `signed`; its absence (or
/// another type) is malformed metadata naming both.
fn object_field<'a>(
    signed: &'a Value,
    role: &str,
    name: &str,
) -> Result<&'a serde_json::Map<String, Value>, MetadataError> {
    signed
        .get(name)
        .and_then(Value::as_object)
        .ok_or_else(|| MetadataError(format!("{role}: missing {name:?}")))
}

fn str_field(v: &Value, name: &str) -> Result<String, MetadataError> {
    v.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| MetadataError(format!("missing string field {name:?}")))
}

fn u64_field(v: &Value, name: &str) -> Result<u64, MetadataError> {
    v.get(name)
        .and_then(Value::as_u64)
        .ok_or_else(|| MetadataError(format!("missing non-negative integer field {name:?}")))
}

/// Whether `target` is covered by a delegation's `paths` pattern: the path
/// and pattern must have the same number of `/`-separated parts and each
/// part matches shell-style (`*`, `?`, `[seq]`, `[!seq]`), so `*` never
/// crosses a directory separator (TUF specification §4.5, "PATHPATTERN").
pub fn matches_pattern(pattern: &str, target: &str) -> bool {
    let pp: Vec<&str> = pattern.split('/').collect();
    let tp: Vec<&str> = target.split('/').collect();
    pp.len() == tp.len()
        && pp.iter().zip(&tp).all(|(p, t)| {
            fnmatch(
                &p.chars().collect::<Vec<_>>(),
                &t.chars().collect::<Vec<_>>(),
            )
        })
}

/// Iterative wildcard matching with single backtracking point: linear in
/// practice and never exponential on hostile patterns.
fn fnmatch(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class_match(&p[pi..], t[ti]) {
                        if matched {
                            pi += next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class at the start of `p` (`[...]`); returns
/// (matched, length of the class) or None if the class is unterminated
/// (then `[` is a literal, as in Python's fnmatch).
fn class_match(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = p.get(1).is_some_and(|&x| x == '!');
    if negate {
        i += 1;
    }
    let start = i;
    let mut matched = false;
    while i < p.len() {
        if p[i] == ']' && i > start {
            return Some((matched != negate, i + 1));
        }
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// Whether a delegation covers `target`.
pub fn delegation_covers(spec: &PathSpec, target: &str) -> bool {
    match spec {
        PathSpec::Patterns(ps) => ps.iter().any(|p| matches_pattern(p, target)),
        PathSpec::HashPrefixes(hs) => {
            use sha2::{Digest, Sha256};
            let h = hex::encode(Sha256::digest(target.as_bytes()));
            hs.iter().any(|p| h.starts_with(&p.to_ascii_lowercase()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn object(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<Map<_, _>>(),
        )
    }

    #[test]
    fn patterns_do_not_cross_directories() {
        assert!(matches_pattern("bases/*", "bases/daily.bin"));
        assert!(!matches_pattern("bases/*", "bases/x/daily.bin"));
        assert!(!matches_pattern("*", "a/b"));
        assert!(matches_pattern("*/*.tgz", "a/b.tgz"));
        assert!(matches_pattern("file-?.[a-c]x", "file-1.bx"));
        assert!(!matches_pattern("file-?.[!a-c]x", "file-1.bx"));
        assert!(matches_pattern("a[b", "a[b"));
        assert!(!matches_pattern("bases/*", "client/x"));
    }

    #[test]
    fn hash_prefixes_cover_by_sha256() {
        // sha256("a") = ca978112...
        let spec = PathSpec::HashPrefixes(vec!["ca97".into()]);
        assert!(delegation_covers(&spec, "a"));
        assert!(!delegation_covers(&spec, "b"));
    }

    #[test]
    fn envelope_rejects_unknown_members_and_bad_hex() {
        assert!(Envelope::parse(br#"{"signed":{},"signatures":[],"x":1}"#).is_err());
        assert!(
            Envelope::parse(br#"{"signed":{},"signatures":[{"keyid":"a","sig":"zz"}]}"#).is_err()
        );
        let e = Envelope::parse(
            br#"{"signed":{"_type":"root"},"signatures":[{"keyid":"a","sig":""}]}"#,
        )
        .unwrap();
        assert!(e.signatures[0].sig.is_empty());
        assert_eq!(e.role_type().unwrap(), "root");
    }

    #[test]
    fn common_fields_are_checked() {
        let good = object(vec![
            ("_type", "timestamp".into()),
            ("spec_version", "1.0.31".into()),
            ("version", 1.into()),
            ("expires", "2030-01-01T00:00:00Z".into()),
            ("meta", serde_json::json!({"snapshot.json": {"version": 1}})),
        ]);
        assert!(Timestamp::parse(&good).is_ok());
        let mut bad = good.clone();
        bad["spec_version"] = "2.0.0".into();
        assert!(Timestamp::parse(&bad).is_err());
        let mut bad = good.clone();
        bad["version"] = 0.into();
        assert!(Timestamp::parse(&bad).is_err());
        let mut bad = good;
        bad["_type"] = "snapshot".into();
        assert!(Timestamp::parse(&bad).is_err());
    }
}
