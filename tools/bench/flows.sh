#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/flows.sh: how fast sluice and OVS-DPDK 3.1 install 100k flows
# with add-flows, end to end, and whether forwarding of other traffic dips
# meanwhile.  Run ./tools/bench/flows.sh --help for the details.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

PROG=tools/bench/flows.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BENCH_NAME=flows.sh
# sluice's EAL prefix and OVS's (OVS 3.1 adds --in-memory: it leaves no files).
SL_PREFIX=bench_fl
OVS_PREFIX=bench_flovs
BENCH_PREFIXES="$SL_PREFIX $OVS_PREFIX"
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

REPS=3
N_FLOWS=100000
BEFORE=2       # seconds sampled before the install
AFTER=2        # and after it
WINDOW_MS=100  # sampling period
WARMUP=1
NO_OVS=0
NO_PIN=0
QUICK=0
DOCS=""        # "" = default (write unless --quick), 1 = write, 0 = don't
DOCS_FILE="$SRC/docs/benchmark.md"
BUILD="${SLUICE_BUILD:-$SRC/build}"
KEEP=0
FWD_CPU=1      # the forwarding core of both switches
CTL_CPU=0      # everything else
SECTION="## Installing 100k flows"
ORIG_ARGS=("$@")

usage() {
	cat <<EOF
Usage: $PROG [--quick] [--reps N] [--flows N] [--before S] [--after S]
                           [--window MS] [--no-ovs] [--no-pin] [--docs | --no-docs]
                           [--output FILE] [--keep]

Flow installation benchmark: the time of one 'add-flows FILE' of $N_FLOWS
flows, end to end (wall clock around the command: sluicectl add-flows for
sluice, ovs-ofctl add-flows for OVS-DPDK 3.1), and the forwarding rate of
other traffic before, during and after it.

Each repetition starts a switch afresh with two ports and one rule:
  ofport 1 "src"   net_null0            (the PMD makes 64-byte packets)
  ofport 2 "sink"  net_null1,no-rx=1    (a sink)
  priority=1,in_port=1,actions=output:2
one forwarding core (CPU $FWD_CPU: sluice's only worker, OVS's only PMD thread)
and the rest on CPU $CTL_CPU.  sluice: build/ctl/sluiced --detach, driven with
build/ctl/sluicectl; OVS: ovsdb-server + ovs-vswitchd-dpdk from a private
directory (installed if missing, never run as the system service), bridge of
datapath_type netdev, dpdk ports on the same devargs, ofport_request 1 and 2.

After ${WARMUP} s of forwarding, the sink's tx packets are sampled every
${WINDOW_MS} ms (sluicectl dump-ports sink / ovs-ofctl dump-ports br0 2) for
${BEFORE} s, then the flow file is installed, then ${AFTER} s more.  The flow file
has $N_FLOWS distinct rules that the traffic never matches:
  priority=100,udp,nw_src=10.A.B.C,tp_dst=P,actions=output:2
Reported: seconds and flows/s of the install; the baseline rate (the windows
before it); the slowest window that overlaps the install; their ratio.
A window can only end when the switch answers the sample: a switch that
does not answer dump-ports while it installs (sluiced serves one request at
a time) has one long window over the install, whose rate is the average.

Control-plane pinning (unless --no-pin): sluiced, sluice-primary,
ovsdb-server, every ovs-vswitchd thread but the PMD threads, the clients
and the sampler run on CPU $CTL_CPU only, so that the install competes with
the forwarding core on neither switch.

Options:
  --quick        1 repetition (a smoke run); does not write docs/ unless
                 --docs is given
  --reps N       repetitions (default $REPS): the table shows the median and
                 the spread (min..max) of the install time
  --flows N      flows in the file (default $N_FLOWS)
  --before S     seconds sampled before the install (default $BEFORE)
  --after S      seconds sampled after it (default $AFTER)
  --window MS    sampling period, 20..999 ms (default $WINDOW_MS)
  --no-ovs       skip OVS-DPDK
  --no-pin       leave the control-plane processes unpinned
  --docs         write the table even with --quick
  --no-docs      only print the table
  --output FILE  the file whose "$SECTION" section is replaced
                 (appended if missing; the rest of the file is kept; default
                 docs/benchmark.md)
  --keep         keep the work directory (logs, flow file, raw samples)
  --help         this text

Needs: root, hugepages, the built tree (\$SLUICE_BUILD or build/), jq.
It takes the same lock as run.sh: two benchmarks cannot overlap.  Every
process it starts, and the hugepage and runtime files of its EAL prefixes
$SL_PREFIX and $OVS_PREFIX, are removed on exit, on error and on Ctrl-C.
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--help|-h) usage; exit 0 ;;
	--quick) QUICK=1; REPS=1 ;;
	--reps) [ $# -ge 2 ] || die "--reps needs a value"; REPS=$2; shift ;;
	--flows) [ $# -ge 2 ] || die "--flows needs a value"; N_FLOWS=$2; shift ;;
	--before) [ $# -ge 2 ] || die "--before needs a value"; BEFORE=$2; shift ;;
	--after) [ $# -ge 2 ] || die "--after needs a value"; AFTER=$2; shift ;;
	--window) [ $# -ge 2 ] || die "--window needs a value"; WINDOW_MS=$2; shift ;;
	--no-ovs) NO_OVS=1 ;;
	--no-pin) NO_PIN=1 ;;
	--docs) DOCS=1 ;;
	--no-docs) DOCS=0 ;;
	--output) [ $# -ge 2 ] || die "--output needs a value"; DOCS_FILE=$2; DOCS=${DOCS:-1}; shift ;;
	--keep) KEEP=1 ;;
	*) echo "flows.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps: $REPS is not a positive integer"
[[ $N_FLOWS =~ ^[1-9][0-9]*$ ]] && [ "$N_FLOWS" -le 16000000 ] ||
	die "--flows: $N_FLOWS is not an integer in 1..16000000"
[[ $BEFORE =~ ^[1-9][0-9]*$ ]] || die "--before: $BEFORE is not a positive integer"
[[ $AFTER =~ ^[1-9][0-9]*$ ]] || die "--after: $AFTER is not a positive integer"
[[ $WINDOW_MS =~ ^[0-9]+$ ]] && [ "$WINDOW_MS" -ge 20 ] && [ "$WINDOW_MS" -le 999 ] ||
	die "--window: $WINDOW_MS is not an integer in 20..999"
if [ -z "$DOCS" ]; then
	if [ $QUICK = 1 ]; then DOCS=0; else DOCS=1; fi
fi
SWITCHES="sluice"
[ $NO_OVS = 1 ] || SWITCHES="$SWITCHES ovs"

# ---------------------------------------------------------------- checks
# sluice with its default mbuf pool, or OVS with 262144 mbufs: ~700 MB.
bench_check_host 800
SLUICED=$BUILD/ctl/sluiced
SLUICECTL=$BUILD/ctl/sluicectl
for b in "$SLUICED" "$SLUICECTL" "$BUILD/primary/sluice-primary" "$BUILD/secondary/sluice-worker"; do
	[ -x "$b" ] || die "$b not found: build first (meson setup build && ninja -C build)"
done
command -v jq >/dev/null || die "jq not found: apt-get install jq"
command -v taskset >/dev/null || die "taskset not found: apt-get install util-linux"

bench_lock
bench_check_prefixes_free

WORK=$(mktemp -d /tmp/slflows.XXXXXX)
PIDFILE=$WORK/pids
: >"$PIDFILE"
POLICY_RC_CREATED=0

# ---------------------------------------------------------------- cleanup
# cleanup (lib.sh) first runs this hook: every sluice instance this run
# started is asked to shut down (it may have come up between its start and
# the recording of its pids); then the pids in $PIDFILE are stopped and
# the files of our prefixes removed.
bench_cleanup_hook() {
	local rd
	[ -s "$WORK/rundirs" ] || return 0
	while read -r rd; do
		[ -S "$rd/sluiced.sock" ] || continue
		timeout 15 "$SLUICECTL" --rundir "$rd" --timeout 10000 shutdown >/dev/null 2>&1 || true
		[ -s "$rd/sluiced.pid" ] && pid_record "$(cat "$rd/sluiced.pid")"
	done <"$WORK/rundirs"
	: >"$WORK/rundirs"
	sleep 0.5
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ $NO_OVS = 1 ] || ovs_install

# ---------------------------------------------------------------- flow file
# N distinct rules, one shape (udp, nw_src /32, tp_dst): source 10.A.B.C
# from 10.0.0.1 up, tp_dst 1024 + i % 50000.  net_null's packets are all
# zeros (EtherType 0): no rule matches them, and the in_port rule keeps
# forwarding them.
FLOWS=$WORK/flows.txt
log "writing $N_FLOWS flows to $FLOWS"
awk -v n="$N_FLOWS" 'BEGIN {
	for (i = 0; i < n; i++) {
		a = i + 1;
		printf "priority=100,udp,nw_src=10.%d.%d.%d,tp_dst=%d,actions=output:2\n",
			int(a / 65536) % 256, int(a / 256) % 256, a % 256, 1024 + i % 50000;
	}
}' >"$FLOWS"
[ "$(sort -u "$FLOWS" | wc -l)" = "$N_FLOWS" ] || die "the flow file has duplicate lines"
BASE_FLOW="priority=1,in_port=1,actions=output:2"

# ---------------------------------------------------------------- measuring
# Run "$@" on the control CPU (unless --no-pin).
on_ctl() {
	if [ "$NO_PIN" = 1 ]; then "$@"; else taskset -c "$CTL_CPU" "$@"; fi
}
# Pin process $1, all its threads, to the control CPU.
pin_all() {
	[ "$NO_PIN" = 1 ] && return 0
	taskset -a -p -c "$CTL_CPU" "$1" >/dev/null
}

# sample_loop FILE FUNCTION: every WINDOW_MS, one line "A B PKTS": the time
# (us) before and after FUNCTION printed PKTS, the sink's tx packets.
# Stops when $STOPF exists.
sample_loop() {
	local out=$1 fn=$2 next now a b v
	[ "$NO_PIN" = 1 ] || taskset -p -c "$CTL_CPU" "$BASHPID" >/dev/null
	next=${EPOCHREALTIME/./}
	while [ ! -e "$STOPF" ]; do
		a=${EPOCHREALTIME/./}
		v=$("$fn" 2>>"$out.err") || v=""
		b=${EPOCHREALTIME/./}
		[ -n "$v" ] && echo "$a $b $v" >>"$out"
		next=$((next + WINDOW_MS * 1000))
		now=${EPOCHREALTIME/./}
		if [ "$next" -gt "$now" ]; then
			sleep "$(printf '0.%06d' $((next - now)))"
		else
			next=$now
		fi
	done
}

# install_measure DIR SAMPLE_FN CMD...: sample, run CMD (the install) after
# BEFORE s, sample AFTER s more.  Prints the analysis (see analyse).
install_measure() {
	local dir=$1 fn=$2 t0 t1 rc=0 spid
	shift 2
	STOPF=$dir/stop-sampling
	rm -f "$STOPF"
	sample_loop "$dir/samples.txt" "$fn" &
	spid=$!
	pid_record "$spid"
	sleep "$BEFORE"
	t0=$(date +%s%N)
	"$@" >"$dir/install.out" 2>&1 || rc=$?
	t1=$(date +%s%N)
	sleep "$AFTER"
	touch "$STOPF"
	wait_gone "$spid" 10
	echo "$t0 $t1" >"$dir/install-time.txt"
	if [ $rc != 0 ]; then
		echo "the install failed (status $rc):" >&2
		tail -3 "$dir/install.out" >&2
		return 1
	fi
	analyse "$t0" "$t1" "$dir/samples.txt"
}

# Prints "SECONDS FLOWS_PER_S BASE_MPPS MIN_DURING_MPPS RATIO AFTER_MPPS
# BASE_MIN_MPPS N_DURING MAX_DURING_WINDOW_MS".  A sample's time is the
# middle of its request when that took < 50 ms, else the time of the reply
# (the counter was read just before it).  A window overlaps the install if
# it ends after the start and starts before the end.
analyse() {
	awk -v T0="$1" -v T1="$2" -v nflows="$N_FLOWS" '
	BEGIN { n = 0 }                           # numeric: t[0] is the first sample
	{
		a = $1; b = $2;
		t[n] = (b - a < 50000) ? (a + b) / 2 : b;
		v[n] = $3; n++;
	}
	END {
		t0 = T0 / 1000; t1 = T1 / 1000;       # ns -> us, as the samples
		secs = (T1 - T0) / 1e9;
		bmin = dmin = -1; nd = 0; maxw = 0; fb = lb = fa = la = -1;
		for (i = 1; i < n; i++) {
			dt = t[i] - t[i - 1];
			if (dt <= 0) continue;
			r = (v[i] - v[i - 1]) / dt;        # packets per us = Mpps
			if (t[i] <= t0) {
				if (fb < 0) fb = i - 1;
				lb = i;
				if (bmin < 0 || r < bmin) bmin = r;
			} else if (t[i - 1] < t1) {
				nd++;
				if (dmin < 0 || r < dmin) dmin = r;
				if (dt > maxw) maxw = dt;
			} else {
				if (fa < 0) fa = i - 1;
				la = i;
			}
		}
		if (fb < 0 || nd == 0 || fa < 0) { print "too few samples" > "/dev/stderr"; exit 1 }
		base = (v[lb] - v[fb]) / (t[lb] - t[fb]);
		after = (v[la] - v[fa]) / (t[la] - t[fa]);
		printf "%.3f %.0f %.3f %.3f %.3f %.3f %.3f %d %.0f\n", secs, nflows / secs, base, dmin,
			(base > 0) ? dmin / base : 0, after, bmin, nd, maxw / 1000;
	}' "$3"
}

# ---------------------------------------------------------------- sluice
SL_RD="" SL_PIDS=()
sl_ctl() { on_ctl "$SLUICECTL" --rundir "$SL_RD" "$@"; }
sl_tx() {
	local out
	out=$(sl_ctl --timeout 60000 dump-ports sink) || return 1
	[[ $out =~ tx\ pkts=([0-9]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}
sl_n_flows() { sl_ctl --json show | jq -r '.daemon.n_flows // 0'; }

sluice_stop() {
	local pid
	[ -n "$SL_RD" ] || return 0
	if [ -S "$SL_RD/sluiced.sock" ]; then
		timeout 15 "$SLUICECTL" --rundir "$SL_RD" --timeout 10000 shutdown >/dev/null 2>&1 ||
			note "$SL_TAG: sluicectl shutdown failed"
	fi
	# Not our children (sluiced detached): wait for them to go.
	for pid in "${SL_PIDS[@]}"; do
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && note "$SL_TAG: pid $pid still ran 10 s after shutdown (killed)"
	done
	return 0
}

measure_sluice() {
	local dir=$WORK/run/$1 json pid st i
	SL_TAG=$1
	SL_RD=$dir/sl
	mkdir -p "$SL_RD"
	echo "$SL_RD" >>"$WORK/rundirs"
	trap sluice_stop EXIT
	on_ctl "$SLUICED" --rundir "$SL_RD" --workers 1 --lcores "$CTL_CPU,$FWD_CPU" \
		--eal-args "--no-pci --file-prefix=$SL_PREFIX --log-level=lib.eal:error" --detach \
		>"$dir/sluiced.out" 2>&1 || { echo "sluiced did not start:" >&2; tail -5 "$dir/sluiced.out" >&2; return 1; }
	pid=$(cat "$SL_RD/sluiced.pid")
	pid_record "$pid"
	SL_PIDS+=("$pid")
	pin_all "$pid"
	# Wait for the worker.
	for i in $(seq 300); do
		json=$(sl_ctl --json show 2>/dev/null) || json='{}'
		st=$(jq -r '[.workers[]? | select(.state == "running")] | length' <<<"$json")
		[ "$st" = 1 ] && break
		sleep 0.1
	done
	[ "$st" = 1 ] || { echo "sluice worker not running after 30 s:" >&2; echo "$json" >&2; return 1; }
	for pid in $(jq -r '.daemon.primary_pid, .workers[].pid' <<<"$json"); do
		pid_record "$pid"
		SL_PIDS+=("$pid")
	done
	pin_all "$(jq -r '.daemon.primary_pid' <<<"$json")"
	# The rule first, so that the first packets already find it.
	sl_ctl add-flow "$BASE_FLOW"
	sl_ctl add-port src net_null0 ofport=1
	sl_ctl add-port sink "net_null1,no-rx=1" ofport=2
	sleep "$WARMUP"
	install_measure "$dir" sl_tx sl_ctl --timeout 300000 add-flows "$FLOWS"
	i=$(sl_n_flows)
	[ "$i" = $((N_FLOWS + 1)) ] || { echo "sluice has $i flows after the install, not $((N_FLOWS + 1))" >&2; return 1; }
	sl_ctl pmd-stats-show >"$dir/pmd-stats.txt" 2>&1 || true
	sl_ctl worker-list >"$dir/worker-list.txt" 2>&1 || true
	if awk 'NR > 1 && $5 != 0 { bad = 1 } END { exit !bad }' "$dir/worker-list.txt"; then
		note "$SL_TAG: a worker restarted: $(tail -n +2 "$dir/worker-list.txt" | tr -s ' ')"
	fi
}

# ---------------------------------------------------------------- OVS-DPDK
ovs_tx() {
	local out
	out=$(on_ctl ovs-ofctl dump-ports br0 2) || return 1
	[[ $out =~ tx\ pkts=([0-9]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

# Every thread of ovs-vswitchd but the PMD threads, and ovsdb-server, to
# the control CPU.
ovs_pin() {
	local vpid=$1 tid comm
	[ "$NO_PIN" = 1 ] && return 0
	pin_all "$(cat "$OVS_D/ovsdb-server.pid")"
	for tid in /proc/"$vpid"/task/*; do
		comm=$(cat "$tid/comm" 2>/dev/null) || continue
		tid=${tid##*/}
		[[ $comm == pmd* ]] && continue
		taskset -p -c "$CTL_CPU" "$tid" >/dev/null 2>&1 || true
	done
}

measure_ovs() {
	local dir=$WORK/run/$1 of1 of2 n
	mkdir -p "$dir"
	OVS_TAG=$1
	trap ovs_stop EXIT
	ovs_start "$dir/ovs" "$OVS_PREFIX"
	local vsctl=("${OVS_VSCTL[@]}")
	"${vsctl[@]}" add-br br0 -- set bridge br0 datapath_type=netdev \
		-- add-port br0 src -- set Interface src type=dpdk "options:dpdk-devargs=net_null0" ofport_request=1 \
		-- add-port br0 sink -- set Interface sink type=dpdk "options:dpdk-devargs=net_null1,no-rx=1" ofport_request=2
	of1=$("${vsctl[@]}" get Interface src ofport)
	of2=$("${vsctl[@]}" get Interface sink ofport)
	if [ "$of1" != 1 ] || [ "$of2" != 2 ]; then
		echo "OVS: ports did not come up (ofport $of1, $of2): $("${vsctl[@]}" get Interface src error) $("${vsctl[@]}" get Interface sink error)" >&2
		return 1
	fi
	ovs-ofctl del-flows br0
	ovs-ofctl add-flow br0 "$BASE_FLOW"
	ovs_pin "$(cat "$OVS_D/ovs-vswitchd.pid")"
	sleep "$WARMUP"
	install_measure "$dir" ovs_tx on_ctl ovs-ofctl add-flows br0 "$FLOWS"
	n=$(ovs-ofctl dump-aggregate br0 | sed -n 's/.*flow_count=\([0-9]*\).*/\1/p')
	[ "$n" = $((N_FLOWS + 1)) ] || { echo "OVS has $n flows after the install, not $((N_FLOWS + 1))" >&2; return 1; }
	timeout 10 ovs-appctl -t "$OVS_D/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-show >"$dir/ovs-pmd-stats.txt" 2>&1 || true
	timeout 10 ovs-appctl -t "$OVS_D/ovs-vswitchd.ctl" dpctl/dump-flows >"$dir/ovs-dp-flows.txt" 2>&1 || true
}

# ---------------------------------------------------------------- main loop
RESULTS=$WORK/results.txt
: >"$RESULTS"
OTHER_DPDK=$(pgrep -af -- '--file-prefix=' | grep -cv -- '--file-prefix=bench_' || true)
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
n_total=$((REPS * $(wc -w <<<"$SWITCHES")))
i=0
log "switches: $SWITCHES; $REPS x ($N_FLOWS flows, ${BEFORE}s + install + ${AFTER}s, ${WINDOW_MS} ms windows)"
for rep in $(seq "$REPS"); do
	for sw in $SWITCHES; do
		i=$((i + 1))
		tag="$sw.$rep"
		foreign=$(pgrep -af -- '--file-prefix=' | grep -cv -- '--file-prefix=bench_' || true)
		[ "$foreign" = 0 ] || note "$tag: measured while $foreign other DPDK process(es) ran"
		set +e
		out=$( set -e; "measure_$sw" "$tag" 2>"$WORK/$tag.err" )
		rc=$?
		set -e
		foreign=$(pgrep -af -- '--file-prefix=' | grep -cv -- '--file-prefix=bench_' || true)
		[ "$foreign" = 0 ] || note "$tag: $foreign other DPDK process(es) ran at the end of the measurement"
		bench_cleanup_hook
		stop_pids
		remove_prefix_files
		if [ $rc != 0 ] || [ -z "$out" ]; then
			log "($i/$n_total) $sw rep $rep: FAILED (rc $rc)"
			sed 's/^/    /' "$WORK/$tag.err" | tail -8 >&2
			out="- - - - - - - - -"
			FAILED=1
		else
			log "($i/$n_total) $sw rep $rep: $out"
		fi
		echo "$sw $rep $out" >>"$RESULTS"
	done
done
log "(columns: seconds flows/s baseline-Mpps min-during-Mpps min/baseline after-Mpps" \
    "baseline-min-window-Mpps windows-during longest-window-ms)"

# ---------------------------------------------------------------- table
# Per switch: median and min..max of the install seconds; flows/s of the
# median time; baseline Mpps the median; min during the install the
# minimum over the repetitions, and its ratio to that repetition's baseline
# the minimum too (the worst dip seen).
table() {
	awk -v switches="$SWITCHES" -v nflows="$N_FLOWS" '
	function median(list,    a, n, i, j, t) {
		n = split(list, a, " ");
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2;
	}
	function lo(list,    a, n, i, m) { n = split(list, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]; return m }
	function hi(list,    a, n, i, m) { n = split(list, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]; return m }
	$3 != "-" { s[$1] = s[$1] " " $3; base[$1] = base[$1] " " $5; dmin[$1] = dmin[$1] " " $6;
		    ratio[$1] = ratio[$1] " " $7; cnt[$1]++ }
	END {
		print "| switch | flows | seconds (median, min..max) | flows/s | baseline Mpps | min Mpps during install | min/baseline |";
		print "|---|---|---|---|---|---|---|";
		n = split(switches, sw, " ");
		for (i = 1; i <= n; i++) {
			k = sw[i]; name = (k == "ovs") ? "OVS-DPDK 3.1 (ovs-ofctl add-flows)" : "sluice (sluicectl add-flows)";
			if (!(k in cnt)) { printf "| %s | %d | failed | - | - | - | - |\n", name, nflows; continue }
			m = median(s[k]);
			secs = (cnt[k] > 1) ? sprintf("%.2f (%.2f..%.2f)", m, lo(s[k]), hi(s[k])) : sprintf("%.2f", m);
			printf "| %s | %d | %s | %.0f | %.2f | %.2f | %.2f |\n", name, nflows, secs, nflows / m,
				median(base[k]), lo(dmin[k]), lo(ratio[k]);
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

# ---------------------------------------------------------------- docs
# The section, from its heading to the next "## " heading (or the end of
# the file), is replaced in place, or appended; the rest is left alone.
section() {
	echo "$SECTION"
	echo
	echo "Produced by \`$PROG${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
	[ $QUICK = 1 ] && echo "**A --quick smoke run: one repetition. Not a measurement to quote.**"
	echo
	bench_machine_line
	echo "Load average at start: $LOADAVG; DPDK processes of others running at start: $OTHER_DPDK."
	echo
	echo "$TABLE"
	echo
	echo "- One \`add-flows\` of a file of $N_FLOWS rules \`priority=100,udp,nw_src=10.A.B.C,tp_dst=P,actions=output:2\`" \
	     "(all distinct, none matching the traffic) into a switch that forwards with one rule" \
	     "\`$BASE_FLOW\`. Seconds: wall clock around \`sluicectl add-flows FILE\` (sluiced parses," \
	     "stores the DB, sluice-primary publishes one classifier snapshot) and around" \
	     "\`ovs-ofctl add-flows br0 FILE\` (flow_mods and a barrier); $REPS repetition(s), each on a" \
	     "freshly started switch. flows/s: $N_FLOWS / the median time."
	echo "- Traffic: rx \`net_null0\` (64-byte packets made by the PMD), tx \`net_null1,no-rx=1\`," \
	     "one forwarding core (CPU $FWD_CPU: sluice's worker, OVS's PMD thread). \`--no-pci\` everywhere."
	echo "- Rates: the sink port's tx packets sampled every $WINDOW_MS ms (\`sluicectl dump-ports sink\`," \
	     "\`ovs-ofctl dump-ports br0 2\`) for $BEFORE s before the install, during it and $AFTER s" \
	     "after. Baseline: the rate over the windows before; min during install: the slowest window" \
	     "that overlaps the install (the lowest over the repetitions), min/baseline the lowest" \
	     "ratio of a repetition."
	echo "- sluiced answers one request at a time, so no sample of sluice is taken while it installs:" \
	     "one window covers the whole install and its rate is the average over it (see the" \
	     "windows-during and longest-window columns below). OVS answers dump-ports between flow_mods."
	if [ $NO_PIN = 0 ]; then
		echo "- The control planes are pinned to CPU $CTL_CPU (sluiced, sluice-primary, ovsdb-server," \
		     "every ovs-vswitchd thread but the PMD threads, the clients, the sampler), so that the" \
		     "install never runs on the forwarding core: this measures the switch, not the scheduler" \
		     "of a 2-CPU machine."
	else
		echo "- Control planes not pinned (--no-pin): they may run on the forwarding core."
	fi
	echo "- Noise: the forwarding rate varies from window to window with no install running; the" \
	     "slowest window before the install (column 9 of the raw lines) shows by how much. A" \
	     "minimum during the install no lower than that is not a dip."
	echo
	echo "Raw (switch rep seconds flows/s baseline-Mpps min-during-Mpps min/baseline after-Mpps"
	echo "baseline-slowest-window-Mpps windows-during longest-window-during-ms):"
	echo
	echo '```'
	cat "$RESULTS"
	echo '```'
	bench_seen_notes
}

bench_finish
