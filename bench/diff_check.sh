#!/usr/bin/env bash
# diff_check.sh — checks `glassbox diff` against the MANIFEST.txt written by
# ../shared/bench/make-release-pair.sh, for dir/dir, tar.gz/tar.gz and
# zip/zip: every edit, add, remove, rename, the directory move, the patched
# .so (with its unchanged build-id and byte offset), the .pyc header bumps
# and the chmod must be reported, and nothing else.
#
# Usage: bench/diff_check.sh PAIR_DIR [GLASSBOX_BIN]
#   PAIR_DIR      the OUT_DIR given to make-release-pair.sh (A/, B/, A.tar.gz, ...)
#   GLASSBOX_BIN  defaults to target/release/glassbox
set -euo pipefail
PAIR=${1:?usage: diff_check.sh PAIR_DIR [GLASSBOX_BIN]}
BIN=${2:-$(dirname "$0")/../target/release/glassbox}
[ -f "$PAIR/MANIFEST.txt" ] || { echo "no MANIFEST.txt in $PAIR" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for form in dir tar.gz zip; do
  if [ "$form" = dir ]; then a="$PAIR/A"; b="$PAIR/B"; else a="$PAIR/A.$form"; b="$PAIR/B.$form"; fi
  set +e
  "$BIN" diff "$a" "$b" --include-metadata --format json --output "$out/$form.json" -q
  rc=$?
  set -e
  if [ $rc -ne 1 ]; then echo "FAIL $form: exit code $rc (want 1: different)"; status=1; continue; fi
  if python3 - "$PAIR" "$out/$form.json" "$form" <<'PY'; then echo "ok   $form"; else status=1; fi
import json, os, sys
pair, path, form = sys.argv[1:]
d = json.load(open(path))
changes = d["changes"]
by = {}
for c in changes:
    by.setdefault(c["path"], []).append(c)
errors = []
expected = set()   # (class, path) pairs every reported change must be in

def want(cls, p, pred=None, why=""):
    cs = [c for c in by.get(p, []) if c["class"] == cls]
    if not cs:
        errors.append(f"missing {cls} {p} {why}")
    elif pred and not pred(cs[0]):
        errors.append(f"wrong detail for {cls} {p}: {why}: {json.dumps(cs[0])[:400]}")
    expected.add((cls, p))

for line in open(os.path.join(pair, "MANIFEST.txt")):
    f = line.split()
    if not f:
        continue
    kind, rel = f[0], f[1]
    p = "pkg/" + rel
    if kind == "EDITED":
        want("modified", p, lambda c: c["content"]["kind"] in ("text", "config") and c["content"]["text"]["lines_added"] >= 1, "text diff")
    elif kind == "BINPATCH":
        off = int(line.split("@")[1].rstrip(")\n"))
        want("modified", p, lambda c: c["content"]["kind"] == "executable"
             and c["content"]["executable"]["build_id_unchanged"]
             and any(r["offset"] <= off < r["offset"] + r["len"] for r in c["content"]["binary"]["ranges"])
             and c["content"]["binary"]["differing_bytes"] == 1, f"ELF patched at byte {off}, build-id unchanged")
        if not any(e["path"] == p and e["build_id_unchanged"] for e in d["summary"]["changed_executables"]):
            errors.append(f"{p} not in summary.changed_executables with build_id_unchanged")
    elif kind == "PYCMTIME":
        a, b = os.path.join(pair, "A", "pkg", rel), os.path.join(pair, "B", "pkg", rel)
        if open(a, "rb").read() != open(b, "rb").read():   # hash-based pycs are left alone by the generator
            want("modified", p, lambda c: c["content"]["binary"]["ranges"][0]["offset"] in range(8, 12), "pyc header bytes 8..12")
    elif kind == "REMOVED":
        want("removed", p)
    elif kind == "RENAMED":
        q = "pkg/" + f[3]
        want("renamed", q, lambda c: c["old_path"] == p, f"from {p}")
    elif kind == "DIRMOVE":
        q = "pkg/" + f[3]
        n = int(line.split("(")[1].split()[0])
        want("renamed", q, lambda c: c["old_path"] == p and c["new"]["kind"] == "dir" and c["members"] >= n, f"directory from {p}, {n} files")
    elif kind == "ADDED":
        want("added", p)
        if "(copy of" in line and not any(e["path"] == p and e["format"] == "elf" for e in d["summary"]["changed_executables"]):
            errors.append(f"added ELF {p} not in summary.changed_executables")
        if "(symlink)" in line and by.get(p, [{}])[0].get("new", {}).get("kind") != "symlink":
            errors.append(f"{p} should be an added symlink")
        expected.add(("added", os.path.dirname(p)))   # the new directory itself
    elif kind == "CHMOD+X":
        want("metadata", p, lambda c: any(m["field"] == "mode" and m["new"] == "0755" for m in c["metadata"]), "mode -> 0755")
    else:
        errors.append("unknown manifest line: " + line.strip())

for c in changes:
    if (c["class"], c["path"]) not in expected:
        errors.append(f"unexpected {c['class']} {c['path']}")
s = d["summary"]
print(f"  {form}: {s['added']} added, {s['removed']} removed, {s['modified']} modified, {s['renamed']} renamed, {s['metadata']} metadata; {len(errors)} problem(s)")
for e in errors[:40]:
    print("   ", e)
sys.exit(1 if errors else 0)
PY
done
exit $status
