#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/ping-during-install.sh: does a big add-flows stall traffic
# through bridged ports?  A ping every 10 ms between two network namespaces
# behind two net_tap ports while 200,000 flows are installed.
# Run it with --help for the details.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

PROG=tools/bench/ping-during-install.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BENCH_NAME=ping-during-install.sh
SL_PREFIX=bench_pdi
BENCH_PREFIXES=$SL_PREFIX
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

N_FLOWS=200000
BEFORE=2      # seconds of pings before the install
AFTER=2       # and after it
INTERVAL=0.01 # ping -i
BUILD="${SLUICE_BUILD:-$SRC/build}"
KEEP=0
FWD_CPU=1     # the worker's CPU; the primary and sluiced run on CPU 0
NS_A=slpdi-a NS_B=slpdi-b
IF_A=slpdi-tap-a IF_B=slpdi-tap-b
IP_A=10.255.0.1 IP_B=10.255.0.2

usage() {
	cat <<EOF
Usage: $PROG [--flows N] [--before S] [--after S] [--build DIR] [--keep]

Latency of traffic through bridged ports while the control plane works.
Starts a sluice instance (sluiced --workers 1 --lcores 0,$FWD_CPU, EAL prefix
$SL_PREFIX) with two net_tap ports, tap-a (ofport 1, iface $IF_A) and tap-b
(ofport 2, iface $IF_B), and the rule actions=NORMAL; moves each tap
interface into a network namespace of its own ($NS_A: $IP_A/24, $NS_B:
$IP_B/24), as scripts/demo.sh does.  Then pings $IP_B from $NS_A every
${INTERVAL} s (ping -i $INTERVAL) for $BEFORE s, during one
'sluicectl add-flows FILE' of $N_FLOWS distinct rules
  priority=10,ip,nw_dst=10.A.B.C,actions=drop
(lower priority than NORMAL and outside $IP_A/24: they never touch the
ping), and for $AFTER s after it.

Prints the install time and, over all pings, the number sent and lost,
the median and the worst RTT, and the worst RTT of the pings sent before
the install (the baseline).

Options:
  --flows N     rules in the file (default $N_FLOWS; at most 1048575: the 1M
                rules sluice holds, less the NORMAL rule)
  --before S    seconds of pings before the install (default $BEFORE)
  --after S     seconds of pings after it (default $AFTER)
  --build DIR   the build tree to run (default \$SLUICE_BUILD or build/)
  --keep        keep the work directory (ping output, logs, the flow file)
  --help        this text

Needs: root, hugepages, jq, ping (iputils).  Takes the lock of the other
benchmarks.  Everything it makes (the instance, namespaces, the hugepage
and runtime files of prefix $SL_PREFIX, its work directory) is removed on
exit, on error and on Ctrl-C.
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--help|-h) usage; exit 0 ;;
	--flows) [ $# -ge 2 ] || die "--flows needs a value"; N_FLOWS=$2; shift ;;
	--before) [ $# -ge 2 ] || die "--before needs a value"; BEFORE=$2; shift ;;
	--after) [ $# -ge 2 ] || die "--after needs a value"; AFTER=$2; shift ;;
	--build) [ $# -ge 2 ] || die "--build needs a value"; BUILD=$2; shift ;;
	--keep) KEEP=1 ;;
	*) echo "$BENCH_NAME: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if ! [[ $N_FLOWS =~ ^[1-9][0-9]*$ ]] || [ "$N_FLOWS" -gt 1048575 ]; then
	die "--flows: $N_FLOWS is not an integer in 1..1048575"
fi
[[ $BEFORE =~ ^[1-9][0-9]*$ ]] || die "--before: $BEFORE is not a positive integer"
[[ $AFTER =~ ^[1-9][0-9]*$ ]] || die "--after: $AFTER is not a positive integer"

bench_check_host 400
SLUICED=$BUILD/ctl/sluiced
SLUICECTL=$BUILD/ctl/sluicectl
for b in "$SLUICED" "$SLUICECTL" "$BUILD/primary/sluice-primary" "$BUILD/secondary/sluice-worker"; do
	[ -x "$b" ] || die "$b not found: build first (meson setup build && ninja -C build)"
done
command -v jq >/dev/null || die "jq not found: apt-get install jq"
command -v ping >/dev/null || die "ping not found: apt-get install iputils-ping"
for ns in $NS_A $NS_B; do
	ip netns list | awk '{ print $1 }' | grep -qx "$ns" && die "network namespace $ns exists; not touching it"
done
for i in $IF_A $IF_B; do
	ip link show "$i" >/dev/null 2>&1 && die "interface $i exists; not touching it"
done

bench_lock
bench_check_prefixes_free

WORK=$(mktemp -d /tmp/slpdi.XXXXXX)
PIDFILE=$WORK/pids
: >"$PIDFILE"
POLICY_RC_CREATED=0
RD=$WORK/sl
CTL=("$SLUICECTL" --rundir "$RD")

# cleanup (lib.sh) runs this first; then it stops the pids in $PIDFILE and
# removes the files of our prefix.
bench_cleanup_hook() {
	local ns
	if [ -S "$RD/sluiced.sock" ]; then
		timeout 15 "${CTL[@]}" --timeout 10000 shutdown >/dev/null 2>&1 || true
		[ -s "$RD/sluiced.pid" ] && pid_record "$(cat "$RD/sluiced.pid")"
		sleep 0.5
	fi
	for ns in $NS_A $NS_B; do
		ip netns list | awk '{ print $1 }' | grep -qx "$ns" || continue
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- flow file
FLOWS=$WORK/flows.txt
log "writing $N_FLOWS flows to $FLOWS"
awk -v n="$N_FLOWS" 'BEGIN {
	for (i = 0; i < n; i++) {
		a = i + 1;
		printf "priority=10,ip,nw_dst=10.%d.%d.%d,actions=drop\n",
			int(a / 65536) % 256, int(a / 256) % 256, a % 256;
	}
}' >"$FLOWS"

# ---------------------------------------------------------------- instance
log "starting sluice (rundir $RD, EAL prefix $SL_PREFIX)"
mkdir -p "$RD"
"$SLUICED" --rundir "$RD" --workers 1 --lcores "0,$FWD_CPU" \
	--eal-args "--no-pci --file-prefix=$SL_PREFIX --log-level=lib.eal:error" --detach \
	>"$WORK/sluiced.out" 2>&1 || { tail -5 "$WORK/sluiced.out" >&2; die "sluiced did not start"; }
pid_record "$(cat "$RD/sluiced.pid")"
st=0
for _ in $(seq 300); do
	json=$("${CTL[@]}" --json show 2>/dev/null) || json='{}'
	st=$(jq -r '[.workers[]? | select(.state == "running")] | length' <<<"$json")
	[ "$st" = 1 ] && break
	sleep 0.1
done
[ "$st" = 1 ] || die "the worker is not running after 30 s"
for pid in $(jq -r '.daemon.primary_pid, .workers[].pid' <<<"$json"); do
	pid_record "$pid"
done

"${CTL[@]}" add-port tap-a "net_tap_pdi_a,iface=$IF_A" ofport=1 >/dev/null
"${CTL[@]}" add-port tap-b "net_tap_pdi_b,iface=$IF_B" ofport=2 >/dev/null
"${CTL[@]}" add-flow "actions=NORMAL" >/dev/null
ip netns add $NS_A
ip netns add $NS_B
ip link set $IF_A netns $NS_A
ip link set $IF_B netns $NS_B
for side in "$NS_A $IF_A $IP_A" "$NS_B $IF_B $IP_B"; do
	read -r ns ifc addr <<<"$side"
	ip -n "$ns" addr add "$addr/24" dev "$ifc"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$ifc" up
done
# Until the path works (ARP resolved, MACs learnt).
ok=0
for _ in $(seq 50); do
	if ip netns exec $NS_A ping -c 1 -W 1 -q $IP_B >/dev/null 2>&1; then ok=1; break; fi
	sleep 0.1
done
[ $ok = 1 ] || die "no ping reply from $IP_B through sluice"

# ---------------------------------------------------------------- measuring
# -D: each reply line starts with its arrival time; less its RTT, that is
# when the request left, which tells the pings sent before the install.
log "pinging every ${INTERVAL}s: ${BEFORE}s, then add-flows of $N_FLOWS flows, then ${AFTER}s"
ip netns exec $NS_A ping -D -i "$INTERVAL" $IP_B >"$WORK/ping.txt" 2>&1 &
PING_PID=$!
pid_record "$PING_PID"
sleep "$BEFORE"
T0=$(date +%s%N)
rc=0
"${CTL[@]}" --timeout 300000 add-flows "$FLOWS" >"$WORK/install.out" 2>&1 || rc=$?
T1=$(date +%s%N)
sleep "$AFTER"
kill -INT "$PING_PID"
wait_gone "$PING_PID" 5
[ $rc = 0 ] || { tail -3 "$WORK/install.out" >&2; die "add-flows failed (status $rc)"; }
n=$("${CTL[@]}" --json show | jq -r '.daemon.n_flows // 0')
[ "$n" = $((N_FLOWS + 1)) ] || die "sluice has $n flows after the install, not $((N_FLOWS + 1))"

# ---------------------------------------------------------------- result
awk -v t0="$T0" -v t1="$T1" '
function sort(a, n,    i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
/^\[[0-9.]+\] .* time=/ {
	at = substr($1, 2, length($1) - 2) + 0;
	rtt = $0; sub(/.* time=/, "", rtt); sub(/ .*/, "", rtt); rtt += 0;
	r[++n] = rtt; if (rtt > worst) worst = rtt;
	if (at - rtt / 1000 < t0 / 1e9 && rtt > base) base = rtt;
}
/packets transmitted/ { tx = $1; rx = $4 }
END {
	if (n == 0 || tx == "") { print "no ping replies" > "/dev/stderr"; exit 1 }
	sort(r, n);
	med = (n % 2) ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2;
	printf "install %.2f s; pings %d, lost %d; RTT median %.3f ms, worst %.3f ms (worst before the install %.3f ms)\n",
		(t1 - t0) / 1e9, tx, tx - rx, med, worst, base;
}' "$WORK/ping.txt"
