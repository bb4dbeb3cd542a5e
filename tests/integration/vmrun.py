#!/usr/bin/env python3
"""Runs an emulator, records its serial output, and optionally drives the
serial console: wait for a pattern, then type a line.

  vmrun.py --log FILE --timeout SEC [--pty] [--step REGEX TEXT]... -- CMD [ARGS...]

Each --step waits (within the overall timeout) until REGEX appears in the
output after the previous step's match, then sends TEXT with "\\n" turned
into a carriage return, as a terminal would, and "\\xNN" into that byte. A REGEX of "@sleep N" waits N seconds instead; "@seen REGEX" looks
for REGEX anywhere in the output so far (and does not move on). Exits
with the command's exit
status, or 124 when the timeout ended it (SIGINT first: Bochs ignores
SIGTERM).

--tcp PORT takes the serial line from a TCP server CMD opens on
127.0.0.1:PORT (Bochs' socket-server serial mode) instead of CMD's own
output, which is then discarded: connected as soon as it listens.

--on-timeout CMD runs the shell command CMD when the timeout comes,
before the command is stopped (to record the state of a hung emulator).
A step whose pattern never came is named on stderr.

--pty runs CMD on a pseudo-terminal of its own (its controlling terminal,
as when a person types the command), so anything that would prompt or
wait for a terminal does so here too, and what CMD does to the terminal
(raw mode) applies to what is typed."""
import argparse
import os
import pty
import socket
import re
import signal
import subprocess
import sys
import threading
import time


class PtyProc:
    """A child on a new pseudo-terminal, with Popen's few methods used here."""

    class _End:
        def __init__(self, fd):
            self.fd = fd

        def read1(self, n):
            try:
                return os.read(self.fd, n)
            except OSError:  # EIO: every holder of the terminal is gone
                return b""

        def write(self, data):
            os.write(self.fd, data)

        def flush(self):
            pass

    def __init__(self, cmd):
        env = dict(os.environ, TERM=os.environ.get("TERM", "xterm") or "xterm")
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execvpe(cmd[0], cmd, env)
            finally:
                os._exit(127)
        self.pid = pid
        self.stdout = self.stdin = self._End(fd)
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(st)
        return self.returncode

    def wait(self, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired("pty child", timeout)
            time.sleep(0.05)
        return self.returncode


class SockEnd:
    """A serial line on a TCP connection, with the pipe methods used here."""

    def __init__(self, sock):
        self.sock = sock

    def read1(self, n):
        try:
            return self.sock.recv(n)
        except OSError:
            return b""

    def write(self, data):
        self.sock.sendall(data)

    def flush(self):
        pass


def connect(port, proc, deadline):
    """The serial server on 127.0.0.1:port once CMD listens, or None."""
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            time.sleep(0.2)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--pty", action="store_true")
    ap.add_argument("--tcp", type=int, metavar="PORT")
    ap.add_argument("--step", nargs=2, action="append", default=[],
                    metavar=("REGEX", "TEXT"))
    ap.add_argument("--on-timeout", metavar="CMD")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")

    deadline = time.monotonic() + a.timeout
    if a.pty:
        proc = PtyProc(cmd)
    elif a.tcp:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    else:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)

    # Stopped from outside (a tier interrupted, a loop killed): the
    # machine goes with it instead of running on, orphaned, and taking
    # CPU from whatever runs next.
    def stop_child(signum, _frame):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        sys.exit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, stop_child)
    buf = bytearray()
    lock = threading.Lock()
    log = open(a.log, "wb")
    if a.tcp:
        sock = connect(a.tcp, proc, deadline)
        if sock is None:
            sys.stderr.write("vmrun: nothing listens on 127.0.0.1:%d\n" % a.tcp)
            sock = socket.socket()
        sock.settimeout(None)
        proc.stdout = proc.stdin = SockEnd(sock)

    def reader():
        while True:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            with lock:
                buf.extend(chunk)
            log.write(chunk)
            log.flush()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    pos = 0
    timed_out = False
    for k, (regex, text) in enumerate(a.step, 1):
        wait = re.fullmatch(r"@sleep ([0-9.]+)", regex)
        if wait:
            # A pause of so many seconds instead of a pattern.
            time.sleep(max(0.0, min(float(wait.group(1)), deadline - time.monotonic())))
            regex = ""
        seen = regex.startswith("@seen ")
        if seen:
            regex = regex[len("@seen "):]
        pat = re.compile(regex.encode())
        while True:
            with lock:
                m = pat.search(buf, 0 if seen else pos)
            if m:
                if not seen:
                    pos = m.end()
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if not m:
            sys.stderr.write("vmrun: step %d of %d never saw %r\n" % (k, len(a.step), regex))
            break
        time.sleep(0.1)
        try:
            data = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)),
                          text.replace("\\n", "\r"))
            for ch in data.encode():
                proc.stdin.write(bytes([ch]))
                proc.stdin.flush()
                time.sleep(0.002)
        except OSError:  # a closed pipe or terminal
            break
    try:
        proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
        if a.on_timeout:
            try:
                subprocess.run(a.on_timeout, shell=True, timeout=120)
            except subprocess.TimeoutExpired:
                sys.stderr.write("vmrun: --on-timeout command took over 120 s\n")
        for sig, wait in ((signal.SIGINT, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    t.join(timeout=5)
    log.close()
    if timed_out:
        sys.stderr.write("vmrun: timed out after %.0f s\n" % a.timeout)
        return 124
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
