// Issue 12, problem 3 (pipelining was quadratic and paid a write and a timer
// per request). Speed is for the benchmark (tools/bench/client.mjs); this
// checks the mechanisms: one write per tick and one deadline timer per
// connection, whatever the number of requests in flight.
import net from 'node:net';
import { expect } from '@jest/globals';
import { cleanup, client, ourServer, rawOnelineServer } from './test-support/harness.js';

afterEach(() => {
  jest.restoreAllMocks();
  return cleanup();
});

describe('OnelineClient pipelining mechanics', () => {
  it('2,000 requests issued in one tick leave in one socket write and arm at most one timer', async () => {
    const server = await ourServer({ handler: (cmd) => `re ${cmd.text}` });
    const c = client({ port: server.port });
    await c.connect();
    const writes = jest.spyOn(net.Socket.prototype, 'write');
    const timers = jest.spyOn(global, 'setTimeout');
    const all = Array.from({ length: 2000 }, (_, i) => c.request(`c${i}`));
    const answers = await Promise.all(all);
    // Only the client's socket (the server runs in this process too).
    const ourWrites = (writes.mock.contexts as net.Socket[]).filter((s) => s.remotePort === server.port).length;
    const ourTimers = timers.mock.calls.length;
    writes.mockRestore();
    timers.mockRestore();
    expect(answers.map((a) => a[0]?.text)).toEqual(Array.from({ length: 2000 }, (_, i) => `re c${i}`));
    expect(ourWrites).toBe(1);
    expect(ourTimers).toBeLessThanOrEqual(1);
  });
});

describe('OnelineClient request records', () => {
  // A request keeps only its promise's resolve function and rejects by
  // resolving with a rejected promise; that inner promise must never surface
  // as an unhandled rejection. Jest fails the test that is running when one
  // occurs (checked: a bare Promise.reject() here fails it), hence the wait at the end.
  it('rejected requests (timeout with partial answer, abort before and during, close) keep their typed errors and leave no unhandled rejection', async () => {
    const server = await ourServer({
      handler: (cmd) => (cmd.text === 'two' ? ['first'] : cmd.text === 'silent' ? undefined : 'ack'),
    });
    const c = client({ port: server.port });
    await c.connect();
    const partial = await c.request('two', { lines: 2, timeout: 100 }).catch((e: unknown) => e);
    expect(partial).toMatchObject({ code: 'ERR_ONELINE_TIMEOUT', received: [expect.objectContaining({ text: 'first' })] });
    const before = await c.request('cmd01', { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(before).toMatchObject({ code: 'ERR_ONELINE_ABORTED' });
    const ac = new AbortController();
    const during = c.request('silent', { signal: ac.signal }).catch((e: unknown) => e);
    ac.abort();
    expect(await during).toMatchObject({ code: 'ERR_ONELINE_ABORTED' });
    expect((await c.request('cmd01', { timeout: 1000 }))[0]?.text).toBe('ack');
    const inFlight = Array.from({ length: 50 }, () => c.request('silent', { timeout: 5000 }).catch((e: unknown) => e));
    c.destroy();
    for (const e of await Promise.all(inFlight)) expect(e).toMatchObject({ code: 'ERR_ONELINE_CLOSED' });
    await new Promise((r) => setTimeout(r, 20));
  });

  // One-line requests with the default timeout share their settings object:
  // what happens to one of them must not leak into the others.
  it('pipelined requests with shared default settings fail alone: a too-long answer and an aborted request (the last: later ones would be realigned) leave the others their own answers', async () => {
    const port = await rawOnelineServer((line, sock) => sock.write(line === 'big' ? `${'x'.repeat(5000)}\n` : `re ${line}\n`));
    const c = client({ port, maxLineLength: 1024 });
    await c.connect();
    const ac = new AbortController();
    const all = [c.request('a'), c.request('big'), c.request('b'), c.request('c', { signal: ac.signal })].map((p) =>
      p.then(
        (lines) => lines.map((l) => l.text),
        (e: unknown) => (e as { code: string }).code,
      ),
    );
    ac.abort();
    expect(await Promise.all(all)).toEqual([['re a'], 'ERR_ONELINE_LINE_TOO_LONG', ['re b'], 'ERR_ONELINE_ABORTED']);
    expect((await c.request('e'))[0]?.text).toBe('re e');
  });
});
