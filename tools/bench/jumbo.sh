#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/jumbo.sh: jumbo frames through sluice and OVS-DPDK 3.1 on the
# same ports in the same run: TCP (iperf3) between two network namespaces
# over tap ports at MTU 1500 and 9000, 9018-byte frames from a pcap port,
# and what an MTU change costs (how long the command takes, how long the
# changed port is out).  Run ./tools/bench/jumbo.sh --help for the details.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

PROG=tools/bench/jumbo.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BENCH_NAME=jumbo.sh
BENCH_PREFIXES="bench_jsl bench_jovs"
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

REPS=3
SECONDS_MEASURE=5
NO_OVS=0
QUICK=0
DOCS=""
DOCS_FILE="$SRC/docs/benchmark.md"
BUILD="${SLUICE_BUILD:-$SRC/build}"
KEEP=0
FWD_CPU=1
CTL_CPU=0
CHANGES=10      # MTU changes per switch
JUMBO_PKTS=2000 # frames in the 9018-byte file (OVS's pool must hold them)
ORIG_ARGS=("$@")

usage() {
	cat <<EOF
Usage: $PROG [--quick] [--reps N] [--seconds S] [--changes N] [--no-ovs]
                           [--docs | --no-docs] [--output FILE] [--keep]

Jumbo frames through sluice and OVS-DPDK 3.1 (Debian's openvswitch-switch-
dpdk, run from a private directory), one forwarding core each (CPU $FWD_CPU),
the same ports and traffic:

  tap-1500, tap-9000  two network namespaces, each behind a net_tap port
                      (moved into it after add-port), actions=NORMAL; the
                      MTU on both ports (mtu= / mtu_request) and both
                      interfaces; iperf3 TCP from one namespace to the
                      other for S seconds (receiver's Gbit/s), after a check
                      that ping -M do -s (MTU - 28) passes
  pcap-9018           rx net_pcap,infinite_rx=1 of $JUMBO_PKTS frames of 9018 bytes
                      (with FCS; OVS's "9018B jumbo frame"), tx net_null,no-rx=1,
                      both at MTU 9000, in_port=1,actions=output:2 (Mpps, Gbit/s)
  mtu-change          a numbered stream of 64-byte frames, one every 100 us,
                      from a raw socket in a namespace, in through a tap
                      port, through net_ring port p2 (which receives what it
                      sends) and out to a pcap file; p2's MTU set $CHANGES
                      times, 9000 and 1500 in turn; per change the command's
                      wall time (sluicectl set-port / ovs-vsctl set Interface
                      mtu_request, which returns once ovs-vswitchd took the
                      change) and how long p2 was out: the frames missing
                      from the file around the change, times 0.1 ms (sluice
                      also logs its time from unpublishing to publishing)

Options:
  --quick        1 repetition of 2 s, 4 changes; writes no docs unless --docs
  --reps N       repetitions (default $REPS): median and spread are shown
  --seconds S    measured interval (default $SECONDS_MEASURE)
  --changes N    MTU changes per switch (default $CHANGES)
  --no-ovs       sluice only
  --docs         write the section to the output file even with --quick
  --no-docs      only print it
  --output FILE  where to write it (default docs/benchmark.md, section
                 "Jumbo frames", replaced if there)
  --keep         keep the work directory (logs, raw samples)
  --help         this text

Needs root, hugepages, the built tree (\$SLUICE_BUILD or build/), iperf3.
Every process it starts, the namespaces slbj_a and slbj_b and the hugepage
files of its prefixes are removed on exit, error or Ctrl-C.
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--help|-h) usage; exit 0 ;;
	--quick) QUICK=1; REPS=1; SECONDS_MEASURE=2; CHANGES=4 ;;
	--reps) [ $# -ge 2 ] || die "--reps needs a value"; REPS=$2; shift ;;
	--seconds) [ $# -ge 2 ] || die "--seconds needs a value"; SECONDS_MEASURE=$2; shift ;;
	--changes) [ $# -ge 2 ] || die "--changes needs a value"; CHANGES=$2; shift ;;
	--no-ovs) NO_OVS=1 ;;
	--docs) DOCS=1 ;;
	--no-docs) DOCS=0 ;;
	--output) [ $# -ge 2 ] || die "--output needs a value"; DOCS_FILE=$2; DOCS=${DOCS:-1}; shift ;;
	--keep) KEEP=1 ;;
	*) echo "jumbo.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps: $REPS is not a positive integer"
[[ $SECONDS_MEASURE =~ ^[1-9][0-9]*$ ]] || die "--seconds: $SECONDS_MEASURE is not a positive integer"
[[ $CHANGES =~ ^[1-9][0-9]*$ ]] || die "--changes: $CHANGES is not a positive integer"
if [ -z "$DOCS" ]; then
	if [ $QUICK = 1 ]; then DOCS=0; else DOCS=1; fi
fi
SWITCHES="sluice"
[ $NO_OVS = 1 ] || SWITCHES="ovs sluice"

bench_check_host 700
for b in ctl/sluiced ctl/sluicectl primary/sluice-primary secondary/sluice-worker tools/bench/genpcap; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b not found: build first (meson setup build && ninja -C build)"
done
command -v iperf3 >/dev/null || die "iperf3 not found: apt-get install iperf3"
bench_lock
bench_check_prefixes_free

WORK=$(mktemp -d /tmp/slbench-jumbo.XXXXXX)
PIDFILE=$WORK/pids
: >"$PIDFILE"
POLICY_RC_CREATED=0
NS_A=slbj_a NS_B=slbj_b IF_A=slbj_ta IF_B=slbj_tb

remove_namespaces() {
	local ns
	for ns in $NS_A $NS_B; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
}
bench_cleanup_hook() { remove_namespaces; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ $NO_OVS = 1 ] || ovs_install

log "generating traffic in $WORK"
"$BUILD/tools/bench/genpcap" -o "$WORK/9018.pcap" -n $JUMBO_PKTS -f 1 -s 9018
"$BUILD/tools/bench/genpcap" -o "$WORK/64.pcap" -n 20000 -f 1 -s 64
RESULTS=$WORK/results.txt
: >"$RESULTS"

# ---------------------------------------------------------------- switches
# sw_start SWITCH TAG: a fresh instance.  sw_port NAME DEVARGS OFPORT MTU,
# sw_flow FLOW, sw_set_mtu NAME MTU, sw_mtu NAME, sw_tx NAME OFPORT.
SLD="" SL_RD=""
sluice_start() {
	SL_RD=$WORK/run/$1/sl
	mkdir -p "$SL_RD"
	SL_CTL=("$BUILD/ctl/sluicectl" --rundir "$SL_RD")
	bg_start "$SL_RD/sluiced.out" "$BUILD/ctl/sluiced" --rundir "$SL_RD" --workers 1 \
		--lcores "$CTL_CPU,$FWD_CPU" --eal-args "--no-pci --file-prefix=bench_jsl --log-level=lib.eal:error"
	SLD=$BG_PID
	for _ in $(seq 100); do
		"${SL_CTL[@]}" worker-list 2>/dev/null | grep -q running && return 0
		sleep 0.1
	done
	echo "sluiced did not start (see $SL_RD)" >&2
	return 1
}
sluice_stop() {
	"${SL_CTL[@]}" shutdown >/dev/null 2>&1 || true
	[ -n "$SLD" ] && wait_gone "$SLD" 10
	SLD=""
}

sw_start() {
	SW=$1
	if [ "$SW" = sluice ]; then
		trap sluice_stop EXIT
		sluice_start "$2"
	else
		OVS_TAG=$2
		trap ovs_stop EXIT
		ovs_start "$WORK/run/$2/ovs" bench_jovs
		VSCTL=("${OVS_VSCTL[@]}")
		"${VSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev
		ovs-ofctl mod-port br0 br0 no-flood
		ovs-ofctl del-flows br0
	fi
}

# sw_port NAME DEVARGS OFPORT MTU [N_RXQ]
sw_port() {
	local name=$1 dev=$2 of=$3 mtu=$4 rxq=${5:-1}
	if [ "$SW" = sluice ]; then
		"${SL_CTL[@]}" add-port "$name" "$dev" "ofport=$of" "mtu=$mtu" "n_rxq=$rxq" >/dev/null
	else
		# net_tap wants as many rx queues as OVS gives it tx queues (2).
		local q=()
		case "$dev" in net_tap*) rxq=2 ;; esac
		[ "$rxq" = 1 ] || q=("options:n_rxq=$rxq")
		"${VSCTL[@]}" add-port br0 "$name" -- set Interface "$name" type=dpdk \
			"options:dpdk-devargs=$dev" "ofport_request=$of" "mtu_request=$mtu" "${q[@]}"
		local got
		got=$("${VSCTL[@]}" get Interface "$name" ofport)
		if [ "$got" != "$of" ]; then
			local why
			why=$(grep -E 'ERR\|(Frame size|Interface)' "$OVS_D/ovs-vswitchd.log" | head -1 | sed 's/.*ERR|//')
			note "$OVS_TAG: OVS did not add $name ($dev, mtu_request=$mtu): ${why:-$("${VSCTL[@]}" get Interface "$name" error)}"
			echo "OVS: $name did not come up: $("${VSCTL[@]}" get Interface "$name" error)" >&2
			return 1
		fi
	fi
}

sw_flow() {
	if [ "$SW" = sluice ]; then "${SL_CTL[@]}" add-flow "$1"; else ovs-ofctl add-flow br0 "$1"; fi
}

sw_set_mtu() {
	if [ "$SW" = sluice ]; then
		"${SL_CTL[@]}" set-port "$1" "mtu=$2"
	else
		"${VSCTL[@]}" set Interface "$1" "mtu_request=$2"
	fi
}

# The port's MTU as the switch reports it.
sw_mtu() {
	if [ "$SW" = sluice ]; then
		"${SL_CTL[@]}" show | awk -v p="Port $1" '$0 ~ "^    Port " { on = ($0 == "    " p) }
			on && /device: mtu/ { sub(",", "", $3); print $3; exit }'
	else
		"${VSCTL[@]}" get Interface "$1" mtu
	fi
}

# sw_tx NAME OFPORT: the port's tx packets.
sw_tx() {
	if [ "$SW" = sluice ]; then
		"${SL_CTL[@]}" dump-ports "$1" | awk -F'[=,]' '/tx pkts/ { print $2 + 0; exit }'
	else
		ovs-ofctl dump-ports br0 "$2" | awk -F'[=,]' '/tx pkts/ { print $2 + 0; exit }'
	fi
}

now() { date +%s.%N; }

# ---------------------------------------------------------------- tap + iperf3
# Prints "GBITS PING" (PING: ok or lost).
measure_tap() {
	local sw=$1 mtu=$2 tag=$3 dir
	dir=$WORK/run/$tag
	mkdir -p "$dir"
	sw_start "$sw" "$tag"
	remove_namespaces
	sw_port ta "net_tap_jb0,iface=$IF_A" 1 "$mtu"
	sw_port tb "net_tap_jb1,iface=$IF_B" 2 "$mtu"
	sw_flow "actions=NORMAL"
	local ns iface addr
	for side in a b; do
		if [ $side = a ]; then ns=$NS_A iface=$IF_A addr=198.51.100.1; else ns=$NS_B iface=$IF_B addr=198.51.100.2; fi
		ip netns add "$ns"
		ip link set "$iface" netns "$ns"
		ip -n "$ns" link set "$iface" mtu "$mtu"
		ip -n "$ns" addr add "$addr/24" dev "$iface"
		ip -n "$ns" link set "$iface" up
		ip -n "$ns" link set lo up
	done
	local ping=ok
	ip netns exec $NS_A ping -c 3 -i 0.2 -W 2 -M "do" -s $((mtu - 28)) 198.51.100.2 >"$dir/ping.txt" 2>&1 || ping=lost
	ip netns exec $NS_B iperf3 -s -1 -D -p 5291 --logfile "$dir/iperf3-server.txt"
	sleep 0.3
	if ! timeout $((SECONDS_MEASURE + 20)) ip netns exec $NS_A iperf3 -c 198.51.100.2 -p 5291 \
		-t "$SECONDS_MEASURE" -J >"$dir/iperf3.json" 2>"$dir/iperf3.err"; then
		echo "0 $ping"
		remove_namespaces
		return 0
	fi
	remove_namespaces
	awk '/"sum_received"/ { on = 1 } on && /"bits_per_second"/ { gsub(",", "", $2); printf "%.2f %s\n", $2 / 1e9, p; exit }' \
		p="$ping" "$dir/iperf3.json"
}

# ---------------------------------------------------------------- pcap 9018
# Prints "MPPS GBITS" (Gbit/s of the 9018-byte frames, FCS included).
measure_pcap() {
	local sw=$1 tag=$2 t0 t1 p0 p1
	mkdir -p "$WORK/run/$tag"
	sw_start "$sw" "$tag"
	sw_flow "in_port=1,actions=output:2"
	sw_port p2 "net_null_jb0,no-rx=1" 2 9000
	sw_port p1 "net_pcap_jb0,rx_pcap=$WORK/9018.pcap,infinite_rx=1" 1 9000
	sleep 1
	t0=$(now); p0=$(sw_tx p2 2)
	sleep "$SECONDS_MEASURE"
	t1=$(now); p1=$(sw_tx p2 2)
	awk -v t0="$t0" -v t1="$t1" -v p0="$p0" -v p1="$p1" \
		'BEGIN { r = (p1 - p0) / (t1 - t0); printf "%.3f %.2f\n", r / 1e6, r * 9018 * 8 / 1e9 }'
}

# ---------------------------------------------------------------- MTU change
# A paced, numbered stream (one 64-byte frame every $GAP_US us, from a raw
# socket in namespace a) enters through tap port ta, crosses the changing
# port p2 (a net_ring port: what it sends it receives) and leaves through
# p3 into a pcap file.  Frames missing from the file around a change, times
# the pacing, are how long p2 dropped; delays do not count (on 2 CPUs the
# sender, the primary and the worker share them, and the stream stalls for
# milliseconds now and then without losing anything).
GAP_US=100
measure_mtu() {
	local sw=$1 tag=$2 dir i mtu c0 c1 dur
	dir=$WORK/run/$tag
	mkdir -p "$dir"
	sw_start "$sw" "$tag"
	remove_namespaces
	sw_flow "in_port=1,actions=output:2"
	sw_flow "in_port=2,actions=output:3"
	sw_port p3 "net_pcap_jb3,tx_pcap=$dir/out.pcap" 3 1500
	# net_ring receives on queue N what it sends on queue N, and both
	# switches send on queue 1 (queue 0 is their main thread's).
	sw_port p2 "net_ring_jb2" 2 1500 2
	sw_port ta "net_tap_jb2,iface=$IF_A" 1 1500
	ip netns add $NS_A
	ip link set $IF_A netns $NS_A
	ip -n $NS_A link set $IF_A up
	dur=$((2 + CHANGES * 2))
	ip netns exec $NS_A /usr/bin/python3 - "$IF_A" "$dur" "$GAP_US" >"$dir/sender.txt" 2>&1 <<'PY' &
import socket, sys, time
iface, dur, gap = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]) / 1e6
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
head = bytes.fromhex("020000000002" "020000000001" "0800")
ip = bytes.fromhex("4500002e0000000040110000c0000201c0000202")
udp = bytes.fromhex("3039303a001a0000")
t0 = time.perf_counter()
print("%.6f" % time.time(), flush=True)
end, n = t0 + dur, 0
while True:
    t = time.perf_counter()
    if t >= end:
        break
    if t >= t0 + n * gap:  # frame n leaves at t0 + n * gap, or as soon after as it can
        s.send(head + ip + udp + n.to_bytes(4, "big") + bytes(14))
        n += 1
print(n)
PY
	local sender=$!
	pid_record "$sender"
	sleep 1.5
	for i in $(seq "$CHANGES"); do
		if [ $((i % 2)) = 1 ]; then mtu=9000; else mtu=1500; fi
		c0=$(now)
		sw_set_mtu p2 "$mtu" >/dev/null
		c1=$(now)
		echo "$c0 $c1" >>"$dir/changes.txt"
		sleep 2
		[ "$(sw_mtu p2)" = "$mtu" ] || { echo "$sw: p2 did not take mtu $mtu" >&2; return 1; }
	done
	wait "$sender" || true
	sleep 0.5
	: >"$dir/logged.txt"
	if [ "$sw" = sluice ]; then
		grep -o 'port p2 restarted .* out [0-9.]* ms' "$SL_RD/primary.log" |
			awk '{ print $(NF - 1) }' >"$dir/logged.txt"
		sluice_stop
	else
		ovs_stop
	fi
	# Per change: the command's seconds, the ms of frames lost around it
	# (sent from 50 ms before it began to 500 ms after it returned), and
	# sluice's logged out time; then a line "other LOST_MS" for losses
	# outside every change.
	/usr/bin/python3 - "$dir" "$GAP_US" <<'PY'
import struct, sys
d, gap = sys.argv[1], float(sys.argv[2]) / 1e6
start, sent = [float(x) for x in open(d + "/sender.txt").read().split()[:2]]
changes = [tuple(map(float, l.split())) for l in open(d + "/changes.txt")]
logged = [l.strip() for l in open(d + "/logged.txt")] + ["-"] * len(changes)
seen = bytearray(int(sent))
with open(d + "/out.pcap", "rb") as f:
    f.read(24)
    while True:
        h = f.read(16)
        if len(h) < 16:
            break
        n = struct.unpack("<IIII", h)[2]
        p = f.read(n)
        if n >= 46:
            seq = int.from_bytes(p[42:46], "big")
            if seq < len(seen):
                seen[seq] = 1
lost = [0] * len(changes)
other = 0
for seq in range(len(seen)):
    if seen[seq]:
        continue
    t = start + seq * gap
    for k, (c0, c1) in enumerate(changes):
        if c0 - 0.05 <= t <= c1 + 0.5:
            lost[k] += 1
            break
    else:
        other += 1
for k, (c0, c1) in enumerate(changes):
    print("%.3f %.2f %s" % (c1 - c0, lost[k] * gap * 1000, logged[k]))
print("other %.2f" % (other * gap * 1000))
PY
}

# ---------------------------------------------------------------- main loop
run_one() {
	local what=$1 sw=$2 rep=$3 tag out rc
	tag="$what.$sw.$rep"
	set +e
	case "$what" in
	tap-1500) out=$( set -e; measure_tap "$sw" 1500 "$tag" 2>"$WORK/$tag.err" ) ;;
	tap-9000) out=$( set -e; measure_tap "$sw" 9000 "$tag" 2>"$WORK/$tag.err" ) ;;
	pcap-9018) out=$( set -e; measure_pcap "$sw" "$tag" 2>"$WORK/$tag.err" ) ;;
	mtu-change) out=$( set -e; measure_mtu "$sw" "$tag" 2>"$WORK/$tag.err" ) ;;
	esac
	rc=$?
	set -e
	stop_pids
	remove_prefix_files
	remove_namespaces
	if [ $rc != 0 ] || [ -z "$out" ]; then
		log "$what $sw rep $rep: FAILED (rc $rc)"
		sed 's/^/    /' "$WORK/$tag.err" | tail -6 >&2
		out="- -"
	else
		log "$what $sw rep $rep: $(echo "$out" | tr '\n' ';')"
	fi
	while read -r line; do echo "$what $sw $rep $line"; done <<<"$out" >>"$RESULTS"
}

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq "$REPS"); do
	for what in tap-1500 tap-9000 pcap-9018; do
		for sw in $SWITCHES; do run_one "$what" "$sw" "$rep"; done
	done
done
for sw in $SWITCHES; do run_one mtu-change "$sw" 1; done

# ---------------------------------------------------------------- table
# median (min..max) of field $3 of the lines "WHAT SW" in $RESULTS.
stat() {
	awk -v w="$1" -v s="$2" -v f="$3" '$1 == w && $2 == s && $4 != "other" && $(f + 3) != "-" { print $(f + 3) }' "$RESULTS" |
		sort -g | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "-"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
			if (NR > 1) printf "%g (%g..%g)\n", m, v[1], v[NR]; else printf "%g\n", m }'
}
pings() {
	awk -v w="$1" -v s="$2" '$1 == w && $2 == s && $5 != "-" { print $5 }' "$RESULTS" | sort | uniq -c |
		awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 } END { if (NR == 0) printf "-" }'
}

section() {
	echo "## Jumbo frames"
	echo
	echo "Produced by \`$PROG${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo
	bench_machine_line
	echo "Load average at start: $LOADAVG. Median of $REPS repetition(s) of ${SECONDS_MEASURE} s, spread (min..max) when more than one."
	echo
	echo "| scenario | switch | result | unfragmented ping at the MTU |"
	echo "|---|---|---|---|"
	for what in tap-1500 tap-9000; do
		for sw in $SWITCHES; do
			echo "| $what (iperf3, Gbit/s) | $sw | $(stat "$what" "$sw" 1) | $(pings "$what" "$sw") |"
		done
	done
	for sw in $SWITCHES; do
		echo "| pcap-9018 (Mpps; Gbit/s) | $sw | $(stat pcap-9018 "$sw" 1); $(stat pcap-9018 "$sw" 2) | - |"
	done
	echo
	echo "MTU changes of a net_ring port carrying a paced stream (1500 -> 9000 -> 1500 ..., $CHANGES of them):"
	echo
	echo "| switch | command (s) | port out (ms: frames lost x 0.1 ms) | port out (ms, sluice's log) | frames lost outside the changes (ms) |"
	echo "|---|---|---|---|---|"
	for sw in $SWITCHES; do
		echo "| $sw | $(stat mtu-change "$sw" 1) | $(stat mtu-change "$sw" 2) | $(stat mtu-change "$sw" 3)" \
		     "| $(awk -v s="$sw" '$1 == "mtu-change" && $2 == s && $4 == "other" { print $5 }' "$RESULTS") |"
	done
	echo
	cat <<'EOF'
- "-": the switch could not run the scenario; the notes below say why.
  OVS-DPDK 3.1 does not add a net_tap port with mtu_request=9000: ethdev
  caps net_tap at 1522-byte frames (max_rx_pktlen) and OVS takes the
  refusal as the port's.  sluice sets the MTU on the tap's kernel
  interface, wherever it lives, enforces it in software and writes longer
  frames to the tun queue itself (docs/ports.md).
- pcap-9018: whole 9018-byte frames in one mbuf each on both switches
  (OVS: its shared pool for MTU 9000; sluice: the infinite_rx port's pool
  of its own, 9344-byte buffers).
- MTU changes: sluice makes the new pool (or takes a retiring one) before
  it touches the port, so the port is out only while it restarts (its log,
  a third of a millisecond); no frame of the stream was lost.  Tap and
  pcap ports are serviced by the primary: while it handles the command the
  stream waits in the kernel's tap queue, delayed, not lost.  OVS's first
  change to 9000 makes its shared pool for that MTU (262144 mbufs, halved
  until memory suffices): the command takes 2 to 3 s and the port drops
  for as long; later changes reuse the pools.  The command column includes
  the client (sluicectl -> sluiced, which also writes its DB; ovs-vsctl ->
  ovsdb-server -> ovs-vswitchd).

EOF
	echo "Raw samples (scenario switch repetition values):"
	echo
	echo '```'
	cat "$RESULTS"
	echo '```'
	if [ -s "$WORK/notes.txt" ]; then
		echo
		sed 's/^/- /' "$WORK/notes.txt"
	fi
}
section | tee "$WORK/section.md"
if [ "$DOCS" = 1 ]; then
	# Replace the section (up to the next "## ") or append it.
	awk -v f="$WORK/section.md" '
		/^## Jumbo frames/ { skip = 1; while ((getline l < f) > 0) print l; print ""; next }
		skip && /^## / { skip = 0 }
		!skip { print }
		END { if (!done_any) {} }' "$DOCS_FILE" >"$WORK/doc.new"
	grep -q '^## Jumbo frames' "$DOCS_FILE" || { echo; cat "$WORK/section.md"; } >>"$WORK/doc.new"
	cp "$WORK/doc.new" "$DOCS_FILE"
	log "wrote the section to $DOCS_FILE"
fi
