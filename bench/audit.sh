#!/usr/bin/env bash
# bench/audit.sh — wall time and peak RSS of a whole `glassbox audit`:
# the demo case, and a case over the ~200 MB release pair built by
# ../shared/bench/make-release-pair.sh (B as the release under audit).
#
# Usage: bench/audit.sh [WORK_DIR]   (default: /tmp/glassbox-bench)
#   env SRC=<tree>   source tree for the pair (default: the CPython stdlib
#                    without site-packages)
#   env RUNS=<n>     runs per measurement (default 3; the median is reported)
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
measure_line() {
  local name=$1 w r st; shift
  read -r w r st < <(measure "$@")
  if [ "$w" = FAILED ]; then
    printf '%-28s FAILED (below)\n' "$name"
  else
    printf '%-28s wall %7.2f s   peak RSS %8d KiB   exit %s\n' "$name" "$w" "$r" "$st"
  fi
}

T=2026-07-01T12:00:00Z
files=$(find "$WORK/pair/B/pkg" -type f | wc -l)
bytes=$(du -sb "$WORK/pair/B/pkg" | cut -f1)
echo "== $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); pair B: $files files, $bytes bytes"
measure_line "audit demo" "0" "$GB" audit --quiet testdata/demo/audit.toml --time $T --force --output "$WORK/demo-reports"
measure_line "audit pair (B)" "0 1" "$GB" audit --quiet "$WORK/pair/audit.toml" --time $T --force
if bench_failures; then exit 1; fi
