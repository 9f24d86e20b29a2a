#!/usr/bin/env bash
# Build the libFuzzer targets with clang, ASan and UBSan, apart from meson's
# gcc build: the DPDK-free sources they exercise are compiled here again,
# instrumented.  Output: $FUZZ_OUT (default build/fuzz) holding fuzz_*.
#
#   tests/fuzz/build.sh            build every target
#   FUZZ_OUT=/tmp/f tests/fuzz/build.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$root/build/fuzz}
cc=${FUZZ_CC:-clang}

# Only code without DPDK headers: the parsers, the flow table, the DB and
# the message helpers (msg.c needs libzmq, not DPDK).
lib_src="common/flow.c common/flow_syntax.c common/ftable.c common/packet.c common/util.c
	 common/msg.c common/settings.c common/pmd.c common/verbs.c common/meter_syntax.c ctl/db.c ctl/db_journal.c
	 ctl/db_meters.c common/group.c common/group_syntax.c ctl/db_groups.c common/bond_conf.c common/conntrack.c"
targets="fuzz_flow_syntax fuzz_packet fuzz_request fuzz_db"

if ! command -v "$cc" >/dev/null; then
	echo "fuzz: $cc not found (scripts/setup.sh installs clang)" >&2
	exit 1
fi
mkdir -p "$out/gen" "$out/obj"
protoc-c --proto_path="$root/proto" --c_out="$out/gen" "$root/proto/sluice.proto"

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-g -O1 -std=gnu11 -D_GNU_SOURCE -I$root/common -I$root/ctl -I$out/gen
	$(pkg-config --cflags libprotobuf-c libzmq zlib) $san"
libs="$(pkg-config --libs libprotobuf-c libzmq zlib) -ldl"

# Compilers run side by side; any failure fails the build.
pids=""
finish() {
	local rc=0 p
	for p in $pids; do
		wait "$p" || rc=1
	done
	pids=""
	[ $rc -eq 0 ] || { echo "fuzz: build failed" >&2; exit 1; }
}

objs=""
for src in $lib_src; do
	obj="$out/obj/$(basename "$src" .c).o"
	# Warnings are shown, not fatal: gcc -Werror in meson judges this code.
	$cc $cflags -fsanitize=fuzzer-no-link -Wall -Wextra -c "$root/$src" -o "$obj" &
	pids="$pids $!"
	objs="$objs $obj"
done
$cc $cflags -fsanitize=fuzzer-no-link -w -c "$out/gen/sluice.pb-c.c" -o "$out/obj/sluice.pb-c.o" &
pids="$pids $!"
objs="$objs $out/obj/sluice.pb-c.o"
finish

for t in $targets; do
	rm -f "$out/$t"
	$cc $cflags -fsanitize=fuzzer -Wall -Wextra -Werror -I"$root/tests/fuzz" \
		"$root/tests/fuzz/$t.c" $objs $libs -o "$out/$t" &
	pids="$pids $!"
done
finish
echo "fuzz: built $targets in $out"
