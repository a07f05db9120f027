#!/usr/bin/env bash
# Runs the upstream TUF client conformance suite (theupdateframework/
# tuf-conformance, in $GLASSBOX_CORPORA/tuf-conformance) against
# `glassbox tuf client`, the client-under-test protocol of its CLIENT-CLI.md.
#
# Every test must pass. glassbox keeps no .xfails file, and the run uses
# --runxfail so that a test some other client lists as an expected failure
# (python-tuf lists one) is run and judged like any other: an expected
# failure must never hide a real one here.
#
# Environment: GLASSBOX_BIN (required) the glassbox binary to test;
# GLASSBOX_CORPORA (default ../shared/corpora); TUF_CONFORMANCE_VENV (default
# target/tuf-conformance-venv) where the pinned Python dependencies go.
# Extra arguments are passed to pytest (e.g. -k test_name).
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)

: "${GLASSBOX_BIN:?set GLASSBOX_BIN to the glassbox binary under test}"
case "$GLASSBOX_BIN" in /*) ;; *) GLASSBOX_BIN="$here/$GLASSBOX_BIN" ;; esac
[ -x "$GLASSBOX_BIN" ] || { echo "GLASSBOX_BIN=$GLASSBOX_BIN: not an executable; build it first (cargo build -p glassbox-cli)" >&2; exit 2; }
# The suite splits --entrypoint on spaces.
case "$GLASSBOX_BIN" in *' '*) echo "GLASSBOX_BIN must not contain spaces (the suite splits its entrypoint on them)" >&2; exit 2 ;; esac

corpora="${GLASSBOX_CORPORA:-$here/../shared/corpora}"
case "$corpora" in /*) ;; *) corpora="$here/$corpora" ;; esac
suite="$corpora/tuf-conformance"
[ -d "$suite/tuf_conformance" ] || { echo "$suite: tuf-conformance corpus missing (see DEVELOPERS.md)" >&2; exit 2; }
command -v faketime >/dev/null || { echo "faketime missing: apt-get install faketime" >&2; exit 2; }

venv="${TUF_CONFORMANCE_VENV:-$here/target/tuf-conformance-venv}"
reqs="$here/.ci/tuf-conformance-requirements.txt"
stamp="$venv/.requirements"
if ! cmp -s "$reqs" "$stamp" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$reqs"
  cp "$reqs" "$stamp"
fi

# The suite's dump of served repositories and its JSON report, for looking
# into a failure.
out="$here/target/tuf-conformance"
rm -rf "$out"
mkdir -p "$out"

# Run from the output directory: pytest's rootdir and cache stay out of the
# read-only corpus; -p no:cacheprovider keeps it from writing there anyway.
cd "$out"
status=0
"$venv/bin/python" -m pytest "$suite/tuf_conformance" \
  -p no:cacheprovider --runxfail -rfEsxX \
  --entrypoint "$GLASSBOX_BIN tuf client" \
  --repository-dump-dir "$out/repositories" \
  --json-report --json-report-file="$out/report.json" \
  "$@" || status=$?

# A skipped, xfailed or xpassed test is not a pass: every collected test
# must have passed.
"$venv/bin/python" - "$out/report.json" <<'PY' || status=1
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
passed, total = summary.get("passed", 0), summary.get("total", 0)
print(f"tuf-conformance: {passed} of {total} passed ({summary})")
sys.exit(0 if total > 0 and passed == total else 1)
PY
exit "$status"
