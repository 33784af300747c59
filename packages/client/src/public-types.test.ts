// Only the public API in the emitted declarations (issue 14): internals are
// `#private` (shown as one `#private;` line), and every public member has TSDoc.
// Reads the build output: client:test depends on the build.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIST = join(__dirname, '..', 'dist');

/** The member lines of each exported class in a .d.ts, each with whether a doc comment precedes it. */
function classMembers(file: string): { name: string; documented: boolean }[] {
  const lines = readFileSync(join(DIST, file), 'utf8').split('\n');
  const members: { name: string; documented: boolean }[] = [];
  let inClass = false;
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^export declare class /.test(line)) {
      inClass = true;
      depth = 1;
      continue;
    }
    if (!inClass) continue;
    // Only members at the class's own level (not lines of a multi-line signature).
    if (depth === 1 && /^ {4}\S/.test(line) && !line.trim().startsWith('/**') && !line.trim().startsWith('*')) {
      members.push({ name: line.trim(), documented: /\*\/\s*$/.test(lines[i - 1] ?? '') });
    }
    for (const ch of line) {
      if (ch === '{' || ch === '(') depth++;
      else if (ch === '}' || ch === ')') depth--;
    }
    if (depth === 0) inClass = false;
  }
  return members;
}

describe('the emitted .d.ts shows only the public API', () => {
  it.each(['client.d.ts', 'json-client.d.ts', 'cjs/client.d.ts'])('%s: no private members by name, every public member documented', (file) => {
    const members = classMembers(file);
    expect(members.length).toBeGreaterThan(0);
    expect(members.filter((m) => /^(private|protected)\s/.test(m.name))).toEqual([]);
    expect(members.filter((m) => m.name !== '#private;' && !m.documented).map((m) => m.name)).toEqual([]);
  });

  it('OnelineClient declares exactly its public surface', () => {
    const names = classMembers('client.d.ts').map((m) => /^(?:readonly |get )?(#private|\[Symbol\.\w+\]|\w+)/.exec(m.name)?.[1]);
    expect(names.sort()).toEqual(
      [
        '#private',
        'log',
        'constructor',
        'queuedLines',
        'queuedBytes',
        'connected',
        'closed',
        'connect',
        'send',
        'recv',
        'request',
        'ping',
        'disconnect',
        'shutdown',
        'destroy',
        '[Symbol.asyncDispose]',
        '[Symbol.asyncIterator]',
      ].sort(),
    );
  });
});
