#!/usr/bin/env bash
# Build the fuzz targets, replay the committed corpus, then fuzz each target.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS (default 30) is how long each target is fuzzed; 0 only replays the
# corpus.  TARGETs are fuzz_flow_syntax fuzz_packet fuzz_request fuzz_db
# (default: all).  Exits non-zero if any input crashes or breaks a property;
# the input is then in $FUZZ_OUT/artifacts/.  New inputs the fuzzer finds go
# to $FUZZ_OUT/corpus/TARGET, not into the tree: copy the interesting ones
# (small, new coverage) into tests/fuzz/corpus/TARGET and commit them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export FUZZ_OUT=${FUZZ_OUT:-$root/build/fuzz}
secs=${1:-30}
[ $# -gt 0 ] && shift
targets=${*:-fuzz_flow_syntax fuzz_packet fuzz_request fuzz_db}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

"$here/build.sh"
mkdir -p "$FUZZ_OUT/artifacts"
# Leaks are bugs too; a slow input (10 s) is a hang.
opts="-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -detect_leaks=1"
rc=0
for t in $targets; do
	bin=$FUZZ_OUT/$t
	seeds=$here/corpus/$t
	work=$FUZZ_OUT/corpus/$t
	dict=()
	[ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
	[ -x "$bin" ] || { echo "fuzz: unknown target $t" >&2; exit 2; }
	mkdir -p "$work"
	echo "fuzz: $t: replaying $(ls "$seeds" | wc -l) corpus inputs"
	if ! "$bin" $opts -runs=0 -artifact_prefix="$FUZZ_OUT/artifacts/$t-" "$seeds" \
		>"$FUZZ_OUT/$t.replay.log" 2>&1; then
		tail -40 "$FUZZ_OUT/$t.replay.log"
		echo "fuzz: $t: FAILED on the committed corpus (log: $FUZZ_OUT/$t.replay.log)"
		rc=1
		continue
	fi
	[ "$secs" -eq 0 ] && continue
	echo "fuzz: $t: fuzzing for $secs s"
	# The first directory receives what the fuzzer finds; the seeds are read only.
	if ! nice -n 10 "$bin" $opts "${dict[@]}" -max_total_time="$secs" \
		-artifact_prefix="$FUZZ_OUT/artifacts/$t-" "$work" "$seeds" \
		>"$FUZZ_OUT/$t.log" 2>&1; then
		tail -40 "$FUZZ_OUT/$t.log"
		echo "fuzz: $t: FAILED (log: $FUZZ_OUT/$t.log, input in $FUZZ_OUT/artifacts/)"
		rc=1
		continue
	fi
	grep -E "^stat::number_of_executed_units|DONE" "$FUZZ_OUT/$t.log" | tr -s ' ' |
		sed "s/^/fuzz: $t: /"
done
[ $rc -eq 0 ] && echo "fuzz: all targets passed"
exit $rc
