#!/usr/bin/env python3
"""Says where each CPU of a running QEMU is, for a run that hangs.

  qmpdump.py SOCKET CORE_ELF [SAMPLES]

Connects to QEMU's QMP socket (run-qemu's VATRA_QEMU_QMP), prints each
virtual CPU's registers, its local APIC (the timer, IRR and ISR: a host
that stopped taking its timer shows here) and the 64 words at its stack
pointer, SAMPLES times (1) half a second apart, and names
the core's functions among them (the core is linked at a fixed address,
so its RIPs and return addresses are symbols of CORE_ELF). A CPU that
is running a guest shows the guest's registers: QEMU reports the state
it is executing. Best effort: whatever fails is said and skipped."""
import json
import re
import socket
import subprocess
import sys
import time


def qmp(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rw")
    json.loads(f.readline())  # greeting

    def call(cmd, **args):
        f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                return r

    call("qmp_capabilities")
    return call


def symbols(elf, addrs):
    if not addrs:
        return {}
    try:
        out = subprocess.run(["addr2line", "-f", "-e", elf] + ["%x" % a for a in addrs],
                             capture_output=True, text=True, timeout=30).stdout.split("\n")
    except (OSError, subprocess.SubprocessError) as e:
        return {a: "(addr2line: %s)" % e for a in addrs}
    return {a: "%s %s" % (out[2 * i], out[2 * i + 1].rsplit("/", 1)[-1])
            for i, a in enumerate(addrs) if 2 * i + 1 < len(out)}


def hmp(call, line, i):
    r = call("human-monitor-command", **{"command-line": line, "cpu-index": i})
    return r.get("return", str(r.get("error")))


def main():
    sock, elf = sys.argv[1], sys.argv[2]
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    try:
        call = qmp(sock)
    except (OSError, ValueError) as e:
        print("qmpdump: no QMP at %s: %s" % (sock, e))
        return 0
    for k in range(samples):
        if k:
            time.sleep(0.5)
        print("##### sample %d of %d" % (k + 1, samples))
        dump(call, elf)
    return 0


def dump(call, elf):
    core = re.compile(r"^ffffffff8[0-9a-f]{7}$")
    cpus = call("query-cpus-fast").get("return", [])
    for c in cpus:
        i = c["cpu-index"]
        text = hmp(call, "info registers", i)
        print("=== CPU %d (thread %s)" % (i, c.get("thread-id")))
        print(text.rstrip())
        print(hmp(call, "info lapic", i).rstrip())
        rip = re.search(r"RIP=([0-9a-f]{16})", text)
        rsp = re.search(r"RSP=([0-9a-f]{16})", text)
        words = []
        if rsp:
            mem = call("human-monitor-command",
                       **{"command-line": "x/64gx 0x%s" % rsp.group(1), "cpu-index": i})
            for line in mem.get("return", "").splitlines():
                words += [w[2:] for w in line.split(":", 1)[-1].split()]
        hits = [int(w, 16) for w in words if core.match(w)]
        if rip and core.match(rip.group(1)):
            hits.insert(0, int(rip.group(1), 16))
        names = symbols(elf, hits)
        for a in hits:
            print("  %016x %s" % (a, names.get(a, "?")))


if __name__ == "__main__":
    sys.exit(main())
