# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# tools/bench/lib.sh: what the benchmark scripts (run.sh, flows.sh, ...)
# share: messages, the usual options, host checks, the lock, starting and
# stopping their processes, cleanup of hugepage files, and OVS-DPDK
# (install, start, stop).
# Sourced, not run.  The sourcing script sets, before it calls these:
#   BENCH_NAME         prefix of error messages ("run.sh")
#   BENCH_PREFIXES     the DPDK --file-prefix values it uses (space separated)
#   WORK, PIDFILE      its work directory and the pid list in it
#   KEEP, POLICY_RC_CREATED
# (bench_begin sets the last four); bench_common_opt wants a usage().
# and may define bench_cleanup_hook, run by cleanup before the processes
# in $PIDFILE are stopped.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317

die() { echo "${BENCH_NAME:-bench}: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# Things worth reading that are not a failure (a crash at shutdown, ...).
note() { echo "$*" >>"$WORK/notes.txt"; }

# ---------------------------------------------------------------- options
# The options every measuring script takes, for the last case of its option
# loop (its own options before):
#   *) bench_common_opt "$@"; shift "$BENCH_SHIFT"; continue ;;
# --help (the script's usage()), --reps N, --seconds S, --warmup S, --docs,
# --no-docs, --output FILE, --keep; into REPS, SECONDS_MEASURE, WARMUP,
# DOCS ("" until given), DOCS_FILE, KEEP.  Anything else is refused with
# the usage, exit status 2.
BENCH_SHIFT=1

# "$@" from an option that takes a value: refused (exit 2) if it has none.
bench_need_value() {
	[ $# -ge 2 ] || { echo "${BENCH_NAME:-bench}: $1 needs a value" >&2; usage >&2; exit 2; }
}

# BENCH_SHIFT: what the caller's loop shifts.
# shellcheck disable=SC2034
bench_common_opt() {
	BENCH_SHIFT=1
	case "$1" in
	--help|-h) usage; exit 0 ;;
	--reps) bench_need_value "$@"; REPS=$2; BENCH_SHIFT=2 ;;
	--seconds) bench_need_value "$@"; SECONDS_MEASURE=$2; BENCH_SHIFT=2 ;;
	--warmup) bench_need_value "$@"; WARMUP=$2; BENCH_SHIFT=2 ;;
	--docs) DOCS=1 ;;
	--no-docs) DOCS=0 ;;
	--output) bench_need_value "$@"; DOCS_FILE=$2; DOCS=${DOCS:-1}; BENCH_SHIFT=2 ;;
	--keep) KEEP=1 ;;
	*) echo "${BENCH_NAME:-bench}: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
}

# After the option loop: the common values checked; DOCS, if not given,
# is to write the docs unless QUICK=1.
bench_check_common_opts() {
	[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps: $REPS is not a positive integer"
	[[ $SECONDS_MEASURE =~ ^[1-9][0-9]*$ ]] || die "--seconds: $SECONDS_MEASURE is not a positive integer"
	[[ $WARMUP =~ ^[0-9]+$ ]] || die "--warmup: $WARMUP is not a whole number of seconds"
	if [ -z "$DOCS" ]; then
		if [ "${QUICK:-0}" = 1 ]; then DOCS=0; else DOCS=1; fi
	fi
}

# ---------------------------------------------------------------- checks
# Root, 2 CPUs, hugetlbfs with hugepages; warn below $1 MB free.
bench_check_host() {
	local need_mb=$1 hp_total hp_free hp_kb
	[ "$(id -u)" = 0 ] || die "needs root (DPDK hugepages)"
	[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs (forwarding core is CPU $FWD_CPU)"
	mountpoint -q /dev/hugepages || die "hugetlbfs is not mounted on /dev/hugepages: run scripts/setup.sh"
	hp_total=$(awk '/^HugePages_Total/ {print $2}' /proc/meminfo)
	hp_free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	hp_kb=$(awk '/^Hugepagesize/ {print $2}' /proc/meminfo)
	[ "${hp_total:-0}" -gt 0 ] || die "no hugepages reserved: run scripts/setup.sh"
	if [ $((hp_free * hp_kb)) -lt $((need_mb * 1024)) ]; then
		log "warning: only $((hp_free * hp_kb / 1024)) MB of hugepages free; about $need_mb MB are needed" \
		    "(echo 1024 > /proc/sys/vm/nr_hugepages)"
	fi
}

# One benchmark at a time (run.sh and flows.sh alike): the CPUs are shared.
# fd 9 stays open, and the lock held, until the script exits.
bench_lock() {
	exec 9>/run/lock/sluice-bench.lock
	flock -n 9 || die "another benchmark run holds /run/lock/sluice-bench.lock"
}

# Refuse to start if a process already uses one of our prefixes.
bench_check_prefixes_free() {
	local p
	for p in $BENCH_PREFIXES; do
		if pgrep -f -- "--file-prefix=$p( |$)" >/dev/null; then
			die "a process with --file-prefix=$p is running (pid $(pgrep -f -- "--file-prefix=$p( |$)" | tr '\n' ' ')); not touching it"
		fi
	done
}

# bench_begin NEED_MB TEMPLATE BINARY...: what comes before a run: the host
# (bench_check_host NEED_MB), the commands in BENCH_TOOLS (e.g. "jq") and
# each BINARY of $BUILD (e.g. ctl/sluicectl) there, the lock taken, our
# prefixes free; then WORK made (mktemp -d TEMPLATE), PIDFILE in it, and
# cleanup on exit, INT and TERM.
bench_begin() {
	local need_mb=$1 template=$2 t b
	shift 2
	bench_check_host "$need_mb"
	for t in ${BENCH_TOOLS:-}; do
		command -v "$t" >/dev/null || die "$t not found (apt-get install $t)"
	done
	for b in "$@"; do
		[ -x "$BUILD/$b" ] || die "$BUILD/$b not found: build first (meson setup build && ninja -C build)"
	done
	bench_lock
	bench_check_prefixes_free
	WORK=$(mktemp -d "$template")
	PIDFILE=$WORK/pids
	: >"$PIDFILE"
	POLICY_RC_CREATED=0
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# ---------------------------------------------------------------- processes
# Every process a run starts has its pid and start time in $PIDFILE (also
# those started inside measurement subshells); cleanup stops them and
# removes the hugepage and runtime files of our prefixes.
proc_start() { awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null || true; }

# Remember pid $1 (started by us, maybe not our child) for stop_pids.
pid_record() {
	local st
	st=$(proc_start "$1")
	[ -n "$st" ] && echo "$1 $st" >>"$PIDFILE"
	return 0
}

stop_pids() {
	local pid st alive=()
	[ -s "$PIDFILE" ] || return 0
	# Only pids that still are the process we started (same start time).
	while read -r pid st; do
		[ -n "$pid" ] && [ -n "$st" ] && [ "$(proc_start "$pid")" = "$st" ] && alive+=("$pid")
	done <"$PIDFILE"
	if [ ${#alive[@]} -gt 0 ]; then
		kill -TERM "${alive[@]}" 2>/dev/null || true
		for _ in $(seq 50); do
			local any=0
			for pid in "${alive[@]}"; do
				kill -0 "$pid" 2>/dev/null && any=1
			done
			[ $any = 0 ] && break
			sleep 0.1
		done
		kill -KILL "${alive[@]}" 2>/dev/null || true
		sleep 0.2
	fi
	: >"$PIDFILE"
}

remove_prefix_files() {
	local p
	for p in $BENCH_PREFIXES; do
		pgrep -f -- "--file-prefix=$p( |$)" >/dev/null && continue
		rm -f /dev/hugepages/"${p}"map_* 2>/dev/null || true
		rm -rf /var/run/dpdk/"$p" 2>/dev/null || true
	done
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if declare -F bench_cleanup_hook >/dev/null; then
		bench_cleanup_hook || true
	fi
	stop_pids
	remove_prefix_files
	[ "$POLICY_RC_CREATED" = 1 ] && rm -f /usr/sbin/policy-rc.d
	if [ "$KEEP" = 1 ] || [ "$rc" != 0 ]; then
		log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}

# Start "$@" in the background with output to file $1; its pid in BG_PID
# and in $PIDFILE.
bg_start() {
	local logf=$1
	shift
	"$@" >"$logf" 2>&1 &
	BG_PID=$!
	echo "$BG_PID $(proc_start "$BG_PID")" >>"$PIDFILE"
}

# Wait up to $2 s for our child $1 to exit, kill it after that; its exit
# status in WAIT_RC (137: we had to kill it).
wait_gone() {
	local pid=$1 secs=$2
	WAIT_RC=0
	for _ in $(seq $((secs * 10))); do
		if ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then
			wait "$pid" 2>/dev/null || WAIT_RC=$?
			return 0
		fi
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || WAIT_RC=$?
}

# ---------------------------------------------------------------- sluice under sluiced
# For scripts that run the whole control side: sluiced from $BUILD starts
# the primary and workers of BUILD (sluice_start's second argument).  The
# sourcing script sets CTL_CPU, FWD_CPU (the one-worker core), MASK (the
# pmd-cpu-mask of more workers), MBUFS and SLD_PREFIX (its --file-prefix).
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

# sluice_start DIR BUILD NWORKERS: sluiced with NWORKERS workers running
# (more than one: pmd-cpu-mask=$MASK).
sluice_start() {
	local dir=$1 build=$2 n=$3 json st pid
	SL_RD=$dir/sl
	mkdir -p "$SL_RD"
	"$BUILD/ctl/sluiced" --rundir "$SL_RD" --workers 1 --lcores "$CTL_CPU,$FWD_CPU" \
		--primary-bin "$build/primary/sluice-primary" --worker-bin "$build/secondary/sluice-worker" \
		--primary-args "--mbufs $MBUFS" \
		--eal-args "--no-pci --file-prefix=$SLD_PREFIX --log-level=lib.eal:error" --detach \
		>"$dir/sluiced.out" 2>&1 || { tail -5 "$dir/sluiced.out" >&2; return 1; }
	pid=$(cat "$SL_RD/sluiced.pid")
	pid_record "$pid"
	SL_PIDS+=("$pid")
	[ "$n" = 1 ] || sl_ctl set "pmd-cpu-mask=$MASK" >/dev/null
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

# ---------------------------------------------------------------- OVS-DPDK
# Debian's openvswitch-switch-dpdk, installed if missing with its system
# services kept from starting, and run from a private directory.
OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
OVS_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema

ovs_install() {
	if [ ! -x "$OVS_VSWITCHD" ]; then
		log "installing openvswitch-switch-dpdk (system services are kept from starting)"
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
			chmod 755 /usr/sbin/policy-rc.d
			POLICY_RC_CREATED=1
		fi
		apt-get update -qq >"$WORK/apt.log" 2>&1 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openvswitch-switch-dpdk \
			>>"$WORK/apt.log" 2>&1 || die "apt-get install openvswitch-switch-dpdk failed (see $WORK/apt.log)"
		if [ $POLICY_RC_CREATED = 1 ]; then
			rm -f /usr/sbin/policy-rc.d
			POLICY_RC_CREATED=0
		fi
	fi
	[ -x "$OVS_VSWITCHD" ] || die "$OVS_VSWITCHD missing after install"
	[ -f "$OVS_SCHEMA" ] || die "$OVS_SCHEMA missing"
}

# ovs_start DIR FILE_PREFIX: ovsdb-server and ovs-vswitchd (DPDK EAL with
# --no-pci and FILE_PREFIX, main lcore CTL_CPU, one PMD thread on FWD_CPU)
# with everything in DIR, which also becomes OVS_RUNDIR etc., so that
# ovs-ofctl and ovs-appctl find this instance.  Sets OVS_D, OVS_PIDS and
# OVS_VSCTL (an ovs-vsctl command line for it).  The caller sets
# 'trap ovs_stop EXIT' (it runs in a subshell of its own) and OVS_TAG.
OVS_PIDS=()
ovs_start() {
	local d=$1 prefix=$2
	OVS_D=$d
	mkdir -p "$d/etc"
	export OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d OVS_SYSCONFDIR=$d/etc
	rm -f "$d/conf.db" # a new database each start: a round's bridge is not the next one's
	ovsdb-tool create "$d/conf.db" "$OVS_SCHEMA"
	bg_start "$d/ovsdb-server.out" ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" \
		--pidfile="$d/ovsdb-server.pid" --unixctl="$d/ovsdb-server.ctl" \
		--log-file="$d/ovsdb-server.log"
	OVS_PIDS+=("$BG_PID")
	for _ in $(seq 100); do [ -S "$d/db.sock" ] && break; sleep 0.1; done
	OVS_VSCTL=(ovs-vsctl --db="unix:$d/db.sock" --timeout=60)
	"${OVS_VSCTL[@]}" --no-wait init
	"${OVS_VSCTL[@]}" --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		"other_config:dpdk-extra=--no-pci --file-prefix=$prefix --log-level=lib.eal:error" \
		"other_config:dpdk-lcore-mask=$(printf 0x%x $((1 << CTL_CPU)))" \
		"other_config:pmd-cpu-mask=$(printf 0x%x $((1 << FWD_CPU)))"
	bg_start "$d/ovs-vswitchd.out" "$OVS_VSWITCHD" "unix:$d/db.sock" \
		--pidfile="$d/ovs-vswitchd.pid" --unixctl="$d/ovs-vswitchd.ctl" \
		--log-file="$d/ovs-vswitchd.log"
	OVS_PIDS+=("$BG_PID")
	for _ in $(seq 300); do [ -S "$d/ovs-vswitchd.ctl" ] && break; sleep 0.1; done
	[ -S "$d/ovs-vswitchd.ctl" ] || { echo "ovs-vswitchd did not start (see $d)" >&2; return 1; }
}

ovs_stop() {
	local d=${OVS_D:-} pid
	[ -S "$d/ovs-vswitchd.ctl" ] && timeout 10 ovs-appctl -t "$d/ovs-vswitchd.ctl" exit >/dev/null 2>&1 || true
	[ -S "$d/ovsdb-server.ctl" ] && timeout 5 ovs-appctl -t "$d/ovsdb-server.ctl" exit >/dev/null 2>&1 || true
	for pid in "${OVS_PIDS[@]}"; do
		wait_gone "$pid" 10
		[ "$WAIT_RC" = 0 ] || note "$OVS_TAG: an OVS process exited with status $WAIT_RC"
	done
	OVS_PIDS=()
}

# ---------------------------------------------------------------- docs
# The machine and software line of docs/benchmark.md.
bench_machine_line() {
	local dpdk_ver ovs_ver=- commit
	dpdk_ver=$(pkg-config --modversion libdpdk 2>/dev/null || dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo unknown)
	[ "${NO_OVS:-0}" = 1 ] || ovs_ver=$("$OVS_VSWITCHD" --version 2>/dev/null | head -1 || echo unknown)
	commit=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ -n "$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		commit="$commit (with uncommitted changes)"
	fi
	echo "Machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)," \
	     "kernel $(uname -r); DPDK $dpdk_ver; $ovs_ver; sluice $commit."
}

# The "Seen during this run" list of the notes taken with note(), if any.
bench_seen_notes() {
	[ -s "$WORK/notes.txt" ] || return 0
	echo
	echo "Seen during this run:"
	echo
	sed 's/^/- /' "$WORK/notes.txt"
}

# bench_finish [--print]: the end of a run.  The script's `section`
# (printed too with --print) goes into $DOCS_FILE as section $SECTION when
# DOCS=1; a failed measurement keeps $WORK.  Exits 0.
bench_finish() {
	if [ "${1:-}" = --print ]; then
		echo
		section | tee "$WORK/section.md"
	elif [ "$DOCS" = 1 ]; then
		section >"$WORK/section.md"
	fi
	if [ "$DOCS" = 1 ]; then
		bench_docs_section "$SECTION" "$WORK/section.md"
	fi
	[ -z "${FAILED:-}" ] || { log "some measurements failed (logs in $WORK)"; KEEP=1; }
	exit 0
}

# Put the markdown file $2 in $DOCS_FILE as its section headed $1 (the
# section's own first line): replaces the section of that heading where
# there is one (up to the next "## "), else appends it.
bench_docs_section() {
	local head=$1 secfile=$2
	mkdir -p "$(dirname "$DOCS_FILE")"
	[ -e "$DOCS_FILE" ] || printf '# Benchmark\n\n' >"$DOCS_FILE"
	awk -v head="$head" -v secfile="$secfile" '
	function put(    l) { while ((getline l <secfile) > 0) print l; close(secfile); done = 1 }
	$0 == head { skip = 1; if (!done) put(); next }
	skip && /^## / { skip = 0; print "" }
	skip { next }
	{ print; last = $0 }
	END { if (!done) { if (NR > 0 && last != "") print ""; put() } }' "$DOCS_FILE" >"$WORK/docs.new"
	# cat, not mv: the file keeps its mode and owner.
	cat "$WORK/docs.new" >"$DOCS_FILE"
	log "wrote the \"$head\" section of $DOCS_FILE"
}
