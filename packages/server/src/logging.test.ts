import { cleanup, connectRaw, startServer } from './test-support/harness.js';

afterEach(cleanup);

describe('OnelineServer logging', () => {
  it('is silent by default [SRS-042]', async () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const server = await startServer();
      const c = await connectRaw(server.port);
      c.send('ping\n');
      await c.waitLines(1);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('verbose: true logs readable lines to stderr through console [SRS-042]', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((s: string) => void lines.push(s));
    try {
      const server = await startServer({ verbose: true });
      const c = await connectRaw(server.port);
      c.send('ping\n');
      await c.waitLines(1);
      expect(lines[0]).toMatch(/^\[oneline-server\] info listening host="127.0.0.1" port=\d+ tls=false$/);
      expect(lines.some((l) => /client connected remote="127\.0\.0\.1:\d+"/.test(l))).toBe(true);
      await cleanup(); // close while console.error is still captured
      expect(lines.at(-1)).toBe('[oneline-server] info stopped');
    } finally {
      spy.mockRestore();
    }
  });

  it('passes (fields, message) to a pino-shaped logger [SRS-042]', async () => {
    const calls: [Record<string, unknown>, string][] = [];
    const logger = { info: (f: Record<string, unknown>, m: string) => void calls.push([f, m]) };
    const server = await startServer({ logger });
    expect(calls[0]).toEqual([{ host: '127.0.0.1', port: server.port, tls: false }, 'listening']);
  });

  it('rate-limits busy logs: at most 10 a second, then one summary line with the suppressed count [SRS-042]', async () => {
    const warns: [Record<string, unknown>, string][] = [];
    const logger = { warn: (f: Record<string, unknown>, m: string) => void warns.push([f, m]) };
    const server = await startServer({ logger });
    let busy = 0;
    server.on('busy', () => busy++);
    const first = await connectRaw(server.port);
    first.send('ping\n');
    await first.waitLines(1);
    const others = await Promise.all(Array.from({ length: 40 }, () => connectRaw(server.port)));
    await Promise.all(others.map((o) => o.waitClosed(3000)));
    await cleanup(); // the summary is flushed on close at the latest
    const oneByOne = warns.filter(([, m]) => m === 'busy: connection turned away').length;
    const summaries = warns.filter(([, m]) => m.startsWith('busy: more connections turned away'));
    expect(busy).toBe(40);
    expect(oneByOne).toBeLessThanOrEqual(20); // two one-second windows at most
    expect(oneByOne + summaries.reduce((n, [f]) => n + (f.suppressed as number), 0)).toBe(40);
  });
});
