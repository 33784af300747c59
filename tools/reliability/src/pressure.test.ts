/**
 * The server's promises under pressure (RELIABILITY.md, "Server under
 * pressure"): flow control by bytes per command, nothing produced is lost to
 * a slow reader, and a client that leaves never holds the slot, even while
 * its handler is still running. Figures are printed, never asserted as
 * speeds; each test asserts a mechanism or a byte bound.
 */
import net from 'node:net';
import { OnelineClient } from '@socket-oneline/client';
import { OnelineServer, type Command, type HandlerContext } from '@socket-oneline/server';
import { cleanup, connect, onCleanup, sleep, startServerProcess, until, within } from './support.js';

afterEach(cleanup);

const MB = 1024 * 1024;

/**
 * Counts numbered answer lines (`<index>:<payload>`) as they stream in,
 * without keeping them: a gigabyte of answers must not live in the test
 * process. Checks order and each line's length. Optionally reads at a
 * limited rate (a slow reader) by pausing the socket between bursts.
 */
class Counter {
  lines = 0;
  bytes = 0;
  wrong = 0;
  private carry = '';
  closed = false;
  private waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: net.Socket,
    readonly lineLength: (index: number) => number,
    rateBytesPerSec = 0,
  ) {
    socket.on('data', (d: Buffer) => {
      this.bytes += d.length;
      this.scan(d.toString('latin1'));
      if (rateBytesPerSec > 0) {
        // Slow reader: after each chunk, stop reading for as long as the
        // chunk takes at the given rate.
        socket.pause();
        this.timer = setTimeout(() => socket.resume(), Math.ceil((d.length / rateBytesPerSec) * 1000));
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      clearTimeout(this.timer);
      this.wake();
    });
    socket.on('error', () => undefined);
    onCleanup(() => clearTimeout(this.timer));
  }

  private scan(s: string): void {
    let text = this.carry + s;
    let lf = text.indexOf('\n');
    let start = 0;
    while (lf !== -1) {
      const line = text.slice(start, lf);
      const colon = line.indexOf(':');
      if (Number(line.slice(0, colon)) !== this.lines || line.length !== this.lineLength(this.lines)) this.wrong++;
      this.lines++;
      start = lf + 1;
      lf = text.indexOf('\n', start);
    }
    text = text.slice(start);
    this.carry = text;
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  async waitClosed(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      let w!: () => void;
      const p = new Promise<void>((r) => (w = r));
      this.waiters.add(w);
      await within(p, Math.max(1, deadline - Date.now()), `close (have ${this.lines} lines)`).finally(() => this.waiters.delete(w));
    }
  }
}

/** Polls the server process until its handled count stops moving (it stalled on backpressure). */
async function stalled(server: Awaited<ReturnType<typeof startServerProcess>>): Promise<number> {
  let last = -1;
  let now = (await server.stats()).handled;
  for (let i = 0; i < 100 && now !== last; i++) {
    last = now;
    await sleep(150);
    now = (await server.stats()).handled;
  }
  return now;
}

describe('server under pressure: flow control by bytes, per command', () => {
  for (const kind of ['string', 'buffer'] as const) {
    it(`16,384 four-byte commands in one write, each answered with a 60 KB ${kind}, client reads only later: server RSS stays under 250 MB and every answer arrives, in order`, async () => {
      const n = 16_384;
      const answerBytes = 60_000;
      const server = await startServerProcess({ answerBytes, answerKind: kind });
      const before = (await server.stats()).rss;
      const c = await connect(server.port);
      c.socket.removeAllListeners('data');
      c.socket.pause();
      c.socket.write(Buffer.from('cmd\n'.repeat(n))); // 64 KiB of commands
      const handledWhilePaused = await stalled(server);
      const mid = await server.stats();
      const growthMB = (mid.maxRss - before) / MB;
      const counter = new Counter(c.socket, (i) => String(i).length + 1 + answerBytes);
      c.socket.resume();
      const t0 = performance.now();
      await until(() => counter.lines >= n || counter.closed, 120_000, `${n} answers`);
      const after = await server.stats();
      console.log(
        `${kind} answers: ${n} x 60 KB to a client that reads later: server ran ${handledWhilePaused} commands before stalling, ` +
          `RSS grew ${growthMB.toFixed(1)} MB while stalled, ${((after.maxRss - before) / MB).toFixed(1)} MB at most overall; ` +
          `${counter.lines} answers (${(counter.bytes / MB).toFixed(0)} MB) read in ${(performance.now() - t0).toFixed(0)} ms, errors ${after.errors}`,
      );
      expect(handledWhilePaused).toBeLessThan(n); // it stopped running commands instead of buffering answers
      expect(counter.lines).toBe(n);
      expect(counter.bytes).toBe(Array.from({ length: n }, (_, i) => String(i).length + 2 + answerBytes).reduce((a, b) => a + b, 0));
      expect(counter.wrong).toBe(0);
      expect(after.errors).toBe(0);
      expect((after.maxRss - before) / MB).toBeLessThan(250);
    }, 180_000);
  }
});

/** An in-process server whose `many` command answers with `count` numbered lines of `lineLength` bytes. */
async function bigAnswerServer(options: Partial<ConstructorParameters<typeof OnelineServer>[0]>, count: number, lineLength: number) {
  const pad = 'y'.repeat(lineLength);
  const server = new OnelineServer({
    handler: (cmd) => {
      if (cmd.text !== 'many') return 'nak';
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        const p = `${i}:`;
        out.push(p + pad.slice(p.length));
      }
      return out;
    },
    ...options,
  });
  onCleanup(() => server.close());
  const { port } = await server.listen();
  return { server, port };
}

describe('server under pressure: nothing produced is lost to a slow reader', () => {
  // 48 answer lines of 1 MiB: far more than loopback socket buffers hold, read
  // at 24 MB/s: about 2 s, ten times the 200 ms closeGrace / idleTimeout.
  const count = 48;
  const lineLength = MB;
  const rate = 24 * MB;
  // disconnect and shutdown are pipelined right behind the command (one
  // write), as `printf 'many\ndisconnect\n' | nc` would send them.
  const cases: [string, Partial<ConstructorParameters<typeof OnelineServer>[0]>, string, (s: OnelineServer) => void][] = [
    ['disconnect', { closeGrace: 200 }, 'many\ndisconnect\n', () => undefined],
    ['shutdown', { closeGrace: 200 }, 'many\nshutdown\n', () => undefined],
    ['server.close()', { closeGrace: 200 }, 'many\n', (s) => void s.close()],
    ['idleTimeout', { idleTimeout: 200 }, 'many\n', () => undefined],
  ];
  for (const [what, options, send, close] of cases) {
    it(`${what} right after a 48 MB answer: a client reading at 24 MB/s gets every line before the close`, async () => {
      const { server, port } = await bigAnswerServer(options, count, lineLength);
      const sock = net.connect({ host: '127.0.0.1', port });
      onCleanup(() => sock.destroy());
      await within(new Promise((r) => sock.once('connect', r)), 5000, 'connect');
      const counter = new Counter(sock, () => lineLength, rate);
      sock.write(send);
      // The answer is produced at once; wait for its first bytes, then close.
      await until(() => counter.bytes > 0, 5000, 'first bytes');
      close(server);
      const t0 = performance.now();
      await counter.waitClosed(60_000);
      console.log(`${what}: ${counter.lines} of ${count} lines (${(counter.bytes / MB).toFixed(1)} MB) before the close, ${(performance.now() - t0).toFixed(0)} ms of reading`);
      expect(counter.wrong).toBe(0);
      expect(counter.lines).toBe(count);
    }, 90_000);
  }
});

describe('server under pressure: a client that leaves never holds the slot', () => {
  /** A server whose `hang` command never settles; records what its handler's signal saw. */
  async function hangingServer(options: Partial<ConstructorParameters<typeof OnelineServer>[0]> = {}) {
    const signals: (AbortSignal | undefined)[] = [];
    const server = new OnelineServer({
      handler: (cmd: Command, _reply, ctx?: HandlerContext) => {
        if (cmd.text !== 'hang') return cmd.text === 'cmd01' ? 'ack' : 'nak';
        signals.push(ctx?.signal);
        return new Promise<never>(() => undefined);
      },
      closeGrace: 300,
      ...options,
    });
    onCleanup(() => server.close());
    const { port } = await server.listen();
    return { server, port, signals };
  }

  async function nextClientAfter(port: number): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      const c = new OnelineClient({ port, connectTimeout: 2000 });
      onCleanup(() => c.destroy());
      try {
        await c.connect();
        const [a] = await c.request('cmd01');
        expect(a?.text).toBe('ack');
        await c.disconnect();
        return performance.now() - t0;
      } catch (err) {
        // Busy while the slot is (still) held; bounded: a hang detector.
        if ((err as { code?: string }).code !== 'ERR_ONELINE_BUSY' || performance.now() - t0 > 5000) throw err;
        await sleep(20);
      }
    }
  }

  const leaves: [string, (sock: net.Socket) => void][] = [
    ['resets (RST)', (s) => s.resetAndDestroy()],
    ['half-closes (FIN)', (s) => s.end()],
  ];
  for (const [what, leave] of leaves) {
    it(`client ${what} while its handler never settles: the slot is freed within seconds, the handler's signal is aborted`, async () => {
      const { port, signals } = await hangingServer();
      const c = await connect(port);
      c.socket.write('hang\n');
      await until(() => signals.length === 1, 5000, 'handler to start');
      leave(c.socket);
      const ms = await nextClientAfter(port);
      console.log(`client ${what} with a never-settling handler: next client served after ${ms.toFixed(0)} ms`);
      expect(signals[0]?.aborted).toBe(true);
    }, 30_000);
  }

  it("our client's disconnect() while its handler never settles: the slot is freed within seconds", async () => {
    const { port, signals } = await hangingServer();
    const c = new OnelineClient({ port });
    onCleanup(() => c.destroy());
    await c.connect();
    c.send('hang');
    await until(() => signals.length === 1, 5000, 'handler to start');
    await c.disconnect({ timeout: 1000 }).catch(() => undefined);
    const ms = await nextClientAfter(port);
    console.log(`client disconnect() with a never-settling handler: next client served after ${ms.toFixed(0)} ms`);
    expect(signals[0]?.aborted).toBe(true);
  }, 30_000);

  it('server.close() while a handler never settles resolves within a bounded time and aborts the handler', async () => {
    const { server, port, signals } = await hangingServer();
    const c = await connect(port);
    c.socket.write('hang\n');
    await until(() => signals.length === 1, 5000, 'handler to start');
    const t0 = performance.now();
    await within(server.close(), 10_000, 'server.close() to resolve');
    console.log(`server.close() with a never-settling handler resolved after ${(performance.now() - t0).toFixed(0)} ms`);
    expect(signals[0]?.aborted).toBe(true);
  }, 30_000);
});

describe('server under pressure: review findings (slow kernels, streaming handlers, careless handlers)', () => {
  it('server.close() while a client reads a 6 MiB answer at 1 MB/s (closeGrace 500 ms): every line arrives; write completions seconds apart are not a stall', async () => {
    const count = 6;
    const { server, port } = await bigAnswerServer({ closeGrace: 500 }, count, MB);
    const sock = net.connect({ host: '127.0.0.1', port });
    onCleanup(() => sock.destroy());
    await within(new Promise((r) => sock.once('connect', r)), 5000, 'connect');
    const counter = new Counter(sock, () => MB, 1_000_000);
    sock.write('many\n');
    await until(() => counter.bytes > 0, 5000, 'first bytes');
    void server.close();
    await counter.waitClosed(60_000);
    console.log(`slow reader (1 MB/s) and server.close(): ${counter.lines} of ${count} lines`);
    expect(counter.wrong).toBe(0);
    expect(counter.lines).toBe(count);
  }, 60_000);

  it('server.close() while a handler streams answers until its signal aborts: the signal aborts at close, close() resolves', async () => {
    let aborted = false;
    const server = new OnelineServer({
      closeGrace: 300,
      handler: async (_cmd, reply, ctx) => {
        while (!ctx.signal.aborted) {
          reply('tick');
          await sleep(20);
        }
        aborted = true;
        return 'bye';
      },
    });
    onCleanup(() => server.close());
    const { port } = await server.listen();
    const c = await connect(port);
    c.socket.write('stream\n');
    await c.waitLines(3);
    await within(server.close(), 5000, 'server.close() to resolve');
    expect(aborted).toBe(true);
    await c.waitClosed(2000);
    expect(c.lines.at(-1)).toBe('bye');
  });

  it('careless handlers: a then() that throws, a then getter that throws, and 3,000 pipelined thenables that resolve synchronously: no crash, errors reported, every other command answered', async () => {
    const errors: string[] = [];
    const server = new OnelineServer({
      handler: (cmd) => {
        if (cmd.text === 'throwing-then') return { then: () => { throw new Error('then threw'); } } as unknown as Promise<string>;
        if (cmd.text === 'getter') return Object.defineProperty({}, 'then', { get: () => { throw new Error('getter threw'); } }) as Promise<string>;
        return { then: (ok: (v: string) => void) => ok('sync') } as unknown as Promise<string>;
      },
    });
    server.on('error', (e) => errors.push(e.message));
    onCleanup(() => server.close());
    const { port } = await server.listen();
    const c = await connect(port);
    c.socket.write('throwing-then\ngetter\n' + 'x\n'.repeat(3000) + 'ping\n');
    const lines = await c.waitLines(3001, 20_000);
    expect(lines.slice(0, 3000).every((l) => l === 'sync')).toBe(true);
    expect(lines[3000]).toBe('pong');
    expect(errors).toEqual([expect.stringMatching(/then threw/), expect.stringMatching(/getter threw/)]);
  }, 30_000);

  it('a handler streaming 64 MB with reply() and await drained() pauses while the client does not read, then delivers everything', async () => {
    const line = 'z'.repeat(64 * 1024 - 1);
    let produced = 0;
    const s = new OnelineServer({
      handler: async (_cmd, reply, ctx) => {
        for (let i = 0; i < 1024; i++) {
          produced++;
          if (!reply(line)) await ctx.drained();
        }
        return 'done';
      },
    });
    onCleanup(() => s.close());
    const { port } = await s.listen();
    const sock = net.connect({ host: '127.0.0.1', port });
    onCleanup(() => sock.destroy());
    await within(new Promise((r) => sock.once('connect', r)), 5000, 'connect');
    sock.pause();
    sock.write('stream\n');
    await sleep(500); // the handler runs against a client that does not read yet
    const whilePaused = produced;
    let bytes = 0;
    const done = new Promise<void>((resolve) => {
      sock.on('data', (d: Buffer) => {
        bytes += d.length;
        if (d.toString('latin1').endsWith('done\n')) resolve();
      });
    });
    sock.resume();
    await within(done, 30_000, 'the whole stream');
    console.log(`streaming handler with drained(): ${whilePaused} of 1024 lines (64 KiB each) produced while the client did not read (the rest waited); ${(bytes / MB).toFixed(0)} MB delivered`);
    // Without drained() all 1,024 lines (64 MiB) would be held at once; loopback kernel buffers take a few MB.
    expect(whilePaused).toBeLessThan(256);
    expect(bytes).toBe(1024 * 64 * 1024 + 5);
  }, 60_000);

  it('server.send() and reply() refuse a value that is not a line with ERR_ONELINE_INVALID_PAYLOAD', async () => {
    const seen: unknown[] = [];
    const server = new OnelineServer({
      handler: (_cmd, reply) => {
        try {
          reply(42 as unknown as string);
        } catch (err) {
          seen.push((err as { code?: string }).code);
        }
        return 'ok';
      },
    });
    onCleanup(() => server.close());
    const { port } = await server.listen();
    const c = await connect(port);
    c.socket.write('x\n');
    expect(await c.waitLines(1)).toEqual(['ok']);
    expect(seen).toEqual(['ERR_ONELINE_INVALID_PAYLOAD']);
    expect(() => server.send(null as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_PAYLOAD' }));
  });
});
