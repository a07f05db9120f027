#!/usr/bin/env bash
# Benchmark: the 70 sigstore-conformance bundle-verify cases through
# `glassbox sigstore verify-bundle` (one process per bundle, path mode, as
# the conformance suite runs a client), against sigstore-verify 0.15's own
# example verifier (`examples/verify_bundle.rs`, built from the registry
# sources into a scratch dir). Reports correctness, total wall time and the
# per-bundle median of each. The example has no --key option, so the
# comparison uses the cases without key.pub; glassbox's total covers all 70.
#
# Usage: bench/sigstore.sh            (GLASSBOX_CORPORA defaults to the shared corpora: see `corpora` in lib.sh)
#        PEER=/path/to/verify_bundle bench/sigstore.sh   (reuse a built peer)
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
. bench/lib.sh
cases_dir=$(need_corpus sigstore-conformance/bundle-verify)
prod_root=$(need_corpus sigstore-conformance/production-trusted-root.json)

id_default='https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
iss_default='https://token.actions.githubusercontent.com'

cargo build --release --quiet -p glassbox-cli
glassbox="$here/target/release/glassbox"

if [ -z "${PEER:-}" ]; then
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/sigstore-verify-0.15.* | sort -V | tail -1)
  scratch="${TMPDIR:-/tmp}/glassbox-bench-sigstore-verify"
  if [ ! -x "$scratch/target/release/examples/verify_bundle" ]; then
    rm -rf "$scratch" && cp -r "$src" "$scratch"
    (cd "$scratch" && cargo build --release --quiet --example verify_bundle)
  fi
  PEER="$scratch/target/release/examples/verify_bundle"
fi

now_ns() { date +%s%N; }
# lib.sh's scratch folder, removed at exit.
out=$BENCH_TMP

for case in "$cases_dir"/*/; do
  case=${case%/}; name=$(basename "$case")
  artifact="$case/artifact"; [ -f "$artifact" ] || artifact="$cases_dir/a.txt"
  root="$case/trusted_root.json"; [ -f "$root" ] || root="$prod_root"
  expect=0; case "$name" in *_fail) expect=1 ;; esac
  id=$(cat "$case/identity" 2>/dev/null || echo "$id_default")
  iss=$(cat "$case/issuer" 2>/dev/null || echo "$iss_default")
  if [ -f "$case/key.pub" ]; then
    signer=(--key "$case/key.pub"); keyed=1
  else
    signer=(--certificate-identity "$id" --certificate-oidc-issuer "$iss"); keyed=0
  fi

  t0=$(now_ns)
  rc=0; "$glassbox" sigstore verify-bundle --bundle "$case/bundle.sigstore.json" "${signer[@]}" \
      --trusted-root "$root" "$artifact" >/dev/null 2>&1 || rc=$?
  t1=$(now_ns)
  ok=$([ $(( rc != 0 )) -eq $expect ] && echo 1 || echo 0)
  echo "$name $keyed $(( (t1 - t0) / 1000 )) $ok" >> "$out/glassbox"

  if [ $keyed -eq 0 ]; then
    t0=$(now_ns)
    rc=0; "$PEER" --certificate-identity "$id" --certificate-oidc-issuer "$iss" \
        --trusted-root "$root" "$artifact" "$case/bundle.sigstore.json" >/dev/null 2>&1 || rc=$?
    t1=$(now_ns)
    ok=$([ $(( rc != 0 )) -eq $expect ] && echo 1 || echo 0)
    echo "$name $keyed $(( (t1 - t0) / 1000 )) $ok" >> "$out/peer"
  fi
done

python3 - "$out" <<'PY'
import statistics, sys
d = sys.argv[1]
def load(n):
    return [(a, int(k), int(us), int(ok)) for a, k, us, ok in (l.split() for l in open(f"{d}/{n}"))]
g, p = load("glassbox"), load("peer")
def line(label, rows):
    us = [r[2] for r in rows]
    print(f"{label:40} n={len(rows):3} correct={sum(r[3] for r in rows):3}  "
          f"total={sum(us)/1e3:8.1f} ms  median={statistics.median(us)/1e3:6.2f} ms/bundle")
line("glassbox, all cases", g)
gk = [r for r in g if r[1] == 0]
line("glassbox, keyless cases", gk)
line("sigstore-verify example, keyless cases", p)
ratio = statistics.median(r[2] for r in gk) / statistics.median(r[2] for r in p)
print(f"median ratio glassbox/peer (keyless cases): {ratio:.2f}")
PY
