#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/qos.sh: what rate limiting costs, in cycles per packet, in
# sluice and in OVS-DPDK 3.1 with the same egress-policer and the same
# OpenFlow meter, on run.sh's devices and traffic, in one run.  Also runs
# meterbench (the token bucket alone).  Run ./tools/bench/qos.sh --help.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

PROG=tools/bench/qos.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BENCH_NAME=qos.sh
BENCH_PREFIXES="bench_qsl bench_qovs"
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

REPS=3
SECONDS_MEASURE=3
WARMUP=1
NO_OVS=0
QUICK=0
DOCS=""        # "" = default (write unless --quick), 1 = write, 0 = don't
DOCS_FILE="$SRC/docs/benchmark.md"
BUILD="${SLUICE_BUILD:-$SRC/build}"
KEEP=0
FWD_CPU=1
CTL_CPU=0
MBUFS=131071
PKTS=100000
SECTION="## Rate limiting"
ORIG_ARGS=("$@")

ALL_SCENARIOS="64b-1flow 64b-1kflows"
ALL_CASES="none egress-open egress-1mpps meter-open meter-1mpps"
SCENARIOS=$ALL_SCENARIOS
CASES=$ALL_CASES

# The same settings for both switches.
CIR_1M=46000000 CBS_1M=2048           # the seed's: 1.0 Mpps of 64-byte frames
CIR_OPEN=10000000000 CBS_OPEN=1048576 # far above what one core forwards: nothing dropped
METER_1M="meter=1 pktps burst bands=type=drop rate=1000000 burst_size=1000"
METER_OPEN="meter=1 pktps burst bands=type=drop rate=1000000000 burst_size=1000000"

usage() {
	cat <<EOF
Usage: $PROG [--quick] [--reps N] [--seconds S] [--warmup S]
                        [--scenarios LIST] [--cases LIST] [--no-ovs]
                        [--docs | --no-docs] [--output FILE] [--keep]

The cost of rate limiting in cycles per packet, sluice against OVS-DPDK 3.1,
one forwarding core each (CPU $FWD_CPU), on run.sh's devices: rx
net_pcap0,rx_pcap=FILE,infinite_rx=1 (64-byte frames, genpcap), tx
net_null1,no-rx=1, rule in_port=1,actions=output:2.  Scenarios
(--scenarios, default "$ALL_SCENARIOS"): run.sh's 64b-1flow and
64b-1kflows.  Cases (--cases, default "$ALL_CASES"):

  none          no rate limiting (the baseline)
  egress-open   egress-policer cir=$CIR_OPEN cbs=$CBS_OPEN on the sink:
                metered, nothing dropped (the cost of metering alone)
  egress-1mpps  egress-policer cir=$CIR_1M cbs=$CBS_1M: the seed's 1.0 Mpps
  meter-open    in_port=1,actions=meter:1,output:2 with
                $METER_OPEN
  meter-1mpps   the same with $METER_1M

OVS: ovs-vsctl set port p2 qos=@q -- --id=@q create qos type=egress-policer
other-config:cir=.. other-config:cbs=..; ovs-ofctl -O OpenFlow13 add-meter
and add-flows.  sluice: set-port p2 qos=egress-policer cir=.. cbs=..,
add-meter, add-flows on a bare sluice-primary and one sluice-worker.
Cycles per packet: OVS's "avg processing cycles per packet"
(dpif-netdev/pmd-stats-show); sluice's worker busy_cycles / rx_packets;
"+cycles" is the difference from the same switch's "none" case.

  --quick        1 repetition of 1 s, docs not written unless --docs
  --reps N       repetitions (default $REPS), median shown
  --seconds S    measured interval (default $SECONDS_MEASURE); --warmup S (default $WARMUP)
  --no-ovs       sluice only
  --docs/--no-docs, --output FILE   the "$SECTION" section of FILE
                 (default docs/benchmark.md) is replaced, the rest kept
  --keep         keep the work directory

Needs root, hugepages and the built tree.  Shares run.sh's lock: two
benchmarks never overlap.
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1; REPS=1; SECONDS_MEASURE=1; WARMUP=1 ;;
	--scenarios) bench_need_value "$@"; SCENARIOS=${2//,/ }; shift ;;
	--cases) bench_need_value "$@"; CASES=${2//,/ }; shift ;;
	--no-ovs) NO_OVS=1 ;;
	*) bench_common_opt "$@"; shift "$BENCH_SHIFT"; continue ;;
	esac
	shift
done
bench_check_common_opts
for s in $SCENARIOS; do [[ " $ALL_SCENARIOS " == *" $s "* ]] || die "unknown scenario $s"; done
for c in $CASES; do [[ " $ALL_CASES " == *" $c "* ]] || die "unknown case $c"; done
[[ " $CASES " == *" none "* ]] || CASES="none $CASES" # the baseline of +cycles
SWITCHES="sluice"
[ $NO_OVS = 1 ] || SWITCHES="ovs sluice"

bench_begin 900 /tmp/slqos.XXXXXX primary/sluice-primary secondary/sluice-worker \
	tools/bench/slbench-ctl tools/bench/genpcap tools/bench/meterbench
SLCTL=$BUILD/tools/bench/slbench-ctl
PERF=$(command -v perf || true) # optional: the metering share of sluice's cycles
[ $NO_OVS = 1 ] || ovs_install

log "generating traffic in $WORK"
"$BUILD/tools/bench/genpcap" -o "$WORK/64-1.pcap" -n $PKTS -f 1 -s 64
"$BUILD/tools/bench/genpcap" -o "$WORK/64-1k.pcap" -n $PKTS -f 1000 -s 64
TX_DEV="net_null1,no-rx=1"

scenario_setup() {
	case "$1" in
	64b-1flow) RX_DEV="net_pcap0,rx_pcap=$WORK/64-1.pcap,infinite_rx=1" ;;
	64b-1kflows) RX_DEV="net_pcap0,rx_pcap=$WORK/64-1k.pcap,infinite_rx=1" ;;
	esac
}

# The rule of a case (meter cases meter first).
case_rule() {
	case "$1" in
	meter-*) echo "in_port=1,actions=meter:1,output:2" ;;
	*) echo "in_port=1,actions=output:2" ;;
	esac
}

case_meter() {
	case "$1" in
	meter-open) echo "$METER_OPEN" ;;
	meter-1mpps) echo "$METER_1M" ;;
	esac
}

# "CIR CBS" of an egress case.
case_policer() {
	case "$1" in
	egress-open) echo "$CIR_OPEN $CBS_OPEN" ;;
	egress-1mpps) echo "$CIR_1M $CBS_1M" ;;
	esac
}

# ---------------------------------------------------------------- OVS-DPDK
measure_ovs() {
	local tag=$1 cs=$2 dir=$WORK/run/$1 meter policer
	mkdir -p "$dir"
	OVS_TAG=$tag
	trap ovs_stop EXIT
	ovs_start "$dir/ovs" bench_qovs
	local vsctl=("${OVS_VSCTL[@]}")
	"${vsctl[@]}" add-br br0 -- set bridge br0 datapath_type=netdev \
		-- add-port br0 p1 -- set Interface p1 type=dpdk "options:dpdk-devargs=$RX_DEV" ofport_request=1 \
		-- add-port br0 p2 -- set Interface p2 type=dpdk "options:dpdk-devargs=$TX_DEV" ofport_request=2
	[ "$("${vsctl[@]}" get Interface p2 ofport)" = 2 ] || { echo "OVS: ports did not come up" >&2; return 1; }
	policer=$(case_policer "$cs")
	if [ -n "$policer" ]; then
		read -r cir cbs <<<"$policer"
		"${vsctl[@]}" set port p2 qos=@q -- --id=@q create qos type=egress-policer \
			"other-config:cir=$cir" "other-config:cbs=$cbs" >/dev/null
	fi
	ovs-ofctl del-flows br0
	meter=$(case_meter "$cs")
	[ -z "$meter" ] || ovs-ofctl -O OpenFlow13 add-meter br0 "$meter"
	ovs-ofctl -O OpenFlow13 add-flow br0 "$(case_rule "$cs")"
	sleep "$WARMUP"
	local t0 t1 p0 p1 cyc
	ovs_tx() { ovs-ofctl dump-ports br0 2 | awk -F'[=,]' '/tx pkts/ { print $2 + 0 }'; }
	timeout 10 ovs-appctl -t "$OVS_D/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-clear >/dev/null
	t0=$(date +%s.%N); p0=$(ovs_tx)
	sleep "$SECONDS_MEASURE"
	t1=$(date +%s.%N); p1=$(ovs_tx)
	timeout 10 ovs-appctl -t "$OVS_D/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-show >"$dir/ovs-pmd-stats.txt"
	ovs-ofctl -O OpenFlow13 meter-stats br0 >"$dir/ovs-meter-stats.txt" 2>&1 || true
	"${vsctl[@]}" get interface p2 statistics >"$dir/ovs-p2-stats.txt" 2>&1 || true
	cyc=$(awk -v core="$FWD_CPU" '
		/^pmd thread/ { on = ($0 ~ ("core_id " core ":")) }
		on && /avg processing cycles per packet:/ { print $6; exit }' "$dir/ovs-pmd-stats.txt")
	awk -v t0="$t0" -v t1="$t1" -v p0="$p0" -v p1="$p1" -v c="${cyc:--}" \
		'BEGIN { printf "%.3f %s\n", (p1 - p0) / (t1 - t0) / 1e6, c }'
}

# ---------------------------------------------------------------- sluice
SL_PPID="" SL_WPID=""
sluice_stop() {
	timeout 10 "${SL_CTL[@]}" --timeout 3000 shutdown >/dev/null 2>&1 || true
	[ -z "$SL_WPID" ] || wait_gone "$SL_WPID" 5
	[ -z "$SL_PPID" ] || wait_gone "$SL_PPID" 10
}

measure_sluice() {
	local tag=$1 cs=$2 dir=$WORK/run/$1 rd meter policer
	mkdir -p "$dir"
	rd=$dir/sl
	mkdir -p "$rd"
	SL_CTL=("$SLCTL" --rundir "$rd")
	local ctl=("${SL_CTL[@]}")
	trap sluice_stop EXIT
	bg_start "$dir/sluice-primary.log" "$BUILD/primary/sluice-primary" --no-pci --file-prefix=bench_qsl \
		--proc-type=primary --lcores "0@$CTL_CPU" --log-level=lib.eal:error -- \
		--rundir "$rd" --workers 1 --mbufs "$MBUFS"
	SL_PPID=$BG_PID
	"${ctl[@]}" wait-ready 30 0 || { tail -5 "$dir/sluice-primary.log" >&2; return 1; }
	bg_start "$dir/sluice-worker.log" "$BUILD/secondary/sluice-worker" --no-pci --file-prefix=bench_qsl \
		--proc-type=secondary --lcores "1@$FWD_CPU" --log-level=lib.eal:error -- --id 0
	SL_WPID=$BG_PID
	"${ctl[@]}" wait-ready 30 1 || { tail -5 "$dir/sluice-worker.log" >&2; return 1; }
	meter=$(case_meter "$cs")
	[ -z "$meter" ] || "${ctl[@]}" add-meter "$meter"
	case_rule "$cs" >"$dir/rules.txt"
	"${ctl[@]}" add-flows "$dir/rules.txt"
	"${ctl[@]}" add-port p2 "$TX_DEV" 2
	policer=$(case_policer "$cs")
	if [ -n "$policer" ]; then
		read -r cir cbs <<<"$policer"
		"${ctl[@]}" set-port p2 qos=egress-policer "cir=$cir" "cbs=$cbs"
	fi
	"${ctl[@]}" add-port p1 "$RX_DEV" 1
	sleep "$WARMUP"
	local s0 s1 share=-
	s0=$("${ctl[@]}" sample p2)
	if [ -n "$PERF" ]; then
		# The worker's samples while measured: the share of its cycles in
		# the meter code, which the CPU stolen by other work does not skew.
		"$PERF" record -q -o "$dir/perf.data" -p "$SL_WPID" -- sleep "$SECONDS_MEASURE" \
			>/dev/null 2>&1 || true
	else
		sleep "$SECONDS_MEASURE"
	fi
	s1=$("${ctl[@]}" sample p2)
	if [ -n "$PERF" ] && [ -s "$dir/perf.data" ]; then
		"$PERF" report -i "$dir/perf.data" --no-children --stdio --sort sym 2>/dev/null \
			>"$dir/perf.txt" || true
		share=$(awk '/\] (sl_meter_|band_run|sl_wmeter_|act_metered)/ { gsub("%", "", $1); s += $1 }
			END { printf "%.2f", s }' "$dir/perf.txt")
	fi
	"${ctl[@]}" port-stats p2 >"$dir/sluice-port-stats.txt" || true
	printf '%s\n%s\n' "$s0" "$s1" | awk -v share="$share" '
		{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] } }
		END {
			dt = v[2, "t"] - v[1, "t"];
			tx = v[2, "port_tx_packets"] - v[1, "port_tx_packets"];
			rx = v[2, "worker_rx_packets"] - v[1, "worker_rx_packets"];
			busy = v[2, "busy_cycles"] - v[1, "busy_cycles"];
			if (dt <= 0 || rx <= 0) exit 1;
			if (share == "-") printf "%.3f %.1f -\n", tx / dt / 1e6, busy / rx;
			else printf "%.3f %.1f %.1f\n", tx / dt / 1e6, busy / rx, busy / rx * share / 100;
		}'
}

# ---------------------------------------------------------------- run
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
OTHER_DPDK=$(pgrep -af -- '--file-prefix=' | grep -cv -- '--file-prefix=bench_' || true)
log "meterbench (the bucket alone, CPUs $CTL_CPU and $FWD_CPU)"
"$BUILD/tools/bench/meterbench" -c "$CTL_CPU,$FWD_CPU" >"$WORK/meterbench.txt" 2>/dev/null ||
	die "meterbench failed"
cat "$WORK/meterbench.txt" >&2
RESULTS=$WORK/results.txt
: >"$RESULTS"
n_total=$(( REPS * $(wc -w <<<"$SCENARIOS") * $(wc -w <<<"$CASES") * $(wc -w <<<"$SWITCHES") ))
i=0
for rep in $(seq "$REPS"); do
	for sc in $SCENARIOS; do
		scenario_setup "$sc"
		for cs in $CASES; do
			for sw in $SWITCHES; do
				i=$((i + 1))
				tag="$sc.$cs.$sw.$rep"
				foreign=$(pgrep -af -- '--file-prefix=' | grep -cv -- '--file-prefix=bench_' || true)
				[ "$foreign" = 0 ] || note "$tag: measured while $foreign other DPDK process(es) ran"
				set +e
				out=$( set -e; "measure_$sw" "$tag" "$cs" 2>"$WORK/$tag.err" )
				rc=$?
				set -e
				stop_pids
				remove_prefix_files
				if [ $rc != 0 ] || [ -z "$out" ]; then
					log "($i/$n_total) $sc $cs $sw: FAILED (rc $rc)"
					sed 's/^/    /' "$WORK/$tag.err" | tail -8 >&2
					out="- -"
					FAILED=1
				else
					log "($i/$n_total) $sc $cs $sw rep $rep: $out (Mpps cycles/pkt)"
				fi
				echo "$sc $cs $sw $rep $out" >>"$RESULTS"
			done
		done
	done
done

# scenario | case | OVS Mpps | OVS cycles | OVS +cycles | sluice Mpps | sluice cycles | sluice +cycles
table() {
	awk -v scenarios="$SCENARIOS" -v cases="$CASES" -v no_ovs="$NO_OVS" '
	function median(list,    a, n, i, j, t) {
		n = split(list, a, " ");
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
		if (n == 0) return "";
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2;
	}
	function has(k) { return (k in v) && v[k] != "" }
	function cell(k, fmt) { return has(k) ? sprintf(fmt, median(v[k])) : "n/a" }
	function plus(k, base) {
		if (!has(k) || !has(base)) return "n/a";
		return sprintf("%+.0f", median(v[k]) - median(v[base]));
	}
	{
		if ($5 != "-") m[$1, $2, $3] = m[$1, $2, $3] " " $5;
		if ($6 != "-") v[$1, $2, $3] = v[$1, $2, $3] " " $6;
		if (NF >= 7 && $7 != "-") p[$1, $2, $3] = p[$1, $2, $3] " " $7;
	}
	END {
		print "| scenario | case | OVS Mpps | OVS cycles/pkt | OVS +cycles | sluice Mpps | sluice cycles/pkt | sluice +cycles | sluice metering cycles/pkt (perf) |";
		print "|---|---|---|---|---|---|---|---|---|";
		ns = split(scenarios, S, " "); nc = split(cases, C, " ");
		for (i = 1; i <= ns; i++) for (j = 1; j <= nc; j++) {
			s = S[i]; c = C[j];
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s, c,
				no_ovs ? "skipped" : ((s SUBSEP c SUBSEP "ovs") in m ? sprintf("%.2f", median(m[s, c, "ovs"])) : "n/a"),
				no_ovs ? "skipped" : cell(s SUBSEP c SUBSEP "ovs", "%.0f"),
				no_ovs ? "n/a" : plus(s SUBSEP c SUBSEP "ovs", s SUBSEP "none" SUBSEP "ovs"),
				(s SUBSEP c SUBSEP "sluice") in m ? sprintf("%.2f", median(m[s, c, "sluice"])) : "n/a",
				cell(s SUBSEP c SUBSEP "sluice", "%.0f"),
				plus(s SUBSEP c SUBSEP "sluice", s SUBSEP "none" SUBSEP "sluice"),
				((s SUBSEP c SUBSEP "sluice") in p) ? sprintf("%.1f", median(p[s, c, "sluice"])) : "n/a";
		}
	}' "$RESULTS"
}
TABLE=$(table)
echo
echo "$TABLE"
echo

section() {
	echo "$SECTION"
	echo
	echo "Produced by \`$PROG${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
	[ $QUICK = 1 ] && echo "**A --quick smoke run: one repetition of 1 s. Not a measurement to quote.**"
	echo
	bench_machine_line
	echo "Load average at start: $LOADAVG; DPDK processes of others running at start: $OTHER_DPDK."
	echo
	echo "Median of $REPS repetition(s) of $SECONDS_MEASURE s after $WARMUP s of warm-up; every" \
	     "measurement on a freshly started switch. +cycles: cycles/pkt minus the same switch's" \
	     "\"none\" in the same scenario."
	echo
	echo "$TABLE"
	echo
	echo "- One forwarding core each (CPU $FWD_CPU), run.sh's devices: rx" \
	     "\`net_pcap0,rx_pcap=FILE,infinite_rx=1\` (64-byte frames: 60 in the file), tx" \
	     "\`net_null1,no-rx=1\`, rule \`in_port=1,actions=output:2\`."
	echo "- egress-open: \`qos=egress-policer cir=$CIR_OPEN cbs=$CBS_OPEN\` on the sink, so every" \
	     "packet is metered and none dropped: the cost of the policer itself. egress-1mpps: the" \
	     "seed's \`cir=$CIR_1M cbs=$CBS_1M\` (1.0 Mpps); cycles/pkt are per packet received, so" \
	     "they include freeing the 90-95% it drops."
	echo "- meter-open / meter-1mpps: \`in_port=1,actions=meter:1,output:2\` with \`$METER_OPEN\`" \
	     "/ \`$METER_1M\` (OVS: \`ovs-ofctl -O OpenFlow13\`)."
	echo "- Cycles per packet: OVS \`avg processing cycles per packet\` (pmd-stats-show, cleared at" \
	     "the start of the interval); sluice: worker busy_cycles / rx_packets over the interval." \
	     "Both count TSC cycles of busy iterations, including time the forwarding thread lost" \
	     "to other work on a shared machine: +cycles within the spread of the raw \"none\" lines" \
	     "is noise, not the cost of rate limiting."
	echo "- sluice metering cycles/pkt (perf): \`perf record\` of the worker over the interval;" \
	     "the share of its samples in the meter code (sl_meter_*, band_run, sl_wmeter_*," \
	     "act_metered) times its cycles/pkt. Samples are taken only while the worker runs, so" \
	     "this share does not move with the CPU other work takes; OVS's stripped binary gives no" \
	     "such split."
	echo "- The bucket alone (\`build/tools/bench/meterbench -c $CTL_CPU,$FWD_CPU\`, TSC cycles per" \
	     "packet, 20M packets a case; two-thread cases hammer one bucket from CPUs $CTL_CPU and" \
	     "$FWD_CPU at once, the worst case; the TSC read a call is inside each figure and shown" \
	     "alone in the first lines):"
	echo
	echo '```'
	cat "$WORK/meterbench.txt"
	echo '```'
	echo
	echo "Raw (scenario case switch repetition Mpps cycles/pkt [sluice: metering cycles/pkt]):"
	echo
	echo '```'
	cat "$RESULTS"
	echo '```'
	bench_seen_notes
}

bench_finish
