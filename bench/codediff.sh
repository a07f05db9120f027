#!/usr/bin/env bash
# bench/codediff.sh — `glassbox diff` with the code diff (functions,
# disassembly, strings, capability surface; issue 15) against diffoscope on
# Debian's openssl and libssl3 update 3.0.20-1~deb12u2 -> 3.0.22-1~deb12u2,
# in the same run.
#
# Fetches the four .debs with `apt-get download pkg=version` into a
# temporary directory (nothing is committed), installs diffoscope
# (--no-install-recommends) when missing, then per package prints the median
# wall time and peak RSS (GNU time) of RUNS runs of each tool, the speed-up
# ratio, both text report sizes and the code diff's counts per executable
# (functions changed and only moved), and checks:
#   - glassbox is at least 20x faster and uses less peak memory;
#   - the glassbox text report is under 2 MB;
#   - the report lists changed functions with a disassembly diff.
#
# Usage: bench/codediff.sh [RUNS]      (default 3)
# Environment:
#   GLASSBOX_BIN  the binary to time (default: target/release/glassbox,
#                 built first; a debug build proves the script, its times
#                 are not the figure)
#   NO_BUILD      set: time target/release/glassbox as it is
#   PAIRS         packages to compare (default "libssl3 openssl")
#   KEEP          a directory to download into and keep (default: temporary)
# Exits 1 when a check fails, 2 when the .debs cannot be fetched.
source "$(dirname "$0")/lib.sh"
bench_start
RUNS=${1:-${RUNS:-3}}
if [ -z "${GLASSBOX_BIN:-}" ]; then
  build_glassbox
fi
GB=${GLASSBOX_BIN:-$GB}
case "$GB" in /*) ;; *) GB=$repo/$GB ;; esac
[ -x "$GB" ] || { echo "GLASSBOX_BIN=$GB: not an executable" >&2; exit 2; }
command -v diffoscope >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends diffoscope
} >&2
OLD=3.0.20-1~deb12u2
NEW=3.0.22-1~deb12u2
fetch_openssl_debs "${KEEP:-$BENCH_TMP/debs}"
out=$BENCH_TMP/reports
mkdir -p "$out"

fail=0
check() { # check WHAT ok|fail
  if [ "$2" = ok ]; then echo "ok    $1"; else echo "FAIL  $1"; fail=1; fi
}

for p in ${PAIRS:-libssl3 openssl}; do
  a=$(ls "${p}_${OLD}_"*.deb); b=$(ls "${p}_${NEW}_"*.deb)
  echo "== $p: $a -> $b (glassbox: $GB, $RUNS run(s))"
  "$GB" --color never diff "$a" "$b" >"$out/$p.glassbox.txt" || true
  diffoscope --text "$out/$p.diffoscope.txt" "$a" "$b" >/dev/null 2>&1 || true
  gsize=$(stat -c %s "$out/$p.glassbox.txt"); dsize=$(stat -c %s "$out/$p.diffoscope.txt")
  # Per executable: the path, then its functions line.
  "$GB" --color never diff --summary "$a" "$b" | grep -E '^(=== |functions:)' | sed 's/^/  /' || true
  read -r gw gr _ < <(measure "0 1" "$GB" --color never diff "$a" "$b")
  read -r dw dr _ < <(measure "0 1" diffoscope --text /dev/null "$a" "$b")
  [ "$gw" = FAILED ] || [ "$dw" = FAILED ] && continue
  ratio=$(awk -v d="$dw" -v g="$gw" 'BEGIN { printf "%.1f", d / (g > 0.01 ? g : 0.01) }')
  echo "  glassbox diff:  ${gw} s, ${gr} KiB peak, text report ${gsize} bytes"
  echo "  diffoscope:     ${dw} s, ${dr} KiB peak, text report ${dsize} bytes"
  echo "  speed-up:       ${ratio}x"
  awk -v r="$ratio" 'BEGIN { exit !(r >= 20) }' && check "$p: at least 20x faster" ok || check "$p: at least 20x faster (${ratio}x)" fail
  [ "$gr" -lt "$dr" ] && check "$p: less peak memory" ok || check "$p: less peak memory" fail
  [ "$gsize" -lt 2000000 ] && check "$p: text report under 2 MB" ok || check "$p: text report under 2 MB" fail
  grep -q '^~~~ ' "$out/$p.glassbox.txt" && check "$p: changed functions with a disassembly diff" ok \
    || check "$p: changed functions with a disassembly diff" fail
done
bench_failures && exit 1
exit "$fail"
