import { expect } from '@jest/globals';
import { OnelineError } from './errors.js';
import { ClientSession, CLIENT_TRANSITIONS, type LineReader, type ResponseLine } from './client-session.js';

/** A reader that takes `n` lines, recording them and any error. */
function takeN(n: number): LineReader & { lines: string[]; error?: OnelineError } {
  const r: LineReader & { lines: string[]; error?: OnelineError } = {
    lines: [],
    onLine(line: ResponseLine) {
      r.lines.push(line.text);
      return r.lines.length >= n;
    },
    onError(e) {
      r.error = e;
    },
  };
  return r;
}

function ready(): ClientSession {
  const c = new ClientSession();
  expect(c.opened()).toEqual(Buffer.from('ping\n'));
  expect(c.receive(Buffer.from('pong\n'))).toEqual([{ type: 'ready' }]);
  return c;
}

describe('ClientSession', () => {
  it('walks connecting → handshake → ready → closing → closed [SRS-014]', () => {
    const c = new ClientSession();
    expect(c.state).toBe('connecting');
    c.opened();
    expect(c.state).toBe('handshake');
    c.receive(Buffer.from('po'));
    expect(c.state).toBe('handshake');
    c.receive(Buffer.from('ng\r\n'));
    expect(c.state).toBe('ready');
    expect(c.close('disconnect')).toEqual(Buffer.from('disconnect\n'));
    expect(c.state).toBe('closing');
    c.ended();
    expect(c.state).toBe('closed');
  });

  it('accepts a pong with surrounding whitespace, as the original client does [SRS-014]', () => {
    const c = new ClientSession();
    c.opened();
    expect(c.receive(Buffer.from('  pong \n'))).toEqual([{ type: 'ready' }]);
  });

  it('fails the handshake on another answer [SRS-015]', () => {
    const c = new ClientSession();
    c.opened();
    const [action] = c.receive(Buffer.from('hello\n'));
    expect(action?.type).toBe('handshake-failed');
    expect(action?.type === 'handshake-failed' && action.error.code).toBe('ERR_ONELINE_HANDSHAKE_FAILED');
    expect(c.state).toBe('closed');
  });

  it('reports busy when the server closes during the handshake [SRS-020]', () => {
    const c = new ClientSession();
    c.opened();
    c.ended();
    expect(c.state).toBe('closed');
    expect(c.error?.code).toBe('ERR_ONELINE_BUSY');
  });

  it('hands responses to waiting readers in order, each taking what it asked for [SRS-022]', () => {
    const c = ready();
    const a = takeN(2);
    const b = takeN(1);
    c.read(a);
    c.read(b);
    c.receive(Buffer.from('r1\nr2\nr3\nr4\n'));
    expect(a.lines).toEqual(['r1', 'r2']);
    expect(b.lines).toEqual(['r3']);
    expect(c.queued).toBe(1);
    const late = takeN(1);
    c.read(late);
    expect(late.lines).toEqual(['r4']);
  });

  it('keeps queued lines readable after the server closes, then reports closed', () => {
    const c = ready();
    c.receive(Buffer.from('x\n'));
    c.ended();
    const r = takeN(2);
    c.read(r);
    expect(r.lines).toEqual(['x']);
    expect(r.error?.code).toBe('ERR_ONELINE_CLOSED');
  });

  it('fails waiting readers with the transport error', () => {
    const c = ready();
    const r = takeN(1);
    c.read(r);
    c.failed(new OnelineError('ERR_ONELINE_SOCKET', 'reset'));
    expect(r.error?.code).toBe('ERR_ONELINE_SOCKET');
  });

  it('a cancelled reader gets no lines', () => {
    const c = ready();
    const r = takeN(1);
    const ticket = c.read(r);
    expect(c.cancel(ticket)).toBe(true);
    expect(c.cancel(ticket)).toBe(false);
    c.receive(Buffer.from('x\n'));
    expect(r.lines).toEqual([]);
    expect(c.queued).toBe(1);
  });

  it('flags an overlong response instead of dropping it [SRS-027]', () => {
    const c = new ClientSession({ maxLineLength: 4 });
    c.opened();
    c.receive(Buffer.from('pong\n'));
    const got: ResponseLine[] = [];
    c.read({ onLine: (l) => (got.push(l), true), onError: () => undefined });
    c.receive(Buffer.from('abcdefgh\n'));
    expect(got[0]).toMatchObject({ invalid: true, reason: 'too-long', length: 8 });
  });

  it('refuses to send before the handshake, naming role, state and event [SRS-046]', () => {
    const c = new ClientSession();
    expect(() => c.send('x')).toThrow(
      expect.objectContaining({
        code: 'ERR_ONELINE_ILLEGAL_TRANSITION',
        message: "illegal transition: role 'client' in state 'connecting' cannot handle event 'send'",
      }),
    );
    c.opened();
    expect(() => c.close('disconnect')).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_ILLEGAL_TRANSITION' }));
  });

  it('refuses a command containing LF without changing state [SRS-011]', () => {
    const c = ready();
    expect(() => c.send('a\nb')).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_LF_IN_PAYLOAD' }));
    expect(c.state).toBe('ready');
  });

  it('has a row for every state [SRS-046]', () => {
    expect(Object.keys(CLIENT_TRANSITIONS).sort()).toEqual(['closed', 'closing', 'connecting', 'handshake', 'ready']);
  });
});
