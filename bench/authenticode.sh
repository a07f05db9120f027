#!/usr/bin/env bash
# Benchmark: Authenticode verification of every EFI image of the corpus's
# two Debian packages (vendor-channels/authenticode: fwupdx64 and the four
# GRUB images, 15.7 MB), glassbox against `osslsigncode verify` on the same
# files with the same trust anchor. One process per image, as an auditor
# runs either tool; the time of a tool is the sum over the five images of
# each image's median over RUNS runs (after one warm-up). Prints both and
# the ratio glassbox / osslsigncode (target: at most 1).
#
# Usage: bench/authenticode.sh   (GLASSBOX_CORPORA defaults to ../shared/corpora;
#                                  RUNS=5; NO_BUILD=1 times the binary already built)
source "$(dirname "$0")/lib.sh"
bench_start
RUNS=${RUNS:-5}
corpora="${GLASSBOX_CORPORA:-$repo/../shared/corpora}"
dir="$corpora/vendor-channels/authenticode"
[ -d "$dir" ] || { echo "missing $dir" >&2; exit 2; }
command -v osslsigncode >/dev/null || { echo "osslsigncode is needed (apt-get install osslsigncode)" >&2; exit 2; }
build_glassbox

work=$BENCH_TMP/efi
mkdir -p "$work"
for deb in "$dir"/*.deb; do
  (cd "$work" && ar x "$deb" data.tar.xz && tar xf data.tar.xz --wildcards '*.efi.signed' && rm data.tar.xz)
done
mapfile -t images < <(find "$work" -name '*.efi.signed' | sort)
[ "${#images[@]}" = 5 ] || { echo "expected 5 EFI images, found ${#images[@]}" >&2; exit 1; }
printf '[x509]\nroots = ["%s"]\n' "$dir/debian-uefi-ca.pem" >"$BENCH_TMP/policy.toml"

total_gb=0 total_ossl=0
printf '%-36s %10s %10s %10s\n' image bytes glassbox osslsigncode
for img in "${images[@]}"; do
  read -r gb_wall _ _ < <(measure 0 "$GB" verify "$img" --policy "$BENCH_TMP/policy.toml")
  read -r os_wall _ _ < <(measure 0 osslsigncode verify -CAfile "$dir/debian-uefi-ca.pem" -in "$img")
  printf '%-36s %10s %10s %10s\n' "$(basename "$img")" "$(stat -c %s "$img")" "$gb_wall" "$os_wall"
  total_gb=$(echo "$total_gb + $gb_wall" | bc -l)
  total_ossl=$(echo "$total_ossl + $os_wall" | bc -l)
done
bench_failures && exit 1
printf 'total (sum of medians, %s runs each): glassbox %.2f s, osslsigncode %.2f s, ratio %.2f\n' \
  "$RUNS" "$total_gb" "$total_ossl" "$(echo "$total_gb / $total_ossl" | bc -l)"
