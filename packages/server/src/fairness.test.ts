import { expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { cleanup, startServer, withTimeout } from './test-support/harness.js';

const readers = new Set<ChildProcess>();
afterEach(async () => {
  for (const r of readers) r.kill('SIGKILL');
  readers.clear();
  await cleanup();
});

describe('a reader as fast as the kernel', () => {
  it('does not hold the event loop: commands answered between two turns of the loop stay bounded', async () => {
    // Every turn of the event loop bumps `turn`; each command notes the turn it ran in. Answers of
    // 60 KB, read at full speed by another process (so the kernel keeps taking writes at once).
    let turn = 0;
    let running = true;
    const tick = () => {
      turn++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const perTurn = new Map<number, number>();
    const answer = Buffer.alloc(60_000, 'a');
    const server = await startServer({
      handler: () => {
        perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
        return answer;
      },
    });
    const n = 8000;
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const s = require('node:net').connect(${server.port}, '127.0.0.1', () => s.write('cmd\\n'.repeat(${n})));
         let b = 0; s.on('data', (d) => { b += d.length; if (b >= ${n * 60_001}) { s.destroy(); process.exit(0); } });`,
      ],
      { stdio: 'ignore' },
    );
    readers.add(reader);
    await withTimeout(new Promise((r) => reader.once('exit', r)), 60_000, 'the reader to read every answer');
    running = false;
    const most = Math.max(...perTurn.values());
    expect([...perTurn.values()].reduce((a, b) => a + b, 0)).toBe(n);
    // 16 pieces of 64 KiB per pump, about one 60 KB answer each; the loop's poll phase may run a few
    // pumps before the next turn. Without the bound, one pump ran on for hundreds of answers.
    expect(most).toBeLessThanOrEqual(100);
  });
});
