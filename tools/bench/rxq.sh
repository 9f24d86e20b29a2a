#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/rxq.sh: what per-rx-queue cycle accounting costs a worker, and
# two workers under a skewed load (one heavy queue, three light) with each
# rx queue assignment (roundrobin, cycles, group, cycles + auto-lb), sluice
# against OVS-DPDK 3.1 with the same queues, pmd-cpu-mask and
# pmd-rxq-assign.  Run ./tools/bench/rxq.sh --help for the details.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

PROG=tools/bench/rxq.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BENCH_NAME=rxq.sh
BENCH_PREFIXES="bench_rxq bench_ovs"
SLD_PREFIX=bench_rxq
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

REPS=3
SECONDS_MEASURE=5
WARMUP=2
ALB_WAIT=150
NO_OVS=0
ONLY=AB
QUICK=0
DOCS=""
DOCS_FILE="$SRC/docs/benchmark.md"
SECTION="## Rx queue assignment and its accounting"
BUILD="${SLUICE_BUILD:-$SRC/build}"
NOACCT_BUILD=""
KEEP=0
CTL_CPU=0      # sluice-primary, sluiced, OVS's main thread
FWD_CPU=1      # part A: the only worker
MASK=0x3       # part B: workers / PMD threads on cores 0 and 1
MBUFS=131071
ORIG_ARGS=("$@")

usage() {
	cat <<EOF
Usage: $PROG [--quick] [--only A|B] [--reps N] [--seconds S] [--warmup S]
                         [--alb-wait S] [--no-ovs] [--noacct-build DIR] [--docs | --no-docs]
                         [--output FILE] [--keep]

A. Accounting cost: one sluice worker on CPU $FWD_CPU forwards 64-byte packets
   (rx net_pcap infinite_rx, one flow; tx net_null no-rx) with the build
   as it is and with one configured -Drxq_cycles=false (per-queue cycle
   counting compiled out).  Reported: Mpps at the sink and the worker's avg
   processing cycles per packet (pmd-stats-show), alternating the builds,
   $REPS repetition(s).

B. Skewed load: pmd-cpu-mask=$MASK (two workers, cores 0 and 1; the control
   plane shares core 0), pmd-rxq-assign=cycles, ten rx queues: four sources
     h   net_pcap infinite_rx, 64 bytes, 100000 flows (misses the exact-match
         cache: heavy per packet)
     l1, l2, l3  net_pcap infinite_rx, 64 bytes, 1 flow (light per packet)
   and six idle queues (net_null no-rx, one of them the sink of the rules
   in_port=SOURCE,actions=output:z1), ordered so that, dealt at zero cycles,
   the four sources share one worker ("before").  Then a minute of measured
   history and pmd-rxq-rebalance (cycle-based assignment), and in a second
   run pmd-auto-lb=true (up to $ALB_WAIT s for it to act).  After each step
   (warm-up $WARMUP s) the aggregate rate over $SECONDS_MEASURE s: the sum of
   the sources' rx packets.  sluice and OVS alike; part B takes about 2 and
   3 minutes per switch.

Options:
  --quick            part A once with 1 s, part B with 1 s phases, 6 s of
                     history and no auto-lb wait; writes no docs unless --docs
  --only A|B         one part only
  --reps N           part A repetitions (default $REPS)
  --seconds S        measured interval (default $SECONDS_MEASURE)
  --warmup S         after each change (default $WARMUP)
  --alb-wait S       how long auto-lb gets (default $ALB_WAIT: it checks once a
                     minute and wants a minute of overload)
  --no-ovs           sluice only
  --noacct-build DIR a build with -Drxq_cycles=false (default: configured and
                     built in the work directory)
  --docs, --no-docs  write (or not) the "$SECTION" section of
                     docs/benchmark.md (default: write unless --quick)
  --output FILE      another file for it
  --keep             keep the work directory
  --help             this text

Needs root, hugepages, the built tree (\$SLUICE_BUILD or build/), jq, and
for OVS Debian's openvswitch-switch-dpdk (installed if missing, run from a
private directory).  Every process it starts and the hugepage files of its
prefixes are removed on exit.
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1; REPS=1; SECONDS_MEASURE=1; WARMUP=1; ALB_WAIT=0 ;;
	--only) bench_need_value "$@"; ONLY=$2; shift ;;
	--alb-wait) bench_need_value "$@"; ALB_WAIT=$2; shift ;;
	--no-ovs) NO_OVS=1 ;;
	--noacct-build) bench_need_value "$@"; NOACCT_BUILD=$2; shift ;;
	*) bench_common_opt "$@"; shift "$BENCH_SHIFT"; continue ;;
	esac
	shift
done
bench_check_common_opts
[[ $ALB_WAIT =~ ^[0-9]+$ ]] || die "--alb-wait: $ALB_WAIT is not a whole number of seconds"
[[ $ONLY =~ ^(A|B|AB)$ ]] || die "--only: A or B"

BENCH_TOOLS=jq
bench_begin 900 /tmp/slrxq.XXXXXX primary/sluice-primary secondary/sluice-worker ctl/sluiced \
	ctl/sluicectl tools/bench/genpcap
[ $NO_OVS = 1 ] || [ "$ONLY" = A ] || ovs_install

if [ -z "$NOACCT_BUILD" ] && [ "$ONLY" != B ]; then
	NOACCT_BUILD=$WORK/build-noacct
	log "configuring a build without rx queue accounting in $NOACCT_BUILD"
	if ! { meson setup "$NOACCT_BUILD" "$SRC" -Drxq_cycles=false &&
		ninja -C "$NOACCT_BUILD" primary/sluice-primary secondary/sluice-worker; } \
		>"$WORK/noacct-build.log" 2>&1; then
		die "the -Drxq_cycles=false build failed (see $WORK/noacct-build.log)"
	fi
fi

log "generating traffic in $WORK"
"$BUILD/tools/bench/genpcap" -o "$WORK/one.pcap" -n 10000 -f 1 -s 64 >/dev/null
"$BUILD/tools/bench/genpcap" -o "$WORK/many.pcap" -n 100000 -f 100000 -s 64 >/dev/null

# ---------------------------------------------------------------- sluice
sl_port_rx() { sl_ctl dump-ports "$1" | sed -n 's/.*rx pkts=\([0-9]*\).*/\1/p'; }
sl_port_tx() { sl_ctl dump-ports "$1" | sed -n 's/.*tx pkts=\([0-9]*\).*/\1/p'; }

# ---------------------------------------------------------------- A: accounting cost
# measure_acct TAG BUILD: "Mpps cycles/pkt"
measure_acct() {
	local dir=$WORK/run/$1 t0 t1 p0 p1 cyc
	mkdir -p "$dir"
	trap sluice_stop EXIT
	sluice_start "$dir" "$2" 1
	sl_ctl add-flow "in_port=1,actions=output:2"
	sl_ctl add-port sink "net_null_ra,no-rx=1" ofport=2
	sl_ctl add-port src "net_pcap_ra,rx_pcap=$WORK/one.pcap,infinite_rx=1" ofport=1
	sleep "$WARMUP"
	sl_ctl pmd-stats-clear
	t0=$(date +%s.%N); p0=$(sl_port_tx sink)
	sleep "$SECONDS_MEASURE"
	t1=$(date +%s.%N); p1=$(sl_port_tx sink)
	sl_ctl pmd-stats-show >"$dir/pmd-stats.txt"
	cyc=$(awk '/avg processing cycles per packet:/ { print $6; exit }' "$dir/pmd-stats.txt")
	awk -v t0="$t0" -v t1="$t1" -v p0="$p0" -v p1="$p1" -v c="${cyc:--}" \
		'BEGIN { printf "%.3f %s\n", (p1 - p0) / (t1 - t0) / 1e6, c }'
}

# ---------------------------------------------------------------- B: skewed load
# Ten rx queues in this order (port number, then queue): z1 (two queues;
# also the sink), h, z2, z3, l1, l2, z4, z5, l3; z* are net_null no-rx
# (idle).  z1's queues are pinned to cores 0 and 1 while the ports are
# added, so both workers are isolated and no source is polled: nothing is
# measured.  Clearing the pins deals the queues, all at zero cycles, up and
# down the two cores (0,1,1,0,0,1,1,0,0,1): the four sources land on
# core 1, core 0 gets the idle queues.  That is "before".  Then either
# pmd-rxq-rebalance after a minute of measured history (cycle-based
# assignment), or pmd-auto-lb moves them.
PORTS="z1 h z2 z3 l1 l2 z4 z5 l3"
SOURCES="h l1 l2 l3"
port_dev() {
	case $1 in
	z*) echo "net_null_${2}$1,no-rx=1" ;;
	h) echo "net_pcap_${2}h,rx_pcap=$WORK/many.pcap,infinite_rx=1" ;;
	l*) echo "net_pcap_${2}$1,rx_pcap=$WORK/one.pcap,infinite_rx=1" ;;
	esac
}

# skew_phases SWITCH DIR MODE: prints "phase Mpps" lines; MODE rebalance|auto-lb.
skew_phases() {
	local sw=$1 dir=$2 mode=$3 released
	"${sw}_release" "$mode"
	released=$(date +%s)
	skew_measure "$sw" "$dir" before
	if [ "$mode" = rebalance ]; then
		# A minute of history (12 intervals of 5 s), as OVS keeps it.
		while [ $(( $(date +%s) - released )) -lt $(( QUICK ? 6 : 62 )) ]; do sleep 1; done
		"${sw}_rebalance"
		skew_measure "$sw" "$dir" after-cycles
	else
		while [ $(( $(date +%s) - released )) -lt "$ALB_WAIT" ] && ! "${sw}_alb_moved"; do
			sleep 2
		done
		"${sw}_alb_moved" && echo "auto-lb-after-s $(( $(date +%s) - released ))" ||
			echo "auto-lb-after-s -"
		skew_measure "$sw" "$dir" after-auto-lb
	fi
}

skew_measure() {
	local sw=$1 dir=$2 phase=$3 t0 t1 r0 r1
	sleep "$WARMUP"
	t0=$(date +%s.%N); r0=$("${sw}_rx")
	sleep "$SECONDS_MEASURE"
	t1=$(date +%s.%N); r1=$("${sw}_rx")
	"${sw}_show" >"$dir/rxq-show-$phase.txt" 2>&1 || true
	awk -v ph="$phase" -v t0="$t0" -v t1="$t1" -v p0="$r0" -v p1="$r1" \
		'BEGIN { printf "%s %.3f\n", ph, (p1 - p0) / (t1 - t0) / 1e6 }'
}

sluice_release() {
	sl_ctl set-port z1 pmd-rxq-affinity= >/dev/null
	[ "$1" = auto-lb ] && sl_ctl set pmd-auto-lb=true >/dev/null
	return 0
}
sluice_rebalance() { sl_ctl pmd-rxq-rebalance >/dev/null; }
sluice_alb_moved() { sl_ctl pmd-rxq-show | grep -q '^pmd-auto-lb: .*reassigned'; }
sluice_rx() {
	local s=0 p
	for p in $SOURCES; do s=$((s + $(sl_port_rx "$p"))); done
	echo "$s"
}
sluice_show() { sl_ctl pmd-rxq-show; }

# measure_skew_sluice TAG MODE
measure_skew_sluice() {
	local dir=$WORK/run/$1 p n=0
	mkdir -p "$dir"
	trap sluice_stop EXIT
	sluice_start "$dir" "$BUILD" 2
	for p in 2 5 6 9; do echo "in_port=$p,actions=output:1"; done | sl_ctl add-flows -
	for p in $PORTS; do
		n=$((n + 1))
		if [ "$p" = z1 ]; then
			sl_ctl add-port z1 "$(port_dev z1 s)" ofport=1 n_rxq=2 pmd-rxq-affinity=0:0,1:1 >/dev/null
		else
			sl_ctl add-port "$p" "$(port_dev "$p" s)" ofport="$n" >/dev/null
		fi
	done
	sleep 1
	skew_phases sluice "$dir" "$2"
}

OVS_APPCTL=()
ovs_release() {
	"${OVS_VSCTL[@]}" remove Interface z1 other_config pmd-rxq-affinity
	[ "$1" = auto-lb ] && "${OVS_VSCTL[@]}" set Open_vSwitch . other_config:pmd-auto-lb=true
	return 0
}
ovs_rebalance() { "${OVS_APPCTL[@]}" dpif-netdev/pmd-rxq-rebalance >/dev/null; sleep 1; }
ovs_alb_moved() { grep -q 'auto load balance dry run' "$OVS_D/ovs-vswitchd.log"; }
ovs_rx() {
	ovs-ofctl dump-ports br0 | awk -F'[=,]' '/port +(2|5|6|9): rx pkts/ { s += $2 } END { print s + 0 }'
}
ovs_show() { "${OVS_APPCTL[@]}" dpif-netdev/pmd-rxq-show; }

measure_skew_ovs() {
	local dir=$WORK/run/$1 p n=0
	mkdir -p "$dir"
	OVS_TAG=$1
	trap ovs_stop EXIT
	ovs_start "$dir/ovs" bench_ovs
	OVS_APPCTL=(timeout 10 ovs-appctl -t "$OVS_D/ovs-vswitchd.ctl")
	"${OVS_VSCTL[@]}" set Open_vSwitch . "other_config:pmd-cpu-mask=$MASK" \
		other_config:pmd-rxq-assign=cycles
	"${OVS_VSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev
	# One at a time, so that datapath port numbers follow this order.
	for p in $PORTS; do
		n=$((n + 1))
		if [ "$p" = z1 ]; then
			"${OVS_VSCTL[@]}" add-port br0 z1 -- set Interface z1 type=dpdk \
				"options:dpdk-devargs=$(port_dev z1 o)" options:n_rxq=2 \
				'other_config:pmd-rxq-affinity="0:0,1:1"' ofport_request=1
		else
			"${OVS_VSCTL[@]}" add-port br0 "$p" -- set Interface "$p" type=dpdk \
				"options:dpdk-devargs=$(port_dev "$p" o)" ofport_request="$n"
		fi
	done
	for p in $PORTS; do
		[ "$("${OVS_VSCTL[@]}" get Interface "$p" ofport)" -gt 0 ] ||
			{ echo "OVS: port $p did not come up: $("${OVS_VSCTL[@]}" get Interface "$p" error)" >&2; return 1; }
	done
	ovs-ofctl del-flows br0
	for p in 2 5 6 9; do ovs-ofctl add-flow br0 "in_port=$p,actions=output:1"; done
	sleep 1
	skew_phases ovs "$dir" "$2"
	grep -i "auto load balance\|pmd-rxq\|rx queue" "$OVS_D/ovs-vswitchd.log" >"$dir/ovs-alb.log" || true
}

# ---------------------------------------------------------------- run
RESULTS=$WORK/results.txt
: >"$RESULTS"
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
run() {
	local tag=$1 out rc
	shift
	set +e
	out=$( set -e; "$@" 2>"$WORK/$tag.err" )
	rc=$?
	set -e
	stop_pids
	remove_prefix_files
	if [ $rc != 0 ] || [ -z "$out" ]; then
		log "$tag: FAILED (rc $rc)"
		sed 's/^/    /' "$WORK/$tag.err" | tail -8 >&2
		FAILED=1
		return 1
	fi
	echo "$out"
}

[ "$ONLY" = B ] && REPS_A=0 || REPS_A=$REPS
for rep in $(seq "$REPS_A"); do
	for b in acct noacct; do
		build=$BUILD
		[ $b = noacct ] && build=$NOACCT_BUILD
		if out=$(run "acct-$b-$rep" measure_acct "acct-$b-$rep" "$build"); then
			log "A $b rep $rep: $out (Mpps cycles/pkt)"
			echo "A $b $rep $out" >>"$RESULTS"
		fi
	done
done
SWITCHES=sluice
[ $NO_OVS = 1 ] || SWITCHES="sluice ovs"
[ "$ONLY" = A ] && SWITCHES=""
for mode in rebalance auto-lb; do
	for sw in $SWITCHES; do
		log "B $sw $mode"
		if out=$(run "skew-$sw-$mode" "measure_skew_$sw" "skew-$sw-$mode" "$mode"); then
			while read -r ph mpps; do
				log "B $sw $mode $ph: $mpps"
				echo "B $sw $mode $ph $mpps" >>"$RESULTS"
			done <<<"$out"
		fi
	done
done

# ---------------------------------------------------------------- report
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
a_col() { awk -v b="$1" -v c="$2" '$1 == "A" && $2 == b { print $c }' "$RESULTS" | median; }
b_val() { awk -v s="$1" -v m="$2" -v p="$3" '$1 == "B" && $2 == s && $3 == m && $4 == p { print $5 }' "$RESULTS"; }

section() {
	local with_m with_c without_m without_c ph
	with_m=$(a_col acct 4); with_c=$(a_col acct 5)
	without_m=$(a_col noacct 4); without_c=$(a_col noacct 5)
	echo "$SECTION"
	echo
	echo "Produced by \`$PROG${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
	[ $QUICK = 1 ] && echo "**A --quick smoke run. Not a measurement to quote.**"
	echo
	bench_machine_line
	echo "Load average at start: $LOADAVG."
	echo
	echo "**A. What counting cycles per rx queue costs** (one worker, CPU $FWD_CPU, 64-byte packets," \
	     "one flow, pcap infinite_rx -> net_null; median of $REPS):"
	echo
	echo "| build | Mpps | avg processing cycles/pkt |"
	echo "|---|---|---|"
	echo "| accounting (default) | ${with_m:-n/a} | ${with_c:-n/a} |"
	echo "| -Drxq_cycles=false | ${without_m:-n/a} | ${without_c:-n/a} |"
	if [ -n "$with_c" ] && [ -n "$without_c" ]; then
		echo
		echo "Difference (with minus without): $(awk -v a="$with_c" -v b="$without_c" 'BEGIN { printf "%.1f", a - b }')" \
		     "cycles per packet, $(awk -v a="$with_m" -v b="$without_m" 'BEGIN { printf "%+.1f", (a / b - 1) * 100 }') % Mpps."
	fi
	echo
	echo "**B. Two workers, one heavy queue and three light** (pmd-cpu-mask=$MASK," \
	     "pmd-rxq-assign=cycles; aggregate Mpps of the four sources over ${SECONDS_MEASURE} s):"
	echo
	echo "| | sluice Mpps | OVS Mpps | sluice/OVS |"
	echo "|---|---|---|---|"
	local row mode ph label sw
	for row in "rebalance before|before: the 4 sources on one worker" \
		   "rebalance after-cycles|after pmd-rxq-rebalance (cycle-based, a minute of history)" \
		   "auto-lb before|before (second run, pmd-auto-lb=true)" \
		   "auto-lb after-auto-lb|after auto-lb moved queues"; do
		mode=${row%% *}; ph=${row#* }; ph=${ph%%|*}; label=${row#*|}
		local sv ov
		sv=$(b_val sluice "$mode" "$ph"); ov=$(b_val ovs "$mode" "$ph")
		echo "| $label | ${sv:-n/a} | ${ov:-n/a} | $(awk -v a="${sv:-0}" -v b="${ov:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }') |"
	done
	echo
	echo "auto-lb moved the queues after: sluice $(b_val sluice auto-lb auto-lb-after-s || true) s," \
	     "OVS $(b_val ovs auto-lb auto-lb-after-s || true) s (\"-\": not within $ALB_WAIT s)."
	echo
	echo "- Rx queues, in order: z1 (2 queues; also the sink), h, z2, z3, l1, l2, z4, z5, l3. h:" \
	     "64-byte packets of 100000 flows (every packet misses the exact-match cache); l1..l3: one" \
	     "flow each; all \`net_pcap,infinite_rx=1\`. z*: \`net_null,no-rx=1\`, idle. Rules" \
	     "\`in_port=SOURCE,actions=output:z1\`. OVS gets the same devices, rules, pmd-cpu-mask and" \
	     "pmd-rxq-assign, its main thread on core $CTL_CPU as sluice-primary."
	echo "- Both switches start with z1's queues pinned to cores 0 and 1, so nothing else is polled" \
	     "or measured; clearing the pins deals the ten queues, all at zero cycles, up and down the" \
	     "cores (0,1,1,0,0,1,1,0,0,1): the four sources on core 1, the idle queues on core 0." \
	     "That is \"before\": one worker does all the work. Then a minute of history and" \
	     "pmd-rxq-rebalance, or (a second run) pmd-auto-lb=true with its defaults (load 95 %," \
	     "improvement 25 %, every minute)."
	echo "- Every source delivers full bursts whenever it is polled: a worker with sources is 100 %" \
	     "busy, and a queue's measured cycles are the share of its worker it got. Placements" \
	     "(pmd usage in brackets):"
	echo
	for mode in rebalance auto-lb; do
		for sw in $SWITCHES; do
			for ph in before after-cycles after-auto-lb; do
				local f=$WORK/run/skew-$sw-$mode/rxq-show-$ph.txt
				[ -s "$f" ] || continue
				echo "  - $sw, $mode, $ph: $(awk '
					/core_id/ { if (l != "") printf "%s; ", l; c = $0; sub(/.*core_id /, "core ", c); l = c; next }
					/queue-id/ && $2 ~ /^[hl]/ { u = $0; sub(/.*pmd usage: */, "", u); l = l " " $2 " (" u ")" }
					END { print l }' "$f")"
			done
		done
	done
	if [ -s "$WORK/run/skew-sluice-auto-lb/rxq-show-after-auto-lb.txt" ]; then
		echo "- sluice's pmd-rxq-show: $(grep '^pmd-auto-lb:' "$WORK/run/skew-sluice-auto-lb/rxq-show-after-auto-lb.txt" || echo 'no auto-lb line')"
	fi
	if [ -s "$WORK/run/skew-ovs-auto-lb/ovs-alb.log" ]; then
		echo "- OVS's log: $(grep -o 'PMD auto load balance dry run.*' "$WORK/run/skew-ovs-auto-lb/ovs-alb.log" | head -1)"
	fi
	echo
	echo "Raw (A build rep Mpps cycles/pkt; B switch mode phase Mpps, or seconds for auto-lb-after-s):"
	echo
	echo '```'
	cat "$RESULTS"
	echo '```'
}

bench_finish --print
