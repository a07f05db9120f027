#!/usr/bin/env bash
# Benchmark: verify the Sigstore root-signing repository (tuf-conformance
# static data, in $GLASSBOX_CORPORA/tuf/real-world/sigstore-root-signing)
# with `glassbox tuf verify` and with python-tuf's ngclient (`pip install
# tuf`) doing the same offline refresh: root chain v5 -> v12, timestamp,
# snapshot, top-level targets, at the repository's faketime.
#
# v5 is the common starting point: python-tuf cannot read roots v1-v3
# (fractional-second `expires`) nor verify v4 -> v5 (v4 lists hex ECDSA
# keys that securesystemslib no longer loads). glassbox also walks the whole
# chain v1 -> v12, reported separately. 11.root.json lists one key under a
# non-sha256 keyid (TAP 12), so glassbox runs with --allow-keyid-mismatch
# (python-tuf never checks keyids).
#
# Reports the median of 5 wall-clock runs of each whole process, plus
# python-tuf's in-process refresh time (no interpreter start-up).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
repo=$(need_corpus tuf/real-world/sigstore-root-signing)
faketime=$(cat "$repo/faketime")
runs=5

cargo build --release -q -p glassbox-cli
gb=target/release/glassbox
python3 -c 'import tuf.ngclient' 2>/dev/null || { echo "python-tuf missing: pip install tuf" >&2; exit 2; }

now_ns() { date +%s%N; }

time_runs() { # command... -> prints per-run ms, one per line
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(now_ns)
    "$@" >/dev/null
    t1=$(now_ns)
    echo $(( (t1 - t0) / 1000 ))
  done
}

gb_v5=$(time_runs "$gb" tuf verify --root "$repo/metadata/5.root.json" --repo "$repo" \
  --at "$faketime" --allow-keyid-mismatch | median)
gb_v1=$(time_runs "$gb" tuf verify --root "$repo/metadata/1.root.json" --repo "$repo" \
  --at "$faketime" --allow-keyid-mismatch | median)
py_v5=$(time_runs python3 bench/tuf_ngclient.py "$repo" "$repo/metadata/5.root.json" "$faketime" | median)
py_inproc=$(for _ in $(seq "$runs"); do
  python3 bench/tuf_ngclient.py "$repo" "$repo/metadata/5.root.json" "$faketime" | awk '{print int($1*1000)}'
done | median)

awk -v g5="$gb_v5" -v g1="$gb_v1" -v p5="$py_v5" -v pi="$py_inproc" 'BEGIN {
  printf "sigstore root-signing, median of 5 (wall clock, whole process):\n"
  printf "  glassbox tuf verify  v5->v12 + ts/snapshot/targets  %8.2f ms\n", g5/1000
  printf "  python-tuf ngclient  v5->v12 + ts/snapshot/targets  %8.2f ms  (refresh alone in-process: %.2f ms)\n", p5/1000, pi/1000
  printf "  glassbox tuf verify  v1->v12 (12 root versions)     %8.2f ms  (python-tuf cannot: v1-v3 unreadable)\n", g1/1000
  printf "  ratio python-tuf / glassbox (process): %.1fx; python in-process refresh / glassbox process: %.1fx\n", p5/g5, pi/g5
}'
