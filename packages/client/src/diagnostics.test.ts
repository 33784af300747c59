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
      // The channels are process-wide: a client of an earlier test file in this worker may still
      // publish (e.g. its late close), so only this client's messages are looked at.
      const mine = seen.filter((s) => s.message.client === c);
      const names = mine.map((s) => s.name);
      for (const n of NAMES) expect(names).toContain(n);
      expect(mine.find((s) => s.name === 'command')?.message).toMatchObject({ command: 'cmd01' });
      expect(mine.find((s) => s.name === 'answer')?.message).toMatchObject({ command: 'cmd01', lines: 1 });
      expect(mine.find((s) => s.name === 'timeout')?.message).toMatchObject({ command: 'silent' });
      expect(mine.find((s) => s.name === 'realign')?.message).toMatchObject({ client: c });
      expect(mine.find((s) => s.name === 'close')?.message).toMatchObject({ error: undefined });
    } finally {
      for (const u of subs) u();
    }
  });
});
