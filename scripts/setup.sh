#!/usr/bin/env bash
# Install what sluice needs from Debian, reserve hugepages, build.
# Idempotent: safe to run again. Needs root (apt-get, hugepages).
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS="dpdk dpdk-dev libdpdk-dev libnuma-dev libzmq3-dev libprotobuf-c-dev
      protobuf-c-compiler libpcap-dev zlib1g-dev libcriterion-dev meson ninja-build pkg-config
      gcc tcpdump tshark iproute2 iputils-ping iperf3 python3-scapy
      clang libclang-rt-14-dev
      qemu-system-x86 linux-image-amd64 busybox-static ethtool cpio kmod
      openvswitch-switch"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# tshark asks whether non-root users may capture; answer no.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	# openvswitch-switch (the bond tests' LACP partner) would start system
	# services; a policy-rc.d that says no keeps them from starting.
	policy_rc=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy_rc=1
	fi
	apt-get install -y -q --no-install-recommends $missing
	if [ $policy_rc = 1 ]; then
		rm -f /usr/sbin/policy-rc.d
	fi
fi

# Hugepages: 1 GiB of 2 MiB pages, and hugetlbfs mounted.
want=${SLUICE_HUGEPAGES:-512}
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt "$want" ]; then
	echo "$want" > /proc/sys/vm/nr_hugepages
fi
if ! grep -q " hugetlbfs " /proc/mounts; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
echo "setup: hugepages: $(cat /proc/sys/vm/nr_hugepages) reserved, $free free"

if [ ! -f build/build.ninja ]; then
	meson setup build
fi
ninja -C build
