#!/usr/bin/env bash
# bench/one_reading.sh — the link-resolution and name-check costs of the
# release reader on hostile archives (issue 18), built here at run time.
#
# Usage: bench/one_reading.sh [WORK_DIR]   (default: /tmp/glassbox-bench-one-reading)
#   env RUNS=<n>   runs per measurement (default 5; the median is reported)
#
# Archives:
#   huge-link.tar.gz     one symlink whose target has 100,000 components
#                        (refused: longer than PATH_MAX)
#   capped-link.tar.gz   one symlink with a 4095-byte target of 1,638
#                        `d/..` steps (accepted and resolved)
#   links.tar.gz         10,000 symlinks, each a distinct 4 KB target that
#                        walks `d/..` through existing directories
#   links.zip            the same 10,000 symlinks as zip members (refused at
#                        the first: zip symlinks are not read, see README)
# Each is timed with `glassbox manifest` (release build): median wall
# seconds of RUNS runs and the exit code. Target: < 1 s each.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
. bench/lib.sh
WORK=${1:-/tmp/glassbox-bench-one-reading}
RUNS=${RUNS:-5}
mkdir -p "$WORK"

echo "== building the archives in $WORK"
python3 - "$WORK" <<'EOF'
import io, stat, sys, tarfile, zipfile
work = sys.argv[1]

def add_link(tf, name, target):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.SYMTYPE
    ti.linkname = target
    ti.mtime = 1_700_000_000
    tf.addfile(ti)

def add_dir(tf, name):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    tf.addfile(ti)

def add_file(tf, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    tf.addfile(ti, io.BytesIO(data))

with tarfile.open(f"{work}/huge-link.tar.gz", "w:gz", format=tarfile.PAX_FORMAT) as tf:
    add_link(tf, "l", "/".join(["a"] * 100_000))

step = "d/../"
with tarfile.open(f"{work}/capped-link.tar.gz", "w:gz", format=tarfile.PAX_FORMAT) as tf:
    add_dir(tf, "d")
    add_file(tf, "f", b"f")
    add_link(tf, "l", step * ((4095 - 1) // len(step)) + "f")

def targets():
    for i in range(10_000):
        head = f"d/{i}/../../"
        body = step * ((4096 - len(head) - 1) // len(step))
        yield i, head + body + "f"

with tarfile.open(f"{work}/links.tar.gz", "w:gz", format=tarfile.PAX_FORMAT) as tf:
    add_dir(tf, "d")
    add_file(tf, "f", b"f")
    for i, t in targets():
        add_link(tf, f"links/l{i}", t)

with zipfile.ZipFile(f"{work}/links.zip", "w") as z:
    for i, t in targets():
        zi = zipfile.ZipInfo(f"links/l{i}")
        zi.create_system = 3
        zi.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(zi, t)
EOF
ls -l "$WORK"/*.tar.gz "$WORK"/*.zip | awk '{print "   ", $5, $9}'

echo "== building glassbox (release)"
cargo build --release -q -p glassbox-cli
GB=$repo/target/release/glassbox

printf '%-22s %10s %6s\n' archive "median s" exit
for a in huge-link.tar.gz capped-link.tar.gz links.tar.gz links.zip; do
  walls=()
  code=0
  for _ in $(seq "$RUNS"); do
    start=$(date +%s.%N)
    "$GB" manifest "$WORK/$a" >/dev/null 2>"$WORK/err" && code=0 || code=$?
    end=$(date +%s.%N)
    walls+=("$(awk "BEGIN{print $end - $start}")")
  done
  median=$(printf '%s\n' "${walls[@]}" | median)
  printf '%-22s %10.3f %6s  %s\n' "$a" "$median" "$code" "$(head -c 110 "$WORK/err")"
done
