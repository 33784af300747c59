import { resolveLogger, silentLogger } from './logger.js';

describe('resolveLogger', () => {
  it('is silent by default, even with a sink', () => {
    const lines: unknown[] = [];
    expect(resolveLogger(undefined, false, 'x', { error: (...a) => lines.push(a) })).toBe(silentLogger);
    expect(lines).toEqual([]);
  });

  it('calls a pino-shaped logger as (fields, message) and fills missing levels', () => {
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
});
