#!/usr/bin/env bash
# bench/check.sh — the customer's `glassbox check` of a 10,000-file installed
# tree against a 10^6-entry log served over loopback HTTP (issue 16):
# wall time (median of RUNS) and HTTP requests made.
#
# Usage: bench/check.sh [WORK_DIR]   (default: /tmp/glassbox-bench-check)
#   env FILES=<n>     files in the installed tree (default 10000)
#   env ENTRIES=<n>   log size (default 1000000)
#   env RUNS=<n>      timed runs (default 5; the median is reported)
#   env NO_BUILD=1    use target/release/glassbox as it is
#
# Setup (not timed): the tree; a log filled in bulk through core::tlog
# (core/benches/check_log.rs) with half the filler before the audit and
# half after, so the report's entry sits in the middle of the tree; a real
# `glassbox audit` of the tree signed with a fresh auditor key and appended
# to the log ([log]: the report and its 10,000 files).
# Timed: `glassbox check TREE --log http://... --state DIR`, every file
# checked, the report's inclusion proof computed from tiles fetched over
# HTTP and verified. Requests are counted by serving the same directory
# with python3's http.server (any static server serves the layout), whose
# request log has one line per GET.
. "$(dirname "$0")/lib.sh"
bench_start
WORK=${1:-/tmp/glassbox-bench-check}
FILES=${FILES:-10000}
ENTRIES=${ENTRIES:-1000000}
RUNS=${RUNS:-5}

build_glassbox

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"

echo "== installed tree: $FILES files"
python3 - "$FILES" <<'PY'
import hashlib, os, sys
n = int(sys.argv[1])
for i in range(n):
    d = f"tree/lib{i // 100:03d}"
    os.makedirs(d, exist_ok=True)
    seed = hashlib.sha256(str(i).encode()).digest()
    with open(f"{d}/file{i:05d}.dat", "wb") as f:
        f.write(seed * (16 + i % 64))
PY

echo "== log of $ENTRIES entries"
"$GB" keygen --out log.key >/dev/null
"$GB" keygen --out auditor.key >/dev/null
"$GB" log init log --origin bench.example/log --key log.key >/dev/null
audit_entries=$((FILES + 1))
fill=$(( (ENTRIES - audit_entries) / 2 ))
fill_log() {
  (cd "$repo" && CHECK_LOG_DIR="$WORK/log" CHECK_LOG_KEY="$WORK/log.key" CHECK_LOG_APPEND=$1 \
    cargo bench --locked -q -p glassbox-core --bench check_log 2>/dev/null | grep appended)
}
fill_log "$fill"
cat > case.toml <<CASE
vendor = "BenchVendor"
product = "Bench Product"
[auditor]
name = "Bench Auditor"
key = "auditor.key"
[release]
path = "tree"
version = "1.0"
[log]
dir = "log"
key = "log.key"
CASE
t0=$(date +%s.%N)
"$GB" --quiet audit case.toml --time 2026-12-07T00:00:00Z --output reports >/dev/null
echo "audit of the tree (signed, $audit_entries entries appended): $(echo "$(date +%s.%N) - $t0" | bc) s"
fill_log $((ENTRIES - audit_entries - fill))
"$GB" log checkpoint log | head -2 | tail -1 | sed 's/^/log size: /'

echo "== glassbox log serve"
"$GB" log serve log --listen 127.0.0.1:0 > serve.out 2>&1 &
serve_pid=$!
python3 -m http.server 0 --bind 127.0.0.1 --directory log > py.out 2> py.log &
py_pid=$!
trap 'kill $serve_pid $py_pid 2>/dev/null || true; rm -rf "$BENCH_TMP"' EXIT
for _ in $(seq 100); do
  grep -q 'http://' serve.out 2>/dev/null && grep -q 'port' py.out 2>/dev/null && break
  sleep 0.1
done
url=$(grep -o 'http://[0-9.:]*/' serve.out | head -1)
py_port=$(grep -o 'port [0-9]*' py.out | head -1 | cut -d' ' -f2)
echo "serving $url (and python3 http.server on port $py_port)"

check() {
  "$GB" check tree --log "$1" --vkey log/vkey --reports reports \
    --auditor-key auditor.key.pub --state "$2" --format json
}
check "$url" state0 > first.json || { echo "FAILED: check did not pass"; cat first.json; exit 1; }
python3 - <<'PY'
import json
r = json.load(open("first.json"))
s = r["summary"]
assert r["ok"] and s["covered"] == s["files"], s
print(f"check: {s['files']} files, {s['covered']} covered; log size {r['log']['size']}; "
      f"report entry {r['reports'][0]['log_index']}")
PY
times=()
for i in $(seq "$RUNS"); do
  t0=$(date +%s.%N)
  check "$url" state0 > /dev/null
  times+=("$(echo "$(date +%s.%N) - $t0" | bc)")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "check over loopback HTTP (glassbox log serve), median of $RUNS: $median s  (runs: ${times[*]})"

: > py.log
check "http://127.0.0.1:$py_port/" state1 > /dev/null
requests=$(grep -c '"GET ' py.log || true)
echo "HTTP requests made by one check (fresh state): $requests"
grep -o '"GET [^ ]*' py.log | sed 's/"GET /  GET /'
