#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""flow-probe.py IFACE -- CMD...: run CMD and print, in ms from just before
it starts, when CMD returned (the switch acknowledged the change) and when
the first frame arrived on IFACE (kernel receive timestamp, SO_TIMESTAMPNS).
Frames queued on IFACE before CMD starts are discarded.  Exits 1 if no frame
arrives within 10 s."""
import os, select, socket, struct, subprocess, sys, time

SO_TIMESTAMPNS = 35
ETH_P_ALL = 3

def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.stderr.write(__doc__ + "\n")
        return 2
    iface, cmd = sys.argv[1], sys.argv[3:]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setblocking(False)
    try:
        while True:
            s.recv(65536)
    except BlockingIOError:
        pass
    t0 = time.time_ns()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    first = None
    t_ack = None
    deadline = time.monotonic() + 10
    while (first is None or t_ack is None) and time.monotonic() < deadline:
        if t_ack is None and proc.poll() is not None:
            t_ack = time.time_ns()
            if proc.returncode != 0:
                sys.stderr.write("flow-probe: %s failed (%d)\n" % (cmd[0], proc.returncode))
                return 1
        if first is None:
            r, _, _ = select.select([s], [], [], 0.0005)
            if r:
                try:
                    while True:
                        _, anc, _, _ = s.recvmsg(65536, 64)
                        for lvl, typ, data in anc:
                            if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                                sec, nsec = struct.unpack("qq", data[:16])
                                ts = sec * 10**9 + nsec
                                if ts >= t0 and first is None:
                                    first = ts
                        if first is not None:
                            break
                except BlockingIOError:
                    pass
        else:
            time.sleep(0.0005)
    if first is None or t_ack is None:
        proc.kill()
        sys.stderr.write("flow-probe: no frame on %s within 10 s\n" % iface)
        return 1
    print("ack_ms=%.3f first_ms=%.3f" % ((t_ack - t0) / 1e6, (first - t0) / 1e6))
    return 0

if __name__ == "__main__":
    sys.exit(main())
