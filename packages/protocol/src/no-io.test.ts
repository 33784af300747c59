import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The protocol package is sans-I/O: no sockets, files, processes, timers or
// clocks in its library source. This test is the rule's enforcement.
const FORBIDDEN: { what: string; pattern: RegExp }[] = [
  { what: 'an I/O or timer module import', pattern: /\bfrom\s+['"](node:)?(net|tls|fs|fs\/promises|child_process|dgram|http|https|http2|timers|timers\/promises|worker_threads|cluster|readline|perf_hooks|process|os|dns)['"]/ },
  { what: 'require() of a module', pattern: /\brequire\s*\(/ },
  { what: 'a dynamic import', pattern: /\bimport\s*\(/ },
  { what: 'a timer', pattern: /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/ },
  { what: 'a clock', pattern: /\b(Date\.now|new Date|performance\.now|process\.hrtime)\b/ },
  { what: 'process access', pattern: /\bprocess\./ },
];

function librarySources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'test-support') out.push(...librarySources(p));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      out.push(p);
    }
  }
  return out;
}

describe('the protocol package has no I/O', () => {
  const files = librarySources(__dirname);

  it('finds the library sources to check', () => {
    expect(files.map((f) => f.slice(__dirname.length + 1)).sort()).toEqual(
      expect.arrayContaining(['decoder.ts', 'encoder.ts', 'index.ts', 'server-session.ts', 'client-session.ts']),
    );
  });

  it('imports only node:buffer among Node built-ins and uses no timers, clocks or process [SRS-044]', () => {
    const violations: string[] = [];
    for (const f of files) {
      // Strip comments so TSDoc that mentions timers does not count.
      const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const { what, pattern } of FORBIDDEN) {
        if (pattern.test(code)) violations.push(`${f}: ${what}`);
      }
      for (const m of code.matchAll(/from\s+['"](node:[^'"]+)['"]/g)) {
        if (m[1] !== 'node:buffer') violations.push(`${f}: imports ${m[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the rule catches a forbidden import (self-check) [SRS-044]', () => {
    const sample = "import { connect } from 'node:net';\nsetTimeout(() => 0, 1);";
    expect(FORBIDDEN.filter(({ pattern }) => pattern.test(sample)).map((f) => f.what)).toEqual([
      'an I/O or timer module import',
      'a timer',
    ]);
  });
});
