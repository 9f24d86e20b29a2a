#!/usr/bin/env python3
"""Write the seed corpus of each fuzz target into tests/fuzz/corpus/<target>/.

Seeds are what the fuzzers start from: flows from the tests and the README,
frames of every protocol the parser knows (whole and cut short), encoded
control requests, sample DB files.  Run it again after changing a seed list;
files the fuzzers found (named by their hash) are left alone.

    tests/fuzz/seeds.py            (needs protoc-c for the requests)
"""
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- flow syntax ------------------------------------------------------------

def flow_seeds():
    flows = set()
    # Every quoted flow of the flow-syntax unit test, good and bad.
    with open(os.path.join(ROOT, "tests/unit/test_flow_syntax.c")) as f:
        for s in re.findall(r'\{ "([^"\\]*)"', f.read()):
            flows.add(s)
    flows.update([
        "priority=100,in_port=p1,ip,nw_dst=10.0.0.0/24,actions=output:p2",
        "priority=10,dl_vlan=7,actions=strip_vlan,NORMAL",
        "priority=1,in_port=1,actions=output:2",
        "in_port=a:b,actions=output:a:b,in_port",
        "priority=5,tcp,in_port=p1",
        "cookie=0x5,priority=7,ip",
        "priority=160,dl_vlan=8,actions=mod_vlan_vid:9,output:2,output:3",
        "vlan_tci=0x0000/0x1000,actions=drop",
        "vlan_tci=0x0005/0x1fff,actions=drop",
        "ipv6,ipv6_src=2001:db8::/ffff:0:ffff::,actions=drop",
        "tcp,tp_src=0x0050/0xfff0,tp_dst=443,actions=output:1",
        "dl_type=0x0800,nw_proto=1,icmp_type=3,icmp_code=1,actions=drop",
        "arp,arp_op=2,arp_spa=10.0.0.0/255.0.0.255,actions=FLOOD",
    ])
    for i, s in enumerate(sorted(flows)):
        write("fuzz_flow_syntax", "%03d" % i, s)


# ---- packets ----------------------------------------------------------------

DST = bytes.fromhex("001122334455")
SRC = bytes.fromhex("02aabbccddee")


def eth(etype, payload, tags=()):
    hdr = DST + SRC
    for tpid, tci in tags:
        hdr += struct.pack("!HH", tpid, tci)
    return hdr + struct.pack("!H", etype) + payload


def ipv4(proto, payload, frag=0, opts=b""):
    ihl = 5 + len(opts) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0xb8, 20 + len(opts) + len(payload),
                      0x1234, frag, 64, proto, 0, bytes([10, 0, 0, 1]), bytes([192, 168, 1, 2]))
    return hdr + opts + payload


def ipv6(nh, payload):
    return (struct.pack("!IHBB", 0x6a512345, len(payload), nh, 33)
            + bytes.fromhex("20010db8000000000000000000000001")
            + bytes.fromhex("20010db800000000000000000000ab02") + payload)


def udp(sport, dport, data=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport):
    return struct.pack("!HHIIHHHH", sport, dport, 1, 0, 0x5002, 8192, 0, 0)


def sctp(sport, dport):
    return struct.pack("!HHII", sport, dport, 7, 0)


def icmp(t, c):
    return struct.pack("!BBHI", t, c, 0, 0)


def arp(op):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, SRC, bytes([10, 1, 1, 1]),
                       bytes(6), bytes([10, 1, 1, 254])) + bytes(18)


def ext(nh, body_len=6):
    return bytes([nh, (body_len + 2) // 8 - 1]) + bytes(body_len)


def packet_seeds():
    frames = {
        "udp4": eth(0x0800, ipv4(17, udp(1234, 53, b"abcd"))),
        "tcp4": eth(0x0800, ipv4(6, tcp(40000, 80))),
        "tcp4-options": eth(0x0800, ipv4(6, tcp(1, 2), opts=bytes([1] * 8))),
        "sctp4": eth(0x0800, ipv4(132, sctp(5000, 6000))),
        "icmp4": eth(0x0800, ipv4(1, icmp(8, 0))),
        "frag4-first": eth(0x0800, ipv4(17, udp(1, 2, bytes(32)), frag=0x2000)),
        "frag4-later": eth(0x0800, ipv4(17, udp(1, 2, bytes(32)), frag=185)),
        "vlan-tcp4": eth(0x0800, ipv4(6, tcp(1, 2)), tags=[(0x8100, (5 << 13) | 100)]),
        "qinq-udp6": eth(0x86dd, ipv6(17, udp(5000, 6000)),
                         tags=[(0x88a8, (3 << 13) | 10), (0x8100, 20)]),
        "arp": eth(0x0806, arp(1)),
        "tcp6": eth(0x86dd, ipv6(6, tcp(443, 51000))),
        "icmp6": eth(0x86dd, ipv6(58, icmp(135, 0))),
        "ipv6-ext": eth(0x86dd, ipv6(0, ext(60) + ext(43) + ext(17) + udp(546, 547))),
        "ipv6-ah": eth(0x86dd, ipv6(51, bytes([6, 1]) + bytes(6) + tcp(1, 2))),
        "ipv6-frag": eth(0x86dd, ipv6(44, bytes([17, 0, 0, 1]) + bytes(4) + udp(7, 9))),
        "ipv6-frag-later": eth(0x86dd, ipv6(44, bytes([17, 0, 1, 0]) + bytes(4) + udp(7, 9))),
        "llc-snap": eth(36, bytes([0xaa, 0xaa, 3, 0, 0, 0, 8, 0]) + ipv4(17, udp(10, 20))),
        "stp-802.3": eth(38, bytes([0x42, 0x42, 3]) + bytes(35)),
        "lldp": eth(0x88cc, bytes(40)),
    }
    for name, f in sorted(frames.items()):
        write("fuzz_packet", name, f)
    # Cut short inside each layer of a few of them.
    for name in ["vlan-tcp4", "qinq-udp6", "ipv6-ext", "arp", "tcp4-options"]:
        f = frames[name]
        for cut in sorted({13, 15, 17, 21, 30, 41, 53, len(f) - 1}):
            if cut < len(f):
                write("fuzz_packet", "%s-cut%d" % (name, cut), f[:cut])


# ---- requests ---------------------------------------------------------------

REQUESTS = {
    "show": "version: 1 show {}",
    "add-port": 'version: 1 add_port { port { name: "p3" devargs: "net_null3,no-rx=1" '
                'ofport: 3 n_rxq: 2 mtu: 9000 } }',
    "add-port-defaults": 'version: 1 add_port { port { name: "p4" devargs: "net_ring0" } }',
    "add-port-bad-name": 'version: 1 add_port { port { name: "normal" devargs: "net_null9" } }',
    "del-port": 'version: 1 del_port { name: "p1" }',
    "set-port": 'version: 1 set_port { name: "uplink" settings: "mtu=1500" '
                'settings: "rx-flow-ctrl=on" settings: "n_rxq=4" }',
    "set-port-bad": 'version: 1 set_port { name: "p1" settings: "mtu=20" }',
    "add-flows": 'version: 1 add_flows { flows: "priority=100,ip,in_port=p1,'
                 'nw_dst=10.0.0.0/24,actions=output:uplink" flows: "arp,actions=NORMAL" }',
    "del-flows": 'version: 1 del_flows { flows: "in_port=p1" strict: true }',
    "del-flows-all": "version: 1 del_flows {}",
    "replace-flows": 'version: 1 replace_flows { flows: "udp,tp_dst=53,actions=drop" }',
    "set-option": 'version: 1 set_option { key: "pmd-maxsleep" value: "100" }',
    "worker-restart": "version: 1 worker_restart { id: 1 }",
    "hello": 'version: 1 hello { role: "primary" pid: 42 boot_id: 7 }',
    "worker-event": 'version: 1 worker_event { id: 0 pid: 99 event: "dead" }',
    "version-99": "version: 99 show {}",
    "no-command": "version: 1",
}


def request_seeds():
    for name, text in sorted(REQUESTS.items()):
        data = subprocess.run(["protoc-c", "--proto_path=" + os.path.join(ROOT, "proto"),
                               "--encode=sluice.Request", "sluice.proto"],
                              input=text.encode(), stdout=subprocess.PIPE, check=True).stdout
        write("fuzz_request", name, data)
    write("fuzz_request", "garbage", b"\xff\xff\xff\xff garbage")


# ---- DB files ---------------------------------------------------------------

DBS = {
    "full": """sluice-db 1
# Written by sluiced; edit only while it is stopped.
port p0 ofport=1 n_rxq=1 mtu=1500 devargs=net_null0
port uplink ofport=7 n_rxq=2 mtu=9000 rx-flow-ctrl=on devargs=net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap
option emc-insert-inv-prob=100
option pmd-maxsleep=50
flow priority=100,in_port=1,actions=output:7
flow priority=32768,ip,in_port=7,nw_dst=10.0.0.0/24,actions=output:1
flow cookie=0xff,priority=5,tcp6,ipv6_src=2001:db8::/32,tp_dst=0x1000/0xf000,actions=mod_vlan_vid:10,output:1
""",
    "names": """sluice-db 1
port a ofport=3 n_rxq=1 mtu=1500 devargs=net_ring0
port b ofport=4 n_rxq=1 mtu=1500 devargs=net_ring1
flow in_port=a,actions=output:b
flow in_port=b,dl_vlan=5,actions=strip_vlan,output:a
""",
    "empty": "sluice-db 1\n",
    "bad-line": "sluice-db 1\nfrobnicate everything\n",
    "bad-version": "sluice-db 99\n",
    "dup-port": "sluice-db 1\nport p0 ofport=1 devargs=net_null0\nport p1 ofport=1 devargs=net_null1\n",
    "crlf": "sluice-db 1\r\nport p0 ofport=1 n_rxq=1 mtu=1500 devargs=net_null0\r\n"
            "option k=v \r\nflow actions=drop\r\n",
}


def sealed(first, txns=()):
    """A version-3 DB: @first with its end line, then each journal transaction of @txns."""
    import zlib
    text = "sluice-db 3\n" + first
    out = text + "end %d %08x\n" % (text.count("\n"), zlib.crc32(text.encode()))
    for lines in txns:
        body = "".join(l + "\n" for l in lines)
        out += "txn %d %08x\n%s" % (len(lines), zlib.crc32(body.encode()), body)
    return out


JOURNALED = {
    "journal": sealed("port p0 ofport=1 devargs=net_null0\nflow in_port=1,actions=drop\n",
                      [["flow priority=5,in_port=1,actions=output:1"],
                       ["del in_port=1,actions=drop", "flow udp,actions=drop"],
                       ["state", "port p0 ofport=1 devargs=net_null0",
                        "port p1 ofport=2 devargs=net_null1", "option pmd-maxsleep=5",
                        "flow in_port=2,actions=output:1"]]),
    "journal-cut": sealed("flow actions=drop\n", [["flow priority=2,actions=drop"]])[:-7],
    "journal-bad-del": sealed("", [["del in_port=1,actions=drop"]]),
}


def db_seeds():
    for name, text in sorted(DBS.items()):
        write("fuzz_db", name, text)
    for name, text in sorted(JOURNALED.items()):
        write("fuzz_db", name, text)


if __name__ == "__main__":
    flow_seeds()
    packet_seeds()
    request_seeds()
    db_seeds()
    sys.exit(0)
