// Issue 12, problem 3 (pipelining was quadratic and paid a write and a timer
// per request). Speed is for the benchmark (tools/bench/client.mjs); this
// checks the mechanisms: one write per tick and one deadline timer per
// connection, whatever the number of requests in flight.
import net from 'node:net';
import { cleanup, client, ourServer } from './test-support/harness.js';

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
