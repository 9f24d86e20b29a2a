#!/usr/bin/env bash
# Start a sluice switch with a working default setup and real traffic:
# two network namespaces, each with a net_tap interface that is a sluice
# port, NORMAL (learning) switching between them, a ping and a short TCP
# transfer through the switch.  The switch keeps running afterwards.
#
#   ./scripts/demo.sh          set up (packages, hugepages, build) and run the demo
#   ./scripts/demo.sh --stop   stop the switch and remove the namespaces
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

RUNDIR=${SLUICE_RUNDIR:-/run/sluice}
PREFIX=sluice
DB=$RUNDIR/demo.db # the demo's own configuration, made afresh each time
CTL="$top/build/ctl/sluicectl --rundir $RUNDIR"

stop() {
	if [ -S "$RUNDIR/sluiced.sock" ]; then
		$CTL shutdown >/dev/null 2>&1 || true
	fi
	for i in $(seq 50); do
		pgrep -f -- "--rundir $RUNDIR( |$)" >/dev/null || break
		sleep 0.1
	done
	pkill -9 -f -- "--rundir $RUNDIR( |$)" 2>/dev/null || true
	for ns in sl-demo-a sl-demo-b; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -f /dev/hugepages/${PREFIX}map_* 2>/dev/null || true
}

if [ "${1:-}" = "--stop" ]; then
	stop
	echo "demo: stopped"
	exit 0
fi
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
fi

./scripts/setup.sh
stop

echo "demo: starting sluiced (rundir $RUNDIR, 1 worker on CPU 1)"
mkdir -p "$RUNDIR"
rm -f "$DB"
"$top/build/ctl/sluiced" --rundir "$RUNDIR" --db "$DB" --workers 1 --lcores 0,1 \
	--eal-args "--no-pci --file-prefix=$PREFIX --log-level=lib.eal:error" --detach

say() { echo; echo "\$ sluicectl $*"; $CTL "$@"; }

say add-port tap-a "net_tap_demo_a,iface=sl-tap-a" ofport=1
say add-port tap-b "net_tap_demo_b,iface=sl-tap-b" ofport=2
say add-flow "actions=NORMAL"

# The tap interfaces exist now; each goes into its own namespace.
for side in a b; do
	ns=sl-demo-$side
	ip netns add $ns
	ip link set sl-tap-$side netns $ns
	ip -n $ns link set lo up
	ip -n $ns link set sl-tap-$side up
done
ip -n sl-demo-a addr add 10.99.0.1/24 dev sl-tap-a
ip -n sl-demo-b addr add 10.99.0.2/24 dev sl-tap-b

echo
echo "demo: ping from sl-demo-a (10.99.0.1) to sl-demo-b (10.99.0.2) through sluice"
ip netns exec sl-demo-a ping -c 3 -i 0.2 10.99.0.2

echo
echo "demo: 3 seconds of TCP (iperf3) through sluice"
ip netns exec sl-demo-b iperf3 -s -1 -D -p 5201
sleep 0.3
ip netns exec sl-demo-a iperf3 -c 10.99.0.2 -p 5201 -t 3 | tail -4

say dump-ports
say pmd-stats-show
say dump-flows

cat <<EOF

demo: the switch is still running. Try:
  $CTL show
  $CTL pmd-rxq-show
  ip netns exec sl-demo-a ping 10.99.0.2
  $top/build/tools/sluice-dump --rundir $RUNDIR -i tap-b -c 5 -w - | tcpdump -n -r -
Stop it with:
  $top/scripts/demo.sh --stop
EOF
