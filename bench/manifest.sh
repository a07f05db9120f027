#!/usr/bin/env bash
# bench/manifest.sh — `glassbox manifest` against coreutils on the release
# pair built by ../shared/bench/make-release-pair.sh.
#
# Usage: bench/manifest.sh [WORK_DIR]   (default: /tmp/glassbox-bench)
#   env SRC=<tree>   source tree for the pair (default: the CPython stdlib
#                    without site-packages, ~250 MB)
#   env RUNS=<n>     runs per measurement (default 5; the median is reported)
#
# Compares, over directory A and A.tar.gz of the pair:
#   glassbox manifest A                 vs  find A -type f -print0 | xargs -0 sha256sum
#   glassbox manifest A.tar.gz          vs  tar -xOzf A.tar.gz | sha256sum
# and reports the median wall time and peak RSS (GNU time %M, KiB) of each,
# and the ratios. Caches are warm (one untimed run first): this measures
# hashing and decompression, not the disk.
. "$(dirname "$0")/lib.sh"
bench_start
WORK=${1:-/tmp/glassbox-bench}
RUNS=${RUNS:-5}
build_glassbox
release_pair "$WORK"
A=$WORK/pair/A
TGZ=$WORK/pair/A.tar.gz

# measure_line NAME CMD...: bench/lib.sh's measure of CMD (every run must
# exit 0); appends its line to $WORK/lines (this runs in a process
# substitution, whose output may interleave badly with the main shell's)
# and prints "WALL RSS". A failed run prints "0 0" and is recorded by
# measure: the summary is then replaced by the failures, never a time.
measure_line() {
  local name=$1 w r st; shift
  read -r w r st < <(measure 0 "$@")
  if [ "$w" = FAILED ]; then
    echo "0 0"
    return 0
  fi
  printf '%-34s wall %7.2f s   peak RSS %8d KiB\n' "$name" "$w" "$r" >>"$WORK/lines"
  echo "$w $r"
}

# The peers run in a shell so that GNU time sees the whole pipeline; RSS of
# a pipeline is the largest of its processes.
: >"$WORK/lines"
files=$(find "$A" -type f | wc -l)
bytes=$(du -sb "$A" | cut -f1)
echo "== directory A: $files files, $bytes bytes; $(nproc) cores; sha_ni: $(grep -q sha_ni /proc/cpuinfo && echo yes || echo no); load: $(cut -d' ' -f1-3 /proc/loadavg)"
read -r gw gr < <(measure_line "glassbox manifest A" "$GB" manifest --quiet "$A")
read -r gwn grn < <(measure_line "glassbox manifest --no-nested A" "$GB" manifest --quiet --no-nested "$A")
read -r sw sr < <(measure_line "find|xargs sha256sum" sh -c "find '$A' -type f -print0 | xargs -0 sha256sum")
read -r tw tr < <(measure_line "glassbox manifest A.tar.gz" "$GB" manifest --quiet "$TGZ")
read -r pw pr < <(measure_line "tar -xOzf | sha256sum" sh -c "tar -xOzf '$TGZ' | sha256sum")

if [ -s "$BENCH_TMP/failed" ]; then
  cat "$WORK/lines"
  echo
  bench_failures
  exit 1
fi

ratio() { python3 -c "import sys; a,b=map(float,sys.argv[1:]); print(f'{a/b:.2f}' if b else 'inf')" "$1" "$2"; }
cat "$WORK/lines"
echo
echo "summary (median of $RUNS; speedup = peer wall / glassbox wall)"
echo "  directory:  glassbox ${gw}s ${gr}KiB (no-nested ${gwn}s ${grn}KiB)  sha256sum ${sw}s ${sr}KiB  speedup $(ratio "$sw" "$gw")x (no-nested $(ratio "$sw" "$gwn")x)"
echo "  tar.gz:     glassbox ${tw}s ${tr}KiB  tar|sha256sum ${pw}s ${pr}KiB  speedup $(ratio "$pw" "$tw")x"
