#!/usr/bin/env bash
# Transparency-log benchmark (issue 8): appends/s for a batch of 1,000,000
# small entries, proof generation time at 10^6 entries, disk bytes/entry.
# Usage: bench/tlog.sh            (TLOG_BENCH_ENTRIES=N to change the size,
#                                  TLOG_BENCH_DIR=DIR for where the log goes)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p glassbox-core --bench tlog --locked
