#!/usr/bin/env python3
"""A client that behaves on the wire like the Python socket-oneline OnelineClient.

Written for our tests from the documented behaviour (see shared/PROTOCOL.md):
connect, 0.5 s socket timeout, send b'ping\\n', read bytes until LF (3 s
limit), strip, and count the link as up only on 'pong'. Each command is sent
with a plain LF and its one-line answer is read the same way ('' on timeout).
Then 'disconnect' (or 'shutdown'), shutdown both ways, close.

usage: original_client.py PORT [--end disconnect|shutdown] CMD...
prints one JSON object: {"connected": bool, "answers": [...]}
"""
import json
import socket
import sys
import time


def recv_line(sock, limit_s=3.0):
    data = b''
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            ch = sock.recv(1)
        except socket.timeout:
            continue
        if not ch:
            break
        if ch == b'\n':
            return data.decode('utf-8', errors='replace').strip()
        data += ch
    return ''


def main():
    port = int(sys.argv[1])
    args = sys.argv[2:]
    end = 'disconnect'
    if args[:1] == ['--end']:
        end = args[1]
        args = args[2:]
    sock = socket.create_connection(('127.0.0.1', port), timeout=3)
    sock.settimeout(0.5)
    sock.sendall(b'ping\n')
    connected = recv_line(sock) == 'pong'
    answers = []
    for cmd in args:
        sock.sendall(cmd.encode('utf-8') + b'\n')
        answers.append(recv_line(sock))
    sock.sendall(end.encode() + b'\n')
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
    print(json.dumps({'connected': connected, 'answers': answers}))


if __name__ == '__main__':
    main()
