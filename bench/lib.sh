# bench/lib.sh — helpers shared by the bench scripts; `source` it.
#
#   median              reads numbers, one a line, prints their median (the
#                       lower middle one for an even count)
#   measure OK CMD...   times CMD: one untimed warm-up run (warm caches),
#                       then $RUNS runs. Prints "WALL RSS STATUS": median
#                       wall seconds (nanosecond resolution), median peak
#                       RSS KiB, the last exit status; the median CPU
#                       seconds (user + system, what a loaded machine
#                       distorts least) go to $BENCH_TMP/cpu.out. OK lists the exit
#                       statuses of a completed run (a verifier that finds a
#                       difference exits 1 and that is still a whole run).
#                       Any other status prints "FAILED" instead of figures
#                       and records the command, its status and the end of
#                       its stderr in $BENCH_TMP/failed: a time of a run
#                       that failed early would look like a fast one.
#   release_pair WORK   builds WORK/pair with make-release-pair.sh (the
#                       CPython stdlib without site-packages, or $SRC) unless
#                       WORK/pair/B.tar.gz is there already
#   bench_start         strict mode (set -euo pipefail), cd to the
#                       repository root, sets repo: a script's first call
#   build_glassbox      builds the release binary (unless NO_BUILD is set,
#                       to time the binary already built, or GLASSBOX_BIN
#                       names the binary to time); sets GB to its path
#   need_gnu_time       installs GNU time if /usr/bin/time is missing
#   need_tool TOOL HOW  exits 2 saying "TOOL missing (HOW)" when TOOL is not
#                       on PATH: a benchmark without its peer has no figure
#   corpora             prints the corpora folder: $GLASSBOX_CORPORA, else
#                       shared/corpora in the folder that holds the checkout
#                       (/work/shared beside /work/main) or its parent
#                       (/work/shared above a worktree /work/wt/NAME)
#   need_corpus REL     prints $(corpora)/REL; exits 2 naming it when missing
#   fetch_openssl_debs DIR  downloads (apt-get download pkg=version) the
#                       openssl and libssl3 .debs of versions $OLD and $NEW
#                       into DIR unless there, and cd's to DIR; exits 2
#                       when apt cannot fetch them
#   bench_failures      prints the recorded failures and returns 0 if there
#                       were any (callers then exit 1, with no summary)
#
# measure runs inside `$(...)` or `< <(...)` in the callers, where a shell
# variable would not reach the main shell: failures go to a file.
# Callers set RUNS; BENCH_TMP defaults to a fresh directory removed at exit.

if [ -z "${BENCH_TMP:-}" ]; then
  BENCH_TMP=$(mktemp -d)
  trap 'rm -rf "$BENCH_TMP"' EXIT
fi
: >"$BENCH_TMP/failed"

bench_start() {
  set -euo pipefail
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cd "$repo"
}

need_gnu_time() {
  [ -x /usr/bin/time ] || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time
  } >&2
}

need_tool() {
  command -v "$1" >/dev/null || { echo "$1 missing ($2)" >&2; exit 2; }
}

corpora() {
  local repo
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  if [ -n "${GLASSBOX_CORPORA:-}" ]; then
    echo "$GLASSBOX_CORPORA"
  elif [ -d "$repo/../shared/corpora" ]; then
    echo "$repo/../shared/corpora"
  else
    echo "$repo/../../shared/corpora"
  fi
}

need_corpus() {
  local p
  p="$(corpora)/$1"
  [ -e "$p" ] || { echo "missing $p (set GLASSBOX_CORPORA)" >&2; exit 2; }
  echo "$p"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() {
  local ok=$1; shift
  # One python process runs the warm-up and the timed runs: wall time
  # from perf_counter_ns (GNU time's %e has 10 ms resolution, which made
  # a 2 ms run 0.00 s and a 8 ms one 0.01 s), peak RSS from each child's
  # own rusage (wait4).
  python3 - "$ok" "${RUNS:?RUNS unset}" "$BENCH_TMP" "$@" <<'PY'
import os, subprocess, sys, time
ok, runs, tmp, cmd = sys.argv[1].split(), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
walls, rsss, cpus = [], [], []
for i in range(runs + 1):
    with open(os.path.join(tmp, "err.out"), "wb") as err:
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter_ns() - t0
    st = os.waitstatus_to_exitcode(status)
    if str(st) not in ok:
        tail = open(os.path.join(tmp, "err.out"), errors="replace").read().splitlines()[-5:]
        with open(os.path.join(tmp, "failed"), "a") as f:
            f.write("%s: exit %s (expected %s)\n" % (" ".join(cmd), st, " ".join(ok)))
            f.writelines("    %s\n" % l for l in tail)
        print("FAILED")
        sys.exit(0)
    if i:
        walls.append(wall)
        rsss.append(usage.ru_maxrss)
        cpus.append(usage.ru_utime + usage.ru_stime)
median = lambda xs: sorted(xs)[(len(xs) - 1) // 2]
with open(os.path.join(tmp, "cpu.out"), "w") as f:
    f.write("%.6f\n" % median(cpus))
print("%.9f %d %d" % (median(walls) / 1e9, median(rsss), st))
PY
}

bench_failures() {
  [ -s "$BENCH_TMP/failed" ] || return 1
  echo "FAILED (a failed run has no meaningful time):"
  cat "$BENCH_TMP/failed"
  return 0
}

# The pair script lives in the shared folder beside the repository
# (/work/shared when the repository is /work/main); PAIR_SCRIPT overrides.
release_pair() {
  local work=$1 repo stdlib
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local script=${PAIR_SCRIPT:-$repo/../shared/bench/make-release-pair.sh}
  [ -x "$script" ] || script=/work/shared/bench/make-release-pair.sh
  mkdir -p "$work"
  [ -f "$work/pair/B.tar.gz" ] && return 0
  if [ -z "${SRC:-}" ]; then
    stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
    SRC=$work/src
    rm -rf "$SRC" && mkdir -p "$SRC"
    tar -C "$stdlib" --exclude=./site-packages -cf - . | tar -C "$SRC" -xf -
  fi
  echo "== building the release pair from $SRC"
  rm -rf "$work/pair"
  "$script" "$work/pair" "$SRC" >/dev/null
}

build_glassbox() {
  local repo
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  GB=$repo/target/release/glassbox
  # GLASSBOX_BIN: time that binary (a release build made elsewhere).
  if [ -n "${GLASSBOX_BIN:-}" ]; then
    GB=$GLASSBOX_BIN
    return 0
  fi
  [ -n "${NO_BUILD:-}" ] && return 0
  echo "== building glassbox (release)"
  (cd "$repo" && cargo build --release --locked -q -p glassbox-cli)
}

fetch_openssl_debs() {
  mkdir -p "$1"
  cd "$1"
  local v p
  for v in "$OLD" "$NEW"; do
    for p in openssl libssl3; do
      ls "${p}_${v}_"*.deb >/dev/null 2>&1 || apt-get download -q "$p=$v" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
      ls "${p}_${v}_"*.deb >/dev/null 2>&1 || { echo "could not download $p=$v (apt sources?)" >&2; exit 2; }
    done
  done
}
