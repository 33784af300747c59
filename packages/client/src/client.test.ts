import { expect } from '@jest/globals';
import { OnelineClient } from './client.js';
import { childExits, cleanup, client, closedPort, ourServer, pythonServer, rawOnelineServer, rawServer } from './test-support/harness.js';

afterEach(cleanup);

const texts = (lines: { text: string }[]) => lines.map((l) => l.text);

describe('OnelineClient against our server', () => {
  it('connects with the ping/pong handshake and reports connected [SRS-014]', async () => {
    const server = await ourServer();
    const c = client({ port: server.port });
    const events: string[] = [];
    c.on('connect', () => events.push('connect'));
    expect(c.connected).toBe(false);
    await c.connect();
    expect(c.connected).toBe(true);
    expect(events).toEqual(['connect']);
  });

  it('request() returns one line by default [SRS-021]', async () => {
    const server = await ourServer();
    const c = client({ port: server.port });
    await c.connect();
    expect(texts(await c.request('cmd01'))).toEqual(['ack']);
    expect(texts(await c.request('other'))).toEqual(['nak - unknown cmd']);
  });

  it('request() collects exactly N lines, lines until a predicate, or lines until the barrier [SRS-021]', async () => {
    const server = await ourServer({
      handler: (cmd) => {
        const n = Number(cmd.text.split(' ')[1] ?? 0);
        return [...Array.from({ length: n }, (_, i) => `line ${i}`), 'END'];
      },
    });
    const c = client({ port: server.port });
    await c.connect();
    expect(texts(await c.request('lines 2', { lines: 3 }))).toEqual(['line 0', 'line 1', 'END']);
    expect(texts(await c.request('lines 3', { until: (l) => l.text === 'END' }))).toEqual(['line 0', 'line 1', 'line 2', 'END']);
    expect(texts(await c.request('lines 1', { barrier: true }))).toEqual(['line 0', 'END']);
  });

  it('a barrier request collects zero lines when the command has no answer [SRS-021]', async () => {
    const server = await ourServer({ handler: (cmd) => (cmd.text === 'quiet' ? undefined : 'x') });
    const c = client({ port: server.port });
    await c.connect();
    expect(await c.request('quiet', { barrier: true })).toEqual([]);
    expect(texts(await c.request('loud'))).toEqual(['x']);
  });

  it('keeps pipelined requests in order [SRS-022]', async () => {
    const server = await ourServer({ handler: (cmd) => Promise.resolve(`re ${cmd.text}`) });
    const c = client({ port: server.port });
    await c.connect();
    const all = await Promise.all(Array.from({ length: 100 }, (_, i) => c.request(`c${i}`)));
    expect(all.map((r) => r[0]?.text)).toEqual(Array.from({ length: 100 }, (_, i) => `re c${i}`));
  });

  it('ping() resolves with a round-trip time in ms', async () => {
    const server = await ourServer();
    const c = client({ port: server.port });
    await c.connect();
    const rtt = await c.ping();
    expect(typeof rtt).toBe('number');
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it('send() then recv() reads the next line [SRS-016]', async () => {
    const server = await ourServer();
    const c = client({ port: server.port });
    await c.connect();
    c.send('cmd01');
    const line = await c.recv();
    expect(line).toMatchObject({ text: 'ack', invalid: false, reason: undefined });
    expect(line.bytes.toString()).toBe('ack');
  });

  it('disconnect() resolves when the server has closed, and frees the slot for the next client [SRS-017]', async () => {
    const server = await ourServer();
    const a = client({ port: server.port });
    await a.connect();
    const closed: unknown[] = [];
    a.on('close', (e) => closed.push(e));
    await a.disconnect();
    expect(a.connected).toBe(false);
    expect(closed).toEqual([undefined]);
    const b = client({ port: server.port });
    await b.connect();
    expect(texts(await b.request('cmd01'))).toEqual(['ack']);
  });

  it('shutdown() stops the server [SRS-018]', async () => {
    const server = await ourServer();
    const c = client({ port: server.port });
    await c.connect();
    await c.shutdown();
    await server.closed;
    expect(server.running).toBe(false);
  });

  it('a second client fails fast with ERR_ONELINE_BUSY; the first is unaffected [SRS-020]', async () => {
    const server = await ourServer();
    const a = client({ port: server.port });
    await a.connect();
    const b = client({ port: server.port, connectTimeout: 2000 });
    await expect(b.connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_BUSY', message: expect.stringContaining('serving another client') });
    expect(texts(await a.request('cmd01'))).toEqual(['ack']);
  });

  it('retryFor keeps retrying a busy server until the slot frees [SRS-028]', async () => {
    const server = await ourServer();
    const a = client({ port: server.port });
    await a.connect();
    const b = client({ port: server.port, retryFor: 3000 });
    const pending = b.connect();
    setTimeout(() => void a.disconnect(), 100);
    await pending;
    expect(texts(await b.request('cmd01'))).toEqual(['ack']);
  });

  it('async iteration yields incoming lines and ends when the connection closes', async () => {
    const server = await ourServer({ handler: () => ['a', 'b'] });
    const c = client({ port: server.port });
    await c.connect();
    c.send('x');
    const seen: string[] = [];
    for await (const line of c) {
      seen.push(line.text);
      if (seen.length === 2) void server.close();
    }
    expect(seen).toEqual(['a', 'b']);
  });
});

describe('OnelineClient backpressure', () => {
  it('stops reading past maxQueuedLines while nobody reads, then delivers every line in order [SRS-031]', async () => {
    const n = 50_000;
    const port = await rawOnelineServer((_line, sock) => {
      const burst = Array.from({ length: n }, (_, i) => `line ${i}`).join('\n');
      sock.write(`${burst}\n`);
    });
    const c = client({ port, maxQueuedLines: 100 });
    await c.connect();
    c.send('go');
    // Wait for lines to arrive, then for the count to settle: the client must not take them all.
    for (let i = 0; i < 250 && c.queuedLines === 0; i++) await new Promise((r) => setTimeout(r, 20));
    let last = -1;
    for (let i = 0; i < 100 && c.queuedLines !== last; i++) {
      last = c.queuedLines;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(c.queuedLines).toBeGreaterThan(0);
    expect(c.queuedLines).toBeLessThan(n); // paused well before the end (one socket read past the mark at most)
    const got = await c.recv(); // reading resumes the socket
    expect(got.text).toBe('line 0');
    let i = 1;
    for (; i < n; i++) {
      const line = await c.recv({ timeout: 5000 });
      if (line.text !== `line ${i}`) break;
    }
    expect(i).toBe(n);
  });
});

describe('OnelineClient errors', () => {
  it('refused: nothing listening gives ERR_ONELINE_REFUSED [SRS-020]', async () => {
    const port = await closedPort();
    const c = client({ port });
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_REFUSED', origin: 'environment' });
    expect(c.connected).toBe(false);
  });

  it('handshake failed: a server answering something else than pong [SRS-015]', async () => {
    const port = await rawServer((_line, sock) => sock.write('hello\n'));
    const c = client({ port });
    await expect(c.connect()).rejects.toMatchObject({
      code: 'ERR_ONELINE_HANDSHAKE_FAILED',
      message: expect.stringContaining('"hello"'),
    });
  });

  it('connect times out with ERR_ONELINE_TIMEOUT when the server never answers the ping [SRS-023]', async () => {
    const port = await rawServer(() => undefined);
    const c = client({ port, connectTimeout: 100 });
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
  });

  it('recv() times out with ERR_ONELINE_TIMEOUT, never an empty string [SRS-016]', async () => {
    const server = await ourServer({ handler: () => undefined });
    const c = client({ port: server.port });
    await c.connect();
    await expect(c.recv({ timeout: 50 })).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
  });

  it('an AbortSignal cancels a wait with ERR_ONELINE_ABORTED [SRS-023]', async () => {
    const server = await ourServer({ handler: () => undefined });
    const c = client({ port: server.port });
    await c.connect();
    const ac = new AbortController();
    const p = c.recv({ signal: ac.signal, timeout: 0 });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ERR_ONELINE_ABORTED' });
    await expect(c.request('x', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ONELINE_ABORTED' });
  });

  it('a request that timed out never hands its late answer to the next request [SRS-034]', async () => {
    // Answers in order, as oneline servers do (the realignment relies on it).
    const server = await ourServer({
      handler: async (cmd) => {
        await new Promise((r) => setTimeout(r, cmd.text === 'slow' ? 150 : 20));
        return cmd.text === 'slow' ? 'slow answer' : `re ${cmd.text}`;
      },
    });
    const c = client({ port: server.port });
    await c.connect();
    await expect(c.request('slow', { timeout: 50 })).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
    expect(texts(await c.request('next', { timeout: 2000 }))).toEqual(['re next']);
  });

  it('the server closing mid-response rejects the waiting request with ERR_ONELINE_CLOSED [SRS-052]', async () => {
    const port = await rawOnelineServer((_line, sock) => sock.end('only one of three\n'));
    const c = client({ port });
    await c.connect();
    const closed: unknown[] = [];
    c.on('close', (e) => closed.push(e));
    const err = await c.request('x', { lines: 3 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_ONELINE_CLOSED' });
    expect(c.connected).toBe(false);
  });

  it('responses with invalid UTF-8 are flagged; CR LF responses are stripped [SRS-024]', async () => {
    const port = await rawOnelineServer((_line, sock) => sock.write(Buffer.from([0x61, 0xff, 0x0a, ...Buffer.from('ok\r\n')])));
    const c = client({ port });
    await c.connect();
    const [bad, ok] = await c.request('x', { lines: 2 });
    expect(bad).toMatchObject({ invalid: true, reason: 'undecodable', text: 'a' });
    expect(bad?.bytes.toString('hex')).toBe('61ff');
    expect(ok).toMatchObject({ text: 'ok', invalid: false });
  });

  it('a response over maxLineLength fails with ERR_ONELINE_LINE_TOO_LONG and the connection stays usable [SRS-027]', async () => {
    const port = await rawOnelineServer((line, sock) => sock.write(line === 'big' ? `${'x'.repeat(5000)}\n` : 'small\n'));
    const c = client({ port, maxLineLength: 1024 });
    await c.connect();
    await expect(c.request('big')).rejects.toMatchObject({ code: 'ERR_ONELINE_LINE_TOO_LONG', message: expect.stringContaining('5000 bytes') });
    expect(texts(await c.request('again'))).toEqual(['small']);
  });

  it('send() refuses a LF with ERR_ONELINE_LF_IN_PAYLOAD and needs a connection [SRS-011]', async () => {
    const server = await ourServer();
    const c = client({ port: server.port });
    expect(() => c.send('x')).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_NOT_CONNECTED' }));
    await c.connect();
    expect(() => c.send('a\nb')).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_LF_IN_PAYLOAD' }));
    expect(texts(await c.request('cmd01'))).toEqual(['ack']);
  });

  it('rejects bad options with ERR_ONELINE_INVALID_OPTION [SRS-045]', async () => {
    expect(() => new OnelineClient({ port: 0 })).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
    expect(() => new OnelineClient({ port: 1, timeout: -5 })).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
    const server = await ourServer();
    const c = client({ port: server.port });
    await c.connect();
    await expect(c.request('x', { lines: 2, barrier: true })).rejects.toMatchObject({ code: 'ERR_ONELINE_INVALID_OPTION' });
  });
});

describe('OnelineClient against a server that behaves like the Python original', () => {
  it('handshakes, gets the sample answers, and shuts it down [SRS-019]', async () => {
    const port = await pythonServer();
    const c = client({ port });
    await c.connect();
    expect(texts(await c.request('cmd01'))).toEqual(['ack']);
    expect(texts(await c.request('cmd02'))).toEqual(['nak - unknown cmd']);
    expect(await c.ping()).toBeGreaterThanOrEqual(0);
    await c.disconnect();
    const again = client({ port });
    await again.connect();
    await again.shutdown();
    expect(await childExits(5000)).toBe(0);
  });
});
