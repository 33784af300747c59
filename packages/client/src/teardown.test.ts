// Teardown never throws (issue 21): disconnect() resolves once the client is
// not connected, whatever brought that about; shutdown() keeps its meaning
// (it rejects when it could not ask the server) but shares one promise per
// close and settles cleanly when it races a disconnect(). Each case runs
// against our server, a raw server that closes the connection itself, and
// the Python original-like server. An unhandled rejection fails the test
// (Jest 30 reports it as the test's error).
import { expect } from '@jest/globals';
import net from 'node:net';
import { isOnelineError } from '@socket-oneline/protocol';
import type { OnelineClient } from './client.js';
import { cleanup, client, closedPort, ourServer, pythonServer, rawOnelineServer } from './test-support/harness.js';

const servers = new Set<net.Server>();
afterEach(async () => {
  await cleanup();
  for (const s of servers) s.close();
  servers.clear();
});

/** A node:net server that answers like the sample and closes the connection itself on `disconnect` / `shutdown`. */
function closingServer(): Promise<number> {
  return rawOnelineServer((line, sock) => {
    if (line === 'disconnect' || line === 'shutdown') sock.end();
    else sock.write(line === 'cmd01' ? 'ack\n' : 'nak - unknown cmd\n');
  });
}

const SERVERS: [string, () => Promise<number>][] = [
  ['our server', async () => (await ourServer()).port],
  ['a server that closes the connection itself', closingServer],
  ['the Python original-like server', pythonServer],
];

async function connected(start: () => Promise<number>, options: { timeout?: number } = {}): Promise<OnelineClient> {
  const c = client({ port: await start(), ...options });
  await c.connect();
  return c;
}

describe.each(SERVERS)('disconnect() against %s', (_name, start) => {
  it('twice in a row: the second resolves too [SRS-057]', async () => {
    const c = await connected(start);
    await c.disconnect();
    await expect(c.disconnect()).resolves.toBeUndefined();
    expect(c.connected).toBe(false);
  });

  it.each(['disconnect', 'shutdown'])('after the server closed the connection (it got %s): resolves [SRS-057]', async (built) => {
    const c = await connected(start);
    c.send(built);
    expect(await c.closed).toBeUndefined();
    await expect(c.disconnect()).resolves.toBeUndefined();
  });

  it('twice at once: one promise, both resolve [SRS-057]', async () => {
    const c = await connected(start);
    const a = c.disconnect();
    const b = c.disconnect();
    expect(b).toBe(a);
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
    expect(c.connected).toBe(false);
  });

  it('after destroy(): resolves once the socket is closed [SRS-057]', async () => {
    const c = await connected(start);
    c.destroy();
    c.destroy(); // idempotent
    await expect(c.disconnect()).resolves.toBeUndefined();
    expect(await c.closed).toBeUndefined();
  });

  it('the connection still works up to it: a request, then disconnect, then disconnect [SRS-057]', async () => {
    const c = await connected(start);
    expect((await c.request('cmd01'))[0]!.text).toBe('ack');
    await c.disconnect();
    await c.disconnect();
    await expect(c.request('cmd01')).rejects.toMatchObject({ code: 'ERR_ONELINE_CLOSED' });
  });
});

describe.each(SERVERS)('shutdown() against %s', (_name, start) => {
  it('after the connection is gone: rejects with ERR_ONELINE_CLOSED (it could not ask the server) [SRS-057]', async () => {
    const c = await connected(start);
    await c.disconnect();
    await expect(c.shutdown()).rejects.toMatchObject({ code: 'ERR_ONELINE_CLOSED', message: expect.stringMatching(/shutdown\(\)/) });
  });

  it('twice at once: one promise, both resolve [SRS-057]', async () => {
    const c = await connected(start);
    const a = c.shutdown();
    const b = c.shutdown();
    expect(b).toBe(a);
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
  });

  it('then disconnect() at once: the disconnect joins the shutdown; both resolve [SRS-057]', async () => {
    const c = await connected(start);
    await expect(Promise.all([c.shutdown(), c.disconnect()])).resolves.toEqual([undefined, undefined]);
  });

  it('after disconnect() at once: the disconnect resolves; the shutdown rejects, typed, as it could not be sent [SRS-057]', async () => {
    const c = await connected(start);
    const [d, s] = await Promise.allSettled([c.disconnect(), c.shutdown()]);
    expect(d).toEqual({ status: 'fulfilled', value: undefined });
    expect(s.status).toBe('rejected');
    const err = (s as PromiseRejectedResult).reason as Error;
    expect(isOnelineError(err, 'ERR_ONELINE_CLOSED')).toBe(true);
    expect(err.message).toMatch(/a disconnect is in progress/);
  });
});

describe('disconnect() and shutdown() without a live connection', () => {
  it('disconnect() on a client that never connected resolves; shutdown() rejects with ERR_ONELINE_NOT_CONNECTED [SRS-057]', async () => {
    const c = client({ port: await closedPort() });
    await expect(c.disconnect()).resolves.toBeUndefined();
    await expect(c.shutdown()).rejects.toMatchObject({ code: 'ERR_ONELINE_NOT_CONNECTED' });
    await expect(c[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });

  it('disconnect() after a failed connect resolves [SRS-057]', async () => {
    const c = client({ port: await closedPort() });
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_REFUSED' });
    await expect(c.disconnect()).resolves.toBeUndefined();
  });

  it('disconnect() after the server reset the connection resolves; shutdown() rejects typed [SRS-057]', async () => {
    const port = await rawOnelineServer((_line, sock) => sock.resetAndDestroy());
    const c = client({ port });
    await c.connect();
    c.send('anything'); // the server answers with a reset
    const why = await c.closed;
    expect(why?.code).toBe('ERR_ONELINE_SOCKET');
    await expect(c.disconnect()).resolves.toBeUndefined();
    await expect(c.shutdown()).rejects.toMatchObject({ code: 'ERR_ONELINE_CLOSED' });
  });

  it('disconnect() while a connect is retrying: the connect is given up (ERR_ONELINE_ABORTED) and disconnect() resolves [SRS-057]', async () => {
    const c = client({ port: await closedPort(), retryFor: 10_000 });
    const connecting = c.connect().then(
      () => 'connected',
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 30));
    await expect(c.disconnect()).resolves.toBeUndefined();
    expect(isOnelineError(await connecting, 'ERR_ONELINE_ABORTED')).toBe(true);
    expect(c.connected).toBe(false);
  });

  it('a real failure still rejects: the server never closes → ERR_ONELINE_TIMEOUT, the socket is destroyed, and the next disconnect() resolves [SRS-057]', async () => {
    const port = await rawOnelineServer(() => undefined); // ignores every command, disconnect included
    const c = client({ port, timeout: 150 });
    await c.connect();
    await expect(c.disconnect()).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
    expect(await c.closed).toBeUndefined();
    expect(c.connected).toBe(false);
    await expect(c.disconnect()).resolves.toBeUndefined();
  });

  it('requests still waiting when destroy() is called reject with ERR_ONELINE_CLOSED saying destroy() closed it [SRS-057]', async () => {
    const port = await rawOnelineServer(() => undefined);
    const c = client({ port });
    await c.connect();
    const waiting = c.request('never answered');
    c.destroy();
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_ONELINE_CLOSED', message: expect.stringContaining('destroy()') });
  });

  it('a shutdown() waiting when destroy() is called rejects with ERR_ONELINE_ABORTED: the server may not have shut down [SRS-057]', async () => {
    const port = await rawOnelineServer(() => undefined);
    const c = client({ port });
    await c.connect();
    const s = c.shutdown();
    c.destroy();
    await expect(s).rejects.toMatchObject({ code: 'ERR_ONELINE_ABORTED', message: expect.stringContaining('destroy()') });
    await expect(c.disconnect()).resolves.toBeUndefined();
  });
});

describe('disconnect() with an AbortSignal', () => {
  it('an aborted signal rejects with ERR_ONELINE_ABORTED and destroys the socket; the next disconnect() resolves [SRS-057]', async () => {
    const port = await rawOnelineServer(() => undefined);
    const c = client({ port });
    await c.connect();
    const ac = new AbortController();
    ac.abort();
    await expect(c.disconnect({ signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_ONELINE_ABORTED' });
    expect(c.connected).toBe(false);
    await expect(c.disconnect()).resolves.toBeUndefined();
    await expect(c.shutdown()).rejects.toMatchObject({ code: 'ERR_ONELINE_CLOSED' });
  });

  it('after an aborted disconnect, the client connects again and disconnects cleanly [SRS-057]', async () => {
    const server = await ourServer();
    const c = client({ port: server.port });
    await c.connect();
    const ac = new AbortController();
    const d = c.disconnect({ signal: ac.signal });
    ac.abort();
    await expect(d).rejects.toMatchObject({ code: 'ERR_ONELINE_ABORTED' });
    await c.connect();
    expect((await c.request('cmd01'))[0]!.text).toBe('ack');
    const again = c.disconnect();
    expect(again).not.toBe(d);
    await expect(again).resolves.toBeUndefined();
  });
});

describe('disconnect() bounded by each call\'s own timeout and signal (review findings)', () => {
  it('a call joining a disconnect in progress is held to its own timeout: ERR_ONELINE_TIMEOUT, the socket destroyed, and the first call settles too [SRS-057]', async () => {
    const port = await rawOnelineServer(() => undefined); // never closes
    const c = client({ port });
    await c.connect();
    const first = c.disconnect({ timeout: 0 }).then(() => 'resolved', (e: unknown) => (e as { code: string }).code); // waits forever by itself
    await expect(c.disconnect({ timeout: 50 })).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
    expect(await first).toBe('resolved'); // the connection is gone: the first call's wish holds
    expect(c.connected).toBe(false);
  });

  it('one caller\'s abort is not another\'s: the call without a signal resolves [SRS-057]', async () => {
    const port = await rawOnelineServer(() => undefined);
    const c = client({ port, timeout: 5000 });
    await c.connect();
    const ac = new AbortController();
    const withSignal = c.disconnect({ signal: ac.signal });
    const plain = c.disconnect();
    ac.abort();
    await expect(withSignal).rejects.toMatchObject({ code: 'ERR_ONELINE_ABORTED' });
    await expect(plain).resolves.toBeUndefined();
  });

  it.each(['disconnect first', 'FIN first'] as const)('a server that half-closes (%s) but never reads nor closes: disconnect({ timeout }) settles, the socket is destroyed [SRS-057]', async (order) => {
    let peer: net.Socket | undefined;
    const srv = net.createServer({ allowHalfOpen: true }, (s) => {
      peer = s;
      s.on('error', () => undefined);
      s.once('data', () => {
        s.write('pong\n');
        s.pause(); // reads nothing more
      });
    });
    servers.add(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const c = client({ port: (srv.address() as net.AddressInfo).port });
    await c.connect();
    const big = 'x'.repeat(1 << 20);
    for (let i = 0; i < 32; i++) c.send(big); // far more than the socket buffers hold
    if (order === 'FIN first') {
      const ended = new Promise<void>((r) => c.once('close', () => r()));
      peer!.end();
      await Promise.race([ended, new Promise((r) => setTimeout(r, 200))]);
    }
    const d = c.disconnect({ timeout: 300 }).then(() => 'resolved', (e: unknown) => (e as { code: string }).code);
    if (order === 'disconnect first') setTimeout(() => peer!.end(), 50);
    // The server had left before we asked: nothing failed. Asked first: the server never closed.
    expect(await d).toBe(order === 'FIN first' ? 'resolved' : 'ERR_ONELINE_TIMEOUT');
    await c.closed;
    expect(c.connected).toBe(false);
  });
});
