import { expect } from '@jest/globals';
// ClientSession: places in the response stream, realignment after a request
// gives up, per-request caps and the unread budget (issue 12).
import { OnelineError } from './errors.js';
import { ClientSession, RequestReader, type ClientAction, type ResponseLine } from './client-session.js';
import { Fifo } from './fifo.js';

class Take extends RequestReader {
  lines: string[] = [];
  error: OnelineError | undefined;
  constructor(private readonly n = 1) {
    super();
  }
  onLine(line: ResponseLine): boolean {
    this.lines.push(line.text);
    return this.lines.length >= this.n;
  }
  onError(e: OnelineError): void {
    this.error = e;
  }
}

function ready(options = {}): ClientSession {
  const c = new ClientSession(options);
  c.opened();
  c.receive(Buffer.from('pong\n'));
  return c;
}

const timeout = new OnelineError('ERR_ONELINE_TIMEOUT', 'test timeout');
const writes = (actions: ClientAction[]) => actions.flatMap((a) => (a.type === 'realign' && a.data !== undefined ? [a.data.toString()] : []));

describe('ClientSession realignment', () => {
  it('a request that gives up sends a ping and discards up to its pong; the next request gets its own line', () => {
    const c = ready();
    const silent = new Take();
    expect(c.request('silent', silent)).toBe('silent'); // text: the shell adds the LF when it joins
    const actions = c.abandon(silent, timeout);
    expect(writes(actions)).toEqual(['ping\n']);
    expect(c.realigning).toBe(true);
    const next = new Take();
    c.request('cmd01', next);
    // The server answered nothing to `silent`, then pong, then `ack` for cmd01.
    const after = c.receive(Buffer.from('pong\nack\n'));
    expect(after).toEqual([{ type: 'aligned' }]);
    expect(silent.lines).toEqual([]);
    expect(next.lines).toEqual(['ack']);
    expect(c.realigning).toBe(false);
  });

  it('encodes text commands without their final LF, a barrier as two packets, bytes with LF; refuses a LF inside', () => {
    const c = ready();
    expect(c.request('list', new Take(), { barrier: true })).toBe('list\nping');
    expect(c.request(Buffer.from('raw'), new Take())).toEqual(Buffer.from('raw\n'));
    expect(() => c.request('a\nb', new Take())).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_LF_IN_PAYLOAD' }));
    expect(c.waiting).toBe(2);
  });

  it('a late answer of the broken request is discarded, never handed on', () => {
    const c = ready();
    const slow = new Take();
    c.request('slow', slow);
    c.abandon(slow, timeout);
    const next = new Take();
    c.request('next', next);
    c.receive(Buffer.from('late\nmore late\npong\nre next\n'));
    expect(next.lines).toEqual(['re next']);
  });

  it('requests pipelined behind a broken one fail with ERR_ONELINE_DESYNC; a ping among them still gets its pong; requests after a barrier get their own answers', () => {
    const c = ready();
    const broken = new Take();
    const b1 = new Take();
    const ping = new Take();
    const b2 = new Take();
    const barrier = new Take(Infinity);
    const after = new Take();
    c.request('broken', broken);
    c.request('b1', b1);
    c.request('ping', ping);
    c.request('b2', b2);
    c.request('list', barrier, { barrier: true });
    c.request('after', after);
    // The ping in flight ends the realignment: no new ping is needed.
    expect(writes(c.abandon(broken, timeout))).toEqual([]);
    expect(b1.error?.code).toBe('ERR_ONELINE_DESYNC');
    expect(b2.error).toBeUndefined();
    c.receive(Buffer.from('x\ny\npong\nre b2\na\nb\npong\nre after\n'));
    expect(ping.lines).toEqual(['pong']);
    expect(b2.lines).toEqual(['re b2']);
    expect(barrier.lines).toEqual(['a', 'b', 'pong']);
    expect(after.lines).toEqual(['re after']);
  });

  it('an abandoned barrier discards up to its own pong without a new ping', () => {
    const c = ready();
    const barrier = new Take(Infinity);
    c.request('list', barrier, { barrier: true });
    const next = new Take();
    c.request('n', next);
    expect(writes(c.abandon(barrier, timeout))).toEqual([]);
    c.receive(Buffer.from('a\nb\npong\nre n\n'));
    expect(barrier.lines).toEqual([]);
    expect(next.lines).toEqual(['re n']);
  });

  it('an answer over its line cap fails with ERR_ONELINE_RESPONSE_TOO_LARGE and the session realigns', () => {
    const c = ready();
    const big = new Take(Infinity);
    c.request('list', big, { maxLines: 2, barrier: true });
    const next = new Take();
    c.request('n', next);
    const actions = c.receive(Buffer.from('1\n2\n3\n4\n5\npong\nre n\n'));
    expect(big.error?.code).toBe('ERR_ONELINE_RESPONSE_TOO_LARGE');
    expect(big.lines).toEqual(['1', '2']);
    expect(actions.map((a) => a.type)).toEqual(['realign', 'aligned']);
    expect(next.lines).toEqual(['re n']);
  });

  it('an answer over its byte cap fails too, and a counted request then needs a ping', () => {
    const c = ready();
    const r = new Take(Infinity);
    c.request('x', r, { maxBytes: 10 });
    const actions = c.receive(Buffer.from('123456\n123456\n'));
    expect(r.error?.code).toBe('ERR_ONELINE_RESPONSE_TOO_LARGE');
    expect(writes(actions)).toEqual(['ping\n']);
  });

  it('per-request caps apply to their own request only (defaults to the others, none to raw reads) and are dropped once answered', () => {
    const c = ready({ maxResponseLines: 2 });
    const own = (s: ClientSession) => (s as unknown as { limits: Map<unknown, unknown> }).limits.size;
    const a = new Take(3);
    c.request('a', a, { maxLines: 3 });
    const b = new Take(2);
    c.request('b', b);
    const d = new Take(3);
    c.request('d', d, { maxLines: 5, maxBytes: 100 });
    expect(own(c)).toBe(2);
    c.receive(Buffer.from('1\n2\n3\n4\n5\n6\n7\n8\n'));
    expect([a.lines, b.lines, d.lines]).toEqual([['1', '2', '3'], ['4', '5'], ['6', '7', '8']]);
    expect([a.error, b.error, d.error]).toEqual([undefined, undefined, undefined]);
    expect(own(c)).toBe(0);
    const raw = new Take(4);
    c.read(raw);
    c.receive(Buffer.from('r1\nr2\nr3\nr4\n'));
    expect(raw.lines).toEqual(['r1', 'r2', 'r3', 'r4']);
    const late = new Take(3);
    c.request('late', late);
    c.receive(Buffer.from('x\ny\nz\n'));
    expect(late.error?.code).toBe('ERR_ONELINE_RESPONSE_TOO_LARGE');
  });

  it('own caps of requests still waiting are dropped when the session fails', () => {
    const c = ready();
    c.request('a', new Take(), { maxLines: 3 });
    c.failed(new OnelineError('ERR_ONELINE_SOCKET', 'test reset'));
    expect((c as unknown as { limits: Map<unknown, unknown> }).limits.size).toBe(0);
  });

  it('reports overBudget by unread bytes as well as lines', () => {
    const c = ready({ maxQueuedBytes: 100, maxQueuedLines: 1000 });
    c.receive(Buffer.from(`${'z'.repeat(60)}\n`));
    expect(c.overBudget).toBe(false);
    c.receive(Buffer.from(`${'z'.repeat(60)}\n`));
    expect(c.queuedBytes).toBe(120);
    expect(c.overBudget).toBe(true);
    const r = new Take(2);
    c.read(r);
    expect(c.overBudget).toBe(false);
    expect(c.queuedBytes).toBe(0);
  });

  it('rejects a reader used twice and bad limits with ERR_ONELINE_INVALID_OPTION', () => {
    const c = ready();
    const r = new Take();
    c.request('a', r);
    expect(() => c.request('b', r)).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
    expect(() => c.request('b', new Take(), { maxLines: 0 })).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
    expect(() => new ClientSession({ maxQueuedBytes: -1 })).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
  });

  it('serves 200,000 pipelined requests in order', () => {
    const c = ready();
    const readers = Array.from({ length: 200_000 }, () => new Take());
    readers.forEach((r, i) => c.request(`c${i}`, r));
    c.receive(Buffer.from(readers.map((_, i) => `a${i}\n`).join('')));
    expect(readers.every((r, i) => r.lines[0] === `a${i}`)).toBe(true);
    expect(c.waiting).toBe(0);
  });
});

describe('Fifo', () => {
  it('keeps FIFO order across compactions', () => {
    const d = new Fifo<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      d.push(i);
      if (i % 3 === 0) out.push(d.shift()!);
    }
    while (d.length > 0) out.push(d.shift()!);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(d.shift()).toBeUndefined();
  });

  it('at() and drain() see the items oldest first across a wrapped ring', () => {
    const d = new Fifo<number>(4);
    for (let i = 0; i < 3; i++) d.push(i);
    d.shift();
    d.shift();
    for (let i = 3; i < 9; i++) d.push(i); // wraps, then grows
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => d.at(i))).toEqual([2, 3, 4, 5, 6, 7, 8, undefined, undefined]);
    expect(d.drain()).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(d.length).toBe(0);
    expect(d.peek()).toBeUndefined();
  });
});
