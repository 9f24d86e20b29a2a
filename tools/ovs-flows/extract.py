#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Extract the flows of Open vSwitch's own test suite into a corpus.

Reads tests/ofproto-dpif.at and tests/ovs-ofctl.at (Autotest/m4 sources of
an OVS checkout, given as arguments), collects every flow written as the
argument of `ovs-ofctl add-flow BRIDGE FLOW` or as a line of an
`AT_DATA([...flows...], [...])` block, drops the ones that use shell
variables or m4 macros, and keeps those that `ovs-ofctl parse-flow`
accepts.  Prints one flow a line, in order of first appearance, duplicates
removed.

    tools/ovs-flows/extract.py ovs/tests/ofproto-dpif.at ovs/tests/ovs-ofctl.at \
        > tools/ovs-flows/corpus.txt
"""
import re
import subprocess
import sys

ADD_FLOW = re.compile(r"ovs-ofctl\s+(?:(?:-O|--protocols|-F)\s+\S+\s+|--\S+\s+)*"
                      r"add-flow\s+\S+\s+(.*)")


def unquote(arg):
    """The flow argument of one add-flow command line, or None."""
    arg = arg.strip()
    if arg[:1] in ("'", '"'):
        end = arg.find(arg[0], 1)
        return arg[1:end] if end > 0 else None
    m = re.match(r"([^\s\]\)]+)", arg)
    return m.group(1) if m else None


def candidates(text):
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = ADD_FLOW.search(line)
        if m:
            f = unquote(m.group(1))
            if f:
                yield f
        m = re.match(r"\s*AT_DATA\(\[([^\]]*flow[^\]]*)\],\s*\[(.*)", line)
        if m:
            rest = m.group(2)
            block = [] if rest.strip() in ("", "[", "dnl") else [rest]
            i += 1
            while i < len(lines) and not lines[i].rstrip().endswith("])") \
                    and not lines[i].startswith("]])"):
                block.append(lines[i])
                i += 1
            if i < len(lines):
                last = lines[i].rstrip()
                last = last[:-3] if last.endswith("]])") else last[:-2]
                block.append(last)
            for b in block:
                b = b.strip()
                if b.startswith("[") and not b.startswith("[["):
                    b = b[1:]
                if b:
                    yield b
        i += 1


def usable(f):
    if not f or f.startswith("#") or "$" in f or "dnl" in f.split():
        return False
    if "AT_" in f or "OVS_" in f or "[" in f or "]" in f:
        return False
    return "action" in f  # a flow to add, not a match


def ovs_accepts(f):
    r = subprocess.run(["ovs-ofctl", "parse-flow", f], capture_output=True, text=True)
    return r.returncode == 0


def main(paths):
    seen = set()
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for f in candidates(text):
            f = f.strip()
            if f in seen or not usable(f):
                continue
            seen.add(f)
            if ovs_accepts(f):
                print(f)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: extract.py FILE.at...")
    main(sys.argv[1:])
