#!/usr/bin/env python3
"""Benchmark peer: the line server a Python user would write with asyncio.

Answers `ping` with `pong` and any other line with `ack`. Same control
channel as tools/bench/serve.mjs: prints `port <n>` once listening; on stdin,
`cpu` prints `cpu <user+system microseconds>`; end of stdin exits.
"""
import asyncio
import os
import sys
import threading
import time


async def handle(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = line.rstrip(b"\r\n")
            writer.write(b"pong\n" if cmd == b"ping" else b"ack\n")
            await writer.drain()
    except (ConnectionError, asyncio.LimitOverrunError, ValueError):
        pass
    writer.close()


def control():
    for line in sys.stdin:
        if line.strip() == "cpu":
            print(f"cpu {int(time.process_time() * 1e6)}", flush=True)
    os._exit(0)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    threading.Thread(target=control, daemon=True).start()
    async with server:
        await server.serve_forever()


asyncio.run(main())
