#!/usr/bin/env bash
# diff.sh — wall time and peak RSS of `glassbox diff` against diffoscope on
# the release pair made by ../shared/bench/make-release-pair.sh (A vs B), in
# three forms: dir/dir, tar.gz/tar.gz, zip/zip. Text output for both tools,
# median of RUNS runs each, measured with /usr/bin/time.
#
# Usage: bench/diff.sh PAIR_DIR [RUNS]
#   PAIR_DIR   the OUT_DIR given to make-release-pair.sh
#   RUNS       runs per tool and form (default 3)
# Environment:
#   GLASSBOX            binary to run (default target/release/glassbox; build it
#                       first with `cargo build --release -p glassbox-cli`)
#   DIFFOSCOPE_TIMEOUT  seconds before one diffoscope run is stopped (default 3600)
#   FORMS               forms to run (default "dir tar.gz zip")
set -euo pipefail
PAIR=${1:?usage: diff.sh PAIR_DIR [RUNS]}
RUNS=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bench/lib.sh"
GLASSBOX=${GLASSBOX:-$here/target/release/glassbox}
TIMEOUT=${DIFFOSCOPE_TIMEOUT:-3600}
FORMS=${FORMS:-dir tar.gz zip}
need_tool diffoscope "apt-get install --no-install-recommends diffoscope"
[ -x /usr/bin/time ] || { echo "/usr/bin/time not installed (apt-get install time)" >&2; exit 2; }
[ -x "$GLASSBOX" ] || { echo "no $GLASSBOX: cargo build --release -p glassbox-cli" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out" "$BENCH_TMP"' EXIT

# run NAME CMD... : one timed run; appends "seconds kib" to $out/NAME
run() {
  local name=$1; shift
  # Exit 1 means "different" for both tools; anything else is a failure.
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" > "$out/stdout" 2> "$out/stderr" || {
    rc=$?
    if [ $rc -ne 1 ]; then
      echo "$name: exit $rc" >&2; tail -3 "$out/stderr" >&2
      echo "nan nan" >> "$out/$name"; return
    fi
  }
  tail -1 "$out/time" >> "$out/$name"
}


printf "%-8s | %12s %10s | %12s %10s | %8s %8s\n" form "glassbox s" "MiB" "diffoscope s" "MiB" speedup "RSS x"
for form in $FORMS; do
  if [ "$form" = dir ]; then a="$PAIR/A"; b="$PAIR/B"; else a="$PAIR/A.$form"; b="$PAIR/B.$form"; fi
  for i in $(seq "$RUNS"); do
    run "g-$form" "$GLASSBOX" diff -q "$a" "$b"
    run "d-$form" timeout "$TIMEOUT" diffoscope --text - "$a" "$b"
  done
  gt=$(cut -d' ' -f1 "$out/g-$form" | median); gm=$(cut -d' ' -f2 "$out/g-$form" | median)
  dt=$(cut -d' ' -f1 "$out/d-$form" | median); dm=$(cut -d' ' -f2 "$out/d-$form" | median)
  awk -v f="$form" -v gt="$gt" -v gm="$gm" -v dt="$dt" -v dm="$dm" 'BEGIN {
    printf "%-8s | %12.2f %10.0f | %12.2f %10.0f | %7.1fx %7.2fx\n", f, gt, gm/1024, dt, dm/1024, dt/gt, gm/dm }'
done
echo "(median of $RUNS runs; speedup = diffoscope time / glassbox time; RSS x = glassbox peak RSS / diffoscope's)"
