#!/usr/bin/env python3
"""A server that behaves on the wire like the Python socket-oneline OnelineServer
with the original sample's callback, written for our tests from the documented
behaviour (shared/PROTOCOL.md): one client at a time, 'ping' -> 'pong',
'disconnect' closes the client, 'shutdown' closes and exits, any other line
goes to the callback: 'cmd01' -> 'ack', else 'nak - unknown cmd'.
Binds 127.0.0.1 and prints the port on its first line. Usage:
original_server.py [PORT [DELAY]]: PORT (default 0, a free one) is the port to
bind, DELAY seconds to wait before binding (a slow-starting app under test).
"""
import socket
import sys
import time


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if len(sys.argv) > 2:
        time.sleep(float(sys.argv[2]))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', port))
    srv.listen(1)
    srv.settimeout(20)  # never outlive a test run
    print(srv.getsockname()[1], flush=True)
    running = True
    while running:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            break
        conn.settimeout(20)
        buf = b''
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except (socket.timeout, ConnectionResetError):
                    break
                if not data:
                    break
                buf += data
                done = False
                while b'\n' in buf:
                    raw, buf = buf.split(b'\n', 1)
                    try:
                        cmd = raw.decode('utf-8')
                        invalid = False
                    except UnicodeDecodeError:
                        cmd, invalid = '', True
                    if cmd == 'ping':
                        conn.sendall(b'pong\n')
                    elif cmd == 'disconnect':
                        done = True
                        break
                    elif cmd == 'shutdown':
                        done = True
                        running = False
                        break
                    else:
                        answer = 'ack' if (cmd == 'cmd01' and not invalid) else 'nak - unknown cmd'
                        conn.sendall(answer.encode() + b'\n')
                if done:
                    break
    srv.close()


if __name__ == '__main__':
    main()
