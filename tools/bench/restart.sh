#!/usr/bin/env bash
# Measure worker restarts, as the independent-restart issue asks:
#  - time from kill -9 of a worker to its traffic flowing again (median, max
#    over 50 kills), while a second worker forwards on its own ports;
#  - packets the surviving worker lost (its tx drops and misses: must be 0);
#  - packets a planned restart (sluicectl worker-restart / --takeover) lost
#    while 3 million packets stream through a pcap port (must be 0);
#  - time from kill -9 of sluice-primary to forwarding again (sluiced
#    restarts it and replays the DB; goal under 2 s), over 5 kills, each
#    of a primary that ran longer than sluiced's --healthy-after.
# It runs the system tests that make these measurements with real processes
# and prints what they measured.  Needs root, hugepages, a built tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
fi
[ -x build/tests/system/test_restart ] || { echo "restart.sh: build first (scripts/setup.sh)" >&2; exit 1; }
export SLUICE_BUILD=$PWD/build
out=$(build/tests/system/test_restart --jobs 1 \
	--filter 'restart/@(kill9_worker_repeatedly_loses_no_packet_and_no_mbuf|planned_restart_with_takeover_loses_no_packet)' 2>&1) || {
	echo "$out" >&2
	echo "restart.sh: a measurement failed (see above)" >&2
	exit 1
}
echo "$out" | grep -a '^restart:'
echo "$out" | grep -a 'Synthesis'
out=$(build/tests/system/test_supervise --jobs 1 \
	--filter 'supervise/a_killed_primary_is_back_forwarding_by_itself' 2>&1) || {
	echo "$out" >&2
	echo "restart.sh: the primary measurement failed (see above)" >&2
	exit 1
}
echo "$out" | grep -a '^restart:'
