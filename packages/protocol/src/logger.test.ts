import { escapeControl, resolveLogger, silentLogger } from './logger.js';

describe('resolveLogger', () => {
  it('is silent by default, even with a sink [SRS-042]', () => {
    const lines: unknown[] = [];
    expect(resolveLogger(undefined, false, 'x', { error: (...a) => lines.push(a) })).toBe(silentLogger);
    expect(lines).toEqual([]);
  });

  it('calls a pino-shaped logger as (fields, message) and fills missing levels [SRS-042]', () => {
    const calls: unknown[] = [];
    const log = resolveLogger({ info: (f, m) => calls.push([f, m]) }, true, 'x', undefined);
    log.info({ a: 1 }, 'hello');
    log.debug({}, 'dropped');
    expect(calls).toEqual([[{ a: 1 }, 'hello']]);
  });

  it('verbose prints one readable line per message to the sink', () => {
    const lines: unknown[] = [];
    const log = resolveLogger(undefined, true, 'oneline-server', { error: (s) => lines.push(s) });
    log.info({ remote: '127.0.0.1:5', n: 2 }, 'client connected');
    expect(lines).toEqual(['[oneline-server] info client connected remote="127.0.0.1:5" n=2']);
  });

  it('verbose escapes control characters in the message and the fields, so a log line cannot be forged [SRS-042]', () => {
    const lines: string[] = [];
    const log = resolveLogger(undefined, true, 'oneline-server', { error: (s) => lines.push(s as string) });
    log.error({ why: 'a\x1b[2Jb' }, 'unknown command: x\r[oneline-server] info client left\x1b]0;pwned\x07');
    expect(lines).toHaveLength(1);
    // eslint-disable-next-line no-control-regex -- the point: no control character may reach the log line
    expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(lines[0]).toBe(
      '[oneline-server] error unknown command: x\\u000d[oneline-server] info client left\\u001b]0;pwned\\u0007 why="a\\u001b[2Jb"',
    );
  });
});

describe('escapeControl', () => {
  it('escapes C0, DEL, C1 and the line separators, and leaves other text alone [SRS-042]', () => {
    expect(escapeControl('ok \u00e9 \u{1F600}')).toBe('ok \u00e9 \u{1F600}');
    expect(escapeControl('\x00\x1f\x7f\x85\u2028\u2029')).toBe('\\u0000\\u001f\\u007f\\u0085\\u2028\\u2029');
  });
});
