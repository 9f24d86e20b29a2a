#!/bin/sh
# The far side of test_bond: veth pairs and an Open vSwitch userspace
# (datapath_type=netdev) bridge with a bond over them, run from a private
# directory (no kernel module, no DPDK, no system service).
#
#   bond_partner.sh up TAG                  veths and two namespaces
#   bond_partner.sh ovs TAG ovs-vsctl-add-bond-options...   start OVS with its bond
#   bond_partner.sh appctl TAG CMD...       ovs-appctl to that OVS
#   bond_partner.sh down TAG                stop OVS, remove everything
#
# Names (TAG is short): sluice's members ${TAG}s0 ${TAG}s1, OVS's ends
# ${TAG}o0 ${TAG}o1; sluice's host port ${TAG}sh <-> ${TAG}a in netns
# ${TAG}A (10.77.0.1); OVS's host port ${TAG}oh <-> ${TAG}b in netns ${TAG}B
# (10.77.0.2).
set -e
cmd=$1
T=$2
shift 2
D=/tmp/slbond-$T
export OVS_RUNDIR=$D OVS_DBDIR=$D OVS_LOGDIR=$D
VSCTL="ovs-vsctl --db=unix:$D/db.sock --timeout=10"

case $cmd in
up)
	for i in 0 1; do
		ip link add ${T}s$i type veth peer name ${T}o$i
		ip link set ${T}s$i up
		ip link set ${T}o$i up
	done
	for side in A B; do
		ip netns add ${T}$side
	done
	ip link add ${T}sh type veth peer name ${T}a netns ${T}A
	ip link add ${T}oh type veth peer name ${T}b netns ${T}B
	ip link set ${T}sh up
	ip link set ${T}oh up
	ip -n ${T}A addr add 10.77.0.1/24 dev ${T}a
	ip -n ${T}B addr add 10.77.0.2/24 dev ${T}b
	for side in A B; do
		ip -n ${T}$side link set lo up
	done
	ip -n ${T}A link set ${T}a up
	ip -n ${T}B link set ${T}b up
	# No offloads the userspace switches would have to finish (checksums, TSO).
	for dev in ${T}s0 ${T}s1 ${T}o0 ${T}o1 ${T}sh ${T}oh; do
		ethtool -K $dev tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
	done
	ip netns exec ${T}A ethtool -K ${T}a tx off tso off gso off >/dev/null 2>&1 || true
	ip netns exec ${T}B ethtool -K ${T}b tx off tso off gso off >/dev/null 2>&1 || true
	;;
ovs)
	rm -rf $D
	mkdir -p $D
	ovsdb-tool create $D/conf.db /usr/share/openvswitch/vswitch.ovsschema
	ovsdb-server $D/conf.db --remote=punix:$D/db.sock --pidfile=$D/ovsdb-server.pid \
		--detach --log-file=$D/ovsdb-server.log
	$VSCTL --no-wait init
	/usr/lib/openvswitch-switch/ovs-vswitchd unix:$D/db.sock --pidfile=$D/ovs-vswitchd.pid \
		--detach --log-file=$D/ovs-vswitchd.log
	$VSCTL add-br ${T}br -- set bridge ${T}br datapath_type=netdev
	$VSCTL add-bond ${T}br ${T}ob ${T}o0 ${T}o1 "$@"
	$VSCTL add-port ${T}br ${T}oh
	;;
appctl)
	ovs-appctl -t $D/ovs-vswitchd.$(cat $D/ovs-vswitchd.pid).ctl "$@"
	;;
vsctl)
	$VSCTL "$@"
	;;
down)
	for p in ovs-vswitchd ovsdb-server; do
		if [ -f $D/$p.pid ]; then
			kill $(cat $D/$p.pid) 2>/dev/null || true
		fi
	done
	sleep 0.2
	# ${T}br: the tap device OVS made for its bridge's internal port.
	for dev in ${T}s0 ${T}s1 ${T}sh ${T}oh ${T}br; do
		ip link del $dev 2>/dev/null || true
	done
	for side in A B; do
		ip netns del ${T}$side 2>/dev/null || true
	done
	rm -rf $D
	;;
esac
