#!/usr/bin/env bash
# bench/audit.sh — wall time and peak RSS of a whole `glassbox audit`:
# the demo case, and a case over the ~200 MB release pair built by
# ../shared/bench/make-release-pair.sh (B as the release under audit).
#
# Usage: bench/audit.sh [WORK_DIR]   (default: /tmp/glassbox-bench)
#   env SRC=<tree>   source tree for the pair (default: the CPython stdlib
#                    without site-packages)
#   env RUNS=<n>     runs per measurement (default 3; the median is reported)
#   env GB_BEFORE=<glassbox binary>  also time this binary (e.g. a release
#                    build of an older main) in the same run, right before
#                    this tree's, and print both medians and the ratio
#   env READS=1      also count, with strace, how many times each binary
#                    opens one file of each release of the pair (A, B, R):
#                    how often the audit reads each release
#
# Each run writes a fresh report directory (--force) at a fixed --time.
# Caches are warm (one untimed run first).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
WORK=${1:-/tmp/glassbox-bench}
RUNS=${RUNS:-3}
. "$repo/bench/lib.sh"
build_glassbox
GB_BEFORE=${GB_BEFORE:-}
if [ -n "$GB_BEFORE" ] && [ ! -x "$GB_BEFORE" ]; then
  echo "GB_BEFORE=$GB_BEFORE is not an executable" >&2
  exit 2
fi
release_pair "$WORK"

# The pair's case file: B under audit, A as the previous release (diff),
# R (a rebuild of A, so repro finds B's changes) as the rebuild, signed
# with the demo's TEST-ONLY key. The pair carries no signatures: no verify.
cat >"$WORK/pair/audit.toml" <<TOML
vendor = "BenchVendor"
product = "CPython stdlib pair"
output = "reports"

[auditor]
name = "bench"
key = "$repo/testdata/demo/auditor/TEST-ONLY-auditor.key"

[release]
path = "B/pkg"
version = "1.1"

[previous]
path = "A/pkg"
version = "1.0"

[rebuild]
path = "R/pkg"
TOML

# measure_line NAME OK CMD...: one line of median figures over $RUNS runs
# (bench/lib.sh's measure). OK lists the exit statuses of a completed run
# (an audit exits 1 on a FAIL verdict, which is still a whole audit). Any
# other status, in the warm-up or a timed run, prints FAILED instead of a
# time, and the script exits 1 at the end: a time of a run that failed
# early would look like a fast audit.
# CMD's first word may be the placeholder GLASSBOX: it is this tree's
# binary, and with GB_BEFORE set the line is measured for GB_BEFORE first,
# then for this tree's, followed by the ratio of the medians.
measure_line() {
  local name=$1 ok=$2 w r st b label; shift 2
  local bins=("$GB") labels=("") walls=()
  if [ -n "$GB_BEFORE" ]; then bins=("$GB_BEFORE" "$GB"); labels=("before" "after"); fi
  for b in "${!bins[@]}"; do
    local cmd=("$@")
    [ "${cmd[0]}" = GLASSBOX ] && cmd[0]=${bins[b]}
    label=${labels[b]}
    read -r w r st < <(measure "$ok" "${cmd[@]}")
    if [ "$w" = FAILED ]; then
      printf '%-28s %-6s FAILED (below)\n' "$name" "$label"
      return 0
    fi
    printf '%-28s %-6s wall %7.2f s   peak RSS %8d KiB   exit %s\n' "$name" "$label" "$w" "$r" "$st"
    walls+=("$w")
  done
  if [ -n "$GB_BEFORE" ]; then
    printf '%-28s ratio  before/after wall %.2fx (median of %s runs each)\n' "$name" \
      "$(awk -v a="${walls[0]}" -v b="${walls[1]}" 'BEGIN { print (b > 0 ? a / b : 0) }')" "$RUNS"
  fi
}

# reads NAME CMD...: with READS=1, how many times each binary opens one
# regular file of each release of the pair (strace -f -e trace=openat): a
# reader listing or hashing a release opens each of its files once.
reads() {
  [ "${READS:-0}" = 1 ] || return 0
  command -v strace >/dev/null || { echo "READS=1 needs strace" >&2; exit 1; }
  local name=$1 b rel f line; shift
  local bins=("$GB") labels=("")
  if [ -n "$GB_BEFORE" ]; then bins=("$GB_BEFORE" "$GB"); labels=("before" "after"); fi
  for b in "${!bins[@]}"; do
    local cmd=("$@")
    [ "${cmd[0]}" = GLASSBOX ] && cmd[0]=${bins[b]}
    strace -f -qq -e trace=openat -o "$BENCH_TMP/strace.out" "${cmd[@]}" >/dev/null 2>&1 || true
    line=""
    for rel in A B R; do
      f=$(cd "$WORK/pair/$rel/pkg" && find . -type f -name '*.py' | LC_ALL=C sort | sed -n 1p)
      f=${f#./}
      line+="$rel: $(grep -c -F "/$rel/pkg/$f\"" "$BENCH_TMP/strace.out") opens   "
    done
    printf '%-28s %-6s %s\n' "$name" "${labels[b]}" "$line"
  done
}

T=2026-07-01T12:00:00Z
files=$(find "$WORK/pair/B/pkg" -type f | wc -l)
bytes=$(du -sb "$WORK/pair/B/pkg" | cut -f1)
echo "== $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); pair B: $files files, $bytes bytes"
measure_line "audit demo" "0" GLASSBOX audit --quiet testdata/demo/audit.toml --time $T --force --output "$WORK/demo-reports"
measure_line "audit pair (B)" "0 1" GLASSBOX audit --quiet "$WORK/pair/audit.toml" --time $T --force
reads "reads per file (pair)" GLASSBOX audit --quiet "$WORK/pair/audit.toml" --time $T --force
if bench_failures; then exit 1; fi
