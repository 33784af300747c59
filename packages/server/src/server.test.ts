import { expect } from '@jest/globals';
import net from 'node:net';
import { OnelineServer } from './server.js';
import { cleanup, connectRaw, startServer, waitFor, withTimeout } from './test-support/harness.js';
import type { Command, OnelineError } from '@socket-oneline/protocol';

afterEach(cleanup);

describe('OnelineServer basics', () => {
  it('listens on 127.0.0.1 with a free port by default and reports running [SRS-001]', async () => {
    const server = await startServer();
    expect(server.running).toBe(true);
    expect(server.address?.address).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
  });

  it('answers ping with pong and passes other commands to the handler [SRS-003 SRS-004]', async () => {
    const seen: string[] = [];
    const server = await startServer({
      handler: (cmd) => {
        seen.push(cmd.text);
        return cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd';
      },
    });
    const c = await connectRaw(server.port);
    c.send('ping\ncmd01\nfoo\nping\n');
    expect(await c.waitLines(4)).toEqual(['pong', 'ack', 'nak - unknown cmd', 'pong']);
    expect(seen).toEqual(['cmd01', 'foo']);
  });

  it('lets a handler answer zero, one or several lines, by return value or reply() [SRS-002]', async () => {
    const server = await startServer({
      handler: (cmd, reply) => {
        if (cmd.text === 'none') return undefined;
        if (cmd.text === 'many') return ['a', 'b', 'c'];
        reply('first');
        return 'second';
      },
    });
    const c = await connectRaw(server.port);
    c.send('none\nmany\nboth\nping\n');
    expect(await c.waitLines(6)).toEqual(['a', 'b', 'c', 'first', 'second', 'pong']);
  });

  it('server.send() answers the current client, as the original send() did [SRS-002]', async () => {
    const holder: { server?: OnelineServer } = {};
    const server = await startServer({
      handler: () => {
        holder.server!.send('via send');
      },
    });
    holder.server = server;
    const c = await connectRaw(server.port);
    c.send('x\n');
    expect(await c.waitLines(1)).toEqual(['via send']);
  });

  it('server.send() without a client throws ERR_ONELINE_NOT_CONNECTED', async () => {
    const server = await startServer();
    expect(() => server.send('x')).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_NOT_CONNECTED' }));
  });

  it('refuses a response containing LF with ERR_ONELINE_LF_IN_PAYLOAD and keeps serving [SRS-011]', async () => {
    const errors: OnelineError[] = [];
    const server = await startServer({ handler: (cmd) => (cmd.text === 'bad' ? 'a\nb' : 'ok') });
    server.on('error', (e) => errors.push(e));
    const c = await connectRaw(server.port);
    c.send('bad\ngood\n');
    expect(await c.waitLines(1)).toEqual(['ok']);
    expect(errors.map((e) => e.code)).toEqual(['ERR_ONELINE_LF_IN_PAYLOAD']);
    expect(errors[0]?.message).toMatch(/handler result refused/);
  });

  it('rejects a handler that is not a function with ERR_ONELINE_INVALID_OPTION [SRS-045]', () => {
    expect(() => new OnelineServer({} as never)).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
    expect(() => new OnelineServer({ handler: () => undefined, idleTimeout: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION', message: expect.stringContaining('idleTimeout') }),
    );
  });

  it('emits connect, command and disconnect (with reason) events [SRS-051]', async () => {
    const events: string[] = [];
    const server = await startServer();
    server.on('connect', (info) => events.push(`connect ${info.remoteAddress}`));
    server.on('command', (cmd) => events.push(`command ${cmd.text}`));
    server.on('disconnect', (_info, reason) => events.push(`disconnect ${reason}`));
    const c = await connectRaw(server.port);
    c.send('cmd01\ndisconnect\n');
    await c.waitClosed();
    await waitFor(() => events.length === 3, 2000, 'three events');
    expect(events).toEqual(['connect 127.0.0.1', 'command cmd01', 'disconnect disconnect']);
  });
});

describe('OnelineServer connection lifecycle', () => {
  it('disconnect flushes responses already produced, closes, and frees the slot for the next client [SRS-005]', async () => {
    const server = await startServer({ handler: (cmd) => Promise.resolve(`done ${cmd.text}`) });
    const c1 = await connectRaw(server.port);
    c1.send('a\nb\ndisconnect\nlost\n');
    await c1.waitClosed();
    expect(c1.lines).toEqual(['done a', 'done b']);
    expect(server.hasClient).toBe(false);
    const c2 = await connectRaw(server.port);
    c2.send('ping\n');
    expect(await c2.waitLines(1)).toEqual(['pong']);
  });

  it('shutdown flushes, closes, stops listening and releases the port [SRS-006]', async () => {
    const server = await startServer();
    const port = server.port;
    const c = await connectRaw(port);
    c.send('cmd01\nshutdown\n');
    await c.waitClosed();
    expect(c.lines).toEqual(['ack']);
    await withTimeout(server.closed, 3000, 'server.closed');
    expect(server.running).toBe(false);
    // The port is free again: a plain server can bind it.
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => probe.close(() => r()));
  });

  it('frees the slot when the client closes abruptly mid-line, and serves the next client at once [SRS-033]', async () => {
    const commands: string[] = [];
    const server = await startServer({ handler: (cmd) => void commands.push(cmd.text) });
    const c1 = await connectRaw(server.port);
    c1.send('cmd01\nhalf a comm');
    await waitFor(() => commands.length === 1, 2000, 'first command');
    c1.socket.destroy();
    const t0 = Date.now();
    await waitFor(() => !server.hasClient, 2000, 'slot to be freed');
    const c2 = await connectRaw(server.port);
    c2.send('ping\n');
    expect(await c2.waitLines(1)).toEqual(['pong']);
    expect(Date.now() - t0).toBeLessThan(2000); // bound only; no speed assertion
    expect(commands).toEqual(['cmd01']); // the unterminated tail never became a command
  });

  it('frees the slot when the client resets the connection (RST) [SRS-033]', async () => {
    const reasons: string[] = [];
    const server = await startServer();
    server.on('disconnect', (_i, r) => reasons.push(r));
    const c1 = await connectRaw(server.port);
    c1.send('ping\n');
    await c1.waitLines(1);
    c1.socket.resetAndDestroy();
    await waitFor(() => !server.hasClient, 2000, 'slot to be freed');
    expect(reasons).toEqual(['reset']);
    const c2 = await connectRaw(server.port);
    c2.send('ping\n');
    expect(await c2.waitLines(1)).toEqual(['pong']);
  });

  it('turns a second client away at once without data while the first keeps working [SRS-007]', async () => {
    const busy: number[] = [];
    const server = await startServer();
    server.on('busy', (who) => busy.push(who.remotePort));
    const c1 = await connectRaw(server.port);
    c1.send('ping\n');
    await c1.waitLines(1);
    const c2 = await connectRaw(server.port);
    const c2Port = c2.socket.localPort;
    c2.send('ping\n');
    await c2.waitClosed(2000);
    expect(c2.lines).toEqual([]);
    expect(busy).toEqual([c2Port]);
    c1.send('cmd01\n');
    expect(await c1.waitLines(2)).toEqual(['pong', 'ack']);
  });

  it('half-close: a client that sends ping then ends its side still gets pong [SRS-029]', async () => {
    const server = await startServer();
    const c = await connectRaw(server.port);
    c.socket.end('ping\n');
    await c.waitClosed();
    expect(c.lines).toEqual(['pong']);
  });

  it('half-close with an async handler: answers everything sent before the end [SRS-029]', async () => {
    const server = await startServer({ handler: (cmd) => new Promise((r) => setTimeout(() => r(`re ${cmd.text}`), 5)) });
    const c = await connectRaw(server.port);
    c.socket.end('a\nb\nping\n');
    await c.waitClosed();
    expect(c.lines).toEqual(['re a', 're b', 'pong']);
  });

  it('idle timeout drops a silent client and frees the slot [SRS-040]', async () => {
    const reasons: string[] = [];
    const server = await startServer({ idleTimeout: 100 });
    server.on('disconnect', (_i, r) => reasons.push(r));
    const c = await connectRaw(server.port);
    c.send('ping\n');
    await c.waitLines(1);
    await c.waitClosed(3000);
    expect(reasons).toEqual(['idle-timeout']);
    expect(server.hasClient).toBe(false);
  });

  it('has no idle timeout by default [SRS-040]', async () => {
    const server = await startServer();
    const c = await connectRaw(server.port);
    await new Promise((r) => setTimeout(r, 150));
    c.send('ping\n');
    expect(await c.waitLines(1)).toEqual(['pong']);
  });

  it('close() with a client connected closes it cleanly and resolves [SRS-049]', async () => {
    const server = await startServer();
    const c = await connectRaw(server.port);
    c.send('ping\n');
    await c.waitLines(1);
    await withTimeout(server.close(), 3000, 'close()');
    await c.waitClosed();
    expect(c.error).toBeUndefined();
    expect(server.running).toBe(false);
  });

  it('listening on a port in use rejects with ERR_ONELINE_ADDRESS_IN_USE and leaves nothing open [SRS-050]', async () => {
    const first = await startServer();
    const second = new OnelineServer({ handler: () => 'x', port: first.port });
    await expect(second.listen()).rejects.toMatchObject({
      code: 'ERR_ONELINE_ADDRESS_IN_USE',
      message: expect.stringContaining('address already in use'),
    });
    expect(second.running).toBe(false);
    await withTimeout(second.closed, 1000, 'second.closed');
  });

  it('listen() twice rejects with ERR_ONELINE_SERVER_STATE [SRS-050]', async () => {
    const server = await startServer();
    await expect(server.listen()).rejects.toMatchObject({ code: 'ERR_ONELINE_SERVER_STATE' });
  });
});

describe('OnelineServer commands and ordering', () => {
  it('answers pipelined commands in order with an async handler of random delays [SRS-022]', async () => {
    let active = 0;
    let maxActive = 0;
    const server = await startServer({
      handler: async (cmd) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 3)));
        active--;
        return `re ${cmd.text}`;
      },
    });
    const c = await connectRaw(server.port);
    const n = 200;
    c.send(Array.from({ length: n }, (_, i) => (i % 10 === 5 ? 'ping\n' : `c${i}\n`)).join(''));
    const got = await c.waitLines(n, 10000);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => (i % 10 === 5 ? 'pong' : `re c${i}`)));
    expect(maxActive).toBe(1);
  });

  it('delivers an overlong line flagged too-long and keeps the connection usable [SRS-026]', async () => {
    const seen: Command[] = [];
    const server = await startServer({
      maxLineLength: 16,
      handler: (cmd) => {
        seen.push(cmd);
        return cmd.invalid ? `invalid ${cmd.reason} ${cmd.length}` : 'ok';
      },
    });
    const c = await connectRaw(server.port);
    c.send(`${'x'.repeat(1000)}\nshort\n`);
    expect(await c.waitLines(2)).toEqual(['invalid too-long 1000', 'ok']);
    expect(seen[0]?.text).toBe('');
  });

  it('decodes multi-byte UTF-8 whole and flags invalid UTF-8 with the raw bytes [SRS-010]', async () => {
    const seen: { text: string; hex: string; invalid: boolean; reason: string | undefined }[] = [];
    const server = await startServer({
      handler: (cmd) => {
        seen.push({ text: cmd.text, hex: cmd.bytes.toString('hex'), invalid: cmd.invalid, reason: cmd.reason });
        return cmd.invalid ? 'bad' : `echo ${cmd.text}`;
      },
    });
    const c = await connectRaw(server.port);
    c.send(Buffer.concat([Buffer.from('héllo ✓\n'), Buffer.from([0x61, 0xff, 0x0a])]));
    expect(await c.waitLines(2)).toEqual(['echo héllo ✓', 'bad']);
    expect(seen).toEqual([
      { text: 'héllo ✓', hex: Buffer.from('héllo ✓').toString('hex'), invalid: false, reason: undefined },
      { text: 'a', hex: '61ff', invalid: true, reason: 'undecodable' },
    ]);
  });

  it('accepts CR LF input: ping and commands work, the CR is stripped [SRS-012]', async () => {
    const seen: string[] = [];
    const server = await startServer({ handler: (cmd) => (seen.push(cmd.text), 'ok') });
    const c = await connectRaw(server.port);
    c.send('ping\r\ncmd01\r\n');
    expect(await c.waitLines(2)).toEqual(['pong', 'ok']);
    expect(seen).toEqual(['cmd01']);
  });

  it('keeps the CR when stripCR is false [SRS-012]', async () => {
    const seen: string[] = [];
    const server = await startServer({ stripCR: false, handler: (cmd) => (seen.push(cmd.text), 'ok') });
    const c = await connectRaw(server.port);
    c.send('x\r\n');
    await c.waitLines(1);
    expect(seen).toEqual(['x\r']);
  });

  it('survives a handler that throws: error reported, next command served [SRS-041]', async () => {
    const errors: OnelineError[] = [];
    const server = await startServer({
      handler: (cmd) => {
        if (cmd.text === 'boom') throw new Error('kaboom');
        return 'ok';
      },
    });
    server.on('error', (e) => errors.push(e));
    const c = await connectRaw(server.port);
    c.send('boom\nnext\n');
    expect(await c.waitLines(1)).toEqual(['ok']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_ONELINE_HANDLER_FAILED', message: 'command handler threw: kaboom' });
  });

  it('survives a handler that rejects: error reported, next command served [SRS-041]', async () => {
    const errors: OnelineError[] = [];
    const server = await startServer({
      handler: (cmd) => {
        if (cmd.text === 'boom') return Promise.reject(new Error('async kaboom'));
        return Promise.resolve('ok');
      },
    });
    server.on('error', (e) => errors.push(e));
    const c = await connectRaw(server.port);
    c.send('boom\nnext\n');
    expect(await c.waitLines(1)).toEqual(['ok']);
    expect(errors[0]).toMatchObject({ code: 'ERR_ONELINE_HANDLER_FAILED', message: 'command handler rejected: async kaboom' });
  });

  it('survives a throwing handler with no error listener (logged, not thrown) [SRS-041]', async () => {
    const logged: string[] = [];
    const server = await startServer({
      logger: { error: (_f, m) => logged.push(m) },
      handler: (cmd) => {
        if (cmd.text === 'boom') throw new Error('x');
        return 'ok';
      },
    });
    const c = await connectRaw(server.port);
    c.send('boom\nnext\n');
    expect(await c.waitLines(1)).toEqual(['ok']);
    expect(logged).toEqual(['command handler threw: x']);
  });

  it('handlerTimeout gives up on a handler that never resolves and serves the next command [SRS-041]', async () => {
    const errors: OnelineError[] = [];
    const server = await startServer({
      handlerTimeout: 50,
      handler: (cmd) => (cmd.text === 'hang' ? new Promise(() => undefined) : 'ok'),
    });
    server.on('error', (e) => errors.push(e));
    const c = await connectRaw(server.port);
    c.send('hang\nnext\n');
    expect(await c.waitLines(1)).toEqual(['ok']);
    expect(errors[0]).toMatchObject({ code: 'ERR_ONELINE_HANDLER_FAILED', message: expect.stringContaining('timed out') });
  });
});

describe('OnelineServer backpressure', () => {
  it('stops reading from a client that sends but never reads, then answers everything in order [SRS-030]', async () => {
    let handled = 0;
    const server = await startServer({ writeHighWaterMark: 16 * 1024, handler: () => (handled++, 'ack-with-some-padding-to-fill-buffers') });
    const c = await connectRaw(server.port);
    c.socket.pause(); // never read for now
    const n = 1_000_000;
    const payload = Buffer.from('cmd01\n'.repeat(n));
    c.socket.write(payload);
    // Wait until the server has started, then until it stops making progress (it paused reading).
    for (let i = 0; i < 250 && handled === 0; i++) await new Promise((r) => setTimeout(r, 20));
    let last = -1;
    for (let i = 0; i < 200 && handled !== last; i++) {
      last = handled;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(handled).toBeGreaterThan(0);
    expect(handled).toBe(last); // stalled: not still reading
    expect(handled).toBeLessThan(n); // it did not swallow the whole stream
    // Now read: every response arrives, in order.
    let count = 0;
    let bad = 0;
    let rest = '';
    const done = new Promise<void>((resolve) => {
      c.socket.removeAllListeners('data');
      c.socket.on('data', (chunk: Buffer) => {
        const parts = (rest + chunk.toString('latin1')).split('\n');
        rest = parts.pop()!;
        for (const p of parts) {
          if (p !== 'ack-with-some-padding-to-fill-buffers') bad++;
          count++;
        }
        if (count >= n) resolve();
      });
    });
    c.socket.resume();
    await withTimeout(done, 30000, 'all responses');
    expect(count).toBe(n);
    expect(bad).toBe(0);
  }, 60000);

  it('answers the kernel takes at once and answers it buffers interleave: every answer arrives, in order, and the server keeps serving [SRS-030]', async () => {
    // A 4 MiB answer cannot be taken at once by the kernel while the client does not read; the
    // small answers around it are. Their write callbacks must not be mistaken for each other.
    const big = 'x'.repeat(4 << 20);
    const server = await startServer({ handler: (cmd) => (cmd.text === 'big' ? big : `re ${cmd.text}`) });
    const c = await connectRaw(server.port);
    for (let i = 0; i < 3; i++) {
      c.send(`a${i}\n`);
      await c.waitLines(i + 1);
    }
    c.socket.pause();
    c.send('big\nb0\nb1\n');
    await new Promise((r) => setTimeout(r, 50));
    c.socket.resume();
    await c.waitLines(6, 10_000);
    for (let i = 0; i < 3; i++) {
      c.send(`c${i}\n`);
      await c.waitLines(7 + i);
    }
    c.send('ping\n');
    const lines = await c.waitLines(10);
    expect(lines.map((l) => (l === big ? 'BIG' : l))).toEqual(['re a0', 're a1', 're a2', 'BIG', 're b0', 're b1', 're c0', 're c1', 're c2', 'pong']);
  }, 20_000);
});
