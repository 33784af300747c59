import { expect } from '@jest/globals';
// Issue 12, problems 2, 4 and 5: byte and line budgets, reconnecting right
// after the server closed, and defaults sized for real JSON documents.
import net from 'node:net';
import { cleanup, client, ourServer, rawOnelineServer, rawServer } from './test-support/harness.js';

afterEach(cleanup);

const texts = (lines: { text: string }[]) => lines.map((l) => l.text);

/** A server that answers only the handshake's ping, then floods `line\n` after any command until the socket closes (bounded: 30 s). */
function floodingServer(line = 'line'): Promise<number> {
  let pings = 0;
  return rawServer((cmd, sock) => {
    if (cmd === 'ping') {
      if (pings++ === 0) sock.write('pong\n');
      return;
    }
    const chunk = Buffer.from(`${line}\n`.repeat(Math.max(1, Math.floor(65536 / (line.length + 1)))));
    const until = Date.now() + 30_000;
    const pump = () => {
      while (!sock.destroyed && Date.now() < until) {
        if (!sock.write(chunk)) {
          sock.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

describe('OnelineClient budgets', () => {
  it('a barrier request against a server that floods lines and never answers pong rejects with ERR_ONELINE_RESPONSE_TOO_LARGE at its line cap', async () => {
    const port = await floodingServer();
    const c = client({ port, maxResponseLines: 1000, timeout: 10_000 });
    await c.connect();
    await expect(c.request('go', { barrier: true })).rejects.toMatchObject({
      code: 'ERR_ONELINE_RESPONSE_TOO_LARGE',
      message: expect.stringContaining('1000 lines'),
    });
  });

  it('an until request is capped in bytes as well as in lines', async () => {
    const port = await floodingServer('x'.repeat(1000));
    const c = client({ port, maxResponseBytes: 100_000, timeout: 10_000 });
    await c.connect();
    await expect(c.request('go', { until: () => false })).rejects.toMatchObject({ code: 'ERR_ONELINE_RESPONSE_TOO_LARGE', message: expect.stringContaining('bytes') });
  });

  it('per-request caps can be set per call', async () => {
    const server = await ourServer({ handler: () => Array.from({ length: 50 }, (_, i) => `l${i}`) });
    const c = client({ port: server.port });
    await c.connect();
    await expect(c.request('x', { barrier: true, maxLines: 10 })).rejects.toMatchObject({ code: 'ERR_ONELINE_RESPONSE_TOO_LARGE' });
    // The connection realigned: the next request gets its own 50 lines.
    expect(await c.request('y', { barrier: true, maxLines: 50 })).toHaveLength(50);
  });

  it('with default options, a barrier request against a flooding server rejects with a typed error and the heap stays bounded', async () => {
    const port = await floodingServer();
    const c = client({ port, timeout: 10_000 });
    await c.connect();
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10);
    const err = await c.request('go', { barrier: true }).catch((e: unknown) => e);
    clearInterval(timer);
    expect(err).toMatchObject({ code: 'ERR_ONELINE_RESPONSE_TOO_LARGE' });
    // The default caps hold well under 300 MB (the bug grew to 1.3 GB in 3 s).
    expect((peak - before) / 1048576).toBeLessThan(250);
  }, 30_000);

  it('unread lines are budgeted in bytes too: the socket pauses past maxQueuedBytes', async () => {
    const big = 'y'.repeat(64 * 1024 - 1);
    const port = await rawOnelineServer((_l, sock) => {
      for (let i = 0; i < 2000; i++) sock.write(`${big}\n`);
    });
    const c = client({ port, maxQueuedBytes: 1 << 20 });
    await c.connect();
    c.send('go');
    for (let i = 0; i < 250 && c.queuedLines === 0; i++) await new Promise((r) => setTimeout(r, 20));
    let last = -1;
    for (let i = 0; i < 100 && c.queuedLines !== last; i++) {
      last = c.queuedLines;
      await new Promise((r) => setTimeout(r, 30));
    }
    // 1 MiB of 64 KiB lines is 16 lines; one socket read past the mark at most.
    expect(c.queuedLines).toBeGreaterThan(0);
    expect(c.queuedLines).toBeLessThan(64);
    expect(c.queuedBytes).toBeLessThan(4 << 20);
  });
});

describe('OnelineClient reconnect', () => {
  it('connect() right after the server closed the connection works, and each connection\'s closed promise resolves', async () => {
    let connections = 0;
    const srv = net.createServer((sock) => {
      connections++;
      sock.on('error', () => undefined);
      sock.on('data', (d) => {
        for (const line of d.toString().split('\n').filter(Boolean)) {
          if (line === 'ping') sock.write('pong\n');
          else if (line === 'bye') sock.end('bye\n');
          else sock.write('ack\n');
        }
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (srv.address() as net.AddressInfo).port;
      const c = client({ port });
      await c.connect();
      const first = c.closed;
      expect(texts(await c.request('bye'))).toEqual(['bye']);
      await expect(c.request('again')).rejects.toMatchObject({ code: 'ERR_ONELINE_CLOSED', message: expect.stringContaining('closed') });
      await c.connect(); // no waiting for an event first
      expect(texts(await c.request('x'))).toEqual(['ack']);
      expect(connections).toBe(2);
      await expect(first).resolves.toBeUndefined(); // the server's close was clean
      const second = c.closed;
      expect(second).not.toBe(first);
      c.destroy();
      await expect(second).resolves.toBeUndefined();
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('closed resolves with undefined after a clean disconnect and never rejects', async () => {
    const server = await ourServer();
    const c = client({ port: server.port });
    await c.connect();
    const closed = c.closed;
    await c.disconnect();
    await expect(closed).resolves.toBeUndefined();
  });
});

describe('OnelineClient after a failed connect', () => {
  it('calls say not connected (not closed), and closed resolves with the connect error', async () => {
    const port = await rawServer(() => undefined); // never answers the handshake
    const c = client({ port, connectTimeout: 50 });
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
    await expect(c.closed).resolves.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
    await expect(c.request('x')).rejects.toMatchObject({ code: 'ERR_ONELINE_NOT_CONNECTED' });
  });
});

describe('OnelineClient defaults for real payloads', () => {
  it('round-trips a 10 MB JSON answer and a 1 MB command with default options', async () => {
    const tree = { widgets: Array.from({ length: 100_000 }, (_, i) => ({ id: i, name: `widget-${i}`, text: 'é'.repeat(30) })) };
    const screen = JSON.stringify(tree);
    expect(Buffer.byteLength(screen)).toBeGreaterThan(10_000_000);
    const server = await ourServer({
      handler: (cmd) => {
        const msg = JSON.parse(cmd.text) as { cmd: string; data?: string };
        return msg.cmd === 'get_screen' ? screen : JSON.stringify({ value: 'ack', invalid: cmd.invalid, got: msg.data?.length });
      },
    });
    const c = client({ port: server.port });
    await c.connect();
    const [answer] = await c.request(JSON.stringify({ cmd: 'get_screen' }), { timeout: 20_000 });
    expect(answer?.invalid).toBe(false);
    expect(answer?.text.length).toBe(screen.length);
    expect(JSON.parse(answer!.text)).toEqual(tree);
    const data = 'z'.repeat(1_000_000);
    const [ack] = await c.request(JSON.stringify({ cmd: 'set_text', data }), { timeout: 20_000 });
    expect(JSON.parse(ack!.text)).toEqual({ value: 'ack', invalid: false, got: 1_000_000 });
  });
});

