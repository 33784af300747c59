import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OutputQueue } from './output-queue.js';

const BLOCK = 256;

/** Takes everything, `max` bytes at a time, as one Buffer. */
function drain(q: OutputQueue, max = 1 << 20): Buffer {
  const out: Buffer[] = [];
  for (let p = q.take(max); p !== undefined; p = q.take(max)) {
    expect(p.length).toBeLessThanOrEqual(max);
    out.push(Buffer.from(p));
  }
  return Buffer.concat(out);
}

describe('OutputQueue', () => {
  it('encodes short ASCII, short non-ASCII, long and block-sized lines as UTF-8 plus LF, in order', () => {
    const q = new OutputQueue(BLOCK);
    const lines = ['ack', '', 'h\u00e9llo \u2713 \ud83d\ude00', 'x'.repeat(70), '\u00e9'.repeat(80), 'y'.repeat(1000)];
    for (const l of lines) expect(q.line(l)).toBe(true);
    const want = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
    expect(q.size).toBe(want.length);
    expect(drain(q)).toEqual(want);
    expect(q.size).toBe(0);
  });

  it('refuses a line with a LF and queues nothing of it, short or long [SRS-011]', () => {
    const q = new OutputQueue(BLOCK);
    q.line('a');
    for (const bad of ['b\nc', '\n', '\u00e9\n', `${'z'.repeat(100)}\n`, `${'z'.repeat(1000)}\nz`]) {
      expect(q.line(bad)).toBe(false);
      expect(q.size).toBe(2);
    }
    q.line('d');
    expect(drain(q).toString()).toBe('a\nd\n');
  });

  it('copies bytes, so the caller may reuse its buffer, lines larger than a block included', () => {
    const q = new OutputQueue(BLOCK);
    const src = Buffer.from('abc');
    q.bytes(src);
    src.fill(0x7a);
    const big = Buffer.alloc(BLOCK * 2, 0x62);
    q.bytes(big);
    big.fill(0x7a);
    q.bytes(new Uint8Array([0x31, 0x32]));
    expect(drain(q).toString()).toBe(`abc\n${'b'.repeat(BLOCK * 2)}\n12\n`);
  });

  it('hands a large part out in pieces of at most the window, and joins small parts up to it', () => {
    const q = new OutputQueue(BLOCK);
    q.line('x'.repeat(5000));
    const first = q.take(1024);
    expect(first?.length).toBe(1024);
    expect(q.size).toBe(5001 - 1024);
    expect(drain(q, 1024).length).toBe(5001 - 1024);
    // Small lines across several blocks join into one piece within the window.
    for (let i = 0; i < 100; i++) q.line('0123456789');
    const piece = q.take(800);
    expect(piece?.length).toBeLessThanOrEqual(800);
    expect(piece?.length).toBeGreaterThan(BLOCK);
  });

  it('fills blocks by the exact byte length of long lines: four 16,000-character ASCII answers share one 64 KiB block', () => {
    const q = new OutputQueue(65536);
    for (let i = 0; i < 4; i++) q.line('a'.repeat(16000));
    const piece = q.take(1 << 20)!;
    expect(piece.length).toBe(4 * 16001); // one view of one block, not four blocks
    expect(piece.buffer.byteLength).toBe(65536); // a view of the one block (not a copy joined from four)
  });

  it('never writes over a piece already handed out', () => {
    const q = new OutputQueue(BLOCK);
    q.line('first');
    const piece = q.take(1 << 20)!;
    const copy = Buffer.from(piece);
    for (let i = 0; i < 200; i++) q.line(`line ${i}`);
    expect(piece).toEqual(copy);
    q.clear();
    q.line('after');
    expect(piece).toEqual(copy);
    expect(drain(q).toString()).toBe('after\n');
  });

  it('clear() drops everything queued', () => {
    const q = new OutputQueue(BLOCK);
    q.line('a'.repeat(2000));
    q.line('b');
    q.clear();
    expect(q.size).toBe(0);
    expect(q.take(100)).toBeUndefined();
  });

  it('any mix of lines and take sizes gives the encoded lines back, in order, with size exact', () => {
    const text = fc.string({ unit: 'binary', maxLength: 300 }).map((s) => s.replace(/\n/g, ''));
    const item = fc.oneof(
      text.map((s) => ({ kind: 'line' as const, s })),
      fc.uint8Array({ maxLength: 600 }).map((b) => ({ kind: 'bytes' as const, b: Buffer.from(b.filter((x) => x !== 0x0a)) })),
      fc.integer({ min: 1, max: 700 }).map((max) => ({ kind: 'take' as const, max })),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 60 }), (items) => {
        const q = new OutputQueue(BLOCK);
        const want: Buffer[] = [];
        const got: Buffer[] = [];
        for (const it of items) {
          if (it.kind === 'line') {
            expect(q.line(it.s)).toBe(true);
            want.push(Buffer.from(`${it.s}\n`, 'utf8'));
          } else if (it.kind === 'bytes') {
            q.bytes(it.b);
            want.push(Buffer.concat([it.b, Buffer.from('\n')]));
          } else {
            const p = q.take(it.max);
            if (p !== undefined) {
              expect(p.length).toBeLessThanOrEqual(it.max);
              got.push(Buffer.from(p));
            }
          }
          expect(q.size).toBe(Buffer.concat(want).length - Buffer.concat(got).length);
        }
        got.push(drain(q, 512));
        expect(Buffer.concat(got)).toEqual(Buffer.concat(want));
      }),
      { numRuns: 300 },
    );
  });
});
