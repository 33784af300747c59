#!/usr/bin/env python3
"""Drives the interactive `oneline` prompt in a pseudo-terminal.

usage: pty_driver.py NODE BIN PORT
Types `cmd01`, recalls it with the up arrow, then `disconnect`; prints the
whole terminal output followed by EXIT=<code>. Every wait is bounded.
"""
import os
import pty
import select
import sys
import time

node, bin_path, port = sys.argv[1], sys.argv[2], sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    os.execv(node, [node, bin_path, '--port', port])

out = b''


def read_until(token, limit=5.0):
    global out
    end = time.time() + limit
    while token not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return


def prompts():
    return out.count(b'oneline> ')


read_until(b'oneline> ')
os.write(fd, b'cmd01\r')
read_until(b'ack')
end = time.time() + 5
while prompts() < 2 and time.time() < end:
    read_until(b'\x00', 0.1)
os.write(fd, b'\x1b[A\r')  # up arrow recalls cmd01 from history
end = time.time() + 5
while out.count(b'ack') < 3 and time.time() < end:  # echo of the recalled line + answer
    read_until(b'\x00', 0.1)
os.write(fd, b'disconnect\r')
read_until(b'disconnected')
end = time.time() + 3
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if not r:
        break
    try:
        out += os.read(fd, 4096)
    except OSError:
        break
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf-8', 'replace'))
sys.stdout.write('\nEXIT=%d\n' % os.waitstatus_to_exitcode(status))
