import { expect } from '@jest/globals';
import { OnelineClient } from './client.js';
import { cleanup, client, ourServer } from './test-support/harness.js';

afterEach(cleanup);

describe('OnelineClient edge cases', () => {
  it('refuses a maxQueuedLines that is not a positive integer [SRS-045]', () => {
    for (const maxQueuedLines of [0, 1.5, -1]) {
      expect(() => new OnelineClient({ port: 1, maxQueuedLines })).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
    }
  });

  it('refuses a second connect() while connected, and the first connection stays usable', async () => {
    const server = await ourServer({ handler: (cmd) => `re ${cmd.text}` });
    const c = client({ port: server.port });
    await c.connect();
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_SERVER_STATE' });
    expect((await c.request('x'))[0]?.text).toBe('re x');
  });

  it('connect() with an already aborted signal rejects with ERR_ONELINE_ABORTED and opens nothing [SRS-023]', async () => {
    const server = await ourServer();
    let connections = 0;
    server.on('connect', () => connections++);
    const c = client({ port: server.port });
    await expect(c.connect({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ONELINE_ABORTED' });
    expect(connections).toBe(0);
  });

  it('a request whose until predicate throws ends at that line instead of hanging [SRS-021]', async () => {
    const server = await ourServer({ handler: () => ['a', 'b'] });
    const c = client({ port: server.port });
    await c.connect();
    const lines = await c.request('x', {
      until: () => {
        throw new Error('bad predicate');
      },
      timeout: 2000,
    });
    expect(lines.map((l) => l.text)).toEqual(['a']);
  });
});
