import { expect } from '@jest/globals';
import fc from 'fast-check';
import { LineDecoder } from './decoder.js';
import { encodeLineText, encodeLine, encodeLines } from './encoder.js';
import { isOnelineError } from './errors.js';

describe('encodeLine', () => {
  it('appends a LF to text, encoded as UTF-8 [SRS-008]', () => {
    expect(encodeLine('pong')).toEqual(Buffer.from('pong\n'));
    expect(encodeLine('é')).toEqual(Buffer.from([0xc3, 0xa9, 0x0a]));
    expect(encodeLine('')).toEqual(Buffer.from('\n'));
  });

  it('appends a LF to raw bytes, keeping them as they are [SRS-008]', () => {
    expect(encodeLine(new Uint8Array([0xff, 0x00]))).toEqual(Buffer.from([0xff, 0x00, 0x0a]));
  });

  it('refuses text containing LF with ERR_ONELINE_LF_IN_PAYLOAD [SRS-011]', () => {
    let caught: unknown;
    try {
      encodeLine('a\nb');
    } catch (e) {
      caught = e;
    }
    expect(isOnelineError(caught, 'ERR_ONELINE_LF_IN_PAYLOAD')).toBe(true);
    expect((caught as Error).message).toMatch(/contains a LF/);
    expect((caught as { origin: string }).origin).toBe('local');
  });

  it('refuses bytes containing LF with ERR_ONELINE_LF_IN_PAYLOAD [SRS-011]', () => {
    expect(() => encodeLine(Buffer.from('x\ny'))).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_LF_IN_PAYLOAD' }));
  });

  it('encodeLines joins packets and encodes nothing when one is bad [SRS-011]', () => {
    expect(encodeLines(['a', 'b'])).toEqual(Buffer.from('a\nb\n'));
    expect(() => encodeLines(['a', 'b\n'])).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_LF_IN_PAYLOAD' }));
  });
});

describe('encode then decode', () => {
  it('returns any LF-free text unchanged (CR kept when stripCR is off)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\n')), { maxLength: 20 }), (texts) => {
        const d = new LineDecoder({ stripCR: false });
        const events = d.push(encodeLines(texts));
        expect(events.map((e) => (e.type === 'line' ? e.text : e.type))).toEqual(texts);
        expect(events.every((e) => e.type === 'line' && !e.invalid)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('returns any LF-free bytes unchanged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }).map((a) => a.filter((b) => b !== 0x0a)), (bytes) => {
        const d = new LineDecoder({ stripCR: false });
        const [ev] = d.push(encodeLine(bytes));
        expect(ev?.type).toBe('line');
        expect(ev?.type === 'line' && Buffer.compare(ev.bytes, Buffer.from(bytes))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a value that is neither a string nor a Uint8Array with ERR_ONELINE_INVALID_PAYLOAD [SRS-043]', () => {
    for (const bad of [42, null, undefined, { text: 'x' }]) {
      expect(() => encodeLine(bad as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_PAYLOAD' }));
      expect(() => encodeLineText(bad as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_PAYLOAD' }));
    }
  });
});
