#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Clients of the control socket that defragctl never is: garbage, oversized,
# silent, many in a row; and a sd_notify listener. Used by
# test-control-socket.sh; each subcommand exits 0 or prints why it failed.
import os
import socket
import sys
import time


def connect(path):
    # The listen backlog may be full for a moment (EAGAIN): the daemon
    # accepts one connection per loop iteration.
    for _ in range(200):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            time.sleep(0.01)
    fail("cannot connect to %s: backlog full for 2 s" % path)


def ask(path, data, shut=True):
    s = connect(path)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    if shut:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except ConnectionResetError:
        pass
    s.close()
    return out


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def printable_line(reply):
    return reply.endswith(b"\n") and reply.count(b"\n") == 1 and all(0x20 <= c < 0x7f for c in reply[:-1])


def cmd_garbage(path):
    cases = [
        (b"\x00\xff\x1b[2J garbage\n", b"error: unknown request"),
        (b"status json please\n", b"error: unknown request"),
        (b"\n", b"error: unknown request"),
        (b"A" * 100000, b"error: request longer than 255 bytes"),
        (b"status" + b" " * 300 + b"\n", b"error: request longer than 255 bytes"),
        (b"stat", b"error: unknown request"),   # end of file without a newline
    ]
    for data, want in cases:
        r = ask(path, data)
        if not r.startswith(want) or not printable_line(r):
            fail("request %r: reply %r, expected one printable line starting %r" % (data[:40], r[:200], want))
        print("ok: %r -> %s" % (data[:20], r.decode().strip()[:90]))
    r = ask(path, b"status\n")
    if b"Normal" not in r:
        fail("status after garbage: %r" % r[:200])


def cmd_silent(path):
    # One client connects and says nothing: another is served meanwhile,
    # and the silent one is still served when it speaks (within its deadline).
    quiet = connect(path)
    r = ask(path, b"status\n")
    if b"Normal" not in r:
        fail("status while a client is silent: %r" % r[:200])
    quiet.sendall(b"status json\n")
    out = b""
    while True:
        b = quiet.recv(65536)
        if not b:
            break
        out += b
    if not out.startswith(b"{"):
        fail("the silent client, once it spoke, got %r" % out[:200])
    print("ok: served another client while one was silent; the silent one was served when it spoke")
    # Many silent clients: they are dropped at their deadline, the ones beyond
    # the limit are told "busy", and the daemon keeps answering afterwards.
    held = [connect(path) for _ in range(24)]
    busy = 0
    dropped = 0
    for s in held:
        s.settimeout(15)
        try:
            b = s.recv(4096)
        except ConnectionResetError:
            b = b""
        if b.startswith(b"error: busy"):
            busy += 1
        elif b == b"":
            dropped += 1
        else:
            fail("silent client got %r" % b[:100])
        s.close()
    if busy < 1 or dropped < 1:
        fail("24 silent clients: %d told busy, %d dropped; expected some of each" % (busy, dropped))
    print("ok: 24 silent clients: %d dropped at the deadline, %d told busy" % (dropped, busy))
    r = ask(path, b"status\n")
    if b"Normal" not in r:
        fail("status after silent clients: %r" % r[:200])


def cmd_many(path, n):
    kinds = [b"status\n", b"status json\n", b"garbage\n", None, b"status"]
    for i in range(n):
        k = kinds[i % len(kinds)]
        if k is None:
            s = connect(path)   # connect and hang up at once
            s.close()
            continue
        r = ask(path, k, shut=(i % 2 == 0 or not k.endswith(b"\n")))
        if not r:
            fail("client %d (%r): empty reply" % (i, k))
    print("ok: %d clients" % n)


def cmd_notify(path, log):
    # sd_notify listener: one line "monotonic_seconds message" per datagram.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    with open(log, "a") as f:
        while True:
            msg = s.recv(4096).decode(errors="replace").replace("\n", " ")
            f.write("%.3f %s\n" % (time.monotonic(), msg))
            f.flush()


def cmd_watchdog_gap(log, limit):
    t = [float(l.split()[0]) for l in open(log) if "WATCHDOG=1" in l]
    if len(t) < 3:
        fail("only %d WATCHDOG=1 messages" % len(t))
    gap = max(b - a for a, b in zip(t, t[1:]))
    print("watchdog: %d pings, largest gap %.3f s (limit %.3f s)" % (len(t), gap, limit))
    if gap >= limit:
        fail("watchdog gap %.3f s >= WatchdogSec %.3f s: the loop was stalled" % (gap, limit))


if __name__ == "__main__":
    c = sys.argv[1]
    if c == "garbage":
        cmd_garbage(sys.argv[2])
    elif c == "silent":
        cmd_silent(sys.argv[2])
    elif c == "many":
        cmd_many(sys.argv[2], int(sys.argv[3]))
    elif c == "notify":
        cmd_notify(sys.argv[2], sys.argv[3])
    elif c == "watchdog-gap":
        cmd_watchdog_gap(sys.argv[2], float(sys.argv[3]))
    else:
        fail("unknown subcommand " + c)
