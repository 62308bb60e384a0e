#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""stall-watch.py CONSOLE MONITOR_SOCKET SECONDS OUT

Run beside a test VM under multi-threaded TCG: when CONSOLE has not grown
for SECONDS, ask QEMU's monitor (a unix socket) for every vCPU's registers
and write them to OUT, once. A guest that froze whole (seen under
multi-threaded TCG; the guest's own watchdog cannot run then) thus shows
where its CPUs were (HLT=1: halted; RIPs are KASLR-shifted). It only
reads; the VM's time limit still ends the run.
"""
import os
import re
import socket
import sys
import time


def monitor(path, commands):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    out = b""
    for c in commands:
        s.sendall(c.encode() + b"\n")
        time.sleep(1)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if len(chunk) < 65536:
                    break
        except socket.timeout:
            pass
    s.close()
    # Drop the monitor's echo of each keystroke (terminal escapes).
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.decode(errors="replace"))
    return "\n".join(l for l in text.splitlines() if not l.startswith("(qemu)")) + "\n"


def main():
    console, sock, seconds, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    size, since = -1, time.monotonic()
    parent = os.getppid()
    while os.getppid() == parent:  # run-in-vm.sh gone: so is the VM
        time.sleep(5)
        try:
            now = os.path.getsize(console)
        except OSError:
            continue
        if now != size:
            size, since = now, time.monotonic()
            continue
        if time.monotonic() - since < seconds or not os.path.exists(sock):
            continue
        try:
            text = monitor(sock, ["info cpus", "info registers -a"])
        except OSError as e:
            text = "monitor: %s\n" % e
        with open(out, "w") as f:
            f.write("no console output for %d s; QEMU's view of the vCPUs:\n" % seconds)
            f.write(text)
        print("stall-watch: no console output for %d s: vCPU registers in %s" % (seconds, out),
              file=sys.stderr, flush=True)
        return


if __name__ == "__main__":
    main()
