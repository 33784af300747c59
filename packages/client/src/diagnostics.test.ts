import diagnostics from 'node:diagnostics_channel';
import { cleanup, client, ourServer } from './test-support/harness.js';

afterEach(cleanup);

const NAMES = ['command', 'answer', 'timeout', 'realign', 'close'] as const;

describe('client diagnostics_channel events', () => {
  it('publishes command, answer, timeout, realign and close on socket-oneline:client:*', async () => {
    const seen: { name: string; message: Record<string, unknown> }[] = [];
    const subs = NAMES.map((name) => {
      const fn = (message: unknown) => seen.push({ name, message: message as Record<string, unknown> });
      diagnostics.subscribe(`socket-oneline:client:${name}`, fn);
      return () => diagnostics.unsubscribe(`socket-oneline:client:${name}`, fn);
    });
    try {
      const server = await ourServer({ handler: (cmd) => (cmd.text === 'silent' ? undefined : 'ack') });
      const c = client({ port: server.port });
      await c.connect();
      await c.request('cmd01');
      await c.request('silent', { timeout: 50 }).catch(() => undefined);
      await c.request('cmd01');
      await c.disconnect();
      const names = seen.map((s) => s.name);
      for (const n of NAMES) expect(names).toContain(n);
      expect(seen.find((s) => s.name === 'command')?.message).toMatchObject({ client: c, command: 'cmd01' });
      expect(seen.find((s) => s.name === 'answer')?.message).toMatchObject({ client: c, command: 'cmd01', lines: 1 });
      expect(seen.find((s) => s.name === 'timeout')?.message).toMatchObject({ client: c, command: 'silent' });
      expect(seen.find((s) => s.name === 'realign')?.message).toMatchObject({ client: c });
      expect(seen.find((s) => s.name === 'close')?.message).toMatchObject({ client: c, error: undefined });
    } finally {
      for (const u of subs) u();
    }
  });
});
