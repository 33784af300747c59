/**
 * Admission under a hostile network (RELIABILITY.md, "Admission, TLS and
 * logs"): turned-away connections, pending TLS handshakes and the single
 * slot must cost a bounded amount whatever the peers send. Figures (fd peak,
 * heap, the served client's p99) are printed; tests assert bounds and
 * mechanisms, never speeds.
 */
import net from 'node:net';
import tls from 'node:tls';
import { OnelineClient } from '@socket-oneline/client';
import { OnelineServer } from '@socket-oneline/server';
import { makeCerts, type TestCerts } from '@socket-oneline/testkit/certs';
import { cleanup, connect, onCleanup, sleep, startServerProcess, until, within } from './support.js';

afterEach(cleanup);

const MB = 1024 * 1024;

/**
 * Opens `n` raw connections (bounded in time); each is destroyed by
 * cleanup(). Half-open allowed: like an attacker, they keep their side open
 * (and keep sending) after the server's FIN.
 */
async function openMany(port: number, n: number, onOpen: (s: net.Socket) => void = () => undefined): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    s.on('error', () => undefined);
    onCleanup(() => s.destroy());
    out.push(s);
    s.once('connect', () => onOpen(s));
    if (i % 100 === 99) await sleep(5); // let the server accept as we go
  }
  return out;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Sequential ping round trips on a raw socket; returns the RTTs in ms. */
async function rtts(sock: net.Socket, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const got = new Promise<void>((r) => sock.once('data', () => r()));
    sock.write('ping\n');
    await within(got, 5000, 'pong');
    out.push(performance.now() - t0);
  }
  return out;
}

describe('admission: turned-away connections', () => {
  it('a storm of 2,000 rejected peers that each send a byte every 200 ms: server fds stay bounded and the served client keeps being served', async () => {
    const server = await startServerProcess({ firstCommandTimeout: 0 });
    const base = await server.stats();
    const served = await connect(server.port);
    served.socket.write('ping\n');
    await served.waitLines(1);
    served.socket.removeAllListeners('data');
    const sockets = await openMany(server.port, 2000);
    const dribble = setInterval(() => {
      for (const s of sockets) if (!s.destroyed && s.writable) s.write('x');
    }, 200);
    onCleanup(() => clearInterval(dribble));
    let peak = 0;
    const samples: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 3000) {
      peak = Math.max(peak, (await server.stats()).fds);
      samples.push(...(await rtts(served.socket, 20)));
    }
    clearInterval(dribble);
    const after = await server.stats();
    console.log(
      `2,000 dribbling rejected peers: server fds ${base.fds} -> peak ${peak} -> ${after.fds} after 3 s; ` +
        `RSS ${(base.rss / MB).toFixed(0)} -> ${(after.maxRss / MB).toFixed(0)} MB; served client p50 ${percentile(samples, 50).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms over ${samples.length} pings`,
    );
    // Each rejected peer is gone within its 1 s hard deadline, at most 64 closing at once.
    expect(peak - base.fds).toBeLessThan(250);
    expect(after.fds - base.fds).toBeLessThan(80);
    expect(after.hasClient).toBe(true);
  }, 60_000);
});

describe('admission: the single slot', () => {
  it('a silent connect is dropped after firstCommandTimeout, so a legitimate client gets in', async () => {
    const server = new OnelineServer({ handler: () => 'ack', firstCommandTimeout: 300 });
    onCleanup(() => server.close());
    const { port } = await server.listen();
    const reasons: string[] = [];
    server.on('disconnect', (_c, r) => reasons.push(r));
    const silent = await connect(port);
    await until(() => server.hasClient, 2000, 'the silent peer to hold the slot');
    const t0 = performance.now();
    const c = new OnelineClient({ port, retryFor: 5000 });
    onCleanup(() => c.destroy());
    await c.connect();
    console.log(`silent connect holding the slot: next client in after ${(performance.now() - t0).toFixed(0)} ms`);
    expect((await c.request('cmd01'))[0]?.text).toBe('ack');
    await silent.waitClosed(2000);
    expect(reasons[0]).toBe('first-command-timeout');
  });

  it('a peer dribbling one byte every 100 ms without ever finishing a line is dropped after firstCommandTimeout', async () => {
    const server = new OnelineServer({ handler: () => 'ack', firstCommandTimeout: 300 });
    onCleanup(() => server.close());
    const { port } = await server.listen();
    const dribbler = await connect(port);
    const timer = setInterval(() => !dribbler.socket.destroyed && dribbler.socket.write('x'), 100);
    onCleanup(() => clearInterval(timer));
    await dribbler.waitClosed(3000);
    clearInterval(timer);
    const c = new OnelineClient({ port });
    onCleanup(() => c.destroy());
    await c.connect();
    expect((await c.request('cmd01'))[0]?.text).toBe('ack');
  });

  it('the first command in time keeps the connection: firstCommandTimeout only guards the start', async () => {
    const server = new OnelineServer({ handler: () => 'ack', firstCommandTimeout: 200 });
    onCleanup(() => server.close());
    const { port } = await server.listen();
    const c = await connect(port);
    c.socket.write('ping\n');
    await c.waitLines(1);
    await sleep(500);
    c.socket.write('cmd01\n');
    expect(await c.waitLines(2)).toEqual(['pong', 'ack']);
  });
});

describe('admission: TLS handshakes', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => certs.remove());

  // As strings: the options travel to the server process as JSON.
  const tlsOptions = () => ({ key: certs.serverKey.toString(), cert: certs.serverCert.toString() });

  it('300 silent TCP connects to a TLS port: at most maxPendingHandshakes are pending, the rest turned away before TLS work; a reset frees a pending one at once', async () => {
    const server = await startServerProcess({ tls: tlsOptions(), maxPendingHandshakes: 16 });
    const base = await server.stats();
    const sockets = await openMany(server.port, 300);
    await sleep(500);
    const mid = await server.stats();
    console.log(`300 silent TLS connects: server fds ${base.fds} -> ${mid.fds}`);
    // 16 pending + turned-away ones still within their 1 s close deadline.
    expect(mid.fds - base.fds).toBeLessThan(16 + 64 + 20);
    for (const s of sockets) s.resetAndDestroy();
    await until(async () => (await server.stats()).fds - base.fds < 5, 5000, 'fds back to the baseline after the resets');
    const good = new OnelineClient({ port: server.port, tls: { ca: certs.ca } });
    onCleanup(() => good.destroy());
    await good.connect();
    expect((await good.request('cmd01'))[0]?.text).toBe('ack');
  }, 60_000);

  it('2,000 connects to a TLS port that half-close before sending a byte: freed at once, not at the handshake deadline', async () => {
    const server = await startServerProcess({ tls: tlsOptions() });
    const base = await server.stats();
    let peak = 0;
    for (let i = 0; i < 2000; i++) {
      const s = net.connect({ host: '127.0.0.1', port: server.port, allowHalfOpen: true });
      s.on('error', () => undefined);
      onCleanup(() => s.destroy());
      await within(new Promise((r) => s.once('connect', r)), 5000, 'connect');
      s.end();
      if (i % 250 === 249) peak = Math.max(peak, (await server.stats()).fds);
    }
    // Well before the 10 s handshake deadline.
    await until(async () => (await server.stats()).fds - base.fds < 5, 3000, 'fds back to the baseline');
    console.log(`2,000 TLS connects that half-close at once: server fds ${base.fds} -> peak ${peak} -> baseline again`);
    expect(peak - base.fds).toBeLessThan(200);
  }, 60_000);

  it('3,000 handshakes reset midway: heap after GC returns to the baseline, no fd left', async () => {
    const server = await startServerProcess({ tls: tlsOptions() });
    const base = await server.stats();
    const heap0 = await server.heap();
    for (let i = 0; i < 3000; i++) {
      const raw = net.connect({ host: '127.0.0.1', port: server.port });
      raw.on('error', () => undefined);
      await within(new Promise((r) => raw.once('connect', r)), 5000, 'connect');
      const s = tls.connect({ socket: raw, ca: certs.ca, servername: 'localhost' });
      s.on('error', () => undefined);
      // Reset right after the ClientHello went out.
      await within(new Promise<void>((r) => setImmediate(r)), 1000, 'tick');
      raw.resetAndDestroy();
      s.destroy();
    }
    await until(async () => (await server.stats()).fds - base.fds < 5, 10_000, 'fds back to the baseline');
    const heap1 = await server.heap();
    const after = await server.stats();
    console.log(`3,000 reset TLS handshakes: heap after GC ${(heap0 / MB).toFixed(1)} -> ${(heap1 / MB).toFixed(1)} MB, fds ${base.fds} -> ${after.fds}, RSS peak ${(after.maxRss / MB).toFixed(0)} MB`);
    expect((heap1 - heap0) / MB).toBeLessThan(4);
  }, 120_000);
});

describe('admission: errors a user can act on', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => certs.remove());

  async function server(options: Partial<ConstructorParameters<typeof OnelineServer>[0]> = {}) {
    const errors: { code: string; message: string }[] = [];
    const s = new OnelineServer({ handler: () => 'ack', ...options });
    s.on('error', (e) => errors.push(e));
    onCleanup(() => s.close());
    const { port } = await s.listen();
    return { s, port, errors };
  }
  function client(options: ConstructorParameters<typeof OnelineClient>[0]) {
    const c = new OnelineClient(options);
    onCleanup(() => c.destroy());
    return c;
  }
  const mutual = () => ({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true } });

  it('a client certificate from an untrusted CA: ERR_ONELINE_TLS on both sides (20 of 20), and retryFor does not retry it', async () => {
    const { port, errors } = await server(mutual());
    const codes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const c = client({ port, tls: { ca: certs.ca, key: certs.strangerKey, cert: certs.strangerCert }, retryFor: i === 0 ? 2000 : 0 });
      codes.push(((await c.connect().catch((e: unknown) => e)) as { code: string }).code);
    }
    expect(new Set(codes)).toEqual(new Set(['ERR_ONELINE_TLS']));
    await until(() => errors.length >= 20, 3000, 'server-side TLS errors');
    await sleep(200);
    // One refusal per client: the first one, with retryFor, was not retried.
    expect(errors).toHaveLength(20);
    expect(errors.every((e) => e.code === 'ERR_ONELINE_TLS' && /certificate/.test(e.message))).toBe(true);
  });

  it('a client with no certificate under mutual TLS gets ERR_ONELINE_TLS', async () => {
    const { port } = await server(mutual());
    await expect(client({ port, tls: { ca: certs.ca } }).connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_TLS' });
  });

  it('a plain client against a TLS server gets ERR_ONELINE_TLS ("requires TLS"), not busy', async () => {
    const { port, errors } = await server({ tls: { key: certs.serverKey, cert: certs.serverCert } });
    await expect(client({ port }).connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_TLS', message: expect.stringMatching(/requires TLS/) });
    await until(() => errors.length > 0, 2000, 'the server-side report');
    expect(errors[0]?.code).toBe('ERR_ONELINE_TLS');
  });

  it('a TLS client against a plain server gets ERR_ONELINE_TLS, not busy', async () => {
    const { port } = await server();
    await expect(client({ port, tls: { ca: certs.ca } }).connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_TLS' });
  });

  it('a busy TLS server: the second client gets ERR_ONELINE_BUSY and the server raises no error event', async () => {
    const { port, errors } = await server({ tls: { key: certs.serverKey, cert: certs.serverCert } });
    const first = client({ port, tls: { ca: certs.ca } });
    await first.connect();
    for (let i = 0; i < 5; i++) {
      await expect(client({ port, tls: { ca: certs.ca } }).connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_BUSY' });
    }
    await sleep(100);
    expect(errors).toEqual([]);
    expect((await first.request('cmd01'))[0]?.text).toBe('ack');
  });
});
