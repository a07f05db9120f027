#!/usr/bin/env bash
# debian-openssl.sh — glassbox on a real vendor update: Debian's openssl and
# libssl3 security update 3.0.20-1~deb12u2 -> 3.0.22-1~deb12u2 (issue 14).
# Fetches the four .debs with `apt-get download pkg=version` into a
# temporary directory (nothing is committed) and checks:
#   - `glassbox manifest` of each .deb exits 0 (its absolute symlinks are
#     information, not findings);
#   - `glassbox diff` of the libssl3 pair raises no build-id warning (its
#     engines differ only in .gnu_debuglink/.gnu_debugaltlink);
#   - `glassbox audit` of each pair (the new .deb with `[previous]`, no
#     `[verify]`, no policy, an auditor key made by `glassbox keygen`)
#     exits 0 with `PASS — signatures, reproducibility, TUF repository not
#     checked`, and its report.json says `not-run` (not configured) for
#     verify, repro and tuf and `ok` for inputs and diff: an audit that
#     checked no signature must say so, and a normal security update must
#     raise no high or critical finding;
# then prints what the diffs report (counts, changed executables, groups of
# identical changes) and the wall time and peak RSS of `glassbox diff`, and
# of diffoscope when it is installed (median of RUNS runs).
#
# Usage: bench/debian-openssl.sh [RUNS]      (default 3)
# Environment:
#   GLASSBOX   binary to run (default target/release/glassbox, else
#              target/debug/glassbox)
#   KEEP       a directory to download into and keep (default: a temporary
#              one, removed at exit)
# Needs apt sources that still carry both versions (bookworm and
# bookworm-security). Exits 1 when a check fails.
set -euo pipefail
RUNS=${1:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bench/lib.sh"
GLASSBOX=${GLASSBOX:-$here/target/release/glassbox}
[ -x "$GLASSBOX" ] || GLASSBOX=$here/target/debug/glassbox
[ -x "$GLASSBOX" ] || { echo "no glassbox binary: cargo build --release -p glassbox-cli" >&2; exit 2; }
OLD=3.0.20-1~deb12u2
NEW=3.0.22-1~deb12u2
fetch_openssl_debs "${KEEP:-$BENCH_TMP/debs}"

fail=0
check() { # check WHAT STATUS
  if [ "$2" = ok ]; then echo "ok    $1"; else echo "FAIL  $1"; fail=1; fi
}

echo "== manifest"
for deb in *.deb; do
  "$GLASSBOX" --color never manifest "$deb" > manifest.out && st=0 || st=$?
  tail -n +1 manifest.out | sed -n '/^$/,$p' | sed '/^$/d;s/^/  /'
  [ "$st" = 0 ] && check "manifest $deb exits 0" ok || check "manifest $deb exits 0 (got $st)" fail
done

for p in libssl3 openssl; do
  a=$(ls "${p}_${OLD}_"*.deb); b=$(ls "${p}_${NEW}_"*.deb)
  echo "== diff $a $b"
  "$GLASSBOX" --color never diff "$a" "$b" > "$p.diff" && st=0 || st=$?
  [ "$st" = 1 ] || check "diff $p exits 1 (different)" fail
  # The summary: everything up to the first per-change line.
  sed -n '3,/^$/p' "$p.diff" | sed 's/^/  /'
  grep -E '^[ADMmRT]  same change in' "$p.diff" | sed 's/^/  /' | head -n 20 || true
  "$GLASSBOX" diff --format json "$a" "$b" > "$p.json" || true
  python3 - "$p.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
groups = d.get("groups", [])
print(f"  json: {len(d['changes'])} changes, {len(groups)} groups"
      + (f", largest {max(len(g['paths']) for g in groups)} files" if groups else ""))
PY
  if grep -q 'modified after build-id was computed' "$p.diff"; then
    check "diff $p: no build-id warning" fail
  else
    check "diff $p: no build-id warning" ok
  fi
done

echo "== audit (previous, no [verify], no policy)"
"$GLASSBOX" keygen --out "$BENCH_TMP/auditor.key" >/dev/null
for p in libssl3 openssl; do
  a=$(ls "${p}_${OLD}_"*.deb); b=$(ls "${p}_${NEW}_"*.deb)
  # Each package its own output: openssl and libssl3 come from one source
  # at one version, and the report directory is <vendor>-<version>-<date>.
  printf '%s\n' 'vendor = "Debian"' "product = \"$p\"" "output = \"$BENCH_TMP/audit-$p\"" \
    '[auditor]' 'name = "bench"' "key = \"$BENCH_TMP/auditor.key\"" \
    '[release]' "path = \"$PWD/$b\"" "version = \"$NEW\"" \
    '[previous]' "path = \"$PWD/$a\"" "version = \"$OLD\"" >"$BENCH_TMP/$p.toml"
  t0=$(date +%s.%N)
  "$GLASSBOX" --color never audit -q "$BENCH_TMP/$p.toml" >"$p.audit" 2>&1 && st=0 || st=$?
  t1=$(date +%s.%N)
  sed -n '1,6p' "$p.audit" | sed 's/^/  /'
  echo "  wall $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s (one run)"
  [ "$st" = 0 ] && check "audit $p exits 0" ok || check "audit $p exits 0 (got $st)" fail
  if head -n 1 "$p.audit" | grep -qF "Debian $p $NEW: PASS — signatures, reproducibility, TUF repository not checked ("; then
    check "audit $p: PASS naming the checks not run" ok
  else
    check "audit $p: PASS naming the checks not run" fail
  fi
  report=$(ls "$BENCH_TMP/audit-$p"/*/report.json 2>/dev/null | head -n 1)
  if [ -n "$report" ] && python3 - "$report" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
steps = {s["check"]: s for s in r["steps"]}
want = {"inputs": "ok", "diff": "ok", "verify": "not-run", "repro": "not-run", "tuf": "not-run"}
bad = [f"{c}: {steps.get(c, {}).get('status')} (want {w})" for c, w in want.items()
       if steps.get(c, {}).get("status") != w]
bad += [f"{c}: why {steps[c].get('why')} (want not-configured)"
        for c in ("verify", "repro", "tuf") if steps.get(c, {}).get("why") != "not-configured"]
s = r["summary"]
if s["verdict"] != "pass" or s["critical"] or s["high"]:
    bad.append(f"verdict {s['verdict']}, {s['critical']} critical, {s['high']} high")
for b in bad:
    print("  report.json:", b)
sys.exit(1 if bad else 0)
PY
  then
    check "audit $p: report.json steps ok/not-run, verdict pass, no high finding" ok
  else
    check "audit $p: report.json steps ok/not-run, verdict pass, no high finding" fail
  fi
done

echo "== time (median of $RUNS, wall s / peak RSS KiB)"
for p in libssl3 openssl; do
  a=$(ls "${p}_${OLD}_"*.deb); b=$(ls "${p}_${NEW}_"*.deb)
  read -r w r _ < <(measure "0 1" "$GLASSBOX" --color never diff "$a" "$b")
  echo "  glassbox diff   $p: ${w} s  ${r} KiB"
  if command -v diffoscope >/dev/null; then
    read -r w r _ < <(measure "0 1" diffoscope --text - "$a" "$b")
    echo "  diffoscope      $p: ${w} s  ${r} KiB"
  else
    echo "  diffoscope      not installed"
  fi
done
bench_failures && exit 1
exit "$fail"
