#!/usr/bin/env bash
# Set up (packages, hugepages, build) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
rc=0
meson test -C build --print-errorlogs --num-processes 1 "$@" || rc=$?
# One closing line any CI reader understands.
log=build/meson-logs/testlog.json
if [ -f "$log" ]; then
	pass=$(grep -c '"result": "OK"' "$log" || true)
	fail=$(grep -c '"result": "\(FAIL\|TIMEOUT\|ERROR\)"' "$log" || true)
	skip=$(grep -c '"result": "SKIP"' "$log" || true)
	echo "$pass passed, $fail failed, $skip skipped"
fi
exit $rc
