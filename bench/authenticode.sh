#!/usr/bin/env bash
# Benchmark: Authenticode verification of every EFI image of the corpus's
# two Debian packages (vendor-channels/authenticode: fwupdx64 and the four
# GRUB images, 15.7 MB), glassbox against `osslsigncode verify` on the same
# files with the same trust anchor. Times are medians over RUNS runs (after
# one warm-up), wall clock at nanosecond resolution (bench/lib.sh measure).
#
# Two ways of running glassbox:
#   per file   one process per image, as osslsigncode is run; the time of a
#              tool is the sum over the five images of each one's median;
#   one run    `glassbox verify DIR` of the directory of the five images
#              (every PE file covered by its own signatures), against the
#              same per-file sum for osslsigncode (it takes one file).
# Prints both and the ratios glassbox / osslsigncode (target: at most 1),
# in wall time and in CPU time (user + system: on a machine shared with
# other work the wall time mostly measures waiting for a core).
#
# Usage: bench/authenticode.sh   (GLASSBOX_CORPORA defaults to ../shared/corpora;
#                                  RUNS=9; NO_BUILD=1 times the binary already
#                                  built, GLASSBOX_BIN=PATH another one)
source "$(dirname "$0")/lib.sh"
bench_start
RUNS=${RUNS:-9}
dir=$(need_corpus vendor-channels/authenticode)
need_tool osslsigncode "apt-get install osslsigncode"
build_glassbox

work=$BENCH_TMP/efi
mkdir -p "$work"
for deb in "$dir"/*.deb; do
  (cd "$work" && ar x "$deb" data.tar.xz && tar xf data.tar.xz --wildcards '*.efi.signed' && rm data.tar.xz)
done
mapfile -t images < <(find "$work" -name '*.efi.signed' | sort)
[ "${#images[@]}" = 5 ] || { echo "expected 5 EFI images, found ${#images[@]}" >&2; exit 1; }
all=$BENCH_TMP/all
mkdir -p "$all"
cp "${images[@]}" "$all/"
printf '[x509]\nroots = ["%s"]\n' "$dir/debian-uefi-ca.pem" >"$BENCH_TMP/policy.toml"

ms() { echo "$1 * 1000" | bc -l | xargs printf '%.2f'; }
# time NAME CMD...: measure CMD; sets NAME_wall and NAME_cpu (seconds).
time_as() {
  local name=$1 wall
  shift
  read -r wall _ _ < <(measure 0 "$@")
  printf -v "${name}_wall" %s "$wall"
  printf -v "${name}_cpu" %s "$(cat "$BENCH_TMP/cpu.out" 2>/dev/null || echo 0)"
}
tgw=0 tgc=0 tow=0 toc=0
printf '%-32s %9s %23s %23s\n' image bytes "glassbox ms wall/cpu" "osslsigncode ms wall/cpu"
for img in "${images[@]}"; do
  time_as gb "$GB" verify "$img" --policy "$BENCH_TMP/policy.toml"
  time_as os osslsigncode verify -CAfile "$dir/debian-uefi-ca.pem" -in "$img"
  { [ "$gb_wall" = FAILED ] || [ "$os_wall" = FAILED ]; } && continue
  printf '%-32s %9s %23s %23s\n' "$(basename "$img")" "$(stat -c %s "$img")" \
    "$(ms "$gb_wall") / $(ms "$gb_cpu")" "$(ms "$os_wall") / $(ms "$os_cpu")"
  tgw=$(echo "$tgw + $gb_wall" | bc -l); tgc=$(echo "$tgc + $gb_cpu" | bc -l)
  tow=$(echo "$tow + $os_wall" | bc -l); toc=$(echo "$toc + $os_cpu" | bc -l)
done
time_as dir "$GB" verify "$all" --policy "$BENCH_TMP/policy.toml"
bench_failures && exit 1
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
echo "per file (sum of medians, $RUNS runs each):"
echo "  wall: glassbox $(ms "$tgw") ms, osslsigncode $(ms "$tow") ms, ratio $(ratio "$tgw" "$tow")"
echo "  cpu:  glassbox $(ms "$tgc") ms, osslsigncode $(ms "$toc") ms, ratio $(ratio "$tgc" "$toc")"
echo "one run (glassbox verify DIR of the five; osslsigncode per file):"
echo "  wall: glassbox $(ms "$dir_wall") ms, osslsigncode $(ms "$tow") ms, ratio $(ratio "$dir_wall" "$tow")"
echo "  cpu:  glassbox $(ms "$dir_cpu") ms, osslsigncode $(ms "$toc") ms, ratio $(ratio "$dir_cpu" "$toc")"
