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
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
WORK=${1:-/tmp/glassbox-bench}
RUNS=${RUNS:-5}
PAIR_SCRIPT=${PAIR_SCRIPT:-$repo/../shared/bench/make-release-pair.sh}
[ -x "$PAIR_SCRIPT" ] || PAIR_SCRIPT=/work/shared/bench/make-release-pair.sh

[ -x /usr/bin/time ] || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time
}

echo "== building glassbox (release)"
cargo build --release --locked -q -p glassbox-cli
GB=$repo/target/release/glassbox

mkdir -p "$WORK"
if [ ! -f "$WORK/pair/A.tar.gz" ]; then
  if [ -z "${SRC:-}" ]; then
    stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
    SRC=$WORK/src
    rm -rf "$SRC" && mkdir -p "$SRC"
    tar -C "$stdlib" --exclude=./site-packages -cf - . | tar -C "$SRC" -xf -
  fi
  echo "== building the release pair from $SRC"
  "$PAIR_SCRIPT" "$WORK/pair" "$SRC" >/dev/null
fi
A=$WORK/pair/A
TGZ=$WORK/pair/A.tar.gz

# measure NAME CMD...: runs CMD $RUNS times (after one warm-up), prints the
# median wall seconds and median peak RSS KiB. Every run must exit 0: a
# failed run is written to $WORK/failed (this runs in a process
# substitution, so a variable would not reach the main shell) and the
# summary is replaced by the failures, never a time.
measure() {
  local name=$1; shift
  local walls=() rsss=() st
  for i in $(seq 0 "$RUNS"); do
    if [ "$i" = 0 ]; then
      "$@" >/dev/null 2>"$WORK/err.out" && st=0 || st=$?
    else
      /usr/bin/time -f "%e %M" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/err.out" && st=0 || st=$?
    fi
    if [ "$st" != 0 ]; then
      { printf '%s: exit %s\n' "$name" "$st"; tail -n 5 "$WORK/err.out" | sed 's/^/    /'; } >>"$WORK/failed"
      echo "0 0"
      return 0
    fi
    [ "$i" = 0 ] && continue
    read -r w r < <(tail -n 1 "$WORK/time.out")
    walls+=("$w"); rsss+=("$r")
  done
  local mw mr
  mw=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
  mr=$(printf '%s\n' "${rsss[@]}" | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
  # Collected in a file: this runs inside a process substitution, whose
  # stderr writes may interleave badly with the main shell's output.
  printf '%-34s wall %7.2f s   peak RSS %8d KiB\n' "$name" "$mw" "$mr" >>"$WORK/lines"
  echo "$mw $mr"
}

# The peers run in a shell so that GNU time sees the whole pipeline; RSS of
# a pipeline is the largest of its processes.
: >"$WORK/lines"
: >"$WORK/failed"
files=$(find "$A" -type f | wc -l)
bytes=$(du -sb "$A" | cut -f1)
echo "== directory A: $files files, $bytes bytes; $(nproc) cores; sha_ni: $(grep -q sha_ni /proc/cpuinfo && echo yes || echo no); load: $(cut -d' ' -f1-3 /proc/loadavg)"
read -r gw gr < <(measure "glassbox manifest A" "$GB" manifest --quiet "$A")
read -r gwn grn < <(measure "glassbox manifest --no-nested A" "$GB" manifest --quiet --no-nested "$A")
read -r sw sr < <(measure "find|xargs sha256sum" sh -c "find '$A' -type f -print0 | xargs -0 sha256sum")
read -r tw tr < <(measure "glassbox manifest A.tar.gz" "$GB" manifest --quiet "$TGZ")
read -r pw pr < <(measure "tar -xOzf | sha256sum" sh -c "tar -xOzf '$TGZ' | sha256sum")

if [ -s "$WORK/failed" ]; then
  cat "$WORK/lines"
  echo
  echo "FAILED (no summary; a failed run has no meaningful time):"
  cat "$WORK/failed"
  exit 1
fi

ratio() { python3 -c "import sys; a,b=map(float,sys.argv[1:]); print(f'{a/b:.2f}' if b else 'inf')" "$1" "$2"; }
cat "$WORK/lines"
echo
echo "summary (median of $RUNS; speedup = peer wall / glassbox wall)"
echo "  directory:  glassbox ${gw}s ${gr}KiB (no-nested ${gwn}s ${grn}KiB)  sha256sum ${sw}s ${sr}KiB  speedup $(ratio "$sw" "$gw")x (no-nested $(ratio "$sw" "$gwn")x)"
echo "  tar.gz:     glassbox ${tw}s ${tr}KiB  tar|sha256sum ${pw}s ${pr}KiB  speedup $(ratio "$pw" "$tw")x"
