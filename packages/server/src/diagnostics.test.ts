import diagnostics from 'node:diagnostics_channel';
import { cleanup, connectRaw, startServer, waitFor } from './test-support/harness.js';

afterEach(cleanup);

describe('diagnostics channels', () => {
  it('publishes connect, command, busy and disconnect to node:diagnostics_channel subscribers [SRS-051]', async () => {
    const seen: string[] = [];
    const subs: [string, (m: unknown) => void][] = [
      ['socket-oneline:server:connect', () => seen.push('connect')],
      ['socket-oneline:server:command', (m) => seen.push(`command ${(m as { command: { text: string } }).command.text}`)],
      ['socket-oneline:server:busy', () => seen.push('busy')],
      ['socket-oneline:server:disconnect', (m) => seen.push(`disconnect ${(m as { reason: string }).reason}`)],
    ];
    for (const [name, fn] of subs) diagnostics.subscribe(name, fn);
    try {
      const server = await startServer();
      const c1 = await connectRaw(server.port);
      c1.send('cmd01\n');
      await c1.waitLines(1);
      const c2 = await connectRaw(server.port);
      await c2.waitClosed();
      c1.send('disconnect\n');
      await c1.waitClosed();
      await waitFor(() => seen.length === 4, 2000, 'four messages');
      expect(seen).toEqual(['connect', 'command cmd01', 'busy', 'disconnect disconnect']);
    } finally {
      for (const [name, fn] of subs) diagnostics.unsubscribe(name, fn);
    }
  });
});
