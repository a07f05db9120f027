#!/bin/sh
# Move a detected file into the ExampleAV quarantine directory.
set -eu
dir="${EXAMPLEAV_QUARANTINE:-/var/lib/exampleav/quarantine}"
mkdir -p "$dir"
for f in "$@"; do
    mv -- "$f" "$dir/$(date +%s)-$(basename -- "$f")"
    echo "quarantined: $f"
done
