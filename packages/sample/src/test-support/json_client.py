"""A client written the way users of the original write theirs: one JSON
object per line with json.dumps / json.loads over a plain socket, reading
until LF. It drives the sample device and prints what it saw as one JSON line.
Usage: python3 json_client.py PORT
"""
import json
import socket
import sys


class JsonLineClient:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, obj):
        self.sock.sendall((json.dumps(obj) + "\n").encode("utf-8"))

    def recv_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode("utf-8")

    def recv(self):
        return json.loads(self.recv_line())

    def call(self, obj):
        self.send(obj)
        return self.recv()

    def close(self):
        self.sock.sendall(b"disconnect\n")
        self.sock.close()


def main():
    c = JsonLineClient(int(sys.argv[1]))
    out = {}
    out["status"] = c.call({"cmd": "status"})
    out["click"] = c.call({"cmd": "click_left", "x": 10, "y": 20})
    out["typed"] = c.call({"cmd": "type_text", "id": "w-0-1", "text": "line one\nline two"})
    screen = c.call({"cmd": "get_screen"})
    out["screen_children"] = len(screen["children"])
    out["screen_bytes"] = len(json.dumps(screen))
    out["unknown"] = c.call({"cmd": "no_such_command"})
    out["bad"] = c.call({"cmd": "click_left", "x": -5, "y": 0})
    # Pipelined: a JSON command and the plain-text built-in, answered in order.
    c.send({"cmd": "status"})
    c.sock.sendall(b"ping\n")
    out["pipelined"] = [c.recv()["state"], c.recv_line()]
    c.close()
    print(json.dumps(out))

if __name__ == "__main__":
    main()
