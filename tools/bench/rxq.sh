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
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

REPS=3
SECONDS_MEASURE=5
WARMUP=2
ALB_WAIT=75
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
   plane shares core 0), four source ports of one rx queue each and a sink:
     h   net_pcap infinite_rx, 64 bytes, 100000 flows (misses the exact-match
         cache: heavy per packet)
     l1, l2, l3  net_pcap infinite_rx, 64 bytes, 1 flow (light per packet)
     sink  net_null no-rx
   rules in_port=N,actions=output:sink.  On one running switch, in turn:
   pmd-rxq-assign=roundrobin; after a minute of measured history cycles;
   group; cycles with pmd-auto-lb=true for $ALB_WAIT s.  After each change
   (warm-up $WARMUP s) the aggregate rate is measured over $SECONDS_MEASURE s:
   the sum of the four sources' rx packets.  Both sluice and OVS, one
   repetition each (part B takes some 3 minutes per switch).

Options:
  --quick            part A once with 1 s, part B with 1 s phases and no
                     auto-lb wait; writes no docs unless --docs
  --only A|B         one part only
  --reps N           part A repetitions (default $REPS)
  --seconds S        measured interval (default $SECONDS_MEASURE)
  --warmup S         after each change (default $WARMUP)
  --alb-wait S       how long auto-lb gets (default $ALB_WAIT; OVS checks every
                     minute at the earliest)
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
	--help|-h) usage; exit 0 ;;
	--quick) QUICK=1; REPS=1; SECONDS_MEASURE=1; WARMUP=1; ALB_WAIT=0 ;;
	--only) ONLY=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--seconds) SECONDS_MEASURE=$2; shift ;;
	--warmup) WARMUP=$2; shift ;;
	--alb-wait) ALB_WAIT=$2; shift ;;
	--no-ovs) NO_OVS=1 ;;
	--noacct-build) NOACCT_BUILD=$2; shift ;;
	--docs) DOCS=1 ;;
	--no-docs) DOCS=0 ;;
	--output) DOCS_FILE=$2; DOCS=${DOCS:-1}; shift ;;
	--keep) KEEP=1 ;;
	*) echo "rxq.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
for v in REPS SECONDS_MEASURE; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "${v,,}: ${!v} is not a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ && $ALB_WAIT =~ ^[0-9]+$ ]] || die "--warmup, --alb-wait: whole seconds"
[[ $ONLY =~ ^(A|B|AB)$ ]] || die "--only: A or B"
[ -n "$DOCS" ] || { if [ $QUICK = 1 ]; then DOCS=0; else DOCS=1; fi; }

bench_check_host 900
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
for b in primary/sluice-primary secondary/sluice-worker ctl/sluiced ctl/sluicectl tools/bench/genpcap; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b not found: build first"
done
bench_lock
bench_check_prefixes_free
WORK=$(mktemp -d /tmp/slrxq.XXXXXX)
PIDFILE=$WORK/pids
: >"$PIDFILE"
POLICY_RC_CREATED=0
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
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
SL_RD="" SL_PIDS=()
sl_ctl() { "$BUILD/ctl/sluicectl" --rundir "$SL_RD" "$@"; }

sluice_stop() {
	local pid
	[ -n "$SL_RD" ] && [ -S "$SL_RD/sluiced.sock" ] &&
		timeout 15 "$BUILD/ctl/sluicectl" --rundir "$SL_RD" --timeout 10000 shutdown >/dev/null 2>&1
	for pid in "${SL_PIDS[@]}"; do
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	done
	return 0
}

# sluice_start DIR BUILD NWORKERS: sluiced (from BUILD) with NWORKERS workers running.
sluice_start() {
	local dir=$1 build=$2 n=$3 json st pid
	SL_RD=$dir/sl
	mkdir -p "$SL_RD"
	"$BUILD/ctl/sluiced" --rundir "$SL_RD" --workers 1 --lcores "$CTL_CPU,$FWD_CPU" \
		--primary-bin "$build/primary/sluice-primary" --worker-bin "$build/secondary/sluice-worker" \
		--primary-args "--mbufs $MBUFS" \
		--eal-args "--no-pci --file-prefix=bench_rxq --log-level=lib.eal:error" --detach \
		>"$dir/sluiced.out" 2>&1 || { tail -5 "$dir/sluiced.out" >&2; return 1; }
	pid=$(cat "$SL_RD/sluiced.pid")
	pid_record "$pid"
	SL_PIDS+=("$pid")
	[ "$n" = 1 ] || sl_ctl set "pmd-cpu-mask=$MASK"
	for _ in $(seq 300); do
		json=$(sl_ctl --json show 2>/dev/null) || json='{}'
		st=$(jq -r '[.workers[]? | select(.state == "running")] | length' <<<"$json")
		[ "$st" = "$n" ] && break
		sleep 0.1
	done
	[ "$st" = "$n" ] || { echo "sluice: $st workers running, not $n" >&2; return 1; }
	for pid in $(jq -r '.daemon.primary_pid, .workers[].pid' <<<"$json"); do
		pid_record "$pid"
		SL_PIDS+=("$pid")
	done
}

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
PHASES="roundrobin cycles group auto-lb"

# skew_phases SWITCH DIR: runs the phases with set_assign / agg_rx / show_rxq
# defined for SWITCH; prints "phase Mpps" lines.
skew_phases() {
	local sw=$1 dir=$2 phase r0 r1 t0 t1 started
	started=$(date +%s)
	for phase in $PHASES; do
		case $phase in
		roundrobin) "${sw}_assign" roundrobin ;;
		cycles)
			# A minute of history (12 intervals of 5 s) before the queues are
			# placed by their cycles, as OVS would have after running a while.
			while [ $(( $(date +%s) - started )) -lt $(( QUICK ? 6 : 62 )) ]; do sleep 1; done
			"${sw}_assign" cycles ;;
		group) "${sw}_assign" group ;;
		auto-lb)
			"${sw}_assign" cycles
			"${sw}_alb"
			sleep "$ALB_WAIT" ;;
		esac
		sleep "$WARMUP"
		t0=$(date +%s.%N); r0=$("${sw}_rx")
		sleep "$SECONDS_MEASURE"
		t1=$(date +%s.%N); r1=$("${sw}_rx")
		"${sw}_show" >"$dir/rxq-show-$phase.txt" 2>&1 || true
		awk -v ph="$phase" -v t0="$t0" -v t1="$t1" -v p0="$r0" -v p1="$r1" \
			'BEGIN { printf "%s %.3f\n", ph, (p1 - p0) / (t1 - t0) / 1e6 }'
	done
}

sluice_assign() { sl_ctl set "pmd-rxq-assign=$1" >/dev/null; }
sluice_alb() { sl_ctl set pmd-auto-lb=true >/dev/null; }
sluice_rx() {
	local s=0 p
	for p in h l1 l2 l3; do s=$((s + $(sl_port_rx "$p"))); done
	echo "$s"
}
sluice_show() { sl_ctl pmd-rxq-show; }

measure_skew_sluice() {
	local dir=$WORK/run/$1
	mkdir -p "$dir"
	trap sluice_stop EXIT
	sluice_start "$dir" "$BUILD" 2
	sl_ctl set pmd-rxq-assign=roundrobin
	sl_ctl add-flows - <<-EOF
		in_port=1,actions=output:5
		in_port=2,actions=output:5
		in_port=3,actions=output:5
		in_port=4,actions=output:5
	EOF
	sl_ctl add-port sink "net_null_rs,no-rx=1" ofport=5
	sl_ctl add-port h "net_pcap_rh,rx_pcap=$WORK/many.pcap,infinite_rx=1" ofport=1
	sl_ctl add-port l1 "net_pcap_rl1,rx_pcap=$WORK/one.pcap,infinite_rx=1" ofport=2
	sl_ctl add-port l2 "net_pcap_rl2,rx_pcap=$WORK/one.pcap,infinite_rx=1" ofport=3
	sl_ctl add-port l3 "net_pcap_rl3,rx_pcap=$WORK/one.pcap,infinite_rx=1" ofport=4
	skew_phases sluice "$dir"
}

OVS_APPCTL=()
ovs_assign() { "${OVS_VSCTL[@]}" set Open_vSwitch . "other_config:pmd-rxq-assign=$1"; sleep 1; }
ovs_alb() { "${OVS_VSCTL[@]}" set Open_vSwitch . other_config:pmd-auto-lb=true; }
ovs_rx() {
	ovs-ofctl dump-ports br0 | awk -F'[=,]' '/port +[1-4]: rx pkts/ { s += $2 } END { print s + 0 }'
}
ovs_show() { "${OVS_APPCTL[@]}" dpif-netdev/pmd-rxq-show; }

measure_skew_ovs() {
	local dir=$WORK/run/$1 p
	mkdir -p "$dir"
	OVS_TAG=$1
	FWD_CPU=1
	trap ovs_stop EXIT
	ovs_start "$dir/ovs" bench_ovs
	OVS_APPCTL=(timeout 10 ovs-appctl -t "$OVS_D/ovs-vswitchd.ctl")
	"${OVS_VSCTL[@]}" set Open_vSwitch . "other_config:pmd-cpu-mask=$MASK" \
		other_config:pmd-rxq-assign=roundrobin
	"${OVS_VSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev \
		-- add-port br0 sink -- set Interface sink type=dpdk "options:dpdk-devargs=net_null_os,no-rx=1" ofport_request=5 \
		-- add-port br0 h -- set Interface h type=dpdk "options:dpdk-devargs=net_pcap_oh,rx_pcap=$WORK/many.pcap,infinite_rx=1" ofport_request=1 \
		-- add-port br0 l1 -- set Interface l1 type=dpdk "options:dpdk-devargs=net_pcap_ol1,rx_pcap=$WORK/one.pcap,infinite_rx=1" ofport_request=2 \
		-- add-port br0 l2 -- set Interface l2 type=dpdk "options:dpdk-devargs=net_pcap_ol2,rx_pcap=$WORK/one.pcap,infinite_rx=1" ofport_request=3 \
		-- add-port br0 l3 -- set Interface l3 type=dpdk "options:dpdk-devargs=net_pcap_ol3,rx_pcap=$WORK/one.pcap,infinite_rx=1" ofport_request=4
	for p in h l1 l2 l3 sink; do
		[ "$("${OVS_VSCTL[@]}" get Interface "$p" ofport)" -gt 0 ] ||
			{ echo "OVS: port $p did not come up: $("${OVS_VSCTL[@]}" get Interface "$p" error)" >&2; return 1; }
	done
	ovs-ofctl del-flows br0
	for p in 1 2 3 4; do ovs-ofctl add-flow br0 "in_port=$p,actions=output:5"; done
	skew_phases ovs "$dir"
	grep -i "auto load balance\|assign\|rebalance" "$dir/ovs/ovs-vswitchd.log" >"$dir/ovs-alb.log" || true
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
for sw in $SWITCHES; do
	log "B $sw: phases $PHASES (about $(( (QUICK ? 6 : 62) + 4 * (WARMUP + SECONDS_MEASURE) + ALB_WAIT )) s)"
	if out=$(run "skew-$sw" "measure_skew_$sw" "skew-$sw"); then
		while read -r ph mpps; do
			log "B $sw $ph: $mpps Mpps"
			echo "B $sw $ph $mpps" >>"$RESULTS"
		done <<<"$out"
	fi
done

# ---------------------------------------------------------------- report
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
a_col() { awk -v b="$1" -v c="$2" '$1 == "A" && $2 == b { print $c }' "$RESULTS" | median; }
b_val() { awk -v s="$1" -v p="$2" '$1 == "B" && $2 == s && $3 == p { print $4 }' "$RESULTS"; }

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
	echo "**B. Two workers, one heavy queue and three light** (pmd-cpu-mask=$MASK; aggregate Mpps" \
	     "of the four sources over ${SECONDS_MEASURE} s after each change):"
	echo
	echo "| pmd-rxq-assign | sluice Mpps | OVS Mpps | sluice/OVS |"
	echo "|---|---|---|---|"
	for ph in $PHASES; do
		local s o
		s=$(b_val sluice "$ph"); o=$(b_val ovs "$ph")
		echo "| $ph | ${s:-n/a} | ${o:-n/a} | $( [ -n "$s" ] && [ -n "$o" ] && awk -v a="$s" -v b="$o" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }' || echo n/a) |"
	done
	echo
	echo "- Queues: h (64-byte packets of 100000 flows: every packet misses the exact-match cache)" \
	     "and l1..l3 (one flow each), all \`net_pcap,infinite_rx=1\`; the sink \`net_null,no-rx=1\`" \
	     "has an idle rx queue too; rules \`in_port=N,actions=output:sink\`. OVS gets the same" \
	     "devices, rules, pmd-cpu-mask and pmd-rxq-assign (its main thread on core $CTL_CPU, as" \
	     "sluice-primary)."
	echo "- Phases in order on one running switch: roundrobin from the start; cycles after a minute" \
	     "of history; group; cycles with pmd-auto-lb=true (defaults: load 95 %, improvement" \
	     "25 %, interval 1 min) for $ALB_WAIT s."
	echo "- Every source delivers full bursts whenever polled, so both workers are always 100 %" \
	     "busy: a queue's measured cycles are the share of its worker the assignment gives it, the" \
	     "load variance between the workers is about zero, and auto-lb finds nothing to improve" \
	     "(in OVS and in sluice alike). The aggregate differs between assignments only by which" \
	     "queues share a worker (a worker polls its queues in turn, so a light queue beside the" \
	     "heavy one is served as often as the heavy one is). What the placements were:"
	echo
	for sw in $SWITCHES; do
		for ph in $PHASES; do
			local f=$WORK/run/skew-$sw/rxq-show-$ph.txt
			[ -s "$f" ] || continue
			echo "  - $sw, $ph: $(awk '
				/core_id/ { if (l != "") printf "%s; ", l; c = $0; sub(/.*core_id /, "core ", c); l = c; next }
				/queue-id/ { u = $0; sub(/.*pmd usage: */, "", u); l = l " " $2 " (" u ")" }
				END { print l }' "$f")"
		done
	done
	if [ -s "$WORK/run/skew-sluice/rxq-show-auto-lb.txt" ]; then
		echo "- sluice's auto-lb: $(grep '^pmd-auto-lb:' "$WORK/run/skew-sluice/rxq-show-auto-lb.txt" || echo 'did nothing (no worker was overloaded for a minute)')"
	fi
	if [ -e "$WORK/run/skew-ovs/ovs-alb.log" ]; then
		local n
		n=$(grep -c 'auto load balance dry run' "$WORK/run/skew-ovs/ovs-alb.log" || true)
		echo "- OVS's auto-lb: reassigned $n time(s) (its log line \"PMD auto load balance dry run." \
		     "Requesting datapath reconfigure.\"; it logs its checks at debug level only)."
	fi
	echo
	echo "Raw (A build rep Mpps cycles/pkt; B switch phase Mpps):"
	echo
	echo '```'
	cat "$RESULTS"
	echo '```'
}

echo
section | tee "$WORK/section.md"
if [ "$DOCS" = 1 ]; then
	[ -e "$DOCS_FILE" ] || printf '# Benchmark\n\n' >"$DOCS_FILE"
	awk -v head="$SECTION" -v secfile="$WORK/section.md" '
	function put(    l) { while ((getline l <secfile) > 0) print l; close(secfile); done = 1 }
	$0 == head { skip = 1; if (!done) put(); next }
	skip && /^## / { skip = 0; print "" }
	skip { next }
	{ print; last = $0 }
	END { if (!done) { if (NR > 0 && last != "") print ""; put() } }' "$DOCS_FILE" >"$WORK/docs.new"
	cat "$WORK/docs.new" >"$DOCS_FILE"
	log "wrote the \"$SECTION\" section of $DOCS_FILE"
fi
[ -z "${FAILED:-}" ] || { log "some measurements failed (logs in $WORK)"; KEEP=1; }
exit 0
