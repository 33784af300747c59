import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ONELINE_ERROR_CODES, OnelineError, isOnelineError } from './errors.js';

describe('OnelineError', () => {
  it('carries a stable code, an origin, a name and an optional cause [SRS-043]', () => {
    const cause = new Error('ECONNREFUSED');
    const e = new OnelineError('ERR_ONELINE_REFUSED', 'nothing listens', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('OnelineError');
    expect(e.code).toBe('ERR_ONELINE_REFUSED');
    expect(e.origin).toBe('environment');
    expect(e.cause).toBe(cause);
  });

  it('lets the origin be overridden', () => {
    expect(new OnelineError('ERR_ONELINE_CLOSED', 'x', { origin: 'local' }).origin).toBe('local');
  });

  it('isOnelineError checks shape and code', () => {
    const e = new OnelineError('ERR_ONELINE_TIMEOUT', 't');
    expect(isOnelineError(e)).toBe(true);
    expect(isOnelineError(e, 'ERR_ONELINE_TIMEOUT')).toBe(true);
    expect(isOnelineError(e, 'ERR_ONELINE_CLOSED')).toBe(false);
    expect(isOnelineError(new Error('x'))).toBe(false);
    expect(isOnelineError(null)).toBe(false);
  });

  it('lists every code once, each starting with ERR_ONELINE_ [SRS-043]', () => {
    expect(new Set(ONELINE_ERROR_CODES).size).toBe(ONELINE_ERROR_CODES.length);
    for (const c of ONELINE_ERROR_CODES) expect(c).toMatch(/^ERR_ONELINE_[A-Z_]+$/);
  });
});

describe('the README error table', () => {
  it('documents every error code [SRS-043]', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const missing = ONELINE_ERROR_CODES.filter((c) => !readme.includes(`| \`${c}\` |`));
    expect(missing).toEqual([]);
  });
});
