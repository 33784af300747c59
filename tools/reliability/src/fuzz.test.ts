/**
 * Fuzz: fast-check drives the real server with random command streams cut at
 * random points. The server never crashes, answers every command in order
 * (well-formed ones with their text, undecodable ones flagged), and accepts
 * the next client afterwards. Bounded in runs and in time.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { OnelineServer } from '@socket-oneline/server';
import { cleanup, connect, onCleanup, sleep } from './support.js';

afterEach(cleanup);

const line = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => Buffer.from(s.replace(/[\n]/g, ''))) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a))) },
  { weight: 1, arbitrary: fc.constantFrom('ping', 'cmd01', '', 'x\r').map((s) => Buffer.from(s)) },
);

/** What the server must answer, computed without our decoder. */
function expected(bytes: Buffer): string {
  const body = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes;
  if (!isUtf8(body)) return 'invalid';
  const text = body.toString('utf8');
  return text === 'ping' ? 'pong' : `re ${text}`;
}

describe('fuzz: random command streams cut at random points', () => {
  it('the server never crashes, answers every command in order, and accepts the next client [SRS-047]', async () => {
    const errors: unknown[] = [];
    const server = new OnelineServer({
      handler: (cmd) => (cmd.invalid ? 'invalid' : `re ${cmd.text}`),
    });
    server.on('error', (e) => errors.push(e));
    onCleanup(() => server.close());
    const { port } = await server.listen();
    const builtins = new Set(['disconnect', 'shutdown']);

    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 40 }).filter((ls) => ls.every((l) => !builtins.has(l.toString('latin1').replace(/\r$/, '')))),
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 12 }),
        async (lines, rawCuts) => {
          const stream = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
          const cuts = [...new Set(rawCuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const c = await connect(port);
          const want = lines.map(expected);
          const answers = collectUtf8(c.socket, want.length); // listen before writing
          let prev = 0;
          for (const cut of [...cuts, stream.length]) {
            if (cut > prev) c.socket.write(stream.subarray(prev, cut));
            prev = cut;
            await sleep(0); // let the pieces travel as separate segments
          }
          const got = await answers;
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            throw new Error(`answers differ:\n got ${JSON.stringify(got)}\nwant ${JSON.stringify(want)}`);
          }
          c.socket.write('disconnect\n');
          await c.waitClosed(5000);
          return true;
        },
      ),
      { numRuns: 60, interruptAfterTimeLimit: 30000 },
    );
    expect(errors).toEqual([]);
    // The next client is served after all of that.
    const next = await connect(port);
    next.socket.write('ping\n');
    expect(await next.waitLines(1)).toEqual(['pong']);
  }, 60000);
});

/** Reads `n` UTF-8 lines from a socket (bounded). */
function collectUtf8(socket: import('node:net').Socket, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const lines: string[] = [];
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error(`only ${lines.length} of ${n} answers within 5 s: ${JSON.stringify(lines)}`));
    }, 5000);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let i: number;
      while ((i = buf.indexOf(10)) !== -1) {
        lines.push(buf.subarray(0, i).toString('utf8'));
        buf = buf.subarray(i + 1);
      }
      if (lines.length >= n) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(lines);
      }
    };
    if (n === 0) {
      clearTimeout(timer);
      resolve([]);
      return;
    }
    socket.prependListener('data', onData);
  });
}
