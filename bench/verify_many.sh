#!/usr/bin/env bash
# Benchmark: `glassbox verify` on a release of many tiny files, against
# `glassbox manifest` (which only reads and hashes) on the same archive.
# Coverage used to be quadratic in unsigned files (100,000 one-byte files
# in a 1.1 MB tar.gz: 36 s); it must now cost about what reading does.
#
# Usage: bench/verify_many.sh [WORK_DIR]   (default: /tmp/glassbox-verify-many)
#   env N=<files>   one-byte files in the release (default 100000)
#   env RUNS=<n>    runs per measurement (default 5; the median is reported)
#
# Two policies, both pinning the demo's release key (no signature in the
# release matches it; it is there because a policy must trust something):
#   allowed  — allow_unsigned = ["data/**"]: every file unsigned but
#              allowed, verdict VERIFIED (exit 0)
#   required — the default require_signed = ["**"]: every file is a
#              coverage failure, verdict FAILED (exit 1) — the case that
#              was quadratic, since each failure was checked against all
#              failures before it
. "$(dirname "$0")/lib.sh"
bench_start
WORK=${1:-/tmp/glassbox-verify-many}
N=${N:-100000}
RUNS=${RUNS:-5}

build_glassbox

mkdir -p "$WORK"
rel=$WORK/many-$N.tar.gz
if [ ! -f "$rel" ]; then
  echo "== writing $N one-byte files to $rel"
  python3 - "$rel" "$N" <<'EOF'
import io, sys, tarfile
out, n = sys.argv[1], int(sys.argv[2])
with tarfile.open(out, "w:gz") as t:
    for i in range(n):
        ti = tarfile.TarInfo(f"data/{i % 1000:03d}/f{i:07d}")
        ti.size = 1
        ti.mtime = 0
        t.addfile(ti, io.BytesIO(b"x"))
EOF
fi
key=$repo/testdata/demo/keys/exampleav-release-ed25519.pub.pem
printf '[[keys]]\nname = "vendor"\npath = "%s"\n\n[coverage]\nallow_unsigned = ["data/**"]\n' \
  "$key" >"$WORK/allowed.toml"
printf '[[keys]]\nname = "vendor"\npath = "%s"\n' "$key" >"$WORK/required.toml"

need_gnu_time
one_run() { # command... -> "wall_ms cpu_ms" of one run (cpu = user + sys)
  /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" "$@" >/dev/null 2>&1 || true
  # GNU time writes "Command exited with non-zero status N" first for exit 1.
  tail -n 1 "$WORK/time.txt" | awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}'
}
bench() { # label command...
  local label=$1; shift
  local runs wall cpu
  runs=$(for _ in $(seq "$RUNS"); do one_run "$@"; done)
  wall=$(echo "$runs" | cut -d' ' -f1 | median)
  cpu=$(echo "$runs" | cut -d' ' -f2 | median)
  # CPU time is the steadier figure on a shared machine: wall time also
  # counts waiting for a core.
  printf '%-48s median wall %6d ms, cpu %6d ms over %d runs\n' "$label" "$wall" "$cpu" "$RUNS"
}

# Timed runs ignore the exit code; check once that each says what it should.
"$GB" verify "$rel" --policy "$WORK/allowed.toml" >/dev/null \
  || { echo "verify with allowed.toml should exit 0" >&2; exit 1; }
set +e
"$GB" verify "$rel" --policy "$WORK/required.toml" >/dev/null; rc=$?
set -e
[ "$rc" = 1 ] || { echo "verify with required.toml should exit 1, got $rc" >&2; exit 1; }

echo "== $(du -h "$rel" | cut -f1) tar.gz, $N files"
bench "glassbox manifest" "$GB" manifest "$rel"
bench "glassbox verify (allowed unsigned)" "$GB" verify "$rel" --policy "$WORK/allowed.toml"
bench "glassbox verify (all required: $N failures)" "$GB" verify "$rel" --policy "$WORK/required.toml"
bench "glassbox verify --format json (allowed)" "$GB" verify "$rel" --policy "$WORK/allowed.toml" --format json
