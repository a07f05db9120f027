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
PAIR_SCRIPT=${PAIR_SCRIPT:-$repo/../shared/bench/make-release-pair.sh}
[ -x "$PAIR_SCRIPT" ] || PAIR_SCRIPT=/work/shared/bench/make-release-pair.sh

[ -x /usr/bin/time ] || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time
}

echo "== building glassbox (release)"
cargo build --release --locked -q -p glassbox-cli
GB=$repo/target/release/glassbox

mkdir -p "$WORK"
if [ ! -f "$WORK/pair/B.tar.gz" ]; then
  if [ -z "${SRC:-}" ]; then
    stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
    SRC=$WORK/src
    rm -rf "$SRC" && mkdir -p "$SRC"
    tar -C "$stdlib" --exclude=./site-packages -cf - . | tar -C "$SRC" -xf -
  fi
  echo "== building the release pair from $SRC"
  rm -rf "$WORK/pair"
  "$PAIR_SCRIPT" "$WORK/pair" "$SRC" >/dev/null
fi

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

# measure NAME OK CMD...: median wall seconds and peak RSS KiB over $RUNS
# runs. OK lists the exit statuses of a completed run (an audit exits 1 on a
# FAIL verdict, which is still a whole audit). Any other status, in the
# warm-up or a timed run, prints FAILED with the status and the end of
# stderr instead of a time, and the script exits 1 at the end: a time of a
# run that failed early would look like a fast audit.
failed=0
measure() {
  local name=$1 ok=$2; shift 2
  local walls=() rsss=() st
  for i in $(seq 0 "$RUNS"); do
    if [ "$i" = 0 ]; then
      "$@" >/dev/null 2>"$WORK/err.out" && st=0 || st=$?
    else
      /usr/bin/time -q -f "%e %M" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/err.out" && st=0 || st=$?
    fi
    case " $ok " in
      *" $st "*) ;;
      *)
        printf '%-28s FAILED: exit %s (expected %s)\n' "$name" "$st" "$ok"
        tail -n 5 "$WORK/err.out" | sed 's/^/    /'
        failed=1
        return 0
        ;;
    esac
    [ "$i" = 0 ] && continue
    read -r w r < <(tail -n 1 "$WORK/time.out")
    walls+=("$w"); rsss+=("$r")
  done
  local mw mr
  mw=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
  mr=$(printf '%s\n' "${rsss[@]}" | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
  printf '%-28s wall %7.2f s   peak RSS %8d KiB   exit %s\n' "$name" "$mw" "$mr" "$st"
}

T=2026-07-01T12:00:00Z
files=$(find "$WORK/pair/B/pkg" -type f | wc -l)
bytes=$(du -sb "$WORK/pair/B/pkg" | cut -f1)
echo "== $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); pair B: $files files, $bytes bytes"
measure "audit demo" "0" "$GB" audit --quiet testdata/demo/audit.toml --time $T --force --output "$WORK/demo-reports"
measure "audit pair (B)" "0 1" "$GB" audit --quiet "$WORK/pair/audit.toml" --time $T --force
exit "$failed"
