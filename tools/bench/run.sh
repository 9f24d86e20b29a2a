#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/run.sh: forwarding benchmark of sluice against DPDK testpmd
# (io forwarding, the upper bound; mac forwarding, which rewrites both MAC
# addresses of every packet) and OVS-DPDK 3.1, on the same virtual
# devices and the same generated traffic, one forwarding core each.
# Run ./tools/bench/run.sh --help for the details.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

PROG=tools/bench/run.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BENCH_NAME=run.sh
BENCH_PREFIXES="bench_tp bench_sl bench_ovs"
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

REPS=3
SECONDS_MEASURE=3
WARMUP=1
ONLY=""
NO_OVS=0
QUICK=0
DOCS=""        # "" = default (write unless --quick), 1 = write, 0 = don't
DOCS_FILE="$SRC/docs/benchmark.md"
BUILD="${SLUICE_BUILD:-$SRC/build}"
KEEP=0
SLUICE_OPTS=""
FWD_CPU=1      # the forwarding core of every switch
CTL_CPU=0      # everything else (testpmd main lcore, sluice primary, OVS main thread)
MBUFS=131071   # >= packets in the largest pcap file + what is in flight
PKTS_64=100000
PKTS_1518=20000
ORIG_ARGS=("$@")

ALL_SCENARIOS="64b-1flow 64b-1kflows 64b-100kflows 1518b-1flow 64b-1kflows-1krules 64b-100kflows-1krules normal normal-learnt null 64b-1kflows-4tables 64b-100kflows-4tables 64b-100kflows-1Mrules"

usage() {
	cat <<EOF
Usage: $PROG [--quick] [--reps N] [--seconds S] [--warmup S] [--only LIST]
                         [--no-ovs] [--docs | --no-docs] [--output FILE] [--keep]
                         [--sluice-opts "ARGS"]

Forwarding benchmark: sluice against DPDK testpmd (io forwarding, no rules:
the upper bound; and mac forwarding, which rewrites both MAC addresses of
every packet and so touches every header as a switch does) and OVS-DPDK 3.1
(Debian's openvswitch-switch-dpdk, installed if missing and run from a private directory, never as the system
service), with one forwarding core each (CPU $FWD_CPU), on the same virtual
devices and the same generated traffic:

  a 64b-1flow             64-byte UDP, 1 flow,    rule in_port=1,actions=output:2
  b 64b-1kflows           64-byte UDP, 1000 flows, same rule
  c 64b-100kflows         64-byte UDP, 100000 flows, same rule
  d 1518b-1flow           1518-byte UDP, 1 flow, same rule
  e 64b-1kflows-1krules   1000 flows, 999 non-matching wildcard rules (nw_dst,
                          nw_src prefixes of varied lengths, tp_dst) above the
                          matching in_port=1,actions=output:2 at priority 1
  h 64b-100kflows-1krules 100000 flows, the same 1000 rules
  f normal                1000 flows, actions=NORMAL (learning switch; the
                          destination MAC is never learnt, so it floods to p2)
  k normal-learnt         the same, but the sink port first receives 4
                          packets from the destination MAC (its rx is a
                          pcap read once), so the destination is learnt
                          and the traffic is unicast to it
  g null                  rx net_null0 (64-byte packets made by the PMD) ->
                          tx net_null1
  i 64b-1kflows-4tables   1000 flows through a four-table pipeline: table 0
                          classifies in_port into reg0, table 1 is the ACL
                          of scenario e (999 non-matching rules, then
                          resubmit), table 2 rewrites (dec_ttl, mod_nw_dst),
                          table 3 outputs on reg0
  j 64b-100kflows-4tables 100000 flows, the same pipeline
  l 64b-100kflows-1Mrules 100000 flows among 1000000 resident rules
                          priority=10,ip,nw_src=10.x.y.z,actions=output:2
                          (one a source address; the traffic's 100000
                          sources are the first of them).  Only with --only:
                          OVS's add-flows of the 1M takes minutes, and both
                          switches need ~1.5 GB of hugepages for it

Traffic a-f, h: rx net_pcap0,rx_pcap=FILE,infinite_rx=1 (pcap files written by
genpcap), tx net_null1,no-rx=1 (a sink).  Every DPDK process gets --no-pci;
the machine's NIC is never used.  Each measurement starts the switch afresh,
warms up, then measures the sink port's tx packets over the interval
(testpmd: its own per-second Tx-pps of the sink port).  Cycles per packet:
OVS 'avg processing cycles per packet' of dpif-netdev/pmd-stats-show over the
interval; sluice: worker busy_cycles / worker rx_packets over the interval.

Options:
  --quick        1 repetition of 1 s (a smoke run); does not write docs/
                 unless --docs is given
  --reps N       repetitions per measurement (default $REPS); the table
                 shows the median and the spread (min..max)
  --seconds S    measured interval, whole seconds (default $SECONDS_MEASURE)
  --warmup S     warm-up before it, whole seconds (default $WARMUP)
  --only LIST    comma-separated scenarios, by letter or name (e.g. a,c,null)
  --no-ovs       skip OVS-DPDK
  --docs         write the table to the output file even with --quick
  --no-docs      only print the table
  --output FILE  where to write it (default docs/benchmark.md)
  --keep         keep the work directory (logs, pcaps, raw samples)
  --sluice-opts "ARGS"  more sluice-primary options (after --), e.g.
                 "--mempool-ops ring_mp_mc"
  --help         this text

Needs: root, hugepages (scripts/setup.sh reserves them), the built tree
(\$SLUICE_BUILD or build/), dpdk-testpmd (Debian package dpdk).  Two runs
cannot overlap (a lock).  Every process it starts, and the hugepage files
of its prefixes bench_tp, bench_sl and bench_ovs, are removed on exit, on
error and on Ctrl-C.
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--help|-h) usage; exit 0 ;;
	--quick) QUICK=1; REPS=1; SECONDS_MEASURE=1; WARMUP=1 ;;
	--reps) [ $# -ge 2 ] || die "--reps needs a value"; REPS=$2; shift ;;
	--seconds) [ $# -ge 2 ] || die "--seconds needs a value"; SECONDS_MEASURE=$2; shift ;;
	--warmup) [ $# -ge 2 ] || die "--warmup needs a value"; WARMUP=$2; shift ;;
	--only) [ $# -ge 2 ] || die "--only needs a value"; ONLY=$2; shift ;;
	--no-ovs) NO_OVS=1 ;;
	--docs) DOCS=1 ;;
	--no-docs) DOCS=0 ;;
	--output) [ $# -ge 2 ] || die "--output needs a value"; DOCS_FILE=$2; DOCS=${DOCS:-1}; shift ;;
	--keep) KEEP=1 ;;
	--sluice-opts) [ $# -ge 2 ] || die "--sluice-opts needs a value"; SLUICE_OPTS=$2; shift ;;
	*) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps: $REPS is not a positive integer"
[[ $SECONDS_MEASURE =~ ^[1-9][0-9]*$ ]] || die "--seconds: $SECONDS_MEASURE is not a positive integer"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "--warmup: $WARMUP is not an integer"
if [ -z "$DOCS" ]; then
	if [ $QUICK = 1 ]; then DOCS=0; else DOCS=1; fi
fi

# --only: letters or names.
scenario_name() {
	case "$1" in
	a|64b-1flow) echo 64b-1flow ;;
	b|64b-1kflows) echo 64b-1kflows ;;
	c|64b-100kflows) echo 64b-100kflows ;;
	d|1518b-1flow) echo 1518b-1flow ;;
	e|64b-1kflows-1krules) echo 64b-1kflows-1krules ;;
	h|64b-100kflows-1krules) echo 64b-100kflows-1krules ;;
	f|normal) echo normal ;;
	k|normal-learnt) echo normal-learnt ;;
	g|null) echo null ;;
	i|64b-1kflows-4tables) echo 64b-1kflows-4tables ;;
	j|64b-100kflows-4tables) echo 64b-100kflows-4tables ;;
	l|64b-100kflows-1Mrules) echo 64b-100kflows-1Mrules ;;
	*) return 1 ;;
	esac
}
SCENARIOS=${ALL_SCENARIOS% 64b-100kflows-1Mrules}
if [ -n "$ONLY" ]; then
	SCENARIOS=""
	IFS=, read -r -a _only <<<"$ONLY"
	for s in "${_only[@]}"; do
		n=$(scenario_name "$s") || die "--only: unknown scenario '$s' (one of: a..j, $ALL_SCENARIOS)"
		SCENARIOS="$SCENARIOS $n"
	done
fi
SWITCHES="testpmd tpmac"
[ $NO_OVS = 1 ] || SWITCHES="$SWITCHES ovs"
SWITCHES="$SWITCHES sluice"

# ---------------------------------------------------------------- checks
# The largest user is OVS: its shared mempool of 262144 mbufs (~700 MB);
# sluice and testpmd take ~400 MB for $MBUFS mbufs.  One runs at a time.
TESTPMD=$(command -v dpdk-testpmd || true)
[ -n "$TESTPMD" ] || die "dpdk-testpmd not found: apt-get install dpdk"
# One benchmark at a time (the prefixes and CPUs are fixed); cleanup
# (lib.sh) stops every process this run started, also those started inside
# measurement subshells, and removes our prefixes' hugepage and runtime
# files.  Short paths: sluice (as of this writing) fails to attach a pcap
# vdev whose devargs string is longer than about 73 characters while a
# worker runs.
bench_begin 900 /tmp/slbench.XXXXXX primary/sluice-primary secondary/sluice-worker

# ---------------------------------------------------------------- tools
# genpcap and slbench-ctl come from the build tree once tools/ is part of
# the meson build; until then they are compiled here from their sources.
GENPCAP=$BUILD/tools/bench/genpcap
SLCTL=$BUILD/tools/bench/slbench-ctl
if [ ! -x "$GENPCAP" ] || [ "$HERE/genpcap.c" -nt "$GENPCAP" ]; then
	GENPCAP=$WORK/genpcap
	cc -O2 -std=gnu11 -Wall -Wextra -o "$GENPCAP" "$HERE/genpcap.c" || die "cannot build genpcap"
fi
if [ ! -x "$SLCTL" ] || [ "$HERE/slbench-ctl.c" -nt "$SLCTL" ]; then
	SLCTL=$WORK/slbench-ctl
	[ -f "$BUILD/common/libsluice_common.a" ] && [ -f "$BUILD/proto/libsluice_proto.a" ] ||
		die "$BUILD/common/libsluice_common.a missing: build first"
	# shellcheck disable=SC2046
	cc -O2 -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -I"$SRC/common" -I"$BUILD/proto" \
		-o "$SLCTL" "$HERE/slbench-ctl.c" "$BUILD/common/libsluice_common.a" \
		"$BUILD/proto/libsluice_proto.a" -lzmq -lprotobuf-c $(pkg-config --libs libdpdk) ||
		die "cannot build slbench-ctl"
fi

# ---------------------------------------------------------------- OVS install
[ $NO_OVS = 1 ] || ovs_install

# ---------------------------------------------------------------- traffic
log "generating traffic and rules in $WORK"
"$GENPCAP" -o "$WORK/64-1.pcap" -n $PKTS_64 -f 1 -s 64
"$GENPCAP" -o "$WORK/64-1k.pcap" -n $PKTS_64 -f 1000 -s 64
"$GENPCAP" -o "$WORK/64-100k.pcap" -n $PKTS_64 -f 100000 -s 64
"$GENPCAP" -o "$WORK/1518-1.pcap" -n $PKTS_1518 -f 1 -s 1518
"$GENPCAP" -o "$WORK/learn.pcap" -n 4 -f 1 -s 64 -r

echo "in_port=1,actions=output:2" >"$WORK/rules-simple.txt"
echo "actions=NORMAL" >"$WORK/rules-normal.txt"
# 999 rules that the traffic (10.x.x.x:1024+ -> 192.0.2.1:9, UDP) never
# matches, of three shapes (nw_dst and nw_src in 172.16.0.0/12, udp tp_dst)
# and five prefix lengths, above the matching one.
awk 'BEGIN {
	split("16 20 24 28 32", lens, " ");
	for (i = 0; i < 999; i++) {
		len = lens[int(i / 3) % 5 + 1];
		a = 172 * 16777216 + (16 + i % 16) * 65536 + (i * 37 % 256) * 256 + i * 13 % 256;
		net = a - a % (2 ^ (32 - len));
		ip = sprintf("%d.%d.%d.%d", int(net / 16777216), int(net / 65536) % 256,
			     int(net / 256) % 256, net % 256);
		if (i % 3 == 0)
			printf "priority=%d,ip,nw_dst=%s/%d,actions=drop\n", 1000 + i, ip, len;
		else if (i % 3 == 1)
			printf "priority=%d,ip,nw_src=%s/%d,actions=drop\n", 1000 + i, ip, len;
		else
			printf "priority=%d,udp,tp_dst=%d,actions=drop\n", 1000 + i, 10000 + i;
	}
	print "priority=1,in_port=1,actions=output:2";
}' >"$WORK/rules-1k.txt"
# Four tables, as OVN-style pipelines are built: in_port classification
# into a register, the ACL above (moved to table 1, its last rule passing
# everything on), an L3 rewrite, output by register.  resubmit(,N) rather
# than goto_table so that ovs-ofctl's default OpenFlow 1.0 takes it too.
{
	echo "table=0,priority=10,in_port=1,actions=load:0x1->NXM_NX_REG0[],resubmit(,1)"
	sed -e '$d' -e 's/^/table=1,/' "$WORK/rules-1k.txt"
	echo "table=1,priority=1,ip,actions=resubmit(,2)"
	echo "table=2,priority=10,ip,nw_dst=192.0.2.0/24,actions=dec_ttl,mod_nw_dst:198.51.100.1,resubmit(,3)"
	echo "table=3,priority=10,reg0=0x1,actions=output:2"
} >"$WORK/rules-4tables.txt"

# A million rules, one per source address 10.0.0.1 onwards (genpcap's
# flow k has source 10.0.0.0 + k + 1), only when asked for.
if [[ " $SCENARIOS " == *" 64b-100kflows-1Mrules "* ]]; then
	awk 'BEGIN {
		for (k = 1; k <= 1000000; k++)
			printf "priority=10,ip,nw_src=10.%d.%d.%d,actions=output:2\n",
			       int(k / 65536) % 256, int(k / 256) % 256, k % 256;
	}' >"$WORK/rules-1M.txt"
fi

# Devices and rules of a scenario.
scenario_setup() {
	case "$1" in
	64b-1flow) RX_DEV="net_pcap0,rx_pcap=$WORK/64-1.pcap,infinite_rx=1"; RULES=$WORK/rules-simple.txt ;;
	64b-1kflows) RX_DEV="net_pcap0,rx_pcap=$WORK/64-1k.pcap,infinite_rx=1"; RULES=$WORK/rules-simple.txt ;;
	64b-100kflows) RX_DEV="net_pcap0,rx_pcap=$WORK/64-100k.pcap,infinite_rx=1"; RULES=$WORK/rules-simple.txt ;;
	1518b-1flow) RX_DEV="net_pcap0,rx_pcap=$WORK/1518-1.pcap,infinite_rx=1"; RULES=$WORK/rules-simple.txt ;;
	64b-1kflows-1krules)
		RX_DEV="net_pcap0,rx_pcap=$WORK/64-1k.pcap,infinite_rx=1"; RULES=$WORK/rules-1k.txt ;;
	64b-100kflows-1krules)
		RX_DEV="net_pcap0,rx_pcap=$WORK/64-100k.pcap,infinite_rx=1"; RULES=$WORK/rules-1k.txt ;;
	normal)
		RX_DEV="net_pcap0,rx_pcap=$WORK/64-1k.pcap,infinite_rx=1"; RULES=$WORK/rules-normal.txt ;;
	null)
		RX_DEV="net_null0"; RULES=$WORK/rules-simple.txt ;;
	64b-1kflows-4tables)
		RX_DEV="net_pcap0,rx_pcap=$WORK/64-1k.pcap,infinite_rx=1"; RULES=$WORK/rules-4tables.txt ;;
	64b-100kflows-4tables)
		RX_DEV="net_pcap0,rx_pcap=$WORK/64-100k.pcap,infinite_rx=1"; RULES=$WORK/rules-4tables.txt ;;
	normal-learnt)
		RX_DEV="net_pcap0,rx_pcap=$WORK/64-1k.pcap,infinite_rx=1"; RULES=$WORK/rules-normal.txt ;;
	64b-100kflows-1Mrules)
		RX_DEV="net_pcap0,rx_pcap=$WORK/64-100k.pcap,infinite_rx=1"; RULES=$WORK/rules-1M.txt ;;
	esac
	TX_DEV="net_null1,no-rx=1"
	# The sink teaches the switch the destination: a pcap read once on rx
	# (4 frames from :02 to :01); its tx then drops and counts, as a sink.
	[ "$1" = normal-learnt ] && TX_DEV="net_pcap1,rx_pcap=$WORK/learn.pcap"
	return 0
}

# ---------------------------------------------------------------- testpmd
# Prints "MPPS CYCLES" (cycles: "-", testpmd is not asked for them).
# $2: the forwarding mode, io (default: the bound, headers untouched) or mac
# (rewrites both MAC addresses of every packet, so it reads and writes every
# header as a switch does).
measure_testpmd() {
	local dir=$WORK/run/$1 logf want n mode=${2:-io}
	mkdir -p "$dir"
	logf=$dir/testpmd.log
	want=$((1 + WARMUP + SECONDS_MEASURE))
	bg_start "$logf" stdbuf -oL "$TESTPMD" --no-pci --file-prefix=bench_tp -l "$CTL_CPU,$FWD_CPU" \
		--log-level=lib.eal:error --vdev "$RX_DEV" --vdev "$TX_DEV" -- \
		--forward-mode="$mode" --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=$((MBUFS + 1)) \
		--auto-start --stats-period 1
	local pid=$BG_PID
	# One block of port statistics per second; the first is printed at start.
	for _ in $(seq $(((want + 40) * 10))); do
		n=$(grep -c 'NIC statistics for port 1' "$logf" || true)
		[ "$n" -ge "$want" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -INT "$pid" 2>/dev/null || true
	wait_gone "$pid" 10
	[ "$WAIT_RC" = 0 ] || note "$1: dpdk-testpmd exited with status $WAIT_RC"
	# Mean of the sink port's per-second Tx-pps over the measured seconds.
	awk -v skip=$((1 + WARMUP)) -v take="$SECONDS_MEASURE" '
		/NIC statistics for port/ { port = $(NF - 1) + 0 }
		/Tx-pps:/ && port == 1 { k++; if (k > skip && k <= skip + take) { s += $2; m++ } }
		END { if (m == take) printf "%.3f -\n", s / m / 1e6; else exit 1 }' "$logf" ||
		{ echo "testpmd: no statistics (see $logf)" >&2; tail -5 "$logf" >&2; return 1; }
}

measure_tpmac() {
	measure_testpmd "$1" mac
}

# ---------------------------------------------------------------- OVS-DPDK
# Each measure_* runs in a subshell of its own: its EXIT trap stops what
# it started, whether it ends well or not (the main loop also kills
# whatever is left, from $PIDFILE).
measure_ovs() {
	local dir=$WORK/run/$1
	mkdir -p "$dir"
	OVS_TAG=$1
	trap ovs_stop EXIT
	ovs_start "$dir/ovs" bench_ovs
	local vsctl=("${OVS_VSCTL[@]}")
	# Rules first, as for sluice: with the ports (and traffic) up first,
	# every flow added revalidates the datapath flows the traffic made (a
	# 1M-rule add-flows then takes more than 8 minutes instead of ~2).
	"${vsctl[@]}" add-br br0 -- set bridge br0 datapath_type=netdev
	ovs-ofctl del-flows br0
	ovs-ofctl add-flows br0 "$RULES"
	"${vsctl[@]}" add-port br0 p1 -- set Interface p1 type=dpdk "options:dpdk-devargs=$RX_DEV" ofport_request=1 \
		-- add-port br0 p2 -- set Interface p2 type=dpdk "options:dpdk-devargs=$TX_DEV" ofport_request=2
	local of1 of2
	of1=$("${vsctl[@]}" get Interface p1 ofport)
	of2=$("${vsctl[@]}" get Interface p2 ofport)
	if [ "$of1" != 1 ] || [ "$of2" != 2 ]; then
		echo "OVS: ports did not come up (ofport $of1, $of2): $("${vsctl[@]}" get Interface p1 error) $("${vsctl[@]}" get Interface p2 error)" >&2
		return 1
	fi
	# The bridge's own internal port would take a copy of every flooded
	# packet (NORMAL); sluice has no such port.
	ovs-ofctl mod-port br0 br0 no-flood
	sleep "$WARMUP"
	local t0 t1 p0 p1 cyc
	ovs_tx() { ovs-ofctl dump-ports br0 2 | awk -F'[=,]' '/tx pkts/ { print $2 + 0 }'; }
	timeout 10 ovs-appctl -t "$OVS_D/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-clear >/dev/null
	t0=$(date +%s.%N); p0=$(ovs_tx)
	sleep "$SECONDS_MEASURE"
	t1=$(date +%s.%N); p1=$(ovs_tx)
	timeout 10 ovs-appctl -t "$OVS_D/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-show >"$dir/ovs-pmd-stats.txt"
	cyc=$(awk -v core="$FWD_CPU" '
		/^pmd thread/ { on = ($0 ~ ("core_id " core ":")) }
		on && /avg processing cycles per packet:/ { print $6; exit }' "$dir/ovs-pmd-stats.txt")
	ovs-ofctl dump-flows br0 >"$dir/ovs-flows.txt" 2>&1 || true
	awk -v t0="$t0" -v t1="$t1" -v p0="$p0" -v p1="$p1" -v c="${cyc:--}" \
		'BEGIN { printf "%.3f %s\n", (p1 - p0) / (t1 - t0) / 1e6, c }'
}

# ---------------------------------------------------------------- sluice
SL_PPID="" SL_WPID=""
sluice_stop() {
	timeout 10 "${SL_CTL[@]}" --timeout 3000 shutdown >/dev/null 2>&1 || true
	if [ -n "$SL_WPID" ]; then
		wait_gone "$SL_WPID" 5
		[ "$WAIT_RC" = 0 ] || note "$SL_TAG: sluice-worker exited with status $WAIT_RC"
	fi
	if [ -n "$SL_PPID" ]; then
		wait_gone "$SL_PPID" 10
		[ "$WAIT_RC" = 0 ] || note "$SL_TAG: sluice-primary exited with status $WAIT_RC"
	fi
}

measure_sluice() {
	local dir=$WORK/run/$1 rd
	mkdir -p "$dir"
	rd=$dir/sl
	mkdir -p "$rd"
	SL_CTL=("$SLCTL" --rundir "$rd")
	SL_TAG=$1
	local ctl=("${SL_CTL[@]}") extra=()
	read -r -a extra <<<"$SLUICE_OPTS"
	trap sluice_stop EXIT
	bg_start "$dir/sluice-primary.log" "$BUILD/primary/sluice-primary" --no-pci --file-prefix=bench_sl \
		--proc-type=primary --lcores "0@$CTL_CPU" --log-level=lib.eal:error -- \
		--rundir "$rd" --workers 1 --mbufs "$MBUFS" "${extra[@]}"
	SL_PPID=$BG_PID
	"${ctl[@]}" wait-ready 30 0 || { tail -5 "$dir/sluice-primary.log" >&2; return 1; }
	bg_start "$dir/sluice-worker.log" "$BUILD/secondary/sluice-worker" --no-pci --file-prefix=bench_sl \
		--proc-type=secondary --lcores "1@$FWD_CPU" --log-level=lib.eal:error -- --id 0
	SL_WPID=$BG_PID
	"${ctl[@]}" wait-ready 30 1 || { tail -5 "$dir/sluice-worker.log" >&2; return 1; }
	# Rules first, so that the first packets already find them.
	"${ctl[@]}" --timeout 300000 add-flows "$RULES" # 1M rules take longer than the default 10 s
	"${ctl[@]}" add-port p1 "$RX_DEV" 1
	"${ctl[@]}" add-port p2 "$TX_DEV" 2
	sleep "$WARMUP"
	local s0 s1
	s0=$("${ctl[@]}" sample p2)
	sleep "$SECONDS_MEASURE"
	s1=$("${ctl[@]}" sample p2)
	"${ctl[@]}" pmd-stats >"$dir/sluice-pmd-stats.txt" || true
	"${ctl[@]}" port-stats p1 >"$dir/sluice-port-stats.txt" || true
	"${ctl[@]}" port-stats p2 >>"$dir/sluice-port-stats.txt" || true
	printf '%s\n%s\n' "$s0" "$s1" >"$dir/sluice-samples.txt"
	awk '
		{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] } }
		END {
			dt = v[2, "t"] - v[1, "t"];
			tx = v[2, "port_tx_packets"] - v[1, "port_tx_packets"];
			rx = v[2, "worker_rx_packets"] - v[1, "worker_rx_packets"];
			busy = v[2, "busy_cycles"] - v[1, "busy_cycles"];
			if (dt <= 0) exit 1;
			if (rx > 0) printf "%.3f %.1f\n", tx / dt / 1e6, busy / rx;
			else printf "%.3f -\n", tx / dt / 1e6;
		}' "$dir/sluice-samples.txt"
}

# ---------------------------------------------------------------- main loop
RESULTS=$WORK/results.txt
: >"$RESULTS"
OTHER_DPDK=$(pgrep -af -- '--file-prefix=' | grep -cv -- '--file-prefix=bench_' || true)
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
n_total=$(( REPS * $(wc -w <<<"$SCENARIOS") * $(wc -w <<<"$SWITCHES") ))
i=0
log "scenarios:$SCENARIOS; switches: $SWITCHES; $REPS x (${WARMUP}s warm-up + ${SECONDS_MEASURE}s)"
# Repetitions outermost, so that slow drifts of a shared machine spread
# over every switch and scenario alike.
for rep in $(seq "$REPS"); do
	for sc in $SCENARIOS; do
		scenario_setup "$sc"
		for sw in $SWITCHES; do
			i=$((i + 1))
			tag="$sc.$sw.$rep"
			# Other people's DPDK processes share the 2 CPUs: say so.
			foreign=$(pgrep -af -- '--file-prefix=' | grep -cv -- '--file-prefix=bench_' || true)
			[ "$foreign" = 0 ] || note "$tag: measured while $foreign other DPDK process(es) ran"
			set +e
			out=$( set -e; "measure_$sw" "$tag" 2>"$WORK/$tag.err" )
			rc=$?
			set -e
			stop_pids
			remove_prefix_files
			if [ $rc != 0 ] || [ -z "$out" ]; then
				log "($i/$n_total) $sc $sw rep $rep: FAILED (rc $rc)"
				sed 's/^/    /' "$WORK/$tag.err" | tail -8 >&2
				out="- -"
				FAILED=1
			else
				log "($i/$n_total) $sc $sw rep $rep: $out (Mpps cycles/pkt)"
			fi
			echo "$sc $sw $rep $out" >>"$RESULTS"
		done
	done
done

# ---------------------------------------------------------------- table
# median and min..max per scenario and switch; ratios of the medians.
table() {
	awk -v scenarios="$SCENARIOS" -v no_ovs="$NO_OVS" '
	function median(list,    a, n, i, j, t) {
		n = split(list, a, " ");
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
		if (n == 0) return "";
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2;
	}
	function minmax(list,    a, n, i, lo, hi) {
		n = split(list, a, " ");
		lo = hi = a[1];
		for (i = 2; i <= n; i++) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] }
		return sprintf("%.2f..%.2f", lo, hi);
	}
	function cell(key,    m) {
		if (!(key in mpps)) return "n/a";
		m = median(mpps[key]);
		if (cnt[key] > 1) return sprintf("%.2f (%s)", m, minmax(mpps[key]));
		return sprintf("%.2f", m);
	}
	function ratio(a, b) {
		if (!(a in mpps) || !(b in mpps)) return "n/a";
		if (median(mpps[b]) + 0 == 0) return "n/a";
		return sprintf("%.2f", median(mpps[a]) / median(mpps[b]));
	}
	function cyc(key) {
		if (!(key in cycles)) return "n/a";
		return sprintf("%.0f", median(cycles[key]));
	}
	{
		key = $1 SUBSEP $2;
		if ($4 != "-") { mpps[key] = mpps[key] " " $4; cnt[key]++ }
		if ($5 != "-") cycles[key] = cycles[key] " " $5;
	}
	END {
		print "| scenario | testpmd Mpps | testpmd mac Mpps | OVS Mpps | sluice Mpps | sluice/OVS | sluice/testpmd | sluice/testpmd mac | OVS cycles/pkt | sluice cycles/pkt |";
		print "|---|---|---|---|---|---|---|---|---|---|";
		n = split(scenarios, sc, " ");
		for (i = 1; i <= n; i++) {
			s = sc[i];
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s,
				cell(s SUBSEP "testpmd"), cell(s SUBSEP "tpmac"), no_ovs ? "skipped" : cell(s SUBSEP "ovs"),
				cell(s SUBSEP "sluice"),
				no_ovs ? "n/a" : ratio(s SUBSEP "sluice", s SUBSEP "ovs"),
				ratio(s SUBSEP "sluice", s SUBSEP "testpmd"),
				ratio(s SUBSEP "sluice", s SUBSEP "tpmac"),
				no_ovs ? "n/a" : cyc(s SUBSEP "ovs"), cyc(s SUBSEP "sluice");
		}
	}' "$RESULTS"
}

TABLE=$(table)
echo
echo "$TABLE"
echo
if [ -s "$WORK/notes.txt" ]; then
	log "seen during the run:"
	sed 's/^/    /' "$WORK/notes.txt" >&2
fi

if [ "$DOCS" = 1 ]; then
	mkdir -p "$(dirname "$DOCS_FILE")"
	{
		echo "# Benchmark"
		echo
		echo "Produced by \`$PROG${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
		[ $QUICK = 1 ] && echo "**A --quick smoke run: one repetition of 1 s. Not a measurement to quote.**"
		echo
		bench_machine_line
		echo "Load average at start: $LOADAVG; DPDK processes of others running at start: $OTHER_DPDK."
		echo
		echo "Mpps: median of $REPS repetition(s) of ${SECONDS_MEASURE} s each after ${WARMUP} s of" \
		     "warm-up, with the spread (min..max) when more than one. Ratios are of the medians."
		echo
		echo "$TABLE"
		echo
		echo "## How it was measured"
		echo
		echo "- Every switch forwards on one core, CPU $FWD_CPU: testpmd's forwarding lcore," \
		     "OVS's only PMD thread (pmd-cpu-mask), sluice's only worker."
		echo "- Devices are identical for all three: rx \`net_pcap0,rx_pcap=FILE,infinite_rx=1\`" \
		     "(64-byte files hold $PKTS_64 packets, the 1518-byte file $PKTS_1518), tx" \
		     "\`net_null1,no-rx=1\` (a sink). Scenario null: rx \`net_null0\` (the PMD makes" \
		     "64-byte packets), tx the same sink. \`--no-pci\` everywhere."
		echo "- Flows vary source IP and UDP source port; destination 192.0.2.1:9."
		echo "- Rules: \`in_port=1,actions=output:2\` (64b-*, 1518b, null);" \
		     "\`actions=NORMAL\` (normal, 1000 flows; the destination MAC is never learnt, so it" \
		     "floods to the only other port; OVS's bridge-internal port is set no-flood);" \
		     "normal-learnt: the same, but the sink is \`net_pcap1,rx_pcap=FILE\` whose rx" \
		     "gives 4 frames from the destination MAC once (so it is learnt on that port) and" \
		     "whose tx drops and counts;" \
		     "64b-1kflows-1krules: 999 non-matching drop rules (nw_dst and nw_src prefixes of" \
		     "/16../32, udp tp_dst) at priorities 1000..1998 above the matching rule at priority 1;" \
		     "*-4tables: table 0 in_port=1 -> load reg0, resubmit(,1); table 1 the same 999 ACL" \
		     "rules, then ip -> resubmit(,2); table 2 nw_dst=192.0.2.0/24 -> dec_ttl," \
		     "mod_nw_dst:198.51.100.1, resubmit(,3); table 3 reg0=1 -> output:2." \
		     "OVS and sluice load the same rule file; testpmd has no rules (\`--forward-mode=io\`," \
		     "and \`--forward-mode=mac\`, which rewrites both MAC addresses of every packet)."
		echo "- Mpps: the sink port's tx packets over the interval (OVS: \`ovs-ofctl dump-ports\`;" \
		     "sluice: dump_ports; testpmd: mean of its per-second Tx-pps of the sink port)."
		echo "- Cycles per packet, TSC cycles: OVS \`avg processing cycles per packet\` of" \
		     "\`dpif-netdev/pmd-stats-show\` cleared at the start of the interval; sluice: the" \
		     "worker's busy_cycles / rx_packets over the interval (pmd-stats). Both count only" \
		     "iterations that received packets."
		echo "- sluice polls the read-only pcap port (rx_pcap with infinite_rx, no tx_pcap) in" \
		     "its worker, with the same infinite-rx burst function the primary's start chose," \
		     "so all three switches read the file on their forwarding core (CPU 1)."
		echo "- Busy cycles (OVS and sluice alike) count every poll that returned at least one" \
		     "packet."
		echo "- sluice-primary's mbuf pool uses the lf_stack mempool driver by default (a worker" \
		     "killed inside a ring operation cannot wedge it); here every mbuf is allocated and" \
		     "freed on the worker's lcore, so its per-lcore cache absorbs that cost."
		echo "- OVS runs with its defaults (EMC, SMC off, shared mempool of 262144 mbufs, --in-memory" \
		     "EAL as OVS 3.1 adds it); sluice-primary with --mbufs $MBUFS${SLUICE_OPTS:+ $SLUICE_OPTS}" \
		     "(its default mbuf pool driver otherwise); testpmd with" \
		     "--total-num-mbufs=$((MBUFS + 1))."
		echo "- Each measurement starts the switch afresh. Repetitions are the outer loop."
		echo "- A 2-CPU machine shared with other work: compare within one run."
		echo
		if [ -s "$WORK/notes.txt" ]; then
			echo "## Seen during this run"
			echo
			sed 's/^/- /' "$WORK/notes.txt"
			echo
		fi
		echo "## Raw samples (scenario switch repetition Mpps cycles/pkt)"
		echo
		echo '```'
		cat "$RESULTS"
		echo '```'
	} >"$DOCS_FILE"
	log "wrote $DOCS_FILE"
fi
[ -z "${FAILED:-}" ] || { log "some measurements failed (logs in $WORK)"; KEEP=1; }
exit 0
