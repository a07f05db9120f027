#!/usr/bin/env bash
# Benchmark: `glassbox verify` over the demo release 1.1.0 (all files, all
# signatures: per-file CMS with RFC 3161 tokens, signed SHA256SUMS, raw
# Ed25519, DSSE), as a directory and as .tar.gz. Prints the median wall
# time of RUNS runs (default 21), and `openssl cms -verify` over the same
# CMS signatures as the peer figure.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-21}
cargo build --release -q -p glassbox-cli
bin=target/release/glassbox
demo=testdata/demo
policy=$demo/policy.toml

. bench/lib.sh
time_ms() { # command... -> wall ms of one run
  local s e
  s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
}
bench() { # label command...
  local label=$1; shift
  local m
  m=$(for _ in $(seq "$runs"); do time_ms "$@"; done | median)
  printf '%-52s median %5d ms over %d runs\n' "$label" "$m" "$runs"
}

rel=$demo/releases/exampleav-1.1.0
# Timed runs ignore the exit code; make sure once that they verify.
"$bin" verify "$rel" --policy "$policy" >/dev/null
"$bin" verify "$rel.tar.gz" --policy "$policy" >/dev/null
bench "glassbox verify (directory)" "$bin" verify "$rel" --policy "$policy"
bench "glassbox verify (.tar.gz)" "$bin" verify "$rel.tar.gz" --policy "$policy"
bench "glassbox verify --previous 1.0.0 (directories)" "$bin" verify "$rel" --policy "$policy" \
  --previous $demo/releases/exampleav-1.0.0

# Peer: openssl cms -verify of the same CMS signatures (chain + content, no
# timestamp check, no coverage), one process per signature as a shell would.
peer() {
  for p7s in "$rel"/engine/avengine.p7s "$rel"/engine/libscan.so.p7s "$rel"/SHA256SUMS.p7s; do
    openssl cms -verify -binary -inform DER -in "$p7s" -content "${p7s%.p7s}" \
      -CAfile $demo/pki/root.pem -certfile $demo/pki/intermediate.pem -purpose any -out /dev/null
  done
}
peer >/dev/null 2>&1
bench "peer: openssl cms -verify x3 (CMS only)" peer
