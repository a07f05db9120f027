#!/usr/bin/env bash
# Benchmark: Debian's real bookworm-updates apt chain (the corpus in
# $GLASSBOX_CORPORA/vendor-channels/apt-bookworm-updates): keyring →
# InRelease (two RSA-4096 signatures) → main/binary-amd64/Packages → two
# .debs, verified by
#   glassbox apt verify --release InRelease --index Packages DEB DEB
# and by the pipeline an auditor writes without glassbox, doing the same
# checks: `gpgv --keyring … InRelease`, then `sha256sum` of Packages
# looked up in the signed SHA256 list, and `sha256sum` of each .deb looked
# up in Packages. (The pipeline checks less: no sizes, no Date or
# Valid-Until, no stanza fields, and it reads the whole InRelease as the
# list rather than only the signed text.)
#
# Prints the median wall time of RUNS runs (default 21) of each, from the
# same run of this script, and their ratio; exits 1 when glassbox is slower.
source "$(dirname "$0")/lib.sh"
bench_start
RUNS=${RUNS:-21}
inrelease=$(need_corpus vendor-channels/apt-bookworm-updates/InRelease)
c=$(dirname "$inrelease")
need_tool gpgv "apt-get install gpgv"
build_glassbox
# GLASSBOX_BIN times another build (with NO_BUILD=1), e.g. target/debug/glassbox.
GB=${GLASSBOX_BIN:-$GB}

debs=("$c"/ldb-tools_*.deb "$c"/libwbclient0_*.deb)
policy=$BENCH_TMP/policy.toml
printf '[[openpgp]]\nname = "debian"\nkeyring = "%s"\n' "$c/debian-archive-keyring.gpg" >"$policy"

# The pipeline as a script of its own, as an auditor would keep it.
cat >"$BENCH_TMP/pipeline.sh" <<'SH'
#!/usr/bin/env bash
# pipeline.sh CORPUS DEB...: gpgv, then the digests looked up.
set -eu
c=$1; shift
gpgv --keyring "$c/debian-archive-keyring.gpg" "$c/InRelease" 2>/dev/null
sum=$(sha256sum <"$c/Packages" | cut -d' ' -f1)
grep -qE "^ $sum +[0-9]+ main/binary-amd64/Packages\$" "$c/InRelease"
for deb in "$@"; do
  sum=$(sha256sum <"$deb" | cut -d' ' -f1)
  grep -qx "SHA256: $sum" "$c/Packages"
done
SH
chmod +x "$BENCH_TMP/pipeline.sh"
glassbox_chain=("$GB" apt verify --policy "$policy" --release "$c/InRelease" --index "$c/Packages"
  --at 2026-12-08T00:00:00Z "${debs[@]}")
pipeline=("$BENCH_TMP/pipeline.sh" "$c" "${debs[@]}")

# Both must verify before they are timed.
"${glassbox_chain[@]}" >/dev/null || { echo "glassbox does not verify the chain" >&2; exit 1; }
"${pipeline[@]}" || { echo "the gpgv + sha256sum pipeline does not verify" >&2; exit 1; }

# Wall milliseconds (ns clock: both take tens of ms, below GNU time's
# resolution), one untimed warm-up each, runs interleaved so both see the
# same machine load.
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000)); }
"${glassbox_chain[@]}" >/dev/null; "${pipeline[@]}" >/dev/null
: >"$BENCH_TMP/gb"; : >"$BENCH_TMP/peer"
for _ in $(seq "$RUNS"); do
  ms "${glassbox_chain[@]}" >>"$BENCH_TMP/gb"
  ms "${pipeline[@]}" >>"$BENCH_TMP/peer"
done
gb=$(median <"$BENCH_TMP/gb")
peer=$(median <"$BENCH_TMP/peer")
ratio=$(awk -v a="$gb" -v b="$peer" 'BEGIN { printf "%.2f", a / b }')
printf '%-52s median %7.1f ms (%d runs)\n' \
  "glassbox apt verify (InRelease, Packages, 2 .debs)" "$(awk -v u="$gb" 'BEGIN{print u/1000}')" "$RUNS"
printf '%-52s median %7.1f ms (%d runs)\n' \
  "gpgv + sha256sum, the same checks" "$(awk -v u="$peer" 'BEGIN{print u/1000}')" "$RUNS"
printf 'ratio glassbox / pipeline: %s\n' "$ratio"
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.0) }' || { echo "glassbox is slower than the pipeline" >&2; exit 1; }
