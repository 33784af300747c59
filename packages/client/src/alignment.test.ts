// Issue 12, problem 1: a request with no (or a late) answer must never shift
// the answers of later requests.
import { OnelineError } from '@socket-oneline/protocol';
import type { ResponseLine } from './client.js';
import { cleanup, client, ourServer, rawServer } from './test-support/harness.js';

afterEach(cleanup);

const texts = (lines: { text: string }[]) => lines.map((l) => l.text);
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sample-like server: `silent` answers nothing, `list` three lines, `boom` throws, `slow N` answers after N ms. */
function sampleServer() {
  return ourServer({
    handler: async (cmd) => {
      if (cmd.text === 'silent') return undefined;
      if (cmd.text === 'list') return ['a', 'b', 'c'];
      if (cmd.text === 'boom') throw new Error('handler bug');
      if (cmd.text.startsWith('slow ')) {
        await delay(Number(cmd.text.slice(5)));
        return `slow answer ${cmd.text.slice(5)}`;
      }
      return cmd.text === 'cmd01' ? 'ack' : `re ${cmd.text}`;
    },
  });
}

/** Settles to the lines' texts or the error code, never throws. */
async function outcome(p: Promise<ResponseLine[]>): Promise<string[] | string> {
  try {
    return texts(await p);
  } catch (err) {
    return (err as OnelineError).code;
  }
}

describe('OnelineClient stays in step', () => {
  it('after a zero-line answer times out, every later sequential request gets its own answer (ping too)', async () => {
    const server = await sampleServer();
    const c = client({ port: server.port });
    await c.connect();
    await expect(c.request('silent', { timeout: 100 })).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
    expect(texts(await c.request('cmd01', { timeout: 1000 }))).toEqual(['ack']);
    expect(texts(await c.request('list', { lines: 3, timeout: 1000 }))).toEqual(['a', 'b', 'c']);
    expect(await c.ping({ timeout: 1000 })).toBeGreaterThanOrEqual(0);
    expect(texts(await c.request('cmd01', { timeout: 1000 }))).toEqual(['ack']);
    expect(c.connected).toBe(true);
  });

  it('a request that expected more lines than came does not take the next answers', async () => {
    const server = await sampleServer();
    const c = client({ port: server.port });
    await c.connect();
    await expect(c.request('list', { lines: 5, timeout: 150 })).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
    expect(texts(await c.request('cmd01', { timeout: 1000 }))).toEqual(['ack']);
    expect(texts(await c.request('other', { timeout: 1000 }))).toEqual(['re other']);
  });

  it('a handler that throws on the server does not shift later answers', async () => {
    const server = await sampleServer();
    server.on('error', () => undefined);
    const c = client({ port: server.port });
    await c.connect();
    await expect(c.request('boom', { timeout: 100 })).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
    expect(texts(await c.request('cmd01', { timeout: 1000 }))).toEqual(['ack']);
    expect(texts(await c.request('x', { timeout: 1000 }))).toEqual(['re x']);
  });

  it('an aborted request does not shift later answers', async () => {
    const server = await sampleServer();
    const c = client({ port: server.port });
    await c.connect();
    const ac = new AbortController();
    const p = c.request('slow 200', { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ERR_ONELINE_ABORTED' });
    expect(texts(await c.request('cmd01', { timeout: 1000 }))).toEqual(['ack']);
  });

  it('requests pipelined behind a timed-out one get their own answer or a typed error, never its lines', async () => {
    const server = await sampleServer();
    const c = client({ port: server.port });
    await c.connect();
    const broken = outcome(c.request('slow 300', { timeout: 100 }));
    const behind = ['b1', 'b2', 'b3'].map((t) => outcome(c.request(t, { timeout: 2000 })));
    const barrier = outcome(c.request('list', { barrier: true, timeout: 2000 }));
    expect(await broken).toBe('ERR_ONELINE_TIMEOUT');
    const results = await Promise.all(behind);
    results.forEach((r, i) => expect([[`re b${i + 1}`], 'ERR_ONELINE_DESYNC']).toContainEqual(r));
    expect([['a', 'b', 'c'], 'ERR_ONELINE_DESYNC']).toContainEqual(await barrier);
    // And afterwards the stream is aligned again.
    expect(texts(await c.request('after', { timeout: 2000 }))).toEqual(['re after']);
    expect(texts(await c.request('list', { lines: 3, timeout: 2000 }))).toEqual(['a', 'b', 'c']);
  });

  it('a timed-out barrier request discards up to its own pong; requests behind it get their own answers', async () => {
    const server = await sampleServer();
    const c = client({ port: server.port });
    await c.connect();
    const broken = outcome(c.request('slow 250', { barrier: true, timeout: 100 }));
    const next = outcome(c.request('n1', { timeout: 2000 }));
    const list = outcome(c.request('list', { lines: 3, timeout: 2000 }));
    expect(await broken).toBe('ERR_ONELINE_TIMEOUT');
    expect(await next).toEqual(['re n1']);
    expect(await list).toEqual(['a', 'b', 'c']);
  });

  it('a server that never answers the realignment ping: no stray line reaches a later request and the connection closes loudly', async () => {
    let pings = 0;
    const port = await rawServer((line, sock) => {
      if (line === 'ping') {
        if (pings++ === 0) sock.write('pong\n'); // the handshake only
      } else if (line === 'first') setTimeout(() => !sock.destroyed && sock.write('late first\n'), 150);
    });
    const c = client({ port, timeout: 400 });
    await c.connect();
    await expect(c.request('first', { timeout: 50 })).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
    const r = await outcome(c.request('second', { timeout: 2000 }));
    expect(['ERR_ONELINE_TIMEOUT', 'ERR_ONELINE_DESYNC']).toContain(r);
    const closedWith = await c.closed;
    expect(closedWith).toMatchObject({ code: 'ERR_ONELINE_DESYNC' });
    expect(c.connected).toBe(false);
  });
});
