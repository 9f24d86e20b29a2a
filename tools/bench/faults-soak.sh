#!/usr/bin/env bash
# Fault-injection soak: the suite's faults test with more iterations
# (default 100): random SIGKILLs of workers, the primary, sluiced and
# sluice-dump during changes, then DB, dump-flows and show must agree.
# Usage: tools/bench/faults-soak.sh [ITERATIONS]   (from a built tree, as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100}
case "$n" in --help|-h) sed -n 2,5p "$0"; exit 0 ;; esac
SLUICE_FAULT_ITERATIONS=$n meson test -C build faults --num-processes 1 --print-errorlogs \
	--timeout-multiplier $(( (n + 19) / 20 ))
