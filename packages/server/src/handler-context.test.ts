import net from 'node:net';
import type { HandlerContext } from './server.js';
import { cleanup, connectRaw, startServer, waitFor, withTimeout } from './test-support/harness.js';

afterEach(cleanup);

/** Counts writes made by the server on the socket whose peer is `client`. */
function countServerWrites(client: net.Socket): { count: () => number; restore: () => void } {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept unbound on purpose: re-applied to each socket below
  const original = net.Socket.prototype.write;
  let n = 0;
  const spy = jest.spyOn(net.Socket.prototype, 'write').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    if (this.remotePort === client.localPort && this.localPort === client.remotePort) n++;
    return (original as (...a: unknown[]) => boolean).apply(this, args);
  });
  return { count: () => n, restore: () => spy.mockRestore() };
}

describe('handler context', () => {
  it('gives every handler the client info and a reply function equal to its second argument [SRS-002]', async () => {
    const seen: [string, boolean][] = [];
    const server = await startServer({
      handler: (_cmd, reply, ctx) => {
        seen.push([ctx.client.remoteAddress, ctx.reply === reply]);
        ctx.reply('via context');
      },
    });
    const c = await connectRaw(server.port);
    c.send('x\n');
    expect(await c.waitLines(1)).toEqual(['via context']);
    expect(seen).toEqual([['127.0.0.1', true]]);
  });

  it('aborts the signal of a running handler on handlerTimeout with ERR_ONELINE_TIMEOUT [SRS-041]', async () => {
    let ctxSeen: HandlerContext | undefined;
    const server = await startServer({
      handlerTimeout: 50,
      handler: (cmd, _reply, ctx) => {
        if (cmd.text !== 'hang') return 'ok';
        ctxSeen = ctx;
        return new Promise<never>(() => undefined);
      },
    });
    server.on('error', () => undefined);
    const c = await connectRaw(server.port);
    c.send('hang\nnext\n');
    expect(await c.waitLines(1)).toEqual(['ok']);
    expect(ctxSeen?.signal.aborted).toBe(true);
    expect(ctxSeen?.signal.reason).toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
  });

  it('aborts the signal of a running handler when its client resets, with ERR_ONELINE_CLOSED [SRS-033]', async () => {
    let ctxSeen: HandlerContext | undefined;
    const server = await startServer({
      handler: (_cmd, _reply, ctx) => {
        ctxSeen = ctx;
        return new Promise<never>(() => undefined);
      },
    });
    const c = await connectRaw(server.port);
    c.send('hang\n');
    await waitFor(() => ctxSeen !== undefined, 2000, 'handler');
    const signal = ctxSeen!.signal;
    const aborted = new Promise((r) => signal.addEventListener('abort', r));
    c.socket.resetAndDestroy();
    await withTimeout(aborted, 2000, 'abort');
    expect(signal.reason).toMatchObject({ code: 'ERR_ONELINE_CLOSED' });
    await waitFor(() => !server.hasClient, 2000, 'slot freed');
  });

  it('does not abort the signal of a handler that settled normally [SRS-056]', async () => {
    const signals: AbortSignal[] = [];
    const server = await startServer({
      handler: (_cmd, _reply, ctx) => {
        signals.push(ctx.signal);
        return Promise.resolve('ok');
      },
    });
    const c = await connectRaw(server.port);
    c.send('a\n');
    expect(await c.waitLines(1)).toEqual(['ok']);
    c.socket.destroy();
    await waitFor(() => !server.hasClient, 2000, 'slot freed');
    expect(signals[0]?.aborted).toBe(false);
  });

  it('a reply after the handler settled is dropped, not written', async () => {
    let late: ((l: string) => void) | undefined;
    const server = await startServer({
      handler: (_cmd, reply) => {
        late = reply;
        return 'ok';
      },
    });
    const c = await connectRaw(server.port);
    c.send('a\n');
    expect(await c.waitLines(1)).toEqual(['ok']);
    late!('too late');
    c.send('ping\n');
    expect(await c.waitLines(2)).toEqual(['ok', 'pong']);
  });

  it('with handlerTimeout, a timed-out handler that settles while the next one runs never answers for it', async () => {
    const settleFirst: ((v: string) => void)[] = [];
    let second: ((v: string) => void) | undefined;
    const server = await startServer({
      handlerTimeout: 50,
      handler: (cmd) =>
        new Promise<string>((resolve) => {
          if (cmd.text === 'first') settleFirst.push(resolve);
          else second = resolve;
        }),
    });
    server.on('error', () => undefined);
    const c = await connectRaw(server.port);
    c.send('first\nsecond\n');
    await waitFor(() => second !== undefined, 2000, 'second handler running');
    settleFirst[0]!('late answer of first'); // the first timed out: its answer must go nowhere
    await new Promise((r) => setImmediate(r));
    second!('answer of second');
    c.send('ping\n');
    expect(await c.waitLines(2)).toEqual(['answer of second', 'pong']);
  });

  it('without handlerTimeout, a handler that settles after its client left answers nobody, and the next client is answered in step', async () => {
    let settle: ((v: string) => void) | undefined;
    const server = await startServer({
      handler: (cmd) => (cmd.text === 'hang' ? new Promise<string>((resolve) => (settle = resolve)) : `re:${cmd.text}`),
    });
    const first = await connectRaw(server.port);
    first.send('hang\n');
    await waitFor(() => settle !== undefined, 2000, 'handler running');
    first.socket.resetAndDestroy();
    await waitFor(() => !server.hasClient, 2000, 'slot freed');
    const next = await connectRaw(server.port);
    next.send('a\n');
    expect(await next.waitLines(1)).toEqual(['re:a']);
    settle!('stale'); // the old connection's handler settles now
    await new Promise((r) => setImmediate(r));
    next.send('b\nping\n');
    expect(await next.waitLines(3)).toEqual(['re:a', 're:b', 'pong']);
  });
});

describe('commands are plain data', () => {
  it('JSON.stringify(command) shows text, invalid and length only', async () => {
    const json: string[] = [];
    const server = await startServer({ handler: (cmd) => void json.push(JSON.stringify(cmd)) });
    const c = await connectRaw(server.port);
    c.send('first\nsecond line with more than thirteen characters\nping\n');
    await c.waitLines(1);
    expect(json).toEqual([
      '{"text":"first","invalid":false,"length":5}',
      '{"text":"second line with more than thirteen characters","invalid":false,"length":46}',
    ]);
  });
});

describe('batched writes', () => {
  it('async handlers: 1,000 pipelined commands are answered in a few writes, not one per answer', async () => {
    const server = await startServer({ handler: () => Promise.resolve('ack') });
    const c = await connectRaw(server.port);
    const writes = countServerWrites(c.socket);
    try {
      c.send('cmd01\n'.repeat(1000));
      await c.waitLines(1000);
    } finally {
      writes.restore();
    }
    expect(writes.count()).toBeLessThanOrEqual(20);
  });
});
