#!/bin/bash
# The cost of group:N against output:N: one worker, a net_null source (one
# flow, every packet an EMC hit) into net_null sinks; Mpps the sinks took,
# over 3 s per configuration, two rounds.  Run under the DPDK lock:
#   flock /tmp/sluice-dpdk.lock tools/bench/groups.sh [BUILD_DIR]
B=${1:-$(dirname "$0")/../../build}
R=/tmp/sluice-bench-groups
rm -rf $R; mkdir -p $R
$B/ctl/sluiced --rundir $R --workers 1 --lcores 0,1 --eal-args "--no-pci --file-prefix=slbgroups --log-level=lib.eal:error" --detach >/dev/null 2>&1
for i in $(seq 50); do $B/ctl/sluicectl --rundir $R show >/dev/null 2>&1 && break; sleep 0.2; done
S="$B/ctl/sluicectl --rundir $R"
$S add-port a net_null1,no-rx=1 ofport=2 >/dev/null
$S add-port b net_null2,no-rx=1 ofport=3 >/dev/null
$S add-group group_id=1,type=indirect,bucket=output:2
$S add-group group_id=2,type=select,bucket=output:2,bucket=output:3
$S add-group group_id=3,type=fast_failover,bucket=watch_port:2,actions=output:2,bucket=watch_port:3,actions=output:3
$S add-flow in_port=1,actions=output:2
$S add-port src net_null0 ofport=1 >/dev/null
rate() {
  sleep 1
  a=$($S dump-ports a | grep -o "tx pkts=[0-9]*" | cut -d= -f2); b=$($S dump-ports b | grep -o "tx pkts=[0-9]*" | cut -d= -f2)
  sleep 3
  a2=$($S dump-ports a | grep -o "tx pkts=[0-9]*" | cut -d= -f2); b2=$($S dump-ports b | grep -o "tx pkts=[0-9]*" | cut -d= -f2)
  echo "$1: $(( (a2-a+b2-b)/3000000 )).$(( ((a2-a+b2-b)/300000)%10 )) Mpps"
}
for round in 1 2; do
$S mod-flows in_port=1,actions=output:2; rate "output:2      "
$S mod-flows in_port=1,actions=group:1; rate "group indirect"
$S mod-flows in_port=1,actions=group:2; rate "group select  "
$S mod-flows in_port=1,actions=group:3; rate "group ff      "
done
$S shutdown
