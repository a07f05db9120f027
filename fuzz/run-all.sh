#!/usr/bin/env bash
# Runs every fuzz target, ONE AT A TIME, for SECONDS each (default 600),
# on the stable toolchain (cargo-fuzz 0.13 with `--sanitizer none`: no
# AddressSanitizer, which needs nightly; glassbox is `forbid(unsafe_code)`,
# so what ASan would add is mostly moot and panics, hangs and memory blow-ups
# are what we look for).
#
#   fuzz/run-all.sh [SECONDS] [TARGET...]   run (all targets by default)
#   fuzz/run-all.sh --table                  rewrite the table in
#                                            fuzz/README.md from the log
#
# libFuzzer runs in fork mode with a single worker (`-fork=1`, the
# one-worker equivalent of `-jobs=1` that also keeps going after a crash,
# `-ignore_crashes=1` etc.), under `nice -n 19`, with `-rss_limit_mb=2048`
# and `-timeout=10`. Each finished target appends one tab-separated row to
# fuzz/runs/results.tsv (target, seconds, execs, crashes, timeouts, OOMs,
# finished at, raw log, new artifacts); the table in fuzz/README.md is
# rewritten from it when all targets are done, or at any point with
# `--table` while a run is still going. Raw libFuzzer output:
# fuzz/runs/<target>-<date>.log. Findings: fuzz/artifacts/<target>/.
set -euo pipefail
FUZZ_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$FUZZ_DIR")
RUNS=$FUZZ_DIR/runs
RESULTS=$RUNS/results.tsv
README=$FUZZ_DIR/README.md
mkdir -p "$RUNS"

all_targets() {
    sed -n 's/^name = "\(.*\)"$/\1/p' "$FUZZ_DIR/Cargo.toml" | grep -v '^glassbox-fuzz$'
}

# Rewrites the block between the markers in fuzz/README.md: the latest row
# per target from results.tsv.
write_table() {
    python3 - "$RESULTS" "$README" <<'PY'
import sys
results, readme = sys.argv[1:3]
rows = {}
try:
    for line in open(results):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 7:
            rows[f[0]] = f
except FileNotFoundError:
    pass
out = ["| target | seconds | execs | crashes | timeouts | OOMs | finished (UTC) |",
       "|---|--:|--:|--:|--:|--:|---|"]
tot = [0, 0, 0, 0, 0]
for t in sorted(rows):
    f = rows[t]
    out.append("| `%s` | %s | %s | %s | %s | %s | %s |" % tuple(f[:7]))
    for i in range(5):
        tot[i] += int(f[1 + i])
out.append("| **total** | %d (%.1f h) | %d | %d | %d | %d | |"
           % (tot[0], tot[0] / 3600, tot[1], tot[2], tot[3], tot[4]))
begin, end = "<!-- fuzz-results:begin -->", "<!-- fuzz-results:end -->"
text = open(readme).read()
a, b = text.index(begin) + len(begin), text.index(end)
open(readme, "w").write(text[:a] + "\n" + "\n".join(out) + "\n" + text[b:])
PY
}

if [ "${1:-}" = "--table" ]; then
    write_table
    exit 0
fi

SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || mapfile -t TARGETS < <(all_targets)

cd "$REPO"
# Build once and run copies of the binaries, so that work going on in the
# tree meanwhile (a rebase, a fix) neither rebuilds nor changes what a
# long campaign is fuzzing. The commit is recorded with the copies.
cargo fuzz build --sanitizer none --fuzz-dir "$FUZZ_DIR" >/dev/null
BIN=$RUNS/bin-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BIN"
git -C "$REPO" describe --always --dirty >"$BIN/COMMIT"
for t in "${TARGETS[@]}"; do
    cp "$FUZZ_DIR/target/x86_64-unknown-linux-gnu/release/$t" "$BIN/$t"
done
for t in "${TARGETS[@]}"; do
    mkdir -p "$FUZZ_DIR/corpus/$t" "$FUZZ_DIR/artifacts/$t"
    log=$RUNS/$t-$(date -u +%Y%m%dT%H%M%SZ).log
    before=$(ls "$FUZZ_DIR/artifacts/$t" | sort)
    start=$(date +%s)
    # A non-zero exit (a finding) must not stop the other targets.
    nice -n 19 "$BIN/$t" "$FUZZ_DIR/corpus/$t" \
        -artifact_prefix="$FUZZ_DIR/artifacts/$t/" \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
        >"$log" 2>&1 || true
    took=$(( $(date +%s) - start ))
    # Fork mode's status lines: "#EXECS: cov: ... oom/timeout/crash: O/T/C".
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
    execs=$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$last")
    ooms=$(sed -n 's|.*oom/timeout/crash: \([0-9]*\)/\([0-9]*\)/\([0-9]*\).*|\1|p' <<<"$last")
    timeouts=$(sed -n 's|.*oom/timeout/crash: \([0-9]*\)/\([0-9]*\)/\([0-9]*\).*|\2|p' <<<"$last")
    crashes=$(sed -n 's|.*oom/timeout/crash: \([0-9]*\)/\([0-9]*\)/\([0-9]*\).*|\3|p' <<<"$last")
    new=$(comm -13 <(echo "$before") <(ls "$FUZZ_DIR/artifacts/$t" | sort) | tr '\n' ' ')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$took" "${execs:-0}" \
        "${crashes:-0}" "${timeouts:-0}" "${ooms:-0}" "$(date -u +%FT%TZ)" \
        "${log#"$REPO"/}" "$new" >>"$RESULTS"
    echo "$t: ${took}s, ${execs:-0} execs, crash/timeout/oom ${crashes:-0}/${timeouts:-0}/${ooms:-0}, new artifacts: ${new:-none}"
done
# Only at the end, so a campaign running in a worktree does not keep
# dirtying README.md while people work in it; `--table` meanwhile.
write_table
