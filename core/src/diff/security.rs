//! Security-relevant metadata, reported by default whatever
//! `--include-metadata` says: the permission bits that decide who may run
//! a file and with whose privileges (execute, setuid, setgid, sticky,
//! world-writable, POSIX.1-2017 XBD `<sys/stat.h>`), special files (device
//! nodes, FIFOs) and link targets. A new setuid file must never be hidden
//! behind an option; owners and times stay opt-in (every rebuild changes
//! them).

use serde::Serialize;

use crate::release::EntryKind;

use super::{ChangeClass, EntryChange, EntryState};

/// `S_ISUID`.
const SETUID: u32 = 0o4000;
/// `S_ISGID`.
const SETGID: u32 = 0o2000;
/// `S_ISVTX`.
const STICKY: u32 = 0o1000;
/// `S_IXUSR | S_IXGRP | S_IXOTH`.
const EXECUTE: u32 = 0o111;
/// `S_IWOTH`.
const WORLD_WRITABLE: u32 = 0o002;

/// The mode bits whose change is always reported.
pub const SECURITY_MODE_BITS: u32 = SETUID | SETGID | STICKY | EXECUTE | WORLD_WRITABLE;

/// What security-relevant property changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityFlag {
    /// Runs with the file owner's privileges (`S_ISUID`).
    Setuid,
    /// Runs with the file group's privileges (`S_ISGID`).
    Setgid,
    /// Executable by someone (any of `S_IXUSR`, `S_IXGRP`, `S_IXOTH`).
    Executable,
    /// Writable by every user (`S_IWOTH`).
    WorldWritable,
    /// Sticky (`S_ISVTX`).
    Sticky,
    /// A device node, FIFO or socket: never read, always worth a look.
    SpecialFile,
    /// Where a symlink or hard link points.
    LinkTarget,
}

impl SecurityFlag {
    /// The name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityFlag::Setuid => "setuid",
            SecurityFlag::Setgid => "setgid",
            SecurityFlag::Executable => "executable",
            SecurityFlag::WorldWritable => "world-writable",
            SecurityFlag::Sticky => "sticky",
            SecurityFlag::SpecialFile => "special file",
            SecurityFlag::LinkTarget => "link target",
        }
    }
}

/// Whether the property appeared, went, or (link targets) changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Present in the new release only (also: on an added entry).
    Gained,
    /// Present in the old release only.
    Lost,
    /// Present on both sides, with another value.
    Changed,
}

impl Direction {
    /// The word used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Gained => "gained",
            Direction::Lost => "lost",
            Direction::Changed => "changed",
        }
    }
}

/// One security-relevant change of one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SecurityChange {
    /// What.
    pub flag: SecurityFlag,
    /// Which way.
    pub direction: Direction,
}

const BITS: &[(u32, SecurityFlag)] = &[
    (SETUID, SecurityFlag::Setuid),
    (SETGID, SecurityFlag::Setgid),
    (EXECUTE, SecurityFlag::Executable),
    (WORLD_WRITABLE, SecurityFlag::WorldWritable),
    (STICKY, SecurityFlag::Sticky),
];

/// The security-relevant changes of one classified change. An added entry
/// reports what it brings that a plain file would not (setuid, setgid,
/// world-writable, sticky, special file; not the execute bit, which every
/// new program has and the changed-executables list covers). An entry on
/// both sides reports each bit gained or lost, a special file appearing
/// through a type change, and a changed link target. A side whose mode is
/// not recorded (zip entries without Unix attributes) is not compared.
pub fn of(c: &EntryChange) -> Vec<SecurityChange> {
    let mut out = Vec::new();
    let mut push = |flag, direction| out.push(SecurityChange { flag, direction });
    match (&c.old, &c.new) {
        (None, Some(n)) if c.class == ChangeClass::Added => {
            for &(bit, flag) in BITS {
                if flag != SecurityFlag::Executable && n.mode.is_some_and(|m| m & bit != 0) {
                    push(flag, Direction::Gained);
                }
            }
            if n.kind == EntryKind::Other {
                push(SecurityFlag::SpecialFile, Direction::Gained);
            }
        }
        (Some(o), Some(n)) => {
            if let (Some(om), Some(nm)) = (o.mode, n.mode) {
                for &(bit, flag) in BITS {
                    match (om & bit != 0, nm & bit != 0) {
                        (false, true) => push(flag, Direction::Gained),
                        (true, false) => push(flag, Direction::Lost),
                        _ => {}
                    }
                }
            }
            if n.kind == EntryKind::Other && o.kind != EntryKind::Other {
                push(SecurityFlag::SpecialFile, Direction::Gained);
            }
            if is_link(o) && is_link(n) && o.link_target != n.link_target {
                push(SecurityFlag::LinkTarget, Direction::Changed);
            }
        }
        _ => {}
    }
    out
}

fn is_link(s: &EntryState) -> bool {
    matches!(s.kind, EntryKind::Symlink | EntryKind::Hardlink)
}
