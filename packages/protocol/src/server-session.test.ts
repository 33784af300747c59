import fc from 'fast-check';
import { SERVER_TRANSITIONS, ServerSession, type ServerAction, type ServerState } from './server-session.js';
import { cutAt } from './test-support/chunking.js';

const summary = (a: ServerAction): string => {
  switch (a.type) {
    case 'reply':
      return `reply:${a.data.toString()}`;
    case 'command':
      return `command:${a.command.text}${a.command.invalid ? `(${a.command.reason})` : ''}`;
    case 'incomplete':
      return `incomplete:${a.length}`;
    default:
      return a.type;
  }
};

describe('ServerSession', () => {
  it('answers ping with pong and passes other commands to the user in order', () => {
    const s = new ServerSession();
    expect(s.receive(Buffer.from('cmd01\nping\nfoo\n')).map(summary)).toEqual([
      'command:cmd01',
      'reply:pong\n',
      'command:foo',
    ]);
    expect(s.state).toBe('serving');
  });

  it('disconnect closes and lines after it are ignored', () => {
    const s = new ServerSession();
    expect(s.receive(Buffer.from('a\ndisconnect\nb\nping\n')).map(summary)).toEqual(['command:a', 'disconnect']);
    expect(s.state).toBe('closed');
    expect(s.receive(Buffer.from('c\n'))).toEqual([]);
  });

  it('shutdown closes and asks to stop listening', () => {
    const s = new ServerSession();
    expect(s.receive(Buffer.from('shutdown\nx\n')).map(summary)).toEqual(['shutdown']);
    expect(s.state).toBe('closed');
  });

  it('delivers overlong and undecodable lines flagged with their reason', () => {
    const s = new ServerSession({ maxLineLength: 4 });
    const actions = s.receive(Buffer.from([...Buffer.from('toolong\n'), 0xff, 0x0a]));
    expect(actions.map(summary)).toEqual(['command:(too-long)', 'command:(undecodable)']);
    const first = actions[0];
    expect(first?.type === 'command' && first.command.length).toBe(7);
  });

  it('matches built-ins exactly after CR stripping: other spellings go to the user', () => {
    const s = new ServerSession();
    expect(s.receive(Buffer.from('ping\r\n PING\nping \n')).map(summary)).toEqual([
      'reply:pong\n',
      'command: PING',
      'command:ping ',
    ]);
  });

  it('reports an unterminated tail at end of stream, never as a command', () => {
    const s = new ServerSession();
    expect(s.receive(Buffer.from('ping\npin')).map(summary)).toEqual(['reply:pong\n']);
    expect(s.end().map(summary)).toEqual(['incomplete:3']);
    expect(s.state).toBe('ended');
  });

  it('throws an error naming role, state and event when fed after end of stream', () => {
    const s = new ServerSession();
    s.end();
    expect(() => s.receive(Buffer.from('x\n'))).toThrow(
      expect.objectContaining({
        code: 'ERR_ONELINE_ILLEGAL_TRANSITION',
        message: "illegal transition: role 'server' in state 'ended' cannot handle event 'data'",
      }),
    );
    expect(() => s.end()).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_ILLEGAL_TRANSITION' }));
  });

  it('a local close stops deliveries', () => {
    const s = new ServerSession();
    s.close();
    expect(s.state).toBe('closed');
    expect(s.receive(Buffer.from('a\n'))).toEqual([]);
  });

  it('has a row in the table for every state', () => {
    const states: ServerState[] = ['serving', 'closed', 'ended'];
    expect(Object.keys(SERVER_TRANSITIONS).sort()).toEqual([...states].sort());
  });

  it('every LF-terminated line before a close gives exactly one action, under any chunking', () => {
    const word = fc.constantFrom('ping', 'cmd01', '', 'xyz', 'ping\r', 'toolongtoolong', '\u00e9');
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 30 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { maxLength: 10 }),
        (words, rawCuts) => {
          const input = Buffer.from(words.map((w) => `${w}\n`).join(''));
          const offsets = rawCuts.filter((o) => o <= input.length).sort((a, b) => a - b);
          const s = new ServerSession({ maxLineLength: 8 });
          const actions = cutAt(input, offsets).flatMap((c) => s.receive(c));
          expect(actions).toHaveLength(words.length);
          expect(actions.map(summary)).toEqual(new ServerSession({ maxLineLength: 8 }).receive(input).map(summary));
        },
      ),
      { numRuns: 300 },
    );
  });
});
